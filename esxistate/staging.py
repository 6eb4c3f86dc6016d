"""Staging: how the image tools write a new image to the altbootbank, one step at a time.

A VIB install or removal and an upgrade all end the same way (F33): the altbootbank gets a copy of the current
image with the VIB set changed (or a whole new image), a new imgdb.tgz, a state.tgz, and last a boot.cfg with
`updated=` one higher than the bootbank's. The state.tgz is a FRESH backup: esxupdate runs
`/sbin/backup.sh 0 /altbootbank` and only then writes the new boot.cfg (F49), so sticky /etc edits that no backup
had saved yet reach the new bank and survive a power cut after the install. The bank is marked INVALID first and
boot.cfg comes last, so a power cut at any step leaves either the old bank booting or the new image complete (F5).

Simplified: the modules are written in one step and the order of the first three steps is our reconstruction;
F49's log shows only that backup.sh runs before boot.cfg is written.

The second half of this module is `esxcli software vib install/remove` and the upgrade on a running host: what
they refuse, which image a change starts from (an image already staged on the altbootbank wins, F20), and the
live part (mounting or unmounting tardisks, the /var/run/update_altbootbank marker, F15).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import backup, bootdevice, boundary, image
from .bootbank import BankState, BootBank, _set_state, staged_is_newer
from .bootcfg import BootConfig
from .clock import epoch
from .errors import (
    BadVibName,
    BaseImageVib,
    InvalidValue,
    LiveInstallNotAllowed,
    StatelessHost,
    UnknownStep,
    UnsupportedVersion,
    VibConflict,
    VibNotInstalled,
)
from .events import Event
from .layers import Tardisk
from .vib import Vib
from .visorfs import VisorFS

if TYPE_CHECKING:
    from .host import Host

__all__ = [
    "LIVE_STEPS",
    "REBOOT_MESSAGE",
    "STAGE_STEPS",
    "VibResult",
    "check_vib_name",
    "install_vib",
    "invalidated",
    "remove_vib",
    "staged_bank",
    "staging_base",
    "upgrade",
    "write_steps",
]

STAGE_STEPS: tuple[str, ...] = (
    "invalidate_altbootbank",  # mark the altbootbank INVALID first, so a half-written bank never boots
    "write_modules",  # copy the module files of the new image
    "write_imgdb",  # imgdb.tgz describing the new VIB set
    "backup_altbootbank",  # /sbin/backup.sh 0 /altbootbank: the running configuration into the new bank (F49)
    "write_bootcfg",  # boot.cfg last: from here the new image is complete and bootable
)
LIVE_STEPS: tuple[str, ...] = (*STAGE_STEPS, "mount_tardisk", "write_marker")  # live changes touch the running system
BANK_LABELS = (("BOOTBANK1", 5), ("BOOTBANK2", 6))
REBOOT_MESSAGE = (
    "The update completed successfully, but the system needs to be rebooted for the changes to be effective."
)


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


def invalidated(bank: BootBank) -> BootBank:
    """The bank with bootstate=3 written in place: safeboot ignores it from now on (F5)."""
    return _set_state(bank, BankState.INVALID)


def staged_bank(
    base: BootBank,
    vibs: tuple[Vib, ...],
    *,
    label: str,
    partition: int,
    updated: int,
    bootstate: int,
    build: str,
    imgdb: bytes,
    state_tgz: bytes | None,
    image_config: BootConfig | None = None,
    image_files: Mapping[str, bytes] | None = None,
) -> BootBank:
    """The complete new altbootbank (F33): the base bank's modules for the kept VIBs plus the new ones (or a whole
    new image's modules and boot.cfg), imgdb.tgz, the fresh state.tgz, and boot.cfg with `updated`/`bootstate`."""
    if image_config is not None and image_files is not None:
        files = dict(image_files)
        order = [m for m in image_config.modules if m in files]
        config_src = image_config
    else:
        assert base.config is not None
        files = {}
        keep_modules = {m for v in vibs for _p, m in v.modules}
        order = [m for m in base.config.modules if m in keep_modules]
        for m in [*order, base.config.kernel]:
            files[m] = base.files[m]
        new = [m for v in vibs for _p, m in v.modules if m not in order and m != base.config.kernel]
        for v in vibs:
            for p in v.payloads:
                files.setdefault(dict(v.modules)[p.name], p.data)
        order += new
        config_src = base.config
    modules = [*order, "imgdb.tgz"]
    files["imgdb.tgz"] = imgdb
    if state_tgz is not None:
        files["state.tgz"] = state_tgz
        modules.append("state.tgz")
    config = config_src.with_modules(modules).with_updated(updated).with_bootstate(bootstate).with_build(build)
    return replace(BootBank.with_image(label, partition, config, files), vibs=vibs)


