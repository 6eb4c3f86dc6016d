"""BootConfig: boot.cfg read and written in the loader's grammar (ESXI-FACTS.md F1-F6), losslessly."""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esxistate.bootcfg import INTEGER_KEYS, MAX_LINE_BYTES, BootConfig
from esxistate.errors import BadBootConfig

# ESXI-FACTS.md section 8, sample S1: /bootbank/boot.cfg of an installed ESXi 6.7 GA host (verbatim).
S1 = """bootstate=0
title=Loading VMware ESXi
timeout=5
prefix=
kernel=b.b00
kernelopt=installerDiskDumpSlotSize=2560 no-auto-partition
modules=jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- chardevs.b00 --- user.b00 --- procfs.b00 --- uc_intel.b00 --- uc_amd.b00 --- vmx.v00 --- vim.v00 --- sb.v00 --- s.v00 --- ata_liba.v00 --- ata_pata.v00 --- bnxtnet.v00 --- elxnet.v00 --- i40en.v00 --- igbn.v00 --- ixgben.v00 --- lpfc.v00 --- lsi_mr3.v00 --- lsi_msgp.v00 --- lsi_msgp.v01 --- lsi_msgp.v02 --- ne1000.v00 --- net_e100.v00 --- net_e100.v01 --- nhpsa.v00 --- nmlx5_co.v00 --- ntg3.v00 --- nvme.v00 --- nvmxnet3.v00 --- pvscsi.v00 --- qfle3.v00 --- sata_ahc.v00 --- smartpqi.v00 --- vmkusb.v00 --- vmw_ahci.v00 --- elx_esx_.v00 --- btldr.t00 --- esx_dvfi.v00 --- esx_ui.v00 --- esxupdt.v00 --- lsu_hp_h.v00 --- lsu_lsi_.v00 --- native_m.v00 --- qlnative.v00 --- vmware_e.v00 --- vsan.v00 --- vsanheal.v00 --- vsanmgmt.v00 --- xorg.v00 --- imgdb.tgz --- state.tgz
build=6.7.0-0.0.8169922
updated=1
"""  # noqa: E501

# ESXI-FACTS.md section 8, sample S2: /bootbank/boot.cfg of an installed ESXi 7.0b host (verbatim).
S2 = """bootstate=0
title=Loading VMware ESXi
timeout=5
prefix=
kernel=b.b00
kernelopt=autoPartition=FALSE
modules=jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- uc_intel.b00 --- uc_amd.b00 --- uc_hygon.b00 --- procfs.b00 --- vmx.v00 --- vim.v00 --- tpm.v00 --- sb.v00 --- s.v00 --- bnxtnet.v00 --- bnxtroce.v00 --- brcmfcoe.v00 --- brcmnvme.v00 --- elxiscsi.v00 --- elxnet.v00 --- i40en.v00 --- i40iwn.v00 --- iavmd.v00 --- igbn.v00 --- iser.v00 --- ixgben.v00 --- lpfc.v00 --- lpnic.v00 --- lsi_mr3.v00 --- lsi_msgp.v00 --- lsi_msgp.v01 --- lsi_msgp.v02 --- mtip32xx.v00 --- ne1000.v00 --- nenic.v00 --- nfnic.v00 --- nhpsa.v00 --- nmlx4_co.v00 --- nmlx4_en.v00 --- nmlx4_rd.v00 --- nmlx5_co.v00 --- nmlx5_rd.v00 --- ntg3.v00 --- nvme_pci.v00 --- nvmerdma.v00 --- nvmxnet3.v00 --- nvmxnet3.v01 --- pvscsi.v00 --- qcnic.v00 --- qedentv.v00 --- qedrntv.v00 --- qfle3.v00 --- qfle3f.v00 --- qfle3i.v00 --- qflge.v00 --- rste.v00 --- sfvmk.v00 --- smartpqi.v00 --- vmkata.v00 --- vmkfcoe.v00 --- vmkusb.v00 --- vmw_ahci.v00 --- crx.v00 --- elx_esx_.v00 --- btldr.v00 --- esx_dvfi.v00 --- esx_ui.v00 --- esxupdt.v00 --- tpmesxup.v00 --- loadesx.v00 --- lsuv2_hp.v00 --- lsuv2_in.v00 --- lsuv2_ls.v00 --- lsuv2_nv.v00 --- lsuv2_oe.v00 --- lsuv2_oe.v01 --- lsuv2_oe.v02 --- lsuv2_sm.v00 --- native_m.v00 --- qlnative.v00 --- vdfs.v00 --- vmware_e.v00 --- vsan.v00 --- vsanheal.v00 --- vsanmgmt.v00 --- xorg.v00 --- imgdb.tgz --- state.tgz
build=7.0.0-1.25.16324942
updated=1
"""  # noqa: E501

