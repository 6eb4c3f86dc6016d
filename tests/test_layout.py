"""The README's layout table is the map of the package: every module is on it, and nothing on it is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "esxistate"


def _layout_rows() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Layout") :]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _named(rows: list[str]) -> set[str]:
    """Module paths the table names: the first cell's `esxistate/x/y.py` and its siblings written as `z.py`."""
    named: set[str] = set()
    for row in rows:
        cell = row.split("|")[1]
        names = re.findall(r"`([^`]+)`", cell)
        if not names or not names[0].startswith("esxistate/"):
            continue
        folder = names[0].rsplit("/", 1)[0] if names[0].endswith(".py") else names[0].rstrip("/")
        named.add(names[0].rstrip("/"))
        named.update(f"{folder}/{n}" for n in names[1:])
    return named


def _modules() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py":
            continue
        parts = path.relative_to(PACKAGE).parts
        if len(parts) > 1 and parts[0] != "render":
            found.add(f"esxistate/{parts[0]}")  # a subpackage (exercises/, with its kinds/) is one row
        else:
            found.add(rel)
    return found


def test_every_module_is_on_the_map_and_every_row_names_a_module():
    named = _named(_layout_rows())
    modules = _modules()
    assert sorted(modules - named) == [], "modules missing from the README's layout table"
    assert sorted(n for n in named - modules if not (ROOT / n).exists()) == [], "rows naming what is gone"


def test_the_map_check_can_fail():
    rows = ["| `esxistate/host.py`, `hostfs.py` | Host |", "| `esxistate/exercises/` | exercises |"]
    assert _named(rows) == {"esxistate/host.py", "esxistate/hostfs.py", "esxistate/exercises"}