def write_steps(alt: BootBank, staged: BootBank, local_tgz: bytes, pid: int) -> list[tuple[str, BootBank]]:
    """The altbootbank after each of STAGE_STEPS while `staged` is written over `alt`. Until the last step the bank
    holds the old boot.cfg marked INVALID (or none), so safeboot never boots a half-written image (F5, F33)."""
    if alt.config is not None or "boot.cfg" in alt.files:
        alt = invalidated(alt)
    after: list[tuple[str, BootBank]] = [("invalidate_altbootbank", alt)]
    skip = ("boot.cfg", "imgdb.tgz", "state.tgz")
    modules = {n: b for n, b in staged.files.items() if n not in skip}
    keep = {"boot.cfg": alt.files["boot.cfg"]} if "boot.cfg" in alt.files else {}
    partial = BootBank(staged.label, staged.partition, MappingProxyType({**modules, **keep}), None)
    bank = replace(partial, config=alt.config, relaid_build=alt.relaid_build)  # no bootable image there yet (F45)
    after.append(("write_modules", bank))
    bank = bank.replace_files({"imgdb.tgz": staged.files["imgdb.tgz"]})
    after.append(("write_imgdb", bank))
    state_tgz = staged.files.get("state.tgz")
    if state_tgz is not None:  # backup.sh 0 /altbootbank, with its own temp-name-and-rename steps (F17, F49)
        for _step, written, _line in backup.bank_steps(bank, local_tgz, state_tgz, pid):
            bank = written
    after.append(("backup_altbootbank", bank))
    after.append(("write_bootcfg", staged))
    return after


# -- the image tools on a running host -----------------------------------------------------------------------------


def staging_base(host: Host) -> BootBank:
    """The image a new change starts from: an image already staged on the altbootbank, else the bootbank."""
    assert host._booted is not None
    bootdevice.require_device(host, "write a new image to the altbootbank")  # F47
    boot = host._banks[host._booted]
    alt = host._banks[1 - host._booted]
    return alt if staged_is_newer(alt, boot) else boot


def stage(
    host: Host, vibs: tuple[Vib, ...], *, bootstate: int, build: str | None = None, img: image.Image | None = None
) -> tuple[BootBank, bytes]:
    """The new altbootbank (F33) with a fresh state.tgz of the running configuration, as
    `/sbin/backup.sh 0 /altbootbank` writes it (F49); returns it with the local.tgz inside."""
    assert host._booted is not None and host._fs is not None
    boot = host._banks[host._booted]
    base = staging_base(host)
    label, partition = BANK_LABELS[1 - host._booted]
    now = epoch(host._clock)
    local_tgz, state_tgz = backup.fresh_state(host, host._fs)
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


def write_altbootbank(host: Host, staged: tuple[BootBank, bytes], power_loss_after: str | None) -> bool:
    """Write the staged bank over the altbootbank in STAGE_STEPS order; False when power was
    lost on the way (the bank is then INVALID, or complete if boot.cfg was already written)."""
    assert host._booted is not None
    alt_index = 1 - host._booted
    bank, local_tgz = staged
    host._pid += 1  # backup.sh 0 /altbootbank runs as a process of its own (F49)
    for step, written in write_steps(host._banks[alt_index], bank, local_tgz, host._pid):
        host._banks[alt_index] = written
        if step == power_loss_after:
            host._record("staging", f"altbootbank write interrupted after {step}", (), {"step": step})
            host.power_loss()
            return False
    return True


def check_step(step: str | None, steps: tuple[str, ...], what: str) -> None:
    """UnknownStep unless `step` is None or one of the operation's `steps` (fault injection)."""
    if step is not None and step not in steps:
        raise UnknownStep(step, steps, what)


