"""Exercises: hand-worked cases per kind (the expected answer reasoned from the facts here), seeds, answer forms,
and a property: for any seed and kind the engine's answer is accepted and a perturbed one is refused."""

from __future__ import annotations

import dataclasses
import doctest
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import esxistate as es
from esxistate import exercises
from esxistate.exercises import KINDS, Exercise, Step
from esxistate.host import DEFAULT_CLOCK

HOSTS_LINE = "10.0.0.5 nas.lab.local nas"
NTP_LINE = "server ntp.lab.local"
PAM_LINE = "auth required pam_tally2.so deny=5 unlock_time=900"
INSTALLED = {"etc/hosts", "etc/shadow", "etc/vmware/esx.conf"}  # what the demo installer saved


def ask(kind: str, *steps: Step, **params) -> Exercise:
    return Exercise.from_steps(kind, steps, **params)


def assert_answer(ex: Exercise, expected: object) -> None:
    """The engine agrees with the answer reasoned in the test, and check() accepts it with a reason."""
    assert ex.solve() == expected
    feedback = ex.check(expected)
    assert feedback.correct, feedback
    assert "F" in feedback.explanation


# -- layer -----------------------------------------------------------------------------------------------------------


def test_layer_of_a_file_restored_at_boot_is_the_etc_ramdisk():
    # F38: boot unpacks local.tgz (etc/hosts is in the installer's state) onto the etc ramdisk, above s.v00
    ex = ask("layer", subject="/etc/hosts")
    assert_answer(ex, "etc")
    for form in ("ETC", "/etc", "the etc ramdisk", " etc "):
        assert ex.check(form).correct, form
    wrong = ex.check("s.v00")
    assert not wrong.correct
    assert "hides" in wrong.explanation and "F39" in wrong.explanation


def test_layer_of_an_edited_plain_file_is_the_ramdisk_until_reboot():
    edit = Step.append("/etc/pam.d/system-auth", PAM_LINE)
    # F27: the write branches that one file onto the etc ramdisk
    assert_answer(ask("layer", edit, subject="/etc/pam.d/system-auth"), "etc")
    # F16, F26: no sticky bit, no .# twin, not saved: after a reboot the tardisk s.v00 serves it again
    after = ask("layer", edit, Step.backup(), Step.reboot(), subject="/etc/pam.d/system-auth")
    assert_answer(after, "s.v00")
    assert "no sticky bit" in after.check("etc").explanation


def test_layer_of_an_overlay_vib_file_and_of_a_deleted_one():
    install = Step.install_vib("lab-motd", live=True)
    # F39 + F11: the live-installed overlay VIB's tardisk lab_motd.v00 is mounted last and wins /etc/motd
    assert_answer(ask("layer", install, subject="/etc/motd"), "lab_motd.v00")
    # rm leaves a whiteout on the ramdisk: nothing serves /etc/motd until the next boot
    gone = ask("layer", install, Step.delete("/etc/motd"), subject="/etc/motd")
    assert_answer(gone, "none")
    assert gone.check(None).correct and gone.check("nothing").correct


def test_layer_of_a_vib_staged_without_live_install_appears_only_after_reboot():
    stage = Step.install_vib("lab-drv", live=False)
    path = "/usr/lib/vmware/vmkmod/lab_drv"
    assert_answer(ask("layer", stage, subject=path), "none")  # F33: staged on /altbootbank, mounted at next boot
    assert_answer(ask("layer", stage, Step.reboot(), subject=path), "lab_drv.v00")


# -- survives --------------------------------------------------------------------------------------------------------


def test_sticky_edit_is_lost_at_power_failure_and_kept_after_a_backup():
    edit = Step.append("/etc/ntp.conf", NTP_LINE)
    lost = ask("survives", edit, Step.power_loss(), subject="/etc/ntp.conf", probe=NTP_LINE)
    assert_answer(lost, "no")  # F23: a power failure runs no backup
    assert lost.check(False).correct and lost.check("N").correct
    assert "F23" in lost.check("yes").explanation
    kept = ask("survives", edit, Step.backup(), Step.power_loss(), subject="/etc/ntp.conf", probe=NTP_LINE)
    assert_answer(kept, "yes")  # F14, F16: auto-backup.sh saved the changed sticky file; boot restores it (F38)
    assert kept.check(True).correct


def test_non_sticky_edit_is_lost_even_after_backup_and_orderly_reboot():
    ex = ask(
        "survives",
        Step.append("/etc/pam.d/system-auth", PAM_LINE),
        Step.backup(),
        Step.reboot(),
        subject="/etc/pam.d/system-auth",
        probe=PAM_LINE,
    )
    assert_answer(ex, "no")  # F16, F26: no sticky bit, no .# twin, never saved
    wrong = ex.check("yes")
    assert not wrong.correct
    assert "/etc/pam.d/system-auth has no sticky bit" in wrong.explanation
    assert "F16" in wrong.explanation and "F26" in wrong.explanation