SAMPLE_KEY_ORDER = ("bootstate", "title", "timeout", "prefix", "kernel", "kernelopt", "modules", "build", "updated")
SAMPLES = {
    "S1": (S1, 55, "6.7.0-0.0.8169922", "installerDiskDumpSlotSize=2560 no-auto-partition"),
    "S2": (S2, 87, "7.0.0-1.25.16324942", "autoPartition=FALSE"),
}


def written_modules(text: str) -> list[str]:
    """The module names read straight off the sample's modules= line (independently of BootConfig)."""
    line = re.search(r"^modules=(.*)$", text, re.MULTILINE)
    assert line is not None
    return line.group(1).split(" --- ")


def refusal(text: str) -> BadBootConfig:
    with pytest.raises(BadBootConfig) as caught:
        BootConfig.parse(text)
    return caught.value


# -- the real samples ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_parses_to_its_kernel_modules_and_safeboot_keys(sample):
    text, count, build, kernelopt = SAMPLES[sample]
    cfg = BootConfig.parse(text)
    assert cfg.kernel == "b.b00"
    assert len(cfg.modules) == count
    assert cfg.modules[0] == "jumpstrt.gz" and cfg.modules[-1] == "state.tgz"
    assert cfg.modules[-2] == "imgdb.tgz" and "k.b00" in cfg.modules and "b.b00" not in cfg.modules
    assert cfg.build == build and cfg.updated == 1 and cfg.bootstate == 0
    assert cfg.kernelopt == kernelopt and cfg.title == "Loading VMware ESXi" and cfg.timeout == 5
    assert cfg.prefix == "" and cfg.get("prefix") == ""
    assert cfg.keys() == SAMPLE_KEY_ORDER
    assert all(options == "" for _name, options in cfg.module_options)


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_round_trips_byte_for_byte(sample):
    text = SAMPLES[sample][0]
    assert BootConfig.parse(text).dumps() == text


@pytest.mark.parametrize("sample", SAMPLES)
def test_new_writes_the_sample_byte_for_byte(sample):
    text, _count, build, kernelopt = SAMPLES[sample]
    cfg = BootConfig.new(kernel="b.b00", modules=written_modules(text), build=build, updated=1, kernelopt=kernelopt)
    assert cfg.dumps() == text
    assert cfg == BootConfig.parse(text)


def test_repr_is_short_and_stable():
    assert repr(BootConfig.parse(S1)) == (
        "BootConfig(kernel='b.b00', 55 modules, build='6.7.0-0.0.8169922', updated=1, bootstate=0)"
    )
    assert repr(BootConfig.parse("kernel=k\nmodules=a\n")) == (
        "BootConfig(kernel='k', 1 module, build='', updated=0, bootstate=0)"
    )


def test_str_is_the_text_and_equality_is_equality_of_text():
    cfg = BootConfig.parse(S1)
    assert str(cfg) == S1
    assert cfg == BootConfig.parse(S1) and hash(cfg) == hash(BootConfig.parse(S1))
    assert cfg != BootConfig.parse(S1 + "# a comment changes the text\n")
    assert cfg != S1  # a config is not its text


