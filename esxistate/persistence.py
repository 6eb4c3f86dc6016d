"""Will this path survive? The one place that decides whether a file persists, and why, in ESXi's terms.

backup.sh saves exactly the /etc files that have a `.#` twin (F16); VisorFS makes the twin when a file that ships
with the sticky bit gets its first content write (F25), and the image decides which files carry that bit (F26). A
file you create, a file shipped without the bit and anything outside /etc get no twin and die with their ramdisk
(F27). `reason(snapshot, path)` names which of these applies; `fate(snapshot_or_host, path)` adds what a reboot, a
power loss and the next hourly cron run of auto-backup.sh would do to the file (F12, F13, F14, F23, F38), each
with its fact ids. Both only read a snapshot; why.py, explain.py and the exercises ask here and put the answer into
their own sentences.

    >>> import esxistate as es
    >>> host = es.Host.demo()
    >>> events = host.boot()
    >>> change = host.fs.write("/etc/ntp.conf", "server ntp.lab.local\\n")
    >>> f = fate(host, "/etc/ntp.conf")
    >>> f.reason, f.persisted, f.twin
    ('twin', True, '/etc/.#ntp.conf')
    >>> print(f.on_power_loss)
    lost: the copy in tardisk s.v00 comes back (F23)
    >>> reason(host.snapshot(), "/opt/notes.txt")
    'outside-etc'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .backup import CONFIGSTORE_BACKUP, CONFIGSTORE_RUNTIME
from .cron import CRONTAB, runs_auto_backup
from .entry import FILE, FileEntry
from .errors import EsxiStateError
from .events import Event, HostSnapshot
from .layers import norm, twin_of
from .statearchive import StateArchive

__all__ = [
    "CREATED",
    "NOT_STICKY",
    "OUTSIDE_ETC",
    "STICKY",
    "TWIN",
    "TWIN_MADE",
    "Fate",
    "Outcome",
    "fate",
    "image_reason",
    "reason",
    "saved_files",
    "saved_since",
    "shipped",
    "twin_left",
]

# Why backup.sh saves a file or not (F16, F25, F26). The first four are what the image and the path say before any
# write; the last two are what a write did.
OUTSIDE_ETC = "outside-etc"  # backup.sh looks only under /etc (F16)
CREATED = "created"  # no tardisk ships it: a file you create never gets a .# twin (F25)
NOT_STICKY = "not-sticky"  # shipped without the sticky bit: a write makes no .# twin (F26)
STICKY = "sticky"  # shipped with the sticky bit: its first content write makes the .# twin (F25)
TWIN_MADE = "twin-made"  # this very write made the .# twin (F25)
TWIN = "twin"  # its .# twin exists, so backup.sh saves it (F16)

# The reason in ESXi's words, and the facts behind it.
_BECAUSE: dict[str, tuple[str, tuple[str, ...]]] = {
    OUTSIDE_ETC: ("nothing outside /etc is saved by backup.sh", ("F16",)),
    CREATED: ("a file you create has no .# twin, so backup.sh never saves it", ("F16", "F25")),
    NOT_STICKY: ("it ships without the sticky bit, so it gets no .# twin and backup.sh never saves it", ("F16", "F26")),
    STICKY: ("it ships with the sticky bit but has no .# twin yet: only a content write makes one", ("F25",)),
    TWIN_MADE: (
        "it carries the sticky bit, so VisorFS kept the original as its .# twin: backup.sh saves it",
        ("F25", "F16"),
    ),
    TWIN: ("its .# twin exists, so backup.sh saves it", ("F16",)),
}


def shipped(snap: HostSnapshot, path: str) -> FileEntry | None:
    """The image's own copy of `path`: the entry of the last-mounted tardisk that ships it, or None."""
    return next((t.members[path] for t in reversed(snap.tardisks) if path in t.members), None)


def twin_left(snap: HostSnapshot, path: str) -> str | None:
    """The `.#` twin of `path` when it exists in the snapshot (it may outlive a deleted file), else None."""
    twin = twin_of(path)
    return twin if snap.exists(twin) else None


def image_reason(snap: HostSnapshot, path: str) -> str:
    """What the path and the image say before any write: OUTSIDE_ETC, CREATED, NOT_STICKY or STICKY."""
    if not path.startswith("/etc/"):
        return OUTSIDE_ETC
    entry = shipped(snap, path)
    if entry is None:
        return CREATED
    return STICKY if entry.sticky else NOT_STICKY


