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

from .entry import FILE
from .events import Event, HostSnapshot
from .layers import norm
from .persistence import Outcome, fate, saved_files, saved_since

__all__ = ["Diff", "Explanation", "Outcome", "diff", "explain"]


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


def explain(snap: HostSnapshot, path: str, history: Sequence[Event] = (), *, key: bytes | None = None) -> Explanation:
    """Where `path` comes from and what would happen to it (see the module docstring). `key` opens an encrypted
    state.tgz (F36), as the host itself can; without it, what a power loss brings back is said to be unknown. Whether
    the file survives is `persistence.fate`'s answer."""
    p = norm(path)
    res = snap.resolve(p)
    entry = res.entry
    f = fate(snap, p, key=key)
    if res.kind == "tardisk":
        where = Outcome(f"tardisk {res.layer}, read-only, mounted from the boot bank at boot", ("F39",))
    elif res.kind == "ramdisk":
        origin = f", branched from {res.shadowed[0]}" if res.shadowed else ", created after boot or restored"
        where = Outcome(f"the {res.layer} ramdisk, in memory{origin}", ("F27",))
    elif res.deleted:
        where = Outcome(f"nowhere: it was deleted; a whiteout on the ramdisk hides {', '.join(res.shadowed)}", ("F39",))
    else:
        where = Outcome("nowhere: no tardisk and no ramdisk holds it", ())
    return Explanation(
        p,
        entry is not None,
        res.layer,
        res.kind,
        res.shadowed,
        res.deleted,
        f.twin,
        f.in_state,
        saved_since(history, p) if f.in_state else None,
        f.matches_state,
        f.on_reboot,
        f.on_power_loss,
        f.at_next_backup,
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
    ka, kb = saved_files(sa) or {}, saved_files(sb) or {}
    persisted = sorted(p for p, data in kb.items() if ka.get(p) != data)
    unpersisted = sorted(p for p in ka if p not in kb)
    return Diff(tuple(added), tuple(changed), tuple(removed), tuple(branched), tuple(persisted), tuple(unpersisted))
