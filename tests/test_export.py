"""The offline HTML lesson: one self-contained file, one frame per event, captions that carry the why; and a real
headless-Chromium run that steps through it from file:// with no network request."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import esxistate as es


@pytest.fixture
def history() -> list[es.Event]:
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.5 nas\n")
    h.backup()
    h.power_loss()
    h.boot()
    return h.history


def test_lesson_file_is_self_contained(tmp_path, history):
    path = es.export.html(history, tmp_path / "lesson.html")
    text = path.read_text()
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", text)  # nothing loaded from anywhere
    assert text.count('<div class="frame"') == len(history)
    assert text.count("<svg") == sum(1 for e in history if e.snapshot.powered_on)


def test_captions_carry_summary_and_why(tmp_path, history):
    text = es.export.html(history, tmp_path / "lesson.html").read_text()
    data = json.loads(re.search(r'<script id="captions" type="application/json">(.*?)</script>', text, re.S)[1])
    assert [c["kind"] for c in data] == [e.kind for e in history]
    branch = data[[e.kind for e in history].index("write")]
    assert "/etc/hosts" in branch["summary"] and "(F27, F16)" in re.sub(r"<[^>]+>", "", branch["why"])
    assert '<abbr title="F27 (confirmed): A tardisk is read-only' in branch["why"]  # the fact on hover


def test_a_host_can_be_exported_directly(tmp_path):
    h = es.Host.demo("7.0")
    h.boot()
    text = es.export.html(h, tmp_path / "x.html", title="Boot of a 7.0 host").read_text()
    assert "<title>Boot of a 7.0 host</title>" in text and text.count('<div class="frame"') == 6


@pytest.mark.exe("chromium")
def test_the_lesson_plays_offline_in_chromium(tmp_path, history):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    path = es.export.html(history, tmp_path / "lesson.html")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        first = page.inner_text("#caption")
        assert first.startswith(f"1/{len(history)}") and "bootloader" in first
        assert "Powered off" in page.inner_text(".frame.on")  # the boot loader runs before memory holds anything
        captions = [first]
        on = [e.snapshot.powered_on for e in history]
        for i in range(1, len(history)):
            page.click("#next")
            captions.append(page.inner_text("#caption"))
            assert page.locator(".frame.on svg").count() == (1 if on[i] else 0)
        assert len(set(captions)) == len(history)  # every step shows a different caption
        assert "power-loss" in captions[[e.kind for e in history].index("power-loss")]
        page.click("#prev")
        assert page.get_attribute("#caption", "data-index") == str(len(history) - 2)
        page.fill("#slider", "0")
        page.dispatch_event("#slider", "input")
        page.click("#play")
        page.wait_for_function("document.getElementById('caption').dataset.index === '1'", timeout=5000)
        page.screenshot(path=str(tmp_path / "lesson.png"))
        browser.close()
    assert all(url.startswith("file:") for url in requests), requests
