"""Real artifacts: gzip'd tar archives (tardisks, local.tgz) and state.tgz (F17, F36, S7). boot.cfg: test_bootcfg."""

from __future__ import annotations

import contextlib
import gzip
import io
import shutil
import subprocess
import tarfile
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esxistate import archive, statearchive, tarwrite
from esxistate.entry import DIR, FILE, FileEntry
from esxistate.errors import CorruptArchive, EncryptedConfig, NoSuchFile, UnsafeArchive

# -- archives ----------------------------------------------------------------------------------------------------

MEMBERS = [
    ("etc", FileEntry(DIR, 0o755, b"", 0, 0, 100)),
    ("etc/hosts", FileEntry(FILE, 0o1644, b"127.0.0.1 localhost\n", 0, 0, 1_525_255_267)),
    ("etc/shadow", FileEntry(FILE, 0o1400, b"root:*:\n", 0, 0, 1_525_255_092)),
    ("opt/" + "x" * 140 + "/long-name.txt", FileEntry(FILE, 0o644, b"long\n", 7, 8, 5)),
]


def test_build_and_read_round_trip_every_field():
    data = archive.build_tgz(MEMBERS)
    back = archive.read_members(data)
    assert list(back) == [n for n, _ in MEMBERS]
    for name, entry in MEMBERS:
        assert back[name] == entry


def test_archives_are_deterministic():
    assert archive.build_tgz(MEMBERS) == archive.build_tgz(MEMBERS)
    other = [(n, FileEntry(e.kind, e.mode, e.data, e.uid, e.gid, e.mtime + 1)) for n, e in MEMBERS]
    assert archive.build_tgz(other) != archive.build_tgz(MEMBERS)
    assert archive.build_tgz(MEMBERS)[4:8] == b"\x00\x00\x00\x00"  # gzip header mtime 0


