"""Widgets driven without a browser, as ipywidgets' own tests do: set `.value`, call `.click()`, then assert on the
host and on what the widget shows."""

from __future__ import annotations

import pytest

import esxistate as es

pytest.importorskip("ipywidgets")

from esxistate.render.still import STILL_NOTE
from esxistate.render.widgets import SAMPLE_VIB, Dashboard, Quiz, Shell, Timeline


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("6.7")
    h.boot()
    return h


def test_dashboard_shows_the_host_and_its_panels(host):
    d = Dashboard(host)
    assert "ESXi 6.7 host" in d.header.value and "/bootbank = BOOTBANK1" in d.header.value
    assert "<svg" in d.diagram.value or "<table" in d.diagram.value
    assert d.content.value == host.fs.read_text("/etc/hosts")
    assert [c.children[1].value.split("</code>")[0][6:].strip() for c in d.ramdisks.children] == [
        "root",
        "etc",
        "opt",
        "var",
        "tmp",
    ]
    assert "BOOTBANK1" in d.banks.value and "VALID" in d.banks.value and "← booted" in d.banks.value
    assert d.buttons["boot"].disabled and not d.buttons["reboot"].disabled


def test_saving_a_file_branches_it_and_every_panel_updates(host):
    d = Dashboard(host, path="/etc/ntp.conf")
    etc_before = d.ramdisks.children[1].children[0].value
    d.content.value = "server ntp.lab\n"
    d.buttons["save"].click()
    assert host.fs.read_text("/etc/ntp.conf") == "server ntp.lab\n"
    assert host.fs.resolve("/etc/ntp.conf").layer == "etc"
    assert "branched from tardisk s.v00" in d.message.value and "(F27, F25, F16)" in d.message.value
    assert d.ramdisks.children[1].children[0].value > etc_before
    d.buttons["why"].click()
    assert "at the next hourly cron run: saved" in d.message.value


def test_actions_reach_the_engine(host):
    d = Dashboard(host, path="/etc/motd")
    d.buttons["install"].click()
    assert SAMPLE_VIB.name in {v.name for v in host.vibs}
    assert d.content.value.startswith("Welcome to the esxistate lab")
    d.buttons["remove"].click()
    assert SAMPLE_VIB.name not in {v.name for v in host.vibs}
    d.buttons["hour"].click()
    assert host.clock.hour == 10 and "10:00" in d.header.value
    d.buttons["power_loss"].click()
    assert not host.powered_on and "powered off" in d.diagram.value and d.buttons["reboot"].disabled
    d.buttons["boot"].click()
    assert host.powered_on and "running" in d.header.value


def test_an_engine_error_is_a_message_not_a_traceback(host):
    d = Dashboard(host, path="/etc/hosts")
    d.buttons["remove"].click()  # the sample VIB is not installed
    assert "No VIB named &#x27;lab-motd&#x27; is installed" in d.message.value
    d.path.value = "/etc/nope"
    assert "does not exist" in d.message.value


def test_file_browser_navigates(host):
    d = Dashboard(host, path="/etc/hosts")
    assert "pam.d/" in d.browser.options and "hosts" in d.browser.options
    d.browser.value = "pam.d/"
    assert d.path.value == "/etc/pam.d/" and "system-auth" in d.browser.options
    d.browser.value = "system-auth"
    assert d.path.value == "/etc/pam.d/system-auth" and d.content.value.startswith("auth required")
    d.browser.value = "../"
    assert d.path.value == "/etc/"


def test_timeline_replays_the_history_with_captions_and_caches_frames(host):
    host.fs.write("/etc/hosts", "x\n")
    host.power_loss()
    t = Timeline(host)
    assert t.slider.max == len(host.history) - 1 == t.play.max
    assert "1/" in t.caption.value and "bootloader" in t.caption.value and "Why: safeboot" in t.caption.value
    t.slider.value = 6
    assert "branch" in t.caption.value or "write" in t.caption.value
    frame = t.diagram.value
    assert 6 in t._cache
    t.prev.click()
    assert t.slider.value == 5
    t.next.click()
    assert t.slider.value == 6 and t.diagram.value is frame  # served from the cache, not re-rendered
    t.slider.value = t.slider.max
    assert "power-loss" in t.caption.value and "powered off" in t.diagram.value.lower()
    t.next.click()
    assert t.slider.value == t.slider.max  # does not run past the end


def test_timeline_play_drives_the_slider(host):
    t = Timeline(host)
    t.play.value = 3
    assert t.slider.value == 3 and "4/" in t.caption.value


def test_timeline_play_waits_for_a_scene_to_finish(host):
    """Play ticks no faster than the longest scene motion (motion.SCENE_MS): 900 ms cut a 1.6-3.6 s scene short."""
    from esxistate.render import motion

    assert Timeline(host).play.interval == motion.SCENE_MS >= 3600
    assert Timeline(host, interval_ms=900).play.interval == motion.SCENE_MS
    assert Timeline(host, interval_ms=6000).play.interval == 6000


