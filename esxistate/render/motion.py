"""Moving pictures of a host's history: a branching write, the clock strip of backups, the boot banks' bootstate, a
power cut.

Each scene is plain HTML with inline SVG, animated by CSS alone (`STYLE`), so it plays the same in a notebook's
Timeline and in the offline lesson file, with no kernel and no script. Every scene is drawn from event data (the
`Change` of a write, the `BackupResult` of a backup, the boot banks of the snapshots before and after, the engine's
own `explain`), never from the words of a summary. An event that has nothing to animate has no scene.

Where we simplify: a scene shows one event's step; the times on the clock strip are the simulated clock's, and the
strip marks what happened, not every line of root's crontab (only auto-backup.sh is simulated, F12).
"""

from __future__ import annotations

import html
import math
import posixpath
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from .. import persistence
from ..bootbank import BankState
from ..errors import EsxiStateError
from ..events import Event, HostSnapshot
from ..explain import explain
from ..layers import twin_of
from ..statearchive import StateArchive
from .dot import STATE_STYLE
from .palette import (
    AXIS,
    BANK_TOKEN,
    BRANCH,
    BRANCHED_FILE,
    CRON_MINUTE,
    DARK,
    DARK_TEXT,
    LANE,
    LIGHTS_ON,
    LOST,
    PAPER,
    RAMDISK,
    RAMDISK_LINE,
    SAVED,
    SCENE_LINE,
    SCENE_NOTE,
    SCENE_TEXT,
    TARDISK,
    TARDISK_LINE,
    TWIN,
    TWIN_LINE,
)

__all__ = [
    "SCENE_MS",
    "STYLE",
    "bank_moves",
    "bootstate",
    "branch",
    "clock_strip",
    "lost_at_power_cut",
    "power_cut",
    "scene",
]

STYLE = f"""
.esm-scene{{font:16px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:{SCENE_TEXT};margin:6px 0 12px}}
.esm-scene svg{{max-width:100%;height:auto;overflow:visible}}
.esm-scene svg text{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif}}
.esm-title{{font-weight:600;margin:0 0 4px}}
.esm-mono{{font-family:ui-monospace,Menlo,Consolas,monospace}}
@keyframes esm-copy{{0%{{transform:translate(var(--dx),0);opacity:.2}}70%{{opacity:1}}100%{{transform:none}}}}
@keyframes esm-appear{{0%,60%{{opacity:0;transform:scale(.6)}}100%{{opacity:1;transform:none}}}}
@keyframes esm-pulse{{0%,100%{{stroke-width:2}}50%{{stroke-width:6}}}}
@keyframes esm-slide{{from{{transform:translate(var(--dx),0)}}to{{transform:none}}}}
@keyframes esm-dash{{to{{stroke-dashoffset:-24}}}}
@keyframes esm-dark{{0%{{background:{LIGHTS_ON};color:{SCENE_TEXT}}}100%{{background:{DARK};color:{DARK_TEXT}}}}}
@keyframes esm-fade{{0%,50%{{opacity:0}}100%{{opacity:1}}}}
.esm-copy{{animation:esm-copy 1.6s ease-out both}}
.esm-appear{{animation:esm-appear 2.4s ease-out both;transform-box:fill-box;transform-origin:center}}
.esm-pulse{{animation:esm-pulse 1.2s ease-in-out 3}}
.esm-slide{{animation:esm-slide 1.4s ease-in-out both}}
.esm-hot{{stroke:{BRANCH};stroke-width:4;stroke-dasharray:12 6;animation:esm-dash .8s linear infinite}}
.esm-hotlabel{{fill:{BRANCH};font-weight:700}}
.esm-dark{{animation:esm-dark 2s ease-in .3s both;border-radius:8px;padding:12px 16px}}
.esm-later{{animation:esm-fade 2.6s ease-out both}}
.esm-lost{{color:{LOST};text-decoration:line-through}}
.esm-kept{{color:{SAVED}}}
.esm-cols{{display:flex;gap:18px;flex-wrap:wrap}}.esm-cols>div{{flex:1;min-width:260px}}
@media (prefers-reduced-motion:reduce){{.esm-scene *{{animation:none!important}}}}
"""

_TIME = re.compile(r"(?<![\w.-])(\d*\.?\d+)s\b")
_COUNT = re.compile(r"\d*\.?\d+")