def reason(snap: HostSnapshot, path: str, *, twin_made: str | None = None, created: bool | None = None) -> str:
    """Why backup.sh saves `path` or not, read against the snapshot after a change. `twin_made`: the twin the change
    itself created (Event.details["twin"]); `created`: whether the change created the file (Change.created); when
    None, the image decides (`image_reason`)."""
    if not path.startswith("/etc/"):
        return OUTSIDE_ETC
    if twin_made:
        return TWIN_MADE
    if twin_left(snap, path):
        return TWIN
    if created is None:
        return image_reason(snap, path)
    return CREATED if created else NOT_STICKY


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one event (reboot, power loss, next cron run) would do to a file, and why."""

    what: str
    facts: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.what} ({', '.join(self.facts)})" if self.facts else self.what


@dataclass(frozen=True, slots=True)
class Fate:
    """Whether a file persists, why, and what a reboot, a power loss and the next backup would do to it."""

    path: str
    reason: str  # one of OUTSIDE_ETC, CREATED, NOT_STICKY, STICKY, TWIN (see `reason`)
    persisted: bool  # backup.sh saves it: an /etc file with a .# twin, or 7.0's running ConfigStore (F16, F35)
    twin: str | None  # the `.#` twin's path when it exists (and the host runs)
    in_state: bool | None  # the boot bank's state.tgz holds it; None: cannot tell (no boot bank, encrypted)
    matches_state: bool | None  # ... with the same content as now
    on_reboot: Outcome
    on_power_loss: Outcome
    at_next_backup: Outcome  # the next hourly cron run of /sbin/auto-backup.sh (F12, F14)

    @property
    def because(self) -> str:
        """The reason in ESXi's words."""
        return _BECAUSE[self.reason][0]

    @property
    def facts(self) -> tuple[str, ...]:
        """The fact ids behind the reason and the three outcomes, each once, in order."""
        ids = [*_BECAUSE[self.reason][1], *self.on_reboot.facts, *self.on_power_loss.facts, *self.at_next_backup.facts]
        return tuple(dict.fromkeys(ids))

    def __repr__(self) -> str:
        return f"Fate({self.path!r}, {self.reason}, persisted={self.persisted})"


def saved_files(snap: HostSnapshot, key: bytes | None = None) -> dict[str, bytes] | None:
    """Path -> bytes of what the boot bank's state.tgz holds; None when that cannot be read: no boot bank, a damaged
    archive, or an encrypted one (F36) without the host's own key. The host can read its own (it does at boot)."""
    bank = snap.bootbank
    if bank is None:
        return None
    if "state.tgz" not in bank.files:
        return {}
    try:
        state = StateArchive.from_bytes(bank.files["state.tgz"])
        if state.encrypted:
            if key is None:
                return None
            from .backup import archived_files

            return {"/" + n: data for n, data in archived_files(bank.files["state.tgz"], key).items()}
        return {"/" + n: e.data for n, e in state.files.items()}
    except EsxiStateError:
        return None


def _cron_active(snap: HostSnapshot) -> bool:
    try:
        text = snap.read_text(CRONTAB)
    except EsxiStateError:
        return False
    return runs_auto_backup(text)


def saved_since(history: Sequence[Event], path: str) -> datetime | None:
    """When the last complete backup in `history` saved `path`; None when it was restored at boot since."""
    for event in reversed(history):
        if event.kind == "backup" and path in event.paths and not event.details["result"].interrupted_after:
            return event.time
        if event.kind == "restore" and path in event.paths:
            return None  # restored at boot; saved before this history began or before that boot
    return None


