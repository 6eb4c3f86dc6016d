"""Replaying a frame of a 500-event timeline from the cache, against its first render.

A 6.7 demo host lives through 500 events (edits, cron runs, backups, VIB installs, reboots). `Timeline.show(i)`
sets the caption and the diagram of frame i. The first time, it lays out the layer-stack diagram and renders it
to SVG (the timeline's frame cache and the layout cache are both cleared first); every later time the frame comes
from the timeline's cache. Both sides are the same call on the same 20 frames spread over the history; the bar is
at least 50x faster when cached.
"""

from __future__ import annotations

import time

from _timing import Figure, calls, interleaved

import esxistate as es


def history(n: int) -> es.Host:
    host = es.Host.demo("6.7")
    host.boot()
    step = 0
    while len(host.history) < n:
        step += 1
        host.fs.write("/etc/hosts", f"10.0.{step // 250}.{step % 250} lab{step}\n", append=True)
        if step % 7 == 0:
            host.advance(minutes=61)
        if step % 29 == 0:
            host.backup()
        if step % 53 == 0:
            host.install_vib(es.Vib.build(f"lab-tool-{step}", "1.0", {f"/opt/lab{step}/README": "lab\n"}))
        if step % 97 == 0:
            host.reboot()
    return host


def run(quick: bool = False) -> list[Figure]:
    from esxistate.render import svg
    from esxistate.render.widgets import Timeline

    n = 100 if quick else 500
    host = history(n)
    timeline = Timeline(host)
    events = len(timeline.events)
    frames = list(range(0, events, max(events // 20, 1)))[:20]

    def first() -> float:
        timeline._cache.clear()  # cold caches: the frame is laid out and rendered again
        svg._run.cache_clear()
        start = time.perf_counter()
        for i in frames:
            timeline.show(i)
        return (time.perf_counter() - start) / len(frames)

    def cached() -> None:
        for i in frames:
            timeline.show(i)

    def cached_after_first() -> float:
        for i in frames:  # untimed: the caches are warm again after first() cleared them
            timeline.show(i)
        return timed() / len(frames)

    first()
    timed = calls(cached)
    a, b = interleaved(cached_after_first, first, rounds=3 if quick else 5)
    return [
        Figure.paired(
            f"timeline: replay a frame of {events} events",
            a,
            b,
            "first render of the same frame",
            50.0,
            "faster",
            detail=f"{len(frames)} frames across the history; show() sets the caption and the diagram",
        )
    ]
