"""Kind "bootdevice": a slow or lost boot device (F47, KB 301134, KB 318611); does the change survive?"""

from __future__ import annotations

import random

from ... import bootdevice
from ..catalogue import _EDITS, _INSTALLED, _STICKY, VERSIONS
from ..exercise import Exercise, _Worked
from ..questions import _with_text
from ..steps import Step, _edit


def _gen_bootdevice(rng: random.Random, seed: int) -> Exercise:
    """A persisted /etc file is edited around a boot-device fault: a reboot with a slow boot device (then backups,
    perhaps the localcli fix) or a device lost while running (a backup before or only after the loss)."""
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED + _STICKY)
    if rng.random() < 0.5:
        middle = [Step.backup(), rng.choice((Step.backup(), Step.wait(rng.choice((20, 70)))))]
        if rng.random() < 0.5:
            middle.insert(rng.randint(0, len(middle)), Step.restore_bootbanks())
        steps = [Step.slow_reboot(), _edit(path), *middle]
    else:
        before = [Step.backup()] if rng.random() < 0.5 else []
        steps = [_edit(path), *before, Step.lose_boot_device(), rng.choice((Step.backup(), Step.wait(70)))]
    steps.append(rng.choice((Step.reboot(), Step.power_loss())))
    _, text = _EDITS[path]
    start = rng.choice((0, 10, 30, 50))
    ex = Exercise(seed, "bootdevice", "", tuple(steps), version=version, subject=path, probe=text, start_minute=start)
    return _with_text(ex)


def _hint_bootdevice(ex: Exercise, worked: _Worked, given: object) -> str:
    ops = [s.op for s in ex.setup]
    if "lose_device" in ops:
        if worked.answer == "yes":
            return (
                "a backup saved the change before the boot device was lost; the power cycle brings the device back as "
                "it was then, and boot restores that state.tgz (F47, F38)."
            )
        return (
            f"no backup saved the change before the device was lost; after that every backup, the shutdown's too, "
            f"raised ALERT: {bootdevice.ALERT} and saved nothing (F47, F14)."
        )
    if worked.answer == "yes":
        return (
            "after localcli's restore --bootbanks the links lead to the boot bank again, so a later backup saved the "
            f"change into {worked.note('booted')}'s state.tgz (F47, F14)."
        )
    return (
        "/bootbank pointed to /tmp: every backup after the edit wrote state.tgz into memory, so the boot device's "
        "state.tgz never got the change (F47)."
    )