def fate(source: HostSnapshot | Any, path: str, *, key: bytes | None = None) -> Fate:
    """Will `path` survive, and why: read off a snapshot, or off a host's current snapshot (whose own key opens an
    encrypted state.tgz, F36). `key` opens an encrypted state.tgz as the host itself can; without it, what a power
    loss brings back is said to be unknown."""
    if isinstance(source, HostSnapshot):
        snap = source
    else:
        snap = source.snapshot()
        key = key if key is not None else getattr(source, "_tpm_key", None)
    p = norm(path)
    res = snap.resolve(p)
    entry = res.entry
    twin = twin_left(snap, p) if snap.powered_on else None
    saved = saved_files(snap, key)
    unreadable = saved is None and snap.bootbank is not None and "state.tgz" in snap.bootbank.files
    member = CONFIGSTORE_BACKUP if p == CONFIGSTORE_RUNTIME else p
    in_state = None if saved is None else member in saved
    matches = None
    if saved is not None and member in saved and entry is not None and entry.kind == FILE:
        matches = saved[member] == entry.data
    why = reason(snap, p) if snap.powered_on else image_reason(snap, p)
    persisted = p.startswith("/etc/") and twin is not None and entry is not None and entry.kind == FILE
    if p == CONFIGSTORE_RUNTIME and snap.version.startswith("7"):
        persisted = entry is not None
    tardisk_copy = next((t.name for t in reversed(snap.tardisks) if p in t.members and t.name != "state.tgz"), None)
    image = f"the copy in tardisk {tardisk_copy} comes back" if tardisk_copy else "it is gone"

    if snap.stateless:
        reboot = power = Outcome(f"every change is lost: {image}", ("F41",))
        cron = Outcome("nothing: a PXE-booted host has no /bootbank to save to", ("F41",))
    elif p == CONFIGSTORE_BACKUP and snap.version.startswith("7") and entry is not None:
        # the name local.tgz gives the ConfigStore: backup.sh writes the running database under it (F35)
        reboot = Outcome(
            f"restored from local.tgz: the shutdown backup stores the running ConfigStore ({CONFIGSTORE_RUNTIME}) "
            "under this name",
            ("F13", "F35", "F38"),
        )
        power = Outcome("restored from state.tgz, as the last backup saved the ConfigStore", ("F23", "F35", "F38"))
        cron = Outcome(
            "auto-backup.sh saves the running ConfigStore under this name when it differs", ("F12", "F14", "F35")
        )
    elif persisted and snap.boot_device != "ok":  # /bootbank points to /tmp, or the boot device is lost (F47)
        from .bootdevice import outcomes

        reboot, power, cron = outcomes(snap.boot_device, matches, in_state, image)
    elif res.kind == "tardisk":
        reboot = power = Outcome(f"unchanged: tardisk {res.layer} is mounted again", ("F39",))
        cron = Outcome("nothing to save: the file is the image's own", ("F16",))
    elif persisted:
        reboot = Outcome(
            "kept: the shutdown runs backup.sh 1, which saves it", ("F13", "F35" if p == CONFIGSTORE_RUNTIME else "F16")
        )
        if matches:
            power = Outcome("kept: state.tgz already holds this content", ("F23", "F38"))
        elif in_state:
            power = Outcome("back to the older copy in state.tgz", ("F23", "F38"))
        elif unreadable:
            power = Outcome(
                "whatever the last backup saved comes back; the encrypted state.tgz cannot be read here "
                "to say which copy that is",
                ("F23", "F36"),
            )
        else:
            power = Outcome(f"lost: {image}", ("F23",))
        if not _cron_active(snap):
            cron = Outcome("nothing: root's crontab no longer runs auto-backup.sh", ("F12",))
        elif matches:
            cron = Outcome("nothing to do: auto-backup.sh finds it equal to state.tgz", ("F14",))
        else:
            cron = Outcome("saved: auto-backup.sh sees it differs and runs backup.sh", ("F12", "F14"))
    elif res.deleted and p.startswith("/etc/") and snap.exists(twin_of(p)):
        reboot = Outcome(f"the shutdown backup drops it from state.tgz, so {image}", ("F13", "F16", "F39"))
        power = Outcome(
            "it comes back from state.tgz" if in_state else f"{image}", ("F23", "F38") if in_state else ("F23",)
        )
        cron = Outcome("nothing: deleting alone does not trigger auto-backup.sh", ("F14",))
    elif entry is None and not res.deleted:
        reboot = power = Outcome("nothing: it does not exist", ())
        cron = Outcome("nothing", ())
    elif res.deleted:
        reboot = power = Outcome(f"the delete is forgotten: {image}", ("F27", "F39"))
        cron = Outcome("nothing: deleting alone does not trigger auto-backup.sh", ("F14",))
    else:
        lost = "nothing outside /etc is saved" if why == OUTSIDE_ETC else "it has no .# twin"
        reboot = power = Outcome(f"lost ({lost}): {image}", ("F16", "F27"))
        cron = Outcome(f"never saved: {lost}", ("F16",))
    return Fate(p, why, persisted, twin, in_state, matches, reboot, power, cron)
