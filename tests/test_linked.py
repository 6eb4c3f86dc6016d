"""A diagram whose boxes link to lessons, as HTML a reader can click: the PNG with one link over each box. The boxes'
places are checked against graphviz's own plain-text layout of the same DOT (an independent output of the layout
program), so a link that drifted off its box would fail."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser

import pytest

import esxistate as es
from esxistate.render import linked, svg, vanished

pytestmark = pytest.mark.exe("graphviz-pure")
PAD_PT = 4  # graphviz's default pad around the drawing, in points, on each side


def _plain_nodes(source: str) -> tuple[float, float, dict[str, tuple[float, float, float, float]]]:
    """`-Tplain`: the graph's width and height and each node's centre and size, in inches, y upwards."""
    out = subprocess.run(
        [svg.find_executable(), "-Tplain"], input=source.encode(), capture_output=True, check=True
    ).stdout.decode()
    lines = out.splitlines()
    _, _, width, height = lines[0].split()[:4]
    nodes = {}
    for line in lines[1:]:
        if line.startswith("node "):
            name, x, y, w, h = line.split()[1:6]
            nodes[name.strip('"')] = (float(x), float(y), float(w), float(h))
    return float(width), float(height), nodes


def test_each_linked_box_lies_on_its_node_and_links_to_its_lesson_section():
    diagram = es.render.why_vanished()
    found = linked.boxes(svg.to_svg(diagram.source))
    assert [b.href for b in found] == [vanished.link(vanished.LINKS[key]) for key in _node_order(diagram)]
    width_in, height_in, nodes = _plain_nodes(diagram.source)
    page_w, page_h = width_in * 72 + 2 * PAD_PT, height_in * 72 + 2 * PAD_PT
    for key, box in zip(_node_order(diagram), found, strict=True):
        x, y, w, h = nodes[key]
        cx, cy = 100 * (x * 72 + PAD_PT) / page_w, 100 * ((height_in - y) * 72 + PAD_PT) / page_h
        assert box.left < cx < box.left + box.width and box.top < cy < box.top + box.height, (key, box)
        assert abs(box.width * page_w / 100 - w * 72) < 1.5 and abs(box.height * page_h / 100 - h * 72) < 1.5


def _node_order(diagram) -> list[str]:
    """The linked nodes in the order the DOT declares them (graphviz draws them in that order)."""
    order = []
    for line in diagram.source.splitlines():
        name = line.strip().split(" ", 1)[0].strip('"')
        if "URL=" in line and name in vanished.LINKS and name not in order:
            order.append(name)
    return order


class _Anchors(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.images = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append(dict(attrs))
        self.images += tag == "img"


def test_a_diagram_with_links_shows_as_its_png_with_one_link_a_box():
    bundle = es.render.why_vanished()._repr_mimebundle_()
    page = _Anchors(bundle["text/html"])
    assert page.images == 1 and f'src="data:image/png;base64,{bundle["image/png"]}"' in bundle["text/html"]
    assert len(page.anchors) == len(vanished.LINKS)
    assert all(
        "position:absolute" in (a.get("style") or "") and not a.get("href", "").startswith("http") for a in page.anchors
    )
    assert "text/html" not in es.render.why_vanished()._repr_mimebundle_(exclude=["text/html"])


def test_a_diagram_without_links_gets_no_html_form():
    host = es.Host.demo("7.0")
    host.boot()
    bundle = es.render.layer_stack(host, "/etc/motd")._repr_mimebundle_()
    assert "image/png" in bundle and "text/html" not in bundle
    assert linked.linked_html(bundle["image/svg+xml"], bundle["image/png"], "x") is None


def test_links_stay_on_their_own_boxes_when_unlinked_boxes_come_between():
    """Linked and unlinked nodes alternate: each link's rectangle must hold its own node's centre, never a
    neighbour's (graphviz nests a linked node's shapes in one more <g> than an unlinked node's)."""
    source = (
        "digraph { node [shape=box];\n"
        ' a [label="A, no link"];\n b [label="B", URL="b.ipynb", tooltip="to b"];\n'
        ' c [label="C, no link"];\n d [label="D", URL="d.ipynb"];\n a -> b; b -> c; c -> d; }\n'
    )
    found = linked.boxes(svg.to_svg(source))
    assert [(b.href, b.title) for b in found] == [("b.ipynb", "to b"), ("d.ipynb", "D")]
    width_in, height_in, nodes = _plain_nodes(source)
    page_w, page_h = width_in * 72 + 2 * PAD_PT, height_in * 72 + 2 * PAD_PT
    for key, box in zip("bd", found, strict=True):
        for other, (x, y, _, _) in nodes.items():
            cx, cy = 100 * (x * 72 + PAD_PT) / page_w, 100 * ((height_in - y) * 72 + PAD_PT) / page_h
            inside = box.left < cx < box.left + box.width and box.top < cy < box.top + box.height
            assert inside == (other == key), (key, other, box)
