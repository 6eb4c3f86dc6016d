"""Host: an ESXi host you can power on, change, back up, crash and upgrade, with a simulated clock.

Everything here follows ESXI-FACTS.md: boot picks a bank (F5-F8), loads boot.cfg's modules in order and mounts the
tardisks (F10, F39), makes the ramdisks (F29), then unpacks state.tgz's local.tgz over the image (F38). Backups run
at orderly shutdown (F13), hourly from root's crontab (F12, F14), after hostd changes (F21, at most 6 an hour), and
by hand. A power loss skips the backup (F23). VIBs install live or at the next reboot through the altbootbank
(F33); upgrades stage a new image there (F20). Every change appends an `Event` with the `HostSnapshot` after it.

Every public operation either succeeds or raises an `EsxiStateError` and leaves the host as it was.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from . import archive, backup, bootdevice, boundary, configstore, cron, image, statearchive, tardisksdir, why
from .bootbank import BankState, BootBank, choose_bank
from .bootcfg import is_vmkernel_module
from .display import DrawsItself
from .entry import DIR, FILE, FileEntry
from .errors import (
    BadVibName,
    BaseImageVib,
    BootFailed,
    CorruptArchive,
    EsxiStateError,
    HostPoweredOff,
    HostPoweredOn,
    InternalError,
    InvalidValue,
    IsADirectory,
    LiveInstallNotAllowed,
    NoSuchFile,
    NotADirectory,
    RamdiskFull,
    ReadOnlyFile,
    UnknownBackupStep,
    UnknownSetting,
    UnknownStep,
    UnsafeArchive,
    UnsupportedVersion,
    VibConflict,
    VibError,
    VibNotInstalled,
)
from .events import Event, HostSnapshot
from .layers import Ramdisk, Resolution, Tardisk, norm
from .staging import LIVE_STEPS, STAGE_STEPS, staged_bank, write_steps
from .vib import Vib
from .visorfs import Change, VisorFS

__all__ = ["LIVE_STEPS", "SETTINGS", "STAGE_STEPS", "Host", "HostFS", "VibResult"]

BANK_LABELS = (("BOOTBANK1", 5), ("BOOTBANK2", 6))
UPDATE_MARKER = "/var/run/update_altbootbank"  # dropped by a live VIB install (F15, F33)
HOSTD_BACKUPS_PER_HOUR = 6  # F21
REBOOT_MESSAGE = (
    "The update completed successfully, but the system needs to be rebooted for the changes to be effective."
)
SETTINGS = ("hostname", "root-password", "ntp-server", "dns-server")
DEFAULT_CLOCK = datetime(2026, 1, 12, 9, 0, 0)
CRON_RUNS_LISTED = 200  # an event lists at most this many cron runs one by one; a longer advance gives the count
_F = TypeVar("_F", bound=Callable[..., Any])
_RAW = ("utf-8", "surrogateescape")  # file bytes as text and back, unchanged even when they are not UTF-8
_LAST: list[Host | None] = [None]  # the most recently created host, for `%esxi` without `es.use()`


def _sentences(messages: Sequence[str]) -> str:
    """Loader messages on one line: "; " between fragments, a space after one that already ends a sentence."""
    out = ""
    for message in messages:
        out += ((" " if out.endswith(".") else "; ") + message) if out else message
    return out


def _date(t: datetime) -> str:
    """What busybox `date` prints, e.g. `Mon Jan 12 09:00:00 UTC 2026`."""
    return f"{t:%a %b} {t.day:2d} {t:%H:%M:%S} UTC {t:%Y}"


def _epoch(t: datetime) -> int:
    return int(t.replace(tzinfo=timezone.utc).timestamp())


def _operation(what: str) -> Callable[[_F], _F]:
    """The boundary of a public operation that changes the host: it runs inside the host's all-or-nothing guard
    (Host._atomic), so it succeeds, or raises a typed error with the host as it was (InternalError for a bug)."""

    def wrap(method: _F) -> _F:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            host = self._host if isinstance(self, HostFS) else self
            with host._atomic(what):
                return method(self, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return wrap


def _query(what: str) -> Callable[[_F], _F]:
    """The boundary of a public operation that only reads: no checkpoint is needed, but an unexpected exception
    still surfaces as InternalError, never as a raw one."""

    def wrap(method: _F) -> _F:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except EsxiStateError:
                raise
            except Exception as err:
                raise InternalError(what, err) from err

        return guarded  # type: ignore[return-value]

    return wrap


@dataclass(frozen=True, slots=True)
class VibResult:
    """What `esxcli software vib install/remove` reports."""

    message: str
    reboot_required: bool
    installed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    action: str = "Installation"  # esxcli's heading: "Installation Result" or "Removal Result"

    def __str__(self) -> str:
        return (
            f"{self.action} Result\n"
            f"   Message: {self.message}\n"
            f"   Reboot Required: {str(self.reboot_required).lower()}\n"
            f"   VIBs Installed: {', '.join(self.installed)}\n"
            f"   VIBs Removed: {', '.join(self.removed)}\n"
            f"   VIBs Skipped: {', '.join(self.skipped)}\n"
        )


class HostFS:
    """`host.fs`: the running host's file system as a shell user sees it.

    Paths under /bootbank and /altbootbank show the boot bank files (read-only here: only backup.sh and the image
    tools write them in this simulator). Every change is recorded in the host's history.
    """

    def __init__(self, host: Host) -> None:
        self._host = host

    # -- reading --------------------------------------------------------------------------------------------------

    def _fs(self, doing: str) -> VisorFS:
        return self._host._require_on(doing)

    def _bank_path(self, path: str) -> tuple[BootBank, str] | None:
        return bootdevice.bank_path(self._host, path)  # through /bootbank, /altbootbank or /vmfs/volumes (F47)

    @_query("read a file")
    def read(self, path: str) -> bytes:
        boundary.check_path(path)
        fs = self._fs(f"read {path}")
        mounted = tardisksdir.entry(self._host, path)  # /tardisks: the decompressed modules (F46)
        if mounted is not None:
            if mounted.is_dir:
                raise IsADirectory(norm(path))
            return mounted.data
        hit = self._bank_path(path)
        if hit is not None:
            bank, name = hit
            if name in bank.files:
                return bank.files[name]
            if not name or any(f.startswith(name + "/") for f in bank.files):
                raise IsADirectory(norm(path))
            raise NoSuchFile(norm(path))
        return fs.read(path)

    @_query("read a file")
    def read_text(self, path: str) -> str:
        return self.read(path).decode("utf-8", "replace")

    @_query("look for a file")
    def exists(self, path: str) -> bool:
        boundary.check_path(path)
        fs = self._fs(f"look for {path}")
        if bootdevice.virtual_dir(self._host, path) is not None:
            return True
        if tardisksdir.entry(self._host, path) is not None:
            return True
        try:
            hit = self._bank_path(path)
        except NoSuchFile:
            return False  # a dangling /bootbank (lost boot device, F47)
        if hit is not None:
            bank, name = hit
            return not name or name in bank.files or any(f.startswith(name + "/") for f in bank.files)
        return fs.exists(path)

    @_query("stat a file")
    def stat(self, path: str) -> FileEntry:
        boundary.check_path(path)
        fs = self._fs(f"stat {path}")
        if bootdevice.virtual_dir(self._host, path) is not None:
            return FileEntry(DIR, 0o755)
        mounted = tardisksdir.entry(self._host, path)
        if mounted is not None:
            return mounted
        hit = self._bank_path(path)
        if hit is not None:
            bank, name = hit
            if name in bank.files:
                return FileEntry(FILE, 0o755, bank.files[name], 0, 0, _epoch(self._host.clock))
            if self.exists(path):
                return FileEntry(DIR, 0o755)
            raise NoSuchFile(norm(path))
        return fs.entry(norm(path))

    @_query("list a directory")
    def listdir(self, path: str) -> list[str]:
        boundary.check_path(path)
        fs = self._fs(f"list {path}")
        names = bootdevice.virtual_dir(self._host, path)
        if names is not None:
            return names
        mounted = tardisksdir.entry(self._host, path)
        if mounted is not None:
            if not mounted.is_dir:
                raise NotADirectory(norm(path))
            return tardisksdir.names(self._host)
        hit = self._bank_path(path)
        if hit is not None:
            bank, name = hit
            prefix = name + "/" if name else ""
            names = {f[len(prefix) :].split("/", 1)[0] for f in bank.files if f.startswith(prefix)}
            if not names and name:
                if name in bank.files:
                    raise NotADirectory(norm(path))
                raise NoSuchFile(norm(path))
            return sorted(names)
        names = fs.listdir(path)
        if norm(path) == "/":
            names = sorted({*names, *bootdevice.root_names(self._host)})
            names = sorted({*names, tardisksdir.MOUNT[1:]})  # /tardisks lists the mounted tardisks (F46)
        return names

    def lstat(self, path: str) -> FileEntry:
        """Like `stat`, but a symbolic link (/bootbank, /altbootbank, /vmfs/volumes/BOOTBANK1) is the link itself,
        as `ls -l` of its directory shows it (F47)."""
        boundary.check_path(path)
        self._fs(f"stat {path}")
        link = bootdevice.lstat(self._host, path)
        return link if link is not None else self.stat(path)

    @_query("resolve a path")
    def resolve(self, path: str) -> Resolution:
        boundary.check_path(path)
        return self._fs(f"resolve {path}").resolve(path)

    @property
    def layers(self) -> tuple[Tardisk | Ramdisk, ...]:
        return self._fs("list the layers").layers

    @_query("find a ramdisk")
    def owner(self, path: str) -> str:
        boundary.check_path(path)
        return self._fs(f"find the ramdisk of {path}").owner(path)

    # -- changing -------------------------------------------------------------------------------------------------

    def _guard_bank(self, path: str) -> None:
        if self._bank_path(path) is not None:
            raise ReadOnlyFile(norm(path), "boot bank files are written only by backup.sh and the image tools here")
        if isinstance(path, str) and (norm(path) + "/").startswith(tardisksdir.MOUNT + "/"):
            raise ReadOnlyFile(norm(path), "/tardisks lists the mounted tardisks; the image tools mount them (F46)")

    def write(self, path: str, data: bytes | str, *, append: bool = False, mode: int | None = None) -> Change:
        """Write a file (str is encoded as UTF-8). Branches a tardisk file onto its ramdisk (F27). `mode` is the
        permission bits as a number (0o644); RamdiskFull when the ramdisk has no room or no free inode (F28)."""
        host = self._host
        boundary.check_path(path)
        boundary.check_bool("append", append)
        boundary.check_mode(mode, optional=True)
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise InvalidValue("a file's content", data, "write text (str) or bytes")
        if isinstance(data, str):
            try:
                body = data.encode()
            except UnicodeEncodeError:
                raise InvalidValue(
                    "a file's content", boundary.printable(data[:40]), "text with a lone surrogate: give bytes"
                ) from None
        else:
            body = bytes(data)
        try:
            return self._write(path, body, append, mode)
        except RamdiskFull as err:  # hostd logs it (F28), and the log entry stays though nothing was written
            host._record("ramdisk-full", str(err).split(" (")[0], (err.path,), {"ramdisk": err.ramdisk})
            raise

    @_operation("write a file")
    def _write(self, path: str, body: bytes, append: bool, mode: int | None) -> Change:
        host = self._host
        fs = self._fs(f"write {path}")
        self._guard_bank(path)
        if len(path) > 1 and path.endswith("/"):  # `echo x > /etc/hosts/`
            p = norm(path)
            raise NotADirectory(p) if fs.exists(p) and not fs.entry(p).is_dir else IsADirectory(p)
        change = fs.write(path, body, now=_epoch(host.clock), append=append, mode=mode)
        host._record_change(change)
        return change

    @_operation("delete a file")
    def delete(self, path: str) -> Change:
        boundary.check_path(path)
        fs = self._fs(f"delete {path}")
        self._guard_bank(path)
        change = fs.delete(path)
        self._host._record_change(change, whiteout=fs.resolve(change.path).deleted)
        return change

    @_operation("make a directory")
    def mkdir(self, path: str, mode: int = 0o755) -> Change:
        boundary.check_path(path)
        boundary.check_mode(mode)
        fs = self._fs(f"create {path}")
        self._guard_bank(path)
        change = fs.mkdir(path, now=_epoch(self._host.clock), mode=mode)
        self._host._record_change(change)
        return change

    @_operation("remove a directory")
    def rmdir(self, path: str) -> Change:
        boundary.check_path(path)
        fs = self._fs(f"remove {path}")
        self._guard_bank(path)
        change = fs.rmdir(path)
        self._host._record_change(change, whiteout=fs.resolve(change.path).deleted)
        return change

    @_operation("change a file's mode")
    def chmod(self, path: str, mode: int) -> Change:
        boundary.check_path(path)
        boundary.check_mode(mode)
        fs = self._fs(f"chmod {path}")
        self._guard_bank(path)
        change = fs.chmod(path, mode, now=_epoch(self._host.clock))
        self._host._record_change(change)
        return change

    def __repr__(self) -> str:
        return "HostFS()"


@dataclass
class _Checkpoint:
    fs_state: Any
    banks: list[BootBank]
    booted: int | None
    vibs: tuple[Vib, ...]
    powered: bool
    clock: datetime
    version: str
    reboot_required: bool
    hostd_backups: list[datetime] = field(default_factory=list)
    pid: int = 0
    history_len: int = 0
    boot_device: str = bootdevice.OK
    maintenance: bool = False
    secure: bool = False


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
        if version not in image.VERSIONS:
            raise UnsupportedVersion(version, cls.versions())
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
        installed = clock - timedelta(days=1)
        uuid = "5ff2a1c4-" + hashlib.sha256(hostname.encode()).hexdigest()[:4] + "-b1e2-0c29-000c29a1b2c3"
        local = image.install_state(img, hostname=hostname, uuid=uuid, mtime=_epoch(installed))
        if version.startswith("7"):
            store = configstore.initial_store(hostname=hostname, mtime=_epoch(installed))
            local.append(
                (backup.CONFIGSTORE_BACKUP.lstrip("/"), FileEntry(FILE, 0o644, store, 0, 0, _epoch(installed)))
            )
        state = host._wrap_state(local, _epoch(installed))
        modules = {m: img.files[m] for m in img.modules}
        modules["imgdb.tgz"] = image.imgdb_tgz(img.vibs, build=img.spec.build, mtime=_epoch(installed))
        modules["state.tgz"] = state
        bank1 = BootBank.with_image("BOOTBANK1", 5, img.boot_config(updated=1, bootstate=0), modules)
        bank1 = replace(bank1, vibs=img.vibs)
        host._banks = [bank1, BootBank.empty("BOOTBANK2", 6)]
        return host

    @staticmethod
    def versions() -> tuple[str, ...]:
        """The ESXi versions `Host.demo` and `upgrade` offer, oldest first: ('6.7', '7.0', '7.0U3')."""
        return tuple(sorted(image.VERSIONS, key=image.version_key))

    def _wrap_state(self, local: list[tuple[str, FileEntry]], mtime: int) -> bytes:
        local_tgz, state_tgz = statearchive.build_state_tgz(local, mtime=mtime)
        if self._secure:
            return statearchive.build_encrypted_state_tgz(local_tgz, key=self._tpm_key, mtime=mtime)
        return state_tgz

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
    def history(self) -> list[Event]:
        return list(self._history)

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
        data = None
        if self._fs is not None:
            hit = self._fs.lookup("/etc/vmware/esx.conf")
            data = hit.data if hit is not None else None
        else:
            data = self._saved_esx_conf()
        m = re.search(rb'^/adv/Misc/HostName = "([^"]*)"', data or b"", re.M)
        # esx.conf is bytes anyone may write: a name that is not UTF-8 shows with U+FFFD marks
        return m.group(1).decode("utf-8", "replace") if m else "localhost"

    def _saved_esx_conf(self) -> bytes | None:
        """esx.conf as the default bank's state.tgz holds it (None: no bank, no state.tgz, or it cannot be read)."""
        bank = self._next_bank()
        if bank is None or "state.tgz" not in bank.files:
            return None
        try:
            saved = statearchive.StateArchive.from_bytes(bank.files["state.tgz"])
            if saved.encrypted:
                return None
            entry = saved.files.get("etc/vmware/esx.conf")
        except EsxiStateError:
            return None
        return entry.data if entry is not None else None

    def _default_bank_index(self) -> int:
        try:
            return choose_bank(self._banks).index
        except EsxiStateError:
            return 0

    def _next_bank(self) -> BootBank | None:
        if self._stateless or not self._banks:
            return None
        return self._banks[self._default_bank_index()]

    @_query("explain a path")
    def explain(self, path: str) -> Any:
        """Where `path` comes from and whether it survives a reboot, a power loss and the next cron run, with the
        ESXi facts behind each answer (see esxistate.explain)."""
        from .explain import explain

        return explain(self.snapshot(), path, self._history, key=self._tpm_key)

    @_query("compare two moments")
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

    @_query("take a snapshot")
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

    def _record(self, kind: str, summary: str, paths: tuple[str, ...] = (), details: dict | None = None) -> Event:
        snap = self.snapshot()
        info = details or {}
        why_text, facts = why.for_event(kind, info, snap)
        cited = f" ({', '.join(facts)})" if facts else ""
        event = Event(kind, self._clock, summary, snap, paths, info, why_text + cited if why_text else "", facts)
        self._history.append(event)
        return event

    def _record_change(self, c: Change, whiteout: bool = False) -> Event:
        base = {"change": c, "ramdisk": c.ramdisk, "from": c.branched_from, "twin": c.twin, "whiteout": whiteout}
        if c.op == "write":
            if c.branched_from:
                twin = f"; kept the original as {c.twin} (sticky file: the next backup saves it)" if c.twin else ""
                return self._record(
                    "branch",
                    f"{c.path} branched from tardisk {c.branched_from} onto the {c.ramdisk} ramdisk{twin}",
                    (c.path,),
                    base,
                )
            verb = "created" if c.created else "changed"
            twin = f"; kept the original as {c.twin}" if c.twin else ""
            return self._record("write", f"{c.path} {verb} on the {c.ramdisk} ramdisk{twin}", (c.path,), base)
        if c.op == "chmod":
            mode = oct(self._fs.entry(c.path).mode) if self._fs else ""
            where = f" (branched from {c.branched_from})" if c.branched_from else ""
            return self._record("chmod", f"{c.path} mode set to {mode}{where}", (c.path,), base)
        words = {"delete": "deleted", "mkdir": "created (directory)", "rmdir": "removed (directory)"}
        return self._record(c.op, f"{c.path} {words.get(c.op, c.op)} on the {c.ramdisk} ramdisk", (c.path,), base)

    def _checkpoint(self) -> _Checkpoint:
        fs_state = None
        if self._fs is not None:
            fs_state = self._fs.save()
        return _Checkpoint(
            fs_state,
            list(self._banks),
            self._booted,
            self._vibs,
            self._fs is not None,
            self._clock,
            self._version,
            self._reboot_required,
            list(self._hostd_backups),
            self._pid,
            len(self._history),
            boot_device=self._boot_device,
            maintenance=self._maintenance,
            secure=self._secure,
        )

    def _rollback(self, cp: _Checkpoint, fs: VisorFS | None) -> None:
        if cp.powered and fs is not None:
            fs.load(cp.fs_state)
            self._fs = fs
        else:
            self._fs = None
        self._banks = cp.banks
        self._booted = cp.booted
        self._vibs = cp.vibs
        self._clock = cp.clock
        self._version = cp.version
        self._reboot_required = cp.reboot_required
        self._hostd_backups = cp.hostd_backups
        self._pid = cp.pid
        self._boot_device = cp.boot_device
        self._maintenance = cp.maintenance
        self._secure = cp.secure
        del self._history[cp.history_len :]

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

    @_operation("boot")
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
            if self._stateless:
                self._boot_stateless()
            else:
                self._boot_from_bank(rollback)
            if slow_boot_device:
                bootdevice.claim_late(self)
        return self._history[start:]

    def _boot_from_bank(self, rollback: bool) -> None:
        choice = choose_bank(self._banks, rollback=rollback)
        first_try = self._banks[choice.index].state is BankState.UPGRADING  # safeboot just wrote DIRTY (F6)
        if not first_try:
            self._load_bank(choice)
            return
        checkpoint = self._checkpoint()
        try:
            self._load_bank(choice)
        except Exception as err:
            self._fail_first_try(checkpoint, choice, err)

    def _fail_first_try(self, checkpoint: _Checkpoint, choice: Any, err: Exception) -> None:
        """The new image could not be loaded on its first try. Safeboot wrote bootstate=2 (DIRTY) before it loaded
        anything, and a failed load cannot take that back: the host stays off with the mark on disk, so the next boot
        turns DIRTY into INVALID and falls back to the other bank (F6)."""
        self._rollback(checkpoint, None)
        self._banks = list(choice.banks)
        bank = self._banks[choice.index]
        why_text = str(err) if isinstance(err, EsxiStateError) else f"{type(err).__name__}: {err}"
        why_text = boundary.printable(why_text).rstrip(".")
        try:
            nxt = choose_bank(self._banks)
            fallback = nxt.banks[nxt.index].label if nxt.index != choice.index else None
        except EsxiStateError:
            fallback = None
        self._record(
            "boot-failed",
            f"the boot loader could not load {bank.label} on its first try ({why_text}); {bank.label} stays DIRTY, "
            "so the next boot marks it INVALID" + (f" and boots {fallback}" if fallback else ""),
            (),
            {"bank": bank.label, "fallback": fallback},
        )
        raise BootFailed(bank.label, why_text, fallback) from err

    def _load_bank(self, choice: Any) -> None:
        bank = choice.banks[choice.index]
        config = bank.boot_config()  # mboot: BadBootConfig if it cannot boot from this boot.cfg (F2)
        missing = [m for m in [config.kernel, *config.modules] if m not in bank.files]
        if missing:
            raise NoSuchFile(f"/{bank.label.lower()}/{missing[0]}")
        tardisks = []
        for module in config.modules:
            if is_vmkernel_module(module):
                continue
            try:
                tardisks.append(Tardisk.from_bytes(module, bank.files[module], system=module != "state.tgz"))
            except UnsafeArchive as err:
                if err.archive or err.member is None:
                    raise
                raise UnsafeArchive(err.member, err.why, f"module {module} on {bank.label}") from None
        self._banks = list(choice.banks)
        self._booted = choice.index
        self._version = _version_of(bank.build)
        # F36: the first boot of a 7.0 U2+ image encrypts the configuration; a rollback to an older image reads and
        # writes the plain local.tgz its bank holds.
        self._secure = self._secure_asked or image.encrypts_config(self._version)
        self._record(
            "bootloader",
            _sentences(choice.messages),
            (),
            {"bank": bank.label, "rolled_back": choice.rolled_back, "messages": choice.messages},
        )
        self._start_system(config.kernel, list(config.modules), tardisks, bank)

    def _boot_stateless(self) -> None:
        img = self._network_image
        assert img is not None
        config = img.boot_config(updated=1, bootstate=0, with_state=False)
        files = dict(img.files)
        files["imgdb.tgz"] = image.imgdb_tgz(img.vibs, build=img.spec.build, mtime=_epoch(self._clock))
        tardisks = [Tardisk.from_bytes(m, files[m]) for m in config.modules if not is_vmkernel_module(m)]
        self._record(
            "bootloader",
            "PXE boot from Auto Deploy: the image comes over the network; there is no boot bank and no state.tgz (F41)",
            (),
            {"bank": None},
        )
        fake = BootBank.with_image("network", 0, config, files)
        self._start_system(config.kernel, list(config.modules), tardisks, replace(fake, vibs=img.vibs))

    def _start_system(self, kernel: str, modules: list[str], tardisks: list[Tardisk], bank: BootBank) -> None:
        vmkernel = [kernel] + [m for m in modules if is_vmkernel_module(m)]
        fs = VisorFS()
        self._fs = fs
        self._vibs = bank.vibs
        self._reboot_required = False
        self._hostd_backups = []  # hostd starts afresh with the host
        self._record(
            "vmkernel",
            f"loaded {len(vmkernel)} VMkernel-side modules ({', '.join(vmkernel[:5])}, ...): they run in the "
            "kernel and are not files",
            (),
            {"modules": tuple(vmkernel)},
        )
        for td in tardisks:
            fs.mount(td)
        self._record(
            "tardisks",
            f"decompressed and mounted {len(tardisks)} tardisks read-only in boot.cfg order, {tardisks[0].name} "
            f"first and {tardisks[-1].name} last (a later tardisk hides an earlier one's copy of a path)",
            (),
            {"tardisks": tuple(t.name for t in tardisks)},
        )
        for spec in image.ramdisk_specs(self._version):
            fs.add_ramdisk(spec, now=_epoch(self._clock))
        self._record(
            "ramdisks",
            "created ramdisks " + ", ".join(f"{r.name} ({r.mount})" for r in fs.ramdisks),
            (),
            {"ramdisks": tuple(r.name for r in fs.ramdisks)},
        )
        self._restore_state(fs)
        if self._booted is not None:
            booted = self._banks[self._booted]
            if booted.state is BankState.DIRTY:
                self._banks[self._booted] = booted.with_config(booted.config.with_bootstate(0))
                self._record(
                    "boot-complete",
                    f"boot succeeded: {booted.label} confirmed (bootstate DIRTY -> VALID)",
                    (),
                    {"bank": booted.label},
                )
                self._relayout(booted)
                return
        self._record("boot-complete", f"ESXi {self._version} is up", (), {})

    def _relayout(self, booted: BootBank) -> None:
        """F45 (KB 1033604): the 6.x -> 7.0 upgrade re-lays the boot device's partitions. Modelled when the 7.x image
        is confirmed: the other bank's 6.x image is gone (the bank is empty and remembers the build it held)."""
        assert self._booted is not None
        other = self._banks[1 - self._booted]
        if not (image.major(booted.build) >= 7 and 0 < image.major(other.build) < 7):
            return
        self._banks[1 - self._booted] = replace(BootBank.empty(other.label, other.partition), relaid_build=other.build)
        self._record(
            "relayout",
            f"the 6.x -> 7.0 upgrade re-laid the boot device's partitions: {other.label} no longer holds ESXi "
            f"{other.build}, so Shift+R can never go back to 6.x (KB 1033604)",
            (),
            {"bank": other.label, "removed_build": other.build},
        )

    def _restore_state(self, fs: VisorFS) -> None:
        state_td = next((t for t in fs.tardisks if t.name == "state.tgz"), None)
        if state_td is None:
            self._record("restore", "no state.tgz among the modules: /etc is the image's own (nothing restored)")
            return
        try:
            if "/local.tgz.ve" in state_td.members:
                state_bytes = self._banks[self._booted].files["state.tgz"] if self._booted is not None else b""
                local_tgz = statearchive.decrypt_state_for_simulation(state_bytes, self._tpm_key)
                source = "local.tgz.ve (decrypted with the key sealed by the TPM)"
            else:
                local_tgz = state_td.members["/local.tgz"].data
                source = "local.tgz"
            members = archive.read_members(local_tgz, name="local.tgz")
        except (KeyError, CorruptArchive, UnsafeArchive) as err:
            self._record("restore", f"state.tgz could not be read ({err}); booting with the image's /etc")
            return
        restored = []
        skipped: list[str] = []
        for rel, entry in members.items():
            if entry.kind != FILE:
                continue
            path = "/" + rel
            try:
                boundary.check_path(path)
                below = fs.lookup(norm(path))
                if below is not None and below.kind == DIR:
                    raise IsADirectory(norm(path))
                old = below.data if below is not None and below.kind == FILE else b""
                twin = old if rel.startswith("etc/") else None
                fs.restore(path, entry, twin_data=twin)
            except EsxiStateError as err:  # tar goes on past a member it cannot write, and so does the boot
                skipped.append(f"{boundary.printable(path)} ({err.errno_text or err})")
                continue
            restored.append(path)
        if self._version.startswith("7") and fs.exists(backup.CONFIGSTORE_BACKUP):
            store = fs.entry(backup.CONFIGSTORE_BACKUP)
            fs.restore(backup.CONFIGSTORE_RUNTIME, store, twin_data=None)
        elif self._version.startswith("7"):
            data = configstore.initial_store(hostname=self.hostname, mtime=_epoch(self._clock))
            fs.restore(
                backup.CONFIGSTORE_RUNTIME, FileEntry(FILE, 0o644, data, 0, 0, _epoch(self._clock)), twin_data=None
            )
        not_written = f"; {len(skipped)} could not be written: {', '.join(skipped[:5])}" if skipped else ""
        self._record(
            "restore",
            f"unpacked {source} from state.tgz: {len(restored)} files restored onto the ramdisks, each /etc file "
            f"with its .# twin so it stays persisted{not_written}",
            tuple(restored),
            {"files": tuple(restored), "encrypted": "local.tgz.ve" in source, "skipped": tuple(skipped)},
        )

    @_operation("shut down")
    def shutdown(self) -> BackupResult:
        """Orderly shutdown: services stop, then `/bin/backup.sh 1` runs unconditionally (F13, F22), and when an
        upgrade is staged the config is written to the altbootbank too (F20). Then the power goes off."""
        self._require_on("shut down")
        with self._atomic():
            result = self._backup_sh("shutdown", is_shutdown=True)
            self._power_off("shutdown", "orderly shutdown complete: ramdisks released")
        return result

    @_operation("reboot")
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

    @_operation("cut the power")
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

    @_operation("move the clock")
    def advance(self, hours: float = 0, minutes: float = 0) -> list[Event]:
        """Move the simulated clock on. While the host runs, crond runs root's crontab
        (/var/spool/cron/crontabs/root, F12): auto-backup.sh at minute 1 of every hour, which backs up only when
        a file to save changed (F14). Other crontab lines are not simulated."""
        end = self._clock + boundary.check_duration(self._clock, hours, minutes)
        start = len(self._history)
        runs: list[str] = []
        count = 0
        schedule = self._cron_schedule()
        t = self._clock
        while self._fs is not None and (t := cron.next_run(schedule, t, end)) is not None:
            self._clock = t
            before = self._fingerprint()
            result = self._auto_backup("cron")
            idle = "ALERT" if result.reason == bootdevice.ALERT else "nothing to save"
            outcome = "backup" if not result.skipped else idle
            count += 1
            if len(runs) < CRON_RUNS_LISTED:
                runs.append(f"{t:%H:%M} {outcome}")
            after = self._fingerprint()
            if result.skipped and len(after) == len(before) and all(x is y for x, y in zip(after, before, strict=True)):
                # nothing changed, so every later run finds the same: count them without running them
                rest = _count_runs(schedule, t, end)
                count += rest
                runs += [f"{r:%H:%M} {outcome}" for r in _first_runs(schedule, t, end, CRON_RUNS_LISTED - len(runs))]
                break
        self._clock = end
        summary = f"clock advanced to {end:%Y-%m-%d %H:%M}"
        if count:
            more = f", ... and {count - len(runs)} more" if count > len(runs) else ""
            summary += f"; cron ran auto-backup.sh {count} time(s): " + ", ".join(runs) + more
        self._record("clock", summary, (), {"cron": tuple(runs), "cron_runs": count})
        return self._history[start:]

    def _fingerprint(self) -> tuple:
        """What a cron run could change, compared by identity: frozen ramdisks and banks are new objects after any
        change, so an equal fingerprint means the run left the host as it found it."""
        fs = self._fs
        return (
            len(self._history),
            self._boot_device,
            self._pid,
            *self._banks,
            *(fs.ramdisks if fs is not None else ()),
            *(fs.tardisks if fs is not None else ()),
        )

    def _cron_schedule(self) -> list[tuple[str, str, str, str, str]]:
        if self._fs is None:
            return []
        hit = self._fs.lookup("/var/spool/cron/crontabs/root")
        if hit is None or hit.kind != FILE:
            return []
        return cron.entries(hit.data.decode("utf-8", "replace"))

    # -- backups ------------------------------------------------------------------------------------------------------

    @_operation("run auto-backup.sh")
    def backup(self, *, power_loss_after: str | None = None) -> backup.BackupResult:
        """Run /sbin/auto-backup.sh by hand (F14, B9): back up only if a file to save changed or there is no
        state.tgz. `power_loss_after` names a step of `es.backup.STEPS` after which the power fails (a crash lab);
        if the backup is skipped, the power fails when the script ends."""
        boundary.check_step(power_loss_after)
        if power_loss_after is not None and power_loss_after not in backup.STEPS:
            raise UnknownBackupStep(power_loss_after, backup.STEPS)
        self._require_on("run auto-backup.sh")
        with self._atomic():
            result = self._auto_backup("manual", power_loss_after=power_loss_after)
            if power_loss_after is not None and self._fs is not None:
                self.power_loss()
        return result

    def _auto_backup(self, trigger: str, power_loss_after: str | None = None) -> backup.BackupResult:
        if self._stateless:
            return self._skip(
                trigger, "Bootbank cannot be found at path '/bootbank' (PXE-booted hosts are not backed up, F41)"
            )
        if self._boot_device != bootdevice.OK:
            return bootdevice.auto_backup(self, trigger)  # the alert, or a "backup" into /tmp (F47)
        fs = self._fs
        bank = self.bootbank
        assert fs is not None and bank is not None
        if bank.has_state:
            # auto-backup.sh unpacks state.tgz and its local.tgz into /tmp/auto-backup.<pid> to compare (F14)
            try:
                state = bank.files["state.tgz"]
                unpacked = len(state) + sum(len(b) for b in backup.archived_files(state, self._tpm_key).values())
            except EsxiStateError:
                unpacked = 0
            if unpacked > fs.ramdisk("tmp").free:
                return self._skip(trigger, "Unable to extract system configuration.  Are you out of disk space?")
        needed, why = backup.needs_backup(fs, bank, self._version, self._tpm_key, encrypt=self._secure)
        if not needed:
            return self._skip(trigger, why)
        return self._backup_sh(trigger, is_shutdown=False, power_loss_after=power_loss_after, reason=why)

    def _skip(self, trigger: str, reason: str) -> backup.BackupResult:
        result = backup.BackupResult(trigger, True, reason)
        if trigger != "cron":
            who = {"hostd": "hostd did not start a backup", "shutdown": "/bin/backup.sh 1 (shutdown)"}
            self._record(
                "backup-skipped", f"{who.get(trigger, f'auto-backup.sh ({trigger})')}: {reason}", (), {"result": result}
            )
        return result

    def _target(self) -> tuple[int, str]:
        """F15: /altbootbank when a live install left its marker and the altbootbank is VALID, else /bootbank."""
        assert self._booted is not None and self._fs is not None
        alt = 1 - self._booted
        if self._fs.exists(UPDATE_MARKER) and len(self._banks) > 1 and self._banks[alt].state is BankState.VALID:
            return alt, "/altbootbank"
        return self._booted, "/bootbank"

    def _backup_sh(
        self, trigger: str, *, is_shutdown: bool, power_loss_after: str | None = None, reason: str = ""
    ) -> backup.BackupResult:
        if self._stateless:
            return self._skip(trigger, "Bootbank cannot be found at path '/bootbank' (F41)")
        if self._boot_device != bootdevice.OK:
            return bootdevice.backup_sh(self, trigger, is_shutdown=is_shutdown, reason=reason)  # F47
        fs = self._fs
        assert fs is not None and self._booted is not None
        paths = backup.files_to_save(fs, self._version)
        if trigger == "hostd":
            hour_ago = self._clock - timedelta(hours=1)
            self._hostd_backups = [t for t in self._hostd_backups if t > hour_ago]
            if len(self._hostd_backups) >= HOSTD_BACKUPS_PER_HOUR:
                return self._skip(
                    trigger,
                    f"hostd already started {HOSTD_BACKUPS_PER_HOUR} backups in the last "
                    "hour; this change waits for the hourly cron run",
                )
            self._hostd_backups.append(self._clock)
        now = _epoch(self._clock)
        self._count_run(fs, now)
        if not paths:
            return self._skip(trigger, "no file under /etc has a .# twin: nothing to save, nothing written")
        local_tgz, state_tgz = self._fresh_state(fs, paths)
        index, target = self._target()
        self._pid += 1
        pid = self._pid
        lock = f"/tmp/{target.strip('/')}.lck"
        done: list[str] = []
        lines: list[str] = []
        for step, bank, line in backup.bank_steps(self._banks[index], local_tgz, state_tgz, pid):
            self._banks[index] = bank
            if step == "lock":
                try:
                    fs.write(lock, f"{pid}\n".encode(), now=now)
                except RamdiskFull:  # a full /tmp: `echo $$ > lock` fails and the script goes on, as with F18's counter
                    line = f"sh: can't create {lock}: No space left on device"
            elif step == "unlock" and fs.exists(lock):
                fs.delete(lock)
            done.append(step)
            lines.append(f"{step}: {line}")
            if step == power_loss_after:
                break
        also: list[str] = []
        interrupted = power_loss_after if power_loss_after in done else None
        if is_shutdown and interrupted is None:
            alt = 1 - self._booted
            staged = self._banks[alt]
            booted = self._banks[self._booted]
            if (
                alt != index
                and staged.config is not None
                and staged.updated > booted.updated
                and staged.state in (BankState.VALID, BankState.UPGRADING)
            ):
                for _step, bank, _line in backup.bank_steps(staged, local_tgz, state_tgz, pid):
                    staged = bank
                self._banks[alt] = staged
                also.append("/altbootbank")
        result = backup.BackupResult(
            trigger,
            False,
            reason or ("shutdown: backup.sh 1 saves unconditionally" if is_shutdown else "backup.sh 0"),
            target,
            self._banks[index].label,
            tuple(paths),
            len(local_tgz),
            len(state_tgz),
            tuple(done),
            interrupted,
            tuple(also),
        )
        script = "/bin/backup.sh 1" if is_shutdown else "/sbin/backup.sh 0"
        extra = f" and {', '.join(also)}" if also else ""
        if interrupted and "rename_state" not in done:
            summary = (
                f"{script} ({trigger}) had chosen {len(paths)} files for local.tgz inside {target}/state.tgz; POWER "
                f"LOST after step {interrupted}, before the rename: state.tgz is unchanged"
            )
        else:
            cut = f"; POWER LOST after step {interrupted}, after the rename" if interrupted else ""
            summary = (
                f"{script} ({trigger}) saved {len(paths)} files into local.tgz inside {target}/state.tgz{extra}{cut}"
            )
        self._record(
            "backup",
            summary,
            tuple(paths),
            {"result": result, "steps": tuple(lines), "bank": self._banks[index].label},
        )
        if interrupted:
            self.power_loss()
        return result

    def _count_run(self, fs: VisorFS, now: int) -> None:
        """Every backup.sh run counts itself in /etc/vmware/.backup.counter before it saves (F18). The script writes it
        with `echo > file`: when that fails (a full etc ramdisk) the shell says so and the script goes on."""
        counter = fs.lookup(backup.COUNTER_FILE)
        with contextlib.suppress(EsxiStateError):
            fs.write(backup.COUNTER_FILE, backup.count_run(counter and counter.data, _date(self._clock)), now=now)

    # -- hostd -------------------------------------------------------------------------------------------------------

    @_operation("change a setting through hostd")
    def configure(self, setting: str, value: str) -> backup.BackupResult:
        """A change made through hostd (vSphere Client, esxcli, PowerCLI): hostd rewrites the /etc files it owns and
        starts a backup right away, at most 6 an hour (F21, F44c). Returns that backup's result."""
        if not isinstance(setting, str) or setting not in SETTINGS:
            raise UnknownSetting(setting, SETTINGS)
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise InvalidValue(setting, value, "give one non-empty line")
        if setting == "hostname" and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})", value):
            raise InvalidValue(setting, value, "a host name has letters, digits and dashes, at most 63")
        if setting in ("ntp-server", "dns-server") and not re.fullmatch(r"[A-Za-z0-9.:-]+", value):
            raise InvalidValue(setting, value, "give a host name or an IP address")
        fs = self._require_on(f"change {setting}")
        with self._atomic():
            for path, body in self._setting_edits(fs, setting, value):
                self.fs.write(path, body)
            self._record(
                "configure",
                f"hostd changed {setting} to {value if setting != 'root-password' else '***'}",
                (),
                {"setting": setting},
            )
            result = self._backup_sh("hostd", is_shutdown=False, reason=f"hostd saved the {setting} change")
        return result

    def _setting_edits(self, fs: VisorFS, setting: str, value: str) -> list[tuple[str, bytes]]:
        def text(path: str) -> str:  # bytes that are not UTF-8 pass through unchanged (surrogateescape, below)
            hit = fs.lookup(path)
            return hit.data.decode(*_RAW) if hit is not None and hit.kind == FILE else ""

        now = _epoch(self._clock)
        edits: list[tuple[str, bytes]] = []
        store_change: tuple[str, str, str, str, dict] | None
        if setting == "hostname":
            conf = re.sub(
                r'^/adv/Misc/HostName = ".*"$',
                f'/adv/Misc/HostName = "{value}"',
                text("/etc/vmware/esx.conf"),
                flags=re.M,
            )
            edits.append(("/etc/vmware/esx.conf", conf.encode(*_RAW)))
            old = self.hostname
            hosts = "".join(
                re.sub(rf"\b{re.escape(old)}\b", value, line) if not line.startswith(("#", "127.", "::1")) else line
                for line in text("/etc/hosts").splitlines(keepends=True)
            )
            edits.append(("/etc/hosts", hosts.encode(*_RAW)))
            store_change = None  # before 8.0 the host name and addresses live in esx.conf, not ConfigStore (F35)
        elif setting == "root-password":
            edits.append(("/etc/shadow", image.set_root_hash(text("/etc/shadow"), value).encode(*_RAW)))
            store_change = (
                "esx",
                "authentication",
                "user_accounts",
                "root",
                {"name": "root", "password_hash": image.shadow_hash(value)},
            )
        elif setting == "ntp-server":
            lines = [ln for ln in text("/etc/ntp.conf").splitlines() if not ln.startswith("server ")]
            edits.append(("/etc/ntp.conf", ("\n".join([*lines, f"server {value}"]) + "\n").encode(*_RAW)))
            store_change = ("esx", "time", "ntp", "", {"server": [value]})
        else:
            lines = [ln for ln in text("/etc/resolv.conf").splitlines() if not ln.startswith("nameserver ")]
            edits.append(("/etc/resolv.conf", ("\n".join([*lines, f"nameserver {value}"]) + "\n").encode(*_RAW)))
            store_change = None  # network settings: esx.conf and resolv.conf on 7.0 (F35)
        if store_change and self._version.startswith("7") and fs.exists(backup.CONFIGSTORE_RUNTIME):
            store = configstore.set_value(fs.read(backup.CONFIGSTORE_RUNTIME), *store_change, now)
            edits.append((backup.CONFIGSTORE_RUNTIME, store))
        return edits

    @_operation("change maintenance mode")
    def set_maintenance_mode(self, enabled: bool) -> Event | None:
        """Enter (`True`) or exit (`False`) maintenance mode, as `esxcli system maintenanceMode set -e` and
        `vim-cmd hostsvc/maintenance_mode_enter|exit` do. Returns the event, or None when the host already was in
        that mode. Simplifications: no VMs run here, so entering never waits for them; the mode is kept across
        reboots (hostd keeps it on a real host) and nothing here is refused because of it."""
        if not isinstance(enabled, bool):
            raise InvalidValue("maintenance mode", enabled, "give True (enter) or False (exit)")
        self._require_on("change maintenance mode")
        if enabled == self._maintenance:
            return None
        self._maintenance = enabled
        return self._record(
            "maintenance-mode",
            "the host entered maintenance mode" if enabled else "the host exited maintenance mode",
            (),
            {"enabled": enabled},
        )

    # -- configuration bundles (F43) ------------------------------------------------------------------------------

    @property
    def uuid(self) -> str:
        """The host's system UUID, from /system/uuid in esx.conf."""
        fs = self._require_on("read its UUID")
        hit = fs.lookup("/etc/vmware/esx.conf")
        m = re.search(rb'^/system/uuid = "([^"]*)"', hit.data if hit is not None else b"", re.M)
        return m.group(1).decode("utf-8", "replace") if m else ""

    @_operation("back up the configuration")
    def backup_config(self) -> str:
        """`vim-cmd hostsvc/firmware/backup_config`, as ESX67TREE bin/firmwareConfig.sh does it (F43): `backup.sh 0`
        into a staging directory (a fresh state.tgz there, /bootbank untouched; the run counts itself, F18), then
        Manifest.txt, packed as configBundle-<hostname>.tgz under /scratch/downloads/<uuid>/. Returns its path."""
        fs = self._require_on("back up its configuration")
        if self._stateless:
            raise VibError("A stateless host keeps no state.tgz to bundle (F41).")
        bootdevice.require_device(self, "back up the configuration")
        from .configbundle import build_bundle

        with self._atomic():
            now = _epoch(self._clock)
            paths = backup.files_to_save(fs, self._version)
            self._count_run(fs, now)
            state = self._fresh_state(fs, paths)[1] if paths else None
            bank = self.bootbank
            assert bank is not None
            data = build_bundle(
                uuid=self.uuid,
                build=bank.build,
                state_tgz=state,
                mtime=now,
                kernelopt=bank.boot_config().kernelopt,
                jumpstrt=bank.files.get("jumpstrt.gz"),
            )
            folder = f"/scratch/downloads/{self.uuid}"
            for d in ("/scratch", "/scratch/downloads", folder):
                if not self.fs.exists(d):
                    self.fs.mkdir(d)
            path = f"{folder}/configBundle-{self.hostname}.tgz"
            self.fs.write(path, data)
            self._record(
                "backup-config",
                f"firmwareConfig.sh --backup: backup.sh 0 saved {len(paths)} files into a staging directory, not "
                f"/bootbank; Manifest.txt and state.tgz packed as {path}",
                tuple(paths),
            )
        return path

    @_operation("restore a configuration bundle")
    def restore_config(self, bundle: bytes, *, force: bool = False) -> list[Event]:
        """`vim-cmd hostsvc/firmware/restore_config`, as firmwareConfig.sh --restore does it (F43): refuse a bundle
        without Manifest.txt (InvalidBundle), from another release (MismatchedBundle, even forced) or another host
        (MismatchedBundle unless `force`); then write state.tgz, kernelopt=, useropts.gz and the modules line of
        /bootbank and `reboot -f`, without the shutdown backup that would overwrite them."""
        from .configbundle import ConfigBundle, release_level, restore_onto
        from .errors import MismatchedBundle

        bundle = boundary.check_bundle(bundle)
        boundary.check_bool("force", force)
        self._require_on("restore a configuration")
        bootdevice.require_device(self, "restore a configuration")
        parsed = ConfigBundle.from_bytes(bundle)
        bank = self.bootbank
        assert bank is not None and self._booted is not None
        if parsed.release_level != release_level(bank.build):
            raise MismatchedBundle("release level", parsed.release_level, release_level(bank.build))
        if parsed.uuid != self.uuid and not force:
            raise MismatchedBundle("UUID", parsed.uuid, self.uuid)
        start = len(self._history)
        with self._atomic():
            self._banks[self._booted] = restore_onto(bank, parsed)
            self._record(
                "restore-config",
                f"configuration bundle restored into {bank.label}: state.tgz, kernelopt=, useropts.gz; reboot -f",
            )
            self._power_off("reboot", "rebooting to apply the restored configuration (no shutdown backup)")
            self.boot()
        return self._history[start:]

    # -- VIBs and upgrades --------------------------------------------------------------------------------------------

    def _staging_base(self) -> BootBank:
        """The image a new change starts from: an image already staged on the altbootbank, else the bootbank."""
        assert self._booted is not None
        bootdevice.require_device(self, "write a new image to the altbootbank")  # F47
        boot = self._banks[self._booted]
        alt = self._banks[1 - self._booted]
        if (
            alt.config is not None
            and alt.updated > boot.updated
            and alt.state in (BankState.VALID, BankState.UPGRADING)
        ):
            return alt
        return boot

    def _stage(
        self, vibs: tuple[Vib, ...], *, bootstate: int, build: str | None = None, img: image.Image | None = None
    ) -> tuple[BootBank, bytes]:
        """The new altbootbank (see esxistate.staging, F33) with a fresh state.tgz of the running configuration, as
        `/sbin/backup.sh 0 /altbootbank` writes it (F49); returns it with the local.tgz inside."""
        assert self._booted is not None and self._fs is not None
        boot = self._banks[self._booted]
        base = self._staging_base()
        label, partition = BANK_LABELS[1 - self._booted]
        now = _epoch(self._clock)
        local_tgz, state_tgz = self._fresh_state(self._fs)
        staged = staged_bank(
            base,
            vibs,
            label=label,
            partition=partition,
            updated=boot.updated + 1,
            bootstate=bootstate,
            build=build or base.build,
            imgdb=image.imgdb_tgz(vibs, build=build or base.build, mtime=now),
            state_tgz=state_tgz,
            image_config=img.boot_config(updated=boot.updated + 1, bootstate=bootstate) if img else None,
            image_files=img.files if img else None,
        )
        return staged, local_tgz

    def _fresh_state(self, fs: VisorFS, paths: Sequence[str] | None = None) -> tuple[bytes, bytes]:
        """(local.tgz, state.tgz) of the running configuration, as backup.sh builds them (F16, F17, F36)."""
        now = _epoch(self._clock)
        chosen = backup.files_to_save(fs, self._version) if paths is None else paths
        members = backup.local_members(fs, chosen)
        local_tgz, state_tgz = statearchive.build_state_tgz(members, mtime=now)
        if self._secure:
            state_tgz = statearchive.build_encrypted_state_tgz(local_tgz, key=self._tpm_key, mtime=now)
        return local_tgz, state_tgz

    def _write_altbootbank(self, staged: tuple[BootBank, bytes], power_loss_after: str | None) -> bool:
        """Write the staged bank over the altbootbank in STAGE_STEPS order (esxistate.staging); False when power was
        lost on the way (the bank is then INVALID, or complete if boot.cfg was already written)."""
        assert self._booted is not None
        alt_index = 1 - self._booted
        bank, local_tgz = staged
        self._pid += 1  # backup.sh 0 /altbootbank runs as a process of its own (F49)
        for step, written in write_steps(self._banks[alt_index], bank, local_tgz, self._pid):
            self._banks[alt_index] = written
            if step == power_loss_after:
                self._record("staging", f"altbootbank write interrupted after {step}", (), {"step": step})
                self.power_loss()
                return False
        return True

    def _check_step(self, step: str | None, steps: tuple[str, ...], what: str) -> None:
        if step is not None and step not in steps:
            raise UnknownStep(step, steps, what)

    @_operation("install a VIB")
    def install_vib(self, vib: Vib, *, live: bool = True, power_loss_after: str | None = None) -> VibResult:
        """`esxcli software vib install`: check conflicts (F30), write the new image to the altbootbank (F33); when
        live, mount the VIB's tardisk now and drop /var/run/update_altbootbank so backups follow the new image
        (F15); otherwise the VIB waits for a reboot. state.tgz is never touched: VIBs are not configuration (F32).
        BadVibName for a name boot.cfg cannot carry (F3, F11)."""
        if not isinstance(vib, Vib):
            raise InvalidValue("install_vib", vib, "give a VIB, e.g. es.Vib.build('lab-motd', '1.0', {...})")
        boundary.check_bool("live", live)
        boundary.check_step(power_loss_after)
        _check_vib_name(vib)
        for path in vib.files:  # paths a file system can store; the renderers and the export print them
            boundary.check_path(path)
        fs = self._require_on(f"install VIB {vib.name}")
        if self._stateless:
            raise VibError(
                "This host is stateless (Auto Deploy): it gets its VIBs from its image profile at every boot, "
                "so nothing can be installed on it."
            )
        current = self._vibs
        same = next((v for v in current if v.name == vib.name), None)
        if same is not None and same.version == vib.version:
            return VibResult("Host is not changed.", False, skipped=(same.id,))
        if live and not vib.live_install:
            raise LiveInstallNotAllowed(vib.name)
        if live and self._pending_upgrade():
            raise LiveInstallNotAllowed(vib.name, "install while a staged image waits for its reboot: reboot first")
        self._check_step(power_loss_after, LIVE_STEPS if live else STAGE_STEPS, "a VIB install")
        mine = set(vib.files)
        if not vib.overlay:
            for other in current:
                if other.name == vib.name:
                    continue
                clash = sorted(mine.intersection(other.files))
                if clash:
                    raise VibConflict(vib.id, other.id, clash)
        with self._atomic():
            base = self._staging_base()
            taken = set(base.files) | {m for v in current for _p, m in v.modules}
            if same is not None:
                taken -= {m for _p, m in same.modules}
            placed = vib.with_modules(taken, f"{self._clock:%Y-%m-%d}")
            kept = tuple(v for v in self._staging_vibs() if v.name != vib.name)
            staged = self._stage((*kept, placed), bootstate=0 if live else 1)
            removed = (same.id,) if same is not None else ()
            if not self._write_altbootbank(staged, power_loss_after):
                return VibResult(f"Power was lost after {power_loss_after}.", True)
            if live:
                if same is not None:
                    for _p, m in same.modules:
                        if any(t.name == m for t in fs.tardisks):
                            fs.unmount(m)
                for p in placed.tardisk_payloads:
                    fs.mount(Tardisk.from_bytes(placed.module_of(p.name), p.data))
                if power_loss_after == "mount_tardisk":
                    self.power_loss()
                    return VibResult("Power was lost after mount_tardisk.", True)
                fs.write(UPDATE_MARKER, b"", now=_epoch(self._clock))
                if power_loss_after == "write_marker":
                    self.power_loss()
                    return VibResult("Power was lost after write_marker.", True)
                self._vibs = (*tuple(v for v in current if v.name != vib.name), placed)
                msg = "Operation finished successfully."
                self._record(
                    "vib-install",
                    f"VIB {placed.id} installed live: tardisk {', '.join(m for _p, m in placed.modules)} mounted on "
                    "top now (listed in /tardisks); the new image is staged on /altbootbank (bootstate=0), where "
                    "backups now go",
                    tuple(placed.files),
                    {"vib": placed.name, "modules": placed.modules, "live": True},
                )
            else:
                self._reboot_required = True
                msg = REBOOT_MESSAGE
                self._record(
                    "vib-install",
                    f"VIB {placed.id} staged on /altbootbank (bootstate=1): it is mounted at the next reboot",
                    tuple(placed.files),
                    {"vib": placed.name, "modules": placed.modules, "live": False},
                )
        return VibResult(msg, not live, installed=(placed.id,), removed=removed)

    def _pending_upgrade(self) -> bool:
        """A reboot-only change (bootstate=1) is staged: esxcli refuses live changes until that reboot. (Background
        knowledge, not in the facts file: we assume esximage's pending-reboot check.)"""
        alt = self.altbootbank
        return (
            alt is not None
            and alt.state is BankState.UPGRADING
            and alt.updated > (self.bootbank.updated if self.bootbank else 0)
        )

    def _staging_vibs(self) -> tuple[Vib, ...]:
        return self._staging_base().vibs

    @_operation("remove a VIB")
    def remove_vib(self, name: str, *, live: bool = True) -> VibResult:
        """`esxcli software vib remove -n NAME`: the altbootbank gets the image without it (F33); live removal
        unmounts its tardisks now, revealing any copy they hid (F39)."""
        boundary.check_text("a VIB name", name)
        boundary.check_bool("live", live)
        fs = self._require_on(f"remove VIB {name}")
        vib = next((v for v in self._vibs if v.name == name), None)
        if vib is None:
            raise VibNotInstalled(name)
        if vib.base:
            raise BaseImageVib(vib.id) if not self._version.startswith("6") else _dependency_error(vib, self._vibs)
        if live and not vib.live_remove:
            raise LiveInstallNotAllowed(name, "remove")
        if live and self._pending_upgrade():
            raise LiveInstallNotAllowed(name, "remove while a staged image waits for its reboot: reboot first")
        with self._atomic():
            kept = tuple(v for v in self._staging_vibs() if v.name != name)
            staged = self._stage(kept, bootstate=0 if live else 1)
            self._write_altbootbank(staged, None)
            if live:
                for _p, m in vib.modules:
                    if any(t.name == m for t in fs.tardisks):
                        fs.unmount(m)
                fs.write(UPDATE_MARKER, b"", now=_epoch(self._clock))
                self._vibs = tuple(v for v in self._vibs if v.name != name)
                msg = "Operation finished successfully."
                self._record(
                    "vib-remove",
                    f"VIB {vib.id} removed live: its tardisk is unmounted (gone from /tardisks) and the copies it "
                    "hid show again",
                    tuple(vib.files),
                    {"vib": name, "live": True},
                )
            else:
                self._reboot_required = True
                msg = REBOOT_MESSAGE
                self._record(
                    "vib-remove",
                    f"VIB {vib.id} removal staged on /altbootbank (bootstate=1): it goes at the next reboot",
                    tuple(vib.files),
                    {"vib": name, "live": False},
                )
        return VibResult(msg, not live, removed=(vib.id,), action="Removal")

    @_operation("upgrade")
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
        boundary.check_text("a version", version)
        boundary.check_step(power_loss_after)
        fs = self._require_on(f"upgrade to {version}")
        if self._stateless:
            raise VibError("This host is stateless (Auto Deploy): it boots whatever image Auto Deploy serves.")
        newer = image.newer_than(self._version)  # 6.7 < 7.0 < 7.0U3 (image.version_key)
        if version not in image.VERSIONS:
            raise UnsupportedVersion(version, newer or ("(none newer)",))
        if version not in newer:
            raise UnsupportedVersion(
                version,
                newer,
                f"This host already runs ESXi {self._version}; an upgrade needs a newer version"
                + (f": {', '.join(newer)}." if newer else ", and none is simulated."),
            )
        del fs
        self._check_step(power_loss_after, STAGE_STEPS, "an upgrade")
        img = image.demo_image(version)
        with self._atomic():
            staged = self._stage(img.vibs, bootstate=1, build=img.spec.build, img=img)
            if not self._write_altbootbank(staged, power_loss_after):
                return self._history[-1]
            self._reboot_required = True
            bank = staged[0]
            relayout = image.major(version) >= 7 > image.major(self._version)
            event = self._record(
                "upgrade",
                f"ESXi {img.spec.build} written to /altbootbank ({bank.label}, bootstate=1 UPGRADING, "
                f"updated={bank.updated}) with the running configuration (backup.sh 0 /altbootbank): it boots next "
                "time" + ("; this 6.x -> 7.0 upgrade cannot be rolled back (KB 1033604)" if relayout else ""),
                (),
                {"bank": bank.label, "build": img.spec.build, "major_upgrade": relayout},
            )
        return event

    # -- the boot device (F47) ---------------------------------------------------------------------------------------

    @_operation("lose the boot device")
    def lose_boot_device(self) -> Event:
        """The boot device stops answering while the host runs (KB 318611): from now on auto-backup.sh and the
        shutdown's backup.sh 1 raise `Bootbank cannot be found at path '/bootbank'` and save nothing. The next
        power-on finds the device as it was when it was lost (see esxistate.bootdevice). BootDeviceError on a
        stateless host, a device already lost, or one that was claimed late."""
        with self._atomic():
            return bootdevice.lose(self)

    @_operation("restore the boot banks")
    def restore_bootbanks(self) -> Event:
        """`localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks` (KB 301134): point
        /bootbank and /altbootbank back to the boot bank volumes after a late claim. BootDeviceError when they
        already point there, when the device is lost, or on a stateless host."""
        with self._atomic():
            return bootdevice.restore(self)


