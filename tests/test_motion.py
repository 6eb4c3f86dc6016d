"""The scenes that animate a history (esxistate.render.motion): each is drawn from event data and plays by CSS alone,
so a Timeline in a notebook and the offline lesson file show the same motion with no kernel and no script."""

from __future__ import annotations

import re

import pytest

import esxistate as es
from esxistate.bootbank import BankState
from esxistate.render import motion


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("6.7")
    h.boot()
    return h


def _last_scene(host: es.Host) -> str:
    return motion.scene(host.history, len(host.history) - 1)


def test_a_branching_write_copies_the_file_onto_the_ramdisk_and_its_twin_appears(host):
    """A write to a sticky /etc file that only a tardisk holds copies that one file onto the etc ramdisk and keeps
    the original as its .# twin (F27, F25)."""
    host.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho hello\nexit 0\n")
    scene = _last_scene(host)
    assert 'data-scene="branch"' in scene and "tardisk s.v00" in scene and "etc ramdisk" in scene
    copy = re.search(r'<g class="esm-copy" style="--dx:(-?\d+)px">(.*?)</g>', scene)
    assert copy and int(copy[1]) < 0 and ">local.sh<" in copy[2]  # slides in from the tardisk on the left
    assert re.search(r'<g class="esm-appear">.*?>\.#local\.sh<', scene)
    assert "(F27, F25, F16)" in scene


def test_a_file_without_the_sticky_bit_branches_with_no_twin(host):
    """/etc/pam.d/system-auth is not sticky: the copy gets no .# twin, so no backup saves it (F25, F16)."""
    host.fs.write("/etc/pam.d/system-auth", "auth required pam_permit.so\n")
    scene = _last_scene(host)
    assert "esm-copy" in scene and ".#system-auth" not in scene and "no .# twin" in scene


def test_a_second_write_changes_the_ramdisk_copy_in_place(host):
    """The second write finds its copy on the ramdisk: nothing is copied, the tardisk copy stays hidden under it and
    the .# twin made by the first write is already there (F27, F25)."""
    host.fs.write("/etc/rc.local.d/local.sh", "one\n")
    host.fs.write("/etc/rc.local.d/local.sh", "two\n")
    scene = _last_scene(host)
    assert "esm-copy" not in scene and "esm-pulse" in scene and "esm-appear" not in scene
    assert "tardisk s.v00" in scene and "unchanged, hidden by the copy" in scene and ">.#local.sh<" in scene
    host.fs.write("/etc/pam.d/system-auth", "one\n")
    host.fs.write("/etc/pam.d/system-auth", "two\n")
    assert "nothing is copied again (F27)" in _last_scene(host)  # no twin: the plain in-place change


def test_clock_strip_marks_cron_at_minute_1_and_what_each_run_did(host):
    """crond runs auto-backup.sh at minute 1 of every hour; it writes state.tgz only when a file to save changed
    (F12, F14)."""
    host.fs.write("/etc/hosts", "10.0.0.5 nas\n")
    host.advance(hours=2)
    history = host.history
    marks = [(lane, f"{t:%H:%M}", saved) for lane, t, _label, saved, _i in motion._marks(history, len(history) - 1)]
    assert marks == [("cron", "09:01", True), ("cron", "10:01", False)]
    scene = _last_scene(host)
    assert 'data-scene="clock"' in scene and "<title>09:01 cron: " in scene and "<title>10:01 cron: nothing" in scene
    assert scene.count('fill="#385723" stroke=') == 1  # one filled mark: the run that saved


def test_clock_strip_has_hostd_by_hand_and_a_power_cut_in_their_own_lanes(host):
    """hostd backs up right after a change made through it (F21), auto-backup.sh can be run by hand (F14, KB
    2043048), and a power cut runs no backup at all, so what changed since the last one is lost (F23)."""
    host.configure("hostname", "lab1")
    host.fs.write("/etc/hosts", "10.0.0.5 nas\n")
    host.backup()
    host.fs.write("/etc/hosts", "10.0.0.6 nas\n")
    host.power_loss()
    lanes = [lane for lane, *_ in motion._marks(host.history, len(host.history) - 1)]
    assert lanes == ["hostd", "manual", "power"]
    scene = _last_scene(host)
    for words in ("hostd after a change (F21)", "by hand: auto-backup.sh", "power cut: no backup (F23)"):
        assert words in scene
    assert "changes since the last backup: lost" in scene


def test_the_cursor_slides_from_the_previous_event_s_time(host):
    host.advance(hours=1)
    scene = _last_scene(host)
    dx = float(re.search(r'<g class="esm-slide" style="--dx:(-?[\d.]+)px"><line', scene)[1])
    assert dx < 0  # the clock moved forward: the cursor comes from the left


