"""EventKind: every kind of thing a host records, named once.

An `Event`'s kind is one of these members. It is a `str` enum, so `event.kind == "backup"` and
`event.kind is EventKind.BACKUP` both hold, and printing it shows the short word (``backup``). Code that reacts to
events reads the kind and the event's structured `details`, never its `summary` sentence.

>>> EventKind("power-loss") is EventKind.POWER_LOSS
True
>>> f"{EventKind.VIB_INSTALL}", EventKind.BRANCH == "branch"
('vib-install', True)
>>> EventKind.BACKUP in BACKUPS and EventKind.WRITE in FILE_CHANGES and "write" in FILE_CHANGES
True
"""

from __future__ import annotations

from enum import Enum

__all__ = ["BACKUPS", "BOOT_STEPS", "FILE_CHANGES", "POWER_OFF", "EventKind"]


class EventKind(str, Enum):
    """What happened. Values are the short words shown in timelines, `repr(event)` and the offline lesson."""

    # booting (F1-F9): the boot loader, the VMkernel, tardisks and ramdisks mounted, state restored, up
    BOOTLOADER = "bootloader"
    BOOT_FAILED = "boot-failed"
    VMKERNEL = "vmkernel"
    TARDISKS = "tardisks"
    RAMDISKS = "ramdisks"
    RESTORE = "restore"
    RELAYOUT = "relayout"
    BOOT_COMPLETE = "boot-complete"
    SLOW_BOOT_DEVICE = "slow-boot-device"
    # files on the ramdisks (F10, F11, F25)
    WRITE = "write"
    BRANCH = "branch"
    DELETE = "delete"
    MKDIR = "mkdir"
    RMDIR = "rmdir"
    CHMOD = "chmod"
    RAMDISK_FULL = "ramdisk-full"
    # time and backups (F12-F22)
    CLOCK = "clock"
    BACKUP = "backup"
    BACKUP_SKIPPED = "backup-skipped"
    BACKUP_TO_MEMORY = "backup-to-memory"
    # hostd's side
    CONFIGURE = "configure"
    MAINTENANCE_MODE = "maintenance-mode"
    BACKUP_CONFIG = "backup-config"
    RESTORE_CONFIG = "restore-config"
    # images: VIBs, upgrades, the altbootbank (F20, F33, F45, F49)
    VIB_INSTALL = "vib-install"
    VIB_REMOVE = "vib-remove"
    UPGRADE = "upgrade"
    STAGING = "staging"
    # the boot device (F47)
    BOOT_DEVICE_LOST = "boot-device-lost"
    BOOTBANK_ALERT = "bootbank-alert"
    BOOTBANKS_RESTORED = "bootbanks-restored"
    # power
    SHUTDOWN = "shutdown"
    REBOOT = "reboot"
    POWER_LOSS = "power-loss"

    __hash__ = str.__hash__  # equal to its word, so it hashes as the word: sets and dicts of words find it

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:  # shown as its word, so a list of kinds reads as it always did: ['boot', ...]
        return repr(self.value)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


BOOT_STEPS = frozenset(
    {
        EventKind.BOOTLOADER,
        EventKind.VMKERNEL,
        EventKind.TARDISKS,
        EventKind.RAMDISKS,
        EventKind.RESTORE,
        EventKind.RELAYOUT,
        EventKind.BOOT_COMPLETE,
    }
)
FILE_CHANGES = frozenset(
    {EventKind.WRITE, EventKind.BRANCH, EventKind.DELETE, EventKind.MKDIR, EventKind.RMDIR, EventKind.CHMOD}
)
BACKUPS = frozenset({EventKind.BACKUP, EventKind.BACKUP_SKIPPED, EventKind.BACKUP_TO_MEMORY})
POWER_OFF = frozenset({EventKind.SHUTDOWN, EventKind.REBOOT, EventKind.POWER_LOSS})