def _version_of(build: str) -> str:
    for v, spec in image.VERSIONS.items():
        if spec.build == build:
            return v
    return build.split(".")[0] + "." + build.split(".")[1] if build.count(".") >= 1 else build


_MODULE_NAME = re.compile(r"[A-Za-z0-9_.+-]+")


def _check_vib_name(vib: Vib) -> None:
    """Refuse a VIB whose module file names boot.cfg cannot carry (F3, F11): the modules= line separates a name from
    its options at the first blank and modules at `---`; boot bank files are FAT names in ASCII. The rule we apply:
    a VIB name and its module names use only ASCII letters, digits and . _ + -, with no `---`."""
    name = vib.name
    if not isinstance(name, str) or not name:
        raise BadVibName(str(name), "a VIB needs a name")
    if not _MODULE_NAME.fullmatch(name) or "---" in name:
        bad = next((ch for ch in name if not _MODULE_NAME.fullmatch(ch)), "---")
        shown = {" ": "a blank", "\t": "a tab"}.get(bad, repr(bad).encode("utf-8", "backslashreplace").decode())
        raise BadVibName(
            name,
            f"it holds {shown}; boot.cfg's modules= line separates module names with blanks and '---', so use only "
            "ASCII letters, digits and . _ + - (F3, F11)",
        )


