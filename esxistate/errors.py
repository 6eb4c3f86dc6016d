"""Every error esxistate raises: one base class, one subclass per failure, each worded for a student.

Each error names the thing it is about (a path, a VIB, a boot.cfg line) and carries `errno_text`, the words a real
ESXi busybox shell prints for it (``No such file or directory``), so the shell can print what ESXi prints. An
operation that raises one of these leaves the host exactly as it was.
"""

from __future__ import annotations

__all__ = [
    "BadBootConfig",
    "BadVibName",
    "BaseImageVib",
    "BootDeviceError",
    "BootFailed",
    "CorruptArchive",
    "DirectoryNotEmpty",
    "EncryptedConfig",
    "EsxiStateError",
    "FileExists",
    "HostPoweredOff",
    "HostPoweredOn",
    "InternalError",
    "InvalidBundle",
    "InvalidPath",
    "InvalidValue",
    "IsADirectory",
    "LayoutFailed",
    "LiveInstallNotAllowed",
    "MismatchedBundle",
    "NameTooLong",
    "NoBootableBank",
    "NoSuchFile",
    "NotADirectory",
    "OperationNotPermitted",
    "RamdiskFull",
    "RamdiskInodesFull",
    "ReadOnlyFile",
    "RollbackNotPossible",
    "StatelessHost",
    "UnknownBackupStep",
    "UnknownFact",
    "UnknownSetting",
    "UnknownStep",
    "UnplacedPayload",
    "UnreadableFile",
    "UnsafeArchive",
    "UnsupportedVersion",
    "VibConflict",
    "VibError",
    "VibNotInstalled",
]


class EsxiStateError(Exception):
    """Base of every esxistate error. `errno_text` is what an ESXi shell prints for it, if anything.

    `host_changed` is False for nearly every error: the host is as it was. It is True only where ESXi itself leaves
    a mark before it fails (BootFailed: the boot loader writes bootstate=2 before it loads the new image, F6)."""

    errno_text: str | None = None
    host_changed: bool = False


class InternalError(EsxiStateError):
    """A bug in esxistate, not a mistake of yours: an operation met an exception it did not expect. The host was put
    back exactly as it was before the operation, so you can go on; `.cause` keeps the original exception."""

    def __init__(self, operation: str, cause: BaseException) -> None:
        super().__init__(
            f"esxistate hit an internal error while it tried to {operation} ({type(cause).__name__}: "
            f"{_short(cause)}). This is a bug in the simulator, not in what you did; the host was put back exactly "
            "as it was before."
        )
        self.operation = operation
        self.cause = cause


def _short(cause: BaseException) -> str:
    text = str(cause).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 160 else text[:157] + "..."


# -- file system -----------------------------------------------------------------------------------------------


