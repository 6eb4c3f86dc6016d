"""Drive the built site in Chromium, as a student would: open a lesson, Run All Cells, and read what came out.

Shared by the browser test (tests/test_jupyterlite.py) and the timing script (bench/lite_bench.py). Chromium is
started so that it cannot reach anything but 127.0.0.1: every host name but 127.0.0.1 resolves to nothing, and
every other address goes to a proxy that does not exist (loopback is never proxied). Every request the page, its
workers and its service worker make is recorded, so a caller can show that none left 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",  # a closed port: any address but loopback fails
]
WIDGET = "application/vnd.jupyter.widget-view+json"
SVG = "image/svg+xml"
STDERR = "application/vnd.jupyter.stderr"
TABLE_HINTS = ("Graphviz for the browser", "No graphviz layout program", "shown as a table instead")

# Per cell of the notebook in the page: the mime type of each output shown, the text of error outputs, whether a
# widget failed to render, and whether a cell is still waiting ([*] or [ ]).
_READ_CELLS = """
() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(cell => {
  const outputs = [...cell.querySelectorAll(':scope .jp-OutputArea-output')]
    .filter(o => !o.parentElement.closest('.jp-OutputArea-output'));
  const mime = o => o.getAttribute('data-mime-type')
    || (o.querySelector(':scope > .jupyter-widgets') ? 'WIDGET' : '');
  const prompt = cell.querySelector('.jp-InputPrompt');
  return {
    code: cell.classList.contains('jp-CodeCell'),
    prompt: prompt ? prompt.textContent.trim() : '',
    mimes: outputs.map(mime),
    errors: outputs.filter(o => mime(o).endsWith('stderr'))
                   .map(o => o.innerText.slice(0, 2000)),
    broken: [...cell.querySelectorAll('.jp-RenderedSVG img')].filter(i => !i.complete || !i.naturalWidth).length,
    svgs: cell.querySelectorAll('.jp-RenderedSVG img, .widget-html svg, .widget-output svg').length,
    widgets: outputs.filter(o => o.querySelector(':scope > .jupyter-widgets')
                               && !o.innerText.includes('Error displaying widget')).length,
    text: outputs.map(o => o.innerText).join('\\n').slice(0, 4000),
  };
})
""".replace("WIDGET", WIDGET)


@dataclass
class LessonRun:
    """What one lesson showed in the browser after Run All Cells."""

    name: str
    cells: list[dict[str, Any]]
    seconds_to_first_output: float
    seconds_total: float
    kernel_id: str = ""
    screenshots: list[Path] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # milestone -> seconds after the start (see PHASES)


def expected_outputs(notebook: Path) -> list[dict[str, int]]:
    """Per cell of a stored (executed) lesson: how many diagrams, widgets and error outputs its outputs hold."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    rows = []
    for cell in nb["cells"]:
        outputs = cell.get("outputs", [])
        rows.append(
            {
                "svg": sum(SVG in o.get("data", {}) for o in outputs),
                "widget": sum(WIDGET in o.get("data", {}) for o in outputs),
                "stderr": sum(o["output_type"] == "error" or o.get("name") == "stderr" for o in outputs),
            }
        )
    return rows


def launch(playwright: Any, *, user_data_dir: Path | None = None) -> tuple[Any, Any]:
    """Chromium that can reach only 127.0.0.1: (browser or None, context). A `user_data_dir` keeps the HTTP cache
    between launches (the warm case of the timing script)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if user_data_dir is not None:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=exe, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000}
        )
        return None, context
    browser = playwright.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
    return browser, browser.new_context(viewport={"width": 1400, "height": 1000})


def record_requests(context: Any, into: list[str]) -> None:
    """Append the URL of every request the context's pages, workers and service workers make to `into`."""
    context.on("request", lambda request: into.append(request.url))


def outside(urls: list[str]) -> list[str]:
    """The recorded URLs that went anywhere but 127.0.0.1 (data: and blob: URLs never leave the page)."""
    parts = [(u, urlsplit(u)) for u in urls]
    return sorted({u for u, p in parts if p.scheme not in ("data", "blob") and p.hostname != "127.0.0.1"})


