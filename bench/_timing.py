"""Timing helpers shared by the benchmarks: warm-up, repeated samples, medians, and one printed line per figure.

Every figure times esxistate and its baseline in the same run, on the same data, and reports the ratio
(ours / baseline for costs; baseline / ours for "faster than" bars), so a slower or faster machine does not
change the verdict. Timings are interleaved (ours, baseline, ours, baseline, ...) and each pair gives one ratio:
a burst of load from another process then moves one pair, not every sample of one side, and the figure reports
the minimum, median and maximum of those ratios. The verdict is taken on the median.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def interleaved(
    ours: Callable[[], float], baseline: Callable[[], float], *, rounds: int = 7, warmup: int = 1
) -> tuple[list[float], list[float]]:
    """Time ours and the baseline alternately (ABAB...), `rounds` pairs after `warmup` untimed pairs. Each callable
    times itself and returns seconds (or any cost), so a benchmark can exclude its untimed setup."""
    for _ in range(warmup):
        ours()
        baseline()
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        a.append(ours())
        b.append(baseline())
    return a, b


def calls(fn: Callable[[], object], *, min_sample: float = 0.02) -> Callable[[], float]:
    """`fn` as a self-timing callable for `interleaved`: each call times enough calls of `fn` in a row to last
    `min_sample` seconds (calibrated once) and returns the time of one call, with the garbage collector paused."""
    fn()
    number = 1
    while True:
        elapsed = _sample(fn, number)
        if elapsed >= min_sample or number >= 1 << 24:
            break
        number *= 2 if elapsed == 0 else max(2, min(10, int(min_sample / elapsed * 1.2) + 1))
    return lambda: _sample(fn, number) / number


def _sample(fn: Callable[[], object], number: int) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Figure:
    """One benchmark result: what was measured, both timings (or sizes), the ratio and the bar it must meet.

    `kind` is "at most" (ratio = ours / baseline must be <= bar) or "faster" (ratio = baseline / ours must be >= bar).
    """

    name: str
    ours: float
    baseline: float
    baseline_name: str
    bar: float
    kind: str  # "at most" or "faster"
    unit: str = "s"
    detail: str = ""
    ratios: tuple[float, ...] = ()  # one per interleaved pair; empty for a figure measured once (a size)

    @classmethod
    def paired(
        cls, name: str, ours: list[float], baseline: list[float], baseline_name: str, bar: float, kind: str, **kw: str
    ) -> Figure:
        """A figure from interleaved samples: the medians of each side, and the ratio of each pair."""
        if kind == "faster":
            ratios = tuple(b / a if a else float("inf") for a, b in zip(ours, baseline, strict=True))
        else:
            ratios = tuple(a / b if b else float("inf") for a, b in zip(ours, baseline, strict=True))
        return cls(
            name, statistics.median(ours), statistics.median(baseline), baseline_name, bar, kind, ratios=ratios, **kw
        )

    @property
    def ratio(self) -> float:
        if self.ratios:
            return statistics.median(self.ratios)
        if self.kind == "faster":
            return self.baseline / self.ours if self.ours else float("inf")
        return self.ours / self.baseline if self.baseline else float("inf")

    def spread_text(self) -> str:
        """min/median/max of the pairs' ratios, or '' for a single measurement."""
        if len(self.ratios) < 2:
            return ""
        low, mid, high = min(self.ratios), self.ratio, max(self.ratios)
        return f"ratio min/median/max {low:.2f}/{mid:.2f}/{high:.2f} over {len(self.ratios)} pairs"

    @property
    def passed(self) -> bool:
        return self.ratio >= self.bar if self.kind == "faster" else self.ratio <= self.bar

    def bar_text(self) -> str:
        return f">= {self.bar:g}x faster" if self.kind == "faster" else f"<= {self.bar:g}x"

    def ratio_text(self) -> str:
        return f"{self.ratio:.1f}x faster" if self.kind == "faster" else f"{self.ratio:.2f}x"


def human(value: float, unit: str) -> str:
    """1.2 ms, 340 us, 12.5 MiB ..."""
    if unit == "s":
        for scale, name in ((1, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
            if value >= scale or name == "ns":
                return f"{value / scale:.3g} {name}"
    if unit == "B":
        for scale, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"), (1, "B")):
            if value >= scale or name == "B":
                return f"{value / scale:.3g} {name}"
    return f"{value:g} {unit}"
