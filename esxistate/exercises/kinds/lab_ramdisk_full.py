"""Lab "ramdisk-full": which file fills the ramdisk that refused a write (F28, F29)?"""

from __future__ import annotations

import random

from ...errors import RamdiskFull
from ..catalogue import MIB, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _free_after_boot, _play
from ..questions import _lab
from ..steps import Step, _edit

_CAPTURES = {
    "etc": ("/etc/vmware/pktcap-vmk0.pcap", "/etc/ssh/pktcap-vmnic0.pcap", "/etc/pktcap.pcap"),
    "opt": ("/opt/pktcap-vmk0.pcap", "/opt/pktcap-vmnic0.pcap"),
}


def _gen_ramdisk_full(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    target = rng.choice(("etc", "etc", "opt"))
    culprit = rng.choice(_CAPTURES[target])
    decoy = Step.capture("/tmp/pktcap-vmnic1.pcap", rng.choice((4, 6, 8)) * MIB)  # big, but on the roomy tmp ramdisk
    spare = rng.randint(4, 16)  # bytes left: fewer than the failing write needs
    fill = Step.capture(culprit, _free_after_boot(version, target) - spare)
    steps = [decoy, fill] if rng.random() < 0.5 else [fill, decoy]
    failing = _edit("/etc/hosts") if target == "etc" else _edit("/opt/notes.txt")
    symptom = f"`{failing.command()}` fails: 'sh: write error: No space left on device'."
    return _lab(seed, "ramdisk-full", version, steps, (failing,), symptom=symptom, subject=failing.path or "")


def _work_ramdisk_full(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then, last_may_fail=True)
    host, error = played.host, played.trace[-1][2]
    if not isinstance(error, RamdiskFull):
        raise RuntimeError(f"lab {ex.seed}: the last write fitted, so nothing is full")
    disk = next(r for r in host.ramdisks if r.name == error.ramdisk)
    biggest, entry = max(disk.files.items(), key=lambda item: item[1].size)
    end = (
        f"So {ex.subject} lives on the {disk.name} ramdisk (mounted on {disk.mount}: the longest mount point above "
        f"a path decides, F29). Its biggest file is {biggest}, {entry.size:,} bytes of the {disk.capacity:,} the "
        f"ramdisk may hold; {disk.free} bytes are left and the write needed {error.needed}, so it was refused and "
        f"nothing was written (F28). `rm {biggest}` gives the room back at once."
    )
    big = [f"{p}={r.name}" for r in host.ramdisks for p, e in r.files.items() if e.size >= MIB]
    notes = (("ramdisk", disk.name), ("big", ";".join(big)))
    return _Worked(biggest, biggest, tuple(_narrate(played)), end, notes)


def _hint_ramdisk_full(ex: Exercise, worked: _Worked, given: object) -> str:
    big = dict(item.split("=", 1) for item in (worked.note("big") or "").split(";") if item)
    disk = worked.note("ramdisk")
    if isinstance(given, str) and given in big and big[given] != disk:
        return (
            f"{given} is big, but it is on the {big[given]} ramdisk; {ex.subject} is on the {disk} ramdisk, and each "
            "ramdisk has its own maximum (F29). `vdf -h` shows which one is full."
        )
    return f"`vdf -h` shows the {disk} ramdisk full, and `du -h` on its mount point leads to the file (F28, F29)."
