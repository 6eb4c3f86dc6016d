"""A diagram whose boxes are links, as HTML that every notebook front end keeps clickable.

A diagram's SVG carries its nodes' `URL`s as `<a>` elements, but JupyterLab shows an SVG output as an `<img>`, and an
`<img>` (SVG or PNG) never follows a link; nbviewer and `jupyter nbconvert --to html` draw it the same way. So a
diagram with linked boxes also gets a `text/html` form: its PNG as a `data:` URI, and over it one empty `<a>` per
linked box, absolutely placed on the box. The rectangles come from the layout of the same DOT by the same program
(the laid-out SVG's node outlines), given in percent of the picture, so they stay on their boxes at any width the
picture is shown at. Front ends rank text/html above SVG and PNG, so this is the form a reader sees and clicks; in
JupyterLab a relative link to a notebook opens it in a new tab, at the section its fragment names.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["Box", "boxes", "linked_html"]

SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')  # a laid-out SVG's size, in points
_SHIFT = re.compile(r'class="graph" transform="scale\(([\d.]+) [\d.]+\) rotate\(0\) translate\(([-\d.]+) ([-\d.]+)\)"')
# one node's group: up to the next node's or edge's group (an unlinked node's group holds no nested <g>, a linked
# one's does, so the group's own end tag cannot tell where it stops)
_NODE = re.compile(r'<g id="node\d+" class="node">(.*?)(?=<g id="(?:node|edge)\d+" class=|</svg>)', re.S)
_LINK = re.compile(r'<a xlink:href="([^"]*)"(?: xlink:title="([^"]*)")?')
_OUTLINE = re.compile(r'<(?:path|polygon)\b[^>]*?(?:\bd|\bpoints)="([^"]*)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Box:
    """One linked box: where it links, its tooltip, and its rectangle in percent of the picture (left, top, width,
    height)."""

    href: str
    title: str
    left: float
    top: float
    width: float
    height: float


def boxes(svg: str) -> list[Box]:
    """The linked nodes of a laid-out SVG (graphviz's output), each with the rectangle around its outline."""
    size, shift = SVG_SIZE.search(svg), _SHIFT.search(svg)
    if size is None or shift is None:
        return []
    width, height = float(size[1]), float(size[2])
    scale, dx, dy = float(shift[1]), float(shift[2]), float(shift[3])
    found = []
    for node in _NODE.finditer(svg):
        link, outline = _LINK.search(node[1]), _OUTLINE.search(node[1])
        if link is None or outline is None:
            continue
        numbers = [float(n) for n in _NUMBER.findall(outline[1])]
        xs, ys = numbers[0::2], numbers[1::2]
        left, right = (min(xs) + dx) * scale, (max(xs) + dx) * scale
        top, bottom = (min(ys) + dy) * scale, (max(ys) + dy) * scale
        found.append(
            Box(
                html.unescape(link[1]),
                html.unescape(link[2] or ""),
                100 * left / width,
                100 * top / height,
                100 * (right - left) / width,
                100 * (bottom - top) / height,
            )
        )
    return found


def linked_html(svg: str, png_base64: str, alt: str) -> str | None:
    """The picture with a link over each linked box, or None when the SVG has no linked box."""
    found = boxes(svg)
    if not found:
        return None
    links = "".join(
        f'<a href="{html.escape(b.href, quote=True)}" title="{html.escape(b.title, quote=True)}" '
        f'style="position:absolute;display:block;left:{b.left:.2f}%;top:{b.top:.2f}%;'
        f'width:{b.width:.2f}%;height:{b.height:.2f}%"></a>'
        for b in found
    )
    return (
        '<div class="esxistate-linked" style="position:relative;display:inline-block;max-width:100%;line-height:0">'
        f'<img src="data:image/png;base64,{png_base64}" alt="{html.escape(alt, quote=True)}" '
        f'style="display:block;max-width:100%">{links}</div>'
    )
