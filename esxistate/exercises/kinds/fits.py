"""Kind "fits": does the last write fit on its ramdisk (F28, F29)?"""

from __future__ import annotations

import random

from ...layers import owner_of
from ..catalogue import MIB, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _play
from ..questions import _with_text
from ..steps import Step

# ramdisk -> (a path on it, another path on it); both parents exist on a fresh host
_FILL_PATHS = {
    "etc": ("/etc/lab-a.bin", "/etc/lab-b.bin"),
    "iofilters": ("/var/run/iofilters/cache-a.bin", "/var/run/iofilters/cache-b.bin"),
    "opt": ("/opt/lab-a.tar", "/opt/lab-b.tar"),
    "root": ("/usr/lib/vmware/lab-a.bin", "/usr/lib/vmware/lab-b.bin"),
    "configstore": ("/etc/vmware/configstore/lab-a.db", "/etc/vmware/configstore/lab-b.db"),
    "var": ("/var/run/lab-a.bin", "/var/run/lab-b.bin"),
}


_MAX_FILL = 33  # MiB: with the 16 MiB written first, a fits exercise never holds more than ~50 MiB


_NEIGHBOURS = {"etc": "configstore", "configstore": "etc", "iofilters": "var", "opt": "root", "root": "opt"}


def _work_fits(ex: Exercise) -> _Worked:
    last = ex.setup[-1]
    played = _play(ex.version, ex.start_minute, ex.setup, last_may_fail=True)
    failed = played.trace[-1][2] is not None
    before = played.trace[-2][1][-1].snapshot if len(played.trace) > 1 else played.boot[-1].snapshot
    disk = before.ramdisk(owner_of(last.args[0], before.ramdisks))
    old = disk.files.get(last.args[0])
    need = last.args[1] * MIB - (old.size if old is not None else 0)
    answer = "no" if failed else "yes"
    mount = (
        f"{disk.mount} is the longest mount point above it" if disk.mount != "/" else "no other mount point holds it"
    )
    over = (
        f"replaces the {old.size // MIB} MiB file already there, so it needs {need} more bytes"
        if old
        else (f"needs {need} bytes")
    )
    end = (
        f"So: {last.args[0]} is on the {disk.name} ramdisk ({mount}), whose maximum is {disk.capacity // MIB} MiB "
        f"= {disk.capacity} bytes (F29). Before the last command {disk.used} bytes were used, so {disk.free} were "
        f"free; the write {over}: {'it does not fit, and nothing is written (F28)' if failed else 'it fits'}."
    )
    notes = (("ramdisk", disk.name), ("mount", disk.mount))
    earlier = tuple(s.args[0] for s in ex.setup[:-1] if s.op == "fill")
    return _Worked(answer, answer, tuple(_narrate(played, earlier)), end, notes)


def _hint_fits(ex: Exercise, worked: _Worked, given: object) -> str:
    disk = worked.note("ramdisk")
    return (
        f"a write is charged to the ramdisk that holds its path, here {disk} (mounted on {worked.note('mount')}), "
        "and fits only if that ramdisk's free space covers it; files written earlier on it count, deleted files and "
        "a reboot give the space back (F27, F28, F29)."
    )


def _gen_fits(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    names = ["etc", "iofilters", "opt", "root"] + (["configstore"] if version == "7.0" else [])
    target = rng.choice(names)
    variant = rng.choice(("same", "same", "freed", "other", "overwrite", "fresh"))
    a_path, b_path = _FILL_PATHS[target]
    first = rng.choice((8, 12, 16))
    steps: list[Step] = []
    if variant in ("same", "freed", "overwrite"):
        steps.append(Step.fill(a_path, first))
        if variant == "freed":
            steps.append(rng.choice((Step.delete(a_path), Step.reboot(), Step.power_loss())))
        if variant == "overwrite":
            b_path = a_path
    elif variant == "other":
        other = _NEIGHBOURS[target] if _NEIGHBOURS[target] in names or _NEIGHBOURS[target] == "var" else "opt"
        steps.append(Step.fill(_FILL_PATHS[other][0], first))
    played = _play(version, 0, steps)
    disk = next(r for r in played.host.ramdisks if r.name == target)
    old = disk.files.get(b_path)
    room = disk.free + (old.size if old is not None else 0)  # what a new file of that name may take
    fits_max = (room - MIB) // MIB  # at least 1 MiB to spare
    over_min = -(-(room + MIB) // MIB)  # at least 1 MiB too much
    want_yes = rng.random() < 0.5
    if fits_max < 1:
        want_yes = False
    if over_min > _MAX_FILL:
        want_yes = True
    size = (
        rng.randint(max(1, fits_max - 6), fits_max) if want_yes else rng.randint(over_min, min(_MAX_FILL, over_min + 3))
    )
    steps.append(Step.fill(b_path, size))
    return _with_text(Exercise(seed, "fits", "", tuple(steps), version=version, subject=b_path))
