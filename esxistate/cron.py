"""Root's crontab as crond reads it: which minutes a line fires at, and the next one after a moment.

ESXi's crond is busybox's. A line is five time fields (minute, hour, day of month, month, day of week) and a
command (F12). A field is `*`, a number, a range `a-b`, each optionally `/step`, or a comma list of those. Numbers
are ASCII digits only: a field with any other character (a non-ASCII digit such as `١`, a letter) never matches,
so the line never fires. Simplifications: day names, month names and `@hourly` are not read, the day of week runs
0 (Sunday) to 6, and a line fires only when all five fields match (real cron fires when either of day of month and
day of week matches if both are restricted; every line of ESXi's own crontab leaves both as `*`). Only the
auto-backup.sh lines are run (`run_until`); the other lines of root's crontab are not simulated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import backup
from .entry import FILE

if TYPE_CHECKING:
    from .host import Host
    from .visorfs import VisorFS

__all__ = [
    "CRONTAB",
    "RUNS_LISTED",
    "Schedule",
    "count_runs",
    "entries",
    "first_runs",
    "next_run",
    "run_until",
    "runs_auto_backup",
    "schedule",
]

CRONTAB = "/var/spool/cron/crontabs/root"  # root's crontab, the file crond reads (F12)
RUNS_LISTED = 200  # a clock event lists at most this many cron runs one by one; a longer advance gives the count
Schedule = Sequence[tuple[str, str, str, str, str]]
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))  # minute, hour, day of month, month, day of week
_NUMBER = re.compile(r"[0-9]+")


def entries(text: str, command: str = "auto-backup.sh") -> list[tuple[str, str, str, str, str]]:
    """The time fields of every line of `text` whose command ends with `command`."""
    out = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and not parts[0].startswith("#") and parts[5].split()[0].endswith(command):
            out.append((parts[0], parts[1], parts[2], parts[3], parts[4]))
    return out


def runs_auto_backup(text: str) -> bool:
    """Whether a crontab's text has a line that runs auto-backup.sh (ESXi's own has one at minute 1, F12).

    >>> runs_auto_backup("1 * * * * /sbin/auto-backup.sh ++group=host/vim/vmvisor/backup.sh")
    True
    >>> runs_auto_backup("#1 * * * * /sbin/auto-backup.sh")
    False
    """
    return bool(entries(text))


def schedule(fs: VisorFS | None) -> list[tuple[str, str, str, str, str]]:
    """The auto-backup.sh lines of root's crontab on a running host's file system; none when the host is off or the
    crontab is missing or not a file."""
    if fs is None:
        return []
    hit = fs.lookup(CRONTAB)
    if hit is None or hit.kind != FILE:
        return []
    return entries(hit.data.decode("utf-8", "replace"))


def _values(spec: str, lo: int, hi: int) -> frozenset[int]:
    """The values in lo..hi that one field matches."""
    hit: set[int] = set()
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step_s = part.split("/", 1)
            if not _NUMBER.fullmatch(step_s):
                continue  # a step that is not ASCII digits: this part never matches
            step = max(int(step_s), 1)  # */0 counts as */1, as the engine always has
        if part == "*":
            first, last = 0, hi  # a step counts from 0, as the engine always has: */2 in day of month is 2, 4, ...
        elif "-" in part:
            a, b = part.split("-", 1)
            if not (_NUMBER.fullmatch(a) and _NUMBER.fullmatch(b)):
                continue
            first, last = int(a), int(b)
        elif _NUMBER.fullmatch(part):
            first = last = int(part)
        else:
            continue
        hit.update(v for v in range(max(first, lo), min(last, hi) + 1) if (v - first) % step == 0)
    return frozenset(hit)


def _expand(fields: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(sorted(_values(spec, lo, hi))) for spec, (lo, hi) in zip(fields, _RANGES, strict=True))


def next_run(schedule: Schedule, after: datetime, end: datetime) -> datetime | None:
    """The first whole minute later than `after` and not later than `end` at which a line of `schedule` fires, or
    None. It steps a day at a time and looks only at the hours and minutes of days that match, so a century is as
    quick as an hour."""
    expanded = [_expand(f) for f in schedule]
    expanded = [e for e in expanded if all(e)]
    if not expanded:
        return None
    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = start.replace(hour=0, minute=0)
    while day <= end:
        best: datetime | None = None
        for minutes, hours, doms, months, dows in expanded:
            if day.day not in doms or day.month not in months or (day.weekday() + 1) % 7 not in dows:
                continue
            for hour in hours:
                for minute in minutes:
                    t = day.replace(hour=hour, minute=minute)
                    if t >= start:
                        if best is None or t < best:
                            best = t
                        break
                else:
                    continue
                break
        if best is not None:
            return best if best <= end else None
        day += timedelta(days=1)
    return None


def count_runs(schedule: Schedule, after: datetime, end: datetime) -> int:
    """How many minutes later than `after` and not later than `end` crond fires at (a minute two lines share
    counts once, as auto-backup.sh then runs once). Counted a day at a time; days alike are counted once."""
    expanded = [e for e in (_expand(f) for f in schedule) if all(e)]
    if not expanded:
        return 0
    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = start.replace(hour=0, minute=0)
    last_day = end.replace(hour=0, minute=0, second=0, microsecond=0)
    per_kind: dict[tuple[int, ...], tuple[tuple[int, int], ...]] = {}
    total = 0
    while day <= end:
        kind = tuple(
            i
            for i, (_m, _h, doms, months, dows) in enumerate(expanded)
            if day.day in doms and day.month in months and (day.weekday() + 1) % 7 in dows
        )
        times = per_kind.get(kind)
        if times is None:
            times = tuple(sorted({(h, m) for i in kind for h in expanded[i][1] for m in expanded[i][0]}))
            per_kind[kind] = times
        if day < start or day == last_day:
            total += sum(1 for h, m in times if start <= day.replace(hour=h, minute=m) <= end)
        else:
            total += len(times)
        day += timedelta(days=1)
    return total


def first_runs(schedule: Schedule, after: datetime, end: datetime, n: int) -> list[datetime]:
    """The first `n` minutes later than `after` and not later than `end` at which crond fires (fewer if the span
    holds fewer)."""
    out: list[datetime] = []
    t: datetime | None = after
    while len(out) < n and (t := next_run(schedule, t, end)) is not None:
        out.append(t)
    return out


def run_until(host: Host, end: datetime) -> tuple[list[tuple[datetime, str]], int]:
    """crond while the clock moves from `host.clock` to `end`: at every minute root's crontab fires, the clock stops
    there and auto-backup.sh runs (F12, F14). Returns the runs to list, (moment, "backup" | "nothing to save" |
    "ALERT"), at most RUNS_LISTED of them, and how many there were. Once a run leaves the host as it found it, every
    later run would find the same, so those are counted, not run: a century of idle hours costs no more than one."""
    runs: list[tuple[datetime, str]] = []
    count = 0
    lines = schedule(host._fs)
    t = host.clock
    while host._fs is not None and (t := next_run(lines, t, end)) is not None:
        host._clock = t
        before = _fingerprint(host)
        result = backup.auto_backup(host, "cron")
        idle = "ALERT" if result.cause == "no-bootbank" else "nothing to save"
        outcome = "backup" if not result.skipped else idle
        count += 1
        if len(runs) < RUNS_LISTED:
            runs.append((t, outcome))
        after = _fingerprint(host)
        if result.skipped and len(after) == len(before) and all(x is y for x, y in zip(after, before, strict=True)):
            count += count_runs(lines, t, end)
            runs += [(r, outcome) for r in first_runs(lines, t, end, RUNS_LISTED - len(runs))]
            break
    return runs, count


def _fingerprint(host: Host) -> tuple:
    """What a cron run could change, compared by identity: frozen ramdisks and banks are new objects after any
    change, so an equal fingerprint means the run left the host as it found it."""
    fs = host._fs
    return (
        len(host._history),
        host.boot_device,
        host._pid,
        *host._banks,
        *(fs.ramdisks if fs is not None else ()),
        *(fs.tardisks if fs is not None else ()),
    )
