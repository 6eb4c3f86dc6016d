"""Lab "config-bundle": a configuration bundle from another host (F43)."""

from __future__ import annotations

import random

from ..catalogue import VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _play
from ..questions import _lab
from ..steps import Step


def _gen_config_bundle(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    other = rng.choice(("esxi-b", "esxi02", "lab-esx2"))
    other_version = version if rng.random() < 0.75 else ("7.0" if version == "6.7" else "6.7")
    force = rng.random() < 0.6
    symptom = (
        f"A colleague wants this host set up like {other}, and hands you the configuration bundle that "
        f"vim-cmd hostsvc/firmware/backup_config made there."
    )
    return _lab(
        seed,
        "config-bundle",
        version,
        (Step.put_bundle(other, other_version),),
        (Step.restore_config(other, force=force),),
        symptom=symptom,
        subject=other,
    )


def _work_config_bundle(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then, last_may_fail=True)
    host, error = played.host, played.trace[-1][2]
    answer = host.hostname
    if error is not None:
        end = f"So nothing was restored and the host is still {answer}: {error}"
        why = getattr(error, "field", "")
    else:
        end = (
            f"So the host rebooted into {ex.subject}'s configuration and is {answer} now: the bundle's state.tgz "
            f"replaced its own, so esx.conf carries {ex.subject}'s /system/uuid ({host.uuid}) and hostname, "
            "and /etc/hosts and /etc/shadow are its too; kernelopt= and useropts.gz came from the bundle (F43, F38)."
        )
        why = "restored"
    return _Worked(answer, answer, tuple(_narrate(played)), end, (("why", why),))


def _hint_config_bundle(ex: Exercise, worked: _Worked, given: object) -> str:
    why = worked.note("why")
    if why == "UUID":
        return (
            "the bundle's Manifest.txt names another host's UUID, and without the force flag restore_config "
            "refuses it (F43)."
        )
    if why == "release level":
        return "a bundle restores only onto the release it was made on, even when forced (F43)."
    return "forced, the restore writes the other host's state.tgz and reboots: /etc comes from it now (F43, F38)."
