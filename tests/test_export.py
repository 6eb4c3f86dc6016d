"""The offline HTML lesson: one self-contained file that opens on the story's title, has a frame per event with its
scene and diagram, ends on the file the story changed, stores each distinct diagram once; and a real headless
Chromium run from file:// that steps it with the keys, finds no blank frame and reads its text at a readable size."""

from __future__ import annotations

import io
import json
import re
import statistics
from collections import Counter

import pytest

import esxistate as es
from esxistate.render import html as lesson

CAPTIONS = re.compile(r'<script id="captions" type="application/json">(.*?)</script>', re.S)
SECTION = re.compile(r'<section class="frame" data-kind="([^"]*)" data-n="(\d+)">(.*?)</section>', re.S)
PARTS = re.compile(r'<script id="parts" type="application/json">(.*?)</script>', re.S)
PICTURES = re.compile(r'<script id="pictures" type="application/json">(.*?)</script>', re.S)
SLOT = re.compile(r'(<div class="[\w-]+" data-ref="(\w+)">)(</div>)')


@pytest.fixture
def history() -> list[es.Event]:
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.5 nas\n")
    h.backup()
    h.power_loss()
    h.boot()
    return h.history


def _long_story() -> list[es.Event]:
    """A 7.0 host over three hours: edits, cron, hostd, a backup, a power cut, an update and its rollback."""
    h = es.Host.demo("7.0")
    h.boot()
    for i in range(5):
        h.fs.write("/etc/hosts", f"10.0.0.{i} nas\n")
    h.advance(hours=3)
    h.configure("hostname", "lab2")
    h.backup()
    h.power_loss()
    h.boot()
    h.upgrade("7.0U3")
    h.reboot()
    h.reboot(rollback=True)
    return h.history


def _pictures(text: str) -> dict[str, str]:
    """id -> the markup the player assembles from the stored parts (as its JavaScript does on showing a frame)."""
    parts = json.loads(PARTS.search(text)[1]) if PARTS.search(text) else []
    pictures = json.loads(PICTURES.search(text)[1]) if PICTURES.search(text) else {}
    return {ref: "".join(parts[k] for k in ids) for ref, ids in pictures.items()}


def _parts(text: str) -> tuple[list[dict], list[tuple[str, str]], dict[str, str]]:
    """Captions, (kind, body) of each frame with its scene filled in, and the diagrams by id."""
    captions = json.loads(CAPTIONS.search(text)[1])
    pictures = _pictures(text)
    scenes = {ref: markup for ref, markup in pictures.items() if ref.startswith("sc")}

    def filled(body: str) -> str:
        return SLOT.sub(lambda m: m[1] + scenes[m[2]] + m[3] if m[2] in scenes else m[0], body)

    sections = [(kind, filled(body)) for kind, _n, body in SECTION.findall(text)]
    templates = {ref: markup for ref, markup in pictures.items() if ref.startswith("dg")}
    return captions, sections, templates


def _diagram_of(section_body: str, templates: dict[str, str]) -> str:
    ref = re.search(r'data-ref="(dg\d+)"', section_body)
    return templates[ref[1]] if ref else ""


def test_lesson_file_is_self_contained(tmp_path, history):
    path = es.export.html(history, tmp_path / "lesson.html")
    text = path.read_text()
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", text)  # nothing loaded from anywhere
    captions, sections, _templates = _parts(text)
    assert len(sections) == len(captions) == len(history) + 2  # the title, one per event, the changed file
    assert [kind for kind, _ in sections] == ["title", *(e.kind for e in history), "focus"]


def test_first_frame_is_the_title_named_after_the_story(tmp_path, history):
    text = es.export.html(history, tmp_path / "l.html", title="An edit that survives").read_text()
    captions, sections, _ = _parts(text)
    kind, body = sections[0]
    assert kind == "title" and "<h2>An edit that survives</h2>" in body
    assert "<title>An edit that survives</title>" in text and captions[0]["summary"].startswith("An edit that survives")
    assert 'data-go="2"' in body and "bootloader" in body  # the moments of the story, each a jump to its frame
    assert "ESXi 6.7" in body and f"{len(history)} events" in body


def test_without_a_title_the_lesson_is_named_after_what_the_story_does(tmp_path, history):
    text = es.export.html(history, tmp_path / "l.html").read_text()
    assert "<title>ESXi 6.7: a boot, an edit, a backup and a power cut</title>" in text
    assert "<h2>ESXi 6.7: a boot, an edit, a backup and a power cut</h2>" in text
    h = es.Host.demo("7.0")
    h.boot()
    h.upgrade("7.0U3")
    h.reboot()
    h.reboot(rollback=True)
    assert lesson.story_title(h.history) == "ESXi 7.0: a boot, an upgrade, a backup and Shift+R"


