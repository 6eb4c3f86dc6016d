""" "Why did my /etc edit vanish?": a decision diagram whose boxes link to the lesson that shows each cause live.

The questions come in the order a student can check them on a real host, each one a fact of ESXI-FACTS.md:

1. Is the file persisted at all? Only an /etc file that ships with the sticky bit gets a `.#` twin, and backup.sh
   saves exactly the /etc files with a twin (F16, F25).
2. Did a backup save it before the power went? A power cut or `reboot -f` runs no backup (F23); cron saves at minute
   1 of every hour (F12), an orderly shutdown always (F13).
3. Which bank booted? Shift+R boots the other bank, whose state.tgz is older (F8, F45).
4. Was the boot device there? A boot device claimed late points /bootbank into /tmp, a lost one refuses every
   backup (F47).
5. Was a configuration bundle restored? Its state.tgz replaces the host's own (F43).

`why_vanished()` draws the questions; `why_vanished(host, path)` also walks them over the host's history and draws
in bold the way to the answer for that file (`diagnose` gives the same walk as data). Like every renderer, nothing
here changes a host: it reads events and their snapshots.

Where we simplify: the walk looks only at the last boot and at what happened to `path` since its last change before
that boot; it does not model edits made on another host or files restored by hand.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import persistence
from ..eventkind import POWER_OFF
from ..events import Event
from ..layers import norm, twin_of
from .dot import Diagram, _e, _font, _label, _new
from .palette import INK, LOST_FILL, MUTED, PAPER, SAVED_FILL

__all__ = [
    "LINKS",
    "QUESTIONS",
    "Diagnosis",
    "Question",
    "Section",
    "diagnose",
    "link",
    "where",
    "why_vanished",
]


class Section(NamedTuple):
    """A section of a lesson: its notebook, its heading, and the id of the Markdown cell that holds the heading."""

    notebook: str
    heading: str
    cell: str


def link(section: Section) -> str:
    """A relative link to a section of a lesson, as the notebooks folder sees it: `#cell-id=...`, the fragment that
    JupyterLab 4 scrolls to even in a lesson the click has just opened (a heading's anchor is found only once the
    lesson has rendered it), and the id `jupyter nbconvert --to html` gives the cell."""
    return f"{section.notebook}#cell-id={section.cell}"


# the lesson and section that shows each box live
LINKS: dict[str, Section] = {
    "start": Section("00-start-here.ipynb", "Watch an edit vanish", "cfdf179f"),
    "persisted": Section("03-branching.ipynb", "6. Which changes survive a reboot?", "e62919b1"),
    "not-persisted": Section("03-branching.ipynb", "5. Sticky files and their `.#` twins", "bc283957"),
    "backup": Section(
        "05-when-backups-run.ipynb", "2. A power loss takes everything since the last backup", "10c5f5fe"
    ),
    "no-backup": Section("11-troubleshooting.ipynb", "4. reboot -f versus reboot", "e78a010c"),
    "bank": Section("07-boot-banks.ipynb", "6. Shift+R: roll back, for good", "963a9cfc"),
    "other-bank": Section("11-troubleshooting.ipynb", "3. Shift+R does nothing after 6.7 -> 7.0", "867554ac"),
    "device": Section("11-troubleshooting.ipynb", "2. The boot device vanished", "3bbfecff"),
    "no-device": Section("11-troubleshooting.ipynb", "1. /bootbank points into /tmp", "d8e220c9"),
    "bundle": Section("10-your-own-host.ipynb", "5. Putting a bundle back: `restore_config`", "64aefab6"),
    "restored": Section("11-troubleshooting.ipynb", "8. A configuration bundle from another host", "c0bc5d21"),
    "none": Section("11-troubleshooting.ipynb", "7. Restore one /etc file from state.tgz", "fce72338"),
}


@dataclass(frozen=True, slots=True)
class Question:
    """One box of the diagram: the question, the answer that explains the loss, and the verdict box it leads to."""

    key: str
    text: str
    hint: str
    facts: tuple[str, ...]
    cause_when: bool  # the answer (True = yes) that explains the loss
    verdict_key: str
    verdict: str


QUESTIONS: tuple[Question, ...] = (
    Question(
        "persisted",
        "Is the file persisted?",
        "an /etc file that ships with the sticky bit, so a change left a .# twin",
        ("F16", "F25"),
        False,
        "not-persisted",
        "backup.sh never saves it: the image's copy returns",
    ),
    Question(
        "backup",
        "Did a backup run before the power went?",
        "cron at minute 1 of every hour, an orderly shutdown, hostd, or auto-backup.sh by hand",
        ("F12", "F13", "F23"),
        False,
        "no-backup",
        "a power cut or reboot -f came first",
    ),
    Question(
        "bank",
        "Did the bank you expected boot?",
        "Shift+R at the boot loader boots the other bank, and for good",
        ("F7", "F8", "F45"),
        False,
        "other-bank",
        "the other bank booted, with its own older state.tgz",
    ),
    Question(
        "device",
        "Was the boot device there?",
        "ls -l / shows /bootbank; a late or lost device sends backups to /tmp or nowhere",
        ("F47",),
        False,
        "no-device",
        "backups went to /tmp or failed: the old state.tgz boots",
    ),
    Question(
        "bundle",
        "Was a configuration bundle restored?",
        "vim-cmd hostsvc/firmware/restore_config reboots into the bundle's state.tgz",
        ("F43",),
        True,
        "restored",
        "its configuration replaced the host's own",
    ),
)
NONE_VERDICT = "none of these: open state.tgz and compare (tar tzvf)"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The walk over QUESTIONS for one file of one host: each question answered (True/False) with its evidence, in
    order, up to the one that explains the loss (`cause`, a Question key), or every one when none does."""

    path: str
    answers: tuple[tuple[str, bool, str], ...]
    cause: str | None

    def __str__(self) -> str:
        lines = [f"Why did {self.path} vanish?"]
        for key, answer, evidence in self.answers:
            q = next(q for q in QUESTIONS if q.key == key)
            lines.append(f"  {q.text} {'yes' if answer else 'no'}: {evidence}")
        verdict = next((q.verdict for q in QUESTIONS if q.key == self.cause), NONE_VERDICT)
        lines.append(f"  answer: {verdict}")
        return "\n".join(lines)