def test_config_is_immutable():
    cfg = BootConfig.parse(S1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lines = ()  # type: ignore[misc]


# -- F1: the line grammar --------------------------------------------------------------------------------------------


def test_keys_match_whatever_their_case():
    cfg = BootConfig.parse("KERNEL=b.b00\nModules=a.v00 --- b.v00\nBootState=2\nUPDATED=4\nBuild=7.0\n")
    assert cfg.kernel == "b.b00" and cfg.modules == ("a.v00", "b.v00")
    assert (cfg.bootstate, cfg.updated, cfg.build) == (2, 4, "7.0")
    assert cfg.get("kErNeL") == "b.b00" and cfg.keys() == ("kernel", "modules", "bootstate", "updated", "build")


def test_blanks_at_the_ends_and_around_the_equals_sign_are_ignored():
    cfg = BootConfig.parse("  kernel \t=\t b.b00  \n\tupdated =  7 \ntitle=  Loading  ESXi \t\n")
    assert cfg.kernel == "b.b00" and cfg.updated == 7
    assert cfg.title == "Loading  ESXi"  # blanks inside a value are kept as written


def test_comments_and_blank_lines_are_kept_but_never_read():
    text = "# kernel=evil.b00\n\n   # updated=9\nkernel=b.b00\n \t \n#bootstate=3\nupdated=1\n"
    cfg = BootConfig.parse(text)
    assert cfg.kernel == "b.b00" and cfg.updated == 1 and cfg.bootstate == 0
    assert cfg.keys() == ("kernel", "updated")
    assert cfg.dumps() == text


def test_unknown_keys_are_kept_verbatim_in_their_place():
    text = "kernel=b.b00\ncrypto=crypto64.efi\n  MyVendor.Option = two  words\nmodules=a.v00\n"
    cfg = BootConfig.parse(text)
    assert cfg.get("crypto") == "crypto64.efi" and cfg.get("myvendor.option") == "two  words"
    assert cfg.keys() == ("kernel", "crypto", "myvendor.option", "modules")
    assert cfg.with_updated(2).dumps() == text + "updated=2\n"


def test_when_a_key_repeats_the_last_line_wins():
    cfg = BootConfig.parse("updated=1\nkernel=a.b00\nupdated=2\nkernel=b.b00\nmodules=x\nmodules=y --- z\n")
    assert cfg.kernel == "b.b00" and cfg.updated == 2 and cfg.modules == ("y", "z")
    assert cfg.keys() == ("updated", "kernel", "modules")  # each key once, where it first appears


def test_empty_prefix_means_the_directory_holding_boot_cfg():
    assert BootConfig.parse("kernel=b.b00\nprefix=\n").prefix == ""
    assert BootConfig.parse("kernel=b.b00\n").prefix == ""
    assert BootConfig.parse("kernel=b.b00\nprefix=/vmfs/volumes/BOOTBANK1\n").prefix == "/vmfs/volumes/BOOTBANK1"


def test_get_tells_an_empty_value_from_a_missing_key():
    cfg = BootConfig.parse("kernel=b.b00\nprefix=\n")
    assert cfg.get("prefix") == "" and cfg.get("prefix", "x") == ""
    assert cfg.get("build") is None and cfg.get("build", "none") == "none"


def test_defaults_when_keys_are_absent():
    cfg = BootConfig.parse("kernel=b.b00")
    assert (cfg.kernelopt, cfg.modules, cfg.module_options, cfg.title, cfg.prefix) == ("", (), (), "", "")
    assert (cfg.timeout, cfg.build, cfg.updated, cfg.bootstate) == (5, "", 0, 0)


def test_an_empty_number_reads_as_zero_like_the_loader():
    cfg = BootConfig.parse("kernel=b.b00\ntimeout=\nupdated=\nbootstate=\n")
    assert (cfg.timeout, cfg.updated, cfg.bootstate) == (0, 0, 0)


def test_bootstate_outside_0_to_3_is_kept_as_the_number_written():
    assert BootConfig.parse("kernel=b.b00\nbootstate=7\n").bootstate == 7
    assert BootConfig.parse("kernel=b.b00\nbootstate=-1\n").bootstate == -1


def test_crlf_file_round_trips_and_reads_the_same():
    crlf = S1.replace("\n", "\r\n")
    cfg = BootConfig.parse(crlf)
    assert cfg.dumps() == crlf
    assert cfg.modules == BootConfig.parse(S1).modules
    assert cfg.build == "6.7.0-0.0.8169922" and cfg.updated == 1 and cfg.kernel == "b.b00"


def test_file_without_final_newline_round_trips():
    text = S2.rstrip("\n")
    cfg = BootConfig.parse(text)
    assert cfg.dumps() == text and cfg.updated == 1


def test_only_newline_ends_a_line():
    # str.splitlines() would also break at \f, \x1c, \x85 or \u2028; the loader splits on '\n' only.
    text = "kernel=b.b00\ntitle=ESXi\f\x1c\x85\u2028lab\n"
    cfg = BootConfig.parse(text)
    assert cfg.title == "ESXi\f\x1c\x85\u2028lab" and len(cfg.lines) == 2 and cfg.dumps() == text


def test_only_ascii_blanks_count_as_blanks():
    # The loader's isspace() knows space, tab and \n \v \f \r; a no-break space is part of the value.
    cfg = BootConfig.parse("kernel=b.b00\ntitle=\u00a0Lab\x85 \t\v\n")
    assert cfg.title == "\u00a0Lab\x85"


# -- F3: the module list -------------------------------------------------------------------------------------------


def test_empty_module_items_are_skipped():
    cfg = BootConfig.parse("kernel=b.b00\nmodules=--- a.v00 --- --- b.v00 ---   ---\n")
    assert cfg.modules == ("a.v00", "b.v00")


def test_options_after_a_module_name_are_not_part_of_the_name():
    cfg = BootConfig.parse("kernel=b.b00\nmodules=k.b00 opt1=x  opt2 --- s.v00\tquiet --- useropts.gz\n")
    assert cfg.modules == ("k.b00", "s.v00", "useropts.gz")
    assert cfg.module_options == (("k.b00", "opt1=x  opt2"), ("s.v00", "quiet"), ("useropts.gz", ""))


def test_blanks_around_module_names_are_trimmed():
    cfg = BootConfig.parse("kernel=b.b00\nmodules=\ta.gz---b.v00   ---\tc.tgz \n")
    assert cfg.modules == ("a.gz", "b.v00", "c.tgz")


# -- what the loader refuses ---------------------------------------------------------------------------------------


def test_missing_kernel_is_refused_in_the_loaders_words():
    err = refusal("title=Loading VMware ESXi\nmodules=a.v00\n")
    assert "kernel=<FILEPATH> must be set" in str(err) and err.line_no is None
    assert "kernel=<FILEPATH> must be set" in str(refusal("kernel=\nmodules=a.v00\n"))
    assert "kernel=<FILEPATH> must be set" in str(refusal("# kernel=b.b00\n"))


@pytest.mark.parametrize("key", ["timeout", "updated", "bootstate", "quickboot", "errtimeout", "skip"])
def test_non_number_for_an_integer_key_names_the_line(key):
    err = refusal(f"kernel=b.b00\n# a comment\n{key} = five\n")
    assert err.line_no == 3 and err.line == f"{key} = five"
    assert "boot.cfg line 3" in str(err) and key in str(err)


@pytest.mark.parametrize("value", ["1.5", "+1", "0x10", "1 2", "--1", "٣"])
def test_only_an_optional_minus_and_ascii_digits_make_a_number(value):
    assert refusal(f"kernel=b.b00\nupdated={value}\n").line_no == 2


def test_numbers_too_large_for_the_loaders_int_are_refused():
    assert BootConfig.parse("kernel=b.b00\nupdated=2147483647\n").updated == 2**31 - 1
    assert refusal("kernel=b.b00\nupdated=2147483648\n").line_no == 2
    assert refusal("kernel=b.b00\nupdated=" + "9" * 5000 + "\n").line_no == 2


def test_line_without_equals_sign_is_a_syntax_error():
    err = refusal("kernel=b.b00\n\nmodules a.v00 --- b.v00\n")
    assert err.line_no == 3 and err.line == "modules a.v00 --- b.v00" and "'='" in str(err)


def test_line_with_nothing_before_the_equals_sign_is_refused():
    assert refusal("kernel=b.b00\n = b.b00\n").line_no == 2


def test_huge_line_is_refused_by_its_size_in_bytes():
    head = "kernel=b.b00\nmodules="
    BootConfig.parse(head + "a" * (MAX_LINE_BYTES - len("modules=")) + "\n")  # exactly at the limit: fine
    err = refusal(head + "a" * (MAX_LINE_BYTES - len("modules=") + 1) + "\n")
    assert err.line_no == 2 and len(err.line) < 100  # the message quotes only the start of the line
    assert refusal("kernel=b.b00\ntitle=" + "é" * (MAX_LINE_BYTES // 2) + "\n").line_no == 2  # 2 bytes each


def test_nul_byte_is_refused_naming_its_line():
    err = refusal("kernel=b.b00\ntitle=Loading\x00ESXi\n")
    assert err.line_no == 2 and "NUL" in str(err)


def test_parse_wants_text_not_bytes():
    with pytest.raises(TypeError, match="decode"):
        BootConfig.parse(S1.encode())  # type: ignore[arg-type]


# -- changed copies ------------------------------------------------------------------------------------------------


def test_with_bootstate_on_s1_changes_exactly_one_character():
    before = S1
    after = BootConfig.parse(S1).with_bootstate(1).dumps()
    assert len(after) == len(before)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [len("bootstate=")]
    assert after.startswith("bootstate=1\n")


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda c: c.with_bootstate(1), lambda c: c.bootstate == 1),
        (lambda c: c.with_updated(2), lambda c: c.updated == 2),
        (lambda c: c.with_build("7.0.3-0.0.19193900"), lambda c: c.build == "7.0.3-0.0.19193900"),
        (lambda c: c.with_modules(["k.b00", "s.v00"]), lambda c: c.modules == ("k.b00", "s.v00")),
        (lambda c: c.with_value("Title", "Lab host"), lambda c: c.title == "Lab host"),
        (lambda c: c.with_value("crypto", "crypto64.efi"), lambda c: c.get("crypto") == "crypto64.efi"),
    ],
)
def test_with_methods_return_a_changed_copy_and_leave_the_original(change, check):
    original = BootConfig.parse(S1)
    changed = change(original)
    assert changed is not original and changed != original
    assert original.dumps() == S1 and not check(original)
    assert check(changed) and check(BootConfig.parse(changed.dumps()))
    assert BootConfig.parse(changed.dumps()) == changed