def test_captions_carry_summary_and_why(tmp_path, history):
    text = es.export.html(history, tmp_path / "lesson.html").read_text()
    captions, _, _ = _parts(text)
    events = captions[1 : 1 + len(history)]
    assert [c["head"].rpartition(" · ")[2] for c in events] == [e.kind for e in history]
    branch = events[[e.kind for e in history].index("write")]
    assert "/etc/hosts" in branch["summary"] and "(F27, F16)" in re.sub(r"<[^>]+>", "", branch["why"])
    assert '<abbr title="F27 (confirmed): A tardisk is read-only' in branch["why"]  # the fact on hover


def test_each_distinct_picture_and_part_is_stored_once_and_an_event_costs_under_100_kib():
    events = _long_story()
    text = lesson.render(events, title="Three hours of a 7.0 host")
    _, _sections, templates = _parts(text)
    parts = json.loads(PARTS.search(text)[1])
    assert len(set(parts)) == len(parts)  # no part of a picture stored twice
    assert len(set(_pictures(text).values())) == len(_pictures(text))  # no picture listed twice
    refs = Counter(re.findall(r'data-ref="(dg\d+)"', text))
    assert set(refs) == set(templates) and max(refs.values()) > 1  # frames share the diagrams they have in common
    raw = [body for _kind, _n, body in SECTION.findall(text)]
    assert not any('class="graph"' in body or "<svg" in body for body in raw[1:-1])  # frames point, never copy
    assert len(text.encode("utf-8")) / len(events) < 100 * 1024


def _clockwork_story(n: int) -> list[es.Event]:
    """`n` events of a 6.7 host: an edit each step, an hour passing every seventh (the diagrams' clock moves, so
    consecutive layer stacks differ in their title), and a backup every 29th."""
    h = es.Host.demo("6.7")
    h.boot()
    step = 0
    while len(h.history) < n:
        step += 1
        h.fs.write("/etc/hosts", f"10.0.0.{step % 250} lab{step}\n", append=True)
        if step % 7 == 0:
            h.advance(minutes=61)
        if step % 29 == 0:
            h.backup()
    return h.history[:n]


@pytest.fixture
def layouts(monkeypatch):
    """Every DOT source the layout program is run on, in order (the layout cache cleared first)."""
    from esxistate.render import svg

    svg._run.cache_clear()
    seen: list[str] = []
    real = svg._layout

    def counted(exe, fmt, source, extra):
        seen.append(source)
        return real(exe, fmt, source, extra)

    monkeypatch.setattr(svg, "_layout", counted)
    yield seen
    svg._run.cache_clear()


@pytest.mark.exe("graphviz-pure")
def test_a_second_export_lays_out_no_diagram_again_and_a_longer_one_only_the_new_ones(layouts):
    """The layout step keeps pictures by DOT source: exporting the same story again runs the layout program on
    nothing, and the story with more events on only the diagrams it has not drawn yet."""
    events = _clockwork_story(60)
    first = lesson.render(events[:40])
    sources = [lesson.event_diagram(events[:40], i).source for i in range(40)]
    assert len(set(sources)) < len(sources)  # frames repeat diagrams: the first export lays each out once
    assert max(Counter(layouts).values()) == 1 and set(sources) <= set(layouts)
    count = len(layouts)
    assert lesson.render(events[:40]) == first and len(layouts) == count  # the second export: nothing laid out
    assert lesson.render(_clockwork_story(40)) == first and len(layouts) == count  # new objects, the same DOT
    lesson.render(events)
    longer = {lesson.event_diagram(events, i).source for i in range(60)} - set(layouts[:count])
    new = layouts[count:]
    assert longer and max(Counter(layouts).values()) == 1  # no diagram laid out twice over the three exports
    assert longer <= set(new) and len(new) <= len(longer) + 1  # the new diagrams, and the closing frame's


def test_a_story_that_shares_only_its_beginning_with_an_earlier_export_gets_its_own_pictures():
    """Pictures are reused by the events they come from: a story that parts ways with one exported before gets the
    file it would get with nothing kept."""
    from esxistate.render import svg

    one, other = _clockwork_story(30), _clockwork_story(30)
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/motd", "hello\n")
    h.power_loss()
    mixed = one[:20] + list(h.history)
    lesson.render(one)
    kept = lesson.render(mixed)
    svg._run.cache_clear()
    assert kept == lesson.render(mixed) and "Boot banks of" in kept
    assert lesson.render(one) == lesson.render(other)  # different objects, the same story: the same file


