"""The kinds, together: each kind's generator, worker, parser and hint, and `generate(seed, kind)`."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .answers import (
    _parse_bank,
    _parse_hostname,
    _parse_layer,
    _parse_letter,
    _parse_names,
    _parse_path,
    _parse_yes_no,
    _same_bank,
    _show_bank,
    _show_names,
)
from .catalogue import KINDS, LAB_KINDS
from .exercise import Exercise, _work, _Worked
from .kinds.bank import _gen_bank, _hint_bank, _work_bank
from .kinds.boot_device import _gen_bootdevice, _hint_bootdevice
from .kinds.fits import _gen_fits, _hint_fits, _work_fits
from .kinds.lab_bootbank_lost import _gen_bootbank_lost
from .kinds.lab_bootbank_tmp import _gen_bootbank_tmp, _hint_bootbank_tmp
from .kinds.lab_config_bundle import _gen_config_bundle, _hint_config_bundle, _work_config_bundle
from .kinds.lab_ramdisk_full import _gen_ramdisk_full, _hint_ramdisk_full, _work_ramdisk_full
from .kinds.lab_reboot_f import _gen_reboot_f, _hint_reboot_f
from .kinds.lab_restore_file import _gen_restore_file, _hint_restore_file, _work_restore_file
from .kinds.lab_shift_r import _gen_shift_r, _hint_shift_r, _work_shift_r
from .kinds.lab_vib_conflict import _gen_vib_conflict, _hint_vib_conflict, _work_vib_conflict
from .kinds.layer import _gen_layer, _hint_layer, _work_layer
from .kinds.reverse import _gen_reverse, _hint_reverse, _work_reverse
from .kinds.state import _gen_state, _hint_state, _work_state
from .kinds.survives import _gen_survives, _hint_survives, _work_survives


@dataclass(frozen=True)
class _Spec:
    make: Callable[[random.Random, int], Exercise]
    work: Callable[[Exercise], _Worked]
    parse: Callable[[Exercise, object], object]
    hint: Callable[[Exercise, _Worked, object], str]
    same: Callable[[object, object], bool] = lambda given, answer: given == answer
    show: Callable[[object], str] = lambda given: str(given)


_SPECS: Mapping[str, _Spec] = {
    "layer": _Spec(_gen_layer, _work_layer, _parse_layer, _hint_layer),
    "survives": _Spec(_gen_survives, _work_survives, _parse_yes_no, _hint_survives),
    "state": _Spec(_gen_state, _work_state, _parse_names, _hint_state, show=_show_names),
    "bank": _Spec(_gen_bank, _work_bank, _parse_bank, _hint_bank, _same_bank, _show_bank),
    "fits": _Spec(_gen_fits, _work_fits, _parse_yes_no, _hint_fits),
    "reverse": _Spec(_gen_reverse, _work_reverse, _parse_letter, _hint_reverse),
    "bootdevice": _Spec(_gen_bootdevice, _work_survives, _parse_yes_no, _hint_bootdevice),
    "bootbank-tmp": _Spec(_gen_bootbank_tmp, _work_survives, _parse_yes_no, _hint_bootbank_tmp),
    "bootbank-lost": _Spec(_gen_bootbank_lost, _work_survives, _parse_yes_no, _hint_bootdevice),
    "shift-r": _Spec(_gen_shift_r, _work_shift_r, _parse_yes_no, _hint_shift_r),
    "reboot-f": _Spec(_gen_reboot_f, _work_survives, _parse_yes_no, _hint_reboot_f),
    "ramdisk-full": _Spec(_gen_ramdisk_full, _work_ramdisk_full, _parse_path, _hint_ramdisk_full),
    "vib-conflict": _Spec(_gen_vib_conflict, _work_vib_conflict, _parse_letter, _hint_vib_conflict),
    "restore-file": _Spec(_gen_restore_file, _work_restore_file, _parse_yes_no, _hint_restore_file),
    "config-bundle": _Spec(_gen_config_bundle, _work_config_bundle, _parse_hostname, _hint_config_bundle),
}


def generate(seed: int, kind: str | None = None) -> Exercise:
    """The exercise of `seed` (any int). `kind` is one of KINDS or LAB_KINDS; None lets the seed choose one of KINDS.

    The same seed and kind always give the same exercise, and `generate(s)` equals `generate(s, generate(s).kind)`.
    Every set-up is run once here, so an exercise that comes back is one the engine can play.
    """
    if kind is None:
        kind = random.Random(seed).choice(KINDS)
    if kind not in KINDS and kind not in LAB_KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS + LAB_KINDS)}, not {kind!r}")
    rng = random.Random(f"esxistate-exercise:{seed}:{kind}")
    ex = _SPECS[kind].make(rng, seed)
    _work(ex)  # plays the set-up once: a generator bug shows here, not in front of a student
    return ex
