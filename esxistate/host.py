"""Host: an ESXi host you can power on, change, back up, crash and upgrade, with a simulated clock.

Everything here follows ESXI-FACTS.md: boot picks a bank (F5-F8), loads boot.cfg's modules in order and mounts the
tardisks (F10, F39), makes the ramdisks (F29), then unpacks state.tgz's local.tgz over the image (F38). Backups run
at orderly shutdown (F13), hourly from root's crontab (F12, F14), after hostd changes (F21, at most 6 an hour), and
by hand. A power loss skips the backup (F23). VIBs install live or at the next reboot through the altbootbank
(F33); upgrades stage a new image there (F20). Every change appends an `Event` with the `HostSnapshot` after it.

Every public operation either succeeds or raises an `EsxiStateError` and leaves the host as it was.

This module holds the host's state, its history and the all-or-nothing guard; each public method hands the work to
the module named for it: esxistate.boot (power-on), esxistate.backup (backup.sh and auto-backup.sh),
esxistate.cron (the clock's cron runs), esxistate.staging (VIBs and upgrades), esxistate.hostd (settings, maintenance
mode, configuration bundles), esxistate.bootdevice (a slow or lost boot device) and esxistate.hostfs (`host.fs`).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import backup, boot, bootdevice, boundary, cron, hostd, image, installer, staging, why
from .backup import UPDATE_MARKER, BackupResult
from .bootbank import BootBank, safeboot
from .clock import DEFAULT_CLOCK
from .cron import RUNS_LISTED as CRON_RUNS_LISTED
from .display import DrawsItself
from .entry import FileEntry
from .errors import (
    EsxiStateError,
    HostPoweredOff,
    HostPoweredOn,
    InternalError,
    InvalidValue,
    UnknownBackupStep,
    UnsupportedVersion,
)
from .events import Event, EventKind, History, HostSnapshot
from .guard import operation, query
from .hostd import SETTINGS
from .hostfs import HostFS
from .layers import Ramdisk, Tardisk
from .staging import LIVE_STEPS, STAGE_STEPS, VibResult
from .vib import Vib, VibIndex
from .visorfs import VisorFS

__all__ = [
    "CRON_RUNS_LISTED",
    "DEFAULT_CLOCK",
    "LIVE_STEPS",
    "SETTINGS",
    "STAGE_STEPS",
    "UPDATE_MARKER",
    "BackupResult",
    "Host",
    "HostFS",
    "VibResult",
]

_LAST: list[Host | None] = [None]  # the most recently created host, for `%esxi` without `es.use()`


# What a checkpoint keeps besides the file system and the history: every attribute an operation may change.
_KEPT = (
    "_banks",
    "_booted",
    "_vibs",
    "_clock",
    "_version",
    "_reboot_required",
    "_hostd_backups",
    "_pid",
    "_boot_device",
    "_maintenance",
    "_secure",
)


@dataclass(frozen=True)
class _Checkpoint:
    """The host at one moment, for `_rollback`: its VisorFS state (None when off), history length and `_KEPT`."""

    fs_state: Any
    history_len: int
    kept: dict[str, Any]


class Host(DrawsItself):
    """A simulated ESXi host. Make one with `Host.demo()`; it starts powered off."""

    _bundle = "host_bundle"

    def __init__(
        self,
        *,
        version: str,
        banks: Sequence[BootBank],
        clock: datetime,
        stateless: bool = False,
        secure_config: bool = False,
        network_image: image.Image | None = None,
    ) -> None:
        self._version = version
        self._banks: list[BootBank] = list(banks)
        self._clock = clock
        self._stateless = stateless
        self._secure = secure_config
        self._secure_asked = secure_config  # the image's own rule (F36) may turn it on at a later boot
        self._network_image = network_image
        self._fs: VisorFS | None = None
        self._booted: int | None = None
        self._vibs: tuple[Vib, ...] = ()
        self._vib_index: VibIndex | None = None  # staging's index of _vibs; it says when _vibs is not its tuple
        self._reboot_required = False
        self._hostd_backups: list[datetime] = []
        self._pid = 2_098_000
        self._boot_device = bootdevice.OK  # where /bootbank points: the boot device, /tmp (slow) or nowhere (lost)
        self._history: list[Event] = []
        self._tpm_key = hashlib.sha256(b"esxistate simulated TPM " + version.encode()).digest()
        self.fs = HostFS(self)
        self._shell: Any = None
        self._maintenance = False
        _LAST[0] = self

    # -- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def demo(
        cls,
        version: str = "7.0",
        *,
        stateless: bool = False,
        secure_config: bool | None = None,
        clock: datetime = DEFAULT_CLOCK,
        hostname: str = "esxi",
    ) -> Host:
        """An installed ESXi host, powered off: BOOTBANK1 holds the image and the installer's state.tgz, BOOTBANK2
        is empty (as after a fresh install). `version` is one of `Host.versions()`: "6.7" (6.7 GA, build 8169922),
        "7.0" (7.0b, build 16324942) or "7.0U3" (7.0 Update 3g, build 20328353). `stateless=True` is an Auto Deploy
        host (no boot bank, F41).

        7.0 U3 encrypts its configuration as every 7.0 U2+ host does (state.tgz holds local.tgz.ve and
        encryption.info, F36). `secure_config=True` on "7.0" builds a 7.0 host with that layout too, a simplification
        that lets a lesson compare both layouts on one build; `secure_config=False` on 7.0 U3 is refused, because a
        real 7.0 U2+ host has no way to turn the encryption off."""
        if not isinstance(version, str) or version not in image.VERSIONS:
            raise UnsupportedVersion(version, cls.versions())
        boundary.check_bool("stateless", stateless)
        if secure_config is not None:
            boundary.check_bool("secure_config", secure_config)
        _check_clock(clock)
        hostd.check_hostname(hostname)
        if secure_config is None:
            secure_config = image.encrypts_config(version)
        elif not secure_config and image.encrypts_config(version):
            raise UnsupportedVersion(f"{version} without secure_config", tuple(v for v in cls.versions() if v < "7.0U"))
        if secure_config and not version.startswith("7"):
            raise UnsupportedVersion(f"{version} with secure_config", tuple(v for v in cls.versions() if v[0] == "7"))
        img = image.demo_image(version)
        if stateless:
            return cls(version=version, banks=(), clock=clock, stateless=True, network_image=img)
        host = cls(version=version, banks=(), clock=clock, secure_config=secure_config)
        host._banks = installer.install(host, img, hostname=hostname, when=clock - timedelta(days=1))
        return host

    @staticmethod
    def versions() -> tuple[str, ...]:
        """The ESXi versions `Host.demo` and `upgrade` offer, oldest first: ('6.7', '7.0', '7.0U3')."""
        return tuple(sorted(image.VERSIONS, key=image.version_key))

    def _wrap_state(self, local: list[tuple[str, FileEntry]], mtime: int) -> bytes:
        return backup.wrap_state(self, local, mtime)

    # -- read-only properties -------------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

    @property
    def powered_on(self) -> bool:
        return self._fs is not None

    @property
    def clock(self) -> datetime:
        return self._clock

    @property
    def stateless(self) -> bool:
        return self._stateless

    @property
    def secure_config(self) -> bool:
        return self._secure

    @property
    def history(self) -> History:
        """Every event so far, oldest first: a read-only view, as the history was when read (it copies nothing)."""
        return History(self._history)

    @property
    def tardisks(self) -> tuple[Tardisk, ...]:
        return self._fs.tardisks if self._fs is not None else ()

    @property
    def ramdisks(self) -> tuple[Ramdisk, ...]:
        return self._fs.ramdisks if self._fs is not None else ()

    @property
    def vibs(self) -> tuple[Vib, ...]:
        """The VIBs the running system has (after a live install, before the reboot, too)."""
        if self._fs is None:
            bank = self._next_bank()
            return bank.vibs if bank is not None else ()
        return self._vibs

    @property
    def banks(self) -> tuple[BootBank, ...]:
        return tuple(self._banks)

    @property
    def bootbank(self) -> BootBank | None:
        """The bank mounted at /bootbank: the one that booted (when off: the one that booted last)."""
        if self._stateless or not self._banks:
            return None
        idx = self._booted if self._booted is not None else self._default_bank_index()
        return self._banks[idx]

    @property
    def altbootbank(self) -> BootBank | None:
        if self._stateless or len(self._banks) < 2:
            return None
        idx = self._booted if self._booted is not None else self._default_bank_index()
        return self._banks[1 - idx]

    @property
    def reboot_required(self) -> bool:
        return self._reboot_required

    @property
    def boot_device(self) -> str:
        """ "ok"; "slow" when the boot device was claimed late and /bootbank points to /tmp; "lost" when it stopped
        answering (F47, see esxistate.bootdevice)."""
        return self._boot_device

    @property
    def maintenance_mode(self) -> bool:
        """Whether the host is in maintenance mode (`esxcli system maintenanceMode get`)."""
        return self._maintenance

    @property
    def hostname(self) -> str:
        """The name in esx.conf: the running one, or, while the host is off, the one the next boot will restore
        from the default bank's state.tgz. "localhost" (the image's own esx.conf) only when neither says more."""
        return hostd.hostname(self)

    def _default_bank_index(self) -> int:
        try:
            return safeboot(self._banks).index
        except EsxiStateError:
            return 0

    def _next_bank(self) -> BootBank | None:
        if self._stateless or not self._banks:
            return None
        return self._banks[self._default_bank_index()]

    @query("explain a path")
    def explain(self, path: str) -> Any:
        """Where `path` comes from and whether it survives a reboot, a power loss and the next cron run, with the
        ESXi facts behind each answer (see esxistate.explain)."""
        from .explain import explain

        return explain(self.snapshot(), path, self._history, key=self._tpm_key)

    @query("compare two moments")
    def diff(self, a: Any, b: Any = None) -> Any:
        """Files added, changed, removed, branched and persisted between two events or snapshots (b: now)."""
        from .explain import diff

        return diff(a, self.snapshot() if b is None else b)

    def shell(self, command: str) -> str:
        """Run an ESXi shell command line and return what it prints (errors included, never a traceback).
        The session keeps its working directory between calls. InvalidValue if `command` is not text."""
        boundary.check_shell_line(command)
        if self._shell is None:
            from .shell import Shell

            self._shell = Shell(self)
        return self._shell.run(command)

    @query("take a snapshot")
    def snapshot(self) -> HostSnapshot:
        """The host now, as an immutable value."""
        fs = self._fs
        return HostSnapshot(
            version=self._version,
            build=image.VERSIONS[self._version].build,
            hostname=self.hostname,
            clock=self._clock,
            powered_on=fs is not None,
            stateless=self._stateless,
            tardisks=fs.tardisks if fs is not None else (),
            ramdisks=fs.ramdisks if fs is not None else (),
            banks=tuple(self._banks),
            booted=self._booted,
            vibs=self.vibs,
            reboot_required=self._reboot_required,
            boot_device=self._boot_device,
        )

    def __repr__(self) -> str:
        power = "on" if self.powered_on else "off"
        kind = "stateless " if self._stateless else ""
        return f"Host(ESXi {self._version}, {kind}powered {power}, {self._clock:%Y-%m-%d %H:%M})"

    # -- history and atomicity ------------------------------------------------------------------------------------

    def _record(
        self, kind: EventKind | str, summary: str, paths: tuple[str, ...] = (), details: dict | None = None
    ) -> Event:
        kind = EventKind(kind)  # an unknown kind is a bug here, not a student's error: ValueError names it
        snap = self.snapshot()
        info = details or {}
        why_text, facts = why.for_event(kind, info, snap)
        cited = f" ({', '.join(facts)})" if facts else ""
        event = Event(kind, self._clock, summary, snap, paths, info, why_text + cited if why_text else "", facts)
        self._history.append(event)
        return event

    def _checkpoint(self) -> _Checkpoint:
        fs_state = self._fs.save() if self._fs is not None else None
        kept = {name: getattr(self, name) for name in _KEPT}
        kept = {name: list(v) if isinstance(v, list) else v for name, v in kept.items()}  # the lists change in place
        return _Checkpoint(fs_state, len(self._history), kept)

    def _rollback(self, cp: _Checkpoint, fs: VisorFS | None) -> None:
        if cp.fs_state is not None and fs is not None:
            fs.load(cp.fs_state)
            self._fs = fs
        else:
            self._fs = None
        for name, value in cp.kept.items():
            setattr(self, name, value)
        if len(self._history) > cp.history_len:  # a new list: a `History` read before keeps the events it showed
            self._history = self._history[: cp.history_len]

    @contextlib.contextmanager
    def _atomic(self, operation: str = "change the host") -> Iterator[None]:
        """All or nothing: on any exception the host goes back to how it was, then a typed error is raised. An
        EsxiStateError is raised as it is (unless it says ESXi itself left a mark, `host_changed`, see BootFailed);
        any other exception is a bug and becomes InternalError, which says so. Ctrl-C (KeyboardInterrupt) also puts
        the host back, then stops as Python does."""
        cp = self._checkpoint()
        fs = self._fs
        try:
            yield
        except EsxiStateError as err:
            if not err.host_changed:
                self._rollback(cp, fs)
            raise
        except Exception as err:
            self._rollback(cp, fs)
            raise InternalError(operation, err) from err
        except BaseException:
            self._rollback(cp, fs)
            raise

    def _require_on(self, doing: str) -> VisorFS:
        if self._fs is None:
            raise HostPoweredOff(doing)
        return self._fs

    # -- power ------------------------------------------------------------------------------------------------------

    @operation("boot")
    def boot(self, *, rollback: bool = False, slow_boot_device: bool = False) -> list[Event]:
        """Power on: safeboot picks a bank (F5-F8), mboot loads boot.cfg's modules in order, tardisks are mounted
        (F39), ramdisks made (F29) and state.tgz's local.tgz is restored with its `.#` twins (F38, F25).
        `slow_boot_device=True`: the device is claimed too late, so /bootbank and /altbootbank point to /tmp (F47).
        BootFailed when a new image's first try cannot load: the host stays off with that bank DIRTY, and the next
        boot falls back to the other bank (F6)."""
        boundary.check_bool("rollback", rollback)
        boundary.check_bool("slow_boot_device", slow_boot_device)
        if self._fs is not None:
            raise HostPoweredOn("boot")
        start = len(self._history)
        with self._atomic():
            boot.power_on(self, rollback=rollback, slow_boot_device=slow_boot_device)
        return self._history[start:]

    @operation("shut down")
    def shutdown(self) -> BackupResult:
        """Orderly shutdown: services stop, then `/bin/backup.sh 1` runs unconditionally (F13, F22), and when an
        upgrade is staged the config is written to the altbootbank too (F20). Then the power goes off."""
        self._require_on("shut down")
        with self._atomic():
            result = backup.backup_sh(self, "shutdown", is_shutdown=True)
            self._power_off("shutdown", "orderly shutdown complete: ramdisks released")
        return result

    @operation("reboot")
    def reboot(self, *, rollback: bool = False, slow_boot_device: bool = False) -> list[Event]:
        """Orderly reboot: shutdown (with its backup) then boot. Returns the events of both. When the boot fails
        the whole reboot is undone, except BootFailed (a new image's first try): the host then stays off (F6)."""
        boundary.check_bool("rollback", rollback)
        boundary.check_bool("slow_boot_device", slow_boot_device)
        start = len(self._history)
        with self._atomic():
            self.shutdown()
            self.boot(rollback=rollback, slow_boot_device=slow_boot_device)
        return self._history[start:]

    @operation("cut the power")
    def power_loss(self) -> Event:
        """Pull the plug: no backup runs (F23); everything on the ramdisks is gone."""
        self._require_on("cut its power")
        lost = sum(r.used for r in self._fs.ramdisks) if self._fs else 0
        return self._power_off("power-loss", f"power lost: no backup ran; {lost} bytes on the ramdisks are gone")

    def _power_off(self, kind: str, summary: str) -> Event:
        self._fs = None
        self._vibs = ()
        event = self._record(kind, summary)
        self._boot_device = bootdevice.OK  # a power cycle brings a lost or slow device back (F47)
        return event

    # -- the clock and cron -------------------------------------------------------------------------------------------

    @operation("move the clock")
    def advance(self, hours: float = 0, minutes: float = 0) -> list[Event]:
        """Move the simulated clock on. While the host runs, crond runs root's crontab
        (/var/spool/cron/crontabs/root, F12): auto-backup.sh at minute 1 of every hour, which backs up only when
        a file to save changed (F14). Other crontab lines are not simulated."""
        end = self._clock + boundary.check_duration(self._clock, hours, minutes)
        start = len(self._history)
        runs, count = cron.run_until(self, end)
        self._clock = end
        listed = tuple(f"{t:%H:%M} {outcome}" for t, outcome in runs)
        summary = f"clock advanced to {end:%Y-%m-%d %H:%M}"
        if count:
            more = f", ... and {count - len(runs)} more" if count > len(runs) else ""
            summary += f"; cron ran auto-backup.sh {count} time(s): " + ", ".join(listed) + more
        # "cron" lists the runs in words for a reader; "cron_times" and "cron_outcomes" give each run's moment and
        # outcome ("backup", "nothing to save", "ALERT") as data, for code
        details = {
            "cron": listed,
            "cron_times": tuple(t for t, _outcome in runs),
            "cron_outcomes": tuple(outcome for _t, outcome in runs),
            "cron_runs": count,
        }
        self._record("clock", summary, (), details)
        return self._history[start:]

    # -- backups ------------------------------------------------------------------------------------------------------

    @operation("run auto-backup.sh")
    def backup(self, *, power_loss_after: str | None = None) -> BackupResult:
        """Run /sbin/auto-backup.sh by hand (F14, B9): back up only if a file to save changed or there is no
        state.tgz. `power_loss_after` names a step of `es.backup.STEPS` after which the power fails (a crash lab);
        if the backup is skipped, the power fails when the script ends."""
        boundary.check_step(power_loss_after)
        if power_loss_after is not None and power_loss_after not in backup.STEPS:
            raise UnknownBackupStep(power_loss_after, backup.STEPS)
        self._require_on("run auto-backup.sh")
        with self._atomic():
            result = backup.auto_backup(self, "manual", power_loss_after=power_loss_after)
            if power_loss_after is not None and self._fs is not None:
                self.power_loss()
        return result

    def _backup_sh(self, trigger: str, *, is_shutdown: bool, reason: str = "") -> BackupResult:
        """backup.sh itself, without auto-backup.sh's change check (the shell's /sbin/backup.sh, vim-cmd's
        sync_config): see esxistate.backup.backup_sh."""
        return backup.backup_sh(self, trigger, is_shutdown=is_shutdown, reason=reason)

    def _skip(self, trigger: str, reason: str, cause: str) -> BackupResult:
        return backup.skip(self, trigger, reason, cause)

    # -- hostd -------------------------------------------------------------------------------------------------------

    @operation("change a setting through hostd")
    def configure(self, setting: str, value: str) -> BackupResult:
        """A change made through hostd (vSphere Client, esxcli, PowerCLI): hostd rewrites the /etc files it owns and
        starts a backup right away, at most 6 an hour (F21, F44c). Returns that backup's result."""
        return hostd.configure(self, setting, value)

    @operation("change maintenance mode")
    def set_maintenance_mode(self, enabled: bool) -> Event | None:
        """Enter (`True`) or exit (`False`) maintenance mode, as `esxcli system maintenanceMode set -e` and
        `vim-cmd hostsvc/maintenance_mode_enter|exit` do. Returns the event, or None when the host already was in
        that mode. Simplifications: no VMs run here, so entering never waits for them; the mode is kept across
        reboots (hostd keeps it on a real host) and nothing here is refused because of it."""
        return hostd.set_maintenance_mode(self, enabled)

    # -- configuration bundles (F43) ------------------------------------------------------------------------------

    @property
    def uuid(self) -> str:
        """The host's system UUID, from /system/uuid in esx.conf."""
        return hostd.uuid(self)

    @operation("back up the configuration")
    def backup_config(self) -> str:
        """`vim-cmd hostsvc/firmware/backup_config`, as ESX67TREE bin/firmwareConfig.sh does it (F43): `backup.sh 0`
        into a staging directory (a fresh state.tgz there, /bootbank untouched; the run counts itself, F18), then
        Manifest.txt, packed as configBundle-<hostname>.tgz under /scratch/downloads/<uuid>/. Returns its path."""
        return hostd.backup_config(self)

    @operation("restore a configuration bundle")
    def restore_config(self, bundle: bytes, *, force: bool = False) -> list[Event]:
        """`vim-cmd hostsvc/firmware/restore_config`, as firmwareConfig.sh --restore does it (F43): refuse a bundle
        without Manifest.txt (InvalidBundle), from another release (MismatchedBundle, even forced) or another host
        (MismatchedBundle unless `force`); then write state.tgz, kernelopt=, useropts.gz and the modules line of
        /bootbank and `reboot -f`, without the shutdown backup that would overwrite them."""
        return hostd.restore_config(self, bundle, force=force)

    # -- VIBs and upgrades --------------------------------------------------------------------------------------------

    @operation("install a VIB")
    def install_vib(self, vib: Vib, *, live: bool = True, power_loss_after: str | None = None) -> VibResult:
        """`esxcli software vib install`: check conflicts (F30), write the new image to the altbootbank (F33); when
        live, mount the VIB's tardisk now and drop /var/run/update_altbootbank so backups follow the new image
        (F15); otherwise the VIB waits for a reboot. state.tgz is never touched: VIBs are not configuration (F32).
        BadVibName for a name boot.cfg cannot carry (F3, F11)."""
        return staging.install_vib(self, vib, live=live, power_loss_after=power_loss_after)

    @operation("remove a VIB")
    def remove_vib(self, name: str, *, live: bool = True) -> VibResult:
        """`esxcli software vib remove -n NAME`: the altbootbank gets the image without it (F33); live removal
        unmounts its tardisks now, revealing any copy they hid (F39)."""
        return staging.remove_vib(self, name, live=live)

    @operation("upgrade")
    def upgrade(self, version: str, *, power_loss_after: str | None = None) -> Event:
        """Stage a newer ESXi image on the altbootbank (bootstate=1, updated one higher, F33, F20) with a fresh backup
        of the running configuration (`backup.sh 0 /altbootbank`, F49). It boots at the next boot; the next orderly
        shutdown saves the configuration into it again (F20). `Host.versions()` lists the versions.

        An update within a major release (7.0 -> 7.0U3) can be rolled back with Shift+R (F45). The major upgrade
        from 6.x to 7.0 cannot: it re-lays the boot device's partitions (KB 1033604). We model that re-layout at the
        moment the new image's first boot is confirmed (DIRTY -> VALID): the 6.x bank is then emptied (`relayout`
        event). Before that, F6 still falls back to 6.x if the first boot never completes; Shift+R from 7.x to 6.x is
        refused with RollbackNotPossible at any time.

        Simplified: the new image holds only the new version's own VIBs, as `esxcli software profile install
        --ok-to-remove` leaves it; `profile update` would also keep add-on VIBs the new image does not replace."""
        return staging.upgrade(self, version, power_loss_after=power_loss_after)

    # -- the boot device (F47) ---------------------------------------------------------------------------------------

    @operation("lose the boot device")
    def lose_boot_device(self) -> Event:
        """The boot device stops answering while the host runs (KB 318611): from now on auto-backup.sh and the
        shutdown's backup.sh 1 raise `Bootbank cannot be found at path '/bootbank'` and save nothing. The next
        power-on finds the device as it was when it was lost (see esxistate.bootdevice). BootDeviceError on a
        stateless host, a device already lost, or one that was claimed late."""
        with self._atomic():
            return bootdevice.lose(self)

    @operation("restore the boot banks")
    def restore_bootbanks(self) -> Event:
        """`localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks` (KB 301134): point
        /bootbank and /altbootbank back to the boot bank volumes after a late claim. BootDeviceError when they
        already point there, when the device is lost, or on a stateless host."""
        with self._atomic():
            return bootdevice.restore(self)


def _check_clock(clock: object) -> None:
    """A demo host's clock: a datetime from 1970-01-02 (the install is dated a day earlier) up to the year 9998."""
    if not isinstance(clock, datetime):
        raise InvalidValue("clock", clock, "give a datetime, such as datetime(2026, 1, 12, 9, 0)")
    if not datetime(1970, 1, 2) <= clock.replace(tzinfo=None) < datetime(9999, 1, 1):
        raise InvalidValue("clock", clock, "give a moment from 1970-01-02 up to the end of year 9998")
