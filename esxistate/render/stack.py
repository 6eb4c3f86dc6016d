"""The VisorFS layer stack of a running host: tardisks in mount order under the ramdisks, and which layer serves a
path (F39, F27, F25).

Above FOLD_ABOVE tardisks, runs of tardisks fold into one node each ("… 38 driver and tool tardisks …"): the top
few, the esx-base tardisks at the bottom, imgdb.tgz and state.tgz stay, and so do the layer that serves the path
and the copies it hides, up to HIDDEN_SHOWN of them. A path many overlay VIBs ship keeps only its nearest and lowest
hidden copies; the others fold into "… N more tardisks …" nodes that count them, so the picture stays a page wide
and still tells the truth about who serves the path and what it hides. Where we simplify: a folded tardisk's own
name, VIB and number are left out of the picture (they stay in `tardisk_bundle` and `ls /tardisks`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from esxistate.sizes import readable as _size

from .. import persistence
from ..events import HostSnapshot
from ..layers import Resolution, Tardisk, is_twin, owner_of
from .dot import Diagram, _cell, _e, _font, _label, _legend, _new, _plain, _strip, _vib_of_module, snapshot_of
from .palette import (
    BRANCH,
    DELETED,
    DELETED_FILL,
    FOLDED,
    HIDDEN,
    HIDDEN_LINE,
    INK,
    MUTED,
    RAMDISK,
    RAMDISK_HEAD,
    SERVES,
    SERVES_TEXT,
    TARDISK,
    TARDISK_LINE,
    TWIN,
)

__all__ = ["FOLD_ABOVE", "TOP_SHOWN", "layer_stack"]

TOP_SHOWN = 4  # the top tardisks always drawn one by one
FOLD_ABOVE = 12  # fold tardisks only when there are more than this many
HIDDEN_SHOWN = 4  # hidden copies of the path drawn one by one; above this, only the nearest and the lowest
SENTENCE_NAMES = 4  # layers named in the subtitle's "hiding ..."; above this, the nearest, the lowest and a count


def _hidden_drawn(shadowed: Sequence[str]) -> set[str]:
    """The hidden copies of the path that get a node of their own. A path many overlay VIBs ship (one copy per VIB)
    keeps two: the nearest (a branch arrow starts there, F27) and the lowest (the first tardisk that shipped it);
    the others fold with their neighbours and their fold node counts them, so the stack stays a page wide."""
    if len(shadowed) <= HIDDEN_SHOWN:
        return set(shadowed)
    return {shadowed[0], shadowed[-1]}


def _names(layers: Sequence[str]) -> str:
    """Layer names for a sentence, top first: all of a few, or the nearest, the lowest and how many in all."""
    if len(layers) <= SENTENCE_NAMES:
        return ", ".join(layers)
    return f"{layers[0]}, … {layers[-1]} ({len(layers)} copies)"


def _shown_tardisks(snap: HostSnapshot, holders: set[str]) -> set[str]:
    """Which tardisks get a node of their own: the esx-base tardisks mounted first, every tardisk holding the path,
    the top few, imgdb.tgz and state.tgz. The rest fold into one node per run."""
    names = [t.name for t in snap.tardisks]
    if len(names) <= FOLD_ABOVE:
        return set(names)
    base = {m for vib in snap.vibs if vib.name == "esx-base" for _p, m in vib.modules}
    shown = set(holders) | {"imgdb.tgz", "state.tgz"} | set(names[-TOP_SHOWN:])
    for name in names:
        if name not in base:
            break
        shown.add(name)
    if not base:
        shown.update(names[:TOP_SHOWN])
    return shown


def _runs(tardisks: Sequence[Tardisk], shown: set[str]) -> list[list[Tardisk]]:
    """Mount order cut into runs: a shown tardisk alone, or a run of consecutive hidden ones (a run of one is shown)."""
    runs: list[list[Tardisk]] = []
    for td in tardisks:
        if td.name in shown or not runs or runs[-1][0].name in shown:
            runs.append([td])
        else:
            runs[-1].append(td)
    return runs


def _tardisk_node(g: Diagram, td: Tardisk, number: int, vib: str | None, res: Resolution | None) -> tuple[str, str]:
    name = td.name
    head = f"<B>{_e(name)}</B>"
    origin = f"#{number} · tardisk" + (f" of VIB {vib}" if vib else "")
    if name == "state.tgz":
        origin = f"#{number} · tardisk: the saved configuration (local.tgz)"
    elif name == "imgdb.tgz":
        origin = f"#{number} · tardisk: the image database (installed VIBs)"
    attrs = {"fillcolor": TARDISK, "style": "filled", "color": TARDISK_LINE}
    lines = [head, _font(_e(origin), size=10)]
    detail = origin
    if res is not None and res.kind == "tardisk" and res.layer == name:
        attrs = {"fillcolor": SERVES, "style": "filled,bold", "color": INK, "fontcolor": SERVES_TEXT, "penwidth": "2.5"}
        lines.append(f"<B>serves {_e(res.path)}</B>")
        detail += f"; serves {res.path}"
    elif res is not None and name in res.shadowed:
        attrs = {"fillcolor": HIDDEN, "style": "filled,dashed", "color": HIDDEN_LINE, "fontcolor": MUTED}
        why = "deleted above (whiteout)" if res.deleted else "hidden by a layer above"
        lines.append(f"{_e(res.path)}: {why}")
        detail += f"; {res.path}: {why}"
    g.node(name, _label(*lines), shape="box", width="3.6", **attrs)
    return name, detail


def _fold_node(g: Diagram, run: Sequence[Tardisk], index: int, number: int, res: Resolution | None) -> tuple[str, str]:
    """One node for a run of tardisks folded away. A run that holds hidden copies of the path says how many, so the
    picture stays true about what the serving layer hides."""
    node = f"folded{index}"
    span = f"#{number}–{number + len(run) - 1}: {run[0].name} to {run[-1].name}"
    hidden = _hidden_in(run, res)
    if hidden and res is not None:
        why = "deleted above (whiteout)" if res.deleted else "hidden by a layer above"
        note = f"{hidden} of them hold {res.path}: {why}"
        g.node(
            node,
            _label(f"<B>… {len(run)} more tardisks …</B>", _font(_e(span), size=10), _e(note)),
            shape="box",
            width="3.6",
            style="filled,dotted",
            fillcolor=HIDDEN,
            color=HIDDEN_LINE,
            fontcolor=MUTED,
        )
        return node, f"… {len(run)} more tardisks … ({span}); {note}"
    g.node(
        node,
        _label(f"<B>… {len(run)} driver and tool tardisks …</B>", _font(_e(span), size=10)),
        shape="box",
        width="3.6",
        style="filled,dotted",
        fillcolor=FOLDED,
        color=INK,
    )
    return node, f"… {len(run)} driver and tool tardisks … ({span})"


def _hidden_in(run: Sequence[Tardisk], res: Resolution | None) -> int:
    """How many tardisks of `run` hold a copy of `res.path` that a layer above hides."""
    if res is None or not res.shadowed:
        return 0
    shadowed = set(res.shadowed)
    return sum(td.name in shadowed for td in run)


def _ramdisk_table(snap: HostSnapshot, res: Resolution | None, owner: str | None) -> tuple[str, list[tuple[str, str]]]:
    """The ramdisks as one table node (like `vdf -h`), one row per ramdisk, the path's row marked."""
    rows = []
    plain = []
    show_path = res is not None
    for rd in snap.ramdisks:
        fill, color, note = RAMDISK, INK, ""
        if res is not None and rd.name == owner:
            fill, color, note = _owner_note(res)
        used = f"{_size(rd.used)} / {_size(rd.capacity)}"
        cells = [
            f'<TD PORT="{_e(rd.name)}" ALIGN="LEFT" BGCOLOR="{fill}">'
            f"{_font(f'<B>{_e(rd.name)}</B>', color=color)}</TD>",
            f'<TD ALIGN="LEFT" BGCOLOR="{fill}">{_font(_e(rd.mount), color=color)}</TD>',
            f'<TD ALIGN="RIGHT" BGCOLOR="{fill}">{_font(_e(used), color=color)}</TD>',
        ]
        if show_path:
            cells.append(f'<TD ALIGN="LEFT" BGCOLOR="{fill}">{_font(note, color=color) if note else " "}</TD>')
        rows.append("<TR>" + "".join(cells) + "</TR>")
        plain.append((f"ramdisk {rd.name} ({rd.mount})", f"{used} used" + (f"; {_strip(note)}" if note else "")))
    span = 4 if show_path else 3
    head = (
        f'<TR><TD COLSPAN="{span}" ALIGN="LEFT" BGCOLOR="{RAMDISK_HEAD}"><B>ramdisks</B>: memory only, '
        "empty at every boot; every write since boot lives here</TD></TR>"
        f'<TR><TD ALIGN="LEFT"><I>ramdisk</I></TD><TD ALIGN="LEFT"><I>mount</I></TD>'
        f'<TD ALIGN="RIGHT"><I>used / capacity</I></TD>{"<TD></TD>" if show_path else ""}</TR>'
    )
    table = (
        f'<<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{RAMDISK}">'
        f"{head}{''.join(rows)}</TABLE>>"
    )
    return table, plain