# Close every lesson open in the JupyterLab on the page without saving it, and shut every running kernel down
# (closing a notebook leaves its kernel running). JupyterLab then remembers no lesson open: a page loaded next
# opens only the lesson its address names.
_CLOSE_LESSONS = """
async () => {
  const app = window.jupyterapp;
  for (const widget of [...app.shell.widgets('main')]) {
    if (widget.context) widget.context.model.dirty = false;
    widget.dispose();
  }
  await app.serviceManager.sessions.refreshRunning();
  for (const session of [...app.serviceManager.sessions.running()]) {
    await app.serviceManager.sessions.shutdown(session.id);
  }
}
"""
# Then open a lesson with a new kernel, so each lesson starts from a Python that has run nothing, as a student's
# does.
_OPEN_IN_NEW_KERNEL = """
async (path) => {
  await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook', kernel: {name: 'python'}});
}
"""
_KERNEL_ID = "() => window.jupyterapp.shell.currentWidget.context.sessionContext.session.kernel.id"
# When the kernel's worker fetched what (its own performance timeline: the worker's network events reach the page
# late while Python keeps the worker busy), on the page's clock; and the marks a worker started with the page sets.
_WORKER_FETCHES = """
() => performance.getEntriesByType('resource').map(e => [e.name, performance.timeOrigin + e.startTime,
                                                          performance.timeOrigin + e.responseEnd])
"""
_WORKER_MARKS = "() => performance.getEntriesByType('mark').map(e => [e.name, performance.timeOrigin + e.startTime])"
# The milestones of a lesson's start, each seen from the kernel's worker. Their order depends on the open: on a
# warm one the page starts the worker at once and Pyodide, the kernel and esxistate load while JupyterLab starts
# (lite/build.py's PRESTART_KERNEL_EDIT); on a cold one the worker starts once JupyterLab has opened the lesson.
PHASES = {
    "worker": "the kernel's worker starts",
    "wasm": "the worker has fetched Pyodide (pyodide.asm.wasm)",
    "wheels": "the worker has fetched every wheel of the lock (Pyodide unpacks them as it starts)",
    "pyodide-up": "Pyodide is up, the wheels unpacked (a warm open)",
    "kernel-imported": "the kernel (IPython) and esxistate are imported (a warm open)",
    "esxistate": "viz.js is fetched: as a warm open's worker starts, or by the lesson's first `import esxistate`",
    "python": "JupyterLab has asked for the kernel and Pyodide is up: the kernel mounts the lessons' folder",
    "output": "the lesson's first output shows",
}


def run_lesson(
    page: Any,
    base_url: str,
    name: str,
    *,
    timeout_s: float = 300,
    shots: Path | None = None,
    fresh_page: bool = True,
) -> LessonRun:
    """Open lesson `name` (a file name under the site's files/), Run All Cells, wait until every code cell has run
    and the kernel is idle, and read each cell's outputs. Screenshots go to `shots` when given.

    With `fresh_page` the page loads the site afresh, as a student's does. Without it the lesson opens in the
    JupyterLab already on the page (the one before it is closed and its kernel shut down): a new kernel all the
    same, without loading JupyterLab again. The run's `kernel_id` says which kernel ran it, and its `phases` when
    each milestone of PHASES was reached."""
    started = time.monotonic()
    started_epoch_ms = time.time() * 1000
    workers: list[Any] = []
    worker_seen: list[float] = []

    def on_worker(worker: Any) -> None:
        workers.append(worker)
        worker_seen.append(time.monotonic() - started)

    page.on("worker", on_worker)
    if fresh_page:
        page.goto(f"{base_url}/lab/index.html?path={name}", timeout=timeout_s * 1000)
    else:
        close_lessons(page, settle_ms=0)
        page.evaluate(_OPEN_IN_NEW_KERNEL, name)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout_s * 1000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")  # a reopened lesson
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    page.wait_for_selector(".jp-Notebook .jp-OutputArea-output", state="attached", timeout=timeout_s * 1000)
    first = time.monotonic() - started
    deadline = started + timeout_s
    cells: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        cells = page.evaluate(_READ_CELLS)
        waiting = [c for c in cells if c["code"] and not c["prompt"].strip("[]: ").isdigit()]
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if not waiting and idle:
            break
        page.wait_for_timeout(500)
    page.wait_for_timeout(1500)  # let widget views finish drawing
    cells = page.evaluate(_READ_CELLS)
    page.remove_listener("worker", on_worker)
    run = LessonRun(name, cells, first, time.monotonic() - started, page.evaluate(_KERNEL_ID))
    run.phases = _phases(workers, worker_seen, started_epoch_ms, first)
    if shots is not None:
        run.screenshots = screenshots(page, name, shots)
    return run


def close_lessons(page: Any, *, settle_ms: int = 1000) -> None:
    """Close every lesson of the JupyterLab on `page` and shut its kernels down (see _CLOSE_LESSONS), and give
    JupyterLab `settle_ms` to remember that none is open (for a page loaded next)."""
    page.evaluate(_CLOSE_LESSONS)
    page.wait_for_timeout(settle_ms)


