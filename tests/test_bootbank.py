"""Safeboot's bank choice (F5-F8): eligibility, the boot-time state transitions, highest updated wins, Shift+R, and
F45's refusal of a rollback from 7.x to 6.x."""

from __future__ import annotations

import pytest

from esxistate.bootbank import BankState, BootBank, choose_bank, safeboot, staged_is_newer
from esxistate.bootcfg import BootConfig
from esxistate.errors import NoBootableBank, RollbackNotPossible

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
