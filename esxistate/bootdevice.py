"""The boot device and the /bootbank, /altbootbank links: where they point, and what happens when the device fails.

On a healthy host /bootbank and /altbootbank are symbolic links made during boot into /vmfs/volumes/<uuid>, the
FAT volumes of the two boot bank partitions, and /vmfs/volumes also has the volume names BOOTBANK1 and BOOTBANK2 as
links to those uuids (published `ls -l /` and `ls -l /vmfs/volumes` captures of ESXi hosts; KB 306902 says the
links are made later in the boot process, after the loader picked a bank). Two faults of that device (F47):

- slow boot device (KB 301134): the boot loader read the bank, but the device is claimed too late when the links
  are made, so /bootbank and /altbootbank point to /tmp, the in-memory tmp ramdisk. The host runs; auto-backup.sh
  finds a /bootbank directory, so backup.sh "saves" state.tgz into /tmp (memory); the real bank never changes and
  every change is lost at reboot. `localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore
  --bootbanks` re-points the links to the real banks.
- lost boot device (KB 318611): the device stops answering while the host runs. The links dangle, so `[ ! -d
  /bootbank ]` holds and auto-backup.sh and backup.sh (also the shutdown's `backup.sh 1`) raise the alert
  `Bootbank cannot be found at path '/bootbank'` and exit 1, saving nothing (ESX67TREE bin/auto-backup.sh,
  bin/backup.sh).

What the simulator decides where no source says: a power cycle brings a lost device back as it was when it was lost
(an SD card or USB stick that answers again after a reset), so the next boot restores the last state.tgz written
before the loss and every change since is gone. A slow claim is a fault of one boot only: the next boot claims the
device in time unless `slow_boot_device=True` is given again.

Simplified: the demo host's boot device is one USB/SD device named mpx.vmhba32:C0:T0:L0 (the name KB 318611's logs
show); /vmfs/volumes holds only the two boot bank volumes (no datastore, no OSDATA/LOCKER volume, no /scratch,
/store, /locker or /productLocker links); the links point to /tmp itself, as KB 301134 words it (a 2024 blog shows
a subdirectory of /tmp whose name it hid); while /bootbank points to /tmp the image tools (VIB install and removal,
upgrades) and the configuration bundle commands are refused rather than simulated, writing a file into /bootbank
by hand is refused as on a healthy host, backups into /tmp skip hostd's 6-an-hour limit and auto-backup.sh's unpack
space check, and the first boot of a new image is confirmed as usual.
"""

from __future__ import annotations

import hashlib
from datetime import timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from . import backup
from .bootbank import BootBank
from .entry import FILE, LINK, FileEntry
from .errors import BootDeviceError, NoSuchFile, RamdiskFull
from .layers import norm

if TYPE_CHECKING:
    from .host import Host

__all__ = [
    "ALERT",
    "DEVICE",
    "LOST",
    "OK",
    "RESTORE_COMMAND",
    "SLOW",
    "bank_path",
    "claim_late",
    "links",
    "lose",
    "restore",
    "volume_uuid",
]

OK, SLOW, LOST = "ok", "slow", "lost"
DEVICE = "mpx.vmhba32:C0:T0:L0"  # the USB/SD boot device of KB 318611's logs
MEMORY = "/tmp"  # where /bootbank and /altbootbank point when the device is claimed late (KB 301134)
ALERT = "Bootbank cannot be found at path '/bootbank'"  # esxcfg-init --alert text of auto-backup.sh and backup.sh
RESTORE_COMMAND = "localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks"
_PLUGIN_DIR = "/usr/lib/vmware/esxcli/int"
_VOLUMES = "/vmfs/volumes"