def motion_seconds(style: str) -> float:
    """How long the motion of a scene lasts, read from its CSS: the latest end (delay + duration x repeats) of the
    `animation:` declarations in `style`. An endless one (`infinite`, a marching dash) has no end and is left out.

    >>> motion_seconds(".a{animation:x 1.2s ease-in-out 3}.b{animation:y 2s ease-in .3s both}")
    3.6
    """
    longest = 0.0
    for declaration in re.findall(r"animation:([^;}]+)", style):
        times = [float(t) for t in _TIME.findall(declaration)]
        if not times or "infinite" in declaration.split():
            continue
        repeats = next((float(word) for word in declaration.split() if _COUNT.fullmatch(word)), 1.0)
        delay = times[1] if len(times) > 1 else 0.0
        longest = max(longest, delay + times[0] * repeats)
    return round(longest, 3)


SCENE_MS = math.ceil(motion_seconds(STYLE) * 1000)
"""Milliseconds an autoplay waits on a frame: the longest motion of any scene, so each one finishes before the next
frame (the Timeline's Play and the lesson file's play button)."""

_FONT = 'font-size="15"'


def _e(text: object) -> str:
    return html.escape(str(text))


def _wrap(title: str, body: str, kind: str) -> str:
    return f'<div class="esm-scene" data-scene="{kind}"><div class="esm-title">{_e(title)}</div>{body}</div>'


# -- a branching write (F27, F25) -------------------------------------------------------------------------------------


def branch(event: Event) -> str:
    """A write: the file copied from its tardisk onto the ramdisk (when it branched), its `.#` twin appearing next
    to it (when VisorFS kept one now), or the ramdisk copy changing in place over the tardisk copy it hides."""
    change = event.details.get("change")
    if change is None:
        return ""
    name = posixpath.basename(change.path)
    ramdisk = f"{change.ramdisk} ramdisk"
    source = change.branched_from
    twin = change.twin
    snap = event.snapshot
    below = source or next((layer for layer in snap.resolve(change.path).shadowed if layer != change.ramdisk), None)
    had_twin = not twin and persistence.twin_left(snap, change.path) is not None
    parts = [
        f'<svg viewBox="0 0 900 200" width="900" height="200" role="img" aria-label="{_e(event.summary)}">',
        f'<rect x="10" y="30" width="300" height="150" rx="8" fill="{TARDISK}" stroke="{TARDISK_LINE}"/>',
        f'<text x="24" y="56" {_FONT} font-weight="700">'
        + (f"tardisk {_e(below)}" if below else "the tardisks")
        + "</text>",
        f'<text x="24" y="78" {_FONT} fill="{SCENE_NOTE}">read-only, decompressed in memory</text>',
        f'<rect x="560" y="30" width="330" height="150" rx="8" fill="{RAMDISK}" stroke="{RAMDISK_LINE}"/>',
        f'<text x="574" y="56" {_FONT} font-weight="700">{_e(ramdisk)}</text>',
        f'<text x="574" y="78" {_FONT} fill="{SCENE_NOTE}">in memory, writable</text>',
    ]
    if below:
        hidden = ' stroke-dasharray="5 3" opacity=".7"' if not source else ""
        parts += [
            f'<g{hidden}><rect x="24" y="100" width="272" height="34" rx="5" fill="{PAPER}" stroke="{TARDISK_LINE}"/>',
            f'<text x="36" y="123" {_FONT} class="esm-mono">{_e(name)}</text></g>',
            f'<text x="24" y="160" {_FONT} fill="{SCENE_LINE}">'
            + ("still here, now hidden by the copy" if source else "unchanged, hidden by the copy")
            + "</text>",
        ]
    else:
        parts.append(f'<text x="24" y="123" {_FONT} fill="{SCENE_LINE}">no tardisk holds {_e(name)}</text>')
    if source:
        parts += [
            f'<path d="M310 117 H552" stroke="{BRANCH}" stroke-width="3" fill="none" class="esm-hot"/>',
            f'<text x="330" y="106" {_FONT} class="esm-hotlabel">copy of this one file</text>',
            f'<g class="esm-copy" style="--dx:-550px"><rect x="574" y="100" width="300" height="34" rx="5" '
            f'fill="{PAPER}" stroke="{BRANCHED_FILE}" stroke-width="2.5"/>',
            f'<text x="586" y="123" {_FONT} class="esm-mono" font-weight="700">{_e(name)}</text></g>',
        ]
    else:
        parts += [
            f'<rect x="574" y="100" width="300" height="34" rx="5" fill="{PAPER}" stroke="{BRANCHED_FILE}" '
            'stroke-width="2" class="esm-pulse"/>',
            f'<text x="586" y="123" {_FONT} class="esm-mono" font-weight="700">{_e(name)} '
            f"{'created' if change.created else 'changed'}</text>",
        ]
    if twin or had_twin:
        appear = ' class="esm-appear"' if twin else ""
        parts += [
            f'<g{appear}><rect x="574" y="140" width="300" height="32" rx="5" fill="{TWIN}" '
            f'stroke="{TWIN_LINE}" stroke-dasharray="5 3"/>',
            f'<text x="586" y="162" {_FONT} class="esm-mono">{_e(posixpath.basename(twin_of(change.path)))}</text></g>',
        ]
    parts.append("</svg>")
    if source and twin:
        note = (
            f"VisorFS copied {name} from tardisk {source} onto the {ramdisk} and kept the original as "
            f"{posixpath.basename(twin)}: backup.sh saves every /etc file that has a .# twin (F27, F25, F16)."
        )
    elif source:
        note = (
            f"VisorFS copied {name} from tardisk {source} onto the {ramdisk}; no .# twin, so no backup saves it "
            "and the next boot brings back the tardisk's copy (F27, F16)."
        )
    elif twin or had_twin:
        note = (
            f"Changed on the {ramdisk}; its .# twin {posixpath.basename(twin_of(change.path))} marks it for backup.sh, "
            "so the next backup saves this content (F25, F16)."
        )
    else:
        note = f"Changed on the {ramdisk}, where it already was: nothing is copied again (F27)."
    return _wrap("A write never touches a tardisk", "".join(parts) + f"<div>{_e(note)}</div>", "branch")


