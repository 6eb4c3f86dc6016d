"""Wide text tables shown as HTML tables: what `esxcli ... list` and friends print is wider than a lesson's column.

`columns(text)` reads a listing in esxcli's layout (a header line, a rule of dashes under each column, then rows,
columns separated by spaces) into a `Table`; `Table(header, rows)` builds one from Python values. A Table shows
itself as an HTML table in Jupyter, and its text form is the original text, so a notebook test still compares
every character of it.

    >>> from esxistate.render.table import columns
    >>> t = columns("Name   Size\\n-----  ----\\nroot    32M\\netc     28M\\n")
    >>> t.header, t.rows
    (('Name', 'Size'), (('root', '32M'), ('etc', '28M')))
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Table", "columns"]

_RULE = re.compile(r"-+")


@dataclass(frozen=True)
class Table:
    """Rows under a header, shown as an HTML table; `text` is its plain form (the original listing, if any)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    text: str = ""
    caption: str = ""

    @classmethod
    def of(cls, header: Sequence[Any], rows: Iterable[Sequence[Any]], caption: str = "") -> Table:
        head = tuple(str(h) for h in header)
        body = tuple(tuple(str(c) for c in row) for row in rows)
        widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in (head, *body)]
        return cls(head, body, "\n".join(lines) + "\n", caption)

    def _repr_html_(self) -> str:
        def row(cells: Sequence[str], tag: str) -> str:
            return "<tr>" + "".join(f'<{tag} style="text-align:left">{html.escape(c)}</{tag}>' for c in cells) + "</tr>"

        caption = f'<caption style="text-align:left">{html.escape(self.caption)}</caption>' if self.caption else ""
        body = "".join(row(r, "td") for r in self.rows)
        return f"<table>{caption}<thead>{row(self.header, 'th')}</thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        return self.text.rstrip("\n") or f"Table({', '.join(self.header)}: {len(self.rows)} rows)"


def columns(text: str) -> Table | None:
    """A Table from a listing whose second line is a rule of dashes, one run per column; None for other text."""
    lines = text.rstrip("\n").splitlines()
    if len(lines) < 2 or not lines[1].strip() or set(lines[1].replace(" ", "")) != {"-"}:
        return None
    spans = [(m.start(), m.end()) for m in _RULE.finditer(lines[1])]

    def cut(line: str) -> tuple[str, ...]:
        """Each cell runs from the end of the rule before it to the start of the rule after it, so a number
        right-aligned past its rule's start still lands in its column."""
        bounds = [0, *(end for _start, end in spans[:-1])]
        stops = [start for start, _end in spans[1:]] + [len(line)]
        return tuple(line[a:b].strip() for a, b in zip(bounds, stops, strict=True))

    return Table(cut(lines[0]), tuple(cut(line) for line in lines[2:] if line.strip()), text)
