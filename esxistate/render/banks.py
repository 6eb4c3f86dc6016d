"""The two boot banks (F5-F8, F37, F45): build, updated=, bootstate, which one booted and which one safeboot picks at
the next boot, and what Shift+R would do.
"""

from __future__ import annotations

from typing import Any

from esxistate.sizes import readable as _size

from ..bootbank import BankState, BootBank, safeboot
from ..errors import EsxiStateError, RollbackNotPossible
from .dot import MONO, STATE_STYLE, Diagram, _cell, _e, _font, _label, _legend, _new, snapshot_of
from .palette import DELETED, INK, MUTED

__all__ = ["bootbanks"]


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
        choice = safeboot(snap.banks)
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


def _bank_line(bank: BootBank) -> str:
    state = bank.state.name if bank.state is not None else "UNDEFINED"
    value = int(bank.state) if bank.state is not None else "?"
    return f"build={bank.build} updated={bank.updated} bootstate={value} ({state})"


def _shift_r(banks: Any) -> str:
    """What Shift+R would do at the next boot, as the engine decides it (safeboot): F8, and F45's refusal."""
    try:
        choice = safeboot(banks, rollback=True)
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
