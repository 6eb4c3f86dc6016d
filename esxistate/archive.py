"""gzip'd tar archives read safely in memory (writing them is tarwrite.py; `build_tgz` is re-exported here).

Tardisks, imgdb.tgz, local.tgz and state.tgz are all gzip-compressed tar archives on the boot bank (the boot loader
decompresses each module into memory as it loads it, F46). Real `.v00` tardisks use
VMware's own tar variant ("vmtar"); ours are standard ustar/GNU tar so that students can open them with `tar tzvf`
and Python's `tarfile`. Building is byte-for-byte deterministic: the same members give the same bytes.

Reading never touches the disk and follows the spirit of tarfile's "data" filter (PEP 706): absolute names, `..`,
links, devices, FIFOs and sparse files are refused with `UnsafeArchive`, and so is anything past a limit of
`esxistate.limits`: a member whose header declares more bytes than its kind of archive holds (refused before any of
it is inflated), a total past the archive's limit (counted while inflating, so a gzip bomb stops early), a name
longer than PATH_MAX or NAME_MAX, names that would take too much memory to index. Broken input is `CorruptArchive`.

The reader streams: gzip members are inflated one after another in bounded steps (`zlib.decompressobj` with a
`max_length`) and tar headers are parsed as the bytes arrive, so the memory used is the data kept plus about a
megabyte, and the time is linear in the input however many gzip members it is made of. Like tar, it stops at the
end-of-archive blocks: the gzip member they end in is read to its end (its CRC is checked), and what follows (more
gzip members, garbage) is not read. An ordinary ustar header is taken apart by one regex match, and a member
that runs past the window is inflated on its own and joined once, so indexing a tardisk costs about as much as
gunzipping it (bench/bench_boot.py).

Simplifications: a name that is not UTF-8 is read with U+FFFD in place of each bad byte (VisorFS would keep the raw
bytes); a modification time outside 1970-9999 or an owner id past 32 bits is refused as a damaged header.
"""

from __future__ import annotations

import os
import re
import stat
import time
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from . import limits
from .entry import DIR, FILE, FileEntry, mode_string
from .errors import CorruptArchive, UnreadableFile, UnsafeArchive
from .limits import MAX_MEMBER, MAX_MEMBERS, MAX_TOTAL
from .tarwrite import build_tgz

__all__ = [
    "MAX_MEMBER",
    "MAX_MEMBERS",
    "MAX_TOTAL",
    "build_tgz",
    "gunzip",
    "index",
    "members_size",
    "read_file",
    "read_members",
    "tzvf",
]

_BLOCK = 512
_WINDOW = 1 << 20  # bytes inflated per refill of the tar reader's buffer
_STEP_MAX = 1 << 16  # compressed bytes handed to zlib at once: what a refused or finished step may copy
_HEADER_ALLOWANCE = 2048  # inflated bytes allowed per member beyond its data (its header, a long name, padding)


def _as_bytes(data: object, name: str | None) -> bytes | bytearray | memoryview:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data
    raise CorruptArchive(f"it was given as {type(data).__name__}, not as the bytes of a file", name)


