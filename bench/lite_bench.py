"""The JupyterLite site's bars, measured (a script, not a test: timing never gates a test).

    python3 bench/lite_bench.py [--site build/lite] [--lesson 00-start-here.ipynb] [--runs 3]

Prints the site's size, then the time from opening the lesson's page to its first output after Run All Cells:
cold (a new browser profile, nothing cached) and warm (the same profile again, the browser's cache full), each
against its bar. Runs are interleaved (cold, warm, cold, warm, ...: a burst of load from another process moves one
pair, not every sample of one side) and each figure is the minimum, median and maximum; the verdict is taken on
the median. Then where the time went (when each milestone of lite/drive.py's PHASES was reached, median), the
requests per open, and every request the browser made that left 127.0.0.1 (there must be none). The machine's
load average is printed with the timings: they move with it. Build the site first with `python3 lite/build.py`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lite/ sits beside bench/, outside the installed package
    sys.path.insert(0, str(ROOT))

from lite import drive, serve  # noqa: E402
from lite.build import size_mb  # noqa: E402

BARS = {"size_mb": 40.0, "cold_s": 20.0, "warm_s": 6.0}


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def spread(times: list[float]) -> str:
    return f"min {min(times):.1f} / median {statistics.median(times):.1f} / max {max(times):.1f} s"


def phase_lines(runs: list[drive.LessonRun]) -> list[str]:
    """When each milestone of lite/drive.py's PHASES was reached (the median over the runs that reached it), in
    the order reached."""
    reached = []
    for milestone, what in drive.PHASES.items():
        times = [r.phases[milestone] for r in runs if milestone in r.phases]
        if times:
            reached.append((statistics.median(times), what))
    return [f"  at {at:4.1f} s  {what}" for at, what in sorted(reached)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "lite")
    parser.add_argument("--lesson", default="00-start-here.ipynb")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not (args.site / "jupyter-lite.json").is_file():
        print(f"no site at {args.site}: run python3 lite/build.py first")
        return 1
    size = size_mb(args.site)
    print(f"site size: {size:.1f} MB (bar <= {BARS['size_mb']:.0f} MB) {'ok' if size <= BARS['size_mb'] else 'OVER'}")
    print(f"load average before: {load()}")
    runs: dict[str, list[drive.LessonRun]] = {"cold": [], "warm": []}
    requests: list[str] = []
    with serve.serving(args.site) as url, sync_playwright() as p:
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as profile:
                _, context = drive.launch(p, user_data_dir=Path(profile))
                drive.record_requests(context, requests)
                for label in ("cold", "warm"):
                    page = context.new_page()
                    runs[label].append(drive.run_lesson(page, url, args.lesson, timeout_s=600))
                    page.close()
                context.close()
    for label, bar in (("cold", BARS["cold_s"]), ("warm", BARS["warm_s"])):
        times = [r.seconds_to_first_output for r in runs[label]]
        verdict = "ok" if statistics.median(times) <= bar else "OVER"
        each = ", ".join(f"{t:.1f}" for t in times)
        what = f"page open -> first output of {args.lesson}, {label}"
        print(f"{what}: {spread(times)} ({each}) (bar <= {bar:.0f} s) {verdict}")
        print("\n".join(phase_lines(runs[label])))
    outside = drive.outside(requests)
    per_open = len(requests) / (2 * args.runs)
    print(f"requests: {len(requests)} ({per_open:.0f} per open), leaving 127.0.0.1: {len(outside)} {outside[:5]}")
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
