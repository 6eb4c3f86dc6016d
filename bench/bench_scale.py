"""How costs grow with the work: 10x and 100x the size, and a host 400x bigger than the demo.

Each figure compares esxistate with itself at a small size, with GNU tar at a large one, or with a budget, so the
verdict says whether a cost grows with the change (what a student did) or with the host (what was already there):

- backup of 1,000 and 2,000 edited /etc files, against `tar czf` of the same files (bench_backup at scale). 2,000
  is the most a real etc ramdisk holds: each edited file and its `.#` twin take two of its 4,096 inodes (F25);
- memory after writing 5,000 and 10,000 distinct files on one ramdisk, against a budget (a fresh process each,
  resident memory grown since the host booted, read from /proc);
- one `fs.write` and one `advance(minutes=1)` on the 50,000-file boot image (bench_boot's), against the demo host;
  and the memory one write's event keeps there, against a budget;
- the 500th `install_vib` against the 10th;
- reading `host.history` at 50,000 events against at 500;
- `es.export.html` of 1,000 events: the file's size against a budget, and a second export against the first;
- `layer_stack` of a path that 254 overlay VIBs ship: the diagram's natural width against two notebook columns.

Timings are interleaved pairs (see _timing). Sizes and memory are measured once.
"""

from __future__ import annotations

import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

from _timing import Figure, human, interleaved

import esxistate as es

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 2**20


def _backup(count: int, bar: float, rounds: int) -> Figure:
    import bench_backup

    return bench_backup.figure(count, name=f"backup of {count:,} edited /etc files", bar=bar, rounds=rounds)


_RAMDISK_PROBE = """
import gc, sys
import esxistate as es

def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))

n = int(sys.argv[1])
host = es.Host.demo("7.0")
host.boot()
gc.collect()
before = rss()
for i in range(n):
    host.fs.write(f"/var/run/iofilters/f{i:05d}", b"x" * 100)
gc.collect()
print(rss() - before)
"""


def _ramdisk_memory(count: int, budget: int) -> Figure:
    out = subprocess.run(
        [sys.executable, "-c", _RAMDISK_PROBE, str(count)], capture_output=True, text=True, timeout=3600
    )
    grown = float(out.stdout.split()[-1]) if out.returncode == 0 else float("inf")
    why = "" if out.returncode == 0 else f"; the probe failed: {out.stderr.strip().splitlines()[-1][:120]}"
    return Figure(
        f"memory after writing {count:,} files on one ramdisk",
        grown,
        budget,
        "budget",
        1.0,
        "at most",
        unit="B",
        detail=f"{count:,} files of 100 B on the iofilters ramdisk, resident memory grown since the host booted{why}",
    )


