"""VisorFS: ESXi's in-memory root file system, made of read-only tardisks under writable ramdisks.

What real ESXi does (ESXI-FACTS.md): tardisks are mounted in boot.cfg order and a later one hides an earlier
one's copy of a path (F39); a tardisk is never written: changing a file it serves copies that one file onto the
ramdisk that holds its path, "branching" it (F27); when the file is under /etc and carries the sticky bit, VisorFS
also keeps the unmodified copy as a hidden `.#` twin, which is how backup.sh knows to save it (F25, F16); a ramdisk
that is full refuses the write (F28); everything on the ramdisks is lost at the next boot.

`VisorFS` keeps one index, path -> serving entry, updated on mount, unmount and every write, so a lookup costs one
dict access however many tardisks are mounted. `layers.resolve_layers` is the same rule computed by scanning the
layers; tests check the two always agree.

What a change costs grows with the change, not with the host: a ramdisk's files are a `PMap`, so the `Ramdisk` value
each snapshot keeps shares every untouched file with the one before; and `save()`, the checkpoint every host
operation takes to be all or nothing, copies nothing. While a saved state is held, each change to the index notes the
entry it replaced in an undo journal, and `load()` plays that journal backwards; once no saved state is held, the
journal is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from . import limits
from .entry import DIR, FILE, STICKY, WHITEOUT, FileEntry
from .errors import (
    DirectoryNotEmpty,
    FileExists,
    InvalidPath,
    IsADirectory,
    NoSuchFile,
    NotADirectory,
    OperationNotPermitted,
    RamdiskFull,
    RamdiskInodesFull,
)
from .layers import (
    Ramdisk,
    RamdiskSpec,
    Resolution,
    Tardisk,
    is_twin,
    merged_listdir,
    norm,
    owner_of,
    parent_of,
    resolve_layers,
    twin_of,
)
from .pmap import PMap

__all__ = ["Change", "VisorFS"]

PERSISTED_ROOT = "/etc"  # backup.sh saves only files under /etc (F16)


@dataclass(frozen=True, slots=True)
class Change:
    """What one file-system operation did, in ESXi's terms (the host turns it into an Event)."""

    op: str  # "write" | "delete" | "chmod" | "mkdir" | "rmdir"
    path: str
    ramdisk: str
    branched_from: str | None = None  # the tardisk whose copy was branched onto the ramdisk (F27)
    twin: str | None = None  # the `.#` twin VisorFS created (F25)
    created: bool = False  # a new file or directory
    size_delta: int = 0


class _Disk:
    """A ramdisk's state inside VisorFS; `freeze()` gives the immutable `Ramdisk` value (cached). Its files are a
    `PMap`: `put` and `drop` make a new one that shares every other file with the old."""

    __slots__ = ("files", "frozen", "peak", "spec", "used")

    def __init__(self, spec: RamdiskSpec, now: int = 0) -> None:
        self.spec = spec
        self.files: PMap = PMap().set(spec.mount, FileEntry(DIR, spec.permissions, mtime=now))
        self.used = 0
        self.peak = 0
        self.frozen: Ramdisk | None = None

    @property
    def capacity(self) -> int:
        return self.spec.max_kib * 1024

    def put(self, path: str, entry: FileEntry) -> None:
        old = self.files.get(path)
        self.used += entry.size - (old.size if old is not None else 0)
        self.peak = max(self.peak, self.used)
        self.files = self.files.set(path, entry)
        self.frozen = None

    def drop(self, path: str) -> None:
        old = self.files.get(path)
        if old is not None:
            self.files = self.files.delete(path)
            self.used -= old.size
            self.frozen = None

    def freeze(self) -> Ramdisk:
        if self.frozen is None:
            s = self.spec
            self.frozen = Ramdisk(
                s.name,
                s.mount,
                self.capacity,
                self.files,
                self.used,
                self.peak,
                s.reserved_kib * 1024,
                s.max_inodes,
                s.system,
                s.in_coredumps,
            )
        return self.frozen


