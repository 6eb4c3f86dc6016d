"""Lab "reboot-f": `reboot -f` versus `reboot` (F13, F23)."""

from __future__ import annotations

import random

from ..catalogue import _EDITS, _INSTALLED, _SETTINGS, _STICKY, VERSIONS
from ..exercise import Exercise, _Worked
from ..questions import _lab
from ..steps import Step, _edit


def _gen_reboot_f(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED[:1] + _STICKY + ("/etc/rc.local.d/local.sh",))
    steps = [_edit(path)]
    middle = rng.choice(("none", "none", "none", "wait", "backup", "configure"))
    if middle == "wait":
        steps.append(Step.wait(rng.choice((5, 20, 45))))
    elif middle == "backup":
        steps.append(Step.backup())
    elif middle == "configure":
        setting = "dns-server" if path != "/etc/resolv.conf" else "root-password"
        steps.append(Step.configure(setting, _SETTINGS[setting]))
    then = rng.choice((Step.reboot_f(), Step.reboot_f(), Step.reboot()))
    symptom = (
        f"You changed {path} and the host must restart now; the runbook on the wall says `reboot -f` "
        "because it is quicker."
    )
    return _lab(
        seed,
        "reboot-f",
        version,
        steps,
        (then,),
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=rng.choice((0, 10, 30, 50)),
    )


def _hint_reboot_f(ex: Exercise, worked: _Worked, given: object) -> str:
    forced = ex.then[0].op == "reboot_f"
    if worked.answer == "yes" and not forced:
        return (
            "`reboot` is orderly: init runs the inittab's shutdown lines, among them /bin/backup.sh 1, which saves "
            "every persisted /etc file without comparing (F13, F22)."
        )
    if worked.answer == "yes":
        return (
            "reboot -f skips the shutdown backup, but a backup had already saved the change into "
            f"{worked.note('saved_into')}'s state.tgz before it (F12, F14, F21)."
        )
    return "reboot -f restarts without init, so /bin/backup.sh 1 never ran, and no backup had saved the change (F23)."