def test_cron_saves_only_when_the_clock_passes_minute_one():
    edit = Step.append("/etc/ntp.conf", NTP_LINE)
    params = {"subject": "/etc/ntp.conf", "probe": NTP_LINE, "start_minute": 10}
    # F12: from 09:10, 20 minutes reach 09:30 without an hh:01, so cron never ran auto-backup.sh
    assert_answer(ask("survives", edit, Step.wait(20), Step.power_loss(), **params), "no")
    # 55 minutes reach 10:05: cron ran auto-backup.sh at 10:01 and saved the change
    assert_answer(ask("survives", edit, Step.wait(55), Step.power_loss(), **params), "yes")


def test_a_hostd_change_saves_every_pending_sticky_edit():
    # F21: hostd backs up right after a configuration change, and backup.sh saves every file with a twin (F16)
    ex = ask(
        "survives",
        Step.append("/etc/ntp.conf", NTP_LINE),
        Step.configure("hostname", "lab01"),
        Step.power_loss(),
        subject="/etc/ntp.conf",
        probe=NTP_LINE,
    )
    assert_answer(ex, "yes")
    assert "[root@lab01:~]" not in ex.question  # the prompt changes only after the hostname change ...
    later = ask("survives", Step.configure("hostname", "lab01"), Step.backup(), subject="/etc/hosts", probe="x")
    assert "[root@lab01:~] /sbin/auto-backup.sh" in later.question  # ... and then shows the new name


def test_backup_before_power_loss_does_not_reach_a_staged_upgrade():
    # F49: staging ran backup.sh 0 /altbootbank, so the staged 7.0 bank holds the configuration of that moment;
    # an edit made after the upgrade and saved by auto-backup.sh goes to /bootbank only (F15); the power fails, the
    # boot loader picks the bank with the higher updated= (F7): the staged copy, without the later edit
    ex = ask(
        "survives",
        Step.upgrade("7.0"),
        Step.append("/etc/hosts", HOSTS_LINE),
        Step.backup(),
        Step.power_loss(),
        version="6.7",
        subject="/etc/hosts",
        probe=HOSTS_LINE,
    )
    assert_answer(ex, "no")
    why = ex.check("yes").explanation
    assert "BOOTBANK2" in why and "F49" in why
    # an orderly reboot instead writes both banks (F20), so the change follows the host onto 7.0
    reboot = dataclasses.replace(ex, setup=(*ex.setup[:2], Step.reboot()))
    assert reboot.solve() == "yes"


def test_an_edit_made_before_the_upgrade_reaches_the_staged_bank_without_any_backup():
    # F49: staging takes a fresh backup into the new bank, so the unsaved sticky edit survives the power cut
    ex = ask(
        "survives",
        Step.append("/etc/hosts", HOSTS_LINE),
        Step.upgrade("7.0"),
        Step.power_loss(),
        version="6.7",
        subject="/etc/hosts",
        probe=HOSTS_LINE,
    )
    assert_answer(ex, "yes")


def test_a_seed_whose_setup_is_the_classic_backup_then_power_failure():
    ex = exercises.generate(8, kind="survives")
    assert ex.version == "7.0" and ex.subject == "/etc/hosts" and ex.probe == HOSTS_LINE
    assert ex.setup == (Step.append("/etc/hosts", HOSTS_LINE), Step.backup(), Step.power_loss())
    assert_answer(ex, "yes")  # F14 saved it, F23 lost the ramdisks, F38 restored it


# -- state -----------------------------------------------------------------------------------------------------------


def test_state_after_nothing_is_the_installers():
    ex = ask("state", version="6.7")
    assert_answer(ex, frozenset(INSTALLED))
    assert ex.check("etc/vmware/esx.conf, /etc/shadow etc/hosts").correct
    seventy = ask("state")
    # 7.0 also archives the ConfigStore database (F35); naming it is allowed, not required
    assert seventy.check({*INSTALLED, "var/lib/vmware/configstore/backup/current-store-1"}).correct
    assert seventy.check(sorted(INSTALLED)).correct


def test_backup_saves_only_etc_files_with_a_twin():
    ex = ask(
        "state",
        Step.append("/etc/ntp.conf", NTP_LINE),  # sticky: twin made, saved (F25, F16)
        Step.append("/etc/pam.d/system-auth", PAM_LINE),  # no sticky bit: no twin (F26)
        Step.write("/etc/lab.conf", "lab=1"),  # created by you: no twin (F25)
        Step.write("/opt/notes.txt", "notes"),  # outside /etc (F16)
        Step.backup(),
    )
    assert_answer(ex, frozenset({*INSTALLED, "etc/ntp.conf"}))
    wrong = ex.check({*INSTALLED, "etc/ntp.conf", "etc/lab.conf", "etc/pam.d/system-auth"})
    assert not wrong.correct
    assert "etc/lab.conf is not in it: you created it" in wrong.explanation
    assert "etc/pam.d/system-auth is not in it: it has no sticky bit" in wrong.explanation


