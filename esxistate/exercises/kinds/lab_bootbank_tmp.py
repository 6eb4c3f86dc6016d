"""Lab "bootbank-tmp": /bootbank points into /tmp (F47, KB 301134)."""

from __future__ import annotations

import random

from ..catalogue import _EDITS, _INSTALLED, _STICKY, VERSIONS
from ..exercise import Exercise, _Worked
from ..questions import _lab
from ..steps import Step, _edit


def _gen_bootbank_tmp(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED[:1] + _STICKY)
    steps = [Step.slow_reboot(), _edit(path), Step.backup()]
    variant = rng.choice(("as-is", "as-is", "restored", "restored-saved"))
    if variant == "restored":
        steps.append(Step.restore_bootbanks())
    elif variant == "restored-saved":
        steps += [Step.restore_bootbanks(), Step.backup()]
    elif rng.random() < 0.5:
        steps.append(Step.wait(70))
    symptom = (
        "Every configuration change made on this host is gone after a reboot, although auto-backup.sh says "
        "'Saving current state in /bootbank' each time."
    )
    start = rng.choice((0, 10, 30))
    return _lab(
        seed,
        "bootbank-tmp",
        version,
        steps,
        (Step.power_loss(),),
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=start,
    )


def _hint_bootbank_tmp(ex: Exercise, worked: _Worked, given: object) -> str:
    ops = [s.op for s in ex.setup]
    if worked.answer == "yes":
        return (
            "after localcli's restore --bootbanks the links lead to the boot device again, and the backup after it "
            f"saved the change into {worked.note('booted')}'s state.tgz (F47, F14)."
        )
    if "restore_bootbanks" in ops:
        return (
            "localcli re-pointed /bootbank to the boot device, but no backup has run since, so the boot device's "
            "state.tgz still lacks the change: run /sbin/auto-backup.sh after the fix (F47, F14, F23)."
        )
    return (
        "/bootbank points to /tmp: every backup since that boot wrote state.tgz into memory, and the boot "
        "device's state.tgz never got the change (F47, KB 301134)."
    )
