"""Exercise and Feedback: the question, `solve()`, `check(answer)` and the step that decides the answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ..errors import EsxiStateError
from ..host import Host
from ..text import wrap
from .catalogue import KINDS, LAB_KINDS
from .play import _play
from .steps import Step


@dataclass(frozen=True, slots=True)
class Feedback:
    """What `Exercise.check` says: right or not, and why, in terms of the facts (F-numbers of ESXI-FACTS.md)."""

    correct: bool
    explanation: str
    marked: bool = True  # False when the answer could not be read: nothing was marked, right or wrong
    summary: str = field(default="", repr=False)  # the verdict on one line, printed first when the text is long
    detail: str = field(default="", repr=False)  # what follows that line: the explanation without its verdict

    def __str__(self) -> str:
        if not self.marked:
            return wrap(self.explanation)
        text = wrap(("Correct. " if self.correct else "Not quite. ") + self.explanation)
        if self.summary and text.count("\n") + 1 > SUMMARY_AFTER:
            return f"{self.summary}\n{wrap(self.detail)}"
        return text


SUMMARY_AFTER = 15  # printed feedback longer than this many lines opens with its verdict on a line of its own
_LINE = 96  # a verdict never wraps, and fits the 96 columns lab text keeps to


def _verdict(correct: bool, given: str, shown: str, right: object = None, answer: object = None) -> tuple[str, bool]:
    """The verdict on one line of at most 96 columns, and whether it says both what was answered and what the
    answer is (then the text after it need not say so again). A set of names (the state kind) too long for that is
    told as the names missing and wrong, or as counts."""
    if correct:
        line = f"Correct. The answer is {shown}."
        return (line, True) if len(line) <= _LINE else ("Correct.", False)
    line = f"Not quite. You answered {given}; the answer is {shown}."
    if len(line) <= _LINE:
        return line, True
    if isinstance(right, frozenset) and isinstance(answer, frozenset):
        missing, extra = sorted(answer - right), sorted(right - answer)
        good = len(right & answer)
        line = (
            f"Not quite. {good} right; missing {', '.join(missing) or 'none'}; not in it: {', '.join(extra) or 'none'}."
        )
        if len(line) <= _LINE:
            return line, False
        return (
            f"Not quite. {good} of your names are right, {len(missing)} missing, {len(extra)} should not be there.",
            False,
        )
    return "Not quite.", False


class _Unreadable(ValueError):
    """An answer that is not in a form the exercise understands; the message says what is expected."""


@dataclass(frozen=True)
class _Worked:
    """A worked solution: the answer, how a student reads it, and the reasoning."""

    answer: object
    shown: str
    steps: tuple[str, ...]
    conclusion: str
    notes: tuple[tuple[str, str], ...] = ()  # kind-specific: (key, sentence) pairs for wrong-answer hints
    heading: str = "Why, step by step:"

    def note(self, key: str) -> str | None:
        return dict(self.notes).get(key)

    def why(self) -> str:
        parts = [self.heading, *self.steps] if self.steps else []
        return "\n".join([*parts, self.conclusion])


@dataclass(frozen=True, slots=True)
class Exercise:
    """One question: its seed and kind, the text a student reads, the set-up steps, and the choices (if any).

    `solve()` replays the set-up on a fresh `Host.demo(version)` and reads the answer off the engine; `check(answer)`
    returns a `Feedback`. `subject` is the path asked about, `probe` the line looked for (survives); a reverse
    exercise keeps its candidate sequences in `choices` and the outcome it shows in `shown`.
    """

    seed: int
    kind: str
    question: str
    setup: tuple[Step, ...]
    options: tuple[str, ...] = ()
    version: str = "7.0"
    subject: str = ""
    probe: str = ""
    start_minute: int = 0
    choices: tuple[tuple[Step, ...], ...] = field(default=(), repr=False)
    shown: tuple[str, ...] = field(default=(), repr=False)
    then: tuple[Step, ...] = ()  # a lab's "what if": played by solve() after the set-up, never on `host()`
    symptom: str = ""  # what a lab's administrator sees

    @classmethod
    def from_steps(
        cls,
        kind: str,
        setup: Iterable[Step] = (),
        *,
        version: str = "7.0",
        subject: str = "",
        probe: str = "",
        start_minute: int = 0,
        choices: Iterable[Iterable[Step]] = (),
        truth: int = 0,
        seed: int = -1,
        then: Iterable[Step] = (),
        symptom: str = "",
    ) -> Exercise:
        """An exercise of `kind` built from your own steps (the question text is written for you). For "fits", the
        last step is the write asked about; for "reverse", give `choices` and the index of the true one. A lab
        (LAB_KINDS) takes the `symptom` its administrator sees and, for the kinds that ask "what if", the `then`
        steps asked about."""
        if kind not in KINDS and kind not in LAB_KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS + LAB_KINDS)}")
        steps = tuple(setup)
        picked = tuple(tuple(c) for c in choices)
        shown: tuple[str, ...] = ()
        if kind == "reverse":
            if not 0 <= truth < len(picked):
                raise ValueError("truth must index one of the choices")
            from .kinds.reverse import _observe
            from .questions import _probes_of

            shown = _observe(version, start_minute, picked[truth], _probes_of(picked))
        if kind == "fits" and (not steps or steps[-1].op not in ("fill", "write", "append")):
            raise ValueError("a fits exercise ends with the write it asks about")
        if kind == "vib-conflict" and not picked:
            raise ValueError("a vib-conflict lab needs the choices it asks between")
        if kind == "ramdisk-full" and (not then or tuple(then)[-1].op not in ("fill", "write", "append")):
            raise ValueError("a ramdisk-full lab's then step is the write the full ramdisk refuses")
        draft = cls(seed, kind, "", steps, (), version, subject, probe, start_minute, picked, shown)
        draft = replace(draft, then=tuple(then), symptom=symptom)
        from .questions import _with_text

        return _with_text(draft)

    def host(self) -> Host:
        """A live host in the state the set-up leaves: a fresh `Host.demo(version)`, booted, with every set-up step
        played on it (a lab's `then` steps are not). Investigate it with `host.shell(...)` or, after `es.use(host)`,
        in `%%esxi` cells; change it as you like: `solve()` and `check()` replay the set-up on a host of their own."""
        return _play(self.version, self.start_minute, self.setup).host

    def solve(self) -> object:
        """The answer, computed by running the set-up on the engine (never stored)."""
        return _work(self).answer

    def check(self, answer: object) -> Feedback:
        """Is `answer` right? The explanation says why, step by step, citing the facts."""
        worked = _work(self)
        spec = _spec(self.kind)
        try:
            given = spec.parse(self, answer)
        except _Unreadable as problem:
            return Feedback(False, f"{problem} Your answer could not be read, so nothing was marked: try again.", False)
        why = worked.why()
        decides = _deciding(self)
        if decides is not None:  # that step first, in full; in the list below it points back up
            step = worked.steps[decides]
            number, _, rest = step.partition(": ")
            why = f"The step that decides it: {step}\n" + why.replace(step, f"{number}: {_short_step(rest)}")
        if spec.same(given, worked.answer):
            text = self._fit(f"The answer is {worked.shown}.\n{why}")
            verdict, said = _verdict(True, spec.show(given), worked.shown)
            return Feedback(True, text, summary=verdict, detail=self._fit(why) if said else text)
        hint = spec.hint(self, worked, given)
        head = f"You answered {spec.show(given)}; the answer is {worked.shown}: {hint}"
        text = self._fit(f"{head}\n{why}")
        verdict, said = _verdict(False, spec.show(given), worked.shown, given, worked.answer)
        detail = self._fit(f"{hint[:1].upper()}{hint[1:]}\n{why}") if said else text
        return Feedback(False, text, summary=verdict, detail=detail)

    def _fit(self, text: str) -> str:
        """A lab's explanation wrapped to 96 columns with room for Feedback's "Not quite. " in front (lesson
        outputs stay narrow); other kinds as they were."""
        if self.kind not in LAB_KINDS:
            return text
        first, _, rest = text.partition("\n")
        return wrap(first, 85) + "\n" + wrap(rest, 96)

    def __str__(self) -> str:
        return wrap(self.question)

    def __repr__(self) -> str:
        return f"Exercise(seed={self.seed}, kind={self.kind!r}, version={self.version!r}, steps={len(self.setup)})"


def _spec(kind: str) -> Any:
    """The generator, worker, parser and hint of `kind` (the registry imports every kind, and they import this
    module, hence the import here)."""
    from .registry import _SPECS

    return _SPECS[kind]


@lru_cache(maxsize=256)
def _work(ex: Exercise) -> _Worked:
    return _spec(ex.kind).work(ex)


def _short_step(text: str) -> str:
    """A step already told in full above: its first clause, then a pointer back."""
    first = text.split("; ")[0].split(": ")[0]
    return f"{first} ... (the deciding step, above)"


_REPLAYED = ("layer", "survives", "state", "bank", "bootdevice")  # kinds whose answer comes from their set-up


@lru_cache(maxsize=256)
def _deciding(ex: Exercise) -> int | None:
    """The step that decides the answer: the last one without which the set-up gives another answer (the engine
    replays the set-up once without each step, from the last). Its index in the worked steps ("0." is the first
    boot, so step n is n), or None when no single step does (or for kinds whose answer is not a replay)."""
    if ex.kind not in _REPLAYED:
        return None
    work = _spec(ex.kind).work
    truth = _work(ex).answer
    for i in reversed(range(len(ex.setup))):
        without = replace(ex, setup=ex.setup[:i] + ex.setup[i + 1 :])
        try:
            other = work(without).answer
        except (EsxiStateError, RuntimeError, ValueError):
            continue  # without this step the rest cannot even run: it does not decide on its own
        if other != truth:
            return i + 1
    return None
