"""Lab "shift-r": Shift+R after an upgrade (F8, F45, KB 1033604)."""

from __future__ import annotations

import random

from ... import image
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _play
from ..questions import _lab
from ..steps import Step


def _gen_shift_r(rng: random.Random, seed: int) -> Exercise:
    version = "6.7" if rng.random() < 0.6 else "7.0"
    target = "7.0" if version == "6.7" else "7.0U3"
    steps = [Step.upgrade(target), Step.reboot()]
    if rng.random() < 0.4:
        steps.append(Step.reboot())
    symptom = (
        f"This host was upgraded from ESXi {version} to {image.VERSIONS[target].release}. A colleague wants the "
        f"old version back: at the next reboot they will press Shift+R at the boot loader and confirm."
    )
    return _lab(seed, "shift-r", version, steps, (Step.rollback(),), symptom=symptom)


def _work_shift_r(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then, last_may_fail=True)
    host, error = played.host, played.trace[-1][2]
    answer = "yes" if host.version == ex.version else "no"
    bank = host.bootbank
    assert bank is not None
    if error is not None:
        end = (
            f"So Shift+R cannot help: the boot loader refuses it, as step {len(played.trace)} says, and the host "
            f"keeps running ESXi {host.version} from {bank.label} (F45, KB 1033604)."
        )
    else:
        end = (
            f"So the host runs ESXi {host.version} again, from {bank.label}: the update kept the previous image on "
            "the other bank, and Shift+R marked the updated bank INVALID for good (F8, F45)."
        )
    notes = (("refused", "yes" if error is not None else "no"),)
    return _Worked(answer, answer, tuple(_narrate(played)), end, notes)


def _hint_shift_r(ex: Exercise, worked: _Worked, given: object) -> str:
    if worked.note("refused") == "yes":
        return (
            "the 6.x -> 7.0 upgrade re-laid the boot device's partitions once 7.0's first boot was confirmed, so "
            "no 6.x image is left to boot; only a reinstall or a copy of the boot device brings 6.7 back (F45, "
            "KB 1033604)."
        )
    return "an update within 7.0 keeps the previous image on the altbootbank, and Shift+R boots it for good (F8, F45)."