@pytest.mark.exe("tar")
def test_gnu_tar_lists_what_we_write(tmp_path):
    path = tmp_path / "state.tgz"
    path.write_bytes(archive.build_tgz(MEMBERS))
    out = subprocess.run(
        [shutil.which("tar") or "tar", "tzvf", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    hosts = next(ln for ln in out if ln.endswith("etc/hosts"))
    assert hosts.startswith("-rw-r--r-T 0/0") and " 20 2018-05-02 " in hosts


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_reader_agrees_with_tarfile(fmt):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tar:
        for name, data, mode in [("a/" + "d" * 120 + "/f.txt", b"one", 0o1644), ("b.txt", b"", 0o600)]:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime, info.uid = len(data), mode, 1234567, 42
            tar.addfile(info, io.BytesIO(data))
        d = tarfile.TarInfo("a")
        d.type = tarfile.DIRTYPE
        tar.addfile(d)
    got = archive.read_members(gzip.compress(raw.getvalue()))
    with tarfile.open(fileobj=io.BytesIO(raw.getvalue())) as tar:
        for info in tar.getmembers():
            entry = got[info.name.rstrip("/")]
            assert entry.mode == info.mode and entry.mtime == info.mtime and entry.uid == info.uid
            if info.isfile():
                assert entry.data == tar.extractfile(info).read()
            else:
                assert entry.kind == DIR


def _tgz(*infos: tuple[tarfile.TarInfo, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in infos:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return gzip.compress(raw.getvalue())


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


@pytest.mark.parametrize(
    ("info", "why"),
    [
        (_info("/etc/passwd"), "absolute"),
        (_info("etc/../../evil"), ".."),
        (_info("etc/link", tarfile.SYMTYPE, "/etc/shadow"), "link"),
        (_info("etc/hard", tarfile.LNKTYPE, "etc/hosts"), "link"),
        (_info("dev/sda", tarfile.BLKTYPE), "device"),
        (_info("dev/tty", tarfile.CHRTYPE), "device"),
        (_info("run/fifo", tarfile.FIFOTYPE), "FIFO"),
    ],
)
def test_unsafe_members_are_refused_by_name(info, why):
    with pytest.raises(UnsafeArchive) as err:
        archive.read_members(_tgz((info, b"x")))
    assert err.value.member == info.name and why in str(err.value)


def test_size_and_count_limits():
    data = _tgz((_info("big"), b"x" * 5000), (_info("small"), b"y"))
    with pytest.raises(UnsafeArchive, match="larger than 4096"):
        archive.read_members(data, max_member_size=4096)
    with pytest.raises(UnsafeArchive, match="more than 1 members"):
        archive.read_members(data, max_members=1)
    with pytest.raises(UnsafeArchive, match="more than"):
        archive.read_members(data, max_total_size=3000)


def test_gzip_bomb_is_stopped_while_decompressing():
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\x00" * (1 << 20)
    bomb = b"".join(comp.compress(chunk) for _ in range(300)) + comp.flush()  # 300 MiB of zeros, ~300 KB
    assert len(bomb) < 1_000_000
    with pytest.raises(UnsafeArchive, match="unpacks to more than"):
        archive.read_members(bomb)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 not a tgz", "not gzip"),
        (archive.build_tgz(MEMBERS)[:-30], "truncated"),
        (gzip.compress(b"\x00" * 100), "truncated"),
    ],
)
def test_corrupt_archives_are_reported(data, words):
    with pytest.raises(CorruptArchive) as err:
        archive.read_members(data, name="state.tgz")
    assert words in str(err.value) and str(err.value).startswith("state.tgz is not a readable .tgz archive")


def test_bad_header_checksum_is_corrupt():
    raw = bytearray(gzip.decompress(archive.build_tgz(MEMBERS)))
    raw[10] ^= 0xFF  # a byte of the first header's name
    with pytest.raises(CorruptArchive, match="checksum"):
        archive.read_members(gzip.compress(bytes(raw)))


@given(st.binary(max_size=2000))
def test_reader_fuzz_random_bytes(data):
    with contextlib.suppress(CorruptArchive, UnsafeArchive):  # anything else escaping fails the test
        archive.read_members(data)


VALID = archive.build_tgz(MEMBERS)


@given(st.integers(0, len(VALID) - 1), st.integers(0, 255), st.integers(0, len(VALID)))
def test_reader_fuzz_mutations_and_truncations(pos, value, cut):
    for data in (VALID[:pos] + bytes([value]) + VALID[pos + 1 :], VALID[:cut]):
        with contextlib.suppress(CorruptArchive, UnsafeArchive):
            archive.read_members(data)


def test_tzvf_prints_busybox_lines():
    lines = archive.tzvf(archive.build_tgz(MEMBERS)).splitlines()
    assert lines[1] == "-rw-r--r-T 0/0        20 2018-05-02 10:01:07 etc/hosts"
    assert lines[0] == "drwxr-xr-x 0/0         0 1970-01-01 00:01:40 etc/"


file_entries = st.builds(
    FileEntry,
    st.just(FILE),
    st.integers(0, 0o7777),
    st.binary(max_size=50),
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.integers(0, 2**32),
)


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,10}(/[a-z0-9_-]{1,12}){0,3}", fullmatch=True), file_entries, min_size=1, max_size=8
    )
)
def test_round_trip_property(members):
    assert archive.read_members(archive.build_tgz(members)) == members


# -- state.tgz -------------------------------------------------------------------------------------------------


def local_members():
    return [(n, e) for n, e in MEMBERS if e.kind == FILE and n.startswith("etc/")]


def test_state_tgz_holds_only_local_tgz():
    local, state = statearchive.build_state_tgz(local_members(), mtime=1_525_255_267)
    outer = archive.read_members(state)
    assert list(outer) == ["local.tgz"] and outer["local.tgz"].mode == 0o700 and outer["local.tgz"].data == local
    assert set(archive.read_members(local)) == {"etc/hosts", "etc/shadow"}


def test_state_archive_reads_files(tmp_path):
    _local, state = statearchive.build_state_tgz(local_members(), mtime=1)
    path = tmp_path / "state.tgz"
    path.write_bytes(state)
    for sa in (statearchive.StateArchive.from_bytes(state), statearchive.StateArchive.open(path)):
        assert sa.names() == ["etc/hosts", "etc/shadow"] and not sa.encrypted and sa.layout == "local.tgz"
        assert sa.read("/etc/hosts") == sa.read("etc/hosts") == b"127.0.0.1 localhost\n"
        assert "etc/shadow" in sa and len(sa) == 2
        assert repr(sa) == "StateArchive('state.tgz', local.tgz with 2 files)"
        with pytest.raises(NoSuchFile):
            sa.read("etc/nope")
    assert "tar tzvf local.tgz" in statearchive.StateArchive.from_bytes(state).listing()


