"""Graphviz diagrams of an ESXi host: the VisorFS layer stack, the boot flow, the backup flow and the two boot banks.

Each function reads a `HostSnapshot` (give it a Host, a snapshot or an Event) and returns a `Diagram`: a
`graphviz.Digraph` whose `.source` is deterministic DOT text, labelled in ESXi's own words (tardisk, ramdisk,
bootbank, altbootbank, boot.cfg, state.tgz, local.tgz, `.#` twin), with a legend. Colours are 6-digit hex and differ
in lightness and line style too, so a greyscale print still tells them apart. Nothing here changes a host.

A `Diagram` also carries its content as plain rows, so that without a layout program it still shows as a table
(`svg.display_bundle`). The `*_bundle` functions at the end are the display hooks the engine's values call.
"""

from __future__ import annotations

import html
import itertools
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import graphviz

from esxistate.sizes import readable as _size

from .. import archive
from ..backup import CONFIGSTORE_BACKUP, CONFIGSTORE_RUNTIME, STEPS, BackupResult, files_to_save
from ..bootbank import BankState, BootBank, choose_bank
from ..bootcfg import BootConfig, is_vmkernel_module
from ..boundary import printable
from ..entry import FILE, mode_string
from ..errors import EsxiStateError, RollbackNotPossible
from ..events import Event, HostSnapshot
from ..host import UPDATE_MARKER
from ..layers import Resolution, Tardisk, is_twin, owner_of, twin_of
from ..statearchive import StateArchive
from . import svg
from .palette import (
    ALTBOOTBANK,
    ARCHIVE,
    BANK_EMPTY,
    BOOTBANK,
    BRANCH,
    COMMIT,
    DELETED,
    DELETED_FILL,
    DIRTY,
    FOLDED,
    HIDDEN,
    HIDDEN_LINE,
    INK,
    INVALID,
    KERNEL,
    LEGEND_LINE,
    MUTED,
    PAPER,
    RAMDISK,
    RAMDISK_HEAD,
    SERVES,
    SERVES_TEXT,
    TARDISK,
    TARDISK_LINE,
    TWIN,
    UPGRADING,
    VALID,
)

__all__ = [
    "Diagram",
    "backup_flow",
    "boot_config",
    "boot_flow",
    "bootbanks",
    "bootconfig_bundle",
    "host_bundle",
    "layer_stack",
    "snapshot_bundle",
    "snapshot_of",
    "state_archive",
    "statearchive_bundle",
    "tardisk_bundle",
]

STATE_STYLE: Mapping[BankState | None, tuple[str, str, str]] = {  # fill, style, text colour
    BankState.VALID: (VALID, "filled", INK),
    BankState.UPGRADING: (UPGRADING, "filled,dashed", INK),
    BankState.DIRTY: (DIRTY, "filled,dotted", INK),
    BankState.INVALID: (INVALID, "filled,diagonals", MUTED),
    None: (BANK_EMPTY, "filled,dotted", MUTED),
}
FONT = "Helvetica"
MONO = "Courier"
TOP_SHOWN = 4  # the top tardisks always drawn one by one
FOLD_ABOVE = 12  # fold tardisks only when there are more than this many


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


# -- small helpers ----------------------------------------------------------------------------------------------------


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


def _vib_of_module(snap: HostSnapshot) -> dict[str, str]:
    return {module: vib.name for vib in snap.vibs for _payload, module in vib.modules}


# -- the layer stack ---------------------------------------------------------------------------------------------------


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


def _fold_node(g: Diagram, run: Sequence[Tardisk], index: int, number: int) -> tuple[str, str]:
    node = f"folded{index}"
    span = f"#{number}–{number + len(run) - 1}: {run[0].name} to {run[-1].name}"
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