# -- the boot banks' bootstate (F5, F6, F8, F45) --------------------------------------------------------------------

_STATE_X = {BankState.VALID: 110, BankState.UPGRADING: 350, BankState.DIRTY: 590, BankState.INVALID: 830, None: 1030}
_STATE_WORD = {
    BankState.VALID: "0 VALID",
    BankState.UPGRADING: "1 UPGRADING",
    BankState.DIRTY: "2 DIRTY",
    BankState.INVALID: "3 INVALID",
    None: "empty",
}
_MOVES = {  # (before, after) -> the step of the boot loader or the upgrade tools that makes it, with its fact
    (BankState.UPGRADING, BankState.DIRTY): ("first boot", "F6"),
    (BankState.DIRTY, BankState.VALID): ("boot confirmed", "F6"),
    (BankState.DIRTY, BankState.INVALID): ("never confirmed", "F6"),
    (BankState.VALID, BankState.INVALID): ("Shift+R", "F8"),
}


def _state(snap: HostSnapshot | None, index: int) -> BankState | None:
    if snap is None or index >= len(snap.banks):
        return None
    return snap.banks[index].state


def bank_moves(
    before: HostSnapshot | None, after: HostSnapshot
) -> list[tuple[str, BankState | None, BankState | None]]:
    """(bank label, bootstate before, bootstate after) for every bank whose bootstate changed (None: empty bank)."""
    if before is None:
        return []
    moves = []
    for i, bank in enumerate(after.banks):
        old, new = _state(before, i), bank.state
        if old is not new:
            moves.append((bank.label, old, new))
    return moves


def _move_name(old: BankState | None, new: BankState | None) -> tuple[str, str]:
    if new is BankState.UPGRADING:
        return "new image written", "F33"
    if new is None:
        return "re-laid: 6.x -> 7.0", "F45"
    if old is None and new is BankState.VALID:
        return "image written", "F33"
    return _MOVES.get((old, new), (f"{_STATE_WORD[old]} -> {_STATE_WORD[new]}", "F5"))


