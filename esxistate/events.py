"""Event and HostSnapshot: the immutable record of what a host did and how it looked after each step.

Every state change of a `Host` appends an `Event` carrying the `HostSnapshot` after it. Snapshots share
structure: tardisks, unchanged ramdisks and boot banks are the same objects from one snapshot to the next, and a
changed ramdisk shares every file it did not change with its previous value (`esxistate.pmap`), so an event costs
memory in proportion to what it changed and a long history stays cheap. A snapshot keeps no merged view of its
files: `files` looks each path up through the layers, as VisorFS's overlay rule says, and builds the full listing
only for a caller that walks it. Renderers, timelines and exports read snapshots; they never re-run the engine.
`History` is the read-only view of a host's events that `host.history` returns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .display import DrawsItself
from .entry import DIR, FILE, WHITEOUT, FileEntry
from .errors import IsADirectory, NoSuchFile, NotADirectory
from .eventkind import EventKind
from .layers import Ramdisk, Resolution, Tardisk, merged_listdir, norm, resolve_layers

if TYPE_CHECKING:
    from .bootbank import BootBank
    from .vib import Vib

__all__ = ["Event", "EventKind", "History", "HostSnapshot"]

_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})
_ROOT = FileEntry(DIR, 0o755)


class _Files(Mapping):
    """Every path a snapshot shows -> its entry, by the overlay rule: the deepest ramdisk holding the path that has
    it (a whiteout there hides it), else the last-mounted tardisk that has it. A lookup reads the layers, so it
    costs a few dict accesses and keeps nothing; walking the whole mapping builds it once for this object only."""

    __slots__ = ("_all", "_ramdisks", "_tardisks")

    def __init__(self, tardisks: tuple[Tardisk, ...], ramdisks: tuple[Ramdisk, ...]) -> None:
        self._tardisks = tardisks[::-1]
        order = sorted(range(len(ramdisks)), key=lambda i: (len(ramdisks[i].mount), i), reverse=True)
        self._ramdisks = [ramdisks[i] for i in order]  # deepest mount first; of two on one mount, the later
        self._all: dict[str, FileEntry] | None = None

    def get(self, path: str, default: Any = None) -> Any:
        if path.__class__ is not str:
            return default
        for rd in self._ramdisks:
            if rd.holds(path):
                hit = rd.files.get(path)
                if hit is not None:
                    return default if hit.kind == WHITEOUT else hit
        for td in self._tardisks:
            hit = td.members.get(path)
            if hit is not None:
                return hit
        return _ROOT if path == "/" else default

    def __getitem__(self, path: str) -> FileEntry:
        hit = self.get(path)
        if hit is None:
            raise KeyError(path)
        return hit

    def __contains__(self, path: object) -> bool:
        return self.get(path) is not None

    def _merged(self) -> dict[str, FileEntry]:
        if self._all is None:
            merged: dict[str, FileEntry] = {"/": _ROOT}
            for td in reversed(self._tardisks):
                merged.update(td.members)
            for rd in reversed(self._ramdisks):
                for path, entry in rd.files.items():
                    if rd.holds(path):
                        if entry.kind == WHITEOUT:
                            merged.pop(path, None)
                        else:
                            merged[path] = entry
            self._all = merged
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def keys(self) -> Any:
        return self._merged().keys()

    def items(self) -> Any:
        return self._merged().items()

    def values(self) -> Any:
        return self._merged().values()

    def __repr__(self) -> str:
        return f"<files of a snapshot: {len(self)} paths>"


@dataclass(frozen=True, slots=True)
class HostSnapshot(DrawsItself):
    """The whole host at one moment: power, clock, boot banks, mounted tardisks, ramdisks and installed VIBs."""

    _bundle = "snapshot_bundle"

    version: str
    build: str
    hostname: str
    clock: datetime
    powered_on: bool
    stateless: bool
    tardisks: tuple[Tardisk, ...]
    ramdisks: tuple[Ramdisk, ...]
    banks: tuple[BootBank, ...]
    booted: int | None  # index into banks of the bank mounted at /bootbank, None when off or stateless
    vibs: tuple[Vib, ...]
    reboot_required: bool = False
    boot_device: str = "ok"  # "ok", "slow" (/bootbank points to /tmp) or "lost" (the device stopped answering), F47

    # -- layers -------------------------------------------------------------------------------------------------

    @property
    def layers(self) -> tuple[Tardisk | Ramdisk, ...]:
        """Bottom to top: tardisks in mount order, then ramdisks."""
        return (*self.tardisks, *self.ramdisks)

    def resolve(self, path: str) -> Resolution:
        return resolve_layers(norm(path), self.tardisks, self.ramdisks)

    @property
    def files(self) -> Mapping[str, FileEntry]:
        """Every visible path -> entry. Looked up through the layers on each use: nothing is kept in the snapshot,
        so a long history does not hold a merged copy of every file per event."""
        return _Files(self.tardisks, self.ramdisks)

    def exists(self, path: str) -> bool:
        return norm(path) in self.files

    def read(self, path: str) -> bytes:
        p = norm(path)
        hit = self.files.get(p)
        if hit is None:
            raise NoSuchFile(p)
        if hit.kind != FILE:
            raise IsADirectory(p)
        return hit.data

    def read_text(self, path: str) -> str:
        return self.read(path).decode("utf-8", "replace")

    def listdir(self, path: str) -> list[str]:
        p = norm(path)
        files = self.files
        hit = files.get(p)
        if hit is None:
            raise NoSuchFile(p)
        if hit.kind != DIR:
            raise NotADirectory(p)
        return merged_listdir(p, self.tardisks, self.ramdisks, files.__contains__)

    def ramdisk(self, name: str) -> Ramdisk:
        for rd in self.ramdisks:
            if rd.name == name:
                return rd
        raise KeyError(name)

    # -- boot banks ----------------------------------------------------------------------------------------------

    @property
    def bootbank(self) -> BootBank | None:
        return self.banks[self.booted] if self.booted is not None and self.banks else None

    @property
    def altbootbank(self) -> BootBank | None:
        if self.booted is None or len(self.banks) < 2:
            return None
        return self.banks[1 - self.booted]

    def __repr__(self) -> str:
        power = "on" if self.powered_on else "off"
        return (
            f"HostSnapshot(ESXi {self.version}, {power}, {self.clock:%Y-%m-%d %H:%M}, "
            f"{len(self.tardisks)} tardisks, {len(self.ramdisks)} ramdisks)"
        )


@dataclass(frozen=True, slots=True)
class Event:
    """One thing the host did. `kind` is an `EventKind` (a str enum: "branch", "backup", ...); `summary` says it in
    ESXi's terms for a reader; `paths` names the files involved; `details` holds what happened as data (module lists,
    steps, bank transitions, the backup's result) for code to read: code never parses `summary`."""

    kind: EventKind
    time: datetime
    summary: str
    snapshot: HostSnapshot = field(repr=False)
    paths: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=lambda: _NO_DETAILS, repr=False)
    why: str = field(default="", repr=False)  # a plain-language reason, citing the facts below
    facts: tuple[str, ...] = ()  # ESXI-FACTS.md ids behind it, e.g. ("F27", "F25")

    def __repr__(self) -> str:
        return f"Event({self.time:%Y-%m-%d %H:%M:%S} {self.kind}: {self.summary})"


