"""The DOT helpers every diagram is built from: the `Diagram` class, fonts, escaping, labels, legends, and the
bank states' fills.

A `Diagram` is a `graphviz.Digraph` whose `.source` is deterministic DOT text, with a title and its content as plain
rows, so that without a layout program it still shows as a table (`svg.display_bundle`). Colours come from
`palette`; lightness and line style carry the meaning, so a greyscale print still tells them apart.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import graphviz

from ..bootbank import BankState
from ..boundary import printable
from ..events import Event, HostSnapshot
from . import svg
from .palette import BANK_EMPTY, DIRTY, INK, INVALID, LEGEND_LINE, MUTED, PAPER, UPGRADING, VALID

__all__ = ["FONT", "MONO", "STATE_STYLE", "Diagram", "snapshot_of"]

STATE_STYLE: Mapping[BankState | None, tuple[str, str, str]] = {  # fill, style, text colour
    BankState.VALID: (VALID, "filled", INK),
    BankState.UPGRADING: (UPGRADING, "filled,dashed", INK),
    BankState.DIRTY: (DIRTY, "filled,dotted", INK),
    BankState.INVALID: (INVALID, "filled,diagonals", MUTED),
    None: (BANK_EMPTY, "filled,dotted", MUTED),
}
FONT = "Helvetica"
MONO = "Courier"


class Diagram(graphviz.Digraph):
    """A `graphviz.Digraph` with a title and its content as plain (what, detail) rows.

    It shows itself in Jupyter through `svg.display_bundle` (our own call to the layout program, or a table
    without one) rather than graphviz's own `dot` lookup, and its repr is stable text.
    """

    def __init__(self, name: str | None = None, *, title: str = "", rows: Iterable[tuple[str, str]] = (), **kw: Any):
        super().__init__(name, **kw)
        self.title = title
        self.rows: list[tuple[str, str]] = list(rows)

    def copy(self) -> Diagram:
        new = super().copy()
        new.title, new.rows = self.title, list(self.rows)
        return new

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        return svg.display_bundle(self, include=include, exclude=exclude)

    def __repr__(self) -> str:
        return f"Diagram({self.name}: {self.title})"


def snapshot_of(source: Any) -> HostSnapshot:
    """The snapshot to draw: a HostSnapshot as is, an Event's snapshot, or a Host's snapshot now."""
    if isinstance(source, HostSnapshot):
        return source
    if isinstance(source, Event):
        return source.snapshot
    take = getattr(source, "snapshot", None)
    if callable(take):
        return take()
    raise TypeError(f"expected a Host, HostSnapshot or Event, not {type(source).__name__}")


def _e(text: object) -> str:
    """Text for an HTML-like label: markup escaped, each backslash doubled, and characters UTF-8 cannot carry shown
    as \\udcxx escapes. graphviz-pure reads `\\G`, `\\N` and `\\l` as DOT's escapes (graph name, node name,
    left-justified line) even inside HTML-like labels, after entities are decoded; `\\\\` is its literal
    backslash."""
    return html.escape(printable(str(text)), quote=True).replace("\\", "\\\\")


def _plain(text: object) -> str:
    """Text from outside (a path, a module name) for a plain DOT label: each backslash doubled, so `\\G`, `\\N`,
    `\\l` or a trailing backslash stay characters instead of DOT's escapes (graph name, node name, left-justified
    line), and characters UTF-8 cannot carry shown as escapes."""
    return printable(str(text)).replace("\\", "\\\\")


def _font(text: str, *, color: str | None = None, size: int | None = None, face: str | None = None) -> str:
    """Wrap already-escaped HTML label text in a FONT tag."""
    attrs = "".join(f' {k}="{v}"' for k, v in (("COLOR", color), ("POINT-SIZE", size), ("FACE", face)) if v is not None)
    return f"<FONT{attrs}>{text}</FONT>" if attrs else text


def _label(*lines: str) -> str:
    """An HTML-like label from already-marked-up lines."""
    return "<" + "<BR/>".join(lines) + ">"


def _new(name: str, title: str, subtitle: str, **graph_attr: str) -> Diagram:
    g = Diagram(name, title=title)
    g.attr(
        label=_label(_font(f"<B>{_e(title)}</B>", size=16), _font(_e(subtitle), color=MUTED, size=12)),
        labelloc="t",
        labeljust="l",
        fontname=FONT,
        bgcolor=PAPER,
        **graph_attr,
    )
    g.attr("node", fontname=FONT, fontsize="12", color=INK, fontcolor=INK, penwidth="1.2")
    g.attr("edge", fontname=FONT, fontsize="11", color=INK, fontcolor=INK)
    return g


def _legend(g: Diagram, rows: Sequence[tuple[str, str, str]], *, name: str = "legend") -> None:
    """A legend node: each row is (swatch cell attributes, swatch text, meaning)."""
    body = "".join(
        f'<TR><TD {cell} WIDTH="96">{swatch}</TD><TD ALIGN="LEFT" BALIGN="LEFT">{meaning}</TD></TR>'
        for cell, swatch, meaning in rows
    )
    g.node(
        name,
        "<"
        f'<TABLE BORDER="1" COLOR="{LEGEND_LINE}" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3">'
        f'<TR><TD COLSPAN="2" ALIGN="LEFT"><B>legend</B></TD></TR>{body}</TABLE>'
        ">",
        shape="plain",
        fontsize="11",
    )


def _cell(fill: str, *, style: str | None = None, border: int = 1) -> str:
    extra = f' STYLE="{style}"' if style else ""
    return f'BGCOLOR="{fill}" BORDER="{border}"{extra}'


def _strip(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _vib_of_module(snap: HostSnapshot) -> dict[str, str]:
    return {module: vib.name for vib in snap.vibs for _payload, module in vib.modules}
