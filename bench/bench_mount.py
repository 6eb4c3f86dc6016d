"""Mounting (indexing) a tardisk, against `tarfile` extracting the same module to a temporary directory.

The module is a gzip'd tar of 5,000 files (sizes from the boot benchmark's distribution, about 20 MiB of data).
Ours: `Tardisk.from_bytes` with its cache off (gunzip, check every member, index every path) plus mounting it
into a VisorFS. Baseline: `tarfile.open(...).extractall(tmp, filter="data")`, the standard library's safe
extraction, timed without the cleanup of the directory.
"""

from __future__ import annotations

import io
import random
import shutil
import tarfile
import tempfile
import time

from _timing import Figure, interleaved
from bench_boot import _pool, synthetic_files

from esxistate import archive
from esxistate.image import ramdisk_specs
from esxistate.layers import Tardisk
from esxistate.visorfs import VisorFS


def module(files: int, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    return archive.build_tgz(synthetic_files(rng, _pool(rng, 4 << 20), files, "usr/lib/vmware/lab"))


def run(quick: bool = False) -> list[Figure]:
    data = module(500 if quick else 5_000)

    def ours() -> float:
        start = time.perf_counter()
        fs = VisorFS(ramdisk_specs("7.0"))
        fs.mount(Tardisk.from_bytes("lab.v00", data, cache=False))
        return time.perf_counter() - start

    def baseline() -> float:
        target = tempfile.mkdtemp(prefix="esxistate-bench-")
        try:
            start = time.perf_counter()
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                tar.extractall(target, filter="data")
            return time.perf_counter() - start
        finally:
            shutil.rmtree(target)

    a, b = interleaved(ours, baseline, rounds=3 if quick else 7)
    tardisk = Tardisk.from_bytes("lab.v00", data, cache=False)
    return [
        Figure.paired(
            "mount (index) a tardisk",
            a,
            b,
            "tarfile extractall to a temp dir",
            10.0,
            "faster",
            detail=f"{len(tardisk.members):,} members, {len(data) / 2**20:.1f} MiB gzip'd, "
            f"{tardisk.size / 2**20:.1f} MiB decompressed",
        )
    ]
