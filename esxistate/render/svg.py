"""Lay out DOT text with a graphviz program, and show a diagram in Jupyter, as SVG or, without a program, as a table.

The layout program is `graphviz-pure` (a PyPI wheel: the `dot` command line ported to Rust, same flags, its own
fonts, byte-identical SVG everywhere), else a `dot` found on PATH (DESIGN.md, "Tooling that works on these
machines"). We call it ourselves with `subprocess.run`; the `graphviz` package only builds the DOT text, because its
own rendering looks for `dot` and `graphviz.version()` cannot read graphviz-pure's version line.

No layout program is not an error a student should see: `display_bundle` then returns an HTML table of the
diagram's content with a one-line hint, never a traceback.

A diagram also carries a small PNG laid out by the same program (`png_picture`), because a notebook is read in
places that will not show its SVG: JupyterLab does not render SVG (nor unsanitized HTML) from a notebook that was not
run and trusted on that machine, while it always renders image/png. A viewer that renders SVG still shows the SVG.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import os
import re
import shutil
import subprocess
import sysconfig
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import browser
from ..errors import LayoutFailed  # re-exported: es.render.LayoutFailed
from . import linked
from .palette import PAPER

__all__ = [
    "EXECUTABLES",
    "INSTALL_HINT",
    "LayoutFailed",
    "display_bundle",
    "filter_bundle",
    "find_executable",
    "html_table",
    "on_clear",
    "plain_text",
    "png_base64",
    "png_picture",
    "to_png",
    "to_svg",
]

EXECUTABLES: tuple[str, ...] = ("graphviz-pure", "dot")  # the first one found on PATH lays the diagrams out
INSTALL_HINT = "No graphviz layout program found: `pip install graphviz-pure` draws this as a diagram."
TIMEOUT_S = 60


def find_executable() -> str | None:
    """The path of the layout program: graphviz-pure, else dot; None when neither is installed.

    Each name is looked up on PATH, then in this Python's own scripts directory, where pip puts the graphviz-pure
    wheel's executable even when that directory is not on PATH (a kernel started from a virtualenv, `--user`)."""
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
        for scheme in (None, f"{os.name}_user"):
            try:
                scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
            except KeyError:
                continue
            found = shutil.which(name, path=scripts)
            if found:
                return found
    return None


CACHE_BYTES = 64 * 2**20  # laid-out pictures kept for reuse: a few thousand diagrams of a long lesson


class _Layouts:
    """The pictures already laid out, keyed by (program, format, DOT source, flags), least recently used first, and
    bounded by the bytes they hold: the same DOT always gives the same picture, so a timeline replayed, or a lesson
    exported again with more events, lays out only the diagrams it has not drawn before."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._pictures: OrderedDict[tuple[str, str, str, tuple[str, ...]], bytes] = OrderedDict()
        self._bytes = self.hits = self.misses = 0

    def get(self, key: tuple[str, str, str, tuple[str, ...]]) -> bytes | None:
        picture = self._pictures.get(key)
        if picture is None:
            self.misses += 1
            return None
        self.hits += 1
        self._pictures.move_to_end(key)
        return picture

    def put(self, key: tuple[str, str, str, tuple[str, ...]], picture: bytes) -> None:
        cost = len(picture) + len(key[2])
        if cost > self.budget:
            return  # larger than the whole budget: laid out again when asked for again
        old = self._pictures.pop(key, None)
        if old is not None:
            self._bytes -= len(old) + len(key[2])
        self._pictures[key] = picture
        self._bytes += cost
        while self._bytes > self.budget:
            (_exe, _fmt, source, _extra), dropped = self._pictures.popitem(last=False)
            self._bytes -= len(dropped) + len(source)

    def clear(self) -> None:
        self._pictures.clear()
        self._bytes = self.hits = self.misses = 0

    def info(self) -> tuple[int, int, int, int]:
        """(hits, misses, pictures held, bytes held)."""
        return self.hits, self.misses, len(self._pictures), self._bytes


_LAYOUTS = _Layouts(CACHE_BYTES)


def _layout(exe: str, fmt: str, source: str, extra: tuple[str, ...]) -> bytes:
    """One run of the layout program: `source` in, the picture's bytes out; LayoutFailed when it refuses."""
    proc = subprocess.run(
        [exe, f"-T{fmt}", *extra],
        input=source.encode("utf-8", "backslashreplace"),
        capture_output=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout:
        message = proc.stderr.decode("utf-8", "replace").strip() or f"exit status {proc.returncode}"
        raise LayoutFailed(f"{Path(exe).name} could not lay out the diagram: {message}")
    return proc.stdout


def _run(exe: str, fmt: str, source: str, extra: tuple[str, ...]) -> bytes:
    """The picture of `source`, laid out once and then served from `_LAYOUTS` (a failed layout is not kept)."""
    key = (exe, fmt, source, extra)
    picture = _LAYOUTS.get(key)
    if picture is None:
        picture = _layout(exe, fmt, source, extra)
        _LAYOUTS.put(key, picture)
    return picture


_DERIVED: list[Callable[[], None]] = []  # clear() of the caches built on laid-out pictures (the lesson file's)


def on_clear(clear: Callable[[], None]) -> None:
    """Have `clear` called whenever the laid-out pictures are forgotten: a cache of markup made from them goes too,
    so a cold run (a benchmark's, a test's) is cold everywhere."""
    _DERIVED.append(clear)


def _cache_clear() -> None:
    _LAYOUTS.clear()
    for clear in _DERIVED:
        clear()


_run.cache_clear = _cache_clear  # type: ignore[attr-defined]  # as functools' caches: clear, then lay out again
_run.cache_info = _LAYOUTS.info  # type: ignore[attr-defined]


def to_svg(dot_source: str) -> str | None:
    """SVG text of `dot_source`; None when no layout program is installed. LayoutFailed if it rejects the DOT.

    In a browser (JupyterLite) no program can run: Graphviz compiled to WebAssembly lays it out (esxistate.browser),
    and None means it is not loaded (yet)."""
    if browser.IN_BROWSER:
        try:
            return browser.layout_svg(dot_source)
        except ValueError as err:
            raise LayoutFailed(f"Graphviz could not lay out the diagram: {err}") from None
    exe = find_executable()
    if exe is None:
        return None
    return _run(exe, "svg", dot_source, ()).decode("utf-8")


def to_png(dot_source: str, path: str | Path, *, dpi: int | None = None) -> Path:
    """Write a PNG of `dot_source` to `path` (FileNotFoundError when no layout program is installed)."""
    exe = find_executable()
    if exe is None:
        raise FileNotFoundError(INSTALL_HINT)
    extra = (f"-Gdpi={int(dpi)}",) if dpi else ()
    target = Path(path)
    target.write_bytes(_run(exe, "png", dot_source, extra))
    return target


# -- the text form of a diagram --------------------------------------------------------------------------------------

_NODE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.]+)\s*\[(.*)\]\s*$', re.M)
_LABEL = re.compile(r'label=("(?:[^"\\]|\\.)*"|<.*>)(?:\s+\w+=|$)')
_TAG = re.compile(r"<[^>]*>")


