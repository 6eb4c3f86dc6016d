"""Lab "restore-file": restore one /etc file from state.tgz (KB 342062, F38)."""

from __future__ import annotations

import random

from ...statearchive import StateArchive
from ..catalogue import _EDITS, _STICKY, VERSIONS
from ..exercise import Exercise, _Worked
from ..narration import _narrate
from ..play import _play
from ..questions import _lab
from ..steps import Step, _edit

_BROKEN = {
    "/etc/hosts": "127.0.0.1 localhost",
    "/etc/ntp.conf": "server 0.pool.ntp.org",
    "/etc/resolv.conf": "search lab.local",
}


def _gen_restore_file(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(tuple(_BROKEN))
    other = rng.choice([p for p in _STICKY if p != path and p not in _BROKEN])
    save = rng.choice((Step.backup(), Step.wait(70)))
    steps = [_edit(path), save, Step.write(path, _BROKEN[path]), _edit(other)]
    if rng.random() < 0.4:
        steps.append(Step.wait(rng.choice((20, 70))))
    symptom = (
        f"Someone typed > instead of >> and overwrote {path}. Other changes made since the last backup must "
        "not be lost."
    )
    return _lab(
        seed,
        "restore-file",
        version,
        steps,
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=rng.choice((0, 10, 30)),
    )


def _work_restore_file(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    bank = played.host.bootbank
    assert bank is not None
    saved = StateArchive.from_bytes(bank.read("state.tgz")).read_text(ex.subject.lstrip("/"))
    answer = "yes" if ex.probe in saved.splitlines() else "no"
    if answer == "yes":
        end = (
            f"So state.tgz still holds the good {ex.subject}. KB 342062's steps, for one file: cd /tmp; tar xzf "
            f"/bootbank/state.tgz; tar xzf local.tgz; cp /tmp{ex.subject} {ex.subject}; then /sbin/auto-backup.sh "
            "saves it with the other changes (F38, F14). Rebooting instead would not do: an orderly reboot saves "
            "the broken file first (F13), a power cut loses the other changes (F23)."
        )
    else:
        end = (
            f"So a backup ran after the overwrite and saved the broken {ex.subject}: state.tgz keeps one copy only, "
            "and the good line is gone from it (F14, F16). Another copy exists only where one was made before: a "
            "configBundle, or the altbootbank's state.tgz after an image change (F43, F49)."
        )
    return _Worked(answer, answer, tuple(_narrate(played, (ex.subject,))), end)


def _hint_restore_file(ex: Exercise, worked: _Worked, given: object) -> str:
    if worked.answer == "yes":
        return "the last backup ran before the file was overwritten, and none has run since (F14, F12)."
    return "a backup ran after the overwrite: cron at minute 1 of the hour saves whatever differs (F12, F14)."