class _Inflater:
    """The inflated bytes of gzip `data`, made on demand: each gzip member in turn, in bounded steps.

    zlib is handed at most `_STEP_MAX` compressed bytes at a time, starting small for each member, so what zlib
    copies back (`unconsumed_tail`, `unused_data`) is bounded by that step and by the member's own size: thousands
    of tiny gzip members cost linear time, not a copy of the rest of the input for each. `produced` counts every
    inflated byte against `limit`, which the tar reader raises as members arrive.
    """

    __slots__ = ("_d", "_n", "_pos", "_raw", "_step", "_tail", "_view", "limit", "members", "name", "produced")

    def __init__(self, data: bytes | bytearray | memoryview, name: str | None, limit: int) -> None:
        raw = data if isinstance(data, bytes) else bytes(data)
        if not raw:
            raise CorruptArchive("the file is empty", name)
        if not raw.startswith(b"\x1f\x8b"):
            raise CorruptArchive("it is not gzip-compressed (no gzip magic number)", name)
        self._raw = raw
        self._view = memoryview(raw)
        self._n = len(raw)
        self._pos = 0
        self._d: Any = None
        self._tail = b""
        self._step = 256
        self.name = name
        self.limit = limit
        self.produced = 0
        self.members = 0

    def _next_member(self) -> bool:
        """Start the next gzip member; False at the end of the input (or at trailing bytes that are not gzip)."""
        raw, pos, n = self._raw, self._pos, self._n
        if not raw.startswith(b"\x1f\x8b", pos):
            while pos < n and raw[pos] == 0:  # zero padding after a member, as tape blocking leaves
                piece = raw[pos : pos + _STEP_MAX]
                pos += len(piece) - len(piece.lstrip(b"\x00"))
            self._pos = pos
            if pos >= n:
                return False
            if not raw.startswith(b"\x1f\x8b", pos):
                if self.members == 0:
                    raise CorruptArchive("it is not gzip-compressed (no gzip magic number)", self.name)
                self._pos = n  # trailing garbage after a complete member: ignored, as gzip -d does with a warning
                return False
        self._d = zlib.decompressobj(31)  # 16 + MAX_WBITS: one gzip member, header and trailer checked
        self._step = 256
        self.members += 1
        return True

    def read(self, size: int) -> bytes:
        """Up to `size` more inflated bytes; b"" only at the end of the last member."""
        while True:
            d = self._d
            if d is None:
                if not self._next_member():
                    return b""
                d = self._d
            src: bytes | memoryview = self._tail
            if not src:
                pos, step = self._pos, self._step
                if pos >= self._n:
                    raise CorruptArchive("the gzip data is truncated", self.name)
                src = self._view[pos : pos + step]
                self._pos = pos + len(src)
                if step < _STEP_MAX:
                    self._step = step * 2
            try:
                out = d.decompress(src, size)
            except zlib.error as err:
                raise CorruptArchive(f"the gzip data is damaged ({err})", self.name) from None
            if d.eof:
                self._pos -= len(d.unused_data)  # `src` always ends at `_pos`: step back to the next member
                self._d = None
                self._tail = b""
            else:
                self._tail = d.unconsumed_tail
            if out:
                self.produced += len(out)
                if self.produced > self.limit:
                    raise UnsafeArchive(
                        None,
                        f"it unpacks to more than {self.limit} bytes, more than this kind of archive holds (a small "
                        "file that unpacks this far is a 'gzip bomb')",
                        self.name,
                    )
                return out

    def finish_member(self) -> None:
        """Inflate the rest of the current gzip member, keeping nothing, so its CRC is checked; what follows it
        (more gzip members, garbage) is left unread."""
        while self._d is not None:
            self.read(_WINDOW)
            if self._d is None:
                break


class _Buffer:
    """The tar reader's window over the inflated stream: `buf[off:]` holds bytes inflated but not yet read."""

    __slots__ = ("buf", "inflater", "off")

    def __init__(self, inflater: _Inflater) -> None:
        self.inflater = inflater
        self.buf = b""
        self.off = 0

    def need(self, n: int) -> bool:
        """Make `n` bytes available at `off`; False if the stream ends first. Bytes left in the window are joined
        only with the few more they need, never with a whole new window."""
        have = len(self.buf) - self.off
        if have >= n:
            return True
        parts = [self.buf[self.off :]] if have else []
        read = self.inflater.read
        while have < n:
            chunk = read(n - have if parts else max(n, _WINDOW))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self.buf = parts[0] if len(parts) == 1 else b"".join(parts)
        self.off = 0
        return have >= n

    def take(self, size: int) -> bytes | None:
        """A member's `size` bytes, then past its padding to the next 512-byte block; None if the stream ends first.
        A member that runs past the window is inflated on its own to its last byte and joined once, so the member is
        copied but the window is not."""
        padded = (size + _BLOCK - 1) // _BLOCK * _BLOCK
        buf, off = self.buf, self.off
        avail = len(buf) - off
        if avail >= padded:
            self.off = off + padded
            return buf[off : off + size]
        read = self.inflater.read
        if avail >= size:
            body = buf[off : off + size]
        else:
            parts = [buf[off:]] if avail else []
            got = avail
            while got < size:
                chunk = read(size - got)
                if not chunk:
                    return None
                parts.append(chunk)
                got += len(chunk)
            body = parts[0] if len(parts) == 1 else b"".join(parts)
        self.buf, self.off = b"", 0
        return body if self.skip(padded - max(size, avail)) else None

    def skip(self, n: int) -> bool:
        """Pass over `n` bytes without keeping them; False if the stream ends first."""
        while n > 0:
            have = len(self.buf) - self.off
            if have >= n:
                self.off += n
                return True
            n -= have
            self.buf, self.off = self.inflater.read(_WINDOW), 0
            if not self.buf:
                return False
        return True


