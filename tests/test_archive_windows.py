"""The archive reader against Python's `tarfile` where its window over the inflated stream ends: members and headers
that straddle two windows, gzip members that end inside a tar member, headers the one-match fast path does not take.

The reader inflates a window (`archive._WINDOW`, 1 MiB) at a time; a member that runs past it is inflated on its own.
The tests shrink the window to a few blocks so that every member straddles somewhere, and compare every name, kind,
mode, owner, mtime and byte with `tarfile`'s reading of the same archive.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import random
import tarfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esxistate import archive
from esxistate.entry import DIR, FILE
from esxistate.errors import CorruptArchive, UnsafeArchive


@contextlib.contextmanager
def window(size: int):
    saved = archive._WINDOW
    archive._WINDOW = size
    try:
        yield
    finally:
        archive._WINDOW = saved


def _tar(members: list[tuple[str, bytes | None]], *, fmt: int = tarfile.USTAR_FORMAT, mtime: int = 1_600_000_000):
    """An uncompressed tar: (name, data) for a file, (name, None) for a directory."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for i, (name, data) in enumerate(members):
            info = tarfile.TarInfo(name)
            info.mtime = mtime + i
            info.uid, info.gid = i % 3, 100 + i % 2
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644 if i % 2 else 0o600
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _gzip_pieces(raw: bytes, cuts: list[int]) -> bytes:
    """`raw` as several gzip members, split at `cuts` (gzip -d and tar read it as one stream)."""
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(raw)}), len(raw)]
    return b"".join(gzip.compress(raw[a:b], mtime=0) for a, b in itertools.pairwise(bounds))


def _reference(raw: bytes) -> dict[str, tuple]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for info in tar.getmembers():
            data = tar.extractfile(info).read() if info.isfile() else b""
            out[info.name.rstrip("/")] = (
                DIR if info.isdir() else FILE,
                info.mode & 0o7777,
                data,
                info.uid,
                info.gid,
                info.mtime,
            )
    return out


def _ours(data: bytes) -> dict[str, tuple]:
    members, total = archive.index(data)
    assert total == sum(len(e.data) for e in members.values() if e.kind == FILE)
    return {name: (e.kind, e.mode, e.data, e.uid, e.gid, e.mtime) for name, e in members.items()}


def _noise(rng: random.Random, n: int) -> bytes:
    return rng.randbytes(n)  # incompressible: the windows' ends fall anywhere in the tar stream


@pytest.mark.parametrize("win", [512, 1536, 4096, 7000, 1 << 20])
def test_members_straddling_every_kind_of_window_end_read_as_tarfile_reads_them(win):
    rng = random.Random(win)
    members: list[tuple[str, bytes | None]] = [("etc", None)]
    for i in range(60):
        size = rng.choice([0, 1, 511, 512, 513, 1023, 1024, 4095, 4097, rng.randrange(20_000)])
        members.append((f"etc/f{i:02d}", _noise(rng, size)))
        if i % 9 == 0:
            members.append((f"etc/d{i:02d}", None))
    raw = _tar(members)
    with window(win):
        assert _ours(gzip.compress(raw, mtime=0)) == _reference(raw)


def test_a_member_larger_than_several_windows_is_read_whole():
    rng = random.Random(7)
    raw = _tar([("big", _noise(rng, 3 * 4096 + 17)), ("after", b"x" * 600), ("tail", _noise(rng, 5000))])
    with window(4096):
        got = _ours(gzip.compress(raw, mtime=0))
    assert got == _reference(raw)
    assert len(got["big"][2]) == 3 * 4096 + 17


@given(
    sizes=st.lists(st.integers(0, 6000), min_size=1, max_size=25),
    win=st.sampled_from([512, 1024, 1500, 2048, 3333, 8192]),
    cuts=st.lists(st.integers(0, 200_000), max_size=6),
    seed=st.integers(0, 2**16),
)
def test_any_members_any_window_any_gzip_members_match_tarfile(sizes, win, cuts, seed):
    """Property: whatever the member sizes, the window size and where the gzip members end, the index is tarfile's."""
    rng = random.Random(seed)
    members = [(f"d/m{i}", _noise(rng, s) if i % 2 else b"A" * s) for i, s in enumerate(sizes)]
    raw = _tar(members)
    with window(win):
        assert _ours(_gzip_pieces(raw, cuts)) == _reference(raw)


