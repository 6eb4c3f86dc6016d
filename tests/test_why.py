"""Every event says why, and explain()/diff() answer "where does this file come from, will it survive?" — walked
through the seed's story, asserting the content of each answer (ESXI-FACTS.md ids included)."""

from __future__ import annotations

import re

import esxistate as es


def test_every_event_of_the_story_has_a_why_with_facts():
    h = es.Host.demo("6.7")
    h.boot()
    h.install_vib(es.Vib.build("lab-motd", "1.0", {"/etc/motd": "lab\n"}, overlay=True))
    h.remove_vib("lab-motd")
    h.fs.write("/etc/rc.local.d/local.sh", "echo hi\n")
    h.power_loss()
    h.boot()
    h.fs.write("/etc/rc.local.d/local.sh", "echo hi\n")
    h.backup()
    h.advance(hours=1)
    h.configure("hostname", "lab01")
    h.upgrade("7.0")
    h.reboot()
    h.upgrade("7.0U3")
    h.reboot(rollback=True)
    for event in h.history:
        assert event.why, event
        assert event.facts and all(re.fullmatch(r"F\d{1,2}", f) for f in event.facts), event
        assert event.why.endswith(f"({', '.join(event.facts)})")


def test_the_story_step_by_step():
    h = es.Host.demo("6.7")
    events = h.boot()
    assert "highest updated=" in events[0].why and events[0].facts == ("F4", "F5", "F6", "F7")
    assert "decompresses each module" in events[2].why and "read-only" in events[2].why  # F46
    assert "F39" in events[2].facts and "F46" in events[2].facts
    restore = events[4]
    assert "local.tgz is unpacked" in restore.why and restore.facts == ("F38", "F25")

    # a VIB overlays /etc/motd: the live install mounts its tardisk on top
    h.install_vib(es.Vib.build("lab-motd", "1.0", {"/etc/motd": "lab\n"}, overlay=True))
    assert h.history[-1].facts == ("F33", "F15", "F39", "F32", "F46")
    ex = h.explain("/etc/motd")
    assert (ex.layer, ex.shadowed) == ("lab_motd.v00", ("s.v00",))
    assert str(ex.on_reboot) == "unchanged: tardisk lab_motd.v00 is mounted again (F39)"
    h.remove_vib("lab-motd")
    assert h.explain("/etc/motd").layer == "s.v00"

    # an /etc edit branches onto the etc ramdisk, with its twin
    change = h.history[-1]
    h.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho hi\nexit 0\n")
    branch = h.history[-1]
    assert branch is not change and branch.kind == "branch"
    assert branch.why.startswith(
        "/etc/rc.local.d/local.sh was copied from the tardisk s.v00 onto the etc ramdisk because you changed it: "
        "tardisks are read-only"
    )
    assert "kept the original as /etc/rc.local.d/.#local.sh" in branch.why and branch.facts == ("F27", "F25", "F16")
    ex = h.explain("/etc/rc.local.d/local.sh")
    assert ex.twin == "/etc/rc.local.d/.#local.sh" and ex.in_state is False
    assert str(ex.on_power_loss) == "lost: the copy in tardisk s.v00 comes back (F23)"
    assert str(ex.on_reboot) == "kept: the shutdown runs backup.sh 1, which saves it (F13, F16)"
    assert str(ex.at_next_cron) == "saved: auto-backup.sh sees it differs and runs backup.sh (F12, F14)"

    # power loss loses it
    loss = h.power_loss()
    assert "backup.sh 1 never ran" in loss.why and loss.facts == ("F23",)
    h.boot()
    assert h.explain("/etc/rc.local.d/local.sh").layer == "s.v00"

    # the edit again, auto-backup.sh, and now a power loss keeps it
    h.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho hi\nexit 0\n")
    h.backup()
    saved = h.history[-1]
    assert saved.kind == "backup" and "run by hand" in saved.why and saved.facts == ("F14", "F16", "F17")
    ex = h.explain("/etc/rc.local.d/local.sh")
    assert ex.in_state and ex.matches_state and ex.saved_since == saved.time
    assert str(ex.on_power_loss) == "kept: state.tgz already holds this content (F23, F38)"
    assert str(ex.at_next_cron) == "nothing to do: auto-backup.sh finds it equal to state.tgz (F14)"

    # a non-sticky file: no twin, never saved
    h.fs.write("/etc/pam.d/system-auth", "auth sufficient pam_permit.so\n")
    assert "It has no .# twin" in h.history[-1].why and h.history[-1].facts == ("F27", "F25", "F26")
    ex = h.explain("/etc/pam.d/system-auth")
    assert str(ex.on_reboot) == "lost (it has no .# twin): the copy in tardisk s.v00 comes back (F16, F27)"

    # the hourly cron run saves a later edit
    h.fs.write("/etc/hosts", h.fs.read_text("/etc/hosts") + "10.0.0.9 nas\n")
    h.advance(hours=1)
    cron = [e for e in h.history if e.kind == "backup"][-1]
    assert "minute 1 of the hour" in cron.why and cron.facts[:2] == ("F12", "F14")

    # the major upgrade, which cannot be rolled back, then an update that can
    h.upgrade("7.0")
    assert "bootstate=1 (UPGRADING)" in h.history[-1].why and "backup.sh 0 /altbootbank" in h.history[-1].why
    assert "never bring 6.x back" in h.history[-1].why and "F45" in h.history[-1].facts  # the major upgrade
    events = h.reboot()
    relayout = next(e for e in events if e.kind == "relayout")
    assert "Shift+R cannot go back" in relayout.why and relayout.facts == ("F45",)
    h.upgrade("7.0U3")
    events = h.reboot(rollback=True)
    loader = next(e for e in events if e.kind == "bootloader")
    assert "Shift+R" in loader.why and "F8" in loader.facts and "one step back" in loader.why


