"""Staging: how the image tools write a new image to the altbootbank, one step at a time.

A VIB install or removal and an upgrade all end the same way (F33): the altbootbank gets a copy of the current
image with the VIB set changed (or a whole new image), a new imgdb.tgz, a state.tgz, and last a boot.cfg with
`updated=` one higher than the bootbank's. The state.tgz is a FRESH backup: esxupdate runs
`/sbin/backup.sh 0 /altbootbank` and only then writes the new boot.cfg (F49), so sticky /etc edits that no backup
had saved yet reach the new bank and survive a power cut after the install. The bank is marked INVALID first and
boot.cfg comes last, so a power cut at any step leaves either the old bank booting or the new image complete (F5).

Simplified: the modules are written in one step and the order of the first three steps is our reconstruction;
F49's log shows only that backup.sh runs before boot.cfg is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from . import backup
from .bootbank import BankState, BootBank, _set_state
from .bootcfg import BootConfig
from .vib import Vib

__all__ = ["LIVE_STEPS", "STAGE_STEPS", "invalidated", "staged_bank", "write_steps"]

STAGE_STEPS: tuple[str, ...] = (
    "invalidate_altbootbank",  # mark the altbootbank INVALID first, so a half-written bank never boots
    "write_modules",  # copy the module files of the new image
    "write_imgdb",  # imgdb.tgz describing the new VIB set
    "backup_altbootbank",  # /sbin/backup.sh 0 /altbootbank: the running configuration into the new bank (F49)
    "write_bootcfg",  # boot.cfg last: from here the new image is complete and bootable
)
LIVE_STEPS: tuple[str, ...] = (*STAGE_STEPS, "mount_tardisk", "write_marker")  # live changes touch the running system


def invalidated(bank: BootBank) -> BootBank:
    """The bank with bootstate=3 written in place: safeboot ignores it from now on (F5)."""
    return _set_state(bank, BankState.INVALID)


def staged_bank(
    base: BootBank,
    vibs: tuple[Vib, ...],
    *,
    label: str,
    partition: int,
    updated: int,
    bootstate: int,
    build: str,
    imgdb: bytes,
    state_tgz: bytes | None,
    image_config: BootConfig | None = None,
    image_files: Mapping[str, bytes] | None = None,
) -> BootBank:
    """The complete new altbootbank (F33): the base bank's modules for the kept VIBs plus the new ones (or a whole
    new image's modules and boot.cfg), imgdb.tgz, the fresh state.tgz, and boot.cfg with `updated`/`bootstate`."""
    if image_config is not None and image_files is not None:
        files = dict(image_files)
        order = [m for m in image_config.modules if m in files]
        config_src = image_config
    else:
        assert base.config is not None
        files = {}
        keep_modules = {m for v in vibs for _p, m in v.modules}
        order = [m for m in base.config.modules if m in keep_modules]
        for m in [*order, base.config.kernel]:
            files[m] = base.files[m]
        new = [m for v in vibs for _p, m in v.modules if m not in order and m != base.config.kernel]
        for v in vibs:
            for p in v.payloads:
                files.setdefault(dict(v.modules)[p.name], p.data)
        order += new
        config_src = base.config
    modules = [*order, "imgdb.tgz"]
    files["imgdb.tgz"] = imgdb
    if state_tgz is not None:
        files["state.tgz"] = state_tgz
        modules.append("state.tgz")
    config = config_src.with_modules(modules).with_updated(updated).with_bootstate(bootstate).with_build(build)
    return replace(BootBank.with_image(label, partition, config, files), vibs=vibs)


def write_steps(alt: BootBank, staged: BootBank, local_tgz: bytes, pid: int) -> list[tuple[str, BootBank]]:
    """The altbootbank after each of STAGE_STEPS while `staged` is written over `alt`. Until the last step the bank
    holds the old boot.cfg marked INVALID (or none), so safeboot never boots a half-written image (F5, F33)."""
    if alt.config is not None or "boot.cfg" in alt.files:
        alt = invalidated(alt)
    after: list[tuple[str, BootBank]] = [("invalidate_altbootbank", alt)]
    skip = ("boot.cfg", "imgdb.tgz", "state.tgz")
    modules = {n: b for n, b in staged.files.items() if n not in skip}
    keep = {"boot.cfg": alt.files["boot.cfg"]} if "boot.cfg" in alt.files else {}
    partial = BootBank(staged.label, staged.partition, MappingProxyType({**modules, **keep}), None)
    bank = replace(partial, config=alt.config, relaid_build=alt.relaid_build)  # no bootable image there yet (F45)
    after.append(("write_modules", bank))
    bank = bank.replace_files({"imgdb.tgz": staged.files["imgdb.tgz"]})
    after.append(("write_imgdb", bank))
    state_tgz = staged.files.get("state.tgz")
    if state_tgz is not None:  # backup.sh 0 /altbootbank, with its own temp-name-and-rename steps (F17, F49)
        for _step, written, _line in backup.bank_steps(bank, local_tgz, state_tgz, pid):
            bank = written
    after.append(("backup_altbootbank", bank))
    after.append(("write_bootcfg", staged))
    return after
