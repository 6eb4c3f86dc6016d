"""Safeboot's bank choice (F5-F8): eligibility, the boot-time state transitions, highest updated wins, Shift+R, and
F45's refusal of a rollback from 7.x to 6.x."""

from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esxistate import Host, Vib, staging
from esxistate.bootbank import BankState, BootBank, Deferred, choose_bank, safeboot, staged_is_newer
from esxistate.bootcfg import BootConfig
from esxistate.errors import BadBootConfig, NoBootableBank, RollbackNotPossible

BUILD_67 = "6.7.0-0.0.8169922"
BUILD_70 = "7.0.0-1.25.16324942"
BUILD_70U3 = "7.0.3-0.55.20328353"


def bank(label: str, part: int, *, updated: int, bootstate: int, build: str = "7.0.0-1.25.16324942") -> BootBank:
    cfg = BootConfig.new(kernel="b.b00", modules=["k.b00", "s.v00"], build=build, updated=updated, bootstate=bootstate)
    return BootBank.with_image(label, part, cfg, {"b.b00": b"b", "k.b00": b"k", "s.v00": b"s"})


def test_highest_updated_wins():
    choice = safeboot([bank("BOOTBANK1", 5, updated=3, bootstate=0), bank("BOOTBANK2", 6, updated=4, bootstate=0)])
    assert choice.index == 1


def test_tie_goes_to_the_first_scanned_bank():
    choice = safeboot([bank("BOOTBANK1", 5, updated=2, bootstate=0), bank("BOOTBANK2", 6, updated=2, bootstate=0)])
    assert choice.index == 0


@pytest.mark.parametrize(
    ("updated", "bootstate", "build", "bootable"),
    [
        (1, 0, "7.0", True),
        (1, 2, "7.0", True),
        (1, 1, "7.0", False),
        (1, 3, "7.0", False),
        (0, 0, "7.0", False),
        (1, 0, "", False),
        (1, 7, "7.0", False),
    ],
)
def test_eligibility_rule(updated, bootstate, build, bootable):
    assert bank("B", 5, updated=updated, bootstate=bootstate, build=build).bootable is bootable


def test_upgrading_bank_becomes_dirty_and_boots_first_time():
    choice = safeboot([bank("BOOTBANK1", 5, updated=1, bootstate=0), bank("BOOTBANK2", 6, updated=2, bootstate=1)])
    assert choice.index == 1
    assert choice.banks[1].state is BankState.DIRTY
    assert choice.banks[1].config.dumps().startswith("bootstate=2\n")  # the digit rewritten in place (F6)


def test_dirty_bank_is_invalidated_quietly_and_the_old_one_boots():
    """esx-boot safeboot/bootbank.c (bank_scan): DIRTY -> INVALID is a plain state change; "system has failed to
    upgrade." is logged only for an upgrading bank whose updated= or build= is unusable."""
    choice = safeboot([bank("BOOTBANK1", 5, updated=1, bootstate=0), bank("BOOTBANK2", 6, updated=2, bootstate=2)])
    assert choice.index == 0
    assert choice.banks[1].state is BankState.INVALID
    assert any("never confirmed" in m and "DIRTY -> INVALID" in m for m in choice.messages)
    assert not any("failed to upgrade" in m for m in choice.messages)


@pytest.mark.parametrize(
    ("updated", "build", "said"), [(0, BUILD_70U3, "invalid update counter."), (2, "", "invalid build number.")]
)
@pytest.mark.parametrize("bootstate", [1, 2])
def test_an_upgrading_bank_with_a_bad_counter_or_build_failed_to_upgrade(updated, build, said, bootstate):
    """esx-boot safeboot/bootbank.c (bank_scan) logs "BANK%d: invalid update counter." or "BANK%d: invalid build
    number.", then, for a bank in UPGRADING or DIRTY, "BANK%d: system has failed to upgrade." and sets it INVALID;
    %d is the partition number."""
    banks = [
        bank("BOOTBANK1", 5, updated=1, bootstate=0),
        bank("BOOTBANK2", 6, updated=updated, bootstate=bootstate, build=build),
    ]
    choice = safeboot(banks)
    assert choice.index == 0 and choice.banks[1].state is BankState.INVALID
    assert any(f"BANK6: {said} BANK6: system has failed to upgrade." in m for m in choice.messages)


def test_a_valid_bank_with_a_bad_counter_is_not_an_upgrade_failure():
    choice = safeboot([bank("BOOTBANK1", 5, updated=1, bootstate=0), bank("BOOTBANK2", 6, updated=0, bootstate=0)])
    assert choice.index == 0 and not any("failed to upgrade" in m for m in choice.messages)


