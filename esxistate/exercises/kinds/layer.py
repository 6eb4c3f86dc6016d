"""Kind "layer": which layer serves a path after the steps (F27, F39)?"""

from __future__ import annotations

import random

from ... import image
from ..catalogue import _CRONTAB, _INSTALLED, _NEW, _PLAIN, _STICKY, _TPM_TOOL, _VIBS, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _play
from ..questions import _with_text
from ..steps import Step, _edit


def _work_layer(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    res = played.host.fs.resolve(ex.subject)
    answer = res.layer or "none"
    if res.layer is None and res.deleted:
        end = (
            f"So nothing serves {ex.subject}: the ramdisk holds a whiteout of the deleted file, which hides the copy "
            f"in {', '.join(res.shadowed)} until the next boot."
        )
    elif res.layer is None:
        end = f"So no layer holds {ex.subject}: no mounted tardisk ships it and no ramdisk has a copy."
    elif res.kind == "ramdisk":
        hidden = f", which hides the copy in {', '.join(res.shadowed)} (F27, F39)" if res.shadowed else " (F27)"
        end = f"So {ex.subject} is served by the {res.layer} ramdisk{hidden}."
    else:
        hidden = f"; it hides the copy in {', '.join(res.shadowed)}" if res.shadowed else ""
        end = (
            f"So no ramdisk holds a copy of {ex.subject}, and the last-mounted tardisk that ships it, {res.layer}, "
            f"serves it (F39){hidden}."
        )
    notes = (("shadowed", ", ".join(res.shadowed)), ("kind", res.kind or ""))
    return _Worked(answer, answer, tuple(_narrate(played, (ex.subject,))), end, notes)


def _hint_layer(ex: Exercise, worked: _Worked, given: object) -> str:
    shadowed = (worked.note("shadowed") or "").split(", ")
    if given in shadowed:
        return f"{given} still holds {ex.subject}, but a layer above it hides that copy (F27, F39)."
    if given == "none":
        return f"{ex.subject} is there: {worked.answer} serves it."
    if worked.answer == "none":
        return f"nothing serves {ex.subject} any more."
    names = {spec.name for spec in image.ramdisk_specs(ex.version)}
    if given in names and worked.note("kind") == "tardisk":
        return "no ramdisk holds a copy: what was on the ramdisks is gone, and tardisks serve the rest (F27, F39)."
    return f"{worked.answer} is the topmost layer holding it (F39)."


def _gen_layer(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    role = rng.choice(("installed", "sticky", "plain", "crontab", "new", "overlay", "vib", "tpm"))
    steps: list[Step] = []
    if role == "tpm":
        version = "6.7"
        path = _TPM_TOOL
        steps = [Step.upgrade("7.0"), rng.choice([Step.reboot(), Step.power_loss()])]  # no Shift+R to 6.x (F45)
        steps = steps[: rng.randint(1, 2)]
    elif role in ("overlay", "vib"):
        name = "lab-motd" if role == "overlay" else rng.choice(("lab-tool", "lab-drv"))
        path = _VIBS[name][1][0][0]
        live = name != "lab-drv" and rng.random() < 0.6
        steps = [Step.install_vib(name, live=live)]
        after = [Step.reboot(), Step.power_loss(), Step.rollback()]
        if role == "overlay":
            after.append(_edit(path))
        steps += rng.sample(after, rng.randint(0, 2))
    else:
        pool = {
            "installed": _INSTALLED,
            "sticky": _STICKY,
            "plain": _PLAIN,
            "crontab": (_CRONTAB,),
            "new": _NEW,
        }[role]
        path = rng.choice(pool)
        shipped = role != "new"
        steps = _random_file_steps(rng, path, shipped, rng.randint(1 if role != "installed" else 0, 3))
    start = rng.choice((0, 10, 30))
    question = ""
    return _with_text(
        Exercise(seed, "layer", question, tuple(steps), version=version, subject=path, start_minute=start)
    )


def _random_file_steps(rng: random.Random, path: str, shipped: bool, count: int) -> list[Step]:
    """Edits, deletions, backups and power events on one file; a deletion only while the file exists."""
    steps: list[Step] = []
    exists = shipped
    if not shipped:
        steps.append(_edit(path))
        exists = True
    while len(steps) < count:
        menu = ["edit", "edit", "backup", "wait", "reboot", "power_loss"] + (["delete"] if exists else [])
        pick = rng.choice(menu)
        if pick == "edit":
            steps.append(_edit(path))
            exists = True
        elif pick == "delete":
            steps.append(Step.delete(path))
            exists = False
        elif pick == "backup":
            steps.append(Step.backup())
        elif pick == "wait":
            steps.append(Step.wait(rng.choice((20, 45, 70))))
        else:
            steps.append(Step.reboot() if pick == "reboot" else Step.power_loss())
            exists = shipped
    return steps
