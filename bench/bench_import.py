"""`import esxistate` against `import ipywidgets`, each in a fresh interpreter.

Each side runs `python -c` that times only its import statement (so interpreter start-up is not counted), 7 times;
the medians are compared. esxistate keeps ipywidgets and graphviz out of its import (renderers load on first use).
"""

from __future__ import annotations

import subprocess
import sys

from _timing import Figure, interleaved

_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _import_time(module: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)], check=True, capture_output=True, text=True
    ).stdout
    return float(out.split()[-1])


def run(quick: bool = False) -> list[Figure]:
    ours, base = interleaved(
        lambda: _import_time("esxistate"), lambda: _import_time("ipywidgets"), rounds=3 if quick else 7
    )
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, esxistate; print(sorted({'ipywidgets', 'graphviz', 'IPython'} & set(sys.modules)))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return [
        Figure.paired(
            "import esxistate",
            ours,
            base,
            "import ipywidgets",
            1.0,
            "faster",
            detail=f"heavy modules loaded by `import esxistate`: {heavy}",
        )
    ]
