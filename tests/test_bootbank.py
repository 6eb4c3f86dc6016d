"""Safeboot's bank choice (F5-F8): eligibility, the boot-time state transitions, highest updated wins, Shift+R."""

from __future__ import annotations

import pytest

from esxistate.bootbank import BankState, BootBank, choose_bank
from esxistate.bootcfg import BootConfig
from esxistate.errors import NoBootableBank


def bank(label: str, part: int, *, updated: int, bootstate: int, build: str = "7.0.0-1.25.16324942") -> BootBank:
    cfg = BootConfig.new(kernel="b.b00", modules=["k.b00", "s.v00"], build=build, updated=updated, bootstate=bootstate)
    return BootBank.with_image(label, part, cfg, {"b.b00": b"b", "k.b00": b"k", "s.v00": b"s"})


def test_highest_updated_wins():
    choice = choose_bank([bank("BOOTBANK1", 5, updated=3, bootstate=0), bank("BOOTBANK2", 6, updated=4, bootstate=0)])
    assert choice.index == 1


def test_tie_goes_to_the_first_scanned_bank():
    choice = choose_bank([bank("BOOTBANK1", 5, updated=2, bootstate=0), bank("BOOTBANK2", 6, updated=2, bootstate=0)])
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
    choice = choose_bank([bank("BOOTBANK1", 5, updated=1, bootstate=0), bank("BOOTBANK2", 6, updated=2, bootstate=1)])
    assert choice.index == 1
    assert choice.banks[1].state is BankState.DIRTY
    assert choice.banks[1].config.dumps().startswith("bootstate=2\n")  # the digit rewritten in place (F6)


def test_dirty_bank_is_invalidated_and_the_old_one_boots():
    choice = choose_bank([bank("BOOTBANK1", 5, updated=1, bootstate=0), bank("BOOTBANK2", 6, updated=2, bootstate=2)])
    assert choice.index == 0
    assert choice.banks[1].state is BankState.INVALID
    assert any("failed to upgrade" in m for m in choice.messages)


def test_shift_r_marks_the_default_invalid_for_good():
    banks = [bank("BOOTBANK1", 5, updated=1, bootstate=0), bank("BOOTBANK2", 6, updated=2, bootstate=0)]
    choice = choose_bank(banks, rollback=True)
    assert choice.index == 0 and choice.rolled_back
    assert choice.banks[1].state is BankState.INVALID
    assert choose_bank(choice.banks).index == 0  # the next normal boot stays on the old bank


def test_shift_r_with_one_bank_says_there_is_nothing_to_roll_back_to():
    choice = choose_bank([bank("BOOTBANK1", 5, updated=1, bootstate=0), BootBank.empty("BOOTBANK2", 6)], rollback=True)
    assert choice.index == 0 and not choice.rolled_back
    assert "No alternate hypervisor to roll back to." in choice.messages


def test_no_bootable_bank_is_an_error():
    with pytest.raises(NoBootableBank) as err:
        choose_bank([BootBank.empty("BOOTBANK1", 5), bank("BOOTBANK2", 6, updated=1, bootstate=3)])
    assert "No hypervisor found" in str(err.value)


def test_bank_files_change_by_copy():
    b = bank("BOOTBANK1", 5, updated=1, bootstate=0)
    c = b.replace_files({"state.tgz": b"x", "s.v00": None})
    assert "state.tgz" not in b.files and c.files["state.tgz"] == b"x" and "s.v00" not in c.files
    d = c.with_config(c.config.with_updated(9))
    assert d.updated == 9 and d.read("boot.cfg").endswith(b"updated=9\n") and c.updated == 1
