"""The values of ESXi's in-memory file system: Tardisk, Ramdisk, Resolution, and the overlay rule itself.

VisorFS, ESXi's root file system, is a stack: read-only **tardisks** mounted in boot.cfg module order (a later one
hides an earlier one's copy of a path, F39), with **ramdisks** on top that hold every file written since boot
(F27). `resolve_layers` is that rule written once, as a pure function over immutable values; the mutable
`VisorFS` keeps an index that must agree with it, and snapshots use it directly.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from . import archive, limits
from .display import DrawsItself
from .entry import DIR, WHITEOUT, FileEntry
from .errors import CorruptArchive, InvalidPath, UnsafeArchive

__all__ = [
    "Ramdisk",
    "RamdiskSpec",
    "Resolution",
    "Tardisk",
    "is_twin",
    "norm",
    "owner_of",
    "parent_of",
    "resolve_layers",
    "twin_of",
]

_EMPTY: Mapping[str, FileEntry] = MappingProxyType({})


def norm(path: str) -> str:
    """The canonical absolute form of `path` (``/etc//hosts/`` -> ``/etc/hosts``); InvalidPath if not absolute."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidPath(str(path))
    if "\x00" in path:
        raise InvalidPath(path, "a path cannot contain a NUL character")
    p = posixpath.normpath(path)
    if p.startswith("//"):
        p = "/" + p.lstrip("/")
    return p


def parent_of(path: str) -> str:
    return posixpath.dirname(path) or "/"


def twin_of(path: str) -> str:
    """The `.#` twin VisorFS keeps next to a modified sticky file (F25): /etc/hosts -> /etc/.#hosts."""
    head, tail = posixpath.split(path)
    return posixpath.join(head, ".#" + tail)


def is_twin(path: str) -> bool:
    return posixpath.basename(path).startswith(".#")


@dataclass(frozen=True, slots=True)
class Tardisk(DrawsItself):
    """A module the boot loader decompressed into memory, mounted read-only into the root file system and listed
    under /tardisks by its module name (F46, F10, F27, F39).

    Tardisks stack in boot.cfg order and the last one wins a shared path. Nothing writes into a tardisk: an edit is
    branched onto a ramdisk. `members` maps absolute paths to entries, indexed once at mount; directories that the
    archive implies but does not list are added. Real `.v00` tardisks are VMware's own tar variant; ours are
    standard gzip'd tar so that `tar tzvf` and `tarfile` open them.
    """

    _bundle = "tardisk_bundle"

    name: str  # the module file on the boot bank, e.g. "s.v00"
    members: Mapping[str, FileEntry] = field(repr=False)
    size: int = 0  # bytes of the decompressed tar in memory (F46): what vdf, esxcli and `ls -l /tardisks` show
    compressed_size: int = 0  # bytes of the module file on the boot bank
    system: bool = True  # state.tgz is not a system tardisk (S5)
    _children: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_bytes(cls, name: str, data: bytes, *, system: bool = True, cache: bool = True) -> Tardisk:
        """Index a gzip'd tar module (UnsafeArchive / CorruptArchive on bad input). Tardisks are immutable, so the
        index of the same module bytes is reused from a small cache unless `cache=False`."""
        if not isinstance(data, (bytes, bytearray, memoryview)):  # bytes(10**10) would allocate 10 GB
            raise CorruptArchive(f"it was given as {type(data).__name__}, not as the bytes of a file", str(name))
        if cache:
            return _cached_tardisk(name, bytes(data), system)
        members, _file_bytes = archive.index(
            data,
            name=name,
            root="/",
            max_member_size=limits.TARDISK_MAX_MEMBER,
            max_total_size=limits.TARDISK_MAX_TOTAL,
        )
        # The boot loader gunzips the module into memory (F46), so the tardisk is as large as its tar: gzip's trailer
        # (ISIZE, RFC 1952) records that length, which is what vdf and /tardisks show (sample S3).
        size = int.from_bytes(data[-4:], "little") if len(data) >= 18 else 0
        return cls._from_absolute(name, members, compressed_size=len(data), system=system, size=size)

    @classmethod
    def from_members(
        cls, name: str, raw: Mapping[str, FileEntry], *, compressed_size: int = 0, system: bool = True
    ) -> Tardisk:
        """A tardisk from relative names (`etc/hosts`) -> entries."""
        members = {"/" + rel: entry for rel, entry in raw.items()}
        return cls._from_absolute(name, members, compressed_size=compressed_size, system=system)

    @classmethod
    def _from_absolute(
        cls, name: str, members: dict[str, FileEntry], *, compressed_size: int, system: bool, size: int | None = None
    ) -> Tardisk:
        try:  # the directories the archive omits, each made once (limits.new_parents bounds what names cost)
            made = limits.new_parents(members, set(members))
        except limits.NameBudgetExceeded as err:
            raise UnsafeArchive(
                err.path, f"its names are too many or too deeply nested to index ({limits.mib(limits.MAX_NAME_BYTES)})"
            ) from None
        if made:
            directory = FileEntry(DIR, 0o755)
            members = {**dict.fromkeys(made, directory), **members}
        if size is None:
            size = sum(len(e.data) for e in members.values())
        return cls(name, MappingProxyType(members), size, compressed_size, system)

    @property
    def used(self) -> int:
        return self.size

    def children(self, directory: str) -> tuple[str, ...]:
        """Names directly inside `directory` in this tardisk (indexed on first use)."""
        if not self._children and self.members:
            kids: dict[str, list[str]] = {}
            for path in self.members:
                head, tail = posixpath.split(path)
                kids.setdefault(head, []).append(tail)
            self._children.update((k, tuple(v)) for k, v in kids.items())
        return self._children.get(directory, ())

    def __repr__(self) -> str:
        return f"Tardisk({self.name!r}, {len(self.members)} entries, {self.size} bytes)"


@lru_cache(maxsize=1024)
def _cached_tardisk(name: str, data: bytes, system: bool) -> Tardisk:
    return Tardisk.from_bytes(name, data, system=system, cache=False)


@dataclass(frozen=True, slots=True)
class RamdiskSpec:
    """How a ramdisk is made at boot (`esxcli system visorfs ramdisk add`, F29): name, mount point, sizes in KiB."""

    name: str
    mount: str
    max_kib: int
    reserved_kib: int = 0
    max_inodes: int = 8192
    permissions: int = 0o755
    system: bool = True
    in_coredumps: bool = True


@dataclass(frozen=True, slots=True)
class Ramdisk:
    """A ramdisk as it is at one moment: memory only, emptied by every boot (F27, F29).

    `used` counts the bytes of the files it holds (branched copies, new files, `.#` twins); a write that would
    take it past `capacity` fails with RamdiskFull, and a new name past `max_inodes` with RamdiskInodesFull (one
    inode per file, directory, `.#` twin or whiteout). Simplification: real VisorFS charges whole pages; we charge
    file bytes, so the numbers stay small and exact.
    """

    name: str
    mount: str
    capacity: int  # bytes
    files: Mapping[str, FileEntry] = field(repr=False, default_factory=lambda: _EMPTY)
    used: int = 0
    peak: int = 0
    reserved: int = 0
    max_inodes: int = 8192
    system: bool = True
    in_coredumps: bool = True

    @property
    def free(self) -> int:
        return self.capacity - self.used

    @property
    def size(self) -> int:
        """The ramdisk's maximum size in bytes (what `vdf -h` calls Size)."""
        return self.capacity

    @property
    def used_inodes(self) -> int:
        return len(self.files)

    def holds(self, path: str) -> bool:
        """Is `path` under this ramdisk's mount point?"""
        m = self.mount
        return m == "/" or path == m or path.startswith(m + "/")

    def __repr__(self) -> str:
        return f"Ramdisk({self.name!r} on {self.mount}, {self.used}/{self.capacity} bytes, {len(self.files)} entries)"


def owner_of(path: str, ramdisks: Sequence[Ramdisk] | Sequence[RamdiskSpec]) -> str:
    """The name of the ramdisk that holds `path`: the one with the longest mount point above it."""
    best, best_len = "", -1
    for rd in ramdisks:
        m = rd.mount
        if (m == "/" or path == m or path.startswith(m + "/")) and len(m) > best_len:
            best, best_len = rd.name, len(m)
    return best


@dataclass(frozen=True, slots=True)
class Resolution:
    """Which layer serves a path, and which layers it hides (F39).

    `layer` is a ramdisk name ("etc") or a tardisk module name ("s.v00"), None when nothing serves the path.
    `shadowed` lists, top first, the tardisks that also hold it but are hidden. `deleted` is true when a ramdisk
    holds a whiteout: the file was deleted, though a tardisk below still has it.
    """

    path: str
    layer: str | None
    kind: str | None  # "ramdisk" | "tardisk" | None
    entry: FileEntry | None
    shadowed: tuple[str, ...] = ()
    deleted: bool = False

    @property
    def exists(self) -> bool:
        return self.entry is not None

    @property
    def branched(self) -> bool:
        """A ramdisk copy hides a tardisk copy: the file was branched (F27)."""
        return self.kind == "ramdisk" and bool(self.shadowed)

    def __repr__(self) -> str:
        hidden = f", shadows {', '.join(self.shadowed)}" if self.shadowed else ""
        gone = ", deleted" if self.deleted else ""
        return f"Resolution({self.path!r} served by {self.layer}{hidden}{gone})"


def resolve_layers(path: str, tardisks: Sequence[Tardisk], ramdisks: Sequence[Ramdisk]) -> Resolution:
    """The overlay rule (F27, F39): the ramdisk that holds the path wins; else the last-mounted tardisk holding it.

    A whiteout on the ramdisk hides every tardisk copy. This scans the layers, so it is the reference; `VisorFS`
    answers lookups from an index kept equal to it.
    """
    owner = owner_of(path, ramdisks)
    layer: str | None = None
    kind: str | None = None
    entry: FileEntry | None = None
    deleted = False
    for rd in ramdisks:
        if rd.name == owner:
            hit = rd.files.get(path)
            if hit is not None:
                if hit.kind == WHITEOUT:
                    deleted = True
                else:
                    layer, kind, entry = rd.name, "ramdisk", hit
            break
    shadowed: list[str] = []
    for td in reversed(tardisks):
        hit = td.members.get(path)
        if hit is None:
            continue
        if entry is None and not deleted:
            layer, kind, entry = td.name, "tardisk", hit
        else:
            shadowed.append(td.name)
    return Resolution(path, layer, kind, entry, tuple(shadowed), deleted)


def merged_listdir(directory: str, tardisks: Iterable[Tardisk], ramdisks: Iterable[Ramdisk], exists) -> list[str]:
    """Sorted names visible in `directory`: the union over every layer, less what is deleted."""
    names: set[str] = set()
    for td in tardisks:
        names.update(td.children(directory))
    prefix = directory.rstrip("/") + "/"
    cut = len(prefix)
    for rd in ramdisks:
        if not (rd.holds(directory) or rd.mount.startswith(prefix)):
            continue  # a ramdisk mounted elsewhere holds nothing in this directory
        for p in rd.files:  # a direct child: under the prefix, no further slash (plain string tests, no dirname)
            if p.startswith(prefix) and p.find("/", cut) < 0 and len(p) > cut:
                names.add(p[cut:])
    return sorted(n for n in names if exists(prefix + n))