class PathError(EsxiStateError):
    """An operation on one path failed; `.path` names it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class InvalidPath(PathError):
    """A path that is not absolute, is empty, or has a component ESXi cannot store."""

    errno_text = "Invalid argument"

    def __init__(self, path: str, why: str = "paths must be absolute, like /etc/hosts") -> None:
        super().__init__(path, f"{path!r} is not a usable path: {why}.")


class NameTooLong(InvalidPath):
    """A path or one name in it longer than Linux allows (PATH_MAX 4096 bytes, NAME_MAX 255), ENAMETOOLONG."""

    errno_text = "File name too long"


class NoSuchFile(PathError):
    errno_text = "No such file or directory"

    def __init__(self, path: str) -> None:
        super().__init__(path, f"{path} does not exist: no tardisk and no ramdisk holds it.")


class IsADirectory(PathError):
    errno_text = "Is a directory"

    def __init__(self, path: str) -> None:
        super().__init__(path, f"{path} is a directory, not a file.")


class NotADirectory(PathError):
    errno_text = "Not a directory"

    def __init__(self, path: str) -> None:
        super().__init__(path, f"{path} is not a directory (a file stands where a directory is needed).")


class DirectoryNotEmpty(PathError):
    errno_text = "Directory not empty"

    def __init__(self, path: str) -> None:
        super().__init__(path, f"{path} still holds files; remove them first.")


class FileExists(PathError):
    errno_text = "File exists"

    def __init__(self, path: str) -> None:
        super().__init__(path, f"{path} already exists.")


class OperationNotPermitted(PathError):
    """VisorFS refuses: for example a user creating or changing a `.#` twin, which only VisorFS may make (F25)."""

    errno_text = "Operation not permitted"

    def __init__(self, path: str, why: str) -> None:
        super().__init__(path, f"{path}: operation not permitted: {why}.")


class ReadOnlyFile(PathError):
    """A write to something that is read-only here: a tardisk, or a boot bank file (only backup.sh and the image
    tools write the boot bank in this simulator)."""

    errno_text = "Read-only file system"

    def __init__(self, path: str, why: str) -> None:
        super().__init__(path, f"{path} is read-only: {why}.")


class RamdiskFull(PathError):
    """A write does not fit on the ramdisk that holds the path (F28). Nothing was written."""

    errno_text = "No space left on device"

    def __init__(self, ramdisk: str, path: str, needed: int, free: int) -> None:
        logged = f"The ramdisk '{ramdisk}' is full.  As a result, the file {path} could not be written."
        super().__init__(path, f"{logged} (Writing it would take {needed} more bytes; only {free} bytes are free.)")
        self.logged = logged  # the sentence hostd logs for it (F28), without our explanation of the numbers
        self.ramdisk = ramdisk
        self.needed = needed
        self.free = free


class RamdiskInodesFull(RamdiskFull):
    """A new file or directory needs an inode and the ramdisk's file table has none left: every ramdisk is made
    with a maximum number of inodes (`Maximum Inodes` in `esxcli system visorfs ramdisk list`, 4096 for etc, S4,
    F29). The first sentence is hostd's esx.problem.visorfs.ramdisk.inodetable.full event (F28); we leave out its
    closing "by the application '<app>'" because the simulator runs no processes. The shell prints ENOSPC."""

    def __init__(self, ramdisk: str, path: str, max_inodes: int) -> None:
        logged = (
            f"The file table of the ramdisk '{ramdisk}' is full.  As a result, the file {path} could not be created."
        )
        PathError.__init__(
            self, path, f"{logged} (All {max_inodes} inodes of {ramdisk} are in use: remove a file first.)"
        )
        self.logged = logged
        self.ramdisk = ramdisk
        self.needed = 0
        self.free = 0
        self.max_inodes = max_inodes


# -- archives and boot.cfg -------------------------------------------------------------------------------------


class UnsafeArchive(EsxiStateError):
    """An archive member that reading refuses: absolute path, `..`, link, device, or too large. A name past 120
    characters is shortened in the message (`.member` keeps it whole)."""

    def __init__(self, member: str | None, why: str, archive: str | None = None) -> None:
        shown = member if member is None or len(member) <= 120 else f"{member[:60]}...{member[-30:]}"
        if member is None:
            message = f"refusing archive {archive or ''}: {why}.".replace("archive :", "archive:")
        elif archive:
            message = f"refusing member {shown!r} of {archive}: {why}."
        else:
            message = f"refusing archive member {shown!r}: {why}."
        super().__init__(message)
        self.member = member
        self.why = why
        self.archive = archive


class CorruptArchive(EsxiStateError):
    """Bytes that are not a complete gzip-compressed tar archive (or, with `kind`, not a complete file of that kind,
    such as a VIB)."""

    def __init__(self, why: str, name: str | None = None, *, kind: str = ".tgz archive") -> None:
        what = name if name else "These bytes"
        super().__init__(f"{what} is not a readable {kind}: {why}.")
        self.why = why
        self.name = name


class UnreadableFile(EsxiStateError):
    """A file on this computer that `StateArchive.open` or `ConfigBundle.open` will not read: it is missing, it is
    not a regular file (a directory, a device such as /dev/zero, a pipe), or it is larger than such an archive is."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"Cannot read {path}: {why}.")
        self.path = path
        self.why = why


class EncryptedConfig(EsxiStateError):
    """A 7.0 U2+ state.tgz holds local.tgz.ve, encrypted with a key sealed on its host: it cannot be read here."""

    def __init__(self, name: str = "state.tgz") -> None:
        super().__init__(
            f"{name} holds local.tgz.ve, the encrypted configuration of ESXi 7.0 U2 and later; its key is sealed "
            "on the host that wrote it (by its TPM when it has one), so its files cannot be listed here (F36)."
        )
        self.name = name


class LayoutFailed(EsxiStateError):
    """The diagram layout program refused a diagram (its own message is kept); shown as a table instead."""