@pytest.mark.parametrize("bad", [-1, 1.5, "fast", True])
def test_timeline_refuses_an_interval_that_is_not_milliseconds(host, bad):
    with pytest.raises(es.errors.InvalidValue, match="interval_ms"):
        Timeline(host, interval_ms=bad)


def test_timeline_position_agrees_with_the_caption(host):
    """The slider's own readout counted from 0 while the caption said "1/N": the slider now shows no number and
    the position beside it counts as the caption does."""
    t = Timeline(host)
    count = len(host.history)
    assert t.slider.readout is False
    for value in (0, 3, count - 1):
        t.slider.value = value
        number = f"{value + 1}/{count}"
        assert t.position.value == f"<b>{value + 1} / {count}</b>" and f"<b>{number} · " in t.caption.value
    assert t.children[0].children[2] is t.position  # beside the slider


def test_timeline_frames_carry_the_scenes_that_animate_them(host):
    """The same CSS scenes as the offline lesson: a branching write, the clock strip, a power cut, bootstate."""
    host.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho hello\nexit 0\n")
    host.advance(hours=1)
    host.power_loss()
    t = Timeline(host)
    kinds = [e.kind for e in host.history]
    t.slider.value = kinds.index("branch")
    assert (
        'data-scene="branch"' in t.diagram.value and "esm-copy" in t.diagram.value and "@keyframes" in t.diagram.value
    )
    t.slider.value = kinds.index("clock")
    assert 'data-scene="clock"' in t.diagram.value
    t.slider.value = kinds.index("power-loss")
    assert 'data-scene="power-cut"' in t.diagram.value and "Boot banks of" in t.diagram.value
    t.slider.value = 0
    assert 'data-scene="bootstate"' in t.diagram.value
    t.slider.value = kinds.index("vmkernel")
    assert "esm-scene" not in t.diagram.value and "<style>" not in t.diagram.value  # nothing to animate


def test_shell_widget_runs_commands_and_keeps_history(host):
    s = Shell(host)
    s.line.value = "echo 10.0.0.5 nas >> /etc/hosts"
    s.line.value = "cat /nope"
    assert (
        "[root@esxi:~] cat /nope\ncat: can&#x27;t open &#x27;/nope&#x27;: No such file or directory" in s.output.value
    )
    assert "10.0.0.5 nas" in host.fs.read_text("/etc/hosts")
    assert s.history.options == ("echo 10.0.0.5 nas >> /etc/hosts", "cat /nope")
    assert s.line.value == ""
    s.line.value = "cd /etc"
    assert "[root@esxi:/etc]" in s.prompt.value
    s.history.value = "cat /nope"
    assert s.line.value == "cat /nope" or "cat /nope" in s.output.value


def test_quiz_checks_answers_and_explains(host):
    q = Quiz(8, kind="survives")
    assert "Exercise 8 (survives)" in q.question.value
    right = q.exercise.solve()
    wrong = "no" if str(right).lower() in ("yes", "true") else "yes"
    q.answer.value = wrong
    q.check.click()
    assert q.feedback.value.count("Not quite.") == 1
    q.answer.value = str(right)
    q.check.click()
    assert "Correct." in q.feedback.value
    q.new.click()
    assert q.seed == 9 and q.feedback.value == ""


def test_dashboard_fault_buttons_slow_and_lost_boot_device():
    """The boot-device faults of F47 from the Dashboard: power on with a slow boot device (the header says where
    /bootbank points), the fix, then a lost device whose alert shows as the message."""
    h = es.Host.demo("7.0")
    d = Dashboard(h)
    assert not d.buttons["slow_boot"].disabled and d.buttons["lose_device"].disabled
    d.buttons["slow_boot"].click()
    assert h.boot_device == "slow" and "/bootbank -&gt; /tmp" in d.header.value
    assert "(F47" in d.message.value and not d.buttons["restore_bootbanks"].disabled
    assert "← booted (not mounted: /bootbank -> /tmp)" in d.banks.value
    d.buttons["backup"].click()
    assert "/tmp" in d.message.value and h.history[-1].kind == "backup-to-memory"
    d.buttons["restore_bootbanks"].click()
    assert h.boot_device == "ok" and "/bootbank = BOOTBANK1" in d.header.value
    assert d.buttons["restore_bootbanks"].disabled
    d.buttons["lose_device"].click()
    assert "boot device mpx.vmhba32:C0:T0:L0 lost" in d.header.value and "Lost connectivity" in d.message.value
    assert "← booted (device lost)" in d.banks.value
    d.buttons["backup"].click()
    assert "ALERT: Bootbank cannot be found at path &#x27;/bootbank&#x27;" in d.message.value
    d.path.value = "/"
    assert "bootbank" in d.browser.options and "etc/" in d.browser.options  # the dangling link is listed
    d.buttons["lose_device"].click()  # a second time: the engine refuses, the widget shows why
    assert "already lost" in d.message.value
    d.buttons["power_loss"].click()
    assert d.buttons["slow_boot"].disabled is False and d.buttons["restore_bootbanks"].disabled