@pytest.mark.parametrize("where", ["inside a header", "inside a straddling body", "inside its padding"])
def test_a_stream_that_ends_inside_a_straddling_member_is_truncated_not_short(where):
    rng = random.Random(3)
    raw = _tar([("a", _noise(rng, 3000)), ("b", _noise(rng, 5000)), ("c", b"c")])
    b_header = 512 + 3072  # after a's header and its 3,000 bytes padded to 3,072
    cut = {
        "inside a header": b_header + 100,
        "inside a straddling body": b_header + 512 + 2500,
        "inside its padding": b_header + 512 + 5000 + 40,
    }[where]
    with window(1024), pytest.raises(CorruptArchive, match="truncated"):
        archive.index(gzip.compress(raw[:cut], mtime=0), name="cut.tgz")


@pytest.mark.parametrize(
    "name",
    [
        "n" * 100,  # fills the name field, no NUL after it: the fast path's longest name
        "deep/" * 25 + "file",  # past 100 bytes: ustar's prefix field
        "caf\u00e9/na\u00efve",  # UTF-8 names
    ],
)
def test_headers_at_the_fast_paths_edge_and_past_it_read_as_tarfile_reads_them(name):
    raw = _tar([("x", b"1"), (name, b"payload" * 100), ("y", b"2")])
    with window(1024):
        assert _ours(gzip.compress(raw, mtime=0)) == _reference(raw)


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_names_in_gnu_and_pax_form_between_ordinary_headers(fmt):
    raw = _tar([("a", b"1" * 700), ("long/" * 40 + "name", b"2" * 1500), ("b", b"3")], fmt=fmt)
    with window(1024):
        assert _ours(gzip.compress(raw, mtime=0)) == _reference(raw)


def test_a_size_written_in_base_256_is_read_as_its_number():
    raw = bytearray(_tar([("a", b"x" * 600), ("b", b"y" * 10)]))
    header = raw[1536:2048]  # b's header, after a's header and its 600 bytes padded to 1,024
    header[124:136] = b"\x80" + (10).to_bytes(11, "big")
    header[148:156] = b" " * 8
    header[148:155] = f"{sum(header):06o}\x00".encode()
    raw[1536:2048] = header
    assert _ours(gzip.compress(bytes(raw), mtime=0))["b"][2] == b"y" * 10


def test_the_fast_path_still_refuses_what_it_must():
    """A type the fast path does not take ('2', a symlink) and a name with '..' are refused after ordinary members."""
    raw = bytearray(_tar([("a", b"1"), ("b", b"2")]))
    head = 1024  # b's header, after a's header and its one byte padded to a block
    raw[head + 156] = ord("2")
    raw[head + 148 : head + 156] = b" " * 8
    raw[head + 148 : head + 155] = f"{sum(raw[head : head + 512]):06o}\x00".encode()

    with pytest.raises(UnsafeArchive, match="link"):
        archive.index(gzip.compress(bytes(raw), mtime=0))
    with pytest.raises(UnsafeArchive, match=r"'\.\.'"):
        archive.index(gzip.compress(_tar([("a", b"1"), ("x/../../etc", b"2")]), mtime=0))


def test_a_size_of_twelve_octal_digits_with_no_terminator_is_read_whole():
    """The size field is 12 bytes: GNU tar and libarchive write 12 digits with no NUL when the size needs them, and
    tarfile reads all 12; reading 11 would cut the member short (000000000010 is 8 bytes, not 1)."""
    raw = bytearray(_tar([("a", b"x" * 600), ("b", b"12345678")]))
    head = 1536
    raw[head + 124 : head + 136] = b"000000000010"
    raw[head + 148 : head + 156] = b" " * 8
    raw[head + 148 : head + 155] = f"{sum(raw[head : head + 512]):06o}\x00".encode()
    assert _reference(bytes(raw))["b"][2] == b"12345678"
    assert _ours(gzip.compress(bytes(raw), mtime=0)) == _reference(bytes(raw))