class History(Sequence):
    """A host's events, oldest first, as they were when `host.history` was read: a read-only view that copies
    nothing. It behaves as a list does for reading (len, indexes and negative indexes, slices, iteration, `in`,
    `index`, `==` against a list) and cannot be changed; later events do not appear in it."""

    __slots__ = ("_events", "_len")

    def __init__(self, events: list[Event], length: int | None = None) -> None:
        self._events = events  # the host's own list: it only grows, and a rollback gives the host a new list
        self._len = len(events) if length is None else length

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            span = range(*index.indices(self._len))
            if span.step == 1:
                return self._events[span.start : max(span.start, span.stop)]
            return [self._events[i] for i in span]
        i = index.__index__()
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("history index out of range")
        return self._events[i]

    def __iter__(self) -> Iterator[Event]:
        events = self._events
        return (events[i] for i in range(self._len))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            return self._len == other._len and all(a is b or a == b for a, b in zip(self, other, strict=True))
        if isinstance(other, list):
            return self._len == len(other) and all(a is b or a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __mul__(self, n: int) -> list[Event]:
        """A new list of the events repeated, as `list * n` gives (the view itself never changes)."""
        return list(self) * n

    __rmul__ = __mul__

    def __add__(self, other: Any) -> list[Event]:
        return list(self) + list(other)

    def __repr__(self) -> str:
        return repr(list(self))
