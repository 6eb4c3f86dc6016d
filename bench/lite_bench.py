"""The JupyterLite site's bars, measured (a script, not a test: timing never gates a test).

    python3 bench/lite_bench.py [--site build/lite] [--lesson 00-start-here.ipynb] [--runs 3]

Prints the site's size, then the time from opening the lesson's page to its first output after Run All Cells:
cold (a new browser profile, nothing cached) and warm (the same profile again, the browser's cache full), each
against its bar, with every request the browser made that left 127.0.0.1 (there must be none). Build the site
first with `python3 lite/build.py`.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARS = {"size_mb": 40.0, "cold_s": 20.0, "warm_s": 6.0}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"lite_{name}", ROOT / "lite" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def size_mb(site: Path) -> float:
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "lite")
    parser.add_argument("--lesson", default="00-start-here.ipynb")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    drive, serve = _load("drive"), _load("serve")
    from playwright.sync_api import sync_playwright

    if not (args.site / "jupyter-lite.json").is_file():
        print(f"no site at {args.site}: run python3 lite/build.py first")
        return 1
    size = size_mb(args.site)
    print(f"site size: {size:.1f} MB (bar <= {BARS['size_mb']:.0f} MB) {'ok' if size <= BARS['size_mb'] else 'OVER'}")
    cold, warm, requests = [], [], []
    with serve.serving(args.site) as url, sync_playwright() as p:
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as profile:
                _, context = drive.launch(p, user_data_dir=Path(profile))
                drive.record_requests(context, requests)
                for times in (cold, warm):
                    page = context.new_page()
                    run = drive.run_lesson(page, url, args.lesson, timeout_s=600)
                    times.append(run.seconds_to_first_output)
                    page.close()
                context.close()
    for label, times, bar in (("cold", cold, BARS["cold_s"]), ("warm", warm, BARS["warm_s"])):
        median = statistics.median(times)
        runs = ", ".join(f"{t:.1f}" for t in times)
        verdict = "ok" if median <= bar else "OVER"
        what = f"page open -> first output of {args.lesson}, {label}"
        print(f"{what}: median {median:.1f} s ({runs}) (bar <= {bar:.0f} s) {verdict}")
    outside = drive.outside(requests)
    print(f"requests: {len(requests)}, leaving 127.0.0.1: {len(outside)} {outside[:5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
