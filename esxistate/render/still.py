"""A widget's still: a static picture of what it shows now, for the places where no kernel runs the notebook.

A notebook stores a widget output as a pointer to a live model (`application/vnd.jupyter.widget-view+json`) plus a
`text/plain` form. Where no kernel runs it, the pointer cannot be drawn (JupyterLab opening a lesson that was not
run and trusted on that machine, nbconvert's HTML of a notebook without stored widget state, viewers without
ipywidgets), and the widget's repr was shown instead (`Quiz(children=(HTML(value=...`). The widgets here add two
forms beside the pointer:

- `text/html`, the still: the widget's own children drawn as plain HTML (buttons greyed, fields filled in), with
  every diagram as a PNG `<img>` laid out by the same graphviz-pure, under a line saying it is a still;
- `text/plain`, a readable sentence of its state instead of the repr.

Which form is shown is the front end's choice, by rank: JupyterLab puts the widget view first (rank -10, text/html
is 50), so a notebook run in this session (hence trusted) shows the live widget; for an untrusted output it uses
only the renderers it calls safe, and the widget view is not one, so it shows the still, sanitized (styles, `<img>`
with a `data:` source and disabled buttons survive; scripts and inline SVG do not, hence the PNG).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import ipywidgets as W

from . import svg
from .palette import (
    BUTTON,
    BUTTON_LINE,
    BUTTON_TEXT,
    FIELD,
    FIELD_LINE,
    INK,
    PAPER,
    PLACEHOLDER,
    PRIMARY,
    PRIMARY_LINE,
    STILL_FRAME,
    STILL_NOTE_TEXT,
    TRACK,
)

__all__ = ["STILL_NOTE", "Still", "diagram_picture", "still_html", "text_of"]

STILL_NOTE = "A still of the live widget: run the notebook to use it."

_SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)
_BREAK = re.compile(r"<(?:br|/?(?:div|p|pre|tr|td|th|h\d|li|table))\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_BOX = f"border:1px solid {FIELD_LINE};border-radius:2px;background:{FIELD};padding:2px 6px;"
_BUTTON = f"border:1px solid {BUTTON_LINE};border-radius:2px;background:{BUTTON};color:{BUTTON_TEXT};padding:3px 10px;"
_PRIMARY = f"border:1px solid {PRIMARY_LINE};border-radius:2px;background:{PRIMARY};color:{PAPER};padding:3px 10px;"


def diagram_picture(diagram: Any) -> str:
    """A diagram as an `<img>` of its PNG (a data: URI, no file, no network); the readable table without a layout
    program."""
    try:
        data = svg.png_base64(diagram.source)
    except (svg.LayoutFailed, OSError):
        data = None
    if data is None:
        return svg.html_table(diagram)
    title = html.escape(getattr(diagram, "title", "") or "diagram", quote=True)
    return f'<img src="data:image/png;base64,{data}" alt="{title}" style="max-width:100%">'


def text_of(markup: str) -> str:
    """The words of an HTML fragment, one space between them."""
    return " ".join(html.unescape(_TAG.sub("", _BREAK.sub(" ", _SVG_BLOCK.sub(" ", markup)))).split())


def _label(widget: Any) -> str:
    description = getattr(widget, "description", "")
    return f"<span style='margin-right:6px'>{html.escape(description)}</span>" if description else ""


def _width(widget: Any) -> str:
    width = getattr(widget.layout, "width", None)
    return f"width:{width};" if width and width != "auto" else ""


def _choices(options: Iterable[Any], chosen: Any, marks: tuple[str, str]) -> str:
    return "".join(
        f"<div>{marks[0] if option == chosen else marks[1]} {html.escape(str(option))}</div>" for option in options
    )


def _share(widget: Any) -> float:
    """How far a progress bar or slider is along its range, 0 to 1."""
    if widget.max <= widget.min:
        return 0.0
    return max(0.0, min((widget.value - widget.min) / (widget.max - widget.min), 1.0))


def still_html(widget: Any, pictures: Mapping[int, str] | None = None) -> str:
    """`widget` and its children as static HTML, as they are now. `pictures` maps id(child) to the HTML to show in
    its place (a diagram's PNG instead of inline SVG that a sanitizer removes). Hidden children are left out."""
    pictures = pictures or {}
    if id(widget) in pictures:
        return pictures[id(widget)]
    if getattr(widget.layout, "display", None) == "none":
        return ""
    if isinstance(widget, W.Box):
        inner = "".join(still_html(child, pictures) for child in widget.children)
        if isinstance(widget, W.HBox):
            flow = widget.layout.flex_flow or "row"  # as the live HBox: one row unless its layout wraps
            return f"<div style='display:flex;flex-flow:{flow};gap:4px 8px;align-items:flex-start'>{inner}</div>"
        return f"<div style='display:flex;flex-direction:column;gap:4px'>{inner}</div>"
    if isinstance(widget, W.Button):
        style = _PRIMARY if widget.button_style == "primary" else _BUTTON
        return f"<button disabled style='{style}'>{html.escape(widget.description)}</button>"
    if isinstance(widget, W.Play):
        return f"<button disabled style='{_BUTTON}'>▶</button>"
    if isinstance(widget, W.HTML | W.Label):
        value = widget.value if isinstance(widget, W.HTML) else html.escape(widget.value)
        return f"<div>{_SVG_BLOCK.sub('<i>(diagram)</i>', value)}</div>"
    if isinstance(widget, W.Textarea):
        body = html.escape(widget.value) or "&nbsp;"
        rows = f"max-height:{(widget.rows or 6) * 1.3:.1f}em;overflow:hidden;"  # the first rows, as the live box
        wrap = "white-space:pre-wrap;word-break:normal;overflow-wrap:break-word"
        return f"<pre style='{_BOX}{_width(widget)}{rows}margin:0;{wrap}'>{body}</pre>"
    if isinstance(widget, W.Text | W.Dropdown):
        shown = widget.value if widget.value not in (None, "") else getattr(widget, "placeholder", "")
        colour = INK if widget.value else PLACEHOLDER
        style = f"{_BOX}{_width(widget)}display:inline-block;color:{colour}"
        field = f"<span style='{style}'>{html.escape(str(shown or ''))}&nbsp;</span>"
        return f"<div>{_label(widget)}{field}</div>"
    if isinstance(widget, W.Select):
        rows = list(widget.options)[: widget.rows]
        return f"<div style='{_BOX}{_width(widget)}'>{_choices(rows, widget.value, ('▸', '&nbsp;'))}</div>"
    if isinstance(widget, W.RadioButtons):
        return f"<div>{_choices(widget.options, widget.value, ('◉', '○'))}</div>"
    if isinstance(widget, W.FloatProgress | W.IntProgress):
        fill = f"<div style='width:{_share(widget) * 100:.0f}%;height:100%;background:{PRIMARY}'></div>"
        return f"<div style='{_width(widget)}height:12px;margin-top:4px;border:1px solid {FIELD_LINE}'>{fill}</div>"
    if isinstance(widget, W.IntSlider | W.FloatSlider):
        share = _share(widget)
        track = (
            f"<span style='display:inline-block;width:160px;height:6px;border:1px solid {FIELD_LINE};"
            f"background:linear-gradient(to right,{PRIMARY} {share * 100:.0f}%,{TRACK} {share * 100:.0f}%)'></span>"
        )
        return f"<div>{_label(widget)}{track} {widget.value}</div>"
    return f"<div><code>{html.escape(type(widget).__name__)}</code></div>"


class Still:
    """Mixin for a widget class (listed before the ipywidgets base): its bundle carries the still (`text/html`)
    and a readable `text/plain` next to the live widget's view. Subclasses give `still_caption()` and may give
    `still_pictures()`."""

    def still_caption(self) -> str:
        """One or two lines of plain text saying what the widget shows now (its text/plain form)."""
        raise NotImplementedError

    def still_pictures(self) -> dict[int, str]:
        """id(child) -> HTML shown in that child's place in the still (diagrams as PNG)."""
        return {}

    def still(self) -> str:
        """The still: the widget as static HTML, framed, with a line saying how to get the live widget."""
        body = still_html(self, self.still_pictures())
        return (
            f"<div class='esxistate-still' style='border:1px dashed {STILL_FRAME};padding:6px'>{body}"
            f"<div style='color:{STILL_NOTE_TEXT};font-size:85%;margin-top:6px'>"
            f"<i>{html.escape(STILL_NOTE)}</i></div></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs) or {})  # type: ignore[misc]
        bundle["text/plain"] = f"{self.still_caption()}\n({STILL_NOTE})"
        if (include is None or "text/html" in include) and (exclude is None or "text/html" not in exclude):
            bundle["text/html"] = self.still()
        return svg.filter_bundle(bundle, include, exclude)
