"""Lab "vib-conflict": two VIBs claim one file (F30)."""

from __future__ import annotations

import random

from ...errors import VibConflict
from ..catalogue import _VIBS, LETTERS, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _play
from ..questions import _lab
from ..steps import Step, _lab_vib, _vib_file

_CONFLICTS = (("lab-agent", "lab-monitor"), ("lab-drv", "oem-drv"))


def _gen_vib_conflict(rng: random.Random, seed: int) -> Exercise:
    installed, new = rng.choice(_CONFLICTS)
    if rng.random() < 0.5:
        installed, new = new, installed
    version = rng.choice(VERSIONS)
    setup = [Step.put_vib(installed), Step.install_file(installed), Step.put_vib(new)]
    choices = [
        (Step.install_file(new, live=False),),
        (Step.reboot(), Step.put_vib(new), Step.install_file(new)),  # /tmp is a ramdisk: copy the file again
        (Step.remove_vib(installed), Step.install_file(new)),
    ]
    rng.shuffle(choices)
    paths = sorted(set(dict(_VIBS[installed][1])) & set(dict(_VIBS[new][1])))
    words = str(VibConflict(_lab_vib(new).id, _lab_vib(installed).id, paths))
    symptom = (
        f"`esxcli software vib install -v {_vib_file(new)}` fails:\n [FileConflictError]\n {words}\n"
        " Please refer to the log file for more details."
    )
    return _lab(seed, "vib-conflict", version, setup, symptom=symptom, subject=new, choices=choices)


def _work_vib_conflict(ex: Exercise) -> _Worked:
    runs = [_play(ex.version, ex.start_minute, ex.setup + c, last_may_fail=True) for c in ex.choices]
    ok = [LETTERS[i] for i, p in enumerate(runs) if p.trace[-1][2] is None]
    if len(ok) != 1:
        raise RuntimeError(f"lab {ex.seed}: {len(ok)} options install the VIB, not exactly one")
    answer = ok[0]
    notes = tuple(
        (LETTERS[i], f"refused again: {p.trace[-1][2]}" if p.trace[-1][2] else "it installs")
        for i, p in enumerate(runs)
    )
    installed = ex.setup[1].args[0]
    end = (
        f"So option {answer}: esximage lets no two non-overlay VIBs ship one path (F30), live or staged, before "
        f"or after a reboot; {installed} keeps the file until it is removed (or one of the two is rebuilt as an "
        "overlay VIB, which may replace another VIB's files)."
    )
    return _Worked(answer, answer, tuple(_narrate(runs[LETTERS.index(answer)])), end, notes)


def _hint_vib_conflict(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, str)
    return f"option {given}: {worked.note(given)}."