def test_deleting_alone_does_not_back_up_but_the_next_backup_drops_the_file():
    delete = Step.delete("/etc/hosts")
    # F14: a deleted file is not among the files compared, so auto-backup.sh finds nothing to save
    assert_answer(ask("state", delete, Step.backup(), version="6.7"), frozenset(INSTALLED))
    # once something else changed, backup.sh saves only files that exist (F16): etc/hosts drops out
    later = ask("state", delete, Step.backup(), Step.append("/etc/ntp.conf", NTP_LINE), Step.backup())
    assert_answer(later, frozenset({"etc/shadow", "etc/vmware/esx.conf", "etc/ntp.conf"}))


# -- bank ------------------------------------------------------------------------------------------------------------


def test_bank_after_upgrade_and_reboot_is_the_new_one():
    # F33: the upgrade goes to BOOTBANK2 with updated=2; F7: the highest updated= wins; F6: first try, then confirmed
    ex = ask("bank", Step.upgrade("7.0"), Step.reboot(), version="6.7")
    assert_answer(ex, "BOOTBANK2, ESXi 7.0 (build 7.0.0-1.25.16324942)")
    for form in ("BOOTBANK2", "bootbank 2", "7.0", "BOOTBANK2 / ESXi 7.0", "build 16324942", ("BOOTBANK2", "7.0")):
        assert ex.check(form).correct, form
    for form in ("BOOTBANK1", "6.7", "BOOTBANK2 6.7", "7.0U3"):
        assert not ex.check(form).correct, form
    assert "F7" in ex.check("BOOTBANK1").explanation


def test_shift_r_right_after_an_update_boots_the_old_bank_for_good():
    update = Step.upgrade("7.0U3")
    # F8, F45: an update within 7.0 can be rolled back: Shift+R marks the default bank (the new one) INVALID and
    # boots the other one
    assert_answer(ask("bank", update, Step.rollback()), "BOOTBANK1, ESXi 7.0 (build 7.0.0-1.25.16324942)")
    # ... and INVALID stays: a later plain reboot still boots BOOTBANK1
    again = ask("bank", update, Step.reboot(), Step.rollback(), Step.reboot())
    assert again.solve().startswith("BOOTBANK1, ESXi 7.0 ")
    shown = ask("bank", update, Step.reboot()).question
    assert "VMware-ESXi-7.0U3g-20328353-depot.zip -p ESXi-7.0U3g-20328353-standard" in shown


def test_rollback_goes_one_step_back_only():
    # F45: the VIB staged after the update overwrote the 7.0 copy on the altbootbank (n-1), so Shift+R lands on 7.0U3
    ex = ask(
        "bank",
        Step.upgrade("7.0U3"),
        Step.reboot(),
        Step.install_vib("lab-drv", live=False),
        Step.reboot(),
        Step.rollback(),
    )
    assert_answer(ex, "BOOTBANK2, ESXi 7.0U3 (build 7.0.3-0.55.20328353)")
    assert ex.check("7.0U3").correct and not ex.check("7.0").correct and not ex.check("BOOTBANK1").correct


def test_generated_bank_exercises_never_roll_back_a_6_to_7_upgrade():
    # F45: Shift+R from 7.x to 6.x is refused, so the generator never asks for it
    for seed in range(60):
        ex = exercises.generate(seed, "bank")
        ops = [(s.op, s.args) for s in ex.setup]
        if ("upgrade", ("7.0",)) in ops:
            assert ex.version == "6.7" and "rollback" not in [op for op, _a in ops[ops.index(("upgrade", ("7.0",))) :]]


def test_shift_r_without_an_alternate_bank_and_a_staged_vib():
    # F8: only one bootable bank: "No alternate hypervisor to roll back to." and the default boots
    lone = ask("bank", Step.rollback())
    assert_answer(lone, "BOOTBANK1, ESXi 7.0 (build 7.0.0-1.25.16324942)")
    assert "No alternate hypervisor" in lone.check("BOOTBANK2").explanation
    # F33: a VIB install that waits for a reboot is written to the other bank, which then boots
    staged = ask("bank", Step.install_vib("lab-drv", live=False), Step.reboot())
    assert staged.solve().startswith("BOOTBANK2, ESXi 7.0")


# -- fits ------------------------------------------------------------------------------------------------------------


def test_a_write_is_charged_to_the_ramdisk_with_the_longest_mount_point():
    first = Step.fill("/etc/lab-a.bin", 20)
    # 7.0: /etc/vmware/configstore is its own 32 MiB ramdisk, so the etc ramdisk's 20 MiB do not count
    ex = ask("fits", first, Step.fill("/etc/vmware/configstore/lab-b.db", 20))
    assert_answer(ex, "yes")
    # on the etc ramdisk itself: 28 MiB maximum (S4), 20 + 9 > 28: 'No space left on device' (F28)
    full = ask("fits", first, Step.fill("/etc/lab-b.bin", 9))
    assert_answer(full, "no")
    assert "28 MiB" in full.check("yes").explanation


