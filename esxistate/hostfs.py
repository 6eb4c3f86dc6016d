"""HostFS: `host.fs`, the running host's file system as a shell user sees it (VisorFS plus the boot bank links)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import bootdevice, boundary, tardisksdir
from .bootbank import BootBank
from .clock import epoch
from .entry import DIR, FILE, FileEntry
from .errors import InvalidValue, IsADirectory, NoSuchFile, NotADirectory, RamdiskFull, ReadOnlyFile
from .guard import operation, query
from .layers import Ramdisk, Resolution, Tardisk, norm
from .visorfs import Change, VisorFS

if TYPE_CHECKING:
    from .events import Event
    from .host import Host

__all__ = ["HostFS"]


class HostFS:
    """`host.fs`: the running host's file system as a shell user sees it.

    Paths under /bootbank and /altbootbank show the boot bank files (read-only here: only backup.sh and the image
    tools write them in this simulator). Every change is recorded in the host's history.
    """

    def __init__(self, host: Host) -> None:
        self._host = host

    # -- reading --------------------------------------------------------------------------------------------------

    def _visorfs(self, doing: str) -> VisorFS:
        """The running host's VisorFS; HostPoweredOff (naming what we were `doing`) while the host is off."""
        return self._host._require_on(doing)

    def _bank_path(self, path: str) -> tuple[BootBank, str] | None:
        return bootdevice.bank_path(self._host, path)  # through /bootbank, /altbootbank or /vmfs/volumes (F47)

    @query("read a file")
    def read(self, path: str) -> bytes:
        boundary.check_path(path)
        fs = self._visorfs(f"read {path}")
        mounted = tardisksdir.entry(self._host, path)  # /tardisks: the decompressed modules (F46)
        if mounted is not None:
            if mounted.is_dir:
                raise IsADirectory(norm(path))
            return mounted.data
        hit = self._bank_path(path)
        if hit is not None:
            bank, name = hit
            if name in bank.files:
                return bank.files[name]
            if not name or any(f.startswith(name + "/") for f in bank.files):
                raise IsADirectory(norm(path))
            raise NoSuchFile(norm(path))
        return fs.read(path)

    @query("read a file")
    def read_text(self, path: str) -> str:
        return self.read(path).decode("utf-8", "replace")

    @query("look for a file")
    def exists(self, path: str) -> bool:
        boundary.check_path(path)
        fs = self._visorfs(f"look for {path}")
        if bootdevice.virtual_dir(self._host, path) is not None:
            return True
        if tardisksdir.entry(self._host, path) is not None:
            return True
        try:
            hit = self._bank_path(path)
        except NoSuchFile:
            return False  # a dangling /bootbank (lost boot device, F47)
        if hit is not None:
            bank, name = hit
            return not name or name in bank.files or any(f.startswith(name + "/") for f in bank.files)
        return fs.exists(path)

    @query("stat a file")
    def stat(self, path: str) -> FileEntry:
        boundary.check_path(path)
        fs = self._visorfs(f"stat {path}")
        if bootdevice.virtual_dir(self._host, path) is not None:
            return FileEntry(DIR, 0o755)
        mounted = tardisksdir.entry(self._host, path)
        if mounted is not None:
            return mounted
        hit = self._bank_path(path)
        if hit is not None:
            bank, name = hit
            if name in bank.files:
                return FileEntry(FILE, 0o755, bank.files[name], 0, 0, epoch(self._host.clock))
            if self.exists(path):
                return FileEntry(DIR, 0o755)
            raise NoSuchFile(norm(path))
        return fs.entry(norm(path))

    @query("list a directory")
    def listdir(self, path: str) -> list[str]:
        boundary.check_path(path)
        fs = self._visorfs(f"list {path}")
        names = bootdevice.virtual_dir(self._host, path)
        if names is not None:
            return names
        mounted = tardisksdir.entry(self._host, path)
        if mounted is not None:
            if not mounted.is_dir:
                raise NotADirectory(norm(path))
            return tardisksdir.names(self._host)
        hit = self._bank_path(path)
        if hit is not None:
            bank, name = hit
            prefix = name + "/" if name else ""
            names = {f[len(prefix) :].split("/", 1)[0] for f in bank.files if f.startswith(prefix)}
            if not names and name:
                if name in bank.files:
                    raise NotADirectory(norm(path))
                raise NoSuchFile(norm(path))
            return sorted(names)
        names = fs.listdir(path)
        if norm(path) == "/":
            names = sorted({*names, *bootdevice.root_names(self._host)})
            names = sorted({*names, tardisksdir.MOUNT[1:]})  # /tardisks lists the mounted tardisks (F46)
        return names

    def lstat(self, path: str) -> FileEntry:
        """Like `stat`, but a symbolic link (/bootbank, /altbootbank, /vmfs/volumes/BOOTBANK1) is the link itself,
        as `ls -l` of its directory shows it (F47)."""
        boundary.check_path(path)
        self._visorfs(f"stat {path}")
        link = bootdevice.lstat(self._host, path)
        return link if link is not None else self.stat(path)

    @query("resolve a path")
    def resolve(self, path: str) -> Resolution:
        boundary.check_path(path)
        return self._visorfs(f"resolve {path}").resolve(path)

    @property
    def layers(self) -> tuple[Tardisk | Ramdisk, ...]:
        return self._visorfs("list the layers").layers

    @query("find a ramdisk")
    def owner(self, path: str) -> str:
        boundary.check_path(path)
        return self._visorfs(f"find the ramdisk of {path}").owner(path)

    # -- changing -------------------------------------------------------------------------------------------------

    def _guard_bank(self, path: str) -> None:
        if self._bank_path(path) is not None:
            raise ReadOnlyFile(norm(path), "boot bank files are written only by backup.sh and the image tools here")
        if isinstance(path, str) and (norm(path) + "/").startswith(tardisksdir.MOUNT + "/"):
            raise ReadOnlyFile(norm(path), "/tardisks lists the mounted tardisks; the image tools mount them (F46)")

    def write(self, path: str, data: bytes | str, *, append: bool = False, mode: int | None = None) -> Change:
        """Write a file (str is encoded as UTF-8). Branches a tardisk file onto its ramdisk (F27). `mode` is the
        permission bits as a number (0o644); RamdiskFull when the ramdisk has no room or no free inode (F28)."""
        host = self._host
        boundary.check_path(path)
        boundary.check_bool("append", append)
        boundary.check_mode(mode, optional=True)
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise InvalidValue("a file's content", data, "write text (str) or bytes")
        if isinstance(data, str):
            try:
                body = data.encode()
            except UnicodeEncodeError:
                raise InvalidValue(
                    "a file's content", boundary.printable(data[:40]), "text with a lone surrogate: give bytes"
                ) from None
        else:
            body = bytes(data)
        try:
            return self._write(path, body, append, mode)
        except RamdiskFull as err:  # hostd logs it (F28), and the log entry stays though nothing was written
            host._record("ramdisk-full", err.logged, (err.path,), {"ramdisk": err.ramdisk})
            raise

    @operation("write a file")
    def _write(self, path: str, body: bytes, append: bool, mode: int | None) -> Change:
        host = self._host
        fs = self._visorfs(f"write {path}")
        self._guard_bank(path)
        if len(path) > 1 and path.endswith("/"):  # `echo x > /etc/hosts/`
            p = norm(path)
            raise NotADirectory(p) if fs.exists(p) and not fs.entry(p).is_dir else IsADirectory(p)
        change = fs.write(path, body, now=epoch(host.clock), append=append, mode=mode)
        _record_change(host, change)
        return change

    @operation("delete a file")
    def delete(self, path: str) -> Change:
        return self._remove(path, "delete", VisorFS.delete)

    @operation("make a directory")
    def mkdir(self, path: str, mode: int = 0o755) -> Change:
        boundary.check_path(path)
        boundary.check_mode(mode)
        fs = self._visorfs(f"create {path}")
        self._guard_bank(path)
        change = fs.mkdir(path, now=epoch(self._host.clock), mode=mode)
        _record_change(self._host, change)
        return change

    @operation("remove a directory")
    def rmdir(self, path: str) -> Change:
        return self._remove(path, "remove", VisorFS.rmdir)

    def _remove(self, path: str, verb: str, remove: Callable[[VisorFS, str], Change]) -> Change:
        """delete and rmdir: the path checked, the boot bank guarded, the change and any whiteout recorded."""
        boundary.check_path(path)
        fs = self._visorfs(f"{verb} {path}")
        self._guard_bank(path)
        change = remove(fs, path)
        _record_change(self._host, change, whiteout=fs.resolve(change.path).deleted)
        return change

    @operation("change a file's mode")
    def chmod(self, path: str, mode: int) -> Change:
        boundary.check_path(path)
        boundary.check_mode(mode)
        fs = self._visorfs(f"chmod {path}")
        self._guard_bank(path)
        change = fs.chmod(path, mode, now=epoch(self._host.clock))
        _record_change(self._host, change)
        return change

    def __repr__(self) -> str:
        return "HostFS()"