def test_with_value_keeps_the_keys_spelling_blanks_and_line_end():
    cfg = BootConfig.parse("kernel=b.b00\r\n  BootState =  0  \r\nupdated=1")
    assert cfg.with_bootstate(3).dumps() == "kernel=b.b00\r\n  BootState =  3  \r\nupdated=1"
    assert cfg.with_updated(12).dumps() == "kernel=b.b00\r\n  BootState =  0  \r\nupdated=12"


def test_with_value_rewrites_the_line_that_wins():
    cfg = BootConfig.parse("kernel=b.b00\nupdated=1\nupdated=2\n").with_updated(5)
    assert cfg.dumps() == "kernel=b.b00\nupdated=1\nupdated=5\n" and cfg.updated == 5


def test_with_value_appends_an_absent_key_ending_it_like_the_file():
    assert BootConfig.parse("kernel=b.b00\n").with_build("7.0").dumps() == "kernel=b.b00\nbuild=7.0\n"
    assert BootConfig.parse("kernel=b.b00").with_updated(1).dumps() == "kernel=b.b00\nupdated=1\n"
    assert BootConfig.parse("kernel=b.b00\r\n").with_updated(1).dumps() == "kernel=b.b00\r\nupdated=1\r\n"


def test_with_modules_writes_space_three_hyphens_space():
    cfg = BootConfig.parse("kernel=b.b00\nmodules=a.v00---b.v00\nbuild=x\n")
    assert cfg.with_modules(["a.v00", "b.v00", "state.tgz"]).dumps() == (
        "kernel=b.b00\nmodules=a.v00 --- b.v00 --- state.tgz\nbuild=x\n"
    )


