"""The question text of every kind: the set-up as shell lines, then what is asked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

from .. import image
from ..host import DEFAULT_CLOCK
from ..text import wrap
from .catalogue import LAB_KINDS, LETTERS
from .exercise import Exercise
from .play import _installed_state
from .steps import Step, _quote, _render, _short


def _probes_of(choices: Iterable[Iterable[Step]]) -> tuple[tuple[str, str], ...]:
    """The (file, line) pairs a reverse exercise greps for: every edit of any option, in first-seen order."""
    seen: dict[str, str] = {}
    for steps in choices:
        for s in steps:
            if s.op in ("write", "append"):
                seen.setdefault(s.args[0], s.args[1])
    return tuple(sorted(seen.items()))


def _transcript(probes: Iterable[tuple[str, str]], shown: tuple[str, ...]) -> str:
    out = []
    for (path, line), seen in zip(probes, shown, strict=False):
        out.append(f"  [root@esxi:~] grep {_quote(line)} {path}")
        out.append(f"  {line}" if not seen.endswith(": -") else "  (no output: the line is not there)")
    out.append("  [root@esxi:~] cd /tmp && tar xzf /bootbank/state.tgz && tar tzf local.tgz")
    names = shown[-1].split(": ", 1)[1].split(", ")
    out += [f"  {n}" for n in names if n]
    return "\n".join(out)


def _wrap(text: str, width: int = 96) -> str:
    """Lab text wrapped to `width` columns (esxistate.text.wrap: at spaces, continuations under their text)."""
    return wrap(text, width)


def _lab(
    seed: int,
    kind: str,
    version: str,
    setup: Iterable[Step],
    then: Iterable[Step] = (),
    *,
    symptom: str,
    subject: str = "",
    probe: str = "",
    start: int = 0,
    choices: Iterable[Iterable[Step]] = (),
) -> Exercise:
    ex = Exercise(
        seed,
        kind,
        "",
        tuple(setup),
        version=version,
        subject=subject,
        probe=probe,
        start_minute=start,
        choices=tuple(tuple(c) for c in choices),
        then=tuple(then),
        symptom=symptom,
    )
    return _with_text(ex)


def _lab_ask(ex: Exercise) -> str:
    then = ex.then[0].command() if ex.then else ""
    if ex.kind == "bootbank-tmp":
        return (
            f'If the power failed now, would the line "{ex.probe}" still be in {ex.subject} once the host is back? '
            "Answer yes or no."
        )
    if ex.kind in ("bootbank-lost", "reboot-f"):
        how = "The power fails" if then.startswith("(") else f"The host is restarted with `{then}`"
        return f'{how}. Once the host is back, is the line "{ex.probe}" still in {ex.subject}? Answer yes or no.'
    if ex.kind == "shift-r":
        return (
            f"Does the host come back running ESXi {ex.version}, the version it ran before the upgrade? "
            "Answer yes or no."
        )
    if ex.kind == "ramdisk-full":
        return "Which file fills the ramdisk that refused the write? Answer with its full path."
    if ex.kind == "restore-file":
        return (
            f'Does /bootbank/state.tgz still hold {ex.subject} with the line "{ex.probe}", so that you can copy it '
            "back from there? Answer yes or no."
        )
    if ex.kind == "config-bundle":
        return f"After `{then}`, what is this host's hostname? Answer with the name."
    return f"Which of these makes {ex.subject} install? Answer with a letter."


def _lab_text(ex: Exercise) -> Exercise:
    start = DEFAULT_CLOCK + timedelta(minutes=ex.start_minute)
    head = _wrap(f"Lab {ex.seed} ({ex.kind}). {ex.symptom}")
    story = f"What was done on this ESXi {ex.version} host, booted from BOOTBANK1 at {start:%H:%M}:\n" + _wrap(
        _render(ex.setup, start)
    )
    live = "The host is live in that state: .host() on this lab gives it; look around with its shell or %%esxi."
    ask = _wrap(_lab_ask(ex))
    options = tuple(_short(c) for c in ex.choices)
    if options:
        ask += "\n" + "\n".join(_wrap(f"  {LETTERS[i]}) {text}") for i, text in enumerate(options))
    return _replace_text(ex, f"{head}\n\n{story}\n\n{live}\n{ask}", options)


def _with_text(ex: Exercise) -> Exercise:
    """The exercise with its question written out: the set-up as shell lines, then what is asked."""
    if ex.kind in LAB_KINDS:
        return _lab_text(ex)
    start = DEFAULT_CLOCK + timedelta(minutes=ex.start_minute)
    saved = ", ".join(_installed_state(ex.version))
    head = (
        f"Exercise {ex.seed} ({ex.kind}). An ESXi {ex.version} host has just booted from BOOTBANK1 (BOOTBANK2 is "
        f"empty); it is {start:%H:%M}. Its state.tgz holds what the installer saved: {saved}."
    )
    setup = _render(ex.setup, start)
    options: tuple[str, ...] = ()
    if ex.kind == "layer":
        ask = (
            f"Which layer serves {ex.subject} now? Answer with a tardisk module name (such as s.v00), a ramdisk name "
            "(such as etc), or none."
        )
    elif ex.kind in ("survives", "bootdevice"):
        ask = f'Afterwards, is the line "{ex.probe}" still in {ex.subject}? Answer yes or no.'
    elif ex.kind == "state":
        ask = (
            "Which /etc files does local.tgz inside /bootbank/state.tgz hold now? Answer with their names as tar "
            "lists them (etc/hosts, ...)."
        )
    elif ex.kind == "bank":
        ask = (
            "Which boot bank is the host running from now, and which ESXi version? (BOOTBANK1/BOOTBANK2, 6.7/7.0/7.0U3)"
        )
    elif ex.kind == "fits":
        sizes = ", ".join(
            f"{spec.name} {spec.max_kib // 1024}M on {spec.mount}"
            for spec in image.ramdisk_specs(ex.version)
            if spec.max_kib <= 65536
        )
        ask = (
            f"The smaller ramdisks of this host are: {sizes}. Does the last command fit, or does it fail with "
            "'No space left on device'? Answer yes (it fits) or no."
        )
    else:
        options = tuple(_short(c) for c in ex.choices)
        listed = "\n".join(f"  {LETTERS[i]}) {text}" for i, text in enumerate(options))
        ask = (
            "One of these sequences was run on it; afterwards the host shows this:\n"
            f"{_transcript(_probes_of(ex.choices), ex.shown)}\n"
            f"Which sequence was it?\n{listed}"
        )
        return _replace_text(ex, f"{head}\n\n{ask}", options)
    body = f"{head}\n\n{setup}\n\n{ask}" if setup else f"{head}\nNothing else happens.\n\n{ask}"
    return _replace_text(ex, body, options)


def _replace_text(ex: Exercise, question: str, options: tuple[str, ...]) -> Exercise:
    return replace(ex, question=question, options=options)
