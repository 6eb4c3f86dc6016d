"""The ESXi facts the simulator implements, one entry each, so every "why" can show its evidence.

Each `Fact` has the id used everywhere in the code and the lessons (F1 ... F49), one sentence in this project's own
words, how sure we are (`confidence`), the public sources, and, where the simulator simplifies, a note saying how.

Confidence, from the strongest:

- ``confirmed``: two or more independent public sources agree;
- ``single source``: one public source (often the ESXi code itself, such as backup.sh or the boot loader);
- ``inferred``: reasoned from sources, not stated by any of them (the reasoning is in the sentence).

Every rule in the engine names the fact it implements (``# F27``, "(F27)" in an event's `why`), and the test
suite checks that each id named in the code is in this registry and that each registry entry is named somewhere.

    >>> from esxistate import facts
    >>> facts.fact("F27").confidence
    'confirmed'
    >>> facts.cite("F27", "F25")
    '(F27, F25)'
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import UnknownFact

__all__ = ["CONFIDENCE", "FACTS", "Fact", "annotate_html", "cite", "describe", "fact"]

CONFIDENCE: tuple[str, ...] = ("confirmed", "single source", "inferred")

# Public sources, named once.
_ESXBOOT = "https://github.com/vmware/esx-boot (the ESXi boot loader's source)"
_BOOTCFG_DOC = (
    "https://docs.vmware.com/en/VMware-vSphere/6.7/com.vmware.esxi.install.doc/"
    "GUID-1DE4EC58-8665-4F14-9AB4-1C62297D866B.html (About the boot.cfg file)"
)
_ESX67 = "https://github.com/ljvblfz/ESXi (the unpacked root file system of ESXi 6.7.0 build 8169922)"
_KB2043048 = "VMware KB 2043048 (KB 342062): Locally restoring an ESXi configuration from state.tgz"
_KB313072 = "VMware KB 313072: Applying vSphere host configuration changes (persistence after a reboot)"
_KB2043564 = "VMware KB 2043564: running commands at the end of boot from /etc/rc.local.d/local.sh"
_VMHELP = "http://www.vm-help.com/esx41/adding_files_to_state_tgz.php"
_VIRTUAL = "http://www.virtu-al.net/2011/02/23/backing-up-the-esxi-system-image/"
_BLOG = "http://vmusketeers.com/2015/01/20/esxi-tardisks-ramdisks-esxi-local-state/"
_DISSECT = "https://github.com/fox-it/dissect.target (dissect/target/plugins/os/unix/esxi/_os.py)"
_VSPHERE_BLOG = "https://blogs.vmware.com/vsphere/?p=3651 (How often does ESXi write to the boot disk?)"
_PERSIST = "https://williamlam.com/2011/08/how-to-persist-configuration-changes-in.html"
_DEINOS = "http://deinoscloud.wordpress.com/2010/02/17/esxi-automatic-backups/"
_VINF = "http://vinfrastructure.it/en/2012/04/esxi-how-does-the-dual-bank-work/"
_ENCRYPT_DOC = (
    "https://docs.vmware.com/en/VMware-vSphere/7.0/com.vmware.vsphere.security.doc/"
    "GUID-9AA429CE-2D90-4B70-A7FA-B93BC40C94A1.html (secure ESXi configuration)"
)
_AUTODEPLOY_DOC = (
    "https://docs.vmware.com/en/VMware-vSphere/7.0/com.vmware.esxi.install.doc/"
    "GUID-C6FBA22C-048A-455F-9D45-58834445ACA5.html (Auto Deploy stateless caching and stateful installs)"
)
_KB1033604 = "VMware KB 1033604: Reverting to a previous version of ESXi (Shift+R at the boot loader)"
_KB301134 = "VMware KB 301134: /bootbank points to /tmp when the boot device is claimed late at boot"
_KB318611 = "VMware KB 318611: 'Bootbank cannot be found at path /bootbank' when the boot device fails"
_ESXUPDATE_LOG = (
    "http://www.virtirl.com/esxupdate-error-code-15-copying-payloads-to-altbootbank/ (a published 2013 "
    "esxupdate.log of a VIB install)"
)
_FIRMWARE_API = "vSphere API reference: HostFirmwareSystem.BackupFirmwareConfiguration / RestoreFirmwareConfiguration"


@dataclass(frozen=True)
class Fact:
    """One thing real ESXi does. `note`, if any, says how the simulator departs from it or where evidence is thin."""

    id: str
    text: str
    confidence: str
    sources: tuple[str, ...]
    note: str = ""

    def __str__(self) -> str:
        return f"{self.id} ({self.confidence}): {self.text}"


def _facts(*entries: Fact) -> Mapping[str, Fact]:
    table = {f.id: f for f in entries}
    assert len(table) == len(entries), "duplicate fact id"
    assert all(f.confidence in CONFIDENCE for f in entries), "unknown confidence"
    return MappingProxyType(table)


FACTS: Mapping[str, Fact] = _facts(
    # -- boot.cfg and the boot loader --------------------------------------------------------------------------
    Fact(
        "F1",
        "boot.cfg is a text file of KEY=VALUE lines: blanks around a line and around '=' do not matter, '#' starts a "
        "comment, keys are matched without regard to case, and keys the loader does not know are ignored, not refused.",
        "confirmed",
        (_ESXBOOT, _BOOTCFG_DOC),
    ),
    Fact(
        "F2",
        "The loader needs kernel= (without it: 'kernel=<FILEPATH> must be set') and knows kernelopt, modules, title, "
        "prefix, timeout and a few flags; an integer key with a value that is not a number is a syntax error.",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F3",
        "modules= is a list separated by '---': each item is trimmed, empty items are skipped, and the kernel is "
        "module 0 with the listed modules following in the order written.",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F4",
        "build=, updated= and bootstate= are not for the kernel loader: safeboot, the part of the boot loader that "
        "chooses a boot bank, reads them (updated and bootstate default to 0).",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F5",
        "bootstate= is 0 VALID, 1 UPGRADING, 2 DIRTY or 3 INVALID; a bank can boot only if it is VALID or DIRTY, its "
        "updated= is above 0 and its build= is not empty.",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F6",
        "Each boot the loader turns UPGRADING into DIRTY (first try) and DIRTY into INVALID (never confirmed: failed), "
        "and the booted system sets DIRTY back to VALID; 'system has failed to upgrade' is printed only for an "
        "UPGRADING bank with a bad updated= or build=.",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F7",
        "Of the banks that can boot, the one with the highest updated= boots; on a tie the first one scanned "
        "(BOOTBANK1) wins.",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F8",
        "Pressing Shift+R at the loader offers the other bootable bank; choosing it marks the default bank INVALID, so "
        "the rollback lasts; with one bootable bank the loader refuses.",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F9",
        "Safeboot scans the boot banks (two normally; a third may exist for a moment during some upgrades); a bank "
        "marked quickboot=1 is a one-shot bank for Quick Boot.",
        "single source",
        (_ESXBOOT,),
        "The simulator models exactly two banks and keeps quickboot= as an unknown key.",
    ),
    # -- modules, VIB payloads -----------------------------------------------------------------------------------
    Fact(
        "F10",
        "A VIB's payloads have a type: 'boot' payloads are loaded by the loader as kernel-side modules (executives), "
        "while tgz and vgz payloads become read-only tardisks mounted into the root file system.",
        "single source",
        (_ESX67,),
    ),
    Fact(
        "F11",
        "Module files on the boot bank have 8.3 names: the payload name cut to 8 characters plus .b00, .v00 or .t00, "
        "with the digit raised when two names collide.",
        "confirmed",
        (_ESX67, _BOOTCFG_DOC),
    ),
    # -- when backups run ----------------------------------------------------------------------------------------
    Fact(
        "F12",
        "root's crontab runs /sbin/auto-backup.sh at minute 1 of every hour.",
        "confirmed",
        (_ESX67, _VMHELP, _KB2043048),
    ),
    Fact(
        "F13",
        "An orderly shutdown or reboot runs '/bin/backup.sh 1' from /etc/inittab after the virtual machines and "
        "services have stopped, without comparing anything first.",
        "single source",
        (_ESX67, _VMHELP, _KB2043048),
    ),
    Fact(
        "F14",
        "auto-backup.sh gives up when there is no /bootbank, runs backup.sh when there is no state.tgz, and otherwise "
        "unpacks state.tgz and its local.tgz into /tmp and runs 'diff -N' on each file to save, calling backup.sh "
        "at the first difference.",
        "confirmed",
        (_ESX67, _KB2043048),
    ),
    Fact(
        "F15",
        "backup.sh takes 0 (a normal run) or 1 (from shutdown) and writes to /bootbank, or to /altbootbank after a "
        "live VIB install left its marker file.",
        "confirmed",
        (_ESX67,),
    ),
    Fact(
        "F16",
        "backup.sh saves exactly the /etc files that have a hidden '.#' twin next to them (found with "
        "find etc -name '.#*'); on 7.0 local.tgz also holds the ConfigStore (F35).",
        "confirmed",
        (_ESX67, _VMHELP, _KB2043048),
    ),
    Fact(
        "F17",
        "backup.sh writes local.tgz and state.tgz under temporary names, syncs, and renames them into place, so a "
        "power cut leaves either the old state.tgz or the new one, never half of one; the next run deletes leftovers.",
        "confirmed",
        (_ESX67,),
    ),
    Fact(
        "F18",
        "Each backup.sh run also counts itself in /etc/vmware/.backup.counter and rewrites useropts.gz only when the "
        "kernel options changed.",
        "single source",
        (_ESX67,),
    ),
    Fact(
        "F19",
        "backup.sh holds a lock file /tmp/<bank>.lck while it runs, so two backups never write at once.",
        "single source",
        (_ESX67,),
        "The simulator runs one operation at a time, so the lock is never contended.",
    ),
    Fact(
        "F20",
        "When an upgrade is staged on the altbootbank, the shutdown backup also writes a fresh state.tgz there, so "
        "the new image boots with the current configuration.",
        "confirmed",
        (_ESX67,),
    ),
    Fact(
        "F21",
        "Besides shutdown and the hourly cron job, hostd starts a backup right after a configuration change made "
        "through it (the vSphere Client, esxcli, vCenter), at most 6 in an hour; running auto-backup.sh by hand is "
        "the documented way to save now.",
        "inferred",
        (_VSPHERE_BLOG, _KB2043048),
        "The simulator applies the limit as 6 in any rolling hour.",
    ),
    Fact(
        "F22",
        "Only the cron path compares before writing: the shutdown backup rewrites state.tgz whenever there is a file "
        "to save.",
        "inferred",
        (_ESX67,),
    ),
    Fact(
        "F23",
        "A power loss, hard reset or 'reboot -f' skips the shutdown backup, so every change since the last backup is "
        "lost and the host boots with the configuration saved before.",
        "confirmed",
        (_KB313072, _VSPHERE_BLOG, _ESX67),
    ),
    Fact(
        "F24",
        "ESXi 4.0 wrote local.tgz straight to the boot bank on Embedded hosts; since then the saved configuration is "
        "always local.tgz inside state.tgz.",
        "confirmed",
        (_DEINOS, _VMHELP),
        "The simulator covers 6.7 and 7.0 only, where local.tgz always travels inside state.tgz.",
    ),
    # -- sticky bit, twins, branching ----------------------------------------------------------------------------
    Fact(
        "F25",
        "Some /etc files ship with the sticky bit; when one is modified, VisorFS keeps the original as a hidden '.#' "
        "twin beside it, and that twin is how backup.sh knows to save the file.",
        "confirmed",
        (_PERSIST, _KB2043048, _VMHELP, _VIRTUAL),
    ),
    Fact(
        "F26",
        "The image decides which files are sticky (esx.conf, hosts, passwd, shadow, ntp.conf and others); files "
        "without the sticky bit, such as /etc/pam.d/system-auth, lose their changes at reboot.",
        "confirmed",
        (_VIRTUAL, _PERSIST, _VMHELP),
        "The principle has several sources; the exact list of sticky files in the demo images is our best knowledge.",
    ),
    Fact(
        "F27",
        "A tardisk is read-only: writing a file that only a tardisk holds makes VisorFS copy that one file onto the "
        "ramdisk that holds its directory (branching), and the copy hides the tardisk's from then on.",
        "confirmed",
        (_BLOG, _KB2043048, _VIRTUAL),
        "That the copy is of the one file, not of the whole tardisk, is inferred from ramdisk sizes.",
    ),
    Fact(
        "F28",
        "Ramdisks have a fixed size; when one is full the write fails ('No space left on device') and hostd raises "
        "esx.problem.visorfs.ramdisk.full.",
        "confirmed",
        (_ESX67,),
    ),
    Fact(
        "F29",
        "Ramdisks are made by name, with a size, permissions and a mount point (esxcli system visorfs ramdisk add).",
        "single source",
        (_ESX67,),
        "The simulator makes a fixed set of ramdisks at boot and counts file bytes only.",
    ),
    Fact(
        "F30",
        "A VIB is named vendor_type_name_version and its descriptor carries an acceptance level, whether it may be "
        "installed live, whether it is an overlay, and its payloads.",
        "single source",
        (_ESX67,),
    ),
    Fact(
        "F31",
        "The image database under /var/db/esximg records each installed VIB and the module file that holds its "
        "payload; the boot bank keeps it as imgdb.tgz.",
        "inferred",
        (_ESX67,),
    ),
    Fact(
        "F32",
        "Installed VIBs never go into state.tgz: a VIB becomes a module file on a boot bank and a modules= entry, "
        "while state.tgz holds only local.tgz with the saved /etc files.",
        "confirmed",
        (_ESX67, _KB2043048, _DISSECT),
    ),
    Fact(
        "F33",
        "A VIB update writes a new image to the altbootbank with a higher updated=: UPGRADING when it needs a reboot; "
        "VALID and mounted at once when it is installed live.",
        "single source",
        (_ESX67, _VINF),
        "That the altbootbank starts as a copy of the running bank is inferred.",
    ),
    Fact(
        "F34",
        "'esxcli software vib list' prints the columns Name, Version, Vendor, Acceptance Level and Install Date, one "
        "row per VIB.",
        "inferred",
        (_ESX67,),
        "The column names match the VIB descriptors' fields; the exact layout follows a sample of the output.",
    ),
    # -- ESXi 7 --------------------------------------------------------------------------------------------------
    Fact(
        "F35",
        "ESXi 7 keeps much of its configuration in ConfigStore, an SQLite database under /etc/vmware/configstore, "
        "saved in local.tgz as var/lib/vmware/configstore/backup/current-store-1: a path outside etc/.",
        "single source",
        (_DISSECT,),
        "The simulator's ConfigStore holds a handful of settings.",
    ),
    Fact(
        "F36",
        "From 7.0 Update 2 every host encrypts the saved configuration, with no switch, from the first boot of such an "
        "image: state.tgz then holds local.tgz.ve and encryption.info instead of a readable local.tgz.",
        "confirmed",
        (_DISSECT, _ENCRYPT_DOC),
        "The simulator's envelope is not real encryption: it only shows that local.tgz can no longer be read. 7.0 U3 "
        "encrypts by itself; secure_config=True gives a 7.0 GA host the same layout for comparison.",
    ),
    Fact(
        "F37",
        "ESXi 7 changed the boot disk: a system boot partition, two larger boot banks BOOTBANK1 and BOOTBANK2, and "
        "ESX-OSData in place of the scratch, locker and coredump partitions.",
        "confirmed",
        (_DISSECT,),
    ),
    Fact(
        "F38",
        "At boot, state.tgz is loaded like the other modules: its local.tgz appears at /local.tgz and its /etc files "
        "are unpacked over the image's, onto the ramdisks.",
        "inferred",
        (_KB2043048, _DISSECT),
    ),
    Fact(
        "F39",
        "Tardisks are mounted in boot.cfg order and, for a path several hold, the one mounted later wins; removing "
        "the top one reveals the one below.",
        "confirmed",
        (_VIRTUAL, _DISSECT, _BLOG),
    ),
    Fact(
        "F40",
        "VisorFS ramdisks are mounted at /, /etc, /tmp, /var and a few more, each with its own size and mode.",
        "confirmed",
        (_KB2043048,),
        "Sizes and the 7.0-only mount points in the demo images are representative, not copied from one host.",
    ),
    Fact(
        "F41",
        "A stateless host (PXE-booted by Auto Deploy) has no /bootbank: auto-backup.sh refuses, nothing is saved "
        "locally, and the configuration comes back from vCenter at every boot.",
        "confirmed",
        (_ESX67, _AUTODEPLOY_DOC),
    ),
    Fact(
        "F42",
        "Besides state.tgz, the boot bank holds small gzip text modules listed first in modules=: jumpstrt.gz, "
        "useropts.gz (kernel options) and features.gz.",
        "single source",
        (_ESX67,),
    ),
    Fact(
        "F43",
        "'vim-cmd hostsvc/firmware/backup_config' writes configBundle-<host>.tgz (a Manifest.txt with RELEASELEVEL, "
        "UUID, KERNELOPTS and USEROPTS, and a state.tgz); restore_config refuses a bundle of another release level "
        "even when forced and one of another host's UUID unless forced, then reboots.",
        "confirmed",
        (_FIRMWARE_API, _ESX67),
        "The Manifest keys are firmwareConfig.sh's; real hosts were reported to accept mismatched builds.",
    ),
    Fact(
        "F44",
        "The usual surprises: /etc/rc.local.d/local.sh is saved like other sticky /etc files, so an edit needs a "
        "backup before a hard reset; root's crontab is rebuilt from the image at boot; changes made through hostd "
        "persist, hand edits only if the file is saved.",
        "confirmed",
        (_KB2043564, _PERSIST),
    ),
    Fact(
        "F45",
        "Shift+R can go back to the previous build after a VIB change, a patch or an update (the altbootbank keeps "
        "only that n-1 image), but not after upgrading 6.x to 7.0, which re-lays the boot device's partitions and "
        "leaves no 6.x image to boot.",
        "single source",
        (_KB1033604,),
        "After the first reboot that follows an upgrade, a further reboot-required change also discards the way back.",
    ),
    Fact(
        "F46",
        "The boot loader decompresses each module as it loads it, so the tardisks live decompressed in memory, and "
        "each mounted tardisk shows under /tardisks (live VIB installs mount theirs there too).",
        "single source",
        (_ESXBOOT,),
    ),
    Fact(
        "F47",
        "When the boot device is claimed late at boot, /bootbank and /altbootbank point into /tmp and every backup "
        'is lost at reboot; when it fails while the host runs, auto-backup.sh raises "Bootbank cannot be found at '
        "path '/bootbank'\" and saves nothing.",
        "confirmed",
        (_KB301134, _KB318611, _ESX67),
    ),
    Fact(
        "F48",
        "In the real 6.7 tree /etc/inittab runs services.sh and /etc/rc.local at boot and '/sbin/backup.sh 1' at "
        "shutdown, backup.sh with no argument prints its usage, and auto-backup.sh run by hand prints the 'diff -N' "
        "of the first changed file.",
        "single source",
        (_ESX67,),
        "7.0's crontab adds '/bin/crx-cli gc' and runs auto-backup.sh with a ++group= resource group.",
    ),
    Fact(
        "F49",
        "Staging an image change runs '/sbin/backup.sh 0 /altbootbank' before the new boot.cfg is written, so the "
        "new bank carries the configuration as it is at install time.",
        "single source",
        (_ESXUPDATE_LOG,),
    ),
)

_ID = re.compile(r"\bF([1-9]\d?)\b")


def fact(fid: str) -> Fact:
    """The fact with this id (``"F27"``). UnknownFact for an id that is not in the registry."""
    try:
        return FACTS[fid]
    except (KeyError, TypeError):
        raise UnknownFact(fid, tuple(FACTS)) from None


def cite(*ids: str) -> str:
    """``(F27, F25)`` for use at the end of a sentence; each id must exist (UnknownFact otherwise)."""
    for fid in ids:
        fact(fid)
    return f"({', '.join(ids)})" if ids else ""


def describe(ids: str | Iterable[str]) -> str:
    """One line per fact, for a student asking "what is F27?": id, confidence, sentence, and simplification."""
    if isinstance(ids, str):
        ids = [ids]
    lines = []
    for fid in ids:
        f = fact(fid)
        line = f"{f.id} ({f.confidence}): {f.text}"
        if f.note:
            line += f" Note: {f.note}"
        lines.append(line)
    return "\n".join(lines)


def annotate_html(escaped: str) -> str:
    """Wrap each known fact id in already-escaped HTML text in an <abbr> whose tooltip is the fact's sentence."""

    def one(match: re.Match[str]) -> str:
        f = FACTS.get(match.group(0))
        if f is None:
            return match.group(0)
        return f'<abbr title="{_html.escape(str(f), quote=True)}">{f.id}</abbr>'

    return _ID.sub(one, escaped)