def test_with_modules_can_keep_module_options():
    cfg = BootConfig.parse("kernel=b.b00\nmodules=k.b00 debug --- s.v00\n")
    again = cfg.with_modules([*cfg.module_options, ("state.tgz", "")])
    assert again.module_options == (("k.b00", "debug"), ("s.v00", ""), ("state.tgz", ""))


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.with_value("title", "two\nlines"),
        lambda c: c.with_value("timeout", "soon"),
        lambda c: c.with_value("kernel", ""),
        lambda c: c.with_value("bad key", "x"),
        lambda c: c.with_value("", "x"),
        lambda c: c.with_modules(["a.v00", ""]),
        lambda c: c.with_modules(["a---b.v00"]),
    ],
)
def test_a_change_that_would_not_parse_is_refused(change):
    with pytest.raises(BadBootConfig):
        change(BootConfig.parse(S1))


def test_new_refuses_values_that_would_break_the_file():
    with pytest.raises(BadBootConfig):
        BootConfig.new(kernel="b.b00", modules=[], title="a\nkernel=evil.b00")
    with pytest.raises(BadBootConfig, match="kernel=<FILEPATH> must be set"):
        BootConfig.new(kernel="", modules=["a.v00"])


@pytest.mark.parametrize("module", ["bootcfg.py", "display.py"])
def test_engine_module_imports_only_the_stdlib_and_errors(module):
    """boot.cfg's parser and the display hook it mixes in stand alone: the stdlib, errors, and the hook only."""
    tree = ast.parse(Path(__file__).parents[1].joinpath("esxistate", module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            assert node.module in ("errors", "display")
        elif isinstance(node, ast.ImportFrom):
            assert node.module.split(".")[0] in sys.stdlib_module_names | {"__future__"}
        elif isinstance(node, ast.Import):
            assert all(alias.name.split(".")[0] in sys.stdlib_module_names for alias in node.names)


# -- properties ----------------------------------------------------------------------------------------------------

ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet="kernel=modulesbotaupd-#\r\n \t\f019x", max_size=300),
    st.builds(lambda body: "kernel=b.b00\n" + body, st.text(alphabet="timeoutupdated=-#\r\n \t019x-", max_size=200)),
)