def _arrow(points: Sequence[tuple[float, float]], hot: bool) -> str:
    """A straight (2 points) or cubic (4 points) arrow with its head drawn as a triangle (no SVG marker: a marker
    id would repeat in every frame of a lesson file)."""
    (x0, y0), *rest = points
    d = f"M{x0} {y0} " + ("L" if len(rest) == 1 else "C") + " ".join(f"{x} {y}" for x, y in rest)
    (px, py), (ex, ey) = points[-2], points[-1]
    length = math.hypot(ex - px, ey - py) or 1.0
    ux, uy = (ex - px) / length, (ey - py) / length
    bx, by = ex - 12 * ux, ey - 12 * uy
    head = f"{ex},{ey} {bx - 6 * uy:.1f},{by + 6 * ux:.1f} {bx + 6 * uy:.1f},{by - 6 * ux:.1f}"
    colour = BRANCH if hot else SCENE_LINE
    cls = ' class="esm-hot"' if hot else ""
    return (
        f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"{cls}/><polygon points="{head}" fill="{colour}"/>'
    )


def _edge_label(x: float, y: float, text: str, fact: str, hot: bool, *, one_line: bool = False) -> str:
    cls = ' class="esm-hotlabel"' if hot else ""
    if one_line:
        return f'<text x="{x}" y="{y}" {_FONT} text-anchor="middle"{cls}>{_e(text)} ({fact})</text>'
    return (
        f'<text x="{x}" y="{y}" {_FONT} text-anchor="middle"{cls}>{_e(text)}'
        f'<tspan x="{x}" dy="17">({fact})</tspan></text>'
    )


def bootstate(before: HostSnapshot | None, after: HostSnapshot) -> str:
    """The four values of bootstate= (F5) with the steps between them (F6, F8, F33), each bank a token on its
    state; a bank whose state changed slides from the old state to the new one and its step is highlighted."""
    if not after.banks:
        return ""
    moves = bank_moves(before, after)
    hot = {_move_name(old, new)[0] for _label, old, new in moves}
    x0, x1, x2, x3 = (_STATE_X[s] for s in (BankState.VALID, BankState.UPGRADING, BankState.DIRTY, BankState.INVALID))
    xe = _STATE_X[None]
    cy, r = 110, 52
    height = 340 + 40 * len(after.banks)
    parts = [
        f'<svg viewBox="0 0 1110 {height}" width="1110" height="{height}" role="img" '
        'aria-label="bootstate of the boot banks">',
        _arrow([(x1, 12), (x1, cy - r - 2)], "new image written" in hot),
        f'<text x="{x1 + 12}" y="26" {_FONT}'
        + (' class="esm-hotlabel"' if "new image written" in hot else "")
        + ">new image written (F33)</text>",
        _arrow([(xe, 12), (xe, cy - r - 2)], "re-laid: 6.x -> 7.0" in hot),
        f'<text x="{xe - 12}" y="26" {_FONT} text-anchor="end"'
        + (' class="esm-hotlabel"' if "re-laid: 6.x -> 7.0" in hot else "")
        + ">6.x -> 7.0 re-lays the partitions (F45)</text>",
        _arrow([(x1 + r, cy), (x2 - r - 2, cy)], "first boot" in hot),
        _edge_label((x1 + x2) / 2, cy - 30, "first boot", "F6", "first boot" in hot),
        _arrow([(x2 + r, cy), (x3 - r - 2, cy)], "never confirmed" in hot),
        _edge_label((x2 + x3) / 2, cy - 30, "never confirmed", "F6", "never confirmed" in hot),
        _arrow([(x2 - 20, cy + r - 4), (x2 - 60, 225), (x0 + 60, 225), (x0 + 16, cy + r - 2)], "boot confirmed" in hot),
        _edge_label((x0 + x2) / 2, 200, "boot confirmed", "F6", "boot confirmed" in hot, one_line=True),
        _arrow([(x0 - 16, cy + r - 2), (x0 - 20, 300), (x3 + 20, 300), (x3 + 16, cy + r - 2)], "Shift+R" in hot),
        _edge_label(
            (x0 + x3) / 2, 292, "Shift+R marks the default bank INVALID", "F8", "Shift+R" in hot, one_line=True
        ),
    ]
    for state, x in _STATE_X.items():
        fill = STATE_STYLE[state][0]
        dash = ' stroke-dasharray="6 4"' if state in (BankState.UPGRADING, None) else ""
        number, _sp, word = _STATE_WORD[state].partition(" ")
        label = (
            f'<text x="{x}" y="{cy - 2}" font-size="26" text-anchor="middle" font-weight="700">{number}</text>'
            f'<text x="{x}" y="{cy + 22}" {_FONT} text-anchor="middle">{word}</text>'
            if word
            else f'<text x="{x}" y="{cy + 6}" {_FONT} text-anchor="middle">{number}</text>'
        )
        parts.append(
            f'<circle cx="{x}" cy="{cy}" r="{r}" fill="{fill}" stroke="{SCENE_LINE}" stroke-width="1.5"{dash}/>{label}'
        )
    old_of = {label: old for label, old, _new in moves}
    for i, bank in enumerate(after.banks):
        x = _STATE_X[bank.state]
        y = 340 + 40 * i
        slide = ""
        if bank.label in old_of:
            slide = f' class="esm-slide" style="--dx:{_STATE_X[old_of[bank.label]] - x}px"'
        role = ""
        if after.booted == i:
            role = " · /bootbank" if after.powered_on else " · booted last"
        parts.append(
            f'<g{slide}><rect x="{x - 100}" y="{y - 21}" width="200" height="30" rx="15" fill="{PAPER}" '
            f'stroke="{BANK_TOKEN}" stroke-width="{3 if bank.label in old_of else 1.5}"/>'
            f'<text x="{x}" y="{y}" {_FONT} text-anchor="middle">{_e(bank.label)}{_e(role)}</text></g>'
        )
    parts.append("</svg>")
    if moves:
        said = "; ".join(
            f"{label}: {_STATE_WORD[old]} -> {_STATE_WORD[new]} ({_move_name(old, new)[0]}, {_move_name(old, new)[1]})"
            for label, old, new in moves
        )
    else:
        said = "No bank changed its bootstate at this step; safeboot boots the bootable bank with the highest updated="
        said += " (F7)."
    return _wrap("bootstate= of the boot banks (F5)", "".join(parts) + f"<div>{_e(said)}</div>", "bootstate")


