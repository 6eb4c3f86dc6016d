"""Byte sizes as text, each in the one format its reader expects: defined here once.

Three readers, three formats, because each copies what it imitates:

- ``busybox(n)``: busybox ``df -h`` / ``du -h`` / ``ls -lh`` (one decimal from K upwards);
- ``vdf(n)``: ESXi's ``vdf -h``, whole units with no decimals (sample S3 in the facts file);
- ``readable(n)``: diagrams and widgets, for a student (binary units spelled out).

>>> busybox(512), busybox(4096), busybox(261_800_000)
('512', '4.0K', '249.7M')
>>> vdf(0), vdf(524_288), vdf(57_671_680), vdf(1_890_582_528)
('0B', '512K', '55M', '1803M')
>>> readable(848), readable(1_740), readable(29_360_128), readable(1_932_735_283)
('848 B', '1.7 KiB', '28 MiB', '1.8 GiB')
"""

from __future__ import annotations

__all__ = ["busybox", "readable", "vdf"]


def busybox(n: float) -> str:
    """busybox -h sizes: 4.0K, 249.7M, 1.2G (df and du round the same way)."""
    for unit in ("", "K", "M", "G", "T"):
        if n < 1024 or unit == "T":
            return f"{n:.0f}" if unit == "" else f"{n:.1f}{unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def vdf(n: int) -> str:
    """vdf -h sizes: 0B, 512K, 55M, 1803M (sample S3)."""
    if n < 1024:
        return f"{n}B"
    if n < 1024 * 1024:
        return f"{n // 1024}K"
    return f"{n // (1024 * 1024)}M"


def readable(n: int) -> str:
    """Bytes the way a student reads them: 848 B, 1.7 KiB, 28 MiB, 1.8 GiB."""
    if n < 1024:
        return f"{n} B"
    value, unit = n / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