@given(ANY_TEXT)
def test_any_text_either_parses_and_round_trips_or_is_refused(text):
    try:
        cfg = BootConfig.parse(text)
    except BadBootConfig:
        return
    assert cfg.dumps() == text
    assert cfg.kernel
    # every reader answers without raising
    _ = (repr(cfg), cfg.modules, cfg.module_options, cfg.keys(), cfg.title, cfg.prefix, cfg.kernelopt, cfg.build)
    assert isinstance(cfg.timeout + cfg.updated + cfg.bootstate, int)


NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12)
BLANKS = st.sampled_from(["", " ", "\t", "  ", " \t "])
WORDS = st.text(alphabet="abcXYZ019 \t=#-/._", max_size=20)
UNKNOWN_KEY = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,10}", fullmatch=True).filter(
    lambda k: k.lower() not in INTEGER_KEYS | {"kernel", "modules"}
)


@st.composite
def module_line_value(draw):
    """(names, value of a modules= line): names joined by separators of any spacing, empty items sprinkled in."""
    names = draw(st.lists(NAME, max_size=8))
    parts = [draw(BLANKS)]
    for name in names:
        parts += [name, draw(BLANKS), "---", draw(BLANKS)]
        if draw(st.booleans()):
            parts += ["---", draw(BLANKS)]  # an empty item: skipped (F3)
    return names, "".join(parts)


