"""What backup.sh saves and how it reaches the boot bank safely (F15-F18): the /etc files with a `.#` twin, local.tgz,
state.tgz, and the steps that write it under temporary names before one rename.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

from esxistate.sizes import readable as _size

from ..backup import (
    CONFIGSTORE_BACKUP,
    CONFIGSTORE_RUNTIME,
    STEPS,
    UPDATE_MARKER,
    BackupResult,
    choose_target,
    files_to_save,
)
from ..bootbank import BootBank
from ..events import HostSnapshot
from ..layers import twin_of
from .dot import MONO, Diagram, _cell, _e, _font, _label, _legend, _new, _strip, snapshot_of
from .palette import (
    ALTBOOTBANK,
    ARCHIVE,
    BOOTBANK,
    COMMIT,
    DELETED,
    DELETED_FILL,
    HIDDEN,
    INK,
    MUTED,
    PAPER,
    RAMDISK,
    SERVES_TEXT,
)

__all__ = ["backup_flow"]

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
    """Where backup.sh writes, by the engine's own rule (F15: backup.choose_target)."""
    if snap.booted is None:
        return "/bootbank", snap.bootbank
    index, path = choose_target(snap.exists(UPDATE_MARKER), snap.banks, snap.booted)
    return path, snap.banks[index]


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
