"""Event and HostSnapshot: the immutable record of what a host did and how it looked after each step.

Every state change of a `Host` appends an `Event` carrying the `HostSnapshot` after it. Snapshots share
structure: tardisks, unchanged ramdisks and boot banks are the same objects from one snapshot to the next, so a long
history stays cheap. Renderers, timelines and exports read snapshots; they never re-run the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .display import DrawsItself
from .entry import DIR, FILE, FileEntry
from .errors import IsADirectory, NoSuchFile, NotADirectory
from .layers import Ramdisk, Resolution, Tardisk, merged_listdir, norm, resolve_layers

if TYPE_CHECKING:
    from .bootbank import BootBank
    from .vib import Vib

__all__ = ["Event", "HostSnapshot"]

_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


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
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # -- layers -------------------------------------------------------------------------------------------------

    @property
    def layers(self) -> tuple[Tardisk | Ramdisk, ...]:
        """Bottom to top: tardisks in mount order, then ramdisks."""
        return (*self.tardisks, *self.ramdisks)

    def resolve(self, path: str) -> Resolution:
        return resolve_layers(norm(path), self.tardisks, self.ramdisks)

    def _view(self) -> Mapping[str, FileEntry]:
        view = self._cache.get("view")
        if view is None:
            merged: dict[str, FileEntry] = {"/": FileEntry(DIR, 0o755)}
            for td in self.tardisks:
                merged.update(td.members)
            for rd in sorted(self.ramdisks, key=lambda r: len(r.mount)):
                for path, entry in rd.files.items():
                    if rd.holds(path):
                        if entry.kind == "whiteout":
                            merged.pop(path, None)
                        else:
                            merged[path] = entry
            view = self._cache["view"] = MappingProxyType(merged)
        return view

    @property
    def files(self) -> Mapping[str, FileEntry]:
        """Every visible path -> entry (built on first use, then cached)."""
        return self._view()

    def exists(self, path: str) -> bool:
        return norm(path) in self._view()

    def read(self, path: str) -> bytes:
        p = norm(path)
        hit = self._view().get(p)
        if hit is None:
            raise NoSuchFile(p)
        if hit.kind != FILE:
            raise IsADirectory(p)
        return hit.data

    def read_text(self, path: str) -> str:
        return self.read(path).decode("utf-8", "replace")

    def listdir(self, path: str) -> list[str]:
        p = norm(path)
        hit = self._view().get(p)
        if hit is None:
            raise NoSuchFile(p)
        if hit.kind != DIR:
            raise NotADirectory(p)
        return merged_listdir(p, self.tardisks, self.ramdisks, self._view().__contains__)

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
    """One thing the host did. `kind` is a short word ("boot", "branch", "backup", ...); `summary` says it in ESXi's
    terms; `paths` names the files involved; `details` holds what renderers may want (module lists, steps)."""

    kind: str
    time: datetime
    summary: str
    snapshot: HostSnapshot = field(repr=False)
    paths: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=lambda: _NO_DETAILS, repr=False)
    why: str = field(default="", repr=False)  # a plain-language reason, citing the facts below
    facts: tuple[str, ...] = ()  # ESXI-FACTS.md ids behind it, e.g. ("F27", "F25")

    def __repr__(self) -> str:
        return f"Event({self.time:%Y-%m-%d %H:%M:%S} {self.kind}: {self.summary})"