def mixed_case(draw, key):
    flips = draw(st.lists(st.booleans(), min_size=len(key), max_size=len(key)))
    return "".join(c.upper() if flip else c for c, flip in zip(key, flips, strict=True))


@st.composite
def valid_config(draw):
    """(text, model): a boot.cfg with random keys, spelling, blanks, comments, line ends; model is what it means."""
    entries = []  # (folded key, written value, meaning)
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["int", "text", "unknown", "modules"]))
        if kind == "int":
            key = draw(st.sampled_from(sorted(INTEGER_KEYS)))
            value = str(draw(st.integers(-(2**31), 2**31 - 1)))
            entries.append((key, value, value))
        elif kind == "text":
            key = draw(st.sampled_from(["kernelopt", "title", "prefix", "build", "crypto", "kernel"]))
            value = draw(WORDS)
            if key == "kernel":
                value = draw(NAME)
            entries.append((key, value, value.strip(" \t")))
        elif kind == "unknown":
            key = draw(UNKNOWN_KEY)
            value = draw(WORDS)
            entries.append((key.lower(), value, value.strip(" \t")))
        else:
            names, value = draw(module_line_value())
            entries.append(("modules", value, tuple(names)))
    kernel = draw(NAME)
    entries.insert(draw(st.integers(0, len(entries))), ("kernel", kernel, kernel))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for key, value, _meaning in entries:
        for _ in range(draw(st.integers(0, 2))):
            lines.append(draw(st.sampled_from(["", " ", "#", "# kernel=evil.b00", "  # modules=x --- y"])))
        written = mixed_case(draw, key)
        lines.append(f"{draw(BLANKS)}{written}{draw(BLANKS)}={draw(BLANKS)}{value}{draw(BLANKS)}")
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    model = {}
    for key, _value, meaning in entries:
        model[key] = meaning
    return text, model


def model_value(cfg, key):
    return cfg.modules if key == "modules" else cfg.get(key)


@given(valid_config())
def test_generated_config_round_trips_and_reads_as_its_model(case):
    text, model = case
    cfg = BootConfig.parse(text)
    assert cfg.dumps() == text
    assert cfg.keys() == tuple(model)
    for key, meaning in model.items():
        assert model_value(cfg, key) == meaning
    assert cfg.modules == model.get("modules", ())
    assert cfg.updated == int(model.get("updated", 0)) and cfg.bootstate == int(model.get("bootstate", 0))


@given(valid_config(), st.sampled_from(["title", "build", "crypto", "vendor.opt", "updated", "bootstate"]), NAME)
def test_with_value_changes_one_key_and_nothing_else(case, key, word):
    text, model = case
    value = str(len(word)) if key in INTEGER_KEYS else word
    changed = BootConfig.parse(text).with_value(key, value)
    assert changed.get(key) == value
    lines_added = len(changed.lines) - len(BootConfig.parse(text).lines)
    assert lines_added == (0 if key in model else 1)
    for other, meaning in model.items():
        if other != key:
            assert model_value(changed, other) == meaning