class InvalidBundle(EsxiStateError):
    """A configBundle.tgz without the expected contents (hostd's InvalidBundle fault, F43)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"This is not a usable configuration bundle: {why.rstrip('.')}.")
        self.why = why


class MismatchedBundle(EsxiStateError):
    """A configBundle.tgz from another host or release (hostd's MismatchedBundle fault, F43). The first sentence is
    ESX67TREE bin/firmwareConfig.sh's own line; `field` is "UUID" or "release level"."""

    def __init__(self, field: str, bundle: str, host: str) -> None:
        hint = (
            "it comes from another host; force restores it anyway"
            if field == "UUID"
            else "a bundle restores only onto the release it was made on, even when forced"
        )
        super().__init__(f"Mismatched Bundle: Host {field}: {host} Bundle {field}: {bundle} ({hint}).")
        self.field = field


class BadBootConfig(EsxiStateError):
    """boot.cfg text the boot loader would refuse; names the line."""

    def __init__(self, why: str, line_no: int | None = None, line: str | None = None) -> None:
        where = f"boot.cfg line {line_no}: " if line_no is not None else "boot.cfg: "
        shown = f" (the line reads {line!r})" if line is not None else ""
        super().__init__(f"{where}{why}{shown}.")
        self.line_no = line_no
        self.line = line
        self.why = why


# -- VIBs --------------------------------------------------------------------------------------------------------


class VibError(EsxiStateError):
    """A VIB install or remove the image tools refuse."""


class VibConflict(VibError):
    """Two non-overlay VIBs ship the same file (F30). The message is esximage's own, one line per path, the VIB ids
    printed as a Python set (published: ESXi-Customizer-PS pull request #50 and itiligent/ESXi-Custom-ISO issue #2,
    "File path of '/etc/init.d/sandboxd' is claimed by multiple non-overlay VIBs: {'VMware_bootbank_esx-base_...',
    'VMware_bootbank_esxio-base_...'}"); we print the set sorted, where Python's order is arbitrary."""

    def __init__(self, vib: str, other: str, paths: list[str]) -> None:
        claimed = "{" + ", ".join(repr(v) for v in sorted({vib, other})) + "}"
        super().__init__(
            "\n".join(f"File path of '{p}' is claimed by multiple non-overlay VIBs: {claimed}" for p in paths)
        )
        self.vib = vib
        self.other = other
        self.paths = paths


class BadVibName(VibError):
    """A VIB whose name cannot become a boot bank module: boot.cfg's `modules=` line separates a module's file name
    from its options at the first blank and separates modules with `---` (F3), and module files are FAT 8.3 names
    (F11), so a name with a blank, a `---`, a control character or a character outside ASCII would write a boot.cfg
    that no later boot can load. Refused at install time, before anything is written."""

    def __init__(self, name: str, why: str) -> None:
        shown = name.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"VIB name {shown!r} cannot be installed: {why}.")
        self.name = name
        self.why = why


class VibNotInstalled(VibError):
    def __init__(self, name: str) -> None:
        super().__init__(f"No VIB named {name!r} is installed on this host.")
        self.name = name


class BaseImageVib(VibError):
    """A core VIB the image cannot lose. 7.0 and later call it part of the base image; 6.x has no base image, and
    esxcli refuses the removal as a dependency problem in esximage's words (F48; the sentence form is esxcli's
    published DependencyError text, "VIB X requires Y, but the requirement cannot be satisfied within the
    ImageProfile.", v-front.de 2015 "Why upgrading from ESXi 5.5 Update 3b to 6.0 fails")."""

    def __init__(self, name: str, *, required_by: str | None = None, requirement: str | None = None) -> None:
        if required_by is None:
            message = f"VIB {name} is part of the ESXi base image; removing it would leave a host that cannot boot."
        else:
            message = (
                f"VIB {required_by} requires {requirement}, but the requirement cannot be satisfied within the "
                "ImageProfile."
            )
        super().__init__(message)
        self.name = name
        self.required_by = required_by


class LiveInstallNotAllowed(VibError):
    def __init__(self, name: str, action: str = "install") -> None:
        if " " in action:  # a reason of its own
            message = f"VIB {name}: no live {action}."
        else:
            message = f"VIB {name} does not allow live {action}; {action} it with live=False and reboot to activate it."
        super().__init__(message)
        self.name = name


# -- the host ----------------------------------------------------------------------------------------------------


class HostPoweredOff(EsxiStateError):
    def __init__(self, operation: str) -> None:
        super().__init__(f"The host is powered off: boot it before you {operation}.")
        self.operation = operation


class HostPoweredOn(EsxiStateError):
    def __init__(self, operation: str = "boot") -> None:
        super().__init__(f"The host is already running: shut it down or reboot before you {operation}.")
        self.operation = operation


class NoBootableBank(EsxiStateError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"No hypervisor found: {detail}.")