_CHANGES = ("branch", "write", "chmod")
_DOWN = POWER_OFF  # shutdown, reboot, power loss: the engine's own group of kinds
_SAVES = ("backup", "backup-to-memory")
_DEVICE = {  # the boot-device faults (F47), each in a few words for the evidence column
    "slow-boot-device": "slow boot device: /bootbank pointed into /tmp",
    "boot-device-lost": "the boot device was lost",
    "backup-to-memory": "a backup landed in memory (/tmp)",
    "bootbank-alert": "backup.sh found no /bootbank",
}


def _history_of(source: Any) -> Sequence[Event]:
    history = getattr(source, "history", source)
    return list(history)


def diagnose(source: Any, path: str) -> Diagnosis:
    """Walk QUESTIONS over the history of `source` (a Host or a list of events) for `path`: what happened to the
    file's last change before the last boot. A file never changed in that history gives no cause."""
    p = norm(path)
    history = _history_of(source)
    boots = [i for i, e in enumerate(history) if e.kind == "bootloader"]
    changes = [i for i, e in enumerate(history) if e.kind in _CHANGES and p in e.paths]
    last_boot = next((b for b in reversed(boots) if changes and b > changes[-1]), None)
    if last_boot is None:
        return Diagnosis(p, (), None)
    change = max(i for i in changes if i < last_boot)
    window = history[change + 1 : last_boot]
    answers: list[tuple[str, bool, str]] = []

    def ask(key: str, answer: bool, evidence: str) -> bool:
        answers.append((key, answer, evidence))
        q = next(q for q in QUESTIONS if q.key == key)
        return answer == q.cause_when

    snap = history[change].snapshot
    twin = twin_of(p)
    persisted = persistence.reason(snap, p) == persistence.TWIN  # the engine's one rule (F16, F25)
    why = f"{twin} existed after the change" if persisted else f"no {twin} after the change"
    if ask("persisted", persisted, why):
        return Diagnosis(p, tuple(answers), "persisted")
    down = next((e for e in reversed(window) if e.kind in _DOWN), None)
    saved = [e for e in window if (e.kind in _SAVES and p in e.paths) or e.kind == "bootbank-alert"]
    if down is not None and down.kind == "power-loss" and not saved:
        evidence = f"the power went at {down.time:%H:%M}, no backup since the change"
        ask("backup", False, evidence)
        return Diagnosis(p, tuple(answers), "backup")
    by = "an orderly shutdown" if down is not None and down.kind != "power-loss" else f"{len(saved)} backup run(s)"
    ask("backup", True, f"{by} after the change")
    boot = history[last_boot]
    rolled_back = bool(boot.details.get("rolled_back"))
    evidence = f"{boot.details.get('bank')} booted" + (", chosen by Shift+R" if rolled_back else ", safeboot's choice")
    if ask("bank", not rolled_back, evidence):
        return Diagnosis(p, tuple(answers), "bank")
    fault = next((e for e in window if e.kind in _DEVICE), None)
    if ask("device", fault is None, "no boot-device fault" if fault is None else _DEVICE[fault.kind]):
        return Diagnosis(p, tuple(answers), "device")
    restore = next((e for e in window if e.kind == "restore-config"), None)
    if ask("bundle", restore is not None, "restore_config ran" if restore else "no bundle restored"):
        return Diagnosis(p, tuple(answers), "bundle")
    return Diagnosis(p, tuple(answers), None)


