"""Backup of 200 modified /etc files, against GNU `tar czf` of the same files.

A 7.0 demo host gets a VIB that ships 200 sticky configuration files under /etc/lab (sizes 200 B to 8 KiB); each
one is then edited, so each has a `.#` twin and backup.sh must save it (F16, F25). Ours: `host.backup()`, the
whole of /sbin/auto-backup.sh: select the files, build local.tgz and state.tgz, compare with the state.tgz on the
boot bank (F14), and write it through the temporary-name-and-rename steps (F17). One file is edited again
(untimed) before each run, so every run really writes. Baseline: GNU `tar czf` run on the same 200+ files, written
out once to a temporary directory (the time includes starting the tar process, as a shell script's would).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time

from _timing import Figure, interleaved

import esxistate as es


def build_host(count: int, seed: int = 5) -> es.Host:
    rng = random.Random(seed)
    host = es.Host.demo("7.0")
    host.boot()
    lines = 400 if count <= 1_000 else 100  # 2,000 files and their twins must fit the etc ramdisk's 28 MiB
    files = {f"/etc/lab/conf{i:03d}.cfg": f"# lab setting {i}\n" * rng.randint(8, lines) for i in range(count)}
    host.install_vib(es.Vib.build("lab-config", "1.0", files, modes=dict.fromkeys(files, 0o1644)))
    host.reboot()  # the new image becomes /bootbank, so backups go there (F15)
    for path in files:
        host.fs.write(path, f"edited = {path}\n", append=True)
    host.backup()
    return host


def figure(count: int, *, name: str, bar: float, rounds: int) -> Figure:
    """backup of `count` edited files against `tar czf` of the same files, `rounds` interleaved pairs."""
    tar = shutil.which("tar")
    if tar is None:
        raise SystemExit("bench_backup needs GNU tar on PATH")
    host = build_host(count)
    edits = iter(range(10**6))

    def ours() -> float:
        host.fs.write("/etc/lab/conf000.cfg", f"edit {next(edits)}\n", append=True)  # untimed
        start = time.perf_counter()
        result = host.backup()
        elapsed = time.perf_counter() - start
        assert not result.skipped
        return elapsed

    names = es.StateArchive.from_bytes(host.bootbank.read("state.tgz")).names()  # exactly what backup.sh saved
    workdir = tempfile.mkdtemp(prefix="esxistate-bench-")
    try:
        for member in names:
            target = os.path.join(workdir, member)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(host.fs.read("/" + member))
        out = os.path.join(workdir, "local.tgz")

        def baseline() -> float:
            start = time.perf_counter()
            subprocess.run([tar, "czf", out, "-C", workdir, *names], check=True)
            return time.perf_counter() - start

        t_ours, t_base = interleaved(ours, baseline, rounds=rounds)
    finally:
        shutil.rmtree(workdir)
    size = sum(len(host.fs.read("/" + n)) for n in names)
    return Figure.paired(
        name,
        t_ours,
        t_base,
        "GNU tar czf of the same files",
        bar,
        "at most",
        detail=f"{len(names)} files saved, {size / 1024:.0f} KiB; ours also compares with state.tgz and "
        "writes it by temporary name and rename",
    )


def run(quick: bool = False) -> list[Figure]:
    name = "backup (auto-backup.sh) of 200 edited /etc files" if not quick else "backup of edited /etc files"
    return [figure(40 if quick else 200, name=name, bar=1.5, rounds=5 if quick else 15)]