def _first_runs(schedule: cron.Schedule, after: datetime, end: datetime, n: int) -> list[datetime]:
    out: list[datetime] = []
    t: datetime | None = after
    while len(out) < n and (t := cron.next_run(schedule, t, end)) is not None:
        out.append(t)
    return out


def _count_runs(schedule: cron.Schedule, after: datetime, end: datetime) -> int:
    return cron.count_runs(schedule, after, end)


BackupResult = backup.BackupResult


def _dependency_error(vib: Vib, installed: Sequence[Vib]) -> BaseImageVib:
    """6.x has no base image (F48): removing a core VIB fails esximage's dependency check. esx-ui's descriptor
    requires `esx-version >= 5.0.0`, which esx-base provides (ESX67TREE var/db/esximg/vibs/esx-ui-*.xml); for the
    other core VIBs we name esx-base as the VIB that needs them (our reconstruction)."""
    ui = next((v for v in installed if v.name == "esx-ui"), None)
    if vib.name == "esx-base" and ui is not None:
        return BaseImageVib(vib.id, required_by=ui.id, requirement="esx-version >= 5.0.0")
    others = [v for v in installed if v.name != vib.name]
    needs = next((v for v in others if v.name == "esx-base"), others[0] if others else vib)
    return BaseImageVib(vib.id, required_by=needs.id, requirement=vib.name)
