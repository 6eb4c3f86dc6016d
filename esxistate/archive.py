"""gzip'd tar archives: deterministic building, and safe reading in memory.

Tardisks, imgdb.tgz, local.tgz and state.tgz are all gzip-compressed tar archives on the boot bank (the boot loader
decompresses each module into memory as it loads it, F46). Real `.v00` tardisks use
VMware's own tar variant ("vmtar"); ours are standard ustar/GNU tar so that students can open them with `tar tzvf`
and Python's `tarfile`. Building is byte-for-byte deterministic: the same members give the same bytes.

Reading never touches the disk and follows the spirit of tarfile's "data" filter (PEP 706): absolute names, `..`,
links, devices and FIFOs are refused with `UnsafeArchive`, and so are members or totals over a size limit (checked
while decompressing, so a gzip bomb is stopped early). Broken input is `CorruptArchive`. The reader parses tar
headers itself over the decompressed bytes: indexing a tardisk costs about as much as gunzipping it.
"""

from __future__ import annotations

import io
import tarfile
import time
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from .entry import DIR, FILE, WHITEOUT, FileEntry, mode_string
from .errors import CorruptArchive, UnsafeArchive

__all__ = ["build_tgz", "gunzip", "index", "members_size", "read_members", "tzvf"]

MAX_MEMBER = 64 * 2**20
MAX_TOTAL = 256 * 2**20
MAX_MEMBERS = 200_000
_BLOCK = 512


def build_tgz(members: Mapping[str, FileEntry] | Iterable[tuple[str, FileEntry]]) -> bytes:
    """A gzip'd tar of `members` (relative names -> FileEntry), in the order given, deterministic."""
    items = members.items() if isinstance(members, Mapping) else members
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, entry in items:
            if entry.kind == WHITEOUT:
                raise ValueError(f"a whiteout cannot be archived: {name}")
            info = tarfile.TarInfo(name.strip("/"))
            info.mode = entry.mode & 0o7777
            info.uid, info.gid = entry.uid, entry.gid
            info.uname = info.gname = ""
            info.mtime = entry.mtime
            if entry.kind == DIR:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
    out = io.BytesIO()
    with _gzip_writer(out) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _gzip_writer(out: io.BytesIO):
    import gzip

    return gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0)


def gunzip(data: bytes, *, name: str | None = None, max_size: int = MAX_TOTAL) -> bytes:
    """Decompress gzip `data` (several members allowed), refusing to grow past `max_size` bytes.

    Each gzip member is inflated in one call whose output is capped at `max_size + 1` bytes, so a gzip bomb stops
    there; one call, rather than a loop over small chunks, costs the same as a plain `zlib.decompress`.
    """
    if not data:
        raise CorruptArchive("the file is empty", name)
    if data[:2] != b"\x1f\x8b":
        raise CorruptArchive("it is not gzip-compressed (no gzip magic number)", name)
    parts: list[bytes] = []
    total = 0
    rest = data
    while rest:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = d.decompress(rest, max_size - total + 1)
        except zlib.error as err:
            raise CorruptArchive(f"the gzip data is damaged ({err})", name) from None
        total += len(chunk)
        if total > max_size:
            raise UnsafeArchive(None, f"it unpacks to more than {max_size} bytes", name)
        parts.append(chunk)
        if not d.eof:
            raise CorruptArchive("the gzip data is truncated", name)
        rest = d.unused_data.lstrip(b"\x00")
        if rest and rest[:2] != b"\x1f\x8b":
            break  # trailing garbage after a complete member: ignored, as gzip -d does with a warning
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _octal(field: bytes, what: str, name: str | None) -> int:
    if field and field[0] & 0x80:  # GNU base-256 for large numbers
        value = int.from_bytes(field[1:], "big")
        return value
    text = field.split(b"\x00", 1)[0].strip(b" \x00")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise CorruptArchive(f"a tar header has a bad {what} field", name) from None


def _checksum_ok(header: bytes) -> bool:
    stored = header[148:156]
    text = stored.split(b"\x00", 1)[0].strip(b" \x00")
    try:
        want = int(text, 8)
    except ValueError:
        return False
    unsigned = sum(header[:148]) + 256 + sum(header[156:])
    return want == unsigned


