"""Why each event happened: one plain-language sentence or two, and the ESXi facts (ESXI-FACTS.md ids) behind it.

`for_event(kind, details, snapshot)` is called for every event the host records, so a timeline, an HTML lesson or
a student reading `host.history` can always ask "why?". The wording names the rule, not the code: "tardisks are
read-only (F27)". Where the simulator simplifies real ESXi, the sentence says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import persistence
from .layers import twin_of

__all__ = ["for_event"]


def _persistence(path: str, snapshot: Any, twin_made: str | None) -> tuple[str, tuple[str, ...]]:
    """What the next reboot does to `path`, given the file system after the change (`persistence.reason` decides)."""
    why = persistence.reason(snapshot, path, twin_made=twin_made)
    if why == persistence.OUTSIDE_ETC:
        return (" Nothing outside /etc is saved by backup.sh, so this change is lost at the next reboot.", ("F16",))
    if why == persistence.TWIN_MADE:
        return (
            f" It carries the sticky bit, so VisorFS kept the original as {twin_made}; backup.sh saves every /etc "
            "file that has a .# twin, so this change survives a reboot once a backup has run.",
            ("F25", "F16"),
        )
    if why == persistence.TWIN:
        return (
            f" Its .# twin {twin_of(path)} exists, so backup.sh saves it: the change survives a reboot once a backup "
            "has run.",
            ("F16",),
        )
    return (
        " It has no .# twin (only a content write to a file that ships with the sticky bit makes one), so backup.sh "
        "will not save it: the change is lost at the next reboot.",
        ("F25", "F26"),
    )


def _change(kind: str, d: Mapping[str, Any], snapshot: Any) -> tuple[str, tuple[str, ...]]:
    c = d["change"]
    path, ramdisk = c.path, c.ramdisk
    if kind == "branch":
        text = (
            f"{path} was copied from the tardisk {c.branched_from} onto the {ramdisk} ramdisk because you changed it: "
            "tardisks are read-only, so VisorFS branches the one file you write."
        )
        more, facts = _persistence(path, snapshot, c.twin)
        return text + more, ("F27", *facts)
    if kind == "write":
        if c.created:
            text = f"{path} is a new file, so it lives only on the {ramdisk} ramdisk, in memory."
        else:
            text = f"{path} already had its own copy on the {ramdisk} ramdisk, so the write changed that copy."
        more, facts = _persistence(path, snapshot, c.twin)
        return text + more, ("F27", *facts)
    if kind == "chmod":
        where = f" (first branched from {c.branched_from})" if c.branched_from else ""
        return (
            f"The new mode is kept on the {ramdisk} ramdisk{where}. Changing a mode makes no .# twin: only a content "
            "write to a sticky file does, so chmod +t alone does not persist a file.",
            ("F27", "F25"),
        )
    if kind == "delete":
        text = f"{path} was removed from the {ramdisk} ramdisk."
        facts: tuple[str, ...] = ("F27",)
        if d.get("whiteout"):
            text += (
                " A tardisk still ships it, so the ramdisk keeps a whiteout that hides it until the next boot, "
                "when the tardisk's copy shows again."
            )
            facts += ("F39",)
        if persistence.twin_left(snapshot, path):
            text += (
                " Its .# twin stays, but backup.sh saves only files whose plain name exists, so the file drops out "
                "of the next backup; deleting alone does not start one."
            )
            facts += ("F14", "F16")
        return text, facts
    return f"{path}: {kind} on the {ramdisk} ramdisk, in memory until the next boot.", ("F27",)


_BACKUP_TRIGGER = {
    "shutdown": (
        "An orderly shutdown runs /bin/backup.sh 1 from /etc/inittab, which saves without comparing.",
        ("F13", "F22"),
    ),
    "cron": (
        "crond ran /sbin/auto-backup.sh at minute 1 of the hour and it found a file that changed.",
        ("F12", "F14"),
    ),
    "manual": ("/sbin/auto-backup.sh was run by hand and found a file that changed (or no state.tgz yet).", ("F14",)),
    "hostd": ("hostd saves the configuration right after a change made through it, at most 6 times an hour.", ("F21",)),
}


def _backup(d: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    result = d["result"]
    text, facts = _BACKUP_TRIGGER.get(result.trigger, ("backup.sh ran.", ()))
    if result.interrupted_after and not _after_rename(result.interrupted_after):
        text += (
            " backup.sh puts every /etc file that has a .# twin into local.tgz, makes local.tgz the only member of "
            "a new state.tgz under a temporary name, and renames it into place only at the end, so a power loss "
            "never leaves a half-written archive."
        )
    else:
        text += (
            " backup.sh put every /etc file that has a .# twin into local.tgz, made local.tgz the only member of "
            "state.tgz, and renamed it into place, so a power loss never leaves a half-written archive."
        )
    facts += ("F16", "F17")
    if result.target == "/altbootbank":
        text += " It wrote to /altbootbank because a live VIB install staged the new image there."
        facts += ("F15",)
    if result.also:
        text += " A staged upgrade waits on the altbootbank, so the configuration was written there too."
        facts += ("F20",)
    if result.interrupted_after:
        text += f" The power failed after step {result.interrupted_after}: " + (
            "the new state.tgz was already renamed into place, so it is complete."
            if _after_rename(result.interrupted_after)
            else "the old state.tgz is still whole; leftovers are removed by the next backup."
        )
    return text, facts


def _after_rename(step: str) -> bool:
    from .backup import STEPS

    return STEPS.index(step) >= STEPS.index("rename_state")


_SKIPPED: dict[str, tuple[str, tuple[str, ...]]] = {  # by the run's cause (backup.SKIP_CAUSES), never its words
    "stateless": (
        "A PXE-booted (Auto Deploy) host has no /bootbank, so auto-backup.sh refuses and nothing is ever saved "
        "locally.",
        ("F41",),
    ),
    "hostd-limit": (
        "hostd starts at most 6 backups an hour; this change waits for the hourly cron run.",
        ("F21", "F12"),
    ),
    "nothing-to-save": (
        "No /etc file has a .# twin, so backup.sh has nothing to save and writes nothing.",
        ("F16", "F17"),
    ),
    "tmp-full": ("auto-backup.sh unpacks state.tgz into /tmp to compare, and the tmp ramdisk is too full.", ("F14",)),
    "unchanged": (
        "auto-backup.sh compares each file to save with its copy in state.tgz and backs up only at the first "
        "difference; nothing differed.",
        ("F14",),
    ),
}


def _skipped(d: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    return _SKIPPED.get(d["result"].cause, _SKIPPED["unchanged"])


_FIXED: dict[str, tuple[str, tuple[str, ...]]] = {
    "boot-failed": (
        "Safeboot marks a freshly written bank DIRTY before its first try. The load failed, nothing confirmed the "
        "new image, and the mark stays on disk: the next boot marks the bank INVALID and boots the other one.",
        ("F5", "F6"),
    ),
    "vmkernel": (
        "The .b00 modules and the .gz option files are loaded into the VMkernel by the boot loader; they "
        "are kernel code and settings, never files you can list. (In the simulator they are short stand-in files.)",
        ("F10",),
    ),
    "tardisks": (
        "The boot loader decompresses each module as it loads it, so every tardisk lives in memory uncompressed, "
        "read-only, listed under /tardisks by its module name; they stack in the order of boot.cfg's modules= line: "
        "a later tardisk hides an earlier one's copy of the same path.",
        ("F46", "F39", "F10"),
    ),
    "ramdisks": (
        "Ramdisks are memory-only file systems of fixed size, made fresh at every boot; whatever is written "
        "after boot lives on them.",
        ("F29", "F40", "F27"),
    ),
    "power-loss": (
        "No orderly shutdown means /bin/backup.sh 1 never ran: every change since the last backup is "
        "gone, and the next boot restores the last state.tgz.",
        ("F23",),
    ),
    "shutdown": (
        "The shutdown ran /bin/backup.sh 1 before the power went off, so persisted files were saved; "
        "everything else on the ramdisks is gone.",
        ("F13", "F27"),
    ),
    "reboot": (
        "A configuration restore reboots at once, without the shutdown backup that would overwrite the "
        "restored state.tgz.",
        ("F43",),
    ),
    "clock": (
        "crond runs root's crontab: /sbin/auto-backup.sh at minute 1 of every hour, which backs up only when a "
        "file to save differs from state.tgz.",
        ("F12", "F14"),
    ),
    "ramdisk-full": (
        "A ramdisk has a fixed maximum size; a write that does not fit fails and the file keeps its old content. "
        "(The simulator counts file bytes only; real VisorFS also counts pages and inodes.)",
        ("F28",),
    ),
    "configure": (
        "A change made through hostd (vSphere Client, esxcli, PowerCLI) rewrites the persisted /etc "
        "files hostd owns, then hostd starts a backup. (The simulator edits only the few files behind each setting: "
        "esx.conf, hosts, shadow, ntp.conf, resolv.conf and, on 7.0, ConfigStore.)",
        ("F21", "F44"),
    ),
    "upgrade": (
        "An upgrade writes the new image to the altbootbank with bootstate=1 (UPGRADING) and updated= one "
        "higher, so the boot loader picks it next time; its first boot must be confirmed or it is dropped. Before "
        "boot.cfg is written, /sbin/backup.sh 0 /altbootbank saves the running configuration into the new bank.",
        ("F33", "F20", "F7", "F6", "F49"),
    ),
    "staging": (
        "The altbootbank is marked INVALID before the new image is written, backup.sh 0 /altbootbank puts the "
        "running configuration into it, and boot.cfg comes last, so an interrupted write never boots.",
        ("F5", "F33", "F49"),
    ),
    "relayout": (
        "The upgrade from 6.x to 7.0 changes the partitions of the boot device, so once 7.0 is up nothing of 6.x "
        "is left to boot: Shift+R cannot go back to it. Going back means reinstalling 6.7 or restoring a copy of "
        "the boot device taken before the upgrade. (The simulator empties the 6.x bank when 7.0's first boot is "
        "confirmed.)",
        ("F45",),
    ),
    "restore-config": (
        "firmwareConfig.sh --restore checks the bundle's release level and UUID, copies its state.tgz over "
        "/bootbank/state.tgz, writes its KERNELOPTS into boot.cfg's kernelopt= and its USEROPTS into useropts.gz, "
        "makes sure modules= ends with state.tgz, and runs reboot -f so no shutdown backup overwrites it.",
        ("F43", "F23"),
    ),
    "backup-config": (
        "firmwareConfig.sh --backup runs backup.sh 0 into a staging directory, so the bundle's state.tgz is fresh "
        "while /bootbank/state.tgz is left as it was; Manifest.txt names the release level, UUID and kernel options.",
        ("F43", "F18"),
    ),
    "maintenance-mode": (
        "Maintenance mode is the state a host must be in before a VIB flagged maintenance-mode (esx-base is) is "
        "installed or removed; the simulator records it but refuses nothing because of it.",
        ("F30",),
    ),
    "mkdir": ("New directories live on the ramdisk that holds their path, in memory only.", ("F27",)),
    "rmdir": (
        "The directory was removed from its ramdisk; a tardisk copy, if any, is hidden until the next boot.",
        ("F27", "F39"),
    ),
    "slow-boot-device": (
        "The boot loader read the bank, but the boot device was claimed too late when /bootbank and /altbootbank "
        "were made, so they point to /tmp, the in-memory tmp ramdisk: the host runs, backups write state.tgz into "
        "memory and every change is lost at reboot (KB 301134). `localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ "
        "boot system restore --bootbanks` points them back.",
        ("F47", "F14", "F29"),
    ),
    "boot-device-lost": (
        "The boot device stopped answering (KB 318611), so /bootbank no longer leads to a directory: auto-backup.sh "
        "and backup.sh (the shutdown's too) raise the alert and save nothing. In the simulator a power cycle brings "
        "the device back as it was when it was lost, so the next boot restores the state.tgz written before the "
        "loss and every change since is gone.",
        ("F47", "F14", "F13", "F38"),
    ),
    "bootbanks-restored": (
        "localcli's internal `boot system restore --bootbanks` made /bootbank and /altbootbank point to the boot "
        "bank volumes again; from now on backups reach the boot device (KB 301134). What was 'saved' into /tmp "
        "before never reached it.",
        ("F47", "F14"),
    ),
    "backup-to-memory": (
        "/bootbank points to /tmp, which is a directory, so auto-backup.sh and backup.sh run as usual, but "
        "state.tgz is written onto the tmp ramdisk: the boot device's state.tgz is unchanged and this 'backup' is "
        "lost at reboot (KB 301134).",
        ("F47", "F14", "F16", "F27"),
    ),
}


def for_event(kind: str, details: Mapping[str, Any], snapshot: Any) -> tuple[str, tuple[str, ...]]:
    """(why, fact ids) for an event of `kind` with these `details`, read against the snapshot after it."""
    if "change" in details:
        return _change(kind, details, snapshot)
    if kind == "backup":
        return _backup(details)
    if kind == "backup-skipped":
        return _skipped(details)
    if kind == "bootloader":
        if details.get("bank") is None:
            return ("An Auto Deploy host boots its image over the network: no boot bank, no state.tgz.", ("F41",))
        whys = {why for _label, _before, _after, why in details.get("transitions", ())}
        moved = []
        if "first-boot" in whys:
            moved.append("marked the freshly written bank DIRTY for its first try")
        if "failed-upgrade" in whys:
            moved.append(
                "found a bank being upgraded with no usable updated= or build=, said the system failed to "
                "upgrade and marked it INVALID"
            )
        elif "never-confirmed" in whys:
            moved.append("marked the bank that was tried at the last boot and never confirmed INVALID")
        if not moved:
            moved.append("found no bank waiting for its first boot or for confirmation")
        text = (
            f"safeboot read build=, updated= and bootstate= from both boot banks, {', '.join(moved)}, then chose "
            "the bootable bank with the highest updated=."
        )
        facts: tuple[str, ...] = ("F4", "F5", "F6", "F7")
        if details.get("rolled_back"):
            text += (
                " Shift+R asked to replace the current hypervisor with the other bank's build, then marked the "
                "default bank INVALID for good and booted the other. That bank holds the previous image (n-1): every "
                "image change overwrites it, so a rollback goes one step back only."
            )
            facts += ("F8", "F45")
        return text, facts
    if kind == "restore":
        if not details.get("files"):
            return ("Without a readable state.tgz module the host boots with the image's own /etc.", ("F38",))
        text = (
            "state.tgz is loaded like any module; its local.tgz is unpacked over the image onto the ramdisks and "
            "each restored /etc file gets its .# twin back, so it stays persisted."
        )
        facts = ("F38", "F25")
        if any(p.startswith("/var/lib/vmware/configstore") for p in details["files"]):
            text += " On 7.0 the ConfigStore database comes back too."
            facts += ("F35",)
        if details.get("encrypted"):
            text += (
                " The configuration was encrypted (local.tgz.ve) and opened with the host's own key; the simulator "
                "keeps VMware's layout but uses a stand-in cipher, not VMware's."
            )
            facts += ("F36",)
        return text, facts
    if kind == "boot-complete":
        if details.get("bank"):
            return ("The new image booted, so the running system set its bootstate back to 0 (VALID).", ("F6",))
        return (
            "The host now runs from memory: any change lasts until the next boot unless backup.sh saves it.",
            ("F27", "F16"),
        )
    if kind == "upgrade" and details.get("major_upgrade"):
        text, facts = _FIXED["upgrade"]
        return (
            text + " This is the major upgrade from 6.x to 7.0: it changes the partitions of the boot device, so "
            "Shift+R will never bring 6.x back.",
            (*facts, "F45"),
        )
    if kind in ("vib-install", "vib-remove"):
        if details.get("live"):
            return (
                "A live change mounts or unmounts the VIB's tardisk now (it appears in or leaves /tardisks) and "
                "writes the new image to the altbootbank with bootstate=0; later backups go there too, until the "
                "reboot that boots it. The VIB itself never goes into state.tgz: it lives on the boot bank as a "
                "module.",
                ("F33", "F15", "F39", "F32", "F46"),
            )
        return (
            "A VIB that cannot change live is staged on the altbootbank with bootstate=1, with a fresh backup of the "
            "running configuration (backup.sh 0 /altbootbank): nothing changes until the reboot that boots the new "
            "image.",
            ("F33", "F7", "F49"),
        )
    if kind == "shutdown" and getattr(snapshot, "boot_device", "ok") != "ok":
        where = (
            "/bootbank pointed to /tmp, so it wrote state.tgz into memory"
            if snapshot.boot_device == "slow"
            else ("the boot device was lost, so it raised the alert and saved nothing")
        )
        return (
            f"The shutdown ran /bin/backup.sh 1, but {where}: the boot device keeps the state.tgz it had, and "
            "everything else on the ramdisks is gone.",
            ("F47", "F13", "F27"),
        )
    if kind == "bootbank-alert":
        if details["result"].cause == "write-failed":
            return (
                "/bootbank points to /tmp and the tmp ramdisk is full, so backup.sh could not write state.tgz.",
                ("F47", "F28"),
            )
        return (
            "auto-backup.sh and backup.sh first check that /bootbank is a directory; the boot device is lost, so the "
            "link leads nowhere: they raise this alert, exit 1 and save nothing.",
            ("F47", "F14"),
        )
    return _FIXED.get(kind, ("", ()))
