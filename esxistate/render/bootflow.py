"""How a host boots, and one boot.cfg on its own (F3, F5-F8, F10, F29, F38, F39): the boot bank, boot.cfg's modules
in order, the VMkernel-side modules against the tardisks, the ramdisks, and state.tgz's local.tgz unpacked over /etc.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import archive
from ..bootbank import BootBank, safeboot
from ..bootcfg import BootConfig, is_vmkernel_module
from ..entry import FILE
from ..errors import EsxiStateError
from ..events import HostSnapshot
from ..statearchive import StateArchive
from .banks import _bank_line
from .dot import MONO, STATE_STYLE, Diagram, _cell, _e, _font, _label, _legend, _new, snapshot_of
from .palette import ARCHIVE, KERNEL, MUTED, PAPER, RAMDISK, TARDISK, TARDISK_LINE

__all__ = ["boot_config", "boot_flow"]


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
            choice = safeboot(snap.banks)
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