def _owner_note(res: Resolution) -> tuple[str, str, str]:
    """Fill, text colour and note for the row of the ramdisk that holds `res.path` (or would)."""
    path = _e(res.path)
    if _is_dir(res):
        return RAMDISK, INK, f"<B>{path}</B>: a directory; VisorFS merges the entries of every layer"
    if res.kind == "ramdisk":
        how = "branched copy, " if res.branched else ""
        return SERVES, SERVES_TEXT, f"<B>serves {path}</B> ({how}on this ramdisk)"
    if res.deleted:
        return DELETED_FILL, DELETED, f"<B>× {path} deleted</B> (a whiteout hides the tardisk copy)"
    if res.kind == "tardisk":
        return RAMDISK, MUTED, f"a write to {path} would branch it here"
    return RAMDISK, MUTED, f"{path} would be created here"


def _is_dir(res: Resolution | None) -> bool:
    return res is not None and res.entry is not None and res.entry.is_dir


def layer_stack(source: Any, path: str | None = None) -> Diagram:
    """The VisorFS stack of a running host, bottom to top: tardisks in mount order, then the ramdisks (F39, F27).

    With `path`, the layer that serves it is filled dark, the copies it hides are greyed and dashed, a branched file
    gets an arrow from the tardisk copy to the ramdisk copy, a deleted one is marked ×, and its `.#` twin is shown.
    Many driver tardisks fold into one node so the picture stays readable; the legend says what was folded. Above
    FOLD_ABOVE tardisks, the top TOP_SHOWN, the esx-base tardisks at the bottom, imgdb.tgz and state.tgz, the layer
    that serves the path and its nearest and lowest hidden copies keep nodes of their own; a fold node counts the
    hidden copies it holds (a path 254 overlay VIBs ship still draws about a page wide).
    """
    snap = snapshot_of(source)
    res = snap.resolve(path) if path is not None else None
    when = f"{snap.clock:%Y-%m-%d %H:%M}"
    title = f"Layer stack of {snap.hostname} (ESXi {snap.version})"
    if not snap.powered_on or not snap.tardisks:
        g = _new("layer_stack", title, f"{when}: powered off")
        g.node(
            "off",
            "powered off: no tardisk is mounted and no ramdisk exists;\\nthey are made again at the next boot",
            shape="box",
            style="dashed",
        )
        g.rows.append(("powered off", "no tardisk is mounted and no ramdisk exists"))
        return g
    owner = owner_of(res.path, snap.ramdisks) if res is not None else None
    subtitle = f"{when} · {len(snap.tardisks)} tardisks (read-only, boot.cfg order) under {len(snap.ramdisks)} ramdisks"
    if res is not None:
        subtitle += " · " + _resolution_sentence(res)
    g = _new("layer_stack", title, subtitle, rankdir="BT", ranksep="0.12", nodesep="0.5")
    mark = None if _is_dir(res) else res  # a directory is merged from every layer, not served by one
    holders: set[str] = set()
    if mark is not None:
        holders.update(_hidden_drawn(mark.shadowed))
        if mark.kind == "tardisk" and mark.layer is not None:
            holders.add(mark.layer)
    vibs = _vib_of_module(snap)
    runs = _runs(snap.tardisks, _shown_tardisks(snap, holders))
    chain: list[str] = []
    plain: list[tuple[str, str]] = []
    folded: list[Sequence[Tardisk]] = []
    number = 1
    for run in runs:
        if len(run) == 1:
            node, detail = _tardisk_node(g, run[0], number, vibs.get(run[0].name), mark)
            plain.append((f"tardisk {run[0].name}", detail))
        else:
            folded.append(run)
            node, detail = _fold_node(g, run, len(folded), number, mark)
            plain.append(("folded", detail))
        chain.append(node)
        number += len(run)
    table, ram_rows = _ramdisk_table(snap, res, owner)
    g.node("ramdisks", table, shape="plain")
    chain.append("ramdisks")
    for lower, upper in itertools.pairwise(chain):
        g.edge(lower, upper, style="invis", weight="20")
    extra = _branch_and_twin(g, snap, mark, owner) if mark is not None and owner else []
    g.rows.extend([*ram_rows, *extra, *plain[::-1]])  # the top of the stack first
    _legend(g, _stack_legend(mark, folded))
    with g.subgraph() as top:  # the legend beside the ramdisks, where it costs no height
        top.attr(rank="same")
        top.node("ramdisks")
        top.node("legend")
    return g


