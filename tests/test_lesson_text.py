"""Text in the lessons fits their column: no stored output line wider than 100 characters, long lines wrapped at
spaces (never inside a word), wide column listings shown as HTML tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import esxistate as es
from esxistate.render.table import Table, columns
from esxistate.text import WIDTH, wrap

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
RICH = ("text/html", "image/svg+xml", "image/png", "application/vnd.jupyter.widget-view+json")


def _shown_text(output: dict) -> str:
    """The text a student sees for one stored output: a stream, or a text/plain with no richer form beside it."""
    if output["output_type"] == "stream":
        return "".join(output["text"])
    if output["output_type"] in ("execute_result", "display_data"):
        data = output["data"]
        if not any(kind in data for kind in RICH):
            return "".join(data.get("text/plain", ""))
    if output["output_type"] == "error":
        return "\n".join(output.get("traceback", []))
    return ""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_fit_100_columns(notebook):
    nb = json.loads(notebook.read_text())
    wide = []
    for number, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            wide += [(number, line) for line in _shown_text(output).splitlines() if len(line) > WIDTH]
    first = f"first in cell {wide[0][0]}: {wide[0][1]!r}" if wide else ""
    assert not wide, f"{notebook.name}: {len(wide)} lines wider than {WIDTH}, {first}"


def test_the_width_check_finds_a_wide_line():
    """The check above can fail: a stored stream with a 101-character line is reported, an SVG's text is not."""
    assert len(_shown_text({"output_type": "stream", "text": ["x" * 101]})) == 101
    svg = {"output_type": "execute_result", "data": {"image/svg+xml": "<svg/>", "text/plain": "y" * 300}}
    assert _shown_text(svg) == ""


def test_wrap_breaks_at_spaces_and_never_inside_a_word():
    words = [f"word{i:03d}" for i in range(60)]
    text = " ".join(words)
    folded = wrap(text, width=50)
    assert all(len(line) <= 50 for line in folded.splitlines())
    assert folded.split() == words  # every word whole, in order
    assert wrap("short\n") == "short\n"


def test_esxcli_listing_becomes_an_html_table_with_its_own_text():
    """`esxcli system visorfs ramdisk list` is about 190 columns wide (sample S4): shown as a table, its text form
    is the listing itself."""
    host = es.Host.demo("7.0")
    host.boot()
    text = host.shell("esxcli system visorfs ramdisk list")
    table = columns(text)
    assert isinstance(table, Table)
    assert table.header[0] == "Ramdisk Name" and table.header[-1] == "Mount Point"
    assert (table.rows[1][0], table.rows[1][-1]) == ("etc", "/etc")
    assert repr(table) == text.rstrip("\n")
    assert "<th" in table._repr_html_() and "/var/lib/vmware/hostd/stats" in table._repr_html_()
    assert columns("no rule here\njust text\n") is None


def test_esxi_magic_shows_wide_output_as_a_table_or_wrapped(capsys, ipython):
    host = es.Host.demo("6.7")
    host.boot()
    es.use(host)
    ipython.run_line_magic("esxi", "cat /bootbank/boot.cfg")
    out = capsys.readouterr().out
    assert all(len(line) <= WIDTH for line in out.splitlines())
    assert out.split() == host.shell("cat /bootbank/boot.cfg").split()  # only the line breaks differ


LESSONS = [p for p in NOTEBOOKS if p.name[:2] in {f"{n:02d}" for n in range(11)} or p.name == "deck.ipynb"]


def _prose(cell: dict) -> str:
    """A Markdown cell's words as a reader sees them: no code, no HTML tags (hover marks carry ids in a title)."""
    text = "".join(cell["source"])
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    return re.sub(r"<[^>]*>", "", text)


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_fact_ids_are_hover_marks_not_words_in_the_prose(notebook):
    """Fact ids (F27, B5, S3) appear only as numbered marks whose hover text is the fact, and in the sources list
    at the end; every mark's number is listed there."""
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "markdown"]
    sources = [c for c in cells if "".join(c["source"]).startswith("### Sources")]
    inline = [
        (i, m.group(0))
        for i, c in enumerate(cells)
        if c not in sources
        for m in re.finditer(r"\b[FBS]\d{1,2}\b", _prose(c))
    ]
    assert not inline, f"{notebook.name}: fact ids written into the prose: {inline[:3]}"
    marks = {int(n) for c in cells for n in re.findall(r'<sup title="[^"]+">\[(\d+)\]</sup>', "".join(c["source"]))}
    if marks:
        assert len(sources) == 1
        listed = set(map(int, re.findall(r"^(\d+)\. ", "".join(sources[0]["source"]), re.M)))
        assert marks <= listed


def test_a_fact_id_in_prose_is_caught():
    cell = {"cell_type": "markdown", "source": ["ramdisks vanish (F27), see `F16` and <sup title='F25'>[1]</sup>"]}
    assert re.findall(r"\b[FBS]\d{1,2}\b", _prose(cell)) == ["F27"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_on_a_real_host_boxes_name_their_source(notebook):
    """A box that shows what a real host prints says where that text was published."""
    for cell in json.loads(notebook.read_text())["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and text.startswith("> **On a real host.**"):
            assert re.search(r"KB \d+|github\.com/|esx-boot|eclair\.rb|public", text), text[:80]
            assert "```" in text or "`" in text  # the real words themselves, verbatim