def gunzip(data: bytes, *, name: str | None = None, max_size: int = MAX_TOTAL) -> bytes:
    """Decompress gzip `data` (several members allowed), refusing to grow past `max_size` bytes (UnsafeArchive).

    Streams through `_Inflater`: linear time in the input however many gzip members it holds, and a gzip bomb is
    stopped at `max_size`, never inflated further. Trailing zero padding and trailing garbage after a complete
    member are ignored, as gzip -d does.
    """
    inflater = _Inflater(_as_bytes(data, name), name, max_size)
    parts = []
    while chunk := inflater.read(_WINDOW):
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _octal(field: bytes, what: str, name: str | None) -> int:
    """A numeric tar field: octal digits, or GNU base-256 (first byte 0x80 positive, 0xff negative)."""
    if field and field[0] & 0x80:
        if field[0] == 0xFF:
            return int.from_bytes(field, "big", signed=True)
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\x00", 1)[0].strip(b" \x00")
    if not text:
        return 0
    if not text.isdigit() or b"8" in text or b"9" in text:
        raise CorruptArchive(f"a tar header has a bad {what} field", name)
    return int(text, 8)


def _checksum_ok(header: bytes) -> bool:
    stored = header[148:156]
    text = stored.split(b"\x00", 1)[0].strip(b" \x00")
    if not text.isdigit():
        return False
    try:
        want = int(text, 8)
    except ValueError:
        return False
    unsigned = sum(header[:148]) + 256 + sum(header[156:])
    return want == unsigned


def _pax(data: bytes, name: str | None) -> dict[str, str]:
    """PAX records, `<length> <key>=<value>\\n` each; a record that does not add up is CorruptArchive."""
    out: dict[str, str] = {}
    pos = 0
    end = len(data.rstrip(b"\x00"))
    while pos < end:
        space = data.find(b" ", pos, pos + 21)
        digits = data[pos:space] if space > pos else b""
        if not digits.isdigit() or not digits.isascii():
            raise CorruptArchive("a PAX header is malformed (a record does not start with its length)", name)
        length = int(digits)
        if length <= space - pos + 1 or pos + length > len(data) or data[pos + length - 1] != 0x0A:
            raise CorruptArchive("a PAX header is malformed (a record's length does not match its text)", name)
        key, sep, value = data[space + 1 : pos + length - 1].partition(b"=")
        if not sep or not key:
            raise CorruptArchive("a PAX header is malformed (a record has no key=value)", name)
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
        pos += length
    return out


def _clean(raw: str, name: str | None) -> str:
    if raw.startswith("/"):
        raise UnsafeArchive(raw, "its name is an absolute path")
    parts = []
    for part in raw.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise UnsafeArchive(raw, "its name contains '..', which could climb out of the archive")
        parts.append(part)
    return "/".join(parts)


def read_members(data: bytes, **options: Any) -> dict[str, FileEntry]:
    """Index a gzip'd tar in memory: relative name -> FileEntry (files and directories), later duplicates win.
    Takes the keyword options of `index` (`name`, the size and count limits, and `root`, put before every name)."""
    return index(data, **options)[0]


