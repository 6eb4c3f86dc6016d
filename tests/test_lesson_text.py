"""Text in the lessons fits their column: no stored output line wider than 100 characters, long lines wrapped at
spaces (never inside a word), wide column listings shown as HTML tables."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import unquote

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


# A long text output opens with a one-line summary. What a student sees as one output is a run of stream outputs
# (JupyterLab and nbconvert show consecutive writes to one stream as one block), or one text/plain result.
PROMPT_COMMENT = re.compile(r"^\[root@[^\]]+\] # \S")  # "[root@esxi:~] # what the commands below show"
EXERCISE_TEXT = re.compile(r"\.check\(|\.question\b|^print\((ex|card)\)$", re.M)  # words of es.exercises


def _shown_blocks(cell: dict) -> list[str]:
    """The text blocks a student sees under one code cell, consecutive stream outputs of one stream merged."""
    blocks: list[str] = []
    last_stream = None
    for output in cell.get("outputs", []):
        text = _shown_text(output)
        stream = output.get("name") if output["output_type"] == "stream" else None
        if stream is not None and stream == last_stream:
            blocks[-1] += text
        else:
            blocks.append(text)
        last_stream = stream
    return [block for block in blocks if block.strip()]


def opens_with_summary(text: str) -> bool:
    """True when a text block of more than es.lab.LONG lines opens with a one-line summary: its first line is not
    empty, not indented and fits the column, and it stands apart from what it sums up, either followed by an empty
    line or written as a shell comment after the prompt (the way an administrator annotates a terminal transcript).
    A block of at most es.lab.LONG lines needs no summary."""
    lines = text.splitlines()
    if len(lines) <= es.lab.LONG:
        return True
    first = lines[0]
    if not first.strip() or first[0].isspace() or len(first) > WIDTH:
        return False
    return bool(PROMPT_COMMENT.match(first)) or lines[1] == ""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_a_long_log_or_listing_opens_with_a_one_line_summary(notebook):
    """Every stored text output longer than 15 lines (a boot.cfg, a module table, an event log, a transcript) tells
    in its first line what follows. Exempt: a question or feedback written by es.exercises, which opens with its own
    verdict ("Correct." / "Not quite.") and is worded by the exercises package."""
    missing = []
    for number, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        if cell["cell_type"] != "code" or EXERCISE_TEXT.search("".join(cell["source"])):
            continue
        missing += [(number, block.splitlines()[0]) for block in _shown_blocks(cell) if not opens_with_summary(block)]
    assert not missing, f"{notebook.name}: long outputs without a summary line (cell, first line): {missing}"


def test_the_summary_check_finds_a_long_listing_without_one():
    listing = "".join(f"-rw-r--r-T 0/0  {n:>5} etc/file{n}\n" for n in range(20))
    assert not opens_with_summary(listing)
    assert opens_with_summary("20 files in local.tgz, 3 of them changed since boot\n\n" + listing)
    assert not opens_with_summary("20 files in local.tgz, and a summary that runs on\n    over two lines\n" + listing)
    assert not opens_with_summary("\n" + listing)
    assert not opens_with_summary("   indented first line\n\n" + listing)
    assert opens_with_summary("[root@esxi:~] # back it up, then list state.tgz\n" + listing)
    assert not opens_with_summary("[root@esxi:~] tar tzvf /bootbank/state.tgz\n" + listing)
    assert opens_with_summary(listing.split("\n", 5)[-1])  # 15 lines: no summary needed
    streams = [{"output_type": "stream", "name": "stdout", "text": [part]} for part in ("a\n", "b\n")]
    assert _shown_blocks({"outputs": streams}) == ["a\nb\n"]


# Links between lessons: relative links to a notebook and one of its sections, in Markdown cells and in the diagrams
# stored in outputs (the decision diagram of lesson 00 links every box). JupyterLab names a heading's anchor after
# its text with spaces made dashes; nbconvert's HTML does the same and percent-encodes what a URL fragment cannot
# hold, so a link written percent-encoded works in both.
LINK = re.compile(r"""(?:\]\(|href=")([0-9][\w.-]*\.ipynb)(?:#([^)"\s]*))?[)"]""")


def _headings(notebook: Path) -> set[str]:
    """The text of every Markdown heading of a notebook as a reader sees it: markup and tags removed."""
    found = set()
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if re.match(r"#{1,6} ", line):
                    text = re.sub(r"<[^>]*>", "", line.lstrip("#").strip())
                    found.add(re.sub(r"[`*]", "", text))
    return found