def test_shift_r_marks_the_default_invalid_for_good():
    banks = [
        bank("BOOTBANK1", 5, updated=1, bootstate=0),
        bank("BOOTBANK2", 6, updated=2, bootstate=0, build=BUILD_70U3),
    ]
    choice = safeboot(banks, rollback=True)
    assert choice.index == 0 and choice.rolled_back
    assert choice.banks[1].state is BankState.INVALID
    assert safeboot(choice.banks).index == 0  # the next normal boot stays on the old bank


def test_shift_r_lists_the_hypervisors_and_asks_the_kb_question_with_the_build_it_goes_to():
    """The listing is esx-boot's bank_kill (safeboot/bootbank.c: "Installed hypervisors:", "BANK%d: %s", "(Default)",
    "(Upgrading...)"); the question is the one KB 1033604 quotes (F45), with the build of the bank it goes to."""
    banks = [
        bank("BOOTBANK1", 5, updated=1, bootstate=0),
        bank("BOOTBANK2", 6, updated=2, bootstate=0, build=BUILD_70U3),
    ]
    messages = safeboot(banks, rollback=True).messages
    assert f"Shift+R: Installed hypervisors: BANK5: {BUILD_70}, BANK6: {BUILD_70U3} (Default)" in messages
    assert f"Current hypervisor will permanently be replaced with build: {BUILD_70}. Are you sure? [y/n] y" in messages
    upgrading = [
        bank("BOOTBANK1", 5, updated=1, bootstate=0),
        bank("BOOTBANK2", 6, updated=2, bootstate=1, build=BUILD_70U3),
    ]
    assert f"BANK6: {BUILD_70U3} (Upgrading...)" in safeboot(upgrading, rollback=True).messages[1]


@pytest.mark.parametrize("bootstate", [0, 1])
def test_shift_r_from_7_to_6_is_refused(bootstate):
    """F45 (KB 1033604): the 6.x -> 7.0 upgrade re-lays the boot device, so Shift+R never goes from 7.x to 6.x, not
    even while the 6.x bank is still there (a staged 7.0, or one whose first boot is not yet confirmed)."""
    banks = [
        bank("BOOTBANK1", 5, updated=1, bootstate=0, build=BUILD_67),
        bank("BOOTBANK2", 6, updated=2, bootstate=bootstate),
    ]
    with pytest.raises(RollbackNotPossible, match="KB 1033604") as err:
        safeboot(banks, rollback=True)
    assert err.value.current == BUILD_70 and err.value.previous == BUILD_67
    assert "reinstall ESXi 6.7 or restore a copy of the boot device" in str(err.value)
    assert safeboot(banks).index == 1  # without Shift+R, 7.0 boots


def test_shift_r_after_the_relayout_is_refused_and_a_fresh_7_install_is_not():
    relaid = BootBank.empty("BOOTBANK1", 5)
    relaid = BootBank(relaid.label, relaid.partition, relaid.files, relaid_build=BUILD_67)
    running = bank("BOOTBANK2", 6, updated=2, bootstate=0)
    with pytest.raises(RollbackNotPossible):
        safeboot([relaid, running], rollback=True)
    fresh = safeboot([BootBank.empty("BOOTBANK1", 5), running], rollback=True)
    assert "No alternate hypervisor to roll back to." in fresh.messages


def test_shift_r_from_6_7_back_to_6_7_and_from_8_to_7_is_allowed():
    """F45: only the 6.x -> 7.0 re-layout forbids it; 8.0 -> 7.0 is a valid revert."""
    six = [
        bank("BOOTBANK1", 5, updated=1, bootstate=0, build=BUILD_67),
        bank("BOOTBANK2", 6, updated=2, bootstate=0, build=BUILD_67),
    ]
    assert safeboot(six, rollback=True).rolled_back
    eight = [
        bank("BOOTBANK1", 5, updated=1, bootstate=0),
        bank("BOOTBANK2", 6, updated=2, bootstate=0, build="8.0.2-0.0.22380479"),
    ]
    assert safeboot(eight, rollback=True).rolled_back


def test_shift_r_with_one_bank_says_there_is_nothing_to_roll_back_to():
    choice = safeboot([bank("BOOTBANK1", 5, updated=1, bootstate=0), BootBank.empty("BOOTBANK2", 6)], rollback=True)
    assert choice.index == 0 and not choice.rolled_back
    assert "No alternate hypervisor to roll back to." in choice.messages


def test_no_bootable_bank_is_an_error():
    with pytest.raises(NoBootableBank) as err:
        safeboot([BootBank.empty("BOOTBANK1", 5), bank("BOOTBANK2", 6, updated=1, bootstate=3)])
    assert "No hypervisor found" in str(err.value)