def test_deleting_or_rebooting_gives_ramdisk_space_back_and_overwriting_replaces():
    first = Step.fill("/etc/lab-a.bin", 20)
    second = Step.fill("/etc/lab-b.bin", 20)
    assert_answer(ask("fits", first, Step.delete("/etc/lab-a.bin"), second, version="6.7"), "yes")
    assert_answer(ask("fits", first, Step.reboot(), second, version="6.7"), "yes")  # F27: ramdisks start empty
    grow = ask("fits", Step.fill("/opt/lab-a.tar", 16), Step.fill("/opt/lab-a.tar", 24), version="6.7")
    assert_answer(grow, "yes")  # 24 MiB replace 16 MiB on the 32 MiB opt ramdisk


def test_fits_exercises_write_modest_amounts():
    for seed in range(25):
        ex = exercises.generate(seed, "fits")
        assert sum(s.args[1] for s in ex.setup if s.op == "fill") <= 50, ex.setup


# -- reverse ---------------------------------------------------------------------------------------------------------


def _outcome(ex: Exercise, choice: tuple[Step, ...]) -> tuple:
    """Replay one option on a fresh host, independently of the module, and read what a student would see."""
    host = es.Host.demo(ex.version, clock=DEFAULT_CLOCK + timedelta(minutes=ex.start_minute))
    host.boot()
    for step in choice:
        step.apply(host)
    edits = sorted({(s.args[0], s.args[1]) for c in ex.choices for s in c if s.op in ("write", "append")})
    seen = tuple(host.fs.exists(p) and line in host.fs.read_text(p).splitlines() for p, line in edits)
    return seen, tuple(es.StateArchive.from_bytes(host.bootbank.read("state.tgz")).names())


def test_reverse_built_by_hand():
    edit = Step.append("/etc/hosts", HOSTS_LINE)
    a = (edit, Step.power_loss())  # lost (F23)
    b = (edit, Step.backup(), Step.power_loss())  # saved then restored (F14, F38)
    ex = ask("reverse", choices=(a, b), truth=1)
    assert ex.setup == () and len(ex.options) == 2
    assert_answer(ex, "B")
    assert ex.check("b").correct and ex.check("(B)").correct and ex.check(ex.options[1]).correct
    wrong = ex.check("A")
    assert not wrong.correct and "F23" in wrong.explanation
    assert HOSTS_LINE in ex.question and "tar tzf local.tgz" in ex.question


def test_reverse_exercises_have_exactly_one_matching_option():
    for seed in range(6):
        ex = exercises.generate(seed, "reverse")
        outcomes = [_outcome(ex, c) for c in ex.choices]
        truth = outcomes["ABCD".index(ex.solve())]
        assert outcomes.count(truth) == 1, (seed, ex.options)
        assert 3 <= len(ex.options) <= 4


# -- bootdevice (F47) ------------------------------------------------------------------------------------------------


def test_slow_boot_device_edit_and_backup_do_not_survive_a_reboot():
    """The host booted with a slow boot device; you edit /etc/hosts and run auto-backup.sh: the backup went into
    /tmp, so the edit is gone after a reboot (KB 301134). With localcli's restore --bootbanks before the backup,
    it survives."""
    params = {"subject": "/etc/hosts", "probe": HOSTS_LINE, "start_minute": 10}
    edit = Step.append("/etc/hosts", HOSTS_LINE)
    lost = ask("bootdevice", Step.slow_reboot(), edit, Step.backup(), Step.reboot(), **params)
    assert "bootbank -> /tmp" in lost.question and "Answer yes or no" in lost.question
    assert_answer(lost, "no")
    wrong = lost.check("yes")
    assert not wrong.correct and "/bootbank pointed to /tmp" in wrong.explanation and "F47" in wrong.explanation
    steps = (Step.slow_reboot(), edit, Step.restore_bootbanks(), Step.backup(), Step.reboot())
    fixed = ask("bootdevice", *steps, **params)
    assert "localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks" in fixed.question
    assert_answer(fixed, "yes")
    assert "restore --bootbanks" in fixed.check("no").explanation


def test_lost_boot_device_keeps_only_what_was_saved_before_the_loss():
    """KB 318611: after the loss auto-backup.sh raises the alert and saves nothing; the next boot finds the device
    as it was when it was lost (our model)."""
    params = {"subject": "/etc/ntp.conf", "probe": NTP_LINE}
    edit = Step.append("/etc/ntp.conf", NTP_LINE)
    after = ask("bootdevice", edit, Step.lose_boot_device(), Step.backup(), Step.reboot(), **params)
    assert_answer(after, "no")
    assert "ALERT: Bootbank cannot be found at path '/bootbank'" in after.check("no").explanation
    before = ask("bootdevice", edit, Step.backup(), Step.lose_boot_device(), Step.power_loss(), **params)
    assert_answer(before, "yes")