def _rows_from_source(source: str) -> list[tuple[str, str]]:
    """(node, label text) for a Digraph that carries no rows of its own: its node labels with markup removed."""
    rows = []
    for name, attrs in _NODE.findall(source):
        if name in ("node", "edge", "graph"):
            continue
        m = _LABEL.search(attrs)
        label = m.group(1) if m else name
        text = _TAG.sub(" ", label.replace("<BR/>", " / ")).strip('"<> ').replace("\\n", " / ")
        rows.append((name.strip('"'), html.unescape(" ".join(text.split()))))
    return rows


def _title_and_rows(digraph: Any) -> tuple[str, Sequence[tuple[str, str]]]:
    title = getattr(digraph, "title", "") or getattr(digraph, "name", "") or "diagram"
    rows = getattr(digraph, "rows", None)
    if rows is None:
        rows = _rows_from_source(digraph.source)
    return str(title), rows


def plain_text(digraph: Any) -> str:
    """The stable text form of a diagram: its title, then one line per row (what notebooks store as text/plain)."""
    title, rows = _title_and_rows(digraph)
    return "\n".join([title, *(f"  {what}: {detail}" if detail else f"  {what}" for what, detail in rows)])


def html_table(digraph: Any, hint: str = INSTALL_HINT) -> str:
    """The diagram as an HTML table (title, then what | detail rows) with a one-line hint under it."""
    title, rows = _title_and_rows(digraph)
    body = "".join(
        f'<tr><td style="text-align:left"><b>{html.escape(what)}</b></td>'
        f'<td style="text-align:left">{html.escape(detail)}</td></tr>'
        for what, detail in rows
    )
    return (
        f'<table><caption style="text-align:left"><b>{html.escape(title)}</b></caption>{body}</table>'
        f"<p><i>{html.escape(hint)}</i></p>"
    )


def filter_bundle(
    bundle: dict[str, str], include: Iterable[str] | None, exclude: Iterable[str] | None
) -> dict[str, str]:
    """Keep the mimetypes Jupyter asked for (`include`), drop the ones it refused (`exclude`)."""
    if include is not None:
        wanted = set(include)
        bundle = {k: v for k, v in bundle.items() if k in wanted}
    if exclude is not None:
        unwanted = set(exclude)
        bundle = {k: v for k, v in bundle.items() if k not in unwanted}
    return bundle


MAX_WIDTH_PX = 880  # a JupyterLab notebook column beside the file browser; wider diagrams are scaled down