def install_vib(host: Host, vib: Vib, *, live: bool = True, power_loss_after: str | None = None) -> VibResult:
    """What `Host.install_vib` does (see there): refuse what esxcli refuses, then stage the image with the VIB and,
    when live, mount its tardisk and drop the marker (F30, F33, F15)."""
    fs = _check_vib(host, vib, live, power_loss_after)
    same = next((v for v in host._vibs if v.name == vib.name), None)
    if same is not None and same.version == vib.version:
        return VibResult("Host is not changed.", False, skipped=(same.id,))
    _check_install(host, vib, live, power_loss_after)
    with host._atomic():
        taken = set(staging_base(host).files) | {m for v in host._vibs for _p, m in v.modules}
        taken -= {m for _p, m in same.modules} if same is not None else set()  # a new version reuses its file names
        placed = vib.with_modules(taken, f"{host.clock:%Y-%m-%d}")
        kept = tuple(v for v in staging_vibs(host) if v.name != vib.name)
        staged = stage(host, (*kept, placed), bootstate=0 if live else 1)
        removed = (same.id,) if same is not None else ()
        if not write_altbootbank(host, staged, power_loss_after):
            return VibResult(f"Power was lost after {power_loss_after}.", True)
        if not live:
            host._reboot_required = True
            host._record(
                "vib-install",
                f"VIB {placed.id} staged on /altbootbank (bootstate=1): it is mounted at the next reboot",
                tuple(placed.files),
                {"vib": placed.name, "modules": placed.modules, "live": False},
            )
            return VibResult(REBOOT_MESSAGE, True, installed=(placed.id,), removed=removed)
        if not _mount_live(host, fs, placed, same, power_loss_after):
            return VibResult(f"Power was lost after {power_loss_after}.", True)
    return VibResult("Operation finished successfully.", False, installed=(placed.id,), removed=removed)


def _check_vib(host: Host, vib: Vib, live: bool, power_loss_after: str | None) -> VisorFS:
    """The arguments and the host an install needs: a VIB whose names boot.cfg can carry and whose paths a file
    system can store (the renderers and the export print them), a running host with a boot bank."""
    if not isinstance(vib, Vib):
        raise InvalidValue("install_vib", vib, "give a VIB, e.g. es.Vib.build('lab-motd', '1.0', {...})")
    boundary.check_bool("live", live)
    boundary.check_step(power_loss_after)
    check_vib_name(vib)
    for path in vib.files:
        boundary.check_path(path)
    fs = host._require_on(f"install VIB {vib.name}")
    if host.stateless:
        raise StatelessHost("it gets its VIBs from its image profile at every boot, so nothing can be installed on it")
    return fs


def _check_install(host: Host, vib: Vib, live: bool, power_loss_after: str | None) -> None:
    """What esxcli refuses before it writes anything: a live install the VIB does not allow or a staged image that
    waits for its reboot forbids (F33), an unknown fault-injection step, a file another non-overlay VIB ships (F30)."""
    if live and not vib.live_install:
        raise LiveInstallNotAllowed(vib.name)
    if live and pending_upgrade(host):
        raise LiveInstallNotAllowed(vib.name, "install while a staged image waits for its reboot: reboot first")
    check_step(power_loss_after, LIVE_STEPS if live else STAGE_STEPS, "a VIB install")
    if vib.overlay:
        return
    for other in host._vibs:
        clash = sorted(set(vib.files).intersection(other.files)) if other.name != vib.name else []
        if clash:
            raise VibConflict(vib.id, other.id, clash)


def _mount_live(host: Host, fs: VisorFS, placed: Vib, same: Vib | None, power_loss_after: str | None) -> bool:
    """The live part of an install: the old version's tardisks out, the new ones mounted on top (F39), then the
    marker that sends backups to the altbootbank (F15). False when the power was cut after one of those steps."""
    for _p, m in same.modules if same is not None else ():
        if any(t.name == m for t in fs.tardisks):
            fs.unmount(m)
    for p in placed.tardisk_payloads:
        fs.mount(Tardisk.from_bytes(placed.module_of(p.name), p.data))
    if power_loss_after == "mount_tardisk":
        host.power_loss()
        return False
    fs.write(backup.UPDATE_MARKER, b"", now=epoch(host.clock))
    if power_loss_after == "write_marker":
        host.power_loss()
        return False
    host._vibs = (*tuple(v for v in host._vibs if v.name != placed.name), placed)
    host._record(
        "vib-install",
        f"VIB {placed.id} installed live: tardisk {', '.join(m for _p, m in placed.modules)} mounted on top now "
        "(listed in /tardisks); the new image is staged on /altbootbank (bootstate=0), where backups now go",
        tuple(placed.files),
        {"vib": placed.name, "modules": placed.modules, "live": True},
    )
    return True