def volume_uuid(label: str) -> str:
    """A stable, UUID-shaped name for a boot bank's FAT volume, in the 8-8-4-12 form ESXi gives volumes
    (e.g. 405c1577-34424d96-82ac-2556d560fdce). Real uuids are made at install time; ours are derived from the
    bank's label, so every demo host shows the same ones."""
    h = hashlib.sha256(f"esxistate boot bank volume {label}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:16]}-{h[16:20]}-{h[20:32]}"


# -- where the links point -------------------------------------------------------------------------------------------


def _booted(host: Host) -> tuple[BootBank, BootBank] | None:
    if not host.powered_on or host.stateless or host.bootbank is None or host.altbootbank is None:
        return None
    return host.bootbank, host.altbootbank


def links(host: Host) -> dict[str, str]:
    """Every symbolic link the running host has for its boot banks: path -> target, as `ls -l` shows them."""
    banks = _booted(host)
    if banks is None:
        return {}
    boot, alt = banks
    if host.boot_device == SLOW:
        return {"/altbootbank": MEMORY, "/bootbank": MEMORY}
    found = {"/altbootbank": f"{_VOLUMES}/{volume_uuid(alt.label)}"}
    found["/bootbank"] = f"{_VOLUMES}/{volume_uuid(boot.label)}"
    if host.boot_device == OK:  # a lost device takes its volumes (and their name links) with it; /bootbank dangles
        for bank in sorted(banks, key=lambda b: b.label):
            found[f"{_VOLUMES}/{bank.label}"] = volume_uuid(bank.label)
    return found


def _volumes(host: Host) -> dict[str, BootBank]:
    """Mounted boot bank volumes: /vmfs/volumes/<uuid> -> bank (none while the device is missing)."""
    banks = _booted(host)
    if banks is None or host.boot_device != OK:
        return {}
    return {f"{_VOLUMES}/{volume_uuid(b.label)}": b for b in banks}


def _follow(host: Host, path: str) -> str:
    """`path` with a leading link replaced by its target (a volume name's target is relative to /vmfs/volumes)."""
    for link, target in links(host).items():
        if path == link or path.startswith(link + "/"):
            absolute = target if target.startswith("/") else f"{_VOLUMES}/{target}"
            return absolute + path[len(link) :]
    return path


def memory_bank(host: Host) -> BootBank:
    """What /bootbank shows while it points to /tmp: the files of the tmp ramdisk (state.tgz after a backup)."""
    fs = host._require_on("read /tmp")
    files = {p[len(MEMORY) + 1 :]: e.data for p, e in fs.files_under(MEMORY) if e.kind == FILE}
    return BootBank("tmp", 0, MappingProxyType(files), None)


def bank_path(host: Host, path: str) -> tuple[BootBank, str] | None:
    """The bank (or the /tmp stand-in) and the name inside it that `path` reaches, None for any other path.
    NoSuchFile for a dangling link (a lost device) and for a volume that is not mounted."""
    p = norm(path)
    if host.stateless:
        return None  # no boot bank at all: /bootbank does not exist (F41)
    real = _follow(host, p)
    if host.boot_device == SLOW and real != p and (real == MEMORY or real.startswith(MEMORY + "/")):
        return memory_bank(host), real[len(MEMORY) + 1 :]
    for mount, bank in _volumes(host).items():
        if real == mount or real.startswith(mount + "/"):
            return bank, real[len(mount) + 1 :]
    if real.startswith(_VOLUMES + "/"):
        raise NoSuchFile(p)  # a dangling link (lost device) or a volume that is not mounted
    return None


def virtual_dir(host: Host, path: str) -> list[str] | None:
    """The listing of /vmfs and /vmfs/volumes, which are not VisorFS directories; None for any other path."""
    if _booted(host) is None:
        return None
    p = norm(path)
    if p == "/vmfs":
        return ["volumes"]
    if p == _VOLUMES:
        names = {m.rsplit("/", 1)[1] for m in _volumes(host)}
        names |= {link.rsplit("/", 1)[1] for link in links(host) if link.startswith(_VOLUMES + "/")}
        return sorted(names)
    return None


def root_names(host: Host) -> tuple[str, ...]:
    """What `ls /` adds to VisorFS's own top-level names: the two links and /vmfs."""
    return ("altbootbank", "bootbank", "vmfs") if _booted(host) is not None else ()


def lstat(host: Host, path: str) -> FileEntry | None:
    """The link itself (as `ls -l` of its directory shows it), None when `path` is not one of the links.
    /bootbank and /altbootbank are lrwxrwxrwx; the volume names in /vmfs/volumes are lrwxr-xr-x with a relative
    target (published captures); a link's size is the length of its target; its time is when boot (or the
    restore command) made it."""
    p = norm(path)
    target = links(host).get(p)
    if target is None:
        return None
    made = next((e.time for e in reversed(host._history) if e.kind in ("bootloader", "bootbanks-restored")), host.clock)
    mode = 0o755 if p.startswith(_VOLUMES + "/") else 0o777
    return FileEntry(LINK, mode, target.encode(), 0, 0, int(made.replace(tzinfo=timezone.utc).timestamp()))


def describe(host: Host) -> str:
    """One line for a dashboard header: where /bootbank points now."""
    if host.stateless:
        return "no boot bank (Auto Deploy)"
    if host.boot_device == SLOW:
        return f"/bootbank -> {MEMORY} (boot device claimed late)"
    if host.boot_device == LOST:
        return f"/bootbank: boot device {DEVICE} lost"
    bank = host.bootbank
    return f"/bootbank = {bank.label}" if bank is not None else "/bootbank = none"


# -- the faults ------------------------------------------------------------------------------------------------------


def _no_device(host: Host, doing: str) -> None:
    if host.stateless:
        raise BootDeviceError(
            f"Cannot {doing}: this host is stateless (Auto Deploy): it boots over the network and has no boot "
            "device (F41)."
        )


def claim_late(host: Host) -> None:
    """Part of `host.boot(slow_boot_device=True)`, after the loader read the bank: the links go to /tmp (F47)."""
    _no_device(host, "boot with a slow boot device")
    bank = host.bootbank
    assert bank is not None
    host._boot_device = SLOW
    host._record(
        "slow-boot-device",
        f"the boot device {DEVICE} was not claimed in time: /bootbank and /altbootbank point to {MEMORY} (the tmp "
        f"ramdisk) instead of {bank.label}; backups now go to memory",
        (),
        {"device": DEVICE, "bank": bank.label, "links": links(host)},
    )


def lose(host: Host) -> Any:
    """`host.lose_boot_device()` (see the module docstring)."""
    host._require_on("lose its boot device")
    _no_device(host, "lose the boot device")
    if host.boot_device == LOST:
        raise BootDeviceError(f"The boot device {DEVICE} is already lost; power the host off and on to get it back.")
    if host.boot_device == SLOW:
        raise BootDeviceError(
            f"/bootbank already points to {MEMORY}: the boot device was claimed late. Run `{RESTORE_COMMAND}` "
            "first, then it can be lost."
        )
    bank = host.bootbank
    assert bank is not None
    host._boot_device = LOST
    return host._record(
        "boot-device-lost",
        f"Lost connectivity to the device {DEVICE} backing the boot filesystem /vmfs/devices/disks/{DEVICE}. As a "
        "result, host configuration changes will not be saved to persistent storage.",
        (),
        {"device": DEVICE, "bank": bank.label, "state_tgz": bank.files.get("state.tgz")},
    )


def restore(host: Host) -> Any:
    """`host.restore_bootbanks()`: what `localcli ... boot system restore --bootbanks` does (KB 301134)."""
    host._require_on("restore its boot banks")
    _no_device(host, "restore the boot banks")
    if host.boot_device == OK:
        raise BootDeviceError(
            "/bootbank and /altbootbank already point to the boot bank volumes in /vmfs/volumes: nothing to restore."
        )
    if host.boot_device == LOST:
        raise BootDeviceError(
            f"The boot device {DEVICE} does not answer (KB 318611), so the boot banks cannot be mounted again; "
            "a power cycle brings the device back."
        )
    host._boot_device = OK
    return host._record(
        "bootbanks-restored",
        f"{RESTORE_COMMAND}: /bootbank and /altbootbank point to the boot bank volumes again; backups go to the "
        "boot device from now on",
        (),
        {"links": links(host)},
    )


def require_device(host: Host, doing: str) -> None:
    """Refuse an image or bundle change while the boot banks are not the real ones (a simplification, see above)."""
    if host.boot_device == SLOW:
        raise BootDeviceError(
            f"Cannot {doing} now: /bootbank and /altbootbank point to {MEMORY} because the boot device was claimed "
            f"late (KB 301134). Run `{RESTORE_COMMAND}` first."
        )
    if host.boot_device == LOST:
        raise BootDeviceError(
            f"Cannot {doing} now: the boot device {DEVICE} does not answer (KB 318611); nothing can be written to "
            "the boot banks."
        )


# -- backups while the device is missing -----------------------------------------------------------------------------


def _alert(host: Host, trigger: str, reason: str = ALERT, cause: str = "no-bootbank") -> backup.BackupResult:
    result = backup.BackupResult(trigger, True, reason, cause=cause)
    script = "/bin/backup.sh 1" if trigger == "shutdown" else "/sbin/auto-backup.sh"
    host._record("bootbank-alert", f"{script} ({trigger}): ALERT: {reason}", (), {"result": result, "trigger": trigger})
    return result


def auto_backup(host: Host, trigger: str) -> backup.BackupResult:
    """auto-backup.sh while the device is missing: the alert (lost), or the usual check against /tmp/state.tgz."""
    if host.boot_device == LOST:
        return _alert(host, trigger)
    fs = host._require_on("run auto-backup.sh")
    needed, why = backup.needs_backup(fs, memory_bank(host), host.version, host._tpm_key, encrypt=host.secure_config)
    if not needed:
        return host._skip(trigger, why, "unchanged")
    return backup_sh(host, trigger, is_shutdown=False, reason=why)


def backup_sh(host: Host, trigger: str, *, is_shutdown: bool, reason: str = "") -> backup.BackupResult:
    """backup.sh while the device is missing: the alert (lost), or state.tgz written into /tmp (slow), where it
    is charged to the tmp ramdisk and dies with it."""
    if host.boot_device == LOST:
        return _alert(host, trigger)
    fs = host._require_on("run backup.sh")
    paths = backup.files_to_save(fs, host.version)
    if not paths:
        return host._skip(
            trigger, "no file under /etc has a .# twin: nothing to save, nothing written", "nothing-to-save"
        )
    now = int(host.clock.replace(tzinfo=timezone.utc).timestamp())
    state = host._wrap_state(backup.local_members(fs, paths), now)
    host._pid += 1
    lock = f"{MEMORY}/bootbank.lck"
    try:
        fs.write(lock, f"{host._pid}\n".encode(), now=now)
        fs.write(f"{MEMORY}/state.tgz", state, now=now, mode=0o755)
    except RamdiskFull:
        if fs.exists(lock):
            fs.delete(lock)
        return _alert(host, trigger, "Error (1) saving state to /bootbank", "write-failed")
    fs.delete(lock)
    result = backup.BackupResult(
        trigger,
        False,
        reason or ("shutdown: backup.sh 1 saves unconditionally" if is_shutdown else "backup.sh 0"),
        "/bootbank",
        None,  # no boot bank was written
        tuple(paths),
        0,
        len(state),
        (),
    )
    script = "/bin/backup.sh 1" if is_shutdown else "/sbin/backup.sh 0"
    host._record(
        "backup-to-memory",
        f"{script} ({trigger}) saved {len(paths)} files into /bootbank/state.tgz, but /bootbank points to {MEMORY}: "
        f"the archive ({len(state)} bytes) sits on the tmp ramdisk and the boot device's state.tgz is unchanged",
        tuple(paths),
        {"result": result, "path": f"{MEMORY}/state.tgz"},
    )
    return result


# -- the shell's localcli line ---------------------------------------------------------------------------------------


def restore_command(host: Host, args: list[str]) -> str | None:
    """`localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks` in the shell (KB 301134).
    None when `args` are another localcli command (or lack the internal plugin directory, without which localcli
    does not know the `boot` namespace). It prints nothing when it worked; the words for a device that does not
    answer are our reconstruction (no public sample found)."""
    words = [a for a in args if not a.startswith("-")]
    plugin = next((a.split("=", 1)[1] for a in args if a.startswith("--plugin-dir=")), None)
    if plugin is None and "--plugin-dir" in args:
        i = args.index("--plugin-dir")
        plugin = args[i + 1] if i + 1 < len(args) else None
        words = [w for w in words if w != plugin]
    if words[:3] != ["boot", "system", "restore"] or plugin is None or plugin.rstrip("/") != _PLUGIN_DIR:
        return None
    if "--bootbanks" not in args:
        return ""
    try:
        restore(host)
    except BootDeviceError as err:
        return "" if host.boot_device == OK else f"Error: {err}\n"
    return ""


# -- explain ---------------------------------------------------------------------------------------------------------


def outcomes(state: str, matches: bool | None, in_state: bool | None, image: str) -> tuple[Any, Any, Any]:
    """(on reboot, on power loss, at the next cron run) of a persisted file while /bootbank points to /tmp (`state`
    "slow") or the device is lost ("lost"), as `explain` shows them (F47)."""
    from .explain import Outcome

    if matches:
        kept = "kept: the boot device's state.tgz already holds this content"
    elif in_state:
        kept = "back to the older copy in the boot device's state.tgz"
    else:
        kept = f"lost: {image}"
    if state == SLOW:
        reboot = Outcome(
            f"{kept}; /bootbank points to {MEMORY}, so the shutdown backup writes state.tgz into memory only",
            ("F47", "F13", "F38"),
        )
        cron = Outcome(
            f"'saved' into {MEMORY}/state.tgz: /bootbank points to the tmp ramdisk, so it is lost at reboot",
            ("F47", "F14"),
        )
    else:
        reboot = Outcome(
            f"{kept}; the shutdown backup raises ALERT: {ALERT} and saves nothing, and the power cycle brings the "
            "device back as it was when it was lost",
            ("F47", "F13", "F38"),
        )
        cron = Outcome(f"nothing: auto-backup.sh raises ALERT: {ALERT} and exits 1", ("F47", "F14"))
    power = Outcome(kept, ("F23", "F47", "F38"))
    return reboot, power, cron
