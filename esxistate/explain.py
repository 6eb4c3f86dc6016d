"""Answers to "where does this file come from, and will it survive?", and what changed between two moments.

`explain(snapshot, path, history)` names the layer serving a path, the layers it hides, its `.#` twin, whether the
current state.tgz holds it (and since when), and what a reboot, a power loss and the next hourly cron run would do
to it, each with the ESXi facts behind the answer. `diff(a, b)` lists files added, changed, removed, branched and
persisted between two snapshots, the way a layered-image explorer shows per-layer changes. Both are pure: they read
snapshots and events and never run the engine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .backup import CONFIGSTORE_BACKUP, CONFIGSTORE_RUNTIME
from .cron import CRONTAB, runs_auto_backup
from .entry import FILE
from .errors import EsxiStateError
from .events import Event, HostSnapshot
from .layers import norm, twin_of
from .statearchive import StateArchive

__all__ = ["Diff", "Explanation", "Outcome", "diff", "explain"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one event (reboot, power loss, next cron run) would do to a file, and why."""

    what: str
    facts: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.what} ({', '.join(self.facts)})" if self.facts else self.what


@dataclass(frozen=True, slots=True)
class Explanation:
    path: str
    exists: bool
    layer: str | None
    kind: str | None  # "tardisk" | "ramdisk" | None
    shadowed: tuple[str, ...]
    deleted: bool
    twin: str | None  # the `.#` twin's path when it exists
    in_state: bool | None  # None: unknown (no boot bank, or an encrypted state.tgz)
    saved_since: datetime | None
    matches_state: bool | None
    on_reboot: Outcome
    on_power_loss: Outcome
    at_next_cron: Outcome
    where: Outcome

    def __str__(self) -> str:
        lines = [f"{self.path}", f"  where it comes from: {self.where}"]
        if self.shadowed and not self.deleted:
            lines.append(f"  it hides the copies in: {', '.join(self.shadowed)}")
        lines.append(f"  .# twin: {self.twin or 'none'}")
        if self.in_state is None:
            lines.append("  in state.tgz: cannot tell (no boot bank, or the state is encrypted)")
        elif self.in_state:
            since = f" since {self.saved_since:%Y-%m-%d %H:%M}" if self.saved_since else ""
            same = "the same content as now" if self.matches_state else "an older content than now"
            lines.append(f"  in state.tgz: yes{since}, with {same}")
        else:
            lines.append("  in state.tgz: no")
        lines += [
            f"  after an orderly reboot: {self.on_reboot}",
            f"  after a power loss: {self.on_power_loss}",
            f"  at the next hourly cron run: {self.at_next_cron}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Explanation({self.path!r}, served by {self.layer})"


def _saved(snap: HostSnapshot, key: bytes | None = None) -> dict[str, bytes] | None:
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


def _saved_since(history: Sequence[Event], path: str) -> datetime | None:
    for event in reversed(history):
        if event.kind == "backup" and path in event.paths and not event.details["result"].interrupted_after:
            return event.time
        if event.kind == "restore" and path in event.paths:
            return None  # restored at boot; saved before this history began or before that boot
    return None


def explain(snap: HostSnapshot, path: str, history: Sequence[Event] = (), *, key: bytes | None = None) -> Explanation:
    """Where `path` comes from and what would happen to it (see the module docstring). `key` opens an encrypted
    state.tgz (F36), as the host itself can; without it, what a power loss brings back is said to be unknown."""
    p = norm(path)
    res = snap.resolve(p)
    entry = res.entry
    twin = twin_of(p) if snap.powered_on and snap.exists(twin_of(p)) else None
    saved = _saved(snap, key)
    unreadable = saved is None and snap.bootbank is not None and "state.tgz" in snap.bootbank.files
    key = CONFIGSTORE_BACKUP if p == CONFIGSTORE_RUNTIME else p
    in_state = None if saved is None else key in saved
    matches = None
    if saved is not None and key in saved and entry is not None and entry.kind == FILE:
        matches = saved[key] == entry.data
    persisted = p.startswith("/etc/") and twin is not None and entry is not None and entry.kind == FILE
    if p == CONFIGSTORE_RUNTIME and snap.version.startswith("7"):
        persisted = entry is not None
    tardisk_copy = next((t.name for t in reversed(snap.tardisks) if p in t.members and t.name != "state.tgz"), None)
    image = f"the copy in tardisk {tardisk_copy} comes back" if tardisk_copy else "it is gone"

    if res.kind == "tardisk":
        where = Outcome(f"tardisk {res.layer}, read-only, mounted from the boot bank at boot", ("F39",))
    elif res.kind == "ramdisk":
        origin = f", branched from {res.shadowed[0]}" if res.shadowed else ", created after boot or restored"
        where = Outcome(f"the {res.layer} ramdisk, in memory{origin}", ("F27",))
    elif res.deleted:
        where = Outcome(f"nowhere: it was deleted; a whiteout on the ramdisk hides {', '.join(res.shadowed)}", ("F39",))
    else:
        where = Outcome("nowhere: no tardisk and no ramdisk holds it", ())

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
        why = "nothing outside /etc is saved" if not p.startswith("/etc/") else "it has no .# twin"
        reboot = power = Outcome(f"lost ({why}): {image}", ("F16", "F27"))
        cron = Outcome(f"never saved: {why}", ("F16",))
    return Explanation(
        p,
        entry is not None,
        res.layer,
        res.kind,
        res.shadowed,
        res.deleted,
        twin,
        in_state,
        _saved_since(history, p) if in_state else None,
        matches,
        reboot,
        power,
        cron,
        where,
    )


@dataclass(frozen=True, slots=True)
class Diff:
    """What changed between two moments, file by file."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    branched: tuple[tuple[str, str, str], ...]  # (path, from tardisk, onto ramdisk)
    persisted: tuple[str, ...]  # paths whose saved copy in state.tgz is new or different
    unpersisted: tuple[str, ...]  # paths state.tgz no longer holds

    def __str__(self) -> str:
        out = [f"+ {p}" for p in self.added] + [f"~ {p}" for p in self.changed] + [f"- {p}" for p in self.removed]
        out += [f"> {p} branched from {t} onto the {r} ramdisk" for p, t, r in self.branched]
        out += [f"* {p} saved in state.tgz" for p in self.persisted]
        out += [f"x {p} no longer in state.tgz" for p in self.unpersisted]
        return "\n".join(out) if out else "no change"

    def __repr__(self) -> str:
        return (
            f"Diff(+{len(self.added)} ~{len(self.changed)} -{len(self.removed)} "
            f">{len(self.branched)} *{len(self.persisted)})"
        )


_HIDDEN = re.compile(r"^/(tmp|var/run)/")


def diff(a: HostSnapshot | Event | Any, b: HostSnapshot | Event | Any) -> Diff:
    """Files added/changed/removed, branched and persisted from `a` to `b` (events or snapshots)."""
    sa = a.snapshot if isinstance(a, Event) else a
    sb = b.snapshot if isinstance(b, Event) else b
    fa, fb = (dict(s.files) if s.powered_on else {} for s in (sa, sb))
    added = sorted(p for p, e in fb.items() if p not in fa and e.kind == FILE and not _HIDDEN.match(p))
    removed = sorted(p for p, e in fa.items() if p not in fb and e.kind == FILE and not _HIDDEN.match(p))
    changed = sorted(
        p
        for p, e in fb.items()
        if p in fa and e.kind == FILE and (e.data != fa[p].data or e.mode != fa[p].mode) and not _HIDDEN.match(p)
    )
    branched = []
    for p in sorted(set(changed) | set(added)):
        rb = sb.resolve(p)
        if rb.kind == "ramdisk" and rb.shadowed and p in fa and sa.resolve(p).kind == "tardisk":
            branched.append((p, rb.shadowed[0], rb.layer or ""))
    ka, kb = _saved(sa) or {}, _saved(sb) or {}
    persisted = sorted(p for p, data in kb.items() if ka.get(p) != data)
    unpersisted = sorted(p for p in ka if p not in kb)
    return Diff(tuple(added), tuple(changed), tuple(removed), tuple(branched), tuple(persisted), tuple(unpersisted))