def _branch_and_twin(g: Diagram, snap: HostSnapshot, res: Resolution, owner: str) -> list[tuple[str, str]]:
    """The branch arrow (tardisk copy -> ramdisk copy, F27) and the `.#` twin note (F25) for the marked path."""
    plain = []
    if res.branched:
        g.edge(
            res.shadowed[0],
            f"ramdisks:{owner}",
            label=f" branched: {_plain(res.path)} was\\n copied onto the {owner} ramdisk ",
            color=BRANCH,
            fontcolor=BRANCH,
            penwidth="2.5",
            style="bold",
            constraint="false",
        )
        plain.append(("branched", f"{res.path} copied from {res.shadowed[0]} onto the {owner} ramdisk"))
    twin = persistence.twin_left(snap, res.path) if res.path != "/" and not is_twin(res.path) else None
    if twin is not None:
        g.node(
            "twin",
            _label(
                f"<B>{_e(twin)}</B>",
                "the <B>.#</B> twin: the original before the edit;",
                f"it marks {_e(res.path)} for backup.sh (F25)",
            ),
            shape="note",
            style="filled",
            fillcolor=TWIN,
        )
        g.edge("twin", f"ramdisks:{owner}", style="dashed", arrowhead="none", label=f" also on {owner} ")
        plain.append((f".# twin {twin}", f"on the {owner} ramdisk: marks {res.path} for backup.sh"))
    return plain