class BootFailed(EsxiStateError):
    """The boot loader could not load the image of the bank it chose, on that image's first try. Safeboot had
    already marked the bank DIRTY (bootstate=2) on disk before loading it (F6), and that mark stays: the host is
    left powered off, and the next power-on finds the bank DIRTY, marks it INVALID ("system has failed to upgrade")
    and boots the other bank. The one error that leaves the host changed (`host_changed` is True)."""

    host_changed = True

    def __init__(self, bank: str, why: str, fallback: str | None) -> None:
        then = (
            f"power on again and safeboot marks {bank} INVALID and falls back to {fallback} (F6)"
            if fallback
            else f"power on again and safeboot marks {bank} INVALID; no other bank can boot (F6)"
        )
        super().__init__(
            f"The boot stopped: the loader could not load the new image on {bank} ({why.rstrip('.')}). {bank} was "
            f"already marked DIRTY (bootstate=2), so {then}."
        )
        self.bank = bank
        self.why = why
        self.fallback = fallback


class RollbackNotPossible(EsxiStateError):
    """Shift+R asked to go back from ESXi 7.x to 6.x. The 6.x -> 7.0 upgrade re-lays the boot device's partitions,
    so no 6.x image is left to boot; to go back, reinstall or restore a copy of the boot device (F45, KB 1033604)."""

    def __init__(self, current: str, previous: str) -> None:
        super().__init__(
            f"Shift+R cannot take this host from build {current} back to ESXi 6.x (build {previous}): the upgrade "
            "from 6.x to 7.0 changed the partitions of the boot device, so no 6.x image is left to boot (VMware KB "
            "1033604). To go back, reinstall ESXi 6.7 or restore a copy of the boot device taken before the upgrade."
        )
        self.current = current
        self.previous = previous


class UnsupportedVersion(EsxiStateError):
    def __init__(self, version: str, known: tuple[str, ...], message: str | None = None) -> None:
        super().__init__(message or f"ESXi version {version!r} is not simulated; choose one of {', '.join(known)}.")
        self.version = version


class UnknownSetting(EsxiStateError):
    def __init__(self, setting: str, known: tuple[str, ...]) -> None:
        super().__init__(f"hostd has no setting {setting!r}; known settings: {', '.join(known)}.")
        self.setting = setting


class InvalidValue(EsxiStateError):
    def __init__(self, setting: str, value: object, why: str) -> None:
        super().__init__(f"{value!r} is not a valid value for {setting}: {why}.")
        self.setting = setting
        self.value = value


class UnknownStep(EsxiStateError):
    """A fault-injection point that the operation does not have."""

    def __init__(self, step: str, steps: tuple[str, ...], what: str = "this operation") -> None:
        super().__init__(f"{what} has no step {step!r}; its steps in order are: {', '.join(steps)}.")
        self.step = step


class UnknownBackupStep(UnknownStep):
    def __init__(self, step: str, steps: tuple[str, ...]) -> None:
        super().__init__(step, steps, "backup.sh")


class UnknownFact(EsxiStateError, KeyError):
    """A fact id that is not in `esxistate.facts.FACTS`."""

    def __init__(self, fid: object, known: tuple[str, ...]) -> None:
        super().__init__(f"there is no ESXi fact {fid!r}; the facts are {known[0]} to {known[-1]}.")
        self.fid = fid

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


class BootDeviceError(EsxiStateError):
    """A boot-device operation that cannot be done now (F47): losing a device the host does not have or has already
    lost, restoring boot banks that are fine or whose device does not answer, changing the image while /bootbank
    points to /tmp."""


class StatelessHost(VibError):
    """A stateless host (PXE-booted by Auto Deploy) has no boot bank: it boots whatever image Auto Deploy serves and
    keeps no state.tgz, so nothing can be installed on it, upgraded or bundled (F41). A VibError, as the image tools'
    other refusals are, so code that catches those catches this too."""

    def __init__(self, why: str) -> None:
        super().__init__(f"This host is stateless (Auto Deploy): {why.rstrip('.')}.")
        self.why = why


class UnplacedPayload(VibError, KeyError):
    """A VIB was asked for the boot bank file of a payload it has not placed: only an installed VIB's payloads have
    module file names (F11), and only the payloads it ships. A KeyError too, as a lookup by name."""

    def __init__(self, vib: str, payload: str) -> None:
        super().__init__(
            f"VIB {vib} has no boot bank file for payload {payload!r}: a payload gets its module file name (such as "
            "lab_tool.v00) when the VIB is installed, and only the payloads the VIB ships have one (F11)."
        )
        self.vib = vib
        self.payload = payload

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])
