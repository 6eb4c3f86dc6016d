"""The decision diagram "why did my /etc edit vanish?": its questions in order, their links to the lessons, and the
walk over a host's history that picks the cause (DOT text asserted by node, edge and link; no pixels).

The causes are ESXi's: only /etc files with a .# twin are saved (F16, F25); a power cut runs no backup (F23);
Shift+R boots the other bank (F8); a late boot device points /bootbank into /tmp (F47); restoring a configuration
bundle reboots into its state.tgz (F43).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import esxistate as es
from esxistate.render import svg, vanished

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NODE_RE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|[\w.-]+) \[(.*)\]$', re.M)
EDGE_RE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|[\w.-]+) -> ("(?:[^"\\]|\\.)*"|[\w.-]+)(?: \[(.*)\])?$', re.M)
LOCAL_SH = "/etc/rc.local.d/local.sh"
# lesson 11's sections, as the troubleshooting lab names them
LAB_HEADINGS = (
    "1. /bootbank points into /tmp",
    "2. The boot device vanished",
    "3. Shift+R does nothing after 6.7 -> 7.0",
    "4. reboot -f versus reboot",
    "5. A full ramdisk",
    "6. Two VIBs claim one file",
    "7. Restore one /etc file from state.tgz",
    "8. A configuration bundle from another host",
)


def _nodes(source: str) -> dict[str, str]:
    return {m[0].strip('"'): m[1] for m in NODE_RE.findall(source)}


def _edges(source: str) -> list[tuple[str, str, str]]:
    return [(a.strip('"'), b.strip('"'), attrs) for a, b, attrs in EDGE_RE.findall(source)]


def _headings(notebook: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / notebook).read_text())
    return [
        line.lstrip("#").strip()
        for cell in nb["cells"]
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith("#")
    ]


def _powered_cut_host() -> es.Host:
    host = es.Host.demo("7.0")
    host.boot()
    host.fs.write(LOCAL_SH, "#!/bin/sh\necho lab\nexit 0\n")
    host.power_loss()
    host.boot()
    return host


def test_questions_come_in_the_order_a_student_checks_them():
    """persisted (F16) -> backup before the power went (F23) -> which bank (F8) -> boot device (F47) -> bundle (F43)."""
    assert [q.key for q in vanished.QUESTIONS] == ["persisted", "backup", "bank", "device", "bundle"]
    edges = _edges(es.render.why_vanished().source)
    chain = [(a, b) for a, b, _ in edges if b in {q.key for q in vanished.QUESTIONS} | {"none"}]
    assert chain == [
        ("start", "persisted"),
        ("persisted", "backup"),
        ("backup", "bank"),
        ("bank", "device"),
        ("device", "bundle"),
        ("bundle", "none"),
    ]


def test_each_question_has_its_verdict_beside_it_on_the_answer_that_explains_the_loss():
    source = es.render.why_vanished().source
    edges = {(a, b): attrs for a, b, attrs in _edges(source)}
    for q in vanished.QUESTIONS:
        attrs = edges[(q.key, q.verdict_key)]
        assert f'label=" {"yes" if q.cause_when else "no"} "' in attrs
    assert 'label=" yes "' in edges[("persisted", "backup")]  # a persisted file goes on to the next question
    assert 'label=" no "' in edges[("bundle", "none")]  # no bundle restored: the last way out
    assert "a power cut or reboot -f" in _nodes(source)["no-backup"]


def test_every_box_links_to_the_lesson_section_that_shows_it():
    nodes = _nodes(es.render.why_vanished().source)
    boxes = ["start", "none", *(q.key for q in vanished.QUESTIONS), *(q.verdict_key for q in vanished.QUESTIONS)]
    for key in boxes:
        assert f'URL="{vanished.link(vanished.LINKS[key])}"' in nodes[key], key
        assert "target=_top" in nodes[key] or 'target="_top"' in nodes[key]
        assert f"→ {vanished.where(key)}" in nodes[key]


def test_links_point_at_the_cells_that_hold_their_headings():
    """A link names its section's cell by id (`#cell-id=...`, which JupyterLab 4 scrolls to on the click that opens
    the lesson); the cell with that id must hold that heading, so a lesson rewritten without its cell fails here.
    Lesson 11's targets are the lab's own section names."""
    for section in vanished.LINKS.values():
        notebook, heading, cell = section
        assert vanished.link(section) == f"{notebook}#cell-id={cell}"
        if notebook.startswith("11-"):
            assert heading in LAB_HEADINGS
        if not (NOTEBOOKS / notebook).exists():
            continue
        assert heading in _headings(notebook), f"{notebook} has no heading {heading!r}"
        cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
        holder = [c for c in cells if c.get("id") == cell]
        assert holder and holder[0]["cell_type"] == "markdown", (notebook, cell)
        lines = "".join(holder[0]["source"]).splitlines()
        assert any(line.startswith("#") and line.lstrip("#").strip() == heading for line in lines), (notebook, cell)


def test_a_power_cut_before_any_backup_is_the_answer_for_a_sticky_file():
    """local.sh is persisted (F44) but the power went before a backup ran (F23)."""
    walk = es.render.diagnose(_powered_cut_host(), LOCAL_SH)
    assert walk.cause == "backup"
    assert [(key, answer) for key, answer, _ in walk.answers] == [("persisted", True), ("backup", False)]
    assert "a power cut or reboot -f came first" in str(walk)


def test_a_file_without_a_twin_is_not_persisted_even_after_an_orderly_reboot():
    """/etc/pam.d/system-auth has no sticky bit: lost at every reboot (F25, F26)."""
    host = es.Host.demo("7.0")
    host.boot()
    host.fs.write("/etc/pam.d/system-auth", "# lab\n")
    host.reboot()
    walk = es.render.diagnose(host, "/etc/pam.d/system-auth")
    assert walk.cause == "persisted"
    assert walk.answers[0][1] is False


def test_a_rollback_is_the_answer_when_the_backup_ran():
    """The edit was saved on the 7.0 U3 bank; Shift+R booted the 7.0 bank and its older state.tgz (F8, F45)."""
    host = es.Host.demo("7.0")
    host.boot()
    host.upgrade("7.0U3")
    host.reboot()
    host.fs.write(LOCAL_SH, "#!/bin/sh\necho lab\nexit 0\n")
    host.reboot(rollback=True)
    assert "lab" not in host.fs.read_text(LOCAL_SH)
    walk = es.render.diagnose(host, LOCAL_SH)
    assert walk.cause == "bank"
    assert [key for key, _, _ in walk.answers] == ["persisted", "backup", "bank"]


def test_a_late_boot_device_is_the_answer_when_backups_went_to_memory():
    """/bootbank pointed into /tmp, so the shutdown backup saved into memory (F47)."""
    host = es.Host.demo("7.0")
    host.boot(slow_boot_device=True)
    host.fs.write(LOCAL_SH, "#!/bin/sh\necho lab\nexit 0\n")
    host.reboot()
    assert "lab" not in host.fs.read_text(LOCAL_SH)
    walk = es.render.diagnose(host, LOCAL_SH)
    assert walk.cause == "device"


def test_an_edit_that_survived_reaches_none_of_these():
    host = es.Host.demo("7.0")
    host.boot()
    host.fs.write(LOCAL_SH, "#!/bin/sh\necho lab\nexit 0\n")
    host.reboot()
    walk = es.render.diagnose(host, LOCAL_SH)
    assert walk.cause is None and len(walk.answers) == len(vanished.QUESTIONS)


def test_a_file_never_changed_gives_no_walk():
    host = es.Host.demo("7.0")
    host.boot()
    walk = es.render.diagnose(host, "/etc/hosts")
    assert walk.answers == () and walk.cause is None
    assert ("answer", "/etc/hosts was not changed before the last boot") in es.render.why_vanished(
        host, "/etc/hosts"
    ).rows


def test_the_walk_is_drawn_in_bold_and_the_cause_is_filled():
    source = es.render.why_vanished(_powered_cut_host(), LOCAL_SH).source
    nodes, edges = _nodes(source), {(a, b): attrs for a, b, attrs in _edges(source)}
    assert "#f9dde2" in nodes["no-backup"]
    assert "#f9dde2" not in nodes["not-persisted"]
    assert "bold" in edges[("backup", "no-backup")] and "bold" in edges[("persisted", "backup")]
    assert "bold" not in edges[("bank", "other-bank")]
    assert "bold" not in nodes["bank"]


def test_the_diagram_never_changes_the_host():
    host = _powered_cut_host()
    before = (len(host.history), host.snapshot())
    es.render.why_vanished(host, LOCAL_SH)
    assert (len(host.history), host.snapshot()) == before


def test_text_form_fits_a_lesson_column():
    """The text/plain that a notebook stores stays within 100 columns."""
    for diagram in (es.render.why_vanished(), es.render.why_vanished(_powered_cut_host(), LOCAL_SH)):
        assert all(len(line) <= 100 for line in svg.plain_text(diagram).splitlines())


@pytest.mark.exe("graphviz-pure")
def test_svg_carries_the_links():
    text = svg.to_svg(es.render.why_vanished().source)
    assert text is not None
    assert text.count("xlink:href=") == 12
    assert f'xlink:href="{vanished.link(vanished.LINKS["no-device"])}"' in text
    assert 'xlink:href="11-troubleshooting.ipynb#cell-id=d8e220c9"' in text