# -- the clock strip: cron at :01, hostd, by hand, shutdown, power cuts (F12, F13, F21, F23) ------------------------

_LANES = (
    ("cron", "cron: auto-backup.sh at :01 (F12)"),
    ("hostd", "hostd after a change (F21)"),
    ("manual", "by hand: auto-backup.sh"),
    ("shutdown", "shutdown: backup.sh 1 (F13)"),
    ("power", "power cut: no backup (F23)"),
)
_LEFT, _RIGHT, _TOP, _LANE = 270, 910, 40, 34


def _marks(events: Sequence[Event], upto: int) -> list[tuple[str, datetime, str, bool, int]]:
    """(lane, time, label, saved, event index) for every backup, cron run and power cut up to event `upto`."""
    marks: list[tuple[str, datetime, str, bool, int]] = []
    saved_cron: set[datetime] = set()
    for i, e in enumerate(events[: upto + 1]):
        result = e.details.get("result") if e.kind in ("backup", "backup-skipped") else None
        if result is not None:
            lane = result.trigger if result.trigger in ("cron", "hostd", "manual", "shutdown") else "manual"
            if lane == "cron":
                saved_cron.add(e.time.replace(second=0, microsecond=0))
            saved = not result.skipped and result.interrupted_after is None
            label = f"{len(result.files)} files" if saved else ("nothing to save" if result.skipped else "cut")
            marks.append((lane, e.time, label, saved, i))
        elif e.kind == "power-loss":
            marks.append(("power", e.time, "power cut", False, i))
        elif e.kind == "clock":
            for at in e.details.get("cron_times", ()):  # the engine's own moments: no clock text parsed
                if at.replace(second=0, microsecond=0) not in saved_cron:
                    marks.append(("cron", at, "nothing to save", False, i))
    return marks


def _span(events: Sequence[Event]) -> tuple[datetime, datetime]:
    t0 = events[0].time.replace(minute=0, second=0, microsecond=0)
    last = max(e.time for e in events)
    t1 = last.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return t0, max(t1, t0 + timedelta(hours=2))


