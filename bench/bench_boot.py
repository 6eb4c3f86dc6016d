"""Boot of a host with a realistic module count and ~50,000 files, against only gunzipping its modules.

The host is the 7.0 demo image (87 modules in boot.cfg, as a real 7.0 boot bank lists) with its tardisks filled
out to 50,000 files in total, spread over the modules the way a real image spreads them (s.v00 and the driver
modules carry most). File sizes follow a fixed, seeded distribution with a median of about 1.5 KiB and a mean of
about 4 KiB; contents are text-like, so they compress about as well as a real image (3-4x).

Baseline: `zlib` decompressing every module in boot.cfg, nothing else: the least any boot must do. Ours: the
whole `host.boot()` (safeboot, mboot, mounting and indexing every tardisk, making the ramdisks, restoring
state.tgz), with the tardisk index cache cleared before every boot so each one is cold.
"""

from __future__ import annotations

import random
import zlib

from _timing import Figure, interleaved

import esxistate as es
from esxistate import archive, layers
from esxistate.bootbank import BootBank
from esxistate.bootcfg import is_vmkernel_module
from esxistate.entry import DIR, FILE, FileEntry

_TEXT = (
    "vmkernel visorfs tardisk ramdisk bootbank module driver config service hostd vpxa esxcli vsan storage net "
    "0x00 0xff return int char void struct static const if else for while lib64 python3 import def class self "
    "ENOENT EINVAL true false null {} [] () <> = == != ; : , . / - _ + * % # @ ! ? 1 2 3 4 5 6 7 8 9 10 255 4096"
)
_WORDS = _TEXT.split()


def _pool(rng: random.Random, size: int) -> bytes:
    words = rng.choices(_WORDS, k=size // 4)
    return " ".join(words).encode()[:size]


def _sizes(rng: random.Random, n: int) -> list[int]:
    # log-normal: median e^7.3 ~ 1.5 KiB, long tail, capped at 1 MiB
    return [min(int(rng.lognormvariate(7.3, 1.3)), 1 << 20) for _ in range(n)]


def build_host(total_files: int = 50_000, seed: int = 7) -> es.Host:
    """The 7.0 demo host, powered off, its tardisks holding `total_files` files in all."""
    rng = random.Random(seed)
    host = es.Host.demo("7.0")
    bank = host.banks[0]
    config = bank.config
    tardisk_modules = [m for m in config.modules if not is_vmkernel_module(m) and m != "state.tgz"]
    weights = [
        40 if m == "s.v00" else 6 if m in ("vmx.v00", "vim.v00", "esx_ui.v00", "vsan.v00") else 1
        for m in tardisk_modules
    ]
    share = rng.choices(tardisk_modules, weights=weights, k=total_files)
    per_module = {m: share.count(m) for m in tardisk_modules}
    pool = _pool(rng, 4 << 20)
    files = dict(bank.files)
    for module in tardisk_modules:
        members = archive.read_members(bank.files[module])
        members.update(synthetic_files(rng, pool, per_module[module], f"usr/lib/vmware/{module.replace('.', '_')}"))
        files[module] = archive.build_tgz(members)
    image = BootBank(bank.label, bank.partition, files, config, bank.vibs)
    return es.Host(version="7.0", banks=[image, *host.banks[1:]], clock=host.clock)


def synthetic_files(rng: random.Random, pool: bytes, n: int, under: str) -> dict[str, FileEntry]:
    """`n` files of the seeded size distribution under `under`, 64 to a directory, contents cut from `pool`."""
    members: dict[str, FileEntry] = {}
    for i, size in enumerate(_sizes(rng, n)):
        directory = f"{under}/d{i // 64:03d}"
        if i % 64 == 0:
            members[directory] = FileEntry(DIR, 0o755)
        start = rng.randrange(0, len(pool) - size - 1)
        members[f"{directory}/f{i:05d}.so"] = FileEntry(FILE, 0o644, pool[start : start + size])
    return members


def run(quick: bool = False) -> list[Figure]:
    total = 2_000 if quick else 50_000
    host = build_host(total)
    bank = host.banks[0]
    modules = [bank.files[m] for m in bank.config.modules]
    compressed = sum(len(m) for m in modules)

    def gunzip_all() -> float:
        import time

        start = time.perf_counter()
        for data in modules:
            zlib.decompress(data, 31)
        return time.perf_counter() - start

    def cold_boot() -> float:
        # a new host object over the same boot banks each time, so no earlier boot's tardisks stay in memory
        import gc
        import time

        nonlocal fresh
        fresh = es.Host(version="7.0", banks=host.banks, clock=host.clock)
        layers._cached_tardisk.cache_clear()
        gc.collect()
        start = time.perf_counter()
        fresh.boot()
        return time.perf_counter() - start

    fresh = host

    ours, baseline = interleaved(cold_boot, gunzip_all, rounds=3 if quick else 5)
    files = sum(len(t.members) for t in fresh.tardisks)
    raw = sum(t.size for t in fresh.tardisks)
    return [
        Figure.paired(
            "boot: host.boot(), cold",
            ours,
            baseline,
            "zlib gunzip of every module",
            1.5,
            "at most",
            detail=f"{len(bank.config.modules)} modules, {len(fresh.tardisks)} tardisks, {files:,} files and "
            f"directories, {compressed / 2**20:.0f} MiB gzip'd, {raw / 2**20:.0f} MiB decompressed",
        )
    ]