_new_entry = tuple.__new__  # FileEntry is a NamedTuple: building it as a tuple skips a Python-level __new__
_DATA_TYPES = {48: FILE, 0: FILE, 55: FILE, 53: DIR}  # '0', NUL, '7' (contiguous) are files; '5' a directory
_META_TYPES = frozenset(b"LKxg")
# An ordinary ustar header, for a file ('0', '7') or a directory ('5'): a name of 1 to 100 bytes in the name field,
# then mode/uid/gid, a size of 11 octal digits, the mtime, the checksum, the type, the link name, the ustar magic and
# an empty prefix. Groups: name, mode/uid/gid, size, mtime. Anything else is read field by field.
_ORDINARY = re.compile(
    rb"(?=([^\x00]{1,100})).{100}(.{24})([0-7]{11})[\x00 ](.{12}).{8}[057].{100}ustar.{83}\x00", re.DOTALL
).match
_LINK = "it is a link; archives read here may hold only files and directories"
_DEVICE = "it is a device or FIFO, not a file"
_TYPE_WORDS = {
    b"1": _LINK,
    b"2": _LINK,
    b"3": _DEVICE,
    b"4": _DEVICE,
    b"6": _DEVICE,
    b"S": "it is a GNU sparse file; archives read here may hold only plain files and directories",
    b"D": "it is a GNU dump directory; archives read here may hold only plain files and directories",
    b"M": "it continues a multi-volume archive, of which this file is only one piece",
    b"V": "it is a tape volume label, not a file",
    b"N": "it is an old GNU long-name record, which archives read here do not take",
}


def _refuse_type(typeflag: int, raw_name: str) -> UnsafeArchive:
    flag = bytes([typeflag])
    why = _TYPE_WORDS.get(flag)
    if why is None:
        shown = flag.decode("latin-1") if 32 < typeflag < 127 else f"\\x{typeflag:02x}"
        why = f"it has the unknown tar type {shown!r}; archives read here may hold only files and directories"
    return UnsafeArchive(raw_name, why)