def _phases(workers: list[Any], seen: list[float], started_epoch_ms: float, first: float) -> dict[str, float]:
    """Seconds from the start to each milestone of PHASES that the kernel's worker shows."""
    phases: dict[str, float] = {}
    for worker, at in zip(workers, seen, strict=True):
        if "worker" not in worker.url:
            continue
        try:
            fetches = worker.evaluate(_WORKER_FETCHES)
        except Exception:  # the worker is gone (a kernel shut down): nothing to read
            continue
        wasm = [end for url, _, end in fetches if url.endswith("/pyodide.asm.wasm")]
        if not wasm:
            continue
        phases["worker"] = at
        phases["wasm"] = (wasm[0] - started_epoch_ms) / 1000
        phases["wheels"] = (max(end for url, _, end in fetches if url.endswith(".whl")) - started_epoch_ms) / 1000
        drive = [begin for url, begin, _ in fetches if "/api/drive" in url]
        if drive:
            phases["python"] = (drive[0] - started_epoch_ms) / 1000
        for mark, at_ms in worker.evaluate(_WORKER_MARKS):
            if mark in PHASES:
                phases[mark] = (at_ms - started_epoch_ms) / 1000
        viz = [begin for url, begin, _ in fetches if url.endswith("/viz.js")]
        if viz:
            phases["esxistate"] = (viz[0] - started_epoch_ms) / 1000
    phases["output"] = first
    return phases


# Widgets a lesson may show that a test can click, and what a click must change: a Quiz's first choice then Check
# (the feedback says Correct or Not quite; with no choices, Check asks for an answer first), a Timeline's next step
# (another frame). Each is found by its buttons' labels.
_CLICKS = {
    "quiz": (["Check", "New question"], "Check", ".widget-radio-box input"),
    "timeline": (["◀ previous", "next ▶"], "next ▶", None),
}
_WIDGET_BOX = ".jp-OutputArea-output:has(> .jupyter-widgets):has(button:text-is('{a}')):has(button:text-is('{b}'))"


def click_widgets(page: Any, *, timeout_s: float = 60) -> list[dict[str, str]]:
    """Click the first Quiz and the first Timeline the lesson shows (see _CLICKS); for each, its text before and
    after, once the kernel has answered (the text changed, or `timeout_s` passed)."""
    done = []
    for kind, (labels, button, choice) in _CLICKS.items():
        box = page.locator(_WIDGET_BOX.format(a=labels[0], b=labels[1])).first
        if box.count() == 0:
            continue
        box.scroll_into_view_if_needed()
        before = box.inner_text()
        if choice is not None and box.locator(choice).count():
            box.locator(choice).first.check()
        box.locator(f"button:text-is('{button}')").first.click()
        deadline = time.monotonic() + timeout_s
        after = before
        while after == before and time.monotonic() < deadline:
            page.wait_for_timeout(250)
            after = box.inner_text()
        page.wait_for_timeout(250)  # the rest of the same update
        done.append({"kind": kind, "before": before, "after": box.inner_text()})
    return done


def screenshots(page: Any, name: str, folder: Path) -> list[Path]:
    """The first diagram and the first widget of the lesson in view, then the lesson's last output."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    taken = []
    for kind, selector in (
        ("diagram", ".jp-RenderedSVG"),
        ("widget", ".jp-OutputArea-output:has(> .jupyter-widgets)"),
        ("end", ".jp-OutputArea-output >> nth=-1"),
    ):
        target = page.locator(selector).first
        if target.count() == 0:
            continue
        target.scroll_into_view_if_needed()
        path = folder / f"{stem}-{kind}.png"
        page.screenshot(path=str(path))
        taken.append(path)
    return taken


def problems(run: LessonRun, expected: list[dict[str, int]]) -> list[str]:
    """Everything wrong with a lesson's run, compared with the lesson as stored (executed in Python): a cell that
    did not run, an error output the stored lesson does not have, a diagram shown as a table or missing, a widget
    missing or not drawn."""
    found = []
    if len(run.cells) != len(expected):
        return [f"{run.name}: the page shows {len(run.cells)} cells, the lesson has {len(expected)}"]
    for index, (cell, want) in enumerate(zip(run.cells, expected, strict=True)):
        where = f"{run.name} cell {index}"
        if cell["code"] and not cell["prompt"].strip("[]: ").isdigit():
            found.append(f"{where} did not run (prompt {cell['prompt']!r})")
        stderr = sum(m == STDERR for m in cell["mimes"])
        if stderr > want["stderr"]:
            found.append(f"{where} shows an error: {' | '.join(cell['errors'])[:600]}")
        shown_svg = sum(m == SVG for m in cell["mimes"])
        if shown_svg < want["svg"]:
            found.append(f"{where}: {shown_svg} of {want['svg']} diagrams drawn")
        if cell["broken"]:
            found.append(f"{where}: {cell['broken']} diagram(s) are not valid SVG (the browser cannot draw them)")
        shown_widgets = sum(m == WIDGET for m in cell["mimes"])
        if shown_widgets < want["widget"] or cell["widgets"] < want["widget"]:
            found.append(f"{where}: {cell['widgets']} of {want['widget']} widgets drawn")
        for hint in TABLE_HINTS:
            if hint in cell["text"]:
                found.append(f"{where}: a diagram fell back to a table ({hint!r})")
    return found