def _anchor_targets(notebook: Path) -> list[tuple[int, str, str | None]]:
    """(cell, notebook, fragment) for every relative link in a notebook's Markdown and stored SVG outputs."""
    targets = []
    for number, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        texts = ["".join(cell["source"])] if cell["cell_type"] == "markdown" else []
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg:
                texts.append(html.unescape("".join(svg)))
        targets += [(number, m.group(1), m.group(2)) for text in texts for m in LINK.finditer(text)]
    return targets


def test_lesson_00_links_every_answer_to_a_section_that_exists():
    """Each of the five questions (and the last resort) links to the section that shows it live, in the Markdown
    list and in the boxes of the diagram; each link names an existing lesson and one of its headings."""
    start = NOTEBOOKS[0].parent / "00-start-here.ipynb"
    targets = _anchor_targets(start)
    markdown = {(name, fragment) for _, name, fragment in targets}
    assert len(markdown) >= 11
    broken = []
    for number, name, fragment in targets:
        target = start.parent / name
        if not target.exists():
            broken.append((number, name, "no such lesson"))
        elif not fragment:
            broken.append((number, name, "links the lesson top, not a section"))
        elif not _finds_a_heading(target, fragment):
            broken.append((number, name, f"no heading at {fragment}"))
    assert not broken, broken


def _finds_a_heading(target: Path, fragment: str) -> bool:
    """`#cell-id=ID` (JupyterLab 4 scrolls to it on the click that opens the lesson): a Markdown cell with that id
    holds a heading; any other fragment is a heading's anchor (its text with spaces made dashes)."""
    if fragment.startswith("cell-id="):
        cells = json.loads(target.read_text())["cells"]
        held = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown" and c.get("id") == fragment[8:]]
        return any(line.startswith("#") for text in held for line in text.splitlines())
    return unquote(fragment) in {h.replace(" ", "-") for h in _headings(target)}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_link_to_a_lesson_section_finds_its_heading(notebook):
    for number, name, fragment in _anchor_targets(notebook):
        target = notebook.parent / name
        assert target.exists(), f"{notebook.name} cell {number} links {name}, which does not exist"
        if fragment:
            assert _finds_a_heading(target, fragment), f"{notebook.name} cell {number}: no heading {fragment} in {name}"


def test_the_link_check_finds_a_missing_heading():
    assert _headings(NOTEBOOKS[0].parent / "03-branching.ipynb") >= {"5. Sticky files and their .# twins"}
    found = LINK.findall('see [lesson 03](03-branching.ipynb#5.-Sticky-files-and-their-.%23-twins) or <a href="x">')
    assert found == [("03-branching.ipynb", "5.-Sticky-files-and-their-.%23-twins")]
    assert unquote("5.-Sticky-files-and-their-.%23-twins") == "5.-Sticky-files-and-their-.#-twins"
    assert "6.-No-such-section" not in {
        h.replace(" ", "-") for h in _headings(NOTEBOOKS[0].parent / "03-branching.ipynb")
    }
    branching = NOTEBOOKS[0].parent / "03-branching.ipynb"
    assert _finds_a_heading(branching, "cell-id=bc283957")  # holds "## 5. Sticky files and their `.#` twins"
    assert not _finds_a_heading(branching, "cell-id=nosuchid")
    code = next(c["id"] for c in json.loads(branching.read_text())["cells"] if c["cell_type"] == "code")
    assert not _finds_a_heading(branching, f"cell-id={code}")


PRIVATE = re.compile(r"(?<![\w.])[A-Za-z_][\w.]*\._[a-z]\w*|from esxistate[\w.]* import [^\n]*\b_[a-z]")


def _code(notebook: Path) -> list[tuple[int, str]]:
    cells = json.loads(notebook.read_text())["cells"]
    return [(number, "".join(cell["source"])) for number, cell in enumerate(cells) if cell["cell_type"] == "code"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_lessons_use_only_public_names_and_do_not_copy_the_shared_helpers(notebook):
    """A lesson reaches the package through its public names only, and takes a shared helper from es.lab rather
    than defining its own copy."""
    private = [(n, m.group(0)) for n, source in _code(notebook) for m in PRIVATE.finditer(source)]
    assert not private, f"{notebook.name}: private names in cells: {private}"
    shared = set(es.lab.__all__)
    copies = [(n, name) for n, source in _code(notebook) for name in re.findall(r"^def (\w+)\(", source, re.M)]
    assert not [copy for copy in copies if copy[1] in shared], f"{notebook.name}: helpers es.lab already has: {copies}"


def test_the_public_name_check_finds_a_private_one():
    assert PRIVATE.search("print(host._shell.prompt)")
    assert PRIVATE.search("from esxistate.render.graph import _label")
    assert not PRIVATE.search("print(obj.__class__, es.lab.log, host.fs.read_text(path))")
