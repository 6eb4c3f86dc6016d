"""Lab "bootbank-lost": the boot device vanished (F47, KB 318611)."""

from __future__ import annotations

import random

from ... import bootdevice
from ..catalogue import _EDITS, _INSTALLED, _STICKY, VERSIONS
from ..exercise import Exercise
from ..questions import _lab
from ..steps import Step, _edit


def _gen_bootbank_lost(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED[:1] + _STICKY)
    variant = rng.choice(("saved", "unsaved", "after"))
    if variant == "saved":
        steps = [_edit(path), Step.backup(), Step.lose_boot_device(), Step.backup()]
    elif variant == "unsaved":
        steps = [_edit(path), Step.lose_boot_device(), Step.backup()]
    else:
        steps = [Step.lose_boot_device(), _edit(path), Step.wait(70)]
    symptom = f'vmkwarning logs "ALERT: {bootdevice.ALERT}", and auto-backup.sh prints the same line.'
    return _lab(
        seed,
        "bootbank-lost",
        version,
        steps,
        (rng.choice((Step.reboot(), Step.power_loss())),),
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=rng.choice((0, 10, 30)),
    )