def test_bank_files_change_by_copy():
    b = bank("BOOTBANK1", 5, updated=1, bootstate=0)
    c = b.replace_files({"state.tgz": b"x", "s.v00": None})
    assert "state.tgz" not in b.files and c.files["state.tgz"] == b"x" and "s.v00" not in c.files
    d = c.with_config(c.config.with_updated(9))
    assert d.updated == 9 and d.read("boot.cfg").endswith(b"updated=9\n") and c.updated == 1


def test_choose_bank_is_the_old_name_of_safeboot():
    assert choose_bank is safeboot


@pytest.mark.parametrize(
    ("bootstate", "updated", "newer"),
    [
        (0, 2, True),  # a live install staged the new image VALID (F33)
        (1, 2, True),  # a reboot-only change or an upgrade: UPGRADING (F20, F33)
        (2, 2, False),  # DIRTY: tried once and never confirmed, safeboot drops it (F6)
        (3, 2, False),  # INVALID: a half-written or refused bank (F5)
        (0, 1, False),  # not newer than the bootbank
    ],
)
def test_staged_is_newer_only_for_a_higher_valid_or_upgrading_bank(bootstate, updated, newer):
    """F20: the shutdown backup also saves into the altbootbank when it has updated= greater than the bootbank's and
    bootstate 0 or 1; F33: the next change starts from that staged image. Both ask staged_is_newer."""
    boot = bank("BOOTBANK1", 5, updated=1, bootstate=0)
    alt = bank("BOOTBANK2", 6, updated=updated, bootstate=bootstate)
    assert staged_is_newer(alt, boot) is newer


def test_staged_is_newer_needs_a_boot_cfg_mboot_can_read():
    """A boot.cfg that mboot refuses (F2) holds no image to stage onto, though safeboot still reads its keys (F4)."""
    boot = bank("BOOTBANK1", 5, updated=1, bootstate=0)
    garbled = bank("BOOTBANK2", 6, updated=2, bootstate=0).replace_files({"boot.cfg": b"bootstate=0\nupdated=2\n"})
    assert garbled.config is None and garbled.updated == 2 and garbled.state is BankState.VALID
    assert not staged_is_newer(garbled, boot)
    assert not staged_is_newer(BootBank.empty("BOOTBANK2", 6), boot)


# -- changed copies of boot.cfg and of a bank, made without reading everything again -------------------------------

_VALUE_LINE = re.compile(r"(?P<head>[^=]*=[ \t\v\f\r]*)(?P<value>.*?)(?P<tail>[ \t\v\f\r]*)", re.DOTALL)


def _reference_with_value(cfg: BootConfig, key: str, text: str) -> BootConfig:
    """with_value as the whole file would be rewritten and parsed again (what the engine did before it kept the
    other lines' index): the line that sets `key` last gets the new value between its own head and tail."""
    lines = list(cfg.lines)
    found = [i for i, raw in enumerate(lines) if "=" in raw and raw.split("=")[0].strip().lower() == key]
    body = lines[found[-1]]
    eol = "\r\n" if body.endswith("\r\n") else "\n" if body.endswith("\n") else ""
    match = _VALUE_LINE.fullmatch(body[: len(body) - len(eol)])
    lines[found[-1]] = f"{match['head']}{text}{match['tail']}{eol}"
    return BootConfig.parse("".join(lines))


_BLANK = st.sampled_from(["", " ", "\t", " \t", "\r"])
_WORD = st.text("abcxyz0123456789._-", min_size=1, max_size=8)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(_BLANK, st.sampled_from(["Title", "kernelopt", "MODULES", "build", "crypto"]), _BLANK, _WORD)),
    st.sampled_from(["title", "kernelopt", "modules", "build", "crypto", "updated", "bootstate"]),
    st.one_of(_WORD, st.integers(0, 9)),
    st.lists(_WORD.filter(lambda w: "---" not in w), min_size=1, max_size=6),
)
def test_a_changed_boot_cfg_is_what_parsing_its_new_text_gives(extra, key, value, modules):
    """with_value and with_modules re-read only the line they change; the copy must equal a parse of the new text
    (keys, values, module list) and the text must be the full rewrite's (F1, F3)."""
    text = "bootstate=0\nkernel=b.b00\nmodules=k.b00 --- s.v00\nbuild=7.0.0-1\nupdated=1\n"
    text += "".join(f"{a}{k}{b}= {w}\n" for a, k, b, w in extra)
    cfg = BootConfig.parse(text)
    try:
        if cfg.get(key) is not None:
            expected = _reference_with_value(cfg, key, str(value))
        else:
            expected = BootConfig.parse(f"{text}{key}={value}\n")
    except BadBootConfig:  # updated=x: the loader refuses it, so the change is refused
        with pytest.raises(BadBootConfig):
            cfg.with_value(key, value)
        return
    changed = cfg.with_value(key, value)
    assert changed.dumps() == expected.dumps()
    again = BootConfig.parse(changed.dumps())
    keys = again.keys()
    assert changed.dumps() == again.dumps() and changed.keys() == keys
    assert [changed.get(k) for k in keys] == [again.get(k) for k in keys]
    assert changed.module_options == again.module_options
    listed = cfg.with_modules(modules)
    assert listed.module_options == BootConfig.parse(listed.dumps()).module_options == tuple((m, "") for m in modules)
    assert listed.dumps() == _reference_with_value(cfg, "modules", " --- ".join(modules)).dumps()