@pytest.mark.exe("graphviz-pure")
def test_the_file_grows_with_what_changes_not_with_the_frames_that_show_it():
    """Ten times the events, with the clock moving in every diagram's title: each added event costs a few KiB
    (its caption, its line on the title frame, the elements of its pictures that changed), not a diagram."""
    events = _clockwork_story(400)
    small, large = lesson.render(events[:40]), lesson.render(events)
    diagrams = _parts(large)[2]
    assert len(diagrams) > 40  # many distinct diagrams, each differing from the last in a few elements
    per_event = (len(large.encode("utf-8")) - len(small.encode("utf-8"))) / 360
    assert per_event < 3 * 1024 and per_event < statistics.median(map(len, diagrams.values())) / 4, per_event
    assert len(large) / len(small) < 5, len(large) / len(small)  # ten times the events


def test_every_event_frame_has_a_picture_even_when_the_host_is_off(tmp_path, history):
    """The boot loader and a power cut run with nothing in memory: their frames show the boot banks (F5-F7)."""
    text = es.export.html(history, tmp_path / "lesson.html").read_text()
    _, sections, templates = _parts(text)
    for (kind, body), event in zip(sections[1:-1], history, strict=True):
        diagram = _diagram_of(body, templates)
        assert "<svg" in diagram, kind
        if not event.snapshot.powered_on:
            assert "Boot banks of" in diagram


def test_power_cut_frame_shows_the_host_going_dark_and_what_is_lost():
    """An edit made after the last backup is lost at a power cut; state.tgz on the boot bank survives (F23, F38)."""
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.5 nas\n")
    h.power_loss()
    text = lesson.render(h.history)
    _, sections, _ = _parts(text)
    body = dict(sections)["power-loss"]
    assert 'data-scene="power-cut"' in body and 'class="esm-dark"' in body
    assert '<span class="esm-mono esm-lost">/etc/hosts</span>: back to the older copy in state.tgz' in body
    assert '<li class="esm-mono esm-kept">/etc/hosts</li>' in body  # the copy state.tgz holds comes back at boot
    assert 'data-scene="clock"' in body and "changes since the last backup: lost" in body


def test_backup_frame_shows_the_backup_flow(tmp_path, history):
    text = es.export.html(history, tmp_path / "lesson.html").read_text()
    _, sections, templates = _parts(text)
    backup = next(body for kind, body in sections if kind == "backup")
    diagram = _diagram_of(backup, templates)
    assert "Backup flow of" in diagram and "rename_state" in diagram and "local.tgz" in diagram
    assert 'data-scene="clock"' in backup  # and where it sits among the other backups


def test_last_frame_focuses_the_file_the_story_changed(tmp_path, history):
    text = es.export.html(history, tmp_path / "lesson.html").read_text()
    _, sections, templates = _parts(text)
    kind, body = sections[-1]
    assert kind == "focus" and "The file this story changed: <code>/etc/hosts</code>" in body
    assert "holds what the story last wrote into it" in body  # the backup ran before the power cut
    assert "10.0.0.5 nas" in body and "serves /etc/hosts" in _diagram_of(body, templates)


def test_last_frame_says_when_the_story_s_write_was_lost():
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho hello\nexit 0\n")
    h.power_loss()
    h.boot()
    _, sections, _ = _parts(lesson.render(h.history))
    kind, body = sections[-1]
    assert kind == "focus" and "<code>/etc/rc.local.d/local.sh</code>" in body
    assert "no longer holds what the story last wrote into it" in body and "echo hello" in body


def test_a_host_can_be_exported_directly(tmp_path):
    h = es.Host.demo("7.0")
    h.boot()
    text = es.export.html(h, tmp_path / "x.html", title="Boot of a 7.0 host").read_text()
    assert "<title>Boot of a 7.0 host</title>" in text
    assert text.count('<section class="frame"') == 7  # the title and 6 boot events; no file was changed


def test_bad_input_is_a_typed_error_and_writes_nothing(tmp_path, history):
    for wrong in (42, "lesson", [history[0], "not an event"]):
        with pytest.raises(es.errors.InvalidValue, match=r"give host\.history, a list of its events, or the Host"):
            es.export.html(wrong, tmp_path / "x.html")
    with pytest.raises(es.errors.InvalidPath, match="it is a folder"):
        es.export.html(history, tmp_path)
    with pytest.raises(es.errors.InvalidPath, match="does not exist on this computer"):
        es.export.html(history, tmp_path / "nope" / "x.html")
    assert list(tmp_path.iterdir()) == []


