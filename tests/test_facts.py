"""The fact registry and the code agree: every fact id the engine, the renderers and the lessons name is in
`esxistate.facts.FACTS`, and every registry entry is named by the code that implements it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import esxistate as es
from esxistate import facts
from esxistate.errors import EsxiStateError, UnknownFact

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "esxistate"
ID = re.compile(r"\bF(\d{1,2})\b")


def ids_in(text: str) -> set[str]:
    return {f"F{n}" for n in ID.findall(text)}


def cited_by_code() -> dict[str, set[str]]:
    """fact id -> the package files (other than the registry) that name it."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "facts.py" and path.parent == PACKAGE:
            continue
        for fid in ids_in(path.read_text(encoding="utf-8")):
            found.setdefault(fid, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_fact_id_named_in_the_code_is_in_the_registry():
    unknown = {fid: sorted(where) for fid, where in cited_by_code().items() if fid not in facts.FACTS}
    assert not unknown, f"fact ids named in the code but missing from esxistate/facts.py: {unknown}"


def test_every_registry_entry_is_named_by_the_code_that_implements_it():
    cited = cited_by_code()
    unused = [fid for fid in facts.FACTS if fid not in cited]
    assert not unused, f"registry entries no engine or renderer code names: {unused}"


def test_the_registry_covers_the_facts_file_without_gaps():
    numbers = sorted(int(fid[1:]) for fid in facts.FACTS)
    assert numbers == list(range(1, len(numbers) + 1)), "fact ids must be F1..Fn without gaps"
    assert len(numbers) >= 43


@pytest.mark.parametrize("fid", list(facts.FACTS))
def test_each_entry_is_one_sentence_with_a_confidence_and_a_public_source(fid):
    f = facts.FACTS[fid]
    assert f.id == fid
    assert f.confidence in facts.CONFIDENCE
    assert f.text.endswith(".") and not re.search(r"\.\s+[A-Z]", f.text[:-1]), "one sentence"
    assert 20 < len(f.text) <= 320, "one sentence, not a page"
    assert f.sources and all(("http" in s) or re.search(r"\bKB \d{6,7}\b", s) or "API" in s for s in f.sources)
    assert not f.note or f.note.endswith(".")


def test_every_event_names_only_registered_facts_and_its_why_cites_them():
    h = es.Host.demo("6.7")
    h.boot()
    h.install_vib(es.Vib.build("lab-motd", "1.0", {"/etc/motd": "lab\n"}, overlay=True))
    h.fs.write("/etc/hosts", "10.0.0.5 nas\n", append=True)
    h.advance(hours=1, minutes=5)
    h.configure("hostname", "lab01")
    h.power_loss()
    h.boot()
    h.upgrade("7.0")
    h.reboot()  # the 6.x -> 7.0 upgrade re-lays the boot device (F45)
    h.upgrade("7.0U3")
    h.reboot(rollback=True)
    kinds = set()
    for event in h.history:
        kinds.add(event.kind)
        assert event.facts, event
        for fid in event.facts:
            facts.fact(fid)  # raises UnknownFact if the event cites something unregistered
        assert ids_in(event.why) == set(event.facts), event
    assert {"bootloader", "vib-install", "backup", "power-loss", "upgrade", "relayout"} <= kinds


def test_explain_answers_cite_registered_facts_only():
    h = es.Host.demo("7.0")
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.5 nas\n", append=True)
    h.fs.write("/tmp/scratch", "x")
    for path in ("/etc/hosts", "/tmp/scratch", "/etc/motd", "/bin/sh"):
        text = str(h.explain(path))
        named = ids_in(text)
        assert named, text
        assert named <= set(facts.FACTS), (path, named - set(facts.FACTS))


def test_lessons_cite_only_registered_facts():
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        unknown = ids_in(text) - set(facts.FACTS)
        assert not unknown, f"{notebook.name} cites {sorted(unknown)}"


def test_the_vib_install_why_says_vibs_are_not_in_state_tgz():
    h = es.Host.demo("6.7")
    h.boot()
    h.install_vib(es.Vib.build("lab-tools", "1.0", {"/opt/lab/bin/tool": "#!/bin/sh\n"}))
    event = h.history[-1]
    assert event.kind == "vib-install"
    assert "never goes into state.tgz" in event.why and "F32" in event.facts
    assert "F32" in facts.describe(event.facts)


@pytest.mark.parametrize("bad", ["F99", "F0", "f27", "27", 27, None, ""])
def test_an_unknown_fact_id_is_a_typed_error(bad):
    with pytest.raises(UnknownFact) as info:
        facts.fact(bad)
    assert isinstance(info.value, EsxiStateError)
    assert "there is no ESXi fact" in str(info.value) and "F1 to F49" in str(info.value)
    with pytest.raises(UnknownFact):
        facts.cite("F27", bad)


def test_cite_and_describe():
    assert facts.cite("F27", "F25") == "(F27, F25)"
    assert facts.cite() == ""
    text = facts.describe("F9")
    assert text.startswith("F9 (single source): ") and "exactly two banks" in text
    assert facts.describe(["F27", "F16"]).count("\n") == 1


def test_annotate_html_gives_each_known_id_its_sentence_as_a_tooltip():
    out = facts.annotate_html("tardisks are read-only (F27, F99) &amp; F16")
    assert '<abbr title="F27 (confirmed): A tardisk is read-only' in out
    assert out.count("<abbr") == 2 and "F99)" in out and "&amp;" in out


def test_the_html_export_and_timeline_show_fact_tooltips(tmp_path):
    h = es.Host.demo("6.7")
    h.boot()
    page = es.export.render(h.history)
    assert '<abbr title=\\"F39 (confirmed): Tardisks are mounted in boot.cfg order' in page


def test_magic_why_with_a_fact_id(capsys, ipython):
    h = es.Host.demo("6.7")
    h.boot()
    es.use(h)
    ipython.run_line_magic("esxi", "why f27 F16,")
    out = capsys.readouterr().out
    assert out.startswith("F27 (confirmed): A tardisk is read-only")
    assert "\nF16 (confirmed): backup.sh saves exactly the /etc files" in out
    ipython.run_line_magic("esxi", "why F77")
    assert capsys.readouterr().out == "there is no ESXi fact 'F77'; the facts are F1 to F49.\n"