def test_deleting_a_persisted_file_explained():
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.delete("/etc/hosts")
    event = h.history[-1]
    assert "whiteout" in event.why and "drops out of the next backup" in event.why
    assert event.facts == ("F27", "F39", "F14", "F16")
    ex = h.explain("/etc/hosts")
    assert ex.deleted and not ex.exists
    assert str(ex.at_next_cron) == "nothing: deleting alone does not trigger auto-backup.sh (F14)"
    assert str(ex.on_power_loss) == "it comes back from state.tgz (F23, F38)"


def test_diff_between_two_events_shows_branch_and_persistence():
    h = es.Host.demo("6.7")
    h.boot()
    start = h.history[-1]
    h.fs.write("/etc/ntp.conf", "server ntp.lab\n")
    h.fs.write("/etc/new.conf", "x\n")
    h.fs.delete("/etc/motd")
    h.backup()
    d = h.diff(start)
    assert d.branched == (("/etc/ntp.conf", "s.v00", "etc"),)
    assert "/etc/new.conf" in d.added and "/etc/.#ntp.conf" in d.added
    assert d.removed == ("/etc/motd",) and "/etc/ntp.conf" in d.changed
    assert d.persisted == ("/etc/ntp.conf",)
    assert "> /etc/ntp.conf branched from s.v00 onto the etc ramdisk" in str(d)
    assert h.diff(h.history[-1], h.history[-1]).__str__() == "no change"


def test_stateless_and_powered_off_explanations():
    h = es.Host.demo(stateless=True)
    h.boot()
    h.fs.write("/etc/hosts", "x\n")
    ex = h.explain("/etc/hosts")
    assert ex.in_state is None and "F41" in ex.on_reboot.facts


def test_magic_why(capsys, ipython):
    ip = ipython
    h = es.Host.demo("6.7")
    h.boot()
    es.use(h)
    ip.run_line_magic("esxi", "why /etc/shadow")
    out = capsys.readouterr().out
    assert out.startswith("/etc/shadow\n  where it comes from: the etc ramdisk")
    assert "in state.tgz: yes" in out


def test_explanations_say_where_the_simulator_simplifies():
    h = es.Host.demo("7.0", secure_config=True)
    events = h.boot()
    restore = next(e for e in events if e.kind == "restore")
    assert "stand-in cipher, not VMware's" in restore.why and "F36" in restore.facts
    assert "stand-in files" in events[1].why  # the VMkernel modules


def test_an_interrupted_backup_says_whether_state_tgz_changed():
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.5 nas\n", append=True)
    h.backup(power_loss_after="wrap_state_tmp")
    before = next(e for e in reversed(h.history) if e.kind == "backup")
    assert "had chosen 3 files" in before.summary and "saved" not in before.summary
    assert before.summary.endswith("POWER LOST after step wrap_state_tmp, before the rename: state.tgz is unchanged")
    assert "renames it into place only at the end" in before.why and "the old state.tgz is still whole" in before.why
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.6 nas2\n", append=True)
    h.backup(power_loss_after="rename_state")
    after = next(e for e in reversed(h.history) if e.kind == "backup")
    assert "saved 3 files" in after.summary and after.summary.endswith("after step rename_state, after the rename")


def test_a_throttled_hostd_backup_is_not_called_auto_backup():
    h = es.Host.demo("6.7")
    h.boot()
    for n in range(7):
        h.configure("hostname", f"lab{n}")
    skipped = h.history[-1]
    assert skipped.kind == "backup-skipped"
    assert skipped.summary.startswith("hostd did not start a backup: hostd already started 6 backups")
    assert "auto-backup.sh" not in skipped.summary