def test_encrypted_state_layout():
    local, _ = statearchive.build_state_tgz(local_members(), mtime=1)
    state = statearchive.build_encrypted_state_tgz(local, key=b"k" * 32, mtime=1)
    sa = statearchive.StateArchive.from_bytes(state)
    assert sa.encrypted and sa.layout == "local.tgz.ve" and set(sa.members) == {"local.tgz.ve", "encryption.info"}
    assert repr(sa) == "StateArchive('state.tgz', encrypted: local.tgz.ve + encryption.info)"
    for op in (lambda: sa.files, sa.names, lambda: sa.local_tgz):
        with pytest.raises(EncryptedConfig):
            op()
    assert statearchive.decrypt_state_for_simulation(state, b"k" * 32) == local
    with pytest.raises(CorruptArchive):
        statearchive.decrypt_state_for_simulation(state, b"x" * 32)


@pytest.mark.parametrize(
    "members",
    [
        [("local.tgz", FileEntry(FILE, 0o600, b"x")), ("other", FileEntry(FILE, 0o600, b"y"))],
        [("readme", FileEntry(FILE, 0o600, b"x"))],
    ],
)
def test_state_tgz_with_unexpected_members_is_rejected(members):
    with pytest.raises(CorruptArchive, match=r"must hold local\.tgz"):
        statearchive.StateArchive.from_bytes(archive.build_tgz(members))


def test_state_tgz_with_tar_slip_is_rejected():
    with pytest.raises(UnsafeArchive):
        statearchive.StateArchive.from_bytes(_tgz((_info("../local.tgz"), b"x")))


def test_a_tardisk_counts_only_the_copy_a_later_duplicate_member_leaves():
    from esxistate.layers import Tardisk

    data = archive.build_tgz(
        [
            ("opt/a", FileEntry(FILE, 0o644, b"x" * 1000)),
            ("opt/b", FileEntry(FILE, 0o644, b"y" * 10)),
            ("opt/a", FileEntry(FILE, 0o644, b"z" * 3)),
        ]
    )
    tardisk = Tardisk.from_bytes("dup.v00", data, cache=False)
    assert tardisk.members["/opt/a"].data == b"zzz"
    assert "/opt" in tardisk.members  # the directory the archive omits is implied
    assert tardisk.size == len(archive.gunzip(data))  # in memory it is the whole decompressed tar (F46)
    members, total = archive.index(data)
    assert total == 13 and set(members) == {"opt/a", "opt/b"}


def test_gunzip_reads_several_gzip_members_and_stops_a_bomb_at_the_limit():
    two = gzip.compress(b"hello ", mtime=0) + gzip.compress(b"world", mtime=0)
    assert archive.gunzip(two) == b"hello world"
    bomb = gzip.compress(b"\x00" * (5 * 2**20), mtime=0)
    with pytest.raises(UnsafeArchive, match="more than 1048576 bytes"):
        archive.gunzip(bomb, max_size=2**20)
    with pytest.raises(CorruptArchive, match="truncated"):
        archive.gunzip(two[: len(two) // 2 - 8])


# -- the one-pass tar writer -------------------------------------------------------------------------------------------

_MEMBER_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-/é", min_size=1, max_size=130).filter(
    lambda n: n.strip("/") != ""
)
_ENTRIES = st.builds(
    FileEntry,
    kind=st.sampled_from([FILE, DIR]),
    mode=st.integers(0, 0o7777),
    data=st.binary(max_size=1200),
    uid=st.one_of(st.integers(0, 70000), st.integers(0, 8**8)),
    gid=st.integers(0, 70000),
    mtime=st.one_of(st.integers(0, 2**33), st.integers(8**11 - 2, 8**11 + 2)),
)


@given(st.lists(st.tuples(_MEMBER_NAMES, _ENTRIES), max_size=12))
def test_local_tgz_headers_written_directly_are_the_bytes_tarfile_writes(members):
    """build_tgz packs tar headers itself (one pass, backup.sh's archives of thousands of files); the tar inside must
    be byte for byte the GNU-format tar that Python's tarfile writes for the same members, long names and numbers
    too wide for a field included (those go through tarfile)."""
    members = [(n, e if e.kind == FILE else FileEntry(DIR, e.mode, b"", e.uid, e.gid, e.mtime)) for n, e in members]
    ours = gzip.decompress(archive.build_tgz(members))
    assert ours == tarwrite._tarfile_tar(members)
    plain = tarwrite._plain_tar(members)
    if plain is not None:  # when the direct writer takes the archive, it alone made these bytes
        assert plain == ours
