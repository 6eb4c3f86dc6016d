"""Kind "bank": which boot bank boots, and which ESXi version (F5, F7, F8)?"""

from __future__ import annotations

import random

from ... import image
from ..answers import _parse_bank
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _play
from ..questions import _with_text
from ..steps import Step


def _work_bank(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    host = played.host
    bank = host.bootbank
    assert bank is not None
    shown = f"{bank.label}, ESXi {host.version} (build {bank.build})"
    answer = shown
    banks = "; ".join(repr(b) for b in host.banks)
    end = f"So the host runs from {bank.label}: ESXi {host.version}, build {bank.build}. The banks now: {banks}."
    return _Worked(answer, shown, tuple(_narrate(played)), end)


def _hint_bank(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, tuple)
    label, version = given
    true_label, true_version = _parse_bank(ex, worked.answer)
    parts = []
    if label is not None and label != true_label:
        parts.append(
            f"{label} is not the bank that boots: every image change is written to the other bank with a higher "
            "updated=, the boot loader boots the bootable bank with the highest updated= (F7, F33), and Shift+R "
            "marks that bank INVALID for good and boots the other one, which holds only the previous image: each "
            "image change overwrites it (F8, F45)"
        )
    if version is not None and version != true_version:
        parts.append(f"ESXi {version} is not what runs: the version is the build of the bank that boots (F4, F7)")
    return "; ".join(parts) + "."


def _gen_bank(rng: random.Random, seed: int) -> Exercise:
    # 7.0 updates to 7.0U3, and Shift+R can undo that; 6.7 upgrades to 7.0, which Shift+R can never undo (F45), so
    # after that upgrade no rollback step is drawn
    version = "7.0" if rng.random() < 0.6 else "6.7"
    target = "7.0U3" if version == "7.0" else "7.0"
    boots = [Step.reboot(), Step.reboot(), Step.power_loss(), Step.rollback()]
    steps: list[Step] = []
    upgraded, vib = False, False
    for _ in range(rng.randint(2, 4)):
        if not steps or (steps[-1].op in ("reboot", "power_loss", "rollback") and rng.random() < 0.4):
            pick = rng.choice(["vib", "upgrade", "upgrade"])
            if pick == "upgrade" and not upgraded:
                steps.append(Step.upgrade(target))
                upgraded = True
                continue
            if not vib:
                steps.append(Step.install_vib(rng.choice(("lab-drv", "lab-tool")), live=False))
                vib = True
                continue
        major_upgrade = upgraded and image.major(target) > image.major(version)
        steps.append(rng.choice(boots[:3] if major_upgrade else boots))
    if steps[-1].op not in ("reboot", "power_loss", "rollback"):
        major_upgrade = upgraded and image.major(target) > image.major(version)
        steps.append(rng.choice(boots[:3] if major_upgrade else boots))
    return _with_text(Exercise(seed, "bank", "", tuple(steps), version=version))