def test_bootstate_moves_through_an_update_its_first_boot_and_shift_r():
    """7.0 -> 7.0 U3: the new bank is written UPGRADING, its first boot makes it DIRTY, the running system confirms
    it VALID, and Shift+R marks it INVALID for good (F5, F6, F8, F45)."""
    h = es.Host.demo("7.0")
    h.boot()
    h.upgrade("7.0U3")
    h.reboot()
    h.reboot(rollback=True)
    moves = []
    for i, e in enumerate(h.history):
        for label, old, new in motion.bank_moves(h.history[i - 1].snapshot if i else None, e.snapshot):
            moves.append((e.kind, label, old, new))
    assert moves == [
        ("upgrade", "BOOTBANK2", None, BankState.UPGRADING),
        ("bootloader", "BOOTBANK2", BankState.UPGRADING, BankState.DIRTY),
        ("boot-complete", "BOOTBANK2", BankState.DIRTY, BankState.VALID),
        ("bootloader", "BOOTBANK2", BankState.VALID, BankState.INVALID),
    ]
    hot = {
        "upgrade": "new image written",
        "bootloader": "first boot",
        "boot-complete": "boot confirmed",
    }
    seen = set()
    for i, e in enumerate(h.history):
        scene = motion.scene(h.history, i)
        label = re.findall(r'class="esm-hotlabel">([^<(]+)', scene)
        if e.kind in hot and e.kind not in seen and label:
            assert label[0].startswith(hot[e.kind]), e.kind
            seen.add(e.kind)
    assert seen == set(hot)
    last = motion.scene(h.history, len(h.history) - 1 - [e.kind for e in reversed(h.history)].index("bootloader"))
    assert re.search(r'class="esm-hotlabel">Shift\+R', last)
    assert re.search(r'<g class="esm-slide" style="--dx:-720px">.*?BOOTBANK2', last)  # from 0 VALID to 3 INVALID


def test_power_cut_lists_each_changed_file_s_fate_from_explain(host):
    """A sticky file saved by a backup is kept; an edit made after it goes back to state.tgz's copy; a file with no
    .# twin is lost (F16, F23, F38)."""
    host.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho kept\nexit 0\n")
    host.backup()
    host.fs.write("/etc/hosts", "10.0.0.5 nas\n")
    host.fs.write("/etc/pam.d/system-auth", "auth required pam_permit.so\n")
    host.power_loss()
    fates, saved = motion.lost_at_power_cut(host.history, len(host.history) - 1)
    assert [(path, kept) for path, kept, _ in fates] == [
        ("/etc/rc.local.d/local.sh", True),
        ("/etc/hosts", False),
        ("/etc/pam.d/system-auth", False),
    ]
    assert fates[1][2].startswith("back to the older copy in state.tgz") and fates[2][2].startswith("lost")
    assert "/etc/rc.local.d/local.sh" in saved and "/etc/pam.d/system-auth" not in saved


def test_power_cut_on_an_encrypted_configuration_names_its_members_and_claims_no_fate():
    """From 7.0 U2 state.tgz holds local.tgz.ve and encryption.info (F36): without the host's key the scene cannot
    say which copy comes back, so it says so instead of guessing."""
    h = es.Host.demo("7.0", secure_config=True)
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.5 nas\n")
    h.power_loss()
    fates, saved = motion.lost_at_power_cut(h.history, len(h.history) - 1)
    assert saved == ["encryption.info", "local.tgz.ve"]
    assert fates == [("/etc/hosts", None, fates[0][2])] and "encrypted (F36)" in fates[0][2]
    scene = motion.scene(h.history, len(h.history) - 1)
    assert '<span class="esm-mono">/etc/hosts</span>' in scene and "esm-lost" not in scene


def test_scenes_play_without_script_and_quiet_events_have_none(host):
    host.fs.write("/etc/hosts", "x\n")
    host.advance(hours=1)
    host.power_loss()
    scenes = [motion.scene(host.history, i) for i in range(len(host.history))]
    assert not any("<script" in s for s in scenes)
    kinds = [e.kind for e in host.history]
    assert scenes[kinds.index("vmkernel")] == "" and scenes[kinds.index("tardisks")] == ""
    assert "@keyframes" in motion.STYLE and "prefers-reduced-motion" in motion.STYLE


def _animation_ends(style: str) -> dict[str, float]:
    """class -> seconds until its animation ends (delay + duration x repeats), for every finite animation in `style`,
    read declaration by declaration as a browser would."""
    ends = {}
    for rule, body in re.findall(r"\.(esm-[\w-]+)\{([^{}]*animation:[^{}]*)\}", style):
        words = body.split("animation:")[1].split(";")[0].split()
        if "infinite" in words:
            continue
        times = [float(w[:-1]) for w in words if re.fullmatch(r"\d*\.?\d+s", w)]
        repeats = next((float(w) for w in words if re.fullmatch(r"\d+", w)), 1.0)
        ends[rule] = (times[1] if len(times) > 1 else 0.0) + times[0] * repeats
    return ends


def test_autoplay_waits_for_the_longest_scene_motion():
    """SCENE_MS, the pace of the Timeline's Play and of the lesson file's play button, is at least as long as every
    finite animation of a scene, so no frame replaces a scene still moving."""
    ends = _animation_ends(motion.STYLE)
    assert {"esm-copy", "esm-appear", "esm-pulse", "esm-slide", "esm-dark", "esm-later"} <= set(ends)
    assert ends["esm-pulse"] == pytest.approx(3.6)  # 1.2 s, three times
    assert ends["esm-dark"] == pytest.approx(2.3)  # 2 s after a 0.3 s delay
    assert 1000 * max(ends.values()) <= motion.SCENE_MS
    assert motion.SCENE_MS == 3600


def test_the_lesson_file_plays_at_the_scene_pace(tmp_path):
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/motd", "hello\n")
    page = es.export.html(h.history, tmp_path / "lesson.html").read_text()
    assert re.findall(r"setInterval\(function\(\)\{.*?\},(\d+)\)", page) == [str(motion.SCENE_MS)]
