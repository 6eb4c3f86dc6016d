"""The simulated clock's words: file times in seconds since 1970, and the date line busybox `date` prints."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["DEFAULT_CLOCK", "date_line", "epoch"]

DEFAULT_CLOCK = datetime(2026, 1, 12, 9, 0, 0)  # when a demo host's story starts (its install is a day earlier)


def epoch(t: datetime) -> int:
    """Seconds since 1970 of a clock reading (the clock is UTC without a zone), as a file's mtime holds it.

    >>> epoch(DEFAULT_CLOCK)
    1768208400
    """
    return int(t.replace(tzinfo=timezone.utc).timestamp())


def date_line(t: datetime) -> str:
    """What busybox `date` prints, e.g. `Mon Jan 12 09:00:00 UTC 2026`.

    >>> date_line(datetime(2026, 1, 2, 9, 5, 7))
    'Fri Jan  2 09:05:07 UTC 2026'
    """
    return f"{t:%a %b} {t.day:2d} {t:%H:%M:%S} UTC {t:%Y}"