# -- the still: what a widget shows where no kernel runs the notebook ----------------------------------------------

VIEW = "application/vnd.jupyter.widget-view+json"


def _png_of(still: str) -> bytes:
    import base64
    import re

    match = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', still)
    assert match, "the still holds no PNG picture"
    return base64.b64decode(match[1])


@pytest.mark.parametrize("make", [Dashboard, Timeline, Shell, lambda host: Quiz(3)])
def test_every_widget_keeps_its_live_view_and_adds_a_still_and_a_readable_text(host, make):
    """The widget view stays in the bundle (a running notebook shows the live widget: JupyterLab ranks it first);
    text/html is the still, text/plain a sentence instead of the repr `Quiz(children=(HTML(value=...`."""
    widget = make(host)
    bundle = widget._repr_mimebundle_()
    assert bundle[VIEW]["model_id"] == widget.model_id
    assert "esxistate-still" in bundle["text/html"] and STILL_NOTE in bundle["text/html"]
    assert "children=(" not in bundle["text/plain"] and bundle["text/plain"].endswith(f"({STILL_NOTE})")
    assert "<svg" not in bundle["text/html"]  # a sanitizer strips inline SVG: diagrams are PNG in a still
    assert set(widget._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert "text/html" not in widget._repr_mimebundle_(exclude=["text/html"])


def test_the_dashboard_still_shows_what_it_shows_now_with_the_diagram_as_a_png(host):
    d = Dashboard(host, path="/etc/hosts")
    still = d.still()
    assert "ESXi 6.7 host" in still and "<button disabled" in still and "Install sample VIB" in still
    assert "localhost.localdomain" in still  # the file in the editor
    assert "BOOTBANK1" in still and "<code>etc" in still  # boot banks and ramdisks
    first = _png_of(still)
    assert first.startswith(b"\x89PNG")
    d.path.value = "/etc/motd"
    d.buttons["install"].click()
    later = d.still()
    assert "Welcome to the esxistate lab" in later and "localhost.localdomain" not in later
    assert _png_of(later) != first  # the diagram now shows lab_motd.v00 serving /etc/motd
    assert d._repr_mimebundle_()["text/plain"].startswith("Dashboard: ESXi 6.7 host esxi · running")
    d.buttons["power_loss"].click()
    assert "powered off" in d.still() and "<img" not in d.still()


def test_the_timeline_still_follows_its_slider(host):
    host.fs.write("/etc/hosts", "x\n")
    t = Timeline(host)
    first = t.still()  # the boot loader: nothing in memory yet, so the picture is the boot banks it chooses from
    assert "1/" in first and _png_of(first).startswith(b"\x89PNG")
    t.slider.value = t.slider.max
    assert f"{t.slider.max + 1}/{t.slider.max + 1}" in t.still() and _png_of(t.still()).startswith(b"\x89PNG")
    assert t._repr_mimebundle_()["text/plain"].startswith(f"Timeline: {t.slider.max + 1}/")


def test_the_quiz_still_shows_its_choices_or_its_answer_box_never_both():
    with_choices = Quiz(19)
    assert with_choices.exercise.options
    still = with_choices.still()
    assert still.count("○") == len(with_choices.exercise.options) and "your answer" not in still
    typed = Quiz(3)
    assert "your answer" in typed.still() and "○" not in typed.still()
    assert typed._repr_mimebundle_()["text/plain"].startswith("Quiz: Exercise 3 (survives)")


def test_the_shell_still_shows_the_transcript(host):
    s = Shell(host)
    s.run("vdf -h")
    assert "[root@esxi:~] vdf -h" in s.still() and "Ramdisk" in s.still()
    assert s._repr_mimebundle_()["text/plain"].startswith("Shell on esxi: [root@esxi:~] vdf -h")


def test_without_a_layout_program_the_still_shows_the_diagram_as_a_table(host, monkeypatch):
    from esxistate.render import svg

    monkeypatch.setattr(svg, "find_executable", lambda: None)
    still = Dashboard(host).still()
    assert "<img" not in still and "serves /etc/hosts" in still and "pip install graphviz-pure" in still


def test_quiz_shows_choices_once_as_buttons():
    """A multiple-choice exercise lists its options in the question text; the widget shows them as radio buttons
    only, not a second time in the question."""
    q = Quiz(3, kind="reverse")
    assert q.choices.options and "  A) " in q.exercise.question
    assert "  A) " not in q.question.value and "Which sequence was it?" in q.question.value


def test_quiz_an_answer_it_cannot_read_is_not_marked_wrong(host):
    q = Quiz(8, kind="survives")
    q.answer.value = "maybe"
    q.check.click()
    assert "Answer yes or no" in q.feedback.value
    assert "Not quite" not in q.feedback.value and "Correct" not in q.feedback.value