def pending_upgrade(host: Host) -> bool:
    """A reboot-only change (bootstate=1) is staged: esxcli refuses live changes until that reboot. (Background
    knowledge, not in the facts file: we assume esximage's pending-reboot check.)"""
    alt = host.altbootbank
    return (
        alt is not None
        and alt.state is BankState.UPGRADING
        and alt.updated > (host.bootbank.updated if host.bootbank else 0)
    )


def staging_vibs(host: Host) -> tuple[Vib, ...]:
    """The VIBs of the image a new change starts from."""
    return staging_base(host).vibs


def remove_vib(host: Host, name: str, *, live: bool = True) -> VibResult:
    """What `Host.remove_vib` does (see there): stage the image without the VIB and, when live, unmount its tardisks
    (F33, F39)."""
    boundary.check_text("a VIB name", name)
    boundary.check_bool("live", live)
    fs = host._require_on(f"remove VIB {name}")
    vib = next((v for v in host._vibs if v.name == name), None)
    if vib is None:
        raise VibNotInstalled(name)
    if vib.base:
        raise BaseImageVib(vib.id) if not host._version.startswith("6") else _dependency_error(vib, host._vibs)
    if live and not vib.live_remove:
        raise LiveInstallNotAllowed(name, "remove")
    if live and pending_upgrade(host):
        raise LiveInstallNotAllowed(name, "remove while a staged image waits for its reboot: reboot first")
    with host._atomic():
        kept = tuple(v for v in staging_vibs(host) if v.name != name)
        staged = stage(host, kept, bootstate=0 if live else 1)
        write_altbootbank(host, staged, None)
        if live:
            for _p, m in vib.modules:
                if any(t.name == m for t in fs.tardisks):
                    fs.unmount(m)
            fs.write(backup.UPDATE_MARKER, b"", now=epoch(host._clock))
            host._vibs = tuple(v for v in host._vibs if v.name != name)
            msg = "Operation finished successfully."
            host._record(
                "vib-remove",
                f"VIB {vib.id} removed live: its tardisk is unmounted (gone from /tardisks) and the copies it "
                "hid show again",
                tuple(vib.files),
                {"vib": name, "live": True},
            )
        else:
            host._reboot_required = True
            msg = REBOOT_MESSAGE
            host._record(
                "vib-remove",
                f"VIB {vib.id} removal staged on /altbootbank (bootstate=1): it goes at the next reboot",
                tuple(vib.files),
                {"vib": name, "live": False},
            )
    return VibResult(msg, not live, removed=(vib.id,), action="Removal")


def upgrade(host: Host, version: str, *, power_loss_after: str | None = None) -> Event:
    """What `Host.upgrade` does (see there): stage a newer image with bootstate=1 (F33, F20, F49)."""
    boundary.check_text("a version", version)
    boundary.check_step(power_loss_after)
    fs = host._require_on(f"upgrade to {version}")
    if host._stateless:
        raise StatelessHost("it boots whatever image Auto Deploy serves")
    newer = image.newer_than(host._version)  # 6.7 < 7.0 < 7.0U3 (image.version_key)
    if version not in image.VERSIONS:
        raise UnsupportedVersion(version, newer or ("(none newer)",))
    if version not in newer:
        raise UnsupportedVersion(
            version,
            newer,
            f"This host already runs ESXi {host._version}; an upgrade needs a newer version"
            + (f": {', '.join(newer)}." if newer else ", and none is simulated."),
        )
    del fs
    check_step(power_loss_after, STAGE_STEPS, "an upgrade")
    img = image.demo_image(version)
    with host._atomic():
        staged = stage(host, img.vibs, bootstate=1, build=img.spec.build, img=img)
        if not write_altbootbank(host, staged, power_loss_after):
            return host._history[-1]
        host._reboot_required = True
        bank = staged[0]
        relayout = image.major(version) >= 7 > image.major(host._version)
        event = host._record(
            "upgrade",
            f"ESXi {img.spec.build} written to /altbootbank ({bank.label}, bootstate=1 UPGRADING, "
            f"updated={bank.updated}) with the running configuration (backup.sh 0 /altbootbank): it boots next "
            "time" + ("; this 6.x -> 7.0 upgrade cannot be rolled back (KB 1033604)" if relayout else ""),
            (),
            {"bank": bank.label, "build": img.spec.build, "major_upgrade": relayout},
        )
    return event


_MODULE_NAME = re.compile(r"[A-Za-z0-9_.+-]+")


def check_vib_name(vib: Vib) -> None:
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