def _resolution_sentence(res: Resolution) -> str:
    if _is_dir(res):
        return f"{res.path} is a directory: VisorFS merges the entries of every layer that has it"
    if res.deleted:
        return f"{res.path} was deleted: a whiteout on the ramdisk hides {_names(res.shadowed)}"
    if res.layer is None:
        return f"{res.path} is in no layer"
    where = f"the {res.layer} ramdisk" if res.kind == "ramdisk" else f"tardisk {res.layer}"
    hides = f", hiding {_names(res.shadowed)}" if res.shadowed else ""
    return f"{res.path} is served by {where}{hides}"


def _stack_legend(res: Resolution | None, folded: Sequence[Sequence[Tardisk]]) -> list[tuple[str, str, str]]:
    rows = [
        (
            _cell(TARDISK),
            "name.v00",
            "tardisk: read-only, mounted in boot.cfg order<BR/>(#1 first); a later one hides an earlier copy",
        ),
        (_cell(RAMDISK), "ramdisk", "ramdisk: memory only, lost at reboot"),
    ]
    if res is not None:
        if res.layer is not None:
            rows.append(
                (_cell(SERVES), _font("<B>serves</B>", color=SERVES_TEXT), f"the layer that serves {_e(res.path)}")
            )
        if res.shadowed:
            rows.append(
                (
                    _cell(HIDDEN, style="dashed"),
                    _font("hidden", color=MUTED),
                    "a copy hidden by a layer above (shadowed)",
                )
            )
        if res.branched:
            rows.append(
                ('BORDER="0"', _font("<B>——→</B>", color=BRANCH), "branch: a write copied the file to a ramdisk")
            )
        if res.deleted:
            rows.append((_cell(DELETED_FILL), _font("<B>×</B>", color=DELETED), "deleted: a whiteout hides the file"))
    if folded:
        total = sum(len(run) for run in folded)
        hidden = sum(_hidden_in(run, res) for run in folded)
        if res is not None and hidden:
            rows.append(
                (
                    _cell(HIDDEN, style="dotted"),
                    _font(f"… {total} …", color=MUTED),
                    f"{total} tardisks folded to keep the picture small;<BR/>{hidden} of them hold {_e(res.path)}, "
                    "hidden by a layer above",
                )
            )
        else:
            where = f"; none holds {_e(res.path)}" if res is not None else ""
            rows.append(
                (
                    _cell(FOLDED, style="dotted"),
                    f"… {total} …",
                    f"{total} driver and tool tardisks folded to keep<BR/>the picture small{where}",
                )
            )
    return rows