# -- seeds, forms, the module itself ---------------------------------------------------------------------------------


def test_same_seed_same_exercise_and_kind_choice_is_stable():
    for seed in (0, 1, 99, 123456):
        a, b = exercises.generate(seed), exercises.generate(seed)
        assert a == b and a.question == b.question and a.setup == b.setup and a.solve() == b.solve()
        assert exercises.generate(seed, a.kind) == a


def test_sixty_seeds_give_a_variety_of_kinds_and_questions():
    made = [exercises.generate(seed) for seed in range(60)]
    assert len({ex.kind for ex in made}) >= 5
    assert len({ex.question for ex in made}) == 60


def test_solve_reads_the_engine_not_a_stored_answer():
    ex = ask(
        "survives",
        Step.append("/etc/hosts", HOSTS_LINE),
        Step.backup(),
        Step.power_loss(),
        subject="/etc/hosts",
        probe=HOSTS_LINE,
    )
    assert ex.solve() == "yes"
    without_backup = dataclasses.replace(ex, setup=(ex.setup[0], ex.setup[2]))
    assert without_backup.solve() == "no"


def test_unreadable_answers_are_refused_with_a_hint():
    ex = exercises.generate(3, "bank")
    for junk in ("", "altbootbank", "BOOTBANK1 and BOOTBANK2", 42):
        feedback = ex.check(junk)
        assert not feedback.correct and feedback.explanation
    assert not exercises.generate(3, "survives").check("perhaps").correct
    assert not exercises.generate(3, "reverse").check("Z").correct
    assert str(ex.check(ex.solve())).startswith("Correct.")


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        exercises.generate(1, "trivia")


def test_module_docstring_examples_run():
    result = doctest.testmod(exercises, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_importing_exercises_loads_no_display_library():
    code = (
        "import sys, esxistate.exercises; print([m for m in ('ipywidgets', 'graphviz', 'IPython') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names():
    assert exercises.__all__ == ["KINDS", "LAB_KINDS", "Exercise", "Feedback", "Step", "generate"]
    assert KINDS == ("layer", "survives", "state", "bank", "fits", "reverse", "bootdevice")


# -- the property ----------------------------------------------------------------------------------------------------


def perturb(ex: Exercise, answer: object) -> object:
    """A wrong answer near the right one."""
    if ex.kind in ("survives", "fits", "bootdevice"):
        return "no" if answer == "yes" else "yes"
    if ex.kind == "layer":
        return next(x for x in ("s.v00", "etc", "none", "var") if x != answer)
    if ex.kind == "state":
        return set(answer) ^ {"etc/pam.d/system-auth"}  # never saved: it has no sticky bit (F26)
    if ex.kind == "bank":
        return "BOOTBANK1" if str(answer).startswith("BOOTBANK2") else "BOOTBANK2"
    return next(letter for letter in "ABCD"[: len(ex.options)] if letter != answer)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), kind=st.sampled_from(KINDS))
def test_engine_answer_is_accepted_and_a_perturbed_one_is_not(seed, kind):
    ex = exercises.generate(seed, kind)
    answer = ex.solve()
    right = ex.check(answer)
    assert right.correct, right
    wrong = ex.check(perturb(ex, answer))
    assert not wrong.correct
    assert wrong.explanation.strip()


# -- troubleshooting labs (lesson 11) ------------------------------------------------------------------------------


def lab(kind: str, setup, then=(), **params) -> Exercise:
    return Exercise.from_steps(kind, setup, then=then, symptom="(symptom)", **params)


def test_lab_slow_boot_device_backup_goes_to_memory_until_localcli_and_a_backup():
    """KB 301134, F47 (a): with /bootbank -> /tmp, auto-backup.sh "saves" into the tmp ramdisk, so a power failure
    loses the change; localcli's restore --bootbanks re-points the links, and only a backup after it reaches the
    boot device (F14, F23)."""
    base = [Step.slow_reboot(), Step.append("/etc/hosts", HOSTS_LINE), Step.backup()]
    ask_ = dict(subject="/etc/hosts", probe=HOSTS_LINE)
    assert_answer(lab("bootbank-tmp", base, [Step.power_loss()], **ask_), "no")
    fixed_late = lab("bootbank-tmp", [*base, Step.restore_bootbanks()], [Step.power_loss()], **ask_)
    assert_answer(fixed_late, "no")
    assert "no backup has run since" in str(fixed_late.check("yes"))
    saved = lab("bootbank-tmp", [*base, Step.restore_bootbanks(), Step.backup()], [Step.power_loss()], **ask_)
    assert_answer(saved, "yes")