def clock_strip(events: Sequence[Event], index: int) -> str:
    """The story's clock, hour by hour: a dotted line at every :01 where crond runs auto-backup.sh (F12), a mark for
    each backup by who ran it, the power cuts, and the cursor sliding to this event's time. On a power cut the
    stretch since the last complete backup is shaded: the changes made in it are lost (F23)."""
    t0, t1 = _span(events)
    total = (t1 - t0).total_seconds()

    def x(t: datetime) -> float:
        return _LEFT + (_RIGHT - _LEFT) * max(0.0, min(1.0, (t - t0).total_seconds() / total))

    marks = _marks(events, index)
    used = {"cron"} | {lane for lane, *_ in _marks(events, len(events) - 1)}
    lanes = [(key, label) for key, label in _LANES if key in used]
    y_of = {key: _TOP + 30 + _LANE * n for n, (key, _label) in enumerate(lanes)}
    height = _TOP + 30 + _LANE * len(lanes) + 20
    hours = int(total // 3600)
    step = max(1, -(-hours // 10))
    parts = [
        f'<svg viewBox="0 0 930 {height}" width="930" height="{height}" role="img" aria-label="clock strip">',
        f'<line x1="{_LEFT}" y1="{_TOP + 8}" x2="{_RIGHT}" y2="{_TOP + 8}" stroke="{AXIS}" stroke-width="1.5"/>',
    ]
    for n in range(hours + 1):
        t = t0 + timedelta(hours=n)
        if n % step == 0:
            parts.append(
                f'<line x1="{x(t):.1f}" y1="{_TOP + 2}" x2="{x(t):.1f}" y2="{_TOP + 14}" stroke="{AXIS}"/>'
                f'<text x="{x(t):.1f}" y="{_TOP - 4}" {_FONT} text-anchor="middle">{t:%H:%M}</text>'
            )
        if n < hours and hours <= 48:
            c = x(t + timedelta(minutes=1))
            parts.append(
                f'<line x1="{c:.1f}" y1="{_TOP + 14}" x2="{c:.1f}" y2="{height - 12}" stroke="{CRON_MINUTE}" '
                'stroke-dasharray="2 4"/>'
            )
    for key, label in lanes:
        y = y_of[key]
        parts.append(f'<text x="8" y="{y + 5}" {_FONT}>{_e(label)}</text>')
        parts.append(f'<line x1="{_LEFT}" y1="{y}" x2="{_RIGHT}" y2="{y}" stroke="{LANE}"/>')
    current = events[index]
    if current.kind == "power-loss":
        before = [m for m in marks if m[3] and m[4] < index]
        since = before[-1][1] if before else events[0].time
        y = y_of["power"]
        parts.append(
            f'<rect x="{x(since):.1f}" y="{_TOP + 16}" width="{max(x(current.time) - x(since), 3):.1f}" '
            f'height="{y - _TOP - 4}" fill="{LOST}" fill-opacity=".14" class="esm-later"/>'
            f'<text x="{(x(since) + x(current.time)) / 2:.1f}" y="{y + 24}" {_FONT} text-anchor="middle" '
            f'fill="{LOST}" class="esm-later">changes since the last backup: lost</text>'
        )
        if before:
            lane, t, _label, _saved, _i = before[-1]
            parts.append(
                f'<text x="{x(t) - 12:.1f}" y="{y_of[lane] + 5}" {_FONT} text-anchor="end" fill="{SAVED}" '
                f'font-weight="700" class="esm-later">state.tgz of {t:%H:%M} survives</text>'
            )
    prev_t = events[index - 1].time if index else current.time
    dx = x(prev_t) - x(current.time)
    parts.append(
        f'<g class="esm-slide" style="--dx:{dx:.1f}px"><line x1="{x(current.time):.1f}" y1="{_TOP + 2}" '
        f'x2="{x(current.time):.1f}" y2="{height - 8}" stroke="{BRANCH}" stroke-width="3" opacity=".55"/>'
        f'<text x="{x(current.time):.1f}" y="{height + 8}" {_FONT} text-anchor="middle" fill="{BRANCH}" '
        f'font-weight="700">now {current.time:%H:%M}</text></g>'
    )
    for lane, t, label, saved, i in marks:
        y, cx = y_of[lane], x(t)
        new = ' class="esm-appear"' if i == index else ""
        if lane == "power":
            shape = (
                f'<path d="M{cx - 6:.1f} {y - 14} L{cx + 4:.1f} {y - 2} L{cx - 2:.1f} {y} L{cx + 6:.1f} {y + 14} '
                f'L{cx - 4:.1f} {y + 2} L{cx + 2:.1f} {y} Z" fill="{LOST}"/>'
            )
        else:
            fill = SAVED if saved else PAPER
            shape = f'<circle cx="{cx:.1f}" cy="{y}" r="8" fill="{fill}" stroke="{SAVED}" stroke-width="2.5"/>'
        tip = f"<title>{t:%H:%M} {lane}: {label}</title>"
        parts.append(f"<g{new}>{tip}{shape}</g>")
        if i == index:
            parts.append(
                f'<text x="{cx + 14:.1f}" y="{y + 5}" {_FONT} font-weight="700" class="esm-later">'
                f"{t:%H:%M} {_e(label)}</text>"
            )
    parts.append("</svg>")
    legend = (
        "Filled: backup.sh wrote state.tgz. Hollow: it ran and found nothing to save (F14). Dotted lines: minute 1 of "
        "every hour, when crond runs auto-backup.sh."
    )
    return _wrap("When backups run", "".join(parts) + f"<div>{_e(legend)}</div>", "clock")


# -- a power cut (F23, F38) ----------------------------------------------------------------------------------------


def lost_at_power_cut(events: Sequence[Event], index: int) -> tuple[list[tuple[str, bool | None, str]], list[str]]:
    """([(path, kept, what happens to it)] for every file changed since the last boot, [what state.tgz holds]) just
    before the power cut at `index`. The engine's `explain` decides each path's fate: kept only when it has a .#
    twin and state.tgz already holds this very content (F16, F23, F38). An encrypted state.tgz (7.0 U2+, F36) cannot
    be read without the host's key: then `kept` is None and the list names its two members."""
    before = next((e.snapshot for e in reversed(events[:index]) if e.snapshot.powered_on), None)
    if before is None:
        return [], []
    changed: list[str] = []
    for e in reversed(events[:index]):
        if e.kind == "bootloader":
            break
        if "change" in e.details:
            for p in e.paths:
                if p not in changed:
                    changed.append(p)
    saved: list[str] = []
    encrypted = False
    bank = before.bootbank
    if bank is not None and "state.tgz" in bank.files:
        try:
            state = StateArchive.from_bytes(bank.files["state.tgz"])
            encrypted = state.encrypted
            saved = sorted(state.members) if encrypted else ["/" + n for n in state.names()]
        except EsxiStateError:
            saved = []
    fates: list[tuple[str, bool | None, str]] = []
    for p in reversed(changed):
        if encrypted:
            fates.append((p, None, "state.tgz is encrypted (F36): the next boot restores what the last backup saved"))
            continue
        ex = explain(before, p, events[:index])
        fates.append((p, bool(ex.twin and ex.matches_state), str(ex.on_power_loss)))
    return fates, saved


def power_cut(events: Sequence[Event], index: int) -> str:
    """The host going dark: the ramdisks vanish, each changed file's fate, and what the boot bank still holds."""
    fates, saved = lost_at_power_cut(events, index)
    rows = []
    for path, kept, fate in fates:
        cls = {True: " esm-kept", False: " esm-lost", None: ""}[kept]
        rows.append(f'<li><span class="esm-mono{cls}">{_e(path)}</span>: {_e(fate)}</li>')
    lost_html = "".join(rows) or "<li>no file was changed since the last boot</li>"
    saved_html = "".join(f'<li class="esm-mono esm-kept">{_e(n)}</li>' for n in saved) or "<li>no state.tgz</li>"
    body = (
        '<div class="esm-dark"><b>Memory: the ramdisks and every branched file in them</b><br>'
        "The power is gone: no shutdown, so /bin/backup.sh 1 never runs (F23).</div>"
        '<div class="esm-cols esm-later">'
        f"<div><b>What the cut does to the files changed since boot</b><ul>{lost_html}</ul></div>"
        "<div><b>What survives on the boot bank</b>: the image modules and state.tgz, whose local.tgz the next boot "
        f"unpacks (F38):<ul>{saved_html}</ul></div></div>"
    )
    return _wrap("Power cut: the host goes dark", body, "power-cut")


# -- which scenes an event gets -----------------------------------------------------------------------------------

_CLOCK_KINDS = ("clock", "backup", "backup-skipped", "power-loss", "shutdown", "configure")


def scene(events: Sequence[Event], index: int) -> str:
    """Every scene for event `index` of `events` (HTML, no script); '' when the event has nothing to animate."""
    event = events[index]
    before = events[index - 1].snapshot if index else None
    out = []
    if event.kind == "power-loss":
        out.append(power_cut(events, index))
    if event.kind in ("branch", "write") and "change" in event.details:
        out.append(branch(event))
    if event.kind == "bootloader" or bank_moves(before, event.snapshot):
        out.append(bootstate(before, event.snapshot))
    if event.kind in _CLOCK_KINDS:
        out.append(clock_strip(events, index))
    return "".join(out)