def fit_width(svg: str, max_px: int = MAX_WIDTH_PX) -> str:
    """Scale a diagram wider than `max_px` down to that width (its viewBox keeps every part): JupyterLab shows an
    SVG at its own size, and a wider one would be cut off at the right edge of the notebook."""
    match = linked.SVG_SIZE.search(svg)
    if match is None:
        return svg
    width, height = float(match[1]) * 4 / 3, float(match[2]) * 4 / 3  # pt -> CSS px
    if width <= max_px:
        return svg
    scaled = f'<svg width="{max_px}px" height="{height * max_px / width:.0f}px"'
    return svg[: match.start()] + scaled + svg[match.end() :]


# -- the PNG a stored notebook shows where SVG is not rendered -------------------------------------------------------

PNG_COLOURS = 32  # palette of a stored picture: a diagram has a few fills and the grey steps of smoothed text


def _palette_png(data: bytes) -> bytes:
    """`data` (graphviz-pure's RGBA PNG) on a white page with at most PNG_COLOURS colours: about a third of the
    bytes, and the same picture to the eye. Without Pillow the PNG is kept as the layout program wrote it.

    Pillow's median cut, without dithering (text stays crisp), is deterministic: the same PNG in gives the same
    bytes out for a given Pillow version."""
    try:
        from PIL import Image
    except ImportError:
        return data
    with Image.open(io.BytesIO(data)) as picture:
        rgba = picture.convert("RGBA")
    page = Image.new("RGB", rgba.size, PAPER)
    page.paste(rgba, mask=rgba.getchannel("A"))
    small = page.quantize(colors=PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)
    return out.getvalue()


def png_picture(dot_source: str, max_px: int = MAX_WIDTH_PX) -> bytes | None:
    """A small PNG of `dot_source` at the size a notebook shows its SVG (one pixel per CSS pixel, at most `max_px`
    wide, as `fit_width` scales the SVG); None when no layout program is installed. LayoutFailed if it rejects the
    DOT. The layout program draws it, so it is the same picture as the SVG, with the same bytes on every machine."""
    exe = find_executable()
    return None if exe is None else _png(exe, dot_source, max_px)


@functools.lru_cache(maxsize=64)
def _png(exe: str, dot_source: str, max_px: int) -> bytes:
    match = linked.SVG_SIZE.search(_run(exe, "svg", dot_source, ()).decode("utf-8"))
    width_px = float(match[1]) * 4 / 3 if match else 0.0  # 96 dpi: one pt is 4/3 CSS px
    dpi = 96.0 if width_px <= max_px else 96.0 * max_px / width_px
    return _palette_png(_run(exe, "png", dot_source, (f"-Gdpi={dpi:.2f}",)))


def png_base64(dot_source: str) -> str | None:
    """`png_picture` as the base64 text a notebook stores (None without a layout program)."""
    data = png_picture(dot_source)
    return None if data is None else base64.b64encode(data).decode("ascii")


def _wanted(mimetype: str, include: Iterable[str] | None, exclude: Iterable[str] | None) -> bool:
    return (include is None or mimetype in include) and (exclude is None or mimetype not in exclude)


def display_bundle(
    digraph: Any,
    *,
    text: str | None = None,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    png: bool = True,
) -> dict[str, str]:
    """A Jupyter mimebundle for a diagram: {'image/svg+xml', 'image/png', 'text/plain'} when a layout program is
    installed, else {'text/html': a table of the same content with a one-line hint, 'text/plain'}. `text` replaces
    the text/plain form (an object's own stable repr); `png=False` leaves the PNG out (a live widget or the HTML
    player only wants the SVG). Never raises for a missing or failing layout program.

    A live, trusted notebook shows the SVG; a notebook opened without running it shows the PNG (JupyterLab renders
    SVG only from trusted outputs); text-only tools read text/plain. A diagram whose boxes carry links also gets
    'text/html': the PNG with a link over each box (`linked`), which front ends rank first."""
    plain = plain_text(digraph) if text is None else text
    hint, picture = INSTALL_HINT, None
    try:
        svg = to_svg(digraph.source)
        wanted = png and not browser.IN_BROWSER and _wanted("image/png", include, exclude)  # no PNG program there
        picture = png_base64(digraph.source) if wanted else None
    except (LayoutFailed, OSError, subprocess.SubprocessError) as err:
        svg, hint = None, f"{err} (shown as a table instead)"
    if svg is not None:
        bundle = {"image/svg+xml": fit_width(svg), "text/plain": plain}
        if picture is not None:
            bundle["image/png"] = picture
            if _wanted("text/html", include, exclude):
                clickable = linked.linked_html(svg, picture, getattr(digraph, "title", "") or "diagram")
                if clickable is not None:
                    bundle["text/html"] = clickable  # boxes with links: the only form whose links a reader can click
        return filter_bundle(bundle, include, exclude)
    if hint == INSTALL_HINT and browser.IN_BROWSER:
        hint = browser.status()
    return filter_bundle({"text/html": html_table(digraph, hint), "text/plain": plain}, include, exclude)