def test_lab_slow_boot_device_live_host_shows_the_symptom_and_takes_the_fix():
    """The live host is in the state the card describes: `ls -l /` shows bootbank -> /tmp and auto-backup.sh
    claims success (KB 301134); the documented fix then a backup keeps the change through a power cut (F47)."""
    ex = exercises.generate(0, "bootbank-tmp")
    ex = lab("bootbank-tmp", ex.setup[:3], ex.then, version=ex.version, subject=ex.subject, probe=ex.probe)
    host = ex.host()
    assert "bootbank -> /tmp\n" in host.shell("ls -l /")
    assert host.shell("/sbin/auto-backup.sh") == ""  # nothing new to save into the /tmp copy
    assert host.shell("localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks") == ""
    assert "bootbank -> /vmfs/volumes/" in host.shell("ls -l /")
    assert "Saving current state in /bootbank" in host.shell("/sbin/auto-backup.sh")
    host.power_loss()
    host.boot()
    assert ex.probe in host.fs.read_text(ex.subject)


def test_lab_lost_boot_device_keeps_what_was_saved_before_the_loss():
    """F47 (b): once the device is gone every backup raises the alert and saves nothing; a power cycle brings the
    device back as it was when lost (our model, said in bootdevice.py)."""
    before = lab(
        "bootbank-lost",
        [Step.append("/etc/hosts", HOSTS_LINE), Step.backup(), Step.lose_boot_device(), Step.backup()],
        [Step.reboot()],
        subject="/etc/hosts",
        probe=HOSTS_LINE,
    )
    assert_answer(before, "yes")
    after = lab(
        "bootbank-lost",
        [Step.lose_boot_device(), Step.append("/etc/hosts", HOSTS_LINE), Step.wait(70)],
        [Step.power_loss()],
        subject="/etc/hosts",
        probe=HOSTS_LINE,
    )
    assert_answer(after, "no")
    assert after.host().shell("/sbin/auto-backup.sh") == "Bootbank cannot be found at path '/bootbank'\n"


def test_lab_shift_r_is_refused_after_6_7_to_7_0_and_works_after_an_update():
    """KB 1033604, F45: 6.x -> 7.0 re-lays the boot device, so Shift+R never brings 6.7 back; 7.0 -> 7.0 U3 keeps
    the previous image on the altbootbank, so Shift+R boots 7.0 again (F8)."""
    major = lab("shift-r", [Step.upgrade("7.0"), Step.reboot()], [Step.rollback()], version="6.7")
    assert_answer(major, "no")
    assert "KB 1033604" in str(major.check("yes"))
    assert major.host().version == "7.0"
    update = lab("shift-r", [Step.upgrade("7.0U3"), Step.reboot()], [Step.rollback()], version="7.0")
    assert_answer(update, "yes")
    assert update.host().version == "7.0U3"  # the live host is before the rollback: `then` is never played on it


def test_lab_reboot_f_skips_the_shutdown_backup_and_reboot_runs_it():
    """F13: an orderly reboot runs /bin/backup.sh 1; F23: reboot -f does not, so only an earlier backup keeps the
    change (F14)."""
    edit = Step.append("/etc/ntp.conf", NTP_LINE)
    params = dict(subject="/etc/ntp.conf", probe=NTP_LINE)
    assert_answer(lab("reboot-f", [edit], [Step.reboot_f()], **params), "no")
    assert_answer(lab("reboot-f", [edit], [Step.reboot()], **params), "yes")
    assert_answer(lab("reboot-f", [edit, Step.backup()], [Step.reboot_f()], **params), "yes")


def test_lab_reboot_f_step_does_what_the_shell_does():
    """Step.reboot_f is the shell's `reboot -f`: both leave the same files and the same state.tgz."""
    ex = lab("reboot-f", [Step.append("/etc/ntp.conf", NTP_LINE)], [Step.reboot_f()])
    by_step, by_shell = ex.host(), ex.host()
    Step.reboot_f().apply(by_step)
    by_shell.shell("reboot -f")
    assert by_step.fs.read("/etc/ntp.conf") == by_shell.fs.read("/etc/ntp.conf")
    assert by_step.bootbank.read("state.tgz") == by_shell.bootbank.read("state.tgz")


def test_lab_full_ramdisk_answer_is_the_big_file_on_the_ramdisk_of_the_refused_path():
    """F28, F29: the write is charged to the ramdisk of the longest mount point above its path; a bigger file on
    another ramdisk (here tmp) is not the culprit."""
    ex = exercises.generate(0, "ramdisk-full")
    culprit = next(s.args[0] for s in ex.setup if s.op == "capture" and not s.args[0].startswith("/tmp/"))
    assert_answer(ex, culprit)
    wrong = ex.check("/tmp/pktcap-vmnic1.pcap")
    assert not wrong.correct and "tmp ramdisk" in wrong.explanation
    host = ex.host()
    assert "No space left on device" in host.shell(ex.then[0].command())
    host.shell(f"rm {culprit}")
    assert host.shell(ex.then[0].command()) == ""