def _per_event(host: es.Host, n: int) -> float:
    """Memory the history keeps per `fs.write` event on `host` (traced Python allocations)."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            host.fs.write(f"/tmp/mem{i}", b"y" * 64)
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - start) / n
    finally:
        tracemalloc.stop()


def _big_host_figures(quick: bool) -> list[Figure]:
    import bench_boot

    total = 5_000 if quick else 50_000
    big = bench_boot.build_host(total)
    big.boot()
    small = es.Host.demo("7.0")
    small.boot()
    counter = iter(range(10**9))

    def write_on(host: es.Host):
        def timed() -> float:
            path = f"/tmp/w{next(counter)}"
            start = time.perf_counter()
            host.fs.write(path, b"z\n")
            return time.perf_counter() - start

        return timed

    def advance_on(host: es.Host):
        def timed() -> float:
            start = time.perf_counter()
            host.advance(minutes=1)
            return time.perf_counter() - start

        return timed

    rounds = 5 if quick else 15
    w_big, w_small = interleaved(write_on(big), write_on(small), rounds=rounds)
    a_big, a_small = interleaved(advance_on(big), advance_on(small), rounds=rounds)
    per_event = _per_event(big, 5 if quick else 20)
    files = sum(len(t.members) for t in big.tardisks)
    return [
        Figure.paired(
            f"fs.write on the {total:,}-file image",
            w_big,
            w_small,
            "fs.write on the demo host",
            2.0,
            "at most",
            detail=f"{files:,} paths in the tardisks; a new /tmp file each time",
        ),
        Figure(
            "memory one fs.write event keeps (big image)",
            per_event,
            20 * 1024,
            "budget",
            1.0,
            "at most",
            unit="B",
            detail="traced allocations the history keeps per event",
        ),
        Figure.paired(
            f"advance(minutes=1) on the {total:,}-file image",
            a_big,
            a_small,
            "advance(minutes=1) on the demo host",
            2.0,
            "at most",
            detail="one minute of cron, no backup due",
        ),
    ]


def _install_figure(quick: bool) -> Figure:
    late_n = 100 if quick else 500
    hosts = []
    for n in (10, late_n):
        host = es.Host.demo("7.0")
        host.boot()
        for i in range(n - 1):
            host.install_vib(es.Vib.build(f"p{i:04d}-lab", "1.0", {f"/opt/pre{i}/README": "pre\n"}))
        hosts.append(host)
    counter = iter(range(10**9))

    def install_on(host: es.Host):
        def timed() -> float:
            i = next(counter)
            vib = es.Vib.build(f"n{i:04d}-lab", "1.0", {f"/opt/new{i}/README": "new\n"})
            start = time.perf_counter()
            host.install_vib(vib)
            return time.perf_counter() - start

        return timed

    late, early = interleaved(install_on(hosts[1]), install_on(hosts[0]), rounds=5 if quick else 11)
    return Figure.paired(
        f"install_vib: the {late_n}th", late, early, "the 10th", 1.5, "at most", detail="live installs"
    )


def _history_figure(quick: bool) -> Figure:
    big_n = 5_000 if quick else 50_000
    hosts = []
    for n in (500, big_n):
        host = es.Host.demo("7.0")
        host.boot()
        i = 0
        while len(host._history) < n:
            host.fs.write(f"/tmp/h{i % 200}", f"{i}\n")
            i += 1
        hosts.append(host)

    def read(host: es.Host):
        def timed() -> float:
            start = time.perf_counter()
            for _ in range(100):
                _ = host.history
            return (time.perf_counter() - start) / 100

        return timed

    big, small = interleaved(read(hosts[1]), read(hosts[0]), rounds=5 if quick else 11)
    return Figure.paired(
        f"host.history at {big_n:,} events", big, small, "at 500 events", 2.0, "at most", detail="O(1): a view"
    )


def _export_figures(quick: bool) -> list[Figure]:
    import bench_timeline

    from esxistate.render import svg

    n = 100 if quick else 1_000
    host = bench_timeline.history(n)
    events = host.history
    out = os.path.join(tempfile.mkdtemp(prefix="esxistate-bench-"), "lesson.html")

    def first() -> float:
        svg._run.cache_clear()
        start = time.perf_counter()
        es.export.html(events, out)
        return time.perf_counter() - start

    def second() -> float:
        start = time.perf_counter()
        es.export.html(events, out)
        return time.perf_counter() - start

    cold, warm = [], []
    for _ in range(2 if quick else 3):
        cold.append(first())
        warm.append(second())
    size = os.path.getsize(out)
    os.remove(out)
    return [
        Figure(
            f"export.html of {len(events):,} events: size",
            size,
            5 * MiB,
            "budget",
            1.0,
            "at most",
            unit="B",
            detail="one self-contained file",
        ),
        Figure.paired(
            "export.html: the second export", warm, cold, "the first export", 5.0, "faster", detail="same events"
        ),
    ]


def _layer_stack_figure(quick: bool) -> Figure:
    count = 30 if quick else 254
    host = es.Host.demo("7.0")
    host.boot()
    for i in range(count):
        host.install_vib(es.Vib.build(f"o{i:04d}-lab", "1.0", {"/etc/lab/shared.conf": f"{i}\n"}, overlay=True))
    from esxistate.render import svg

    svg_text = svg.to_svg(es.render.layer_stack(host, "/etc/lab/shared.conf").source) or ""
    match = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ', svg_text)
    width = float(match.group(1)) if match else float("inf")
    return Figure(
        f"layer_stack of a path {count} VIBs ship: width",
        width,
        2 * 880,
        "two notebook columns",
        1.0,
        "at most",
        unit="px",
        detail="the diagram's natural width before it is scaled to the column",
    )


def run(quick: bool = False) -> list[Figure]:
    figures = [
        _backup(100 if quick else 1_000, 1.5, 3 if quick else 9),
        _backup(300 if quick else 2_000, 2.0, 3 if quick else 7),
        _ramdisk_memory(500 if quick else 5_000, 64 * MiB),
        _ramdisk_memory(1_000 if quick else 10_000, 128 * MiB),
    ]
    figures += _big_host_figures(quick)
    figures.append(_install_figure(quick))
    figures.append(_history_figure(quick))
    figures += _export_figures(quick)
    figures.append(_layer_stack_figure(quick))
    return figures


def _median_seconds(fn, rounds: int = 15) -> float:
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _traced_per_call(fn, n: int) -> float:
    """Bytes of traced Python allocations still held after `n` calls of `fn`, per call."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            fn()
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - start) / n
    finally:
        tracemalloc.stop()