def _pax(data: bytes, name: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise CorruptArchive("a PAX header is malformed", name) from None
        if length <= 0:
            raise CorruptArchive("a PAX header is malformed", name)
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
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

    Speed matters (a boot indexes every tardisk), so the loop reads fields straight out of the decompressed buffer
    and takes a careful path only for what is unusual. The header checksum is verified on the first header and on
    any header without the ustar magic: gunzip has already checked the CRC of every byte, and the tar checksum
    mostly tells a tar header from something else.
    """
    buf = gunzip(data, name=name, max_size=max_total_size + 1024 * 1024)
    out: dict[str, FileEntry] = {}
    pos = 0
    end = len(buf)
    long_name: str | None = None
    pax: dict[str, str] = {}
    total = 0
    owners: dict[bytes, tuple[int, int, int]] = {}
    stamps: dict[bytes, int] = {}
    assigned = 0
    zero_block = b"\x00" * _BLOCK
    find = buf.find
    while True:
        if pos + _BLOCK > end:
            if pos >= end and out:
                break
            raise CorruptArchive("the tar data is truncated", name)
        ustar = buf.startswith(b"ustar", pos + 257)
        if pos == 0 or not ustar:
            header = buf[pos : pos + _BLOCK]
            if header == zero_block:
                break
            if not _checksum_ok(header):
                raise CorruptArchive("a tar header checksum is wrong", name)
        typeflag = buf[pos + 156]
        try:
            size = int(buf[pos + 124 : pos + 135], 8)  # 11 octal digits and a NUL, as every tar writes it
        except ValueError:
            size = _octal(buf[pos + 124 : pos + 136], "size", name)
        if pax and "size" in pax:
            try:
                size = int(pax["size"])
            except ValueError:
                raise CorruptArchive("a PAX size is not a number", name) from None
        head = pos
        body_start = pos + _BLOCK
        body_end = body_start + size
        if size < 0 or body_end > end:
            raise CorruptArchive("the tar data is truncated", name)
        pos = body_start + ((size + _BLOCK - 1) // _BLOCK) * _BLOCK
        if typeflag in _META_TYPES:
            if typeflag == 76:  # 'L': GNU long name for the next member
                long_name = buf[body_start:body_end].split(b"\x00", 1)[0].decode("utf-8", "replace")
            elif typeflag == 120:  # 'x': PAX extended header for the next member
                pax = _pax(buf[body_start:body_end], name)
            continue
        stop = find(b"\x00", head, head + 100)
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
        if not raw_name:
            raise CorruptArchive("a member has no name", name)
        kind = _DATA_TYPES.get(typeflag)
        if kind is None:
            flag = bytes([typeflag])
            if flag in (b"1", b"2"):
                raise UnsafeArchive(raw_name, "it is a link; archives read here may hold only files and directories")
            if flag in (b"3", b"4", b"6"):
                raise UnsafeArchive(raw_name, "it is a device or FIFO, not a file")
            raise UnsafeArchive(raw_name, f"it has an unsupported tar type {flag!r}")
        if raw_name[:1] != "/" and "./" not in raw_name and "//" not in raw_name and not raw_name.endswith("."):
            clean = raw_name.rstrip("/")
        else:
            clean = _clean(raw_name, name)
        if len(out) >= max_members:
            raise UnsafeArchive(raw_name, f"the archive has more than {max_members} members")
        fields = buf[head + 100 : head + 124]  # mode, uid, gid: nearly constant within one archive
        owner = owners.get(fields)
        if owner is None:
            owner = owners[fields] = (
                _octal(fields[0:8], "mode", name) & 0o7777,
                _octal(fields[8:16], "uid", name),
                _octal(fields[16:24], "gid", name),
            )
        stamp = buf[head + 136 : head + 148]
        mtime = stamps.get(stamp)
        if mtime is None:
            mtime = stamps[stamp] = _octal(stamp, "mtime", name)
        clean = root + clean
        if kind is DIR or raw_name[-1] == "/":
            if clean != root:
                assigned += 1
                out[clean] = _new_entry(FileEntry, (DIR, owner[0], b"", owner[1], owner[2], mtime))
            continue
        if clean == root:
            raise UnsafeArchive(raw_name, "a file member has an empty name")
        if size > max_member_size:
            raise UnsafeArchive(raw_name, f"it is larger than {max_member_size} bytes")
        total += size
        if total > max_total_size:
            raise UnsafeArchive(raw_name, f"the archive unpacks to more than {max_total_size} bytes")
        assigned += 1
        out[clean] = _new_entry(FileEntry, (FILE, owner[0], buf[body_start:body_end], owner[1], owner[2], mtime))
    if not out:
        raise CorruptArchive("the archive holds no members", name)
    if assigned != len(out):  # a later member replaced an earlier one: count only what is left
        total = sum(len(e.data) for e in out.values())
    return out, total


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