def test_lab_vib_conflict_words_are_esxclis_and_only_removal_lets_the_new_vib_in():
    """F30: two non-overlay VIBs may not ship one path, live or staged, before or after a reboot; the symptom is
    what esxcli prints on the live host (esximage's FileConflictError wording)."""
    ex = exercises.generate(1, "vib-conflict")
    answer = ex.solve()
    assert ex.options[exercises.LETTERS.index(answer)].startswith("esxcli software vib remove")
    for letter in "ABC":
        assert ex.check(letter).correct == (letter == answer)
    new = ex.subject
    printed = ex.host().shell(f"esxcli software vib install -v /tmp/{new}-{exercises._VIBS[new][0]}.vib")
    assert printed.startswith(" [FileConflictError]\n")
    assert printed in ex.symptom + "\n"


def test_lab_restore_file_from_state_tgz_follows_kb342062():
    """KB 342062 for one file: state.tgz still holds the good copy when no backup ran since the overwrite; cd /tmp,
    tar xzf state.tgz then local.tgz, cp it back, auto-backup.sh (F38, F14). After a cron run the bad copy is
    what state.tgz holds (F12)."""
    setup = [
        Step.append("/etc/hosts", HOSTS_LINE),
        Step.backup(),
        Step.write("/etc/hosts", "127.0.0.1 localhost"),
        Step.append("/etc/ntp.conf", NTP_LINE),
    ]
    ex = lab("restore-file", setup, subject="/etc/hosts", probe=HOSTS_LINE)
    assert_answer(ex, "yes")
    host = ex.host()
    for line in ("cd /tmp", "tar xzf /bootbank/state.tgz", "tar xzf local.tgz", "cp /tmp/etc/hosts /etc/hosts"):
        host.shell(line)
    assert HOSTS_LINE in host.fs.read_text("/etc/hosts")
    assert "Saving current state in /bootbank" in host.shell("/sbin/auto-backup.sh")
    host.power_loss()
    host.boot()
    assert HOSTS_LINE in host.fs.read_text("/etc/hosts") and NTP_LINE in host.fs.read_text("/etc/ntp.conf")
    late = lab("restore-file", [*setup, Step.wait(70)], subject="/etc/hosts", probe=HOSTS_LINE)
    assert_answer(late, "no")


def test_lab_config_bundle_from_another_host_needs_force_and_the_same_release():
    """F43: restore_config refuses another host's UUID unless forced, and another release even when forced; forced,
    the other host's state.tgz replaces ours and the host comes back under the other name."""
    put = [Step.put_bundle("esxi-b", "7.0")]
    assert_answer(lab("config-bundle", put, [Step.restore_config("esxi-b")], subject="esxi-b"), "esxi")
    forced = lab("config-bundle", put, [Step.restore_config("esxi-b", force=True)], subject="esxi-b")
    assert_answer(forced, "esxi-b")
    assert "\nForced, the restore writes" in str(forced.check("esxi"))  # the reason opens the line after the verdict
    other_release = lab(
        "config-bundle", [Step.put_bundle("esxi-b", "6.7")], [Step.restore_config("esxi-b", force=True)]
    )
    assert_answer(other_release, "esxi")
    assert "Mismatched Bundle" in other_release.host().shell(
        "vim-cmd hostsvc/firmware/restore_config /tmp/configBundle-esxi-b.tgz 1"
    )


def perturb_lab(ex: Exercise, answer: object) -> object:
    if answer in ("yes", "no"):
        return "no" if answer == "yes" else "yes"
    if ex.kind == "ramdisk-full":
        return "/tmp/pktcap-vmnic1.pcap"
    if ex.kind == "config-bundle":
        return "esxi" if answer != "esxi" else ex.subject
    return next(letter for letter in "ABC" if letter != answer)


@pytest.mark.parametrize("kind", exercises.LAB_KINDS)
def test_every_lab_answers_itself_refuses_a_wrong_answer_and_fits_100_columns(kind):
    for seed in range(6):
        ex = exercises.generate(seed, kind)
        answer = ex.solve()
        assert ex.check(answer).correct
        wrong = ex.check(perturb_lab(ex, answer))
        assert wrong.marked and not wrong.correct
        for line in (ex.question + "\n" + str(wrong)).splitlines():
            assert len(line) <= 100, line


def test_labs_are_asked_for_by_name_only():
    """generate(seed) keeps drawing from KINDS, so every seed of lesson 09 stays the same exercise."""
    assert not {exercises.generate(seed).kind for seed in range(40)} & set(exercises.LAB_KINDS)


def test_a_lab_built_by_hand_without_its_question_is_refused():
    with pytest.raises(ValueError, match="choices"):
        lab("vib-conflict", [Step.install_vib("lab-agent")])
    with pytest.raises(ValueError, match="then step"):
        lab("ramdisk-full", [Step.capture("/etc/pktcap.pcap", 1024)])