def growth(quick: bool = False) -> list[tuple[str, list[tuple[int, str]]]]:
    """How one event's cost grows with what is already there, at 1x, 10x and 100x: rows of (what, [(size, cost)]).
    A cost that stays flat across a row grows with the change, not with the host."""
    import bench_boot

    scales = (1, 10) if quick else (1, 10, 100)
    rows: list[tuple[str, list[tuple[int, str]]]] = []
    counter = iter(range(10**9))

    def write(host: es.Host) -> None:
        host.fs.write(f"/tmp/g{next(counter)}", b"z\n")

    image_write, image_advance, image_memory = [], [], []
    for scale in scales:
        host = bench_boot.build_host(500 * scale)
        host.boot()
        files = sum(len(t.members) for t in host.tardisks)
        image_write.append((files, human(_median_seconds(lambda h=host: write(h)), "s")))
        image_advance.append((files, human(_median_seconds(lambda h=host: h.advance(minutes=1)), "s")))
        image_memory.append((files, human(_traced_per_call(lambda h=host: write(h), 20), "B")))
    rows += [
        ("fs.write (a new /tmp file), image of N files", image_write),
        ("advance(minutes=1), image of N files", image_advance),
        ("memory one fs.write event keeps, image of N files", image_memory),
    ]
    ramdisk_write, ramdisk_memory = [], []
    for scale in scales:
        host = es.Host.demo("7.0")
        host.boot()
        n = 100 * scale
        for i in range(n):
            host.fs.write(f"/var/run/iofilters/f{i:05d}", b"x" * 100)
        more = iter(range(n, 10**9))

        def fill(h: es.Host = host, more=more) -> None:
            h.fs.write(f"/var/run/iofilters/f{next(more):05d}", b"x" * 100)

        ramdisk_memory.append((n, human(_traced_per_call(fill, 50), "B")))
        ramdisk_write.append((n, human(_median_seconds(fill), "s")))
    rows += [
        ("fs.write of a new file, ramdisk holding N files", ramdisk_write),
        ("memory one fs.write event keeps, ramdisk holding N files", ramdisk_memory),
    ]
    history = []
    for scale in scales:
        host = es.Host.demo("7.0")
        host.boot()
        i = 0
        while len(host._history) < 500 * scale:
            host.fs.write(f"/tmp/h{i % 200}", f"{i}\n")
            i += 1
        history.append((len(host._history), human(_median_seconds(lambda h=host: h.history), "s")))
    rows.append(("reading host.history, N events", history))
    return rows


def main(argv: list[str]) -> int:
    """`python3 bench/bench_scale.py [--quick]`: this module's figures, then how an event's cost grows."""
    quick = "--quick" in argv
    missed = 0
    for fig in run(quick=quick):
        missed += not fig.passed
        print(
            f"{fig.name:52} {human(fig.ours, fig.unit):>10} {human(fig.baseline, fig.unit):>10}  "
            f"{fig.ratio_text():>13}  {fig.bar_text():>14}  {'pass' if fig.passed else 'MISSED'}",
            flush=True,
        )
    print("\nhow one event's cost grows (1x, 10x, 100x):")
    for what, cells in growth(quick):
        print(f"  {what:58} " + "   ".join(f"N={n:>6,}: {cost:>9}" for n, cost in cells), flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