class _Saved:
    """What `VisorFS.save` returns: the layers as they were and a place in the undo journal. While one is alive
    the file system journals every change to its index; when the last one is dropped, the journal goes too."""

    __slots__ = ("disks", "fs", "position", "tardisks")

    def __init__(self, fs: VisorFS, position: int, tardisks: tuple[Tardisk, ...], disks: dict) -> None:
        self.fs, self.position, self.tardisks, self.disks = fs, position, tardisks, disks
        fs._held += 1

    def __del__(self) -> None:
        fs = self.fs
        fs._held -= 1
        if not fs._held:
            fs._journal = []


def _normal(path: str) -> bool:
    """True when `path` is already in the canonical absolute form `norm` would give (the common case)."""
    return (
        path.__class__ is str
        and path[:1] == "/"
        and "//" not in path
        and "/." not in path
        and (path[-1] != "/" or path == "/")
        and "\x00" not in path
    )


class VisorFS:
    """The running root file system: tardisks bottom to top, ramdisks over them, and an index of what is visible.

    Every method takes absolute paths. Methods that change something take `now` (seconds since the epoch, for
    mtimes) and return a `Change`; on failure they raise a typed error and change nothing.
    """

    def __init__(self, ramdisks: Sequence[RamdiskSpec] = ()) -> None:
        self._tardisks: list[Tardisk] = []
        self._disks: dict[str, _Disk] = {}
        self._view: dict[str, FileEntry] = {}  # visible path -> entry (whiteouts excluded)
        self._provider: dict[str, str] = {}  # visible path -> layer name serving it
        self._journal: list[tuple[str, FileEntry | None, str | None]] = []  # undo: path, old entry, old provider
        self._held = 0  # saved states still held (`_Saved` objects alive): the journal is kept while > 0
        self._tardisk_tuple: tuple[Tardisk, ...] | None = ()  # `tardisks`, made again after the stack changes
        self._ramdisk_tuple: tuple[Ramdisk, ...] = ()
        self._show("/", FileEntry(DIR, 0o755), "/")
        self.lookup = self._view.get  # see `lookup` below: the index's own C-level get, for speed
        for spec in ramdisks:
            self.add_ramdisk(spec)

    # -- layers ---------------------------------------------------------------------------------------------------

    @property
    def tardisks(self) -> tuple[Tardisk, ...]:
        """The mounted tardisks; the same tuple until the stack changes, so snapshots share it."""
        if self._tardisk_tuple is None:
            self._tardisk_tuple = tuple(self._tardisks)
        return self._tardisk_tuple

    @property
    def ramdisks(self) -> tuple[Ramdisk, ...]:
        """The ramdisks as values; the same tuple until one of them changes, so snapshots share it."""
        now = tuple(d.freeze() for d in self._disks.values())
        kept = self._ramdisk_tuple
        if len(kept) == len(now) and all(a is b for a, b in zip(kept, now, strict=True)):
            return kept
        self._ramdisk_tuple = now
        return now

    @property
    def layers(self) -> tuple[Tardisk | Ramdisk, ...]:
        """Bottom to top: tardisks in mount order, then the ramdisks (each over its own mount point)."""
        return (*self._tardisks, *self.ramdisks)

    def ramdisk(self, name: str) -> Ramdisk:
        return self._disks[name].freeze()

    def add_ramdisk(self, spec: RamdiskSpec, *, now: int = 0) -> None:
        """Create an empty ramdisk on `spec.mount` (boot does this; services add their own, F29)."""
        disk = _Disk(spec, now)
        self._disks[spec.name] = disk
        self._show(spec.mount, disk.files[spec.mount], spec.name)
        parent = parent_of(spec.mount)
        while parent not in self._view:  # like `mkdir -p` of the mount point on the ramdisk that holds its parent
            entry = FileEntry(DIR, 0o755, mtime=now)
            holder = owner_of(parent, [d.spec for d in self._disks.values()])
            if holder:
                self._disks[holder].put(parent, entry)
            self._show(parent, entry, holder or "/")
            parent = parent_of(parent)

    def mount(self, tardisk: Tardisk) -> None:
        """Mount `tardisk` on top of the tardisk stack (F39). Its paths hide the same paths of earlier tardisks;
        ramdisk copies keep hiding it. A ramdisk whiteout of a path the new tardisk ships is cleared, so a freshly
        installed VIB's files appear (simplification: we found nothing on how real VisorFS orders this)."""
        members = tardisk.members
        name = tardisk.name
        self._tardisks.append(tardisk)
        self._tardisk_tuple = None
        if self._held:
            view, provider = self._view, self._provider
            self._journal.extend((p, view.get(p), provider.get(p)) for p in members)
        self._view.update(members)
        self._provider.update(dict.fromkeys(members, name))
        for disk in self._disks.values():
            files = disk.files
            if len(members) < len(files):
                held = [(p, files.get(p)) for p in members if p in files]
            else:
                held = [(p, e) for p, e in files.items() if p in members]
            for path, entry in held:
                if entry.kind == WHITEOUT:
                    disk.drop(path)
                else:
                    self._show(path, entry, disk.spec.name)

    def unmount(self, name: str) -> Tardisk:
        """Take tardisk `name` out of the stack; each path it served falls back to the copy below, if any."""
        idx = next((i for i, t in enumerate(self._tardisks) if t.name == name), None)
        if idx is None:
            raise NoSuchFile(f"/tardisks/{name}")
        tardisk = self._tardisks.pop(idx)
        self._tardisk_tuple = None
        needed: set[str] = set()  # directories that still hold a ramdisk file (a branched copy, a new file)
        for disk in self._disks.values():
            for held in disk.files:
                d = parent_of(held)
                while d != "/" and d not in needed:
                    needed.add(d)
                    d = parent_of(d)
        for path in tardisk.members:
            if self._provider.get(path) != name:
                continue
            for below in reversed(self._tardisks):
                hit = below.members.get(path)
                if hit is not None:
                    self._show(path, hit, below.name)
                    break
            else:
                entry = self._view[path]
                if path in needed and entry.kind == DIR:
                    # the ramdisk keeps the directory its files live in, as a real file system must
                    holder = self._disks[self.owner(path)]
                    holder.put(path, entry)
                    self._show(path, entry, holder.spec.name)
                else:
                    self._hide(path)
        return tardisk

    # -- reading --------------------------------------------------------------------------------------------------

    def lookup(self, path: str) -> FileEntry | None:  # replaced per instance by the index's own `get`
        """The visible entry at the normal absolute `path`, or None. One dict access: it does not depend on the
        number of layers. `exists` and `entry` also accept paths still to be normalized (`/etc//hosts`)."""
        return self._view.get(path)

    def _find(self, path: str) -> FileEntry | None:
        hit = self.lookup(path)
        if hit is None and not _normal(path):
            hit = self.lookup(norm(path))  # InvalidPath for a relative path
        return hit

    def exists(self, path: str) -> bool:
        return self._find(path) is not None

    def entry(self, path: str) -> FileEntry:
        hit = self._find(path)
        if hit is None:
            raise NoSuchFile(path)
        return hit

    def read(self, path: str) -> bytes:
        hit = self.entry(path)
        if hit.kind == DIR:
            raise IsADirectory(path)
        return hit.data

    def provider(self, path: str) -> str | None:
        """Name of the layer serving `path` (ramdisk or tardisk name), from the index."""
        return self._provider.get(norm(path))

    def resolve(self, path: str) -> Resolution:
        return resolve_layers(norm(path), self._tardisks, self.ramdisks)

    def listdir(self, path: str) -> list[str]:
        p = norm(path)
        hit = self.entry(p)
        if hit.kind != DIR:
            raise NotADirectory(p)
        return merged_listdir(p, self._tardisks, self.ramdisks, self._view.__contains__)

    def owner(self, path: str) -> str:
        """The ramdisk that holds `path` (longest mount point above it)."""
        return owner_of(norm(path), [d.spec for d in self._disks.values()])

    def visible(self) -> Mapping[str, FileEntry]:
        """Read-only view of every visible path."""
        return MappingProxyType(self._view)

    def twins(self, under: str = PERSISTED_ROOT) -> list[str]:
        """Every `.#` twin below `under`, sorted (what backup.sh's `find etc -name '.#*'` finds, F16)."""
        prefix = under.rstrip("/") + "/"
        return sorted(p for p, e in self._view.items() if e.kind == FILE and p.startswith(prefix) and is_twin(p))

    # -- changing -------------------------------------------------------------------------------------------------

    def _check_parent(self, p: str) -> None:
        parent = parent_of(p)
        hit = self._view.get(parent)
        if hit is None:
            # name the first missing component, as a shell would
            raise NoSuchFile(p)
        if hit.kind != DIR:
            raise NotADirectory(parent)

    def _refuse_twin(self, p: str, action: str) -> None:
        if is_twin(p):
            raise OperationNotPermitted(p, f"names starting with '.#' are twins that only VisorFS may {action}")

    def _has_inodes(self, disk: _Disk, path: str, *names: str | None) -> None:
        """RamdiskInodesFull when the names not yet on `disk` would take it past its maximum inodes (F28, F29)."""
        new = sum(1 for n in names if n is not None and n not in disk.files)
        if new and len(disk.files) + new > disk.spec.max_inodes:
            raise RamdiskInodesFull(disk.spec.name, path, disk.spec.max_inodes)

    def _fits(self, disk: _Disk, path: str, delta: int) -> None:
        if delta > 0 and disk.used + delta > disk.capacity:
            raise RamdiskFull(disk.spec.name, path, delta, max(disk.capacity - disk.used, 0))

    def write(self, path: str, data: bytes, *, now: int, mode: int | None = None, append: bool = False) -> Change:
        """Write a whole file (or append to it). A tardisk file is branched onto the ramdisk that holds its path;
        an /etc file the image ships sticky gets its `.#` twin (F25, F26, F27); a sticky bit set by hand does not
        count (F25). RamdiskFull if it does not fit; nothing changes."""
        p = norm(path)
        self._refuse_twin(p, "create or change")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("data must be bytes")
        current = self._view.get(p)
        if current is not None and current.kind == DIR:
            raise IsADirectory(p)
        if current is None:
            self._check_parent(p)
        disk = self._disks[self.owner(p)]
        on_disk = disk.files.get(p)
        old_size = on_disk.size if on_disk is not None and on_disk.kind == FILE else 0
        body = (current.data + bytes(data)) if (append and current is not None) else bytes(data)
        if current is not None:
            new = current._replace(data=body, mtime=now, mode=current.mode if mode is None else mode)
        else:
            new = FileEntry(FILE, 0o644 if mode is None else mode, body, 0, 0, now)
        twin_path = None
        twin_entry = None
        if (
            current is not None
            and current.mode & STICKY
            and p.startswith(PERSISTED_ROOT + "/")
            and twin_of(p) not in self._view
            and self._sticky_in_image(p)
        ):
            twin_path = twin_of(p)
            twin_entry = FileEntry(FILE, current.mode & ~STICKY, current.data, current.uid, current.gid, current.mtime)
        delta = new.size - old_size + (twin_entry.size if twin_entry is not None else 0)
        self._has_inodes(disk, p, p, twin_path)
        self._fits(disk, p, delta)
        branched_from = self._provider.get(p) if (current is not None and on_disk is None) else None
        disk.put(p, new)
        self._show(p, new, disk.spec.name)
        if twin_path is not None and twin_entry is not None:
            disk.put(twin_path, twin_entry)
            self._show(twin_path, twin_entry, disk.spec.name)
        return Change("write", p, disk.spec.name, branched_from, twin_path, current is None, delta)

    def _sticky_in_image(self, path: str) -> bool:
        """The image ships `path` with the sticky bit (F26). Only such a file gets a `.#` twin when written: a
        sticky bit set by hand does not make a file persisted (F25)."""
        for tardisk in self._tardisks:
            hit = tardisk.members.get(path)
            if hit is not None and hit.mode & STICKY:
                return True
        return False

    def restore(self, path: str, entry: FileEntry, *, twin_data: bytes | None) -> Change:
        """Boot-time restore of one file from local.tgz onto its ramdisk, with its `.#` twin (F38, F25).
        Missing parent directories are created on the ramdisk, as tar does when it unpacks, each once; a path past
        PATH_MAX or NAME_MAX (limits) is refused first, so that its parents never cost more than a few megabytes."""
        p = norm(path)
        problem = limits.path_problem(p)
        if problem:
            raise InvalidPath(p[:80] + "...", problem)
        disk = self._disks[self.owner(p)]
        parent = parent_of(p)
        missing = []
        while parent not in self._view:
            missing.append(parent)
            parent = parent_of(parent)
        twin_entry = None
        if twin_data is not None:
            twin_entry = FileEntry(FILE, entry.mode & ~STICKY, twin_data, entry.uid, entry.gid, entry.mtime)
        on_disk = disk.files.get(p)
        delta = entry.size - (on_disk.size if on_disk is not None else 0) + (twin_entry.size if twin_entry else 0)
        self._has_inodes(disk, p, p, twin_of(p) if twin_entry is not None else None)
        for d in missing:
            self._has_inodes(self._disks[self.owner(d)], d, d)
        self._fits(disk, p, delta)
        for d in reversed(missing):
            owner = self._disks[self.owner(d)]
            owner.put(d, FileEntry(DIR, 0o755, mtime=entry.mtime))
            self._show(d, owner.files[d], owner.spec.name)
        branched_from = self._provider.get(p) if p in self._view else None
        disk.put(p, entry)
        self._show(p, entry, disk.spec.name)
        twin_path = None
        if twin_entry is not None:
            twin_path = twin_of(p)
            disk.put(twin_path, twin_entry)
            self._show(twin_path, twin_entry, disk.spec.name)
        return Change("restore", p, disk.spec.name, branched_from, twin_path, branched_from is None, delta)

    def delete(self, path: str) -> Change:
        """Remove a file. If a tardisk still ships it, the ramdisk keeps a whiteout so it stays gone until the next
        boot. A `.#` twin stays: backup.sh only saves files whose plain name exists, so a deleted file simply drops
        out of the next backup (F14, F16)."""
        p = norm(path)
        self._refuse_twin(p, "remove")
        current = self._view.get(p)
        if current is None:
            raise NoSuchFile(p)
        if current.kind == DIR:
            raise IsADirectory(p)
        return self._remove(p, current, "delete")

    def rmdir(self, path: str) -> Change:
        p = norm(path)
        current = self._view.get(p)
        if current is None:
            raise NoSuchFile(p)
        if current.kind != DIR:
            raise NotADirectory(p)
        if p == "/" or any(d.spec.mount == p for d in self._disks.values()):
            raise OperationNotPermitted(p, "it is a ramdisk mount point")
        if self.listdir(p):
            raise DirectoryNotEmpty(p)
        return self._remove(p, current, "rmdir")

    def _remove(self, p: str, current: FileEntry, op: str) -> Change:
        disk = self._disks[self.owner(p)]
        on_disk = disk.files.get(p)
        freed = on_disk.size if on_disk is not None else 0
        below = any(p in t.members for t in self._tardisks)
        disk.drop(p)
        if below:
            disk.put(p, FileEntry(WHITEOUT, 0))
        self._hide(p)
        return Change(op, p, disk.spec.name, None, None, False, -freed)

    def mkdir(self, path: str, *, now: int, mode: int = 0o755) -> Change:
        p = norm(path)
        self._refuse_twin(p, "create")
        if p in self._view:
            raise FileExists(p)
        self._check_parent(p)
        disk = self._disks[self.owner(p)]
        self._has_inodes(disk, p, p)
        entry = FileEntry(DIR, mode, b"", 0, 0, now)
        disk.put(p, entry)
        self._show(p, entry, disk.spec.name)
        return Change("mkdir", p, disk.spec.name, created=True)

    def chmod(self, path: str, mode: int, *, now: int) -> Change:
        """Change permission bits (sticky included). A tardisk file is branched first, since the tardisk cannot
        change. Only a content write makes a `.#` twin (F25): `chmod +t` on your own file does not persist it."""
        p = norm(path)
        self._refuse_twin(p, "change")
        current = self._view.get(p)
        if current is None:
            raise NoSuchFile(p)
        disk = self._disks[self.owner(p)]
        on_disk = disk.files.get(p)
        new = current._replace(mode=mode & 0o7777)
        delta = new.size - (on_disk.size if on_disk is not None else 0)
        self._has_inodes(disk, p, p)
        self._fits(disk, p, delta)
        branched_from = self._provider.get(p) if on_disk is None else None
        disk.put(p, new)
        self._show(p, new, disk.spec.name)
        return Change("chmod", p, disk.spec.name, branched_from, None, False, delta)

    # -- all or nothing ---------------------------------------------------------------------------------------------

    def _show(self, path: str, entry: FileEntry, provider: str) -> None:
        """Make `entry`, served by layer `provider`, the visible one at `path` (journaled while a state is saved)."""
        if self._held:
            self._journal.append((path, self._view.get(path), self._provider.get(path)))
        self._view[path] = entry
        self._provider[path] = provider

    def _hide(self, path: str) -> None:
        """Nothing is visible at `path` any more (journaled while a state is saved)."""
        if self._held:
            self._journal.append((path, self._view[path], self._provider[path]))
        del self._view[path]
        del self._provider[path]

    def save(self) -> _Saved:
        """The state now, for `load` to put back when a multi-step operation fails. It copies nothing: the ramdisks'
        files are immutable `PMap`s, and while the returned value is held, changes to the index are journaled."""
        disks = {n: (d.spec, d.files, d.used, d.peak, d.frozen) for n, d in self._disks.items()}
        return _Saved(self, len(self._journal), self.tardisks, disks)

    def load(self, saved: _Saved) -> None:
        """Put back the state `saved` was taken in: undo the index changes journaled since, newest first."""
        if saved.fs is not self or saved.position > len(self._journal):
            raise ValueError("this saved state is not one of this file system's, or a later one was loaded since")
        journal, view, provider = self._journal, self._view, self._provider
        while len(journal) > saved.position:
            path, entry, layer = journal.pop()
            if entry is None:
                view.pop(path, None)
                provider.pop(path, None)
            else:
                view[path] = entry
                provider[path] = layer  # type: ignore[assignment]
        self._tardisks = list(saved.tardisks)
        self._tardisk_tuple = None
        for name in list(self._disks):
            if name not in saved.disks:
                del self._disks[name]
        for name, (spec, files, used, peak, frozen) in saved.disks.items():
            disk = self._disks.get(name) or _Disk(spec)
            disk.files, disk.used, disk.peak, disk.frozen = files, used, peak, frozen
            self._disks[name] = disk

    # -- whole-system -----------------------------------------------------------------------------------------------

    def files_under(self, prefix: str) -> Iterable[tuple[str, FileEntry]]:
        pre = prefix.rstrip("/") + "/"
        return ((p, e) for p, e in self._view.items() if p.startswith(pre))