def test_feedback_puts_the_deciding_step_first_and_folds_later_boots():
    """The power cut (F23) decides exercise 8: without it the backup's copy would simply stay. Later boots are told
    in a few words, since step 0 already said what a boot restores (F38)."""
    ex = exercises.generate(8, kind="survives")
    text = ex.check("no").explanation
    lines = text.splitlines()
    assert lines[1].startswith("The step that decides it: ")
    deciding = lines[1].removeprefix("The step that decides it: ")
    number = deciding.split(".", 1)[0]
    assert f"{number}. " in text.split("Why, step by step:", 1)[1]
    assert "(the deciding step, above)" in text
    assert text.count("each /etc file with its .# twin") == 1  # the full boot sentence once, at step 0


def test_printed_feedback_and_questions_fit_100_columns():
    for kind in exercises.KINDS:
        ex = exercises.generate(5, kind=kind)
        for text in (str(ex), str(ex.check(ex.solve()))):
            assert all(len(line) <= 100 for line in text.splitlines()), kind


# -- a story told from the engine's data, and feedback that opens with its verdict ---------------------------------


def test_long_feedback_opens_with_a_one_line_verdict_and_short_feedback_does_not():
    """A student sees right or wrong, what they answered and what the answer is, on the first line of a long
    explanation; the reason follows on the next line instead of trailing the verdict."""
    ex = exercises.generate(8, kind="survives")
    wrong, right = str(ex.check("no")), str(ex.check("yes"))
    assert len(wrong.splitlines()) > 15 and len(right.splitlines()) > 15
    assert wrong.splitlines()[0] == "Not quite. You answered no; the answer is yes."
    assert wrong.splitlines()[1].startswith("A backup saved the change into BOOTBANK1's state.tgz")
    assert wrong.count("the answer is yes") == 1
    assert right.splitlines()[0] == "Correct. The answer is yes."
    assert ex.check("no").explanation.startswith("You answered no; the answer is yes: a backup saved")  # unchanged
    short = Exercise.from_steps("layer", (), subject="/etc/motd")
    text = str(short.check("etc"))
    assert len(text.splitlines()) <= 15 and text.startswith("Not quite. You answered etc; the answer is s.v00: ")
    assert str(ex.check(42)).startswith("Answer yes or no")


def test_a_state_verdict_too_long_for_one_line_names_what_is_missing_and_wrong():
    ex = Exercise.from_steps("state", (Step.append("/etc/ntp.conf", "server ntp.lab.local"), Step.backup()))
    first = str(ex.check(["etc/hosts", "etc/motd"])).splitlines()[0]
    assert first == "Not quite. 1 right; missing etc/ntp.conf, etc/shadow, etc/vmware/esx.conf; not in it: etc/motd."
    many = ["etc/hosts", "etc/motd", "etc/profile", "etc/pam.d/system-auth", "etc/lab.conf", "etc/ssh/sshd_config"]
    lines = str(ex.check(many)).splitlines()
    assert lines[0] == "Not quite. 1 of your names are right, 3 missing, 5 should not be there."
    assert lines[1].startswith("You answered etc/hosts, etc/lab.conf")  # the full answer follows
    assert str(ex.check(sorted(ex.solve()))).startswith("Correct. The answer is etc/hosts, etc/ntp.conf")


def test_the_story_says_created_from_the_event_data_not_from_its_words():
    """A file whose name holds the word "created" is changed, not created, by its second write."""
    ex = Exercise.from_steps(
        "layer", (Step.write("/opt/created.txt", "a"), Step.write("/opt/created.txt", "b")), subject="/opt/created.txt"
    )
    text = ex.check("opt").explanation
    assert '2. echo "b" > /opt/created.txt: /opt/created.txt was changed on the opt ramdisk' in text
    assert '1. echo "a" > /opt/created.txt: /opt/created.txt was created on the opt ramdisk' in text


def test_the_boot_loader_lines_carry_their_facts_by_what_the_banks_were():
    """F6: the first boot of an upgraded bank moves UPGRADING to DIRTY, and its confirmation DIRTY to VALID;
    F8/F45: Shift+R's lines; F5/F7: the bank booted."""
    up = Exercise.from_steps("bank", (Step.upgrade("7.0U3"), Step.reboot(), Step.rollback()))
    text = up.check("BOOTBANK1").explanation
    assert "(bootstate UPGRADING -> DIRTY) (F6); Booting BOOTBANK2" in text
    assert "its bank is confirmed (bootstate DIRTY -> VALID, F5, F6)" in text
    assert "Shift+R: Installed hypervisors: " in text and "(Default) (F8); Current hypervisor will permanently" in text
    assert "Are you sure? [y/n] y (F45); BOOTBANK2 is marked INVALID (bootstate=3) for good (F8)" in text
    assert re.search(
        r"Booting BOOTBANK1: build [\d.-]+, updated=\d+: the bootable bank with the highest updated= wins \(F5, F7\)",
        text,
    )
