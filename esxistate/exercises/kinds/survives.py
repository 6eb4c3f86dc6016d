"""Kind "survives": after the steps, which end with a reboot or a power failure, is the change still there?"""

from __future__ import annotations

import random

from ... import persistence
from ..catalogue import _CRONTAB, _EDITS, _INSTALLED, _PLAIN, _SETTING_FILES, _SETTINGS, _STICKY, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _line_there, _play
from ..questions import _with_text
from ..steps import Step, _edit


def _work_survives(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then)
    host = played.host
    there = _line_there(host, ex.subject, ex.probe)
    answer = "yes" if there else "no"
    if there:
        end = f'So the line "{ex.probe}" is still in {ex.subject}.'
    elif host.fs.exists(ex.subject):
        layer = host.fs.resolve(ex.subject).layer
        end = f'So {ex.subject} no longer has the line "{ex.probe}": what you read now comes from {layer}.'
    else:
        end = f"So {ex.subject} does not even exist any more: the change is gone."
    saved_into: set[str] = set()  # the banks whose state.tgz got the file with the line in it
    for _step, events, _error in played.trace:
        for e in events:
            if e.kind != "backup" or ex.subject not in e.details["result"].files:
                continue
            if ex.probe in e.snapshot.read_text(ex.subject).splitlines():
                result = e.details["result"]
                saved_into.add(result.bank)
                if result.also:
                    saved_into.update(b.label for b in e.snapshot.banks if b.label != result.bank)
    edits = [
        e for _s, evs, _e in played.trace for e in evs if e.kind in ("write", "branch") and e.paths[:1] == (ex.subject,)
    ]
    # why backups would save the file or not: as an edit left it, if one made or kept a .# twin; else as the image
    # ships it now (persistence.reason)
    reasons = [persistence.reason(e.snapshot, ex.subject) for e in edits]
    why = persistence.TWIN if persistence.TWIN in reasons else persistence.image_reason(host.snapshot(), ex.subject)
    bank = host.bootbank
    notes = (
        ("saved_into", ", ".join(sorted(saved_into))),
        ("booted", bank.label if bank else ""),
        ("persistence", why),
    )
    return _Worked(answer, answer, tuple(_narrate(played, (ex.subject,))), end, notes)


def _hint_survives(ex: Exercise, worked: _Worked, given: object) -> str:
    saved_into, booted = worked.note("saved_into"), worked.note("booted")
    if worked.answer == "yes":
        return f"a backup saved the change into {booted}'s state.tgz before the ramdisks went; boot restored it (F38)."
    if saved_into and booted not in saved_into.split(", "):
        return (
            f"a backup did save the change, but into {saved_into}'s state.tgz; the host then booted {booted}, whose "
            "state.tgz is a copy made before the change (F7, F20, F33)."
        )
    if saved_into:
        return "the change was saved once, but a later step removed it and that was saved too (F14, F16)."
    why = worked.note("persistence")
    if why == persistence.OUTSIDE_ETC:
        return (
            f"{ex.subject} is outside /etc, and backup.sh saves nothing outside /etc: it dies with its ramdisk (F16)."
        )
    if why == persistence.CREATED:
        return f"you created {ex.subject}: a new file has no .# twin, so no backup ever saves it (F16, F25)."
    if why != persistence.TWIN:
        return f"{ex.subject} has no sticky bit, so it gets no .# twin and no backup ever saves it (F16, F26)."
    return "no backup saved the change between the edit and the moment the host went down (F14, F23)."


def _gen_survives(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    pool = _INSTALLED + _STICKY * 2 + _PLAIN + (_CRONTAB, "/etc/rc.local.d/local.sh", "/etc/lab.conf", "/opt/notes.txt")
    path = rng.choice(pool)
    others = [p for p in _STICKY + _PLAIN if p != path]
    middle_menu = ["backup", "wait", "configure", "other", "delete", "vib"] + (["upgrade"] if version == "6.7" else [])
    picks = rng.sample(middle_menu, rng.randint(0, 3))
    if "upgrade" in picks and "vib" in picks:  # no live install on top of a staged upgrade: keep set-ups plain
        picks.remove("vib")
    steps = [_edit(path)]
    for pick in picks:
        if pick == "backup":
            steps.append(Step.backup())
        elif pick == "wait":
            steps.append(Step.wait(rng.choice((20, 45, 70))))
        elif pick == "configure":
            setting = rng.choice([s for s, files in _SETTING_FILES.items() if path not in files])
            steps.append(Step.configure(setting, _SETTINGS[setting]))
        elif pick == "other":
            steps.append(_edit(rng.choice(others)))
        elif pick == "delete":
            steps.append(Step.delete(path))
        elif pick == "vib":
            steps.append(Step.install_vib("lab-tool", live=True))
        else:
            steps.append(Step.upgrade("7.0"))
    head, rest = steps[0], steps[1:]
    rng.shuffle(rest)
    if any(s.op == "delete" for s in rest):  # delete right after the edit it undoes, or the file may not exist
        rest = [s for s in rest if s.op != "delete"]
        rest.insert(0, Step.delete(path))
    steps = [head, *rest, rng.choice((Step.reboot(), Step.power_loss()))]
    _, text = _EDITS[path]
    start = rng.choice((0, 10, 30, 50))
    ex = Exercise(seed, "survives", "", tuple(steps), version=version, subject=path, probe=text, start_minute=start)
    return _with_text(ex)