def test_the_bootloader_why_names_only_the_transitions_that_happened():
    h = es.Host.demo("6.7")
    plain = h.boot()[0]
    assert "found no bank waiting for its first boot" in plain.why and "DIRTY" not in plain.why
    h.upgrade("7.0")
    first_try = h.reboot()
    loader = next(e for e in first_try if e.kind == "bootloader")
    assert "marked the freshly written bank DIRTY for its first try" in loader.why
    assert "never confirmed" not in loader.why


def test_ramdisk_full_says_how_much_the_write_would_take():
    h = es.Host.demo("6.7")
    h.boot()
    room = next(r for r in h.ramdisks if r.name == "iofilters").free
    try:
        h.fs.write("/var/run/iofilters/big", b"x" * (room + 5))
    except es.errors.RamdiskFull as err:
        assert err.needed == room + 5 and err.free == room
        assert f"Writing it would take {room + 5} more bytes; only {room} bytes are free." in str(err)
    else:
        raise AssertionError("the write should not fit")


def test_the_configstore_copy_in_local_tgz_is_explained_as_saved_and_the_host_name_stays_in_esx_conf():
    from esxistate import configstore

    h = es.Host.demo("7.0")
    h.boot()
    text = str(h.explain("/var/lib/vmware/configstore/backup/current-store-1"))
    assert "lost" not in text and "restored from local.tgz" in text and "F35" in text
    h.configure("hostname", "lab07")
    store = h.fs.read("/etc/vmware/configstore/current-store-1")
    assert configstore.read_value(store, "esx", "network", "host_name") is None  # F35: in esx.conf until 8.0
    assert configstore.read_value(store, "esx", "authentication", "user_accounts", "root")["name"] == "root"
    assert 'HostName = "lab07"' in h.fs.read_text("/etc/vmware/esx.conf")


# -- persistence: the one rule behind why, explain and the exercises --------------------------------------------------


def test_fate_names_why_backup_sh_saves_a_file_or_not():
    """F16: backup.sh saves the /etc files with a .# twin; F25: a content write to a sticky file makes the twin;
    F26: the image decides which files are sticky; a file you create gets none; nothing outside /etc is saved."""
    from esxistate import persistence

    h = es.Host.demo()
    h.boot()
    snap = h.snapshot()
    assert persistence.image_reason(snap, "/etc/ntp.conf") == persistence.STICKY
    assert persistence.image_reason(snap, "/etc/motd") == persistence.NOT_STICKY
    assert persistence.image_reason(snap, "/etc/lab.conf") == persistence.CREATED
    assert persistence.image_reason(snap, "/opt/notes.txt") == persistence.OUTSIDE_ETC
    h.fs.write("/etc/ntp.conf", "server ntp.lab.local\n")
    made = h.history[-1].details["twin"]
    assert persistence.reason(h.snapshot(), "/etc/ntp.conf", twin_made=made) == persistence.TWIN_MADE
    f = persistence.fate(h, "/etc/ntp.conf")
    assert (f.reason, f.persisted, f.twin, f.in_state) == (persistence.TWIN, True, "/etc/.#ntp.conf", False)
    assert str(f.on_power_loss) == "lost: the copy in tardisk s.v00 comes back (F23)"
    assert str(f.at_next_backup) == "saved: auto-backup.sh sees it differs and runs backup.sh (F12, F14)"
    assert f.facts[:2] == ("F16", "F13")
    h.fs.write("/etc/motd", "lab\n")
    motd = persistence.fate(h.snapshot(), "/etc/motd")
    assert (motd.reason, motd.persisted) == (persistence.NOT_STICKY, False)
    assert "without the sticky bit" in motd.because and str(motd.on_reboot).startswith("lost (it has no .# twin)")
    h.backup()
    assert persistence.fate(h, "/etc/ntp.conf").matches_state is True


def test_why_explain_and_the_exercises_agree_on_a_file_that_is_not_saved():
    """The same rule in three voices: an event's why, explain(), and an exercise's worked step."""
    from esxistate import exercises, persistence

    h = es.Host.demo()
    h.boot()
    h.fs.write("/etc/lab.conf", "lab=1\n")
    assert "backup.sh will not save it" in h.history[-1].why
    assert str(h.explain("/etc/lab.conf").on_reboot).startswith("lost (it has no .# twin)")
    assert persistence.fate(h, "/etc/lab.conf").reason == persistence.CREATED
    ex = exercises.Exercise.from_steps(
        "survives",
        [exercises.Step.write("/etc/lab.conf", "lab=1"), exercises.Step.reboot()],
        subject="/etc/lab.conf",
        probe="lab=1",
    )
    assert (
        "a file you create has no .# twin, so no backup ever saves /etc/lab.conf (F16, F25)"
        in ex.check("no").explanation
    )
    assert "you created /etc/lab.conf: a new file has no .# twin" in ex.check("yes").explanation