def _strip(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def layer_stack(source: Any, path: str | None = None) -> Diagram:
    """The VisorFS stack of a running host, bottom to top: tardisks in mount order, then the ramdisks (F39, F27).

    With `path`, the layer that serves it is filled dark, the copies it hides are greyed and dashed, a branched file
    gets an arrow from the tardisk copy to the ramdisk copy, a deleted one is marked ×, and its `.#` twin is shown.
    Many driver tardisks fold into one node so the picture stays readable; the legend says what was folded.
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
        holders.update(mark.shadowed)
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
            node, detail = _fold_node(g, run, len(folded), number)
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
    twin = twin_of(res.path)
    if res.path != "/" and not is_twin(res.path) and snap.exists(twin):
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
        return f"{res.path} was deleted: a whiteout on the ramdisk hides {', '.join(res.shadowed)}"
    if res.layer is None:
        return f"{res.path} is in no layer"
    where = f"the {res.layer} ramdisk" if res.kind == "ramdisk" else f"tardisk {res.layer}"
    hides = f", hiding {', '.join(res.shadowed)}" if res.shadowed else ""
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
        where = f"; none holds {_e(res.path)}" if res is not None else ""
        rows.append(
            (
                _cell(FOLDED, style="dotted"),
                f"… {total} …",
                f"{total} driver and tool tardisks folded to keep<BR/>the picture small{where}",
            )
        )
    return rows


# -- the boot flow -----------------------------------------------------------------------------------------------------


def _module_groups(config: BootConfig) -> list[tuple[str, list[str]]]:
    """boot.cfg's kernel and modules in order, cut into runs of one kind: kernel, VMkernel side, tardisks; imgdb.tgz
    and state.tgz get rows of their own."""
    groups: list[tuple[str, list[str]]] = [("kernel", [config.kernel])]
    for module in config.modules:
        if module in ("imgdb.tgz", "state.tgz"):
            kind = module
        elif is_vmkernel_module(module):
            kind = "vmkernel"
        else:
            kind = "tardisk"
        if groups[-1][0] == kind and kind in ("vmkernel", "tardisk"):
            groups[-1][1].append(module)
        else:
            groups.append((kind, [module]))
    return groups


_GOES_TO = {
    "kernel": "the kernel (kernel=)",
    "vmkernel": "VMkernel side (.b00 / .gz)",
    "tardisk": "tardisks",
    "imgdb.tgz": "tardisk: image database",
    "state.tgz": "tardisk: the saved configuration",
}


def _modules_table(config: BootConfig) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
    """The modules table label, its (port, kind) per row, and plain rows."""
    rows, ports, plain = [], [], []
    number = 0
    for i, (kind, names) in enumerate(_module_groups(config)):
        first, last = number, number + len(names) - 1
        number += len(names)
        where = f"{first}" if first == last else f"{first}–{last}"
        what = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} ({len(names)})"
        fill = KERNEL if kind in ("kernel", "vmkernel") else TARDISK
        rows.append(
            f'<TR><TD ALIGN="RIGHT" BGCOLOR="{fill}" PORT="l{i}">{where}</TD>'
            f'<TD ALIGN="LEFT" BGCOLOR="{fill}">{_font(_e(what), face=MONO)}</TD>'
            f'<TD ALIGN="LEFT" BGCOLOR="{fill}" PORT="r{i}">{_e(_GOES_TO[kind])}</TD></TR>'
        )
        ports.append((str(i), kind))
        plain.append((f"modules {where}", f"{what}: {_GOES_TO[kind]}"))
    head = (
        '<TR><TD COLSPAN="3" ALIGN="LEFT"><B>modules, in boot.cfg order</B> (0 is kernel=)</TD></TR>'
        '<TR><TD><I>#</I></TD><TD ALIGN="LEFT"><I>file on the boot bank</I></TD><TD ALIGN="LEFT"><I>what it becomes</I>'
        "</TD></TR>"
    )
    label = f'<<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">{head}{"".join(rows)}</TABLE>>'
    return label, ports, plain


def _bootcfg_node(g: Diagram, config: BootConfig) -> None:
    count = len(config.modules)
    g.node(
        "boot.cfg",
        _label(
            "<B>boot.cfg</B>",
            _font(f"kernel={_e(config.kernel)}", face=MONO),
            _font(f"modules={_e(config.modules[0])} --- … --- {_e(config.modules[-1])}", face=MONO)
            if count
            else _font("modules=", face=MONO),
            _font(f"{count} modules, separated by ---", size=10),
        ),
        shape="note",
        style="filled",
        fillcolor=PAPER,
    )


def _bank_line(bank: BootBank) -> str:
    state = bank.state.name if bank.state is not None else "UNDEFINED"
    value = int(bank.state) if bank.state is not None else "?"
    return f"build={bank.build} updated={bank.updated} bootstate={value} ({state})"


def _restored_files(snap: HostSnapshot, bank: BootBank | None) -> tuple[list[str], str]:
    """The files local.tgz puts back at boot, from the state.tgz tardisk that was mounted (or the bank's, when off)."""
    state_td = next((t for t in snap.tardisks if t.name == "state.tgz"), None)
    try:
        if state_td is not None:
            if "/local.tgz.ve" in state_td.members:
                return [], "local.tgz.ve (encrypted; the TPM holds the key)"
            members = archive.read_members(state_td.members["/local.tgz"].data, name="local.tgz")
            return sorted("/" + n for n, e in members.items() if e.kind == FILE), "local.tgz"
        if bank is not None and "state.tgz" in bank.files:
            sa = StateArchive.from_bytes(bank.files["state.tgz"])
            if sa.encrypted:
                return [], "local.tgz.ve (encrypted; the TPM holds the key)"
            return ["/" + n for n in sa.names()], "local.tgz"
    except (EsxiStateError, KeyError):
        return [], "unreadable"
    return [], "none"


def _listing(paths: Sequence[str], limit: int = 6) -> list[str]:
    shown = [_font(_e(p), face=MONO, size=11) for p in paths[:limit]]
    if len(paths) > limit:
        shown.append(f"… and {len(paths) - limit} more")
    return shown


def boot_flow(source: Any) -> Diagram:
    """How the host boots (F5-F8, F10, F29, F38, F39): the boot bank -> boot.cfg -> its modules in order -> the
    VMkernel-side modules (.b00/.gz, not files) vs the tardisks -> the ramdisks -> state.tgz -> local.tgz -> /etc
    restored. For a host that is off, the bank that would boot next."""
    snap = snapshot_of(source)
    when = f"{snap.clock:%Y-%m-%d %H:%M}"
    title = f"Boot flow of {snap.hostname} (ESXi {snap.version})"
    bank: BootBank | None = snap.bootbank
    mount, change = "/bootbank", ""
    if not snap.powered_on and snap.banks:
        try:
            choice = choose_bank(snap.banks)
        except EsxiStateError:
            bank = None
        else:
            bank, mount = snap.banks[choice.index], "boots next"
            then = choice.banks[choice.index].state
            if then is not bank.state and then is not None:
                change = f"safeboot sets bootstate={int(then)} ({then.name}) as it boots it (F6)"
    g = _new("boot_flow", title, f"{when} · " + ("as it booted" if snap.powered_on else "the next boot"), nodesep="0.4")
    config = None
    if bank is not None:
        try:
            config = bank.boot_config()
        except EsxiStateError:
            config = None
    if bank is None or config is None:
        why = "stateless (Auto Deploy): the image comes over the network; no boot bank, no state.tgz (F41)"
        if not snap.stateless:
            why = "no boot bank holds a boot.cfg the boot loader can use"
        g.node("nobank", why, shape="box", style="dashed")
        g.rows.append(("boot", why))
        return g
    fill, style, text = STATE_STYLE.get(bank.state, STATE_STYLE[None])
    g.node(
        "bank",
        _label(
            f"<B>{_e(bank.label)}</B> (partition {bank.partition}) · {_e(mount)}",
            _e(_bank_line(bank)),
            *([_font(_e(change), size=10)] if change else []),
        ),
        shape="cylinder",
        style=style,
        fillcolor=fill,
        fontcolor=text,
    )
    _bootcfg_node(g, config)
    label, ports, module_rows = _modules_table(config)
    g.node("modules", label, shape="plain")
    vmk = [config.kernel, *(m for m in config.modules if is_vmkernel_module(m))]
    tds = [m for m in config.modules if not is_vmkernel_module(m)]
    g.node(
        "vmkernel",
        _label(
            f"<B>VMkernel side: {len(vmk)} modules</B>",
            "kernel, microcode, boot options (.b00, .gz)",
            "loaded into the kernel's memory: not files, not in VisorFS",
        ),
        shape="box",
        style="filled",
        fillcolor=KERNEL,
    )
    g.node(
        "tardisks",
        _label(
            f"<B>{len(tds)} tardisks mounted read-only</B>",
            f"in boot.cfg order: {_e(tds[0]) if tds else ''} first, {_e(tds[-1]) if tds else ''} last",
            "a later tardisk hides an earlier one's copy (F39)",
        ),
        shape="box",
        style="filled",
        fillcolor=TARDISK,
        color=TARDISK_LINE,
    )
    ram_names = ", ".join(f"{r.name} {r.mount}" for r in snap.ramdisks[:4])
    if len(snap.ramdisks) > 4:
        ram_names += f", … ({len(snap.ramdisks)})"
    g.node(
        "ramdisks",
        _label(
            "<B>ramdisks created, empty</B>",
            _e(ram_names) if ram_names else "root, etc, var, tmp, …",
            "memory only: everything written lives here (F29)",
        ),
        shape="box",
        style="filled,rounded",
        fillcolor=RAMDISK,
    )
    files, layout = _restored_files(snap, bank)
    has_state = "state.tgz" in config.modules
    g.edge("bank", "boot.cfg", label=" 1. safeboot picks this bank,\\n mboot reads its boot.cfg ")
    g.edge("boot.cfg", "modules", label=" 2. loads every module in order ")
    for row, kind in ports:
        if kind in ("kernel", "vmkernel"):
            g.edge(f"modules:l{row}:w", "vmkernel", color=MUTED)
        else:
            g.edge(f"modules:r{row}:e", "tardisks", color=MUTED)
    g.edge("tardisks", "ramdisks", label=" 3. then ")
    rows = [
        ("boot bank", f"{bank.label} {_bank_line(bank)}"),
        ("boot.cfg", f"kernel={config.kernel}, {len(config.modules)} modules"),
        *module_rows,
        ("VMkernel side", f"{len(vmk)} modules, not files"),
        ("tardisks", f"{len(tds)} mounted read-only in order"),
        ("ramdisks", ram_names or "created empty"),
    ]
    if has_state:
        g.node(
            "local.tgz",
            _label("<B>state.tgz → local.tgz</B>", f"its one member appears at /{_e(layout.split(' ')[0])} (F38)"),
            shape="box3d",
            style="filled",
            fillcolor=ARCHIVE,
        )
        restored = _listing(files) if files else [_e("(its files cannot be listed here)")]
        g.node(
            "restored",
            _label("<B>/etc restored</B>: unpacked onto the ramdisks,", "each file with its .# twin (F25)", *restored),
            shape="box",
            style="filled,rounded",
            fillcolor=RAMDISK,
        )
        g.edge("ramdisks", "local.tgz", label=" 4. state.tgz is opened ")
        g.edge("local.tgz", "restored", label=" 5. unpacked over the image ")
        rows += [("state.tgz", f"holds {layout}"), ("/etc restored", ", ".join(files) or layout)]
    else:
        g.node("restored", "no state.tgz in boot.cfg: /etc is the image's own", shape="box", style="dashed")
        g.edge("ramdisks", "restored", label=" 4. ")
        rows.append(("/etc", "no state.tgz: nothing restored"))
    with g.subgraph() as same:
        same.attr(rank="same")
        same.node("vmkernel")
        same.node("tardisks")
    g.rows.extend(rows)
    _legend(
        g,
        [
            (_cell(KERNEL), "k.b00", "VMkernel side: loaded into memory, never files"),
            (_cell(TARDISK), "s.v00", "tardisk: a module decompressed into memory, mounted read-only into /"),
            (_cell(RAMDISK), "ramdisk", "ramdisk: memory only, empty at every boot"),
            (_cell(ARCHIVE), "local.tgz", "the saved configuration, from state.tgz"),
        ],
    )
    return g


# -- the backup flow ---------------------------------------------------------------------------------------------------

_STEP_WORDS = {
    "lock": "delete leftovers of an interrupted run, take the lock",
    "tar_local_tmp": "tar czf local.tgz.&lt;pid&gt; -C / etc/…",
    "unlock": "release the lock",
    "wrap_state_tmp": "state.&lt;pid&gt;/local.tgz → tar czf state.tgz.&lt;pid&gt;",
    "rename_state": "mv -f state.tgz.&lt;pid&gt; state.tgz",
    "sync": "sync: flush the boot bank",
    "cleanup": "rm -r state.&lt;pid&gt;/",
    "update_bootcfg": "boot.cfg: modules= … --- state.tgz (temp file + rename)",
    "update_useropts": "useropts.gz, only if kernel options changed",
}


def _selected(snap: HostSnapshot) -> list[str]:
    """backup.sh's selection over a snapshot (F16, F35): the engine's own rule."""
    return files_to_save(snap.files, snap.version)


def _target_of(snap: HostSnapshot) -> tuple[str, BootBank | None]:
    """F15: /altbootbank when a live VIB install left /var/run/update_altbootbank and that bank is VALID."""
    alt = snap.altbootbank
    if snap.exists(UPDATE_MARKER) and alt is not None and alt.state is BankState.VALID:
        return "/altbootbank", alt
    return "/bootbank", snap.bootbank


def _steps_table(done: Sequence[str] | None, cut: str | None) -> tuple[str, list[tuple[str, str]]]:
    rows, plain = [], []
    for n, step in enumerate(STEPS, 1):
        words = _STEP_WORDS.get(step, _e(step))
        ran = done is None or step in done
        fill, color, style = (PAPER, INK, "")
        if step == "rename_state":
            fill, color = COMMIT, SERVES_TEXT
            words += "<BR/><B>the switch: the new state.tgz is complete from here</B>"
        if not ran:
            fill, color, style = HIDDEN, MUTED, ' STYLE="dashed"'
            words += " (never ran)"
        rows.append(
            f'<TR><TD ALIGN="RIGHT" BGCOLOR="{fill}"{style}>{_font(str(n), color=color)}</TD>'
            f'<TD ALIGN="LEFT" BGCOLOR="{fill}"{style}>{_font(f"<B>{_e(step)}</B>", color=color)}</TD>'
            f'<TD ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="{fill}"{style} PORT="{step}">'
            f"{_font(words, color=color)}</TD></TR>"
        )
        plain.append((f"step {n} {step}", _strip(words.replace("<BR/>", "; "))))
        if step == cut:
            safe = STEPS.index(step) >= STEPS.index("rename_state")
            after = "the new state.tgz is already complete" if safe else "the old state.tgz is still whole"
            rows.append(
                f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="{DELETED_FILL}">'
                f"{_font(f'<B>power lost here</B>: {after}', color=DELETED)}</TD></TR>"
            )
            plain.append(("power lost", after))
    head = (
        '<TR><TD COLSPAN="3" ALIGN="LEFT"><B>backup.sh writes the boot bank</B>: temporary names first,'
        " then one rename</TD></TR>"
    )
    return f'<<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">{head}{"".join(rows)}</TABLE>>', plain


def _files_table(snap: HostSnapshot, files: Sequence[str]) -> tuple[str, list[tuple[str, str]]]:
    """The files backup.sh selected, each with its `.#` twin and (while the host runs) its size."""
    rows, plain = [], []
    sizes = {}
    for p in files:
        entry = snap.files.get(CONFIGSTORE_RUNTIME if p == CONFIGSTORE_BACKUP else p)
        if entry is not None:
            sizes[p] = _size(entry.size)
    for p in files:
        twin = posixpath.basename(twin_of(p)) if p.startswith("/etc/") else "(none: the ConfigStore database)"
        size = f'<TD ALIGN="RIGHT">{_e(sizes.get(p, ""))}</TD>' if sizes else ""
        rows.append(
            f'<TR><TD ALIGN="LEFT">{_font(_e(p), face=MONO)}</TD><TD ALIGN="LEFT">{_font(_e(twin), face=MONO)}</TD>'
            f"{size}</TR>"
        )
        plain.append((p, f"saved; .# twin {twin}" + (f"; {sizes[p]}" if p in sizes else "")))
    span = 3 if sizes else 2
    if not rows:
        rows.append(f'<TR><TD COLSPAN="{span}">no /etc file has a .# twin: nothing to save</TD></TR>')
    also = "; on 7.0 also the ConfigStore database (F35)" if CONFIGSTORE_BACKUP in files else ""
    head = (
        f'<TR><TD COLSPAN="{span}" ALIGN="LEFT" BGCOLOR="{RAMDISK}"><B>{len(files)} files selected</B>: '
        f"every /etc file with a .# twin (F16){also}</TD></TR>"
        '<TR><TD ALIGN="LEFT"><I>file</I></TD><TD ALIGN="LEFT"><I>.# twin</I></TD>'
        f"{'<TD><I>size</I></TD>' if sizes else ''}</TR>"
    )
    table = (
        f'<<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{PAPER}">'
        f"{head}{''.join(rows)}</TABLE>>"
    )
    return table, plain


def backup_flow(source: Any, result: BackupResult | None = None) -> Diagram:
    """What backup.sh saves and how (F15-F18): the /etc files with a `.#` twin -> local.tgz -> state.tgz -> written
    into the boot bank through `es.backup.STEPS`, temporary names first, then one rename. With `result` (from
    `host.backup()`), exactly the files and steps of that run; without, what a backup would save now."""
    snap = snapshot_of(source)
    when = f"{snap.clock:%Y-%m-%d %H:%M}"
    title = f"Backup flow of {snap.hostname} (ESXi {snap.version})"
    if result is not None:
        files = list(result.files) if not result.skipped else _selected(snap)
        target = result.target or "/bootbank"
        label = result.bank or ""
        sub = f"{when} · {result.trigger} backup" + (" (skipped)" if result.skipped else "")
    else:
        files = _selected(snap)
        target, bank = _target_of(snap)
        label = bank.label if bank is not None else ""
        sub = f"{when} · what backup.sh would save now"
    g = _new("backup_flow", title, sub, nodesep="0.5", ranksep="0.5")
    table, file_rows = _files_table(snap, files)
    g.node("files", table, shape="plain")
    g.rows += file_rows
    if result is not None and result.skipped:
        g.node("skipped", _label("<B>nothing written</B>", _e(result.reason)), shape="box", style="dashed")
        g.edge("files", "skipped", label=" auto-backup.sh compares them with state.tgz ")
        g.rows.append(("skipped", result.reason))
        _legend(
            g,
            [
                (_cell(RAMDISK), "/etc/hosts", "a file with a .# twin: backup.sh would save it"),
                (_cell(PAPER, style="dashed"), "nothing", "skipped: the boot bank was not touched"),
            ],
        )
        return g
    local_size = f"{_size(result.local_size)}" if result is not None else "built now"
    state_size = f"{_size(result.state_size)}" if result is not None else "built now"
    g.node(
        "local.tgz",
        _label("<B>local.tgz</B>", f"{len(files)} files, named etc/…", _e(local_size)),
        shape="box3d",
        style="filled",
        fillcolor=ARCHIVE,
    )
    g.node(
        "state.tgz",
        _label("<B>state.tgz</B>", "exactly one member: local.tgz", _e(state_size)),
        shape="box3d",
        style="filled",
        fillcolor=ARCHIVE,
    )
    if result is not None:
        table, step_rows = _steps_table(result.steps_done, result.interrupted_after)
    else:
        table, step_rows = _steps_table(None, None)
    g.node("steps", table, shape="plain")
    complete = result is None or "rename_state" in result.steps_done
    where = f"{target}/state.tgz" + (f" ({label})" if label else "")
    g.node(
        "bank",
        _label(
            f"<B>{_e(where)}</B>",
            "the new configuration: restored at every boot" if complete else "still the OLD state.tgz",
            _font("boot.cfg: modules= … --- state.tgz", face=MONO),
            *(
                [
                    _font(
                        "/altbootbank, not /bootbank: a live VIB install<BR/>staged the next image there (F15)", size=10
                    )
                ]
                if target == "/altbootbank"
                else []
            ),
        ),
        shape="cylinder",
        style="filled" if complete else "filled,dashed",
        fillcolor=BOOTBANK,
    )
    g.edge("files", "local.tgz", label=" tar czf -C / ")
    g.edge("local.tgz", "state.tgz", label=" tar czf ")
    g.edge("state.tgz", "steps", label=" written under a temporary name ")
    g.edge(
        "steps:rename_state:e",
        "bank",
        label=" renamed over " if complete else " not renamed ",
        style="bold" if complete else "dashed",
        penwidth="2" if complete else "1",
    )
    with g.subgraph() as same:
        same.attr(rank="same")
        for node in ("files", "local.tgz", "state.tgz"):
            same.node(node)
    if result is not None and result.also:
        g.node(
            "also",
            _label(
                f"<B>{_e(', '.join(result.also))}/state.tgz</B>", "refreshed too: the staged image boots next (F20)"
            ),
            shape="cylinder",
            style="filled",
            fillcolor=ALTBOOTBANK,
        )
        g.edge("steps:update_useropts:e", "also", style="dashed")
        g.rows.append(("also", ", ".join(result.also)))
    g.rows += [("local.tgz", local_size), ("state.tgz", state_size), *step_rows, ("written to", where)]
    legend = [
        (_cell(RAMDISK), "/etc/hosts", "a file saved: it has a .# twin"),
        (_cell(ARCHIVE), "local.tgz", "a gzip'd tar built by backup.sh"),
        (_cell(COMMIT), _font("<B>rename</B>", color=SERVES_TEXT), "the one step that switches to the new state"),
        (_cell(BOOTBANK), "state.tgz", "on the boot bank: restored at every boot"),
    ]
    if result is not None and result.interrupted_after:
        legend += [
            (_cell(HIDDEN, style="dashed"), _font("never ran", color=MUTED), "steps cut off by the power loss"),
            (_cell(DELETED_FILL), _font("<B>power lost</B>", color=DELETED), "where the power failed"),
        ]
    _legend(g, legend)
    with g.subgraph() as same:
        same.attr(rank="same")
        same.node("legend")
        same.node("steps")
        same.edge("legend", "steps", style="invis")  # the legend left of the steps, under the selected files
    return g


# -- the boot banks ----------------------------------------------------------------------------------------------------


def bootbanks(source: Any) -> Diagram:
    """BOOTBANK1 and BOOTBANK2 (F5-F8, F37): build, updated=, bootstate, which one booted (/bootbank) and which one
    safeboot picks at the next boot."""
    snap = snapshot_of(source)
    when = f"{snap.clock:%Y-%m-%d %H:%M}"
    title = f"Boot banks of {snap.hostname} (ESXi {snap.version})"
    g = _new("bootbanks", title, f"{when} · " + ("running" if snap.powered_on else "powered off"), nodesep="0.6")
    if not snap.banks:
        g.node("nobank", "stateless (Auto Deploy): no boot bank at all (F41)", shape="box", style="dashed")
        g.rows.append(("boot banks", "none: stateless"))
        return g
    try:
        choice = choose_bank(snap.banks)
        nxt: int | None = choice.index
        after = choice.banks
    except EsxiStateError:
        nxt, after = None, snap.banks
    shift_r = _shift_r(snap.banks)
    g.rows.append(("Shift+R", shift_r.removeprefix("Shift+R: ")))
    g.node(
        "safeboot",
        _label(
            "<B>safeboot</B> (the boot loader) at the next boot:",
            "UPGRADING → DIRTY, DIRTY → INVALID (F6); then among banks",
            "with bootstate 0 or 2, the highest updated= wins (F7)",
            _e(shift_r),
        ),
        shape="box",
        style="rounded",
    )
    for i, bank in enumerate(snap.banks):
        node = bank.label
        fill, style, text = STATE_STYLE.get(bank.state, STATE_STYLE[None])
        role = []
        if snap.powered_on and snap.booted == i:
            role.append("/bootbank: booted")
        elif snap.powered_on and snap.booted is not None:
            role.append("/altbootbank")
        elif snap.booted == i:
            role.append("booted last")
        if nxt == i:
            role.append("boots next")
        lines = [f"<B>{_e(bank.label)}</B> · partition {bank.partition}"]
        if role:
            lines.append(f"<B>{_e(' · '.join(role))}</B>")
        plain = []
        if "boot.cfg" not in bank.files:
            lines.append("empty: no boot.cfg")
            plain.append("empty")
            if bank.relaid_build:  # F45: what the 6.x -> 7.0 upgrade took away
                gone = f"{bank.relaid_build} gone: the 6.x -> 7.0 upgrade re-laid the partitions (F45)"
                lines.append(_font(_e(gone), size=10))
                plain.append(gone)
        else:
            state = bank.state
            lines += [
                _font(f"build={_e(bank.build)}", face=MONO),
                _font(f"updated={bank.updated}", face=MONO),
                _font(f"bootstate={int(state) if state is not None else '?'}", face=MONO)
                + f" <B>{state.name if state is not None else 'UNDEFINED'}</B>",
            ]
            later = after[i].state
            if later is not state and later is not None:
                lines.append(f"next boot: {state.name if state else '?'} → {later.name}")
            st = f"state.tgz {_size(len(bank.files['state.tgz']))}" if "state.tgz" in bank.files else "no state.tgz"
            lines.append(_font(_e(st), size=10))
            plain.append(f"{_bank_line(bank)}; {st}")
        attrs = {"penwidth": "3.5", "color": INK} if nxt == i else {"penwidth": "1.2", "color": MUTED}
        g.node(node, _label(*lines), shape="box", style=style, fillcolor=fill, fontcolor=text, **attrs)
        g.edge(
            "safeboot",
            node,
            label=" boots next " if nxt == i else f" not chosen: {_why_not(after[i])} ",
            style="bold" if nxt == i else "dotted",
            penwidth="2.5" if nxt == i else "1",
        )
        g.rows.append((bank.label, "; ".join([*role, *plain])))
    if nxt is None:
        g.node("none", "no bank can boot: NoBootableBank", shape="box", style="dashed", color=DELETED)
        g.edge("safeboot", "none")
    with g.subgraph() as same:
        same.attr(rank="same")
        for bank in snap.banks:
            same.node(bank.label)
    legend = []
    for state, meaning in (
        (BankState.VALID, "0 VALID: bootable"),
        (BankState.UPGRADING, "1 UPGRADING: new image, not yet tried"),
        (BankState.DIRTY, "2 DIRTY: being tried; confirmed VALID once up"),
        (BankState.INVALID, "3 INVALID: ignored by safeboot"),
    ):
        fill, style, _text = STATE_STYLE[state]
        line = style.partition(",")[2]
        legend.append((_cell(fill, style=line if line in ("dashed", "dotted") else None), state.name, meaning))
    legend.append((f'BORDER="3" COLOR="{INK}"', "<B>bold</B>", "the bank that boots next"))
    _legend(g, legend)
    return g


def _shift_r(banks: Any) -> str:
    """What Shift+R would do at the next boot, as the engine decides it (choose_bank): F8, and F45's refusal."""
    try:
        choice = choose_bank(banks, rollback=True)
    except RollbackNotPossible:
        return "Shift+R: not possible after 6.x -> 7.0 (KB 1033604, F45)"
    except EsxiStateError:
        return "Shift+R: no bank can boot"
    if not choice.rolled_back:
        return "Shift+R: No alternate hypervisor to roll back to. (F8)"
    back = choice.banks[choice.index]
    return f"Shift+R: back to {back.label}, build {back.build}, for good (F8)"


def _why_not(bank: BootBank) -> str:
    """Why safeboot passes a bank over (after its F6 transition)."""
    if "boot.cfg" not in bank.files:
        return "empty"
    if bank.state is None:
        return "bootstate undefined"
    if bank.state in (BankState.INVALID, BankState.UPGRADING):
        return f"{bank.state.name}, ignored"
    if bank.updated <= 0 or not bank.build:
        return "no build or updated="
    return "lower updated="


# -- small diagrams for single values ----------------------------------------------------------------------------------


def boot_config(config: BootConfig) -> Diagram:
    """One boot.cfg: kernel= and its modules in order, split into VMkernel-side modules and tardisks (F3, F10)."""
    title = f"boot.cfg of build {config.build or '?'}"
    g = _new("boot_config", title, f"updated={config.updated} bootstate={config.bootstate}")
    _bootcfg_node(g, config)
    label, _ports, rows = _modules_table(config)
    g.node("modules", label, shape="plain")
    g.edge("boot.cfg", "modules", label=" modules in order ")
    g.rows += [("kernel", config.kernel), *rows]
    return g


def state_archive(sa: StateArchive) -> Diagram:
    """A state.tgz opened in memory: its one member local.tgz and the etc/... files inside (F17), or the 7.0 U2+
    encrypted layout (F36)."""
    g = _new("state_archive", sa.name, "state.tgz → local.tgz → etc/…", rankdir="LR")
    members = _e(", ".join(sorted(sa.members)))
    g.node("state.tgz", _label(f"<B>{_e(sa.name)}</B>", members), shape="box3d", style="filled", fillcolor=ARCHIVE)
    if sa.encrypted:
        g.node("inner", "local.tgz.ve: encrypted,\\nthe key is sealed in the host's TPM", shape="box", style="dashed")
        g.edge("state.tgz", "inner")
        g.rows.append(("local.tgz.ve", "encrypted"))
        return g
    rows = []
    for name, entry in sorted(sa.files.items()):
        rows.append(
            f'<TR><TD ALIGN="LEFT">{_font(_e(mode_string(entry)), face=MONO)}</TD>'
            f'<TD ALIGN="LEFT">{_font(_e(name), face=MONO)}</TD><TD ALIGN="RIGHT">{_e(_size(entry.size))}</TD></TR>'
        )
        g.rows.append((name, f"{mode_string(entry)} {_size(entry.size)}"))
    g.node(
        "local.tgz",
        f'<<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{PAPER}">'
        f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="{ARCHIVE}"><B>local.tgz</B>: {len(rows)} files</TD></TR>'
        f"{''.join(rows)}</TABLE>>",
        shape="plain",
    )
    g.edge("state.tgz", "local.tgz", label=" its one member ")
    return g


# -- display hooks: what `_repr_mimebundle_` on the engine's values calls ---------------------------------------------


def snapshot_bundle(snap: HostSnapshot, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A HostSnapshot in Jupyter: its layer stack when running, its boot banks when off; text/plain is its repr."""
    diagram = layer_stack(snap) if snap.powered_on and snap.tardisks else bootbanks(snap)
    return svg.display_bundle(diagram, text=repr(snap), include=include, exclude=exclude)


def host_bundle(host: Any, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A Host in Jupyter: the picture of its snapshot now; text/plain is the host's repr."""
    snap = host.snapshot()
    diagram = layer_stack(snap) if snap.powered_on and snap.tardisks else bootbanks(snap)
    return svg.display_bundle(diagram, text=repr(host), include=include, exclude=exclude)


def bootconfig_bundle(config: BootConfig, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A BootConfig in Jupyter: its modules in order, VMkernel side vs tardisks; text/plain is its repr."""
    return svg.display_bundle(boot_config(config), text=repr(config), include=include, exclude=exclude)


def statearchive_bundle(sa: StateArchive, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A StateArchive in Jupyter: state.tgz -> local.tgz -> files; text/plain is its repr."""
    return svg.display_bundle(state_archive(sa), text=repr(sa), include=include, exclude=exclude)


def tardisk_bundle(td: Tardisk, include: Any = None, exclude: Any = None, limit: int = 40) -> dict[str, str]:
    """A Tardisk in Jupyter: its members as `tar tzvf` would list them (an HTML table, no layout program needed)."""
    rows = []
    for path, entry in sorted(td.members.items())[:limit]:
        rows.append(
            f"<tr><td><code>{_e(mode_string(entry))}</code></td><td><code>{_e(path)}</code></td>"
            f'<td style="text-align:right">{entry.size}</td></tr>'
        )
    more = f"<p>… and {len(td.members) - limit} more entries</p>" if len(td.members) > limit else ""
    table = (
        f'<table><caption style="text-align:left"><b>tardisk {_e(td.name)}</b>: read-only, '
        f"{len(td.members)} entries, {_e(_size(td.size))}</caption>{''.join(rows)}</table>{more}"
    )
    bundle = {"text/html": table, "text/plain": repr(td)}
    return svg.filter_bundle(bundle, include, exclude)
