"""Writing gzip'd tar archives: local.tgz, state.tgz, tardisks, VIB payloads and bundles, byte for byte as Python's
tarfile writes them in GNU format, deterministic (no timestamps in the gzip header)."""

from __future__ import annotations

import io
import struct
import tarfile
from collections.abc import Iterable, Mapping

from .entry import DIR, WHITEOUT, FileEntry

__all__ = ["build_tgz"]

_BLOCK = 512


def build_tgz(members: Mapping[str, FileEntry] | Iterable[tuple[str, FileEntry]]) -> bytes:
    """A gzip'd tar of `members` (relative names -> FileEntry), in the order given, deterministic.

    The tar is GNU format, byte for byte what `tarfile` writes for the same members: headers are written directly in
    one pass (backup.sh's archives hold thousands of small files, F17), and any member a plain header cannot carry
    (a name past 99 bytes or not ASCII, a number too wide for its field) sends the whole archive through `tarfile`.
    """
    items = list(members.items() if isinstance(members, Mapping) else members)
    for name, entry in items:
        if entry.kind == WHITEOUT:
            raise ValueError(f"a whiteout cannot be archived: {name}")
    raw = _plain_tar(items)
    if raw is None:
        raw = _tarfile_tar(items)
    out = io.BytesIO()
    with _gzip_writer(out) as gz:
        gz.write(raw)
    return out.getvalue()


_RECORD = 20 * _BLOCK  # tar pads the archive to whole records of 20 blocks
_GNU_MAGIC = b"ustar  \x00"
_HEADER = struct.Struct("100s8s8s8s12s12s8sc100s8s32s32s8s8s155s12x")


def _number_field(n: int, width: int) -> bytes | None:
    """`n` as tarfile writes a number field: zero-padded octal and a NUL; None if it does not fit."""
    if type(n) is not int or not 0 <= n < 8 ** (width - 1):
        return None
    return b"%0*o\x00" % (width - 1, n)


def _plain_tar(items: list[tuple[str, FileEntry]]) -> bytes | None:
    """The tar of `items` with headers packed here, or None when a member needs what only `tarfile` writes."""
    parts: list[bytes] = []
    for name, entry in items:
        path = name.strip("/")
        if not path.isascii() or len(path) > 99:
            return None
        is_dir = entry.kind == DIR
        if is_dir and not path.endswith("/"):
            path += "/"  # tarfile names a directory member with a trailing slash
            if len(path) > 99:
                return None
        data = b"" if is_dir else entry.data
        fields = [
            _number_field(entry.mode & 0o7777, 8),
            _number_field(entry.uid, 8),
            _number_field(entry.gid, 8),
            _number_field(len(data), 12),
            _number_field(entry.mtime, 12),
        ]
        if any(f is None for f in fields):
            return None
        mode, uid, gid, size, mtime = fields
        typeflag = b"5" if is_dir else b"0"
        header = bytearray(
            _HEADER.pack(
                path.encode(), mode, uid, gid, size, mtime, b" " * 8, typeflag, b"", _GNU_MAGIC, b"", b"", b"", b"", b""
            )
        )
        header[148:156] = b"%06o\x00 " % sum(header)
        parts.append(bytes(header))
        if data:
            parts.append(data)
            pad = -len(data) % _BLOCK
            if pad:
                parts.append(bytes(pad))
    parts.append(bytes(2 * _BLOCK))
    raw = b"".join(parts)
    return raw + bytes(-len(raw) % _RECORD)


def _tarfile_tar(items: list[tuple[str, FileEntry]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, entry in items:
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
    return raw.getvalue()


def _gzip_writer(out: io.BytesIO):
    import gzip

    return gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0)
