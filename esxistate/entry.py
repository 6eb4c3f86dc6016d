"""FileEntry: one file, directory or whiteout as VisorFS and tar archives hold it.

`mode` holds only permission bits, sticky bit included (0o1644 is ``-rw-r--r-T``); `kind` says what it is.
A whiteout is the mark a ramdisk keeps when a file that a tardisk still holds was deleted.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DIR", "DIR_SIZE", "FILE", "LINK", "STICKY", "WHITEOUT", "FileEntry", "mode_string"]

FILE = "file"
DIR = "dir"
WHITEOUT = "whiteout"
LINK = "link"  # a symbolic link; `data` holds its target (/bootbank -> /vmfs/volumes/<uuid>, F47)
STICKY = 0o1000
DIR_SIZE = 512  # what VisorFS reports as a directory's size (see FileEntry.st_size)


class FileEntry(NamedTuple):
    """An immutable file-system entry; a changed copy is `entry._replace(mode=...)`.

    A NamedTuple rather than a dataclass: tardisks hold tens of thousands of these, and a tuple is built about
    three times faster, which keeps indexing a tardisk at boot close to the cost of gunzipping it.
    """

    kind: str = FILE
    mode: int = 0o644
    data: bytes = b""
    uid: int = 0
    gid: int = 0
    mtime: int = 0  # seconds since the epoch, UTC

    @property
    def size(self) -> int:
        if self.kind == LINK:  # ls -l shows a link's size as the length of its target
            return len(self.data)
        return len(self.data) if self.kind == FILE else 0

    @property
    def st_size(self) -> int:
        """The size `ls -l` and `stat` print: a file's length, and 512 for a directory, as VisorFS reports it (a
        real ESXi `ls -l /` shows `drwxr-xr-x 1 root root 512 Sep 17 01:11 bin`, VMware's boot-from-SAN KB example;
        `ls -la /vmfs/volumes` on ESXi shows `.` and `..` with 512). `size` stays the bytes a ramdisk holds."""
        return DIR_SIZE if self.kind == DIR else self.size

    @property
    def sticky(self) -> bool:
        return bool(self.mode & STICKY)

    @property
    def is_dir(self) -> bool:
        return self.kind == DIR

    @property
    def is_file(self) -> bool:
        return self.kind == FILE

    def __repr__(self) -> str:  # stable and short: notebooks compare reprs as text
        return f"FileEntry({mode_string(self)}, {self.size} bytes)"


def mode_string(entry: FileEntry) -> str:
    """`ls -l` style mode, e.g. ``-rw-r--r-T`` for 0o1644 or ``drwxr-xr-x`` for a directory (as busybox prints)."""
    kind = "d" if entry.kind == DIR else "l" if entry.kind == LINK else "-"
    bits = entry.mode
    chars = []
    for shift in (6, 3, 0):
        triple = (bits >> shift) & 7
        chars += ["r" if triple & 4 else "-", "w" if triple & 2 else "-", "x" if triple & 1 else "-"]
    if bits & 0o4000:
        chars[2] = "s" if chars[2] == "x" else "S"
    if bits & 0o2000:
        chars[5] = "s" if chars[5] == "x" else "S"
    if bits & STICKY:
        chars[8] = "t" if chars[8] == "x" else "T"
    return kind + "".join(chars)