def _record_change(host: Host, c: Change, whiteout: bool = False) -> Event:
    """Record a file change in the history, in words: a branch off a tardisk, a write, a chmod, a delete."""
    base = {"change": c, "ramdisk": c.ramdisk, "from": c.branched_from, "twin": c.twin, "whiteout": whiteout}
    if c.op == "write":
        if c.branched_from:
            twin = f"; kept the original as {c.twin} (sticky file: the next backup saves it)" if c.twin else ""
            return host._record(
                "branch",
                f"{c.path} branched from tardisk {c.branched_from} onto the {c.ramdisk} ramdisk{twin}",
                (c.path,),
                base,
            )
        verb = "created" if c.created else "changed"
        twin = f"; kept the original as {c.twin}" if c.twin else ""
        return host._record("write", f"{c.path} {verb} on the {c.ramdisk} ramdisk{twin}", (c.path,), base)
    if c.op == "chmod":
        mode = oct(host._fs.entry(c.path).mode) if host._fs else ""
        where = f" (branched from {c.branched_from})" if c.branched_from else ""
        return host._record("chmod", f"{c.path} mode set to {mode}{where}", (c.path,), base)
    words = {"delete": "deleted", "mkdir": "created (directory)", "rmdir": "removed (directory)"}
    return host._record(c.op, f"{c.path} {words.get(c.op, c.op)} on the {c.ramdisk} ramdisk", (c.path,), base)
