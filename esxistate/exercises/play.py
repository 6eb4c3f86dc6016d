"""Playing a set-up on a fresh demo host, and reading state.tgz off it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from ..errors import EsxiStateError, MismatchedBundle, RamdiskFull, RollbackNotPossible, VibConflict
from ..events import Event
from ..host import DEFAULT_CLOCK, Host
from ..statearchive import StateArchive
from .steps import Step


@dataclass
class _Played:
    host: Host
    boot: tuple[Event, ...]  # the first boot, before any step
    trace: list[tuple[Step, tuple[Event, ...], EsxiStateError | None]]


# What the last step of a set-up may meet and still be a story worth asking about: a full ramdisk (F28), Shift+R
# refused after a 6.x -> 7.0 upgrade (F45), two VIBs claiming one file (F30), a bundle of another host (F43).
_REFUSALS = (RamdiskFull, RollbackNotPossible, VibConflict, MismatchedBundle)


def _play(version: str, start_minute: int, steps: Iterable[Step], *, last_may_fail: bool = False) -> _Played:
    """Run `steps` on a fresh, booted demo host. Only the last step may be refused, and only when `last_may_fail`:
    a fits question's write (RamdiskFull) or a lab's last command (`_REFUSALS`); the host is then as before it."""
    host = Host.demo(version, clock=DEFAULT_CLOCK + timedelta(minutes=start_minute))
    boot = tuple(host.boot())
    steps = list(steps)
    trace = []
    for i, step in enumerate(steps):
        start = len(host.history)
        error = None
        try:
            step.apply(host)
        except _REFUSALS as err:
            if not (last_may_fail and i == len(steps) - 1):
                raise
            error = err
        trace.append((step, tuple(host.history[start:]), error))
    return _Played(host, boot, trace)


@lru_cache(maxsize=4)
def _installed_state(version: str) -> tuple[str, ...]:
    """What the demo installer left in local.tgz, read off a fresh host's boot bank."""
    bank = Host.demo(version).bootbank
    assert bank is not None
    return tuple(StateArchive.from_bytes(bank.read("state.tgz")).names())


def _state_names(host: Host) -> tuple[str, ...]:
    bank = host.bootbank
    if bank is None or "state.tgz" not in bank.files:
        return ()
    return tuple(StateArchive.from_bytes(bank.read("state.tgz")).names())


def _line_there(host: Host, path: str, line: str) -> bool:
    return host.fs.exists(path) and line in host.fs.read_text(path).splitlines()


@lru_cache(maxsize=8)
def _free_after_boot(version: str, ramdisk: str) -> int:
    host = Host.demo(version)
    host.boot()
    return next(r.free for r in host.ramdisks if r.name == ramdisk)
