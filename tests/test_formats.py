"""Real artifacts: boot.cfg grammar (F1-F4, samples S1/S2), gzip'd tar archives, and state.tgz (F17, F36, S7)."""

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

from esxistate import archive, statearchive
from esxistate.bootcfg import BootConfig
from esxistate.entry import DIR, FILE, FileEntry
from esxistate.errors import BadBootConfig, CorruptArchive, EncryptedConfig, NoSuchFile, UnsafeArchive

# Samples S1 (ESXi 6.7 GA) and S2 (ESXi 7.0b) from ESXI-FACTS.md, verbatim (real modules= lines are long).
S1 = (
    "bootstate=0\n"
    "title=Loading VMware ESXi\n"
    "timeout=5\n"
    "prefix=\n"
    "kernel=b.b00\n"
    "kernelopt=installerDiskDumpSlotSize=2560 no-auto-partition\n"
    "modules=jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- chardevs.b00 --- user.b00 --- procfs.b00 --- uc_intel.b00 --- uc_amd.b00 --- vmx.v00 --- vim.v00 --- sb.v00 --- s.v00 --- ata_liba.v00 --- ata_pata.v00 --- bnxtnet.v00 --- elxnet.v00 --- i40en.v00 --- igbn.v00 --- ixgben.v00 --- lpfc.v00 --- lsi_mr3.v00 --- lsi_msgp.v00 --- lsi_msgp.v01 --- lsi_msgp.v02 --- ne1000.v00 --- net_e100.v00 --- net_e100.v01 --- nhpsa.v00 --- nmlx5_co.v00 --- ntg3.v00 --- nvme.v00 --- nvmxnet3.v00 --- pvscsi.v00 --- qfle3.v00 --- sata_ahc.v00 --- smartpqi.v00 --- vmkusb.v00 --- vmw_ahci.v00 --- elx_esx_.v00 --- btldr.t00 --- esx_dvfi.v00 --- esx_ui.v00 --- esxupdt.v00 --- lsu_hp_h.v00 --- lsu_lsi_.v00 --- native_m.v00 --- qlnative.v00 --- vmware_e.v00 --- vsan.v00 --- vsanheal.v00 --- vsanmgmt.v00 --- xorg.v00 --- imgdb.tgz --- state.tgz\n"
    "build=6.7.0-0.0.8169922\n"
    "updated=1\n"
)
S2 = (
    "bootstate=0\n"
    "title=Loading VMware ESXi\n"
    "timeout=5\n"
    "prefix=\n"
    "kernel=b.b00\n"
    "kernelopt=autoPartition=FALSE\n"
    "modules=jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- uc_intel.b00 --- uc_amd.b00 --- uc_hygon.b00 --- procfs.b00 --- vmx.v00 --- vim.v00 --- tpm.v00 --- sb.v00 --- s.v00 --- bnxtnet.v00 --- bnxtroce.v00 --- brcmfcoe.v00 --- brcmnvme.v00 --- elxiscsi.v00 --- elxnet.v00 --- i40en.v00 --- i40iwn.v00 --- iavmd.v00 --- igbn.v00 --- iser.v00 --- ixgben.v00 --- lpfc.v00 --- lpnic.v00 --- lsi_mr3.v00 --- lsi_msgp.v00 --- lsi_msgp.v01 --- lsi_msgp.v02 --- mtip32xx.v00 --- ne1000.v00 --- nenic.v00 --- nfnic.v00 --- nhpsa.v00 --- nmlx4_co.v00 --- nmlx4_en.v00 --- nmlx4_rd.v00 --- nmlx5_co.v00 --- nmlx5_rd.v00 --- ntg3.v00 --- nvme_pci.v00 --- nvmerdma.v00 --- nvmxnet3.v00 --- nvmxnet3.v01 --- pvscsi.v00 --- qcnic.v00 --- qedentv.v00 --- qedrntv.v00 --- qfle3.v00 --- qfle3f.v00 --- qfle3i.v00 --- qflge.v00 --- rste.v00 --- sfvmk.v00 --- smartpqi.v00 --- vmkata.v00 --- vmkfcoe.v00 --- vmkusb.v00 --- vmw_ahci.v00 --- crx.v00 --- elx_esx_.v00 --- btldr.v00 --- esx_dvfi.v00 --- esx_ui.v00 --- esxupdt.v00 --- tpmesxup.v00 --- loadesx.v00 --- lsuv2_hp.v00 --- lsuv2_in.v00 --- lsuv2_ls.v00 --- lsuv2_nv.v00 --- lsuv2_oe.v00 --- lsuv2_oe.v01 --- lsuv2_oe.v02 --- lsuv2_sm.v00 --- native_m.v00 --- qlnative.v00 --- vdfs.v00 --- vmware_e.v00 --- vsan.v00 --- vsanheal.v00 --- vsanmgmt.v00 --- xorg.v00 --- imgdb.tgz --- state.tgz\n"
    "build=7.0.0-1.25.16324942\n"
    "updated=1\n"
)