def test_a_host_that_did_nothing_exports_a_title_that_says_so(tmp_path):
    text = es.export.html(es.Host.demo("7.0"), tmp_path / "empty.html", title="Nothing yet").read_text()
    _, sections, templates = _parts(text)
    assert [kind for kind, _ in sections] == ["title"] and not templates
    assert "No events yet" in sections[0][1] and "host.boot()" in sections[0][1]


def _png_colours(png: bytes) -> int:
    from PIL import Image

    return len(Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20) or ())


@pytest.mark.exe("chromium")
def test_the_lesson_plays_offline_in_chromium(tmp_path, history, chromium):
    """Every frame, stepped with the keys: none is blank, the first is the title, text is at least 16 px, diagrams
    open at 80% of their native size or more, and no request leaves file://."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    pytest.importorskip("PIL", reason="needs Pillow to look at the screenshots")
    path = es.export.html(history, tmp_path / "lesson.html", title="An edit, a backup, a power cut")
    count = len(history) + 2
    with sync_api.sync_playwright() as p:
        browser = chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        first = page.inner_text("#caption")
        assert first.startswith(f"1/{count}") and "the story" in first
        assert page.inner_text(".frame.on h2") == "An edit, a backup, a power cut"
        assert page.inner_text("#pos") == f"1 / {count}" and page.input_value("#slider") == "1"
        px = page.evaluate("parseFloat(getComputedStyle(document.getElementById('caption')).fontSize)")
        assert px >= 16
        captions = [first]
        for k in range(count):
            if k:
                page.keyboard.press("ArrowRight")
                captions.append(page.inner_text("#caption"))
            assert page.get_attribute("#caption", "data-index") == str(k)
            assert page.inner_text("#pos") == f"{k + 1} / {count}" and page.input_value("#slider") == str(k + 1)
            frame = page.locator(".frame.on")
            box = frame.bounding_box()
            assert box is not None and box["height"] > 200, k
            assert len(frame.inner_text()) > 60, k
            assert _png_colours(frame.screenshot()) > 8, k  # not a blank or single-colour frame
            if 0 < k < count - 1:
                scale = page.evaluate(
                    "(() => {const s = document.querySelector('.frame.on .esm-diagram svg');"
                    " return s.getBoundingClientRect().width / (s.viewBox.baseVal.width * 4 / 3);})()"
                )
                assert scale >= 0.79, k  # graphviz's 14 pt labels stay at 15 px or more
        assert len(set(captions)) == count  # every step shows a different caption
        assert "power-loss" in captions[1 + [e.kind for e in history].index("power-loss")]
        page.keyboard.press("ArrowRight")  # past the end: stays on the last frame
        assert page.get_attribute("#caption", "data-index") == str(count - 1)
        page.keyboard.press("Home")
        assert page.get_attribute("#caption", "data-index") == "0"
        page.keyboard.press("End")
        assert page.get_attribute("#caption", "data-index") == str(count - 1)
        page.keyboard.press("ArrowLeft")
        assert page.get_attribute("#caption", "data-index") == str(count - 2)
        page.keyboard.press("Home")
        page.keyboard.press("ArrowRight")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # read a diagram to its end, then step
        page.keyboard.press("ArrowRight")
        tops = page.evaluate(
            "[document.getElementById('caption').getBoundingClientRect().top,"
            " document.querySelector('.controls').getBoundingClientRect().bottom]"
        )
        assert tops[0] >= tops[1] - 1  # the new caption shows under the controls, not above the window
        page.keyboard.press("End")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("+")
        assert page.inner_text("#zoomv") != "100%" and page.inner_text("#zoomv").endswith("%")
        page.keyboard.press("0")
        assert page.inner_text("#zoomv") == "100%"
        page.fill("#slider", "1")
        page.dispatch_event("#slider", "input")
        assert page.get_attribute("#caption", "data-index") == "0"
        page.click('.frame.on [data-go="2"]')
        assert page.get_attribute("#caption", "data-index") == "1"
        page.click("#play")
        page.wait_for_function("document.getElementById('caption').dataset.index === '2'", timeout=8000)
        page.screenshot(path=str(tmp_path / "lesson.png"))
        browser.close()
    assert all(url.startswith("file:") for url in requests), requests
