"""Every lesson through `jupyter nbconvert --to html`, as nbviewer and a course site render a stored notebook: no
widget repr (`Quiz(children=(HTML(value=...`) and no DOT or graphviz text dump is left, every diagram is a picture,
and every widget is either its stored widget state (drawn by ipywidgets' own script) or its still."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
DUMPS = ("children=(", "digraph", "<graphviz", "&lt;graphviz", "graphviz.graphs", " object at 0x")


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


def _expected(lesson: Path) -> tuple[int, int, int]:
    """(diagram outputs, widget outputs nbconvert draws from stored state, widget outputs it shows as stills)."""
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    state = nb["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})
    diagrams = from_state = stills = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if VIEW in data:
                if data[VIEW]["model_id"] in state:
                    from_state += 1
                else:
                    assert "text/html" in data, f"{lesson.name}: a widget output without a still"
                    stills += 1
            elif "image/svg+xml" in data:
                assert "image/png" in data, f"{lesson.name}: a diagram output without its PNG"
                diagrams += 1
    return diagrams, from_state, stills


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_lesson_as_html_has_pictures_and_no_text_dump(converted, lesson):
    page = (converted / f"{lesson.stem}.html").read_text(encoding="utf-8")
    for dump in DUMPS:
        assert dump not in page, f"{lesson.name} as HTML shows {dump!r}"
    diagrams, from_state, stills = _expected(lesson)
    assert len(re.findall(r'data-mime-type="image/svg\+xml"', page)) == diagrams  # each diagram drawn, inline
    assert page.count(f'<script type="{VIEW}">') == from_state
    assert page.count("class='esxistate-still'") == stills
    pictures = len(re.findall(r"<svg\b", page)) + len(re.findall(r"<img\b", page))
    assert pictures >= diagrams