def index(
    data: bytes,
    *,
    name: str | None = None,
    max_member_size: int = MAX_MEMBER,
    max_total_size: int = MAX_TOTAL,
    max_members: int = MAX_MEMBERS,
    root: str = "",
) -> tuple[dict[str, FileEntry], int]:
    """`read_members`, plus the total size of the file data kept (a tardisk's size), counted on the way.
    `root` is put before every name (a tardisk passes "/" to get absolute paths in one pass).

    Each header is checked before its member is read: a declared size past `max_member_size` or a total past
    `max_total_size` is refused without inflating the member. The header checksum is verified on the first header
    and on any header without the ustar magic: gzip's CRC has already checked every byte, and the tar checksum
    mostly tells a tar header from something else. The parents the names imply are counted once each: names too many
    or too deeply nested to index (limits.MAX_NAME_BYTES) are refused.
    """
    inflater = _Inflater(_as_bytes(data, name), name, max_total_size + _WINDOW)
    stream = _Buffer(inflater)
    out: dict[str, FileEntry] = {}
    long_name: str | None = None
    pax: dict[str, str] = {}
    total = 0
    seen = 0
    owners: dict[bytes, tuple[int, int, int]] = {}
    stamps: dict[bytes, int] = {}
    assigned = 0
    zero_block = b"\x00" * _BLOCK
    need = stream.need
    while True:
        if not need(_BLOCK):
            if len(stream.buf) == stream.off and out:
                break  # no end-of-archive blocks, but the data ends on a member boundary
            raise CorruptArchive("the tar data is truncated", name)
        buf = stream.buf
        head = stream.off
        ordinary = _ORDINARY(buf, head) if seen and long_name is None and not pax else None
        if ordinary is not None:  # the usual header, read in one match: no checksum, long name or PAX to apply
            raw_bytes, fields, size_digits, stamp = ordinary.groups()
            typeflag = buf[head + 156]
            size = int(size_digits, 8)
            raw_name = raw_bytes.decode("utf-8", "replace")
            seen += 1
        else:
            ustar = buf.startswith(b"ustar", head + 257)
            if seen == 0 or not ustar:
                header = buf[head : head + _BLOCK]
                if header == zero_block:
                    break
                if not _checksum_ok(header):
                    raise CorruptArchive("a tar header checksum is wrong", name)
            typeflag = buf[head + 156]
            size_field = buf[head + 124 : head + 136]
            if size_field[0] < 0x80 and size_field[:11].isdigit():
                digits = size_field if size_field[11:].isdigit() else size_field[:11]  # 12 digits fill the field
                size = int(digits, 8) if b"8" not in digits and b"9" not in digits else -1
            else:
                size = _octal(size_field, "size", name)
            if size < 0:
                raise CorruptArchive("a tar header has a bad size field", name)
            if pax and "size" in pax:
                text = pax["size"]
                if not (text.isdigit() and text.isascii() and len(text) <= 20):
                    raise CorruptArchive("a PAX size is not a number", name)
                size = int(text)
            seen += 1
            if typeflag in _META_TYPES:
                if typeflag in (76, 75) and size >= limits.PATH_MAX:  # 'L', 'K': GNU long name / long link name
                    raise UnsafeArchive(
                        None, f"a GNU long name of {size} bytes is longer than a path can be ({limits.PATH_MAX})", name
                    )
                if typeflag in (120, 103) and size > limits.MAX_PAX:  # 'x', 'g': PAX headers
                    raise UnsafeArchive(
                        None, f"a PAX header of {size} bytes is far larger than the {limits.MAX_PAX} it may hold", name
                    )
                stream.off += _BLOCK
                body = stream.take(size)
                if body is None:
                    raise CorruptArchive("the tar data is truncated", name)
                if typeflag == 76:
                    long_name = body.split(b"\x00", 1)[0].decode("utf-8", "replace")
                elif typeflag == 120:
                    pax = _pax(body, name)
                if seen > 2 * max_members:
                    raise UnsafeArchive(None, f"the archive has more than {max_members} members", name)
                continue
            stop = buf.find(b"\x00", head, head + 100)
            raw_name = buf[head : stop if stop >= 0 else head + 100].decode("utf-8", "replace")
            if ustar and buf[head + 345] and buf.startswith(b"\x0000", head + 262):
                prefix = buf[head + 345 : head + 500].split(b"\x00", 1)[0].decode("utf-8", "replace")
                raw_name = f"{prefix}/{raw_name}"
            if long_name is not None:
                raw_name = long_name
                long_name = None
            if pax:
                raw_name = pax.get("path", raw_name)
                pax = {}
            fields, stamp = buf[head + 100 : head + 124], buf[head + 136 : head + 148]
        if not raw_name:
            raise CorruptArchive("a member has no name", name)
        kind = _DATA_TYPES.get(typeflag)
        if kind is None:
            raise _refuse_type(typeflag, raw_name)
        if "\x00" in raw_name:
            raise UnsafeArchive(raw_name, "its name contains a NUL byte, which no file name can hold")
        if raw_name[:1] != "/" and "./" not in raw_name and "//" not in raw_name and not raw_name.endswith("."):
            clean = raw_name.rstrip("/")
        else:
            clean = _clean(raw_name, name)
        if (
            len(clean) > limits.NAME_MAX
            or len(raw_name) >= limits.PATH_MAX
            or (len(clean) > 63 and not clean.isascii())
        ):
            problem = limits.path_problem(raw_name) or limits.path_problem(clean)
            if problem:
                raise UnsafeArchive(raw_name, problem)
        if seen > max_members or len(out) >= max_members:
            raise UnsafeArchive(raw_name, f"the archive has more than {max_members} members")
        inflater.limit += _HEADER_ALLOWANCE
        owner = owners.get(fields)  # mode, uid, gid: nearly constant within one archive
        if owner is None:
            uid, gid = _octal(fields[8:16], "uid", name), _octal(fields[16:24], "gid", name)
            if not (0 <= uid <= limits.MAX_ID and 0 <= gid <= limits.MAX_ID):
                raise CorruptArchive(f"member {raw_name!r} has an owner id outside 0 to {limits.MAX_ID}", name)
            owner = owners[fields] = (_octal(fields[0:8], "mode", name) & 0o7777, uid, gid)
        mtime = stamps.get(stamp)
        if mtime is None:
            mtime = _octal(stamp, "mtime", name)
            if not 0 <= mtime <= limits.MAX_MTIME:
                raise CorruptArchive(
                    f"member {raw_name!r} has a modification time ({mtime}) that is no date from 1970 to 9999", name
                )
            stamps[stamp] = mtime
        clean = root + clean
        stream.off += _BLOCK
        is_dir = kind is DIR or raw_name[-1] == "/"
        if not is_dir:
            if clean == root:
                raise UnsafeArchive(raw_name, "a file member has an empty name")
            if size > max_member_size:
                raise UnsafeArchive(
                    raw_name, f"it is larger than {max_member_size} bytes ({limits.mib(max_member_size)})"
                )
            total += size
            if total > max_total_size:
                raise UnsafeArchive(
                    raw_name, f"the archive unpacks to more than {max_total_size} bytes ({limits.mib(max_total_size)})"
                )
        if is_dir:
            if not stream.skip((size + _BLOCK - 1) // _BLOCK * _BLOCK):
                raise CorruptArchive("the tar data is truncated", name)
            if clean != root:
                assigned += 1
                out[clean] = _new_entry(FileEntry, (DIR, owner[0], b"", owner[1], owner[2], mtime))
            continue
        body = stream.take(size)
        if body is None:
            raise CorruptArchive("the tar data is truncated", name)
        assigned += 1
        out[clean] = _new_entry(FileEntry, (FILE, owner[0], body, owner[1], owner[2], mtime))
    inflater.finish_member()
    if not out:
        raise CorruptArchive("the archive holds no members", name)
    if assigned != len(out):  # a later member replaced an earlier one: count only what is left
        total = sum(len(e.data) for e in out.values())
    if not root:  # a tardisk (root "/") makes and bounds its parents itself, once (layers.Tardisk)
        _check_parents(out, root, name)
    return out, total


def _check_parents(out: Mapping[str, FileEntry], root: str, name: str | None) -> None:
    """Every directory a name implies, made once, as a tardisk's index makes them: refuse names whose parents would
    cost too much memory to index (a path n names deep implies n parents)."""
    known = {p for p, e in out.items() if e.kind == DIR}
    known.add(root.rstrip("/"))
    try:
        limits.new_parents(out, known)
    except limits.NameBudgetExceeded as err:
        raise UnsafeArchive(
            err.path[len(root) :],
            f"its names are too many or too deeply nested: indexing them would take more than "
            f"{limits.mib(limits.MAX_NAME_BYTES)} of names",
            name,
        ) from None


def read_file(path: object, *, limit: int = limits.MAX_FILE) -> tuple[bytes, str]:
    """(the bytes of the regular file at `path`, its name), reading at most `limit` bytes; UnreadableFile when the
    path is missing, is not a regular file (a directory, /dev/zero, a pipe: those would never end or mean nothing)
    or holds more than `limit` bytes. The file is opened without blocking, so a pipe cannot hang the call."""
    if not isinstance(path, (str, os.PathLike)):
        raise UnreadableFile(repr(path), f"a path is text such as 'state.tgz', not {type(path).__name__}")
    shown = os.fspath(path)
    shown = shown if isinstance(shown, str) else os.fsdecode(shown)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UnreadableFile(shown, "there is no such file (check the path and the current folder)") from None
    except (OSError, ValueError) as err:
        raise UnreadableFile(shown, getattr(err, "strerror", None) or str(err)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile(shown, "it is a folder; give the path of the archive file inside it")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(
                shown, "it is not a regular file (a device, a pipe or a socket); copy the archive into a file first"
            )
        too_big = f"it holds more than {limits.mib(limit)}, far more than such an archive holds"
        if info.st_size > limit:
            raise UnreadableFile(shown, too_big)
        parts, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                raise UnreadableFile(shown, too_big)
    except OSError as err:
        raise UnreadableFile(shown, err.strerror or str(err)) from None
    finally:
        os.close(fd)
    return b"".join(parts), os.path.basename(shown) or shown


def members_size(members: Mapping[str, FileEntry] | Iterable[FileEntry]) -> int:
    values = members.values() if isinstance(members, Mapping) else members
    return sum(e.size for e in values)


def tzvf(data: bytes, *, name: str | None = None) -> str:
    """What `tar tzvf` prints on ESXi (busybox): mode, uid/gid, size, date and time, name; one line a member."""
    lines = []
    for member, entry in read_members(data, name=name).items():
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.mtime))
        shown = member + "/" if entry.kind == DIR else member
        # busybox: printf("%s %s/%s %9u %4u-%02u-%02u %02u:%02u:%02u %s", mode, user, group, size, ...)
        lines.append(f"{mode_string(entry)} {entry.uid}/{entry.gid} {entry.size:>9} {when} {shown}")
    return "\n".join(lines) + "\n"