@pytest.mark.parametrize("names", [["a.v00", " b.v00"], ["a.v00", "b c"], ["a.v00", "x---y"], ["a.v00", ""], ["a\tb"]])
def test_module_names_that_are_not_plain_take_the_long_way_with_the_same_result(names):
    """A name with a blank keeps its options after the first blank, a blank around a name is dropped, and an empty
    name or one holding '---' is refused, as `_modules_value` always did (F3)."""
    cfg = BootConfig.parse("kernel=b.b00\nmodules=k.b00\n")
    try:
        listed = cfg.with_modules(names)
    except BadBootConfig:
        assert any(not n.strip() or "---" in n for n in names)
        return
    assert listed.module_options == BootConfig.parse(listed.dumps()).module_options


def test_a_deferred_file_is_made_once_when_first_read_and_a_copy_of_the_bank_does_not_read_it():
    made = []

    def make() -> bytes:
        made.append(1)
        return b"imgdb"

    cfg = BootConfig.new(kernel="b.b00", modules=["s.v00", "imgdb.tgz"], build="7.0.0-1", updated=1)
    bank = BootBank.with_image("BOOTBANK1", 5, cfg, {"b.b00": b"b", "s.v00": b"s", "imgdb.tgz": Deferred(make)})
    copy = bank.replace_files({"state.tgz": b"state"}).with_config(cfg.with_bootstate(1))
    assert not made and "imgdb.tgz" in copy.files and len(copy.files) == 5
    assert copy.read("imgdb.tgz") == b"imgdb" == bank.files["imgdb.tgz"] and made == [1]
    plain = MappingProxyType({**dict(bank.files)})
    assert bank.files == plain and plain == bank.files and copy.files != plain


def test_the_staged_modules_from_the_index_are_those_found_module_by_module():
    """The kept modules and their order, worked out from the bank's VIB index, equal the VIB-by-VIB walk (F33)."""
    h = Host.demo("7.0")
    h.boot()
    for i in range(5):
        h.install_vib(Vib.build(f"lab-pre-{i}", "1.0", {f"/opt/p{i}/R": "x"}))
    h.install_vib(Vib.build("lab-pre-2", "2.0", {"/opt/p2/R": "y"}))
    base = h.altbootbank
    index = base.vib_index()
    for vibs_index in (index, index.changed(index.get("lab-pre-3"), None), index.changed(index.get("esx-ui"), None)):
        fast = staging._kept_modules(base, vibs_index.vibs, vibs_index)
        slow = staging._kept_modules_one_by_one(base, vibs_index.vibs, vibs_index)
        assert list(fast[0].items()) == list(slow[0].items()) and fast[1] == slow[1]


@pytest.mark.parametrize("change", ["install", "new version", "remove", "remove base"])
def test_a_bank_changed_in_steps_of_the_change_is_the_bank_written_from_its_vib_list(change):
    """staged_bank with the change named (a VIB out, a VIB in) writes the same files and boot.cfg as from the VIB
    list alone, when the base bank is laid out as staging leaves it (F33)."""
    h = Host.demo("7.0")
    h.boot()
    for i in range(4):
        h.install_vib(Vib.build(f"lab-pre-{i}", "1.0", {f"/opt/p{i}/R": "x"}))
    base = h.altbootbank
    assert staging.layout(base) is not None and staging.layout(h.bootbank) is not None
    index = base.vib_index()
    name = {"install": "lab-new", "new version": "lab-pre-1", "remove": "lab-pre-2", "remove base": "esx-ui"}[change]
    out = index.get(name)
    into = None
    if change in ("install", "new version"):
        taken = {*base.files, *index.modules} - {m for _p, m in (out.modules if out else ())}
        into = Vib.build(name, "9.0", {f"/opt/{name}/N": "n"}).with_modules(taken, "2026-01-12")
    after = index.changed(out, into)
    kw = dict(label="BOOTBANK1", partition=5, updated=9, bootstate=0, build=base.build, imgdb=b"db", state_tgz=b"st")
    quick = staging.staged_bank(base, after.vibs, index=after, change=(out, into), **kw)
    whole = staging.staged_bank(base, after.vibs, **kw)
    assert quick.config.dumps() == whole.config.dumps() and quick.files == whole.files and quick.vibs == whole.vibs
    assert quick.layout[3] is not None and quick.layout[3] == staging.layout(replace(whole, layout=None))
