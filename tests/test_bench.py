"""bench/run still runs every benchmark (in --quick mode, so the figures mean nothing and are not checked: timing
never gates a test). What is checked is that each figure is printed with its ratio, its bar and a verdict."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = (
    "path lookup (VisorFS.lookup), 1 tardisk",
    "path lookup (VisorFS.lookup), 60 tardisks",
    "mount (index) a tardisk",
    "backup of edited /etc files",
    "boot: host.boot(), cold",
    "timeline: replay a frame of 100 events",
    "import esxistate",
    "memory of a 100-event history",
    "backup of 100 edited /etc files",
    "memory after writing 1,000 files on one ramdisk",
    "fs.write on the 5,000-file image",
    "advance(minutes=1) on the 5,000-file image",
    "install_vib: the 100th",
    "host.history at 5,000 events",
    "export.html: the second export",
    "layer_stack of a path 30 VIBs ship: width",
)


@pytest.mark.exe("tar")
def test_bench_run_prints_every_figure_with_ratio_bar_and_verdict():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run"), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    for name in FIGURES:
        line = next((row for row in lines if row.startswith(name)), None)
        assert line is not None, f"{name!r} not printed:\n{proc.stdout}"
        assert re.search(r"\d(\.\d+)?x( faster)?\s+(<=|>=) [\d.]+x( faster)?\s+(pass|MISSED)$", line), line
    assert re.search(r"^\d+ of 20 bars met in \d+ s", lines[-1])
    spreads = [row for row in lines if "ratio min/median/max" in row]
    assert len(spreads) >= 14  # every timed figure is interleaved pairs with their spread
    assert "heavy modules loaded by `import esxistate`: []" in proc.stdout  # ipywidgets/graphviz stay lazy
