"""Kind "state": which etc/... files does local.tgz inside /bootbank/state.tgz hold now (F16)?"""

from __future__ import annotations

import random
from collections.abc import Iterable

from ... import persistence
from ...events import Event, HostSnapshot
from ..catalogue import _CRONTAB, _INSTALLED, _PLAIN, _SETTINGS, _STICKY, CONFIGSTORE_MEMBER, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _installed_state, _play, _state_names
from ..questions import _with_text
from ..steps import Step, _edit


def _etc_names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n for n in names if n != CONFIGSTORE_MEMBER)


def _work_state(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    answer = _etc_names(_state_names(played.host))
    touched = [s.path for s in ex.setup if s.path]
    considered = sorted({*(p.lstrip("/") for p in touched), *answer, *_etc_names(_installed_state(ex.version))})
    events = [e for _step, evs, _error in played.trace for e in evs]
    backups = [i for i, e in enumerate(events) if e.kind == "backup"]
    last_i = backups[-1] if backups else -1
    final = played.host.snapshot()
    notes = [(name, _state_reason("/" + name, name in answer, events, last_i, final)) for name in considered]
    listed = ", ".join(sorted(answer))
    lines = [f"- {name}: {'in' if name in answer else 'not in'} state.tgz: {why}" for name, why in notes]
    end = "So local.tgz in /bootbank/state.tgz holds: " + listed + ".\n" + "\n".join(lines)
    if ex.version.startswith("7"):
        end += f"\n(On 7.0 it also holds {CONFIGSTORE_MEMBER}, the ConfigStore database, F35.)"
    return _Worked(answer, listed, tuple(_narrate(played, tuple(touched))), end, tuple(notes))


def _state_reason(path: str, saved: bool, events: list[Event], last_i: int, final: HostSnapshot) -> str:
    """Why `path` is or is not in state.tgz, from the events of the set-up (F14, F16, F23, F25, F26)."""
    edits = [i for i, e in enumerate(events) if e.kind in ("write", "branch") and e.paths[:1] == (path,)]
    if saved:
        if last_i < 0:
            return "the installer saved it, and no backup has rewritten state.tgz since (F14, F23)"
        trigger = events[last_i].details["result"].trigger
        if any(i < last_i for i in edits):
            return f"it was changed, so it had a .# twin, and the last backup ({trigger}) saved it (F16, F25)"
        return "it came back from state.tgz at boot with its .# twin, so every backup saves it again (F38, F25, F16)"
    image = persistence.image_reason(final, path)
    if image == persistence.OUTSIDE_ETC:
        return "it is outside /etc, and backup.sh saves nothing outside /etc (F16)"
    if image == persistence.CREATED:
        return "you created it, and a file you create has no .# twin, so backups skip it (F16, F25)"
    if image == persistence.NOT_STICKY:
        return "it has no sticky bit, so it has no .# twin and backups skip it (F16, F26)"
    if last_i < 0:
        return "no backup has rewritten state.tgz since the install, so no change reached it (F14, F23)"
    if not events[last_i].snapshot.exists(path):
        return "it did not exist when the last backup ran, and backup.sh saves only files that exist (F14, F16)"
    if any(i > last_i for i in edits):
        return "it was changed only after the last backup ran, and nothing has saved it since (F14, F23)"
    if edits:
        return (
            "its change was lost to a power failure before a backup saved it (F23); unchanged, it has no .# twin (F25)"
        )
    return "it was never changed, and only a changed sticky file gets a .# twin (F25)"


def _hint_state(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, frozenset) and isinstance(worked.answer, frozenset)
    said = []
    for name in sorted(given - worked.answer):
        why = worked.note(name) or "no backup put it there; backup.sh saves only /etc files with a .# twin (F16)"
        said.append(f"{name} is not in it: {why}")
    for name in sorted(worked.answer - given):
        said.append(f"{name} is in it: {worked.note(name)}")
    return "; ".join(said) + "."


def _gen_state(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    pool = [*_STICKY, *_PLAIN, _CRONTAB, "/etc/lab.conf", "/opt/notes.txt", *_INSTALLED[:1]]
    edits = [_edit(p) for p in rng.sample(pool, rng.randint(1, 3))]
    if rng.random() < 0.3:
        edits.append(Step.delete("/etc/hosts") if all(s.path != "/etc/hosts" for s in edits) else Step.backup())
    triggers = []
    menu = ("backup", "backup", "wait", "wait", "reboot", "reboot", "power_loss", "configure")
    for pick in rng.sample(menu, rng.randint(1, 2)):
        if pick == "wait":
            triggers.append(Step.wait(rng.choice((20, 70))))
        elif pick == "configure":
            setting = rng.choice(("hostname", "dns-server"))
            triggers.append(Step.configure(setting, _SETTINGS[setting]))
        else:
            triggers.append({"backup": Step.backup(), "reboot": Step.reboot(), "power_loss": Step.power_loss()}[pick])
    steps = list(edits)
    for trigger in triggers:  # each trigger goes after some of the edits, most often after all of them
        steps.insert(len(steps) if rng.random() < 0.5 else rng.randint(1, len(steps)), trigger)
    steps = _drop_orphan_deletes(steps)
    start = rng.choice((0, 10, 30, 50))
    return _with_text(Exercise(seed, "state", "", tuple(steps), version=version, start_minute=start))


def _drop_orphan_deletes(steps: list[Step]) -> list[Step]:
    """Keep a deletion only when its file is certain to exist then (the edit came first and no boot since)."""
    kept, alive = [], set()
    for step in steps:
        if step.op in ("reboot", "power_loss", "rollback"):
            alive = set()
        if step.op == "delete" and step.path not in alive and step.path not in _INSTALLED:
            continue
        if step.op == "delete":
            alive.discard(step.path)
        elif step.path:
            alive.add(step.path)
        kept.append(step)
    return kept
