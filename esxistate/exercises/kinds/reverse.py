"""Kind "reverse" (OSTEP's `-r`): the outcome is shown; which sequence of steps produced it?"""

from __future__ import annotations

import random
from functools import lru_cache

from ..catalogue import _CRONTAB, _INSTALLED, _PLAIN, _SETTINGS, _STICKY, LETTERS, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _line_there, _play, _state_names
from ..questions import _probes_of, _with_text
from ..steps import Step, _edit


@lru_cache(maxsize=512)
def _observe(version: str, start_minute: int, steps: tuple[Step, ...], probes: tuple[tuple[str, str], ...]) -> tuple:
    """What a student sees afterwards: grep of each edited line, and the member list of local.tgz."""
    return _observe_and_tell(version, start_minute, steps, probes)[0]


@lru_cache(maxsize=512)
def _observe_and_tell(
    version: str, start_minute: int, steps: tuple[Step, ...], probes: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The outcome of a sequence (see `_observe`) and the story of how it came about (`_narrate`)."""
    played = _play(version, start_minute, steps)
    host = played.host
    lines = [f"{path}: {line}" if _line_there(host, path, line) else f"{path}: -" for path, line in probes]
    outcome = (*lines, "state.tgz: " + ", ".join(_state_names(host)))
    return outcome, tuple(_narrate(played, tuple(p for p, _ in probes)))


def _describe(outcome: tuple[str, ...]) -> str:
    """An outcome in words: which lines are still there, and what state.tgz holds."""
    said = []
    for item in outcome[:-1]:
        path, line = item.split(": ", 1)
        said.append(f"the line in {path} {'gone' if line == '-' else 'still there'}")
    said.append("local.tgz holding " + (outcome[-1].split(": ", 1)[1] or "nothing"))
    return ", ".join(said)


def _work_reverse(ex: Exercise) -> _Worked:
    probes = _probes_of(ex.choices)
    told = [_observe_and_tell(ex.version, ex.start_minute, c, probes) for c in ex.choices]
    matching = [LETTERS[i] for i, (outcome, _story) in enumerate(told) if outcome == ex.shown]
    if len(matching) != 1:
        raise RuntimeError(f"exercise {ex.seed}: {len(matching)} options give the outcome shown, not exactly one")
    answer = matching[0]
    index = LETTERS.index(answer)
    notes = []
    for i, (outcome, story) in enumerate(told):
        notes.append((LETTERS[i], _describe(outcome)))
        notes.append((LETTERS[i] + "-story", "\n".join(story[1:])))
    end = f"So option {answer} ({ex.options[index]}) is the one that leaves exactly this: {_describe(ex.shown)}."
    heading = f"What option {answer} does, step by step:"
    return _Worked(answer, answer, told[index][1], end, tuple(notes), heading)


def _hint_reverse(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, str)
    return (
        f"option {given} would leave {worked.note(given)}.\n"
        f"What option {given} does, step by step:\n{worked.note(given + '-story')}"
    )


def _gen_reverse(rng: random.Random, seed: int) -> Exercise:
    for _attempt in range(20):
        version = rng.choice(VERSIONS)
        start = rng.choice((0, 10, 30, 50))
        sticky = rng.choice(_INSTALLED[:1] + _STICKY)
        other = rng.choice((*_PLAIN, _CRONTAB)) if rng.random() < 0.5 else None
        truth = _random_story(rng, sticky, other)
        probes = _probes_of([truth])
        shown = _observe(version, start, truth, probes)
        distractors: list[tuple[Step, ...]] = []
        seen = {shown}
        wanted = rng.choice((2, 3))
        for _try in range(10):
            if len(distractors) == wanted:
                break
            candidate = _mutate(rng, truth, sticky, other)
            if candidate == truth or candidate in distractors or _probes_of([candidate]) != probes:
                continue
            outcome = _observe(version, start, candidate, probes)
            if outcome != shown:
                distractors.append(candidate)
                seen.add(outcome)
        if len(distractors) < 2:
            continue
        choices = [truth, *distractors]
        rng.shuffle(choices)
        ex = Exercise(seed, "reverse", "", (), version=version, start_minute=start, choices=tuple(choices), shown=shown)
        return _with_text(ex)
    raise RuntimeError(f"no reverse exercise for seed {seed}")  # pragma: no cover - never seen in practice


_TRIGGERS = ("backup", "wait_short", "wait_long", "configure", "none")


def _trigger(rng: random.Random, pick: str) -> list[Step]:
    if pick == "backup":
        return [Step.backup()]
    if pick == "wait_short":
        return [Step.wait(5)]
    if pick == "wait_long":
        return [Step.wait(70)]
    if pick == "configure":
        return [Step.configure("hostname", _SETTINGS["hostname"])]
    return []


def _random_story(rng: random.Random, sticky: str, other: str | None) -> tuple[Step, ...]:
    steps = [_edit(sticky), *_trigger(rng, rng.choice(_TRIGGERS))]
    if other is not None:
        steps.insert(rng.randint(0, len(steps)), _edit(other))
    if rng.random() < 0.5:
        steps.append(rng.choice((Step.reboot(), Step.power_loss())))
        steps += _trigger(rng, rng.choice(("backup", "none", "none")))
    steps.append(rng.choice((Step.reboot(), Step.power_loss())))
    return tuple(steps)


def _mutate(rng: random.Random, steps: tuple[Step, ...], sticky: str, other: str | None) -> tuple[Step, ...]:
    """A nearby sequence: a trigger swapped, a boot turned into a power failure (or back), or two steps swapped."""
    out = list(steps)
    for _ in range(rng.randint(1, 2)):
        how = rng.choice(("boot", "trigger", "swap"))
        if how == "boot":
            i = rng.choice([k for k, s in enumerate(out) if s.op in ("reboot", "power_loss")])
            out[i] = Step.power_loss() if out[i].op == "reboot" else Step.reboot()
        elif how == "trigger":
            spots = [k for k, s in enumerate(out) if s.op in ("backup", "wait", "configure")]
            new = _trigger(rng, rng.choice(_TRIGGERS))
            if spots:
                i = rng.choice(spots)
                out[i : i + 1] = new
            elif new:
                out.insert(rng.randint(1, len(out) - 1), new[0])
        elif len(out) > 2:
            i = rng.randrange(len(out) - 2)  # never move the final boot
            out[i], out[i + 1] = out[i + 1], out[i]
    return tuple(out)
