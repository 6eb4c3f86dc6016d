"""Path lookup with 1 and with 60 tardisks mounted, against the same lookups in a plain dict.

The same 30,000 files are spread over 1 or over 60 tardisks (with a tenth of the paths shipped by two layers, so
later tardisks hide earlier ones, F39), mounted into a VisorFS with the 7.0 ramdisks over them. 2,000 paths are
looked up, a tenth of them missing. Baseline: a plain `dict` holding exactly the visible paths, `dict.get` of the
same 2,000 paths. The bar: lookup cost must not grow with the number of layers (at most 2x the dict).
"""

from __future__ import annotations

import random

from _timing import Figure, calls, interleaved

from esxistate.entry import FILE, FileEntry
from esxistate.image import ramdisk_specs
from esxistate.layers import Tardisk
from esxistate.visorfs import VisorFS


def build(layers: int, files: int, seed: int = 1) -> tuple[VisorFS, list[str]]:
    rng = random.Random(seed)
    paths = [f"/usr/lib/vmware/mod{i % 97:02d}/d{i // 500:03d}/file{i:05d}" for i in range(files)]
    buckets: list[dict[str, FileEntry]] = [{} for _ in range(layers)]
    for i, path in enumerate(paths):
        entry = FileEntry(FILE, 0o644, b"x" * (i % 64))
        buckets[i % layers][path] = entry
        if layers > 1 and i % 10 == 0:  # shipped again by a later layer: that copy wins
            buckets[(i % layers + 1) % layers][path] = entry._replace(data=b"overlay")
    fs = VisorFS(ramdisk_specs("7.0"))
    for n, members in enumerate(buckets):
        fs.mount(Tardisk.from_members(f"m{n:02d}.v00", {p.lstrip("/"): e for p, e in members.items()}))
    probe = rng.sample(paths, 1800) + [p + ".missing" for p in rng.sample(paths, 200)]
    rng.shuffle(probe)
    return fs, probe


def run(quick: bool = False) -> list[Figure]:
    files = 3_000 if quick else 30_000
    out = []
    for layers in (1, 60):
        fs, probe = build(layers, files)
        plain = {path: fs.lookup(path) for path in fs.visible()}
        lookup, get = fs.lookup, plain.get
        assert all(lookup(p) == get(p) for p in probe), "the index and the dict must agree"

        def ours(lookup=lookup, probe=probe) -> None:
            for p in probe:
                lookup(p)

        def baseline(get=get, probe=probe) -> None:
            for p in probe:
                get(p)

        a, b = interleaved(calls(ours), calls(baseline), rounds=5 if quick else 9)
        out.append(
            Figure.paired(
                f"path lookup (VisorFS.lookup), {layers} tardisk{'s' if layers > 1 else ''}",
                [t / len(probe) for t in a],
                [t / len(probe) for t in b],
                "dict.get of the same paths",
                2.0,
                "at most",
                detail=f"{len(plain):,} visible paths, {len(probe):,} lookups (10% missing); time per lookup",
            )
        )
    return out