def where(key: str) -> str:
    """Where a box's link goes, in words a printed diagram can show: "lesson 03 §6"."""
    notebook, heading, _ = LINKS[key]
    number = heading.split(".", 1)[0]
    return f"lesson {notebook[:2]} §{number}" if number.isdigit() else f"lesson {notebook[:2]}"


def _box(key: str, text: str, hint: str = "", facts: Sequence[str] = ()) -> str:
    lines = [f"<B>{_e(text)}</B>"]
    if hint:
        lines.append(_font(_e(hint), color=MUTED, size=10))
    small = ", ".join(facts)
    small = f"{small} · → {where(key)}" if small else f"→ {where(key)}"
    lines.append(_font(_e(small), color=MUTED, size=9))
    return _label(*lines)


def _href(key: str) -> dict[str, str]:
    section = LINKS[key]
    where = f"lesson {section.notebook[:2]}, {section.heading.replace('`', '')}"
    return {"URL": html.escape(link(section), quote=True), "tooltip": where, "target": "_top"}


def why_vanished(source: Any = None, path: str | None = None) -> Diagram:
    """The decision diagram "my change vanished": five questions top to bottom, each with a verdict box beside it;
    every box links to the lesson section that shows it live. With a host (or its history) and a path, the answers
    for that file are drawn in bold and the verdict that explains the loss is filled."""
    walk = diagnose(source, path) if source is not None and path else None
    subtitle = f"for {walk.path}" if walk else "check in this order; each box opens the lesson that shows it"
    g = _new("why_vanished", "Why did my /etc edit vanish?", subtitle, rankdir="TB", nodesep="0.5", ranksep="0.35")
    answered = {key: answer for key, answer, _ in walk.answers} if walk else {}
    start = _box("start", "my change is gone after a reboot")
    g.node("start", start, shape="box", style="rounded,bold", **_href("start"))
    g.rows.append(("start", "my change is gone after a reboot"))
    previous = "start"
    for q in QUESTIONS:
        on_way = q.key in answered
        g.node(
            q.key,
            _box(q.key, q.text, q.hint, q.facts),
            shape="box",
            style="rounded,bold" if on_way else "rounded",
            penwidth="2.5" if on_way else "1.2",
            **_href(q.key),
        )
        g.edge(previous, q.key, label=_edge_label(previous), **_bold(on_way))
        cause = walk is not None and walk.cause == q.key
        g.node(
            q.verdict_key,
            _box(q.verdict_key, q.verdict),
            shape="note",
            style="filled",
            fillcolor=LOST_FILL if cause else PAPER,
            color=INK if cause else MUTED,
            penwidth="2.5" if cause else "1",
            **_href(q.verdict_key),
        )
        g.edge(q.key, q.verdict_key, label=" yes " if q.cause_when else " no ", **_bold(cause))
        with g.subgraph() as same:
            same.attr(rank="same")
            same.node(q.key)
            same.node(q.verdict_key)
        found = f"{'yes' if answered[q.key] else 'no'}; " if q.key in answered else ""
        g.rows.append((q.text, f"{found}if {'yes' if q.cause_when else 'no'}, {q.verdict}"))
        previous = q.key
    last = QUESTIONS[-1]
    none = walk is not None and walk.cause is None and bool(walk.answers)
    g.node(
        "none",
        _box("none", NONE_VERDICT),
        shape="note",
        style="filled",
        fillcolor=SAVED_FILL if none else PAPER,
        color=INK if none else MUTED,
        **_href("none"),
    )
    g.edge(last.key, "none", label=" no " if last.cause_when else " yes ", **_bold(none))
    g.rows.append(("otherwise", NONE_VERDICT))
    if walk is not None:
        verdict = next((q.verdict for q in QUESTIONS if q.key == walk.cause), NONE_VERDICT)
        g.rows.append(("answer", verdict if walk.answers else f"{walk.path} was not changed before the last boot"))
    return g


def _edge_label(previous: str) -> str:
    if previous == "start":
        return ""
    before = next(x for x in QUESTIONS if x.key == previous)
    return " no " if before.cause_when else " yes "


def _bold(on: bool) -> dict[str, str]:
    return {"penwidth": "2.5", "style": "bold"} if on else {"penwidth": "1", "color": MUTED, "fontcolor": MUTED}
