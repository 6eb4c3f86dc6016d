"""Every lesson through `jupyter nbconvert --to html`, as nbviewer and a course site render a stored notebook: no
widget repr (`Quiz(children=(HTML(value=...`) and no DOT or graphviz text dump is left, every diagram is a picture,
and every widget is its still. Lessons store no widget state: with it, nbconvert and nbviewer draw the widget with
ipywidgets' script from a CDN, a blank box offline, instead of the still each widget output carries."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
VIEW = "application/vnd.jupyter.widget-view+json"
DUMPS = ("children=(", "digraph", "<graphviz", "&lt;graphviz", "graphviz.graphs", " object at 0x")


class _Page(HTMLParser):
    """What a converted page holds: the elements of each class we look for, the links inside linked diagrams, and
    every element id (the targets of `#fragment` links)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.classes: dict[str, int] = {}
        self.links: list[str] = []
        self.ids: set[str] = set()
        self._linked_depth = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        for name in (attr.get("class") or "").split():
            self.classes[name] = self.classes.get(name, 0) + 1
        if attr.get("id"):
            self.ids.add(attr["id"] or "")
        if tag == "div" and self._linked_depth:
            self._linked_depth += 1
        if "esxistate-linked" in (attr.get("class") or "").split():
            self._linked_depth = 1
        if tag == "a" and self._linked_depth:
            self.links.append(attr.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._linked_depth:
            self._linked_depth -= 1


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """All lessons converted by one nbconvert run (one process start for the module)."""
    pytest.importorskip("nbconvert", reason="needs nbconvert (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("html")
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", str(out), *map(str, LESSONS)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def _outputs(lesson: Path) -> list[dict]:
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    return [output.get("data", {}) for cell in nb["cells"] for output in cell.get("outputs", [])]


def _expected(lesson: Path) -> tuple[int, int, int]:
    """(diagram outputs drawn as SVG, diagram outputs drawn as a picture with links, widget outputs) of a lesson."""
    diagrams = linked = widgets = 0
    for data in _outputs(lesson):
        if VIEW in data:
            assert "text/html" in data, f"{lesson.name}: a widget output without a still"
            widgets += 1
        elif "image/svg+xml" in data:
            assert "image/png" in data, f"{lesson.name}: a diagram output without its PNG"
            if "text/html" in data:
                linked += 1
            else:
                diagrams += 1
    return diagrams, linked, widgets


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_lesson_stores_no_widget_state(lesson):
    """No `metadata.widgets`: nbconvert and nbviewer would draw each widget from that state with ipywidgets' script,
    loaded from a CDN (a blank box offline), instead of its still."""
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    assert "widgets" not in nb["metadata"], f"{lesson.name} stores widget state"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_lesson_as_html_has_pictures_and_no_text_dump(converted, lesson):
    text = (converted / f"{lesson.stem}.html").read_text(encoding="utf-8")
    for dump in DUMPS:
        assert dump not in text, f"{lesson.name} as HTML shows {dump!r}"
    diagrams, linked, widgets = _expected(lesson)
    page = _Page(text)
    assert len(re.findall(r'data-mime-type="image/svg\+xml"', text)) == diagrams  # each diagram drawn, inline
    assert page.classes.get("esxistate-linked", 0) == linked
    assert page.classes.get("esxistate-still", 0) == widgets  # every widget shows as its still
    assert f'<script type="{VIEW}">' not in text
    pictures = len(re.findall(r"<svg\b", text)) + len(re.findall(r"<img\b", text))
    assert pictures >= diagrams + linked


def test_lesson_00s_decision_diagram_links_every_box_to_an_existing_section(converted):
    """Issue: each box of the decision diagram links to the lesson and section that shows it live. Every link is
    relative, names a lesson that exists, and its fragment (`cell-id=...`) is the id nbconvert gave one of that
    lesson's cells (HTML's "find a potential indicated element": the fragment as written, else percent-decoded)."""
    page = _Page((converted / "00-start-here.html").read_text(encoding="utf-8"))
    assert page.classes.get("esxistate-linked", 0) >= 1
    from esxistate.render import vanished

    assert len(page.links) == page.classes["esxistate-linked"] * len(vanished.LINKS)
    for href in page.links:
        parts = urlsplit(href)
        assert not parts.scheme and parts.path.endswith(".ipynb") and parts.fragment, href
        target = converted / parts.path.replace(".ipynb", ".html")
        assert target.exists(), href
        ids = _Page(target.read_text(encoding="utf-8")).ids  # a browser tries the fragment as is, then decoded
        assert parts.fragment in ids or unquote(parts.fragment) in ids, href


_STILLS = """() => [...document.querySelectorAll('.esxistate-still')].map(still => {
    const box = still.getBoundingClientRect();
    const images = [...still.querySelectorAll('img')];
    return {width: box.width, height: box.height,
            images: images.map(img => ({done: img.complete, natural: img.naturalWidth,
                                        width: img.getBoundingClientRect().width}))};
})"""


@pytest.mark.exe("chromium")
def test_a_converted_widget_lesson_shows_its_stills_offline(converted, tmp_path, chromium):
    """The converted page of a lesson with widgets, opened from a file in Chromium with every request that is not to
    a file or to 127.0.0.1 refused (a classroom without internet): each widget shows as its still, with a size,
    and every picture in a still is loaded. The screenshot is kept in the test's tmp dir (and copied to
    $ESXISTATE_SAVE_SCREENSHOTS when it is set)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    lesson = NOTEBOOKS / "02-overlays.ipynb"
    _, _, widgets = _expected(lesson)
    assert widgets > 0
    refused: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")) or urlsplit(url).hostname == "127.0.0.1":
            r.continue_()
        else:
            refused.append(url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = chromium(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.route("**/*", route)
        page.goto((converted / f"{lesson.stem}.html").as_uri(), wait_until="load", timeout=60_000)
        stills = page.locator(".esxistate-still")
        for i in range(stills.count()):
            stills.nth(i).scroll_into_view_if_needed(timeout=30_000)
        page.wait_for_function(
            "[...document.querySelectorAll('.esxistate-still img')].every(i => i.complete)", timeout=30_000
        )
        found = page.evaluate(_STILLS)
        stills.first.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "offline-still.png"))
        browser.close()
    assert refused, "the page asked for nothing outside: the offline condition was not exercised"
    assert len(found) == widgets
    for still in found:
        assert still["width"] > 0 and still["height"] > 0, found
        assert all(i["done"] and i["natural"] > 0 and i["width"] > 0 for i in still["images"]), found
    assert any(still["images"] for still in found), "no still of this lesson holds a picture to check"
    if os.environ.get("ESXISTATE_SAVE_SCREENSHOTS"):
        shutil.copy(tmp_path / "offline-still.png", Path(os.environ["ESXISTATE_SAVE_SCREENSHOTS"]))