# -- boot.cfg --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "count", "build"), [(S1, 55, "6.7.0-0.0.8169922"), (S2, 87, "7.0.0-1.25.16324942")])
def test_real_boot_cfg_samples_parse_and_round_trip(text, count, build):
    cfg = BootConfig.parse(text)
    assert cfg.dumps() == text
    assert cfg.kernel == "b.b00" and len(cfg.modules) == count
    assert cfg.modules[0] == "jumpstrt.gz" and cfg.modules[-2:] == ("imgdb.tgz", "state.tgz")
    assert (cfg.build, cfg.updated, cfg.bootstate, cfg.timeout, cfg.prefix) == (build, 1, 0, 5, "")
    again = BootConfig.new(
        kernel="b.b00", modules=cfg.modules, build=build, updated=1, bootstate=0, kernelopt=cfg.kernelopt
    )
    assert again.dumps() == text


def test_keys_are_case_insensitive_and_blanks_ignored():
    cfg = BootConfig.parse("  KERNEL = b.b00  \nModules= a.v00 ---   b.v00\n# note\n\nbuild =x\nFoo=bar\n")
    assert cfg.kernel == "b.b00" and cfg.modules == ("a.v00", "b.v00") and cfg.build == "x"
    assert cfg.get("foo") == "bar" and list(cfg.keys()) == ["kernel", "modules", "build", "foo"]


def test_comments_unknown_keys_crlf_and_missing_newline_round_trip():
    for text in ("# c\r\nkernel=b.b00\r\nfoo=1\r\n", "kernel=b.b00\nquickboot=0\ncustom=\u00e9", "kernel=b.b00"):
        assert BootConfig.parse(text).dumps() == text


def test_last_duplicate_wins():
    assert BootConfig.parse("kernel=a\nkernel=b.b00\n").kernel == "b.b00"


def test_module_list_skips_empty_items_and_keeps_options():
    cfg = BootConfig.parse("kernel=b.b00\nmodules=a.gz ---  --- k.b00 opt=1 x ---\tb.v00 \n")
    assert cfg.modules == ("a.gz", "k.b00", "b.v00")
    assert cfg.module_options[1] == ("k.b00", "opt=1 x")


@pytest.mark.parametrize(
    ("text", "line_no", "words"),
    [
        ("title=x\n", None, "kernel=<FILEPATH> must be set"),
        ("kernel=b.b00\ntimeout=soon\n", 2, "timeout= must be a whole number"),
        ("kernel=b.b00\nupdated=one\n", 2, "updated= must be a whole number"),
        ("kernel=b.b00\nbootstate=x\n", 2, "bootstate= must be a whole number"),
        ("kernel=b.b00\njust words\n", 2, "KEY=VALUE"),
        ("kernel=b.b00\nmodules=" + "a" * 70000 + "\n", 2, "longer than"),
    ],
)
def test_bad_boot_cfg_names_the_line(text, line_no, words):
    with pytest.raises(BadBootConfig) as err:
        BootConfig.parse(text)
    assert err.value.line_no == line_no and words in str(err.value)


def test_nul_byte_is_refused():
    with pytest.raises(BadBootConfig):
        BootConfig.parse("kernel=b.b00\x00\n")


def test_changed_copies_leave_the_original_alone():
    cfg = BootConfig.parse(S1)
    staged = cfg.with_bootstate(1)
    assert cfg.bootstate == 0 and staged.bootstate == 1
    diff = [i for i, (a, b) in enumerate(zip(S1, staged.dumps(), strict=True)) if a != b]
    assert len(diff) == 1  # safeboot rewrites one digit in place (F6)
    assert staged.with_updated(2).updated == 2 and staged.with_build("x").build == "x"
    mods = cfg.with_modules(["a.v00", "b.v00"])
    assert "modules=a.v00 --- b.v00\n" in mods.dumps() and BootConfig.parse(mods.dumps()).modules == ("a.v00", "b.v00")
    assert BootConfig.parse("kernel=b.b00").with_value("updated", 3).dumps() == "kernel=b.b00\nupdated=3\n"


@given(st.text(max_size=300))
def test_parse_fuzz_only_bad_boot_config_escapes(text):
    try:
        cfg = BootConfig.parse(text)
    except BadBootConfig:
        return
    assert cfg.dumps() == text


names = st.from_regex(r"[a-z][a-z0-9_]{0,7}\.(v0[0-9]|b00|t00|gz)", fullmatch=True)


@given(
    mods=st.lists(names, min_size=1, max_size=20),
    spaces=st.sampled_from(["", " ", "  "]),
    comment=st.booleans(),
    updated=st.integers(0, 99),
)
def test_generated_configs_round_trip(mods, spaces, comment, updated):
    text = ("# generated\n" if comment else "") + f"kernel{spaces}={spaces}b.b00\n"
    text += f"modules={' --- '.join(mods)}\nupdated={updated}\n"
    cfg = BootConfig.parse(text)
    assert cfg.dumps() == text and list(cfg.modules) == mods and cfg.updated == updated


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
