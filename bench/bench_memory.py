"""Memory of a 500-event history, against 500 times the memory of one snapshot.

Every event keeps a snapshot of the host after it, so a timeline can show any moment. Snapshots share structure:
tardisks, unchanged ramdisks and boot banks are the same objects from one snapshot to the next. Measured with
tracemalloc: "one snapshot" is everything a freshly booted 6.7 demo host holds (its boot banks, tardisks,
ramdisks and its first events), which is what a snapshot would cost if it shared nothing; the history is the same
host's total after it has lived through 500 events (edits, cron runs, backups, reboots, VIB installs). The bar,
ours: the history costs at most a tenth of 500 independent snapshots.
"""

from __future__ import annotations

import gc
import tracemalloc

from _timing import Figure
from bench_timeline import history

import esxistate as es


def run(quick: bool = False) -> list[Figure]:
    n = 100 if quick else 500
    es.Host.demo("6.7").boot()  # warm imports and caches outside the measurement
    from esxistate import layers

    layers._cached_tardisk.cache_clear()
    gc.collect()
    tracemalloc.start()
    try:
        base0 = tracemalloc.get_traced_memory()[0]
        one = es.Host.demo("6.7")
        one.boot()
        gc.collect()
        one_snapshot = tracemalloc.get_traced_memory()[0] - base0
        del one
        layers._cached_tardisk.cache_clear()
        gc.collect()
        base1 = tracemalloc.get_traced_memory()[0]
        host = history(n)
        gc.collect()
        ours = tracemalloc.get_traced_memory()[0] - base1
        events = len(host.history)
    finally:
        tracemalloc.stop()
    return [
        Figure(
            f"memory of a {events}-event history",
            ours,
            one_snapshot * events,
            f"one snapshot x {events}",
            0.1,
            "at most",
            unit="B",
            detail=f"one booted host: {one_snapshot / 2**20:.1f} MiB; {ours / 2**20:.1f} MiB for the whole history",
        )
    ]
