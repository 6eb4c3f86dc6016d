"""Running in a web browser: the lessons in JupyterLite, where Python is Pyodide (CPython compiled to WebAssembly).

Two things differ from a Python on a computer, and this module is their one home:

- **Diagrams.** No program can be started in a browser, so the `graphviz-pure` layout program cannot run. The
  site built by `lite/build.py` serves `@viz-js/viz` (Graphviz compiled to WebAssembly, one ES module) beside
  Pyodide; `start()` loads it in the background as soon as esxistate is imported, and `layout_svg(dot)` lays a
  diagram out with it. Its SVG is Graphviz's own, so the picture matches the one graphviz-pure draws, though the
  bytes differ (viz.js measures text with its own font metrics).
- **Your own files.** A page cannot read a path on the student's computer. `missing_file(path)` says so in the
  browser and points to the in-browser upload instead; on a computer it says what the lessons always said.

Outside a browser every function here is a no-op or returns None, and nothing here imports ipywidgets or graphviz.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["IN_BROWSER", "VIZ_FILE", "layout_svg", "loader_js", "missing_file", "start", "status"]

IN_BROWSER = sys.platform == "emscripten"
VIZ_FILE = "viz.js"  # @viz-js/viz's ES module, served beside pyodide.mjs by lite/build.py
_GLOBAL = "__esxistate_viz"  # where the loaded Graphviz instance (or its load error) waits, in the worker's scope

# Load viz.js from the folder Pyodide itself was loaded from (the site's static/pyodide/), then build one Graphviz
# instance and keep a function of DOT text that returns SVG text. The promise is kept so that a diagram asked for
# before it resolves can wait for it.
_LOADER = """
(() => {
  const g = globalThis;
  g.%(name)s_promise ??= (async () => {
    try {
      const viz = await (await import(new URL("%(file)s", %(base)s).href)).instance();
      g.%(name)s = (dot) => viz.renderString(dot, { format: "svg" });
    } catch (err) {
      g.%(name)s_error = String(err);
    }
  })();
  return g.%(name)s_promise;
})()
"""


def start() -> None:
    """Begin loading Graphviz-in-WebAssembly in the background; a no-op outside a browser or when already begun.

    Also moves the notebook's own folder to the end of `sys.path`: in JupyterLite that folder is the browser's
    file storage, and every lookup of a module there is a request to the page, so importing the standard library
    with it first costs seconds. A student's own module still imports; it can no longer hide a standard one."""
    if not IN_BROWSER:
        return
    for entry in [p for p in sys.path if p in ("", ".") or p.startswith("/drive")]:
        sys.path.remove(entry)
        sys.path.append(entry)
    import js  # type: ignore[import-not-found]  # the JavaScript global scope of the kernel's worker
    from pyodide.code import run_js  # type: ignore[import-not-found]

    if getattr(js.globalThis, f"{_GLOBAL}_promise", None) is not None:
        return
    try:
        import pyodide_js  # type: ignore[import-not-found]

        base = str(pyodide_js._api.config.indexURL)  # where pyodide.mjs came from
    except (ImportError, AttributeError):
        base = str(js.location.href)
    run_js(loader_js(json.dumps(base)))


def loader_js(base: str) -> str:
    """JavaScript that begins loading viz.js from the folder the JavaScript expression `base` names (once per
    worker) and evaluates to the promise of it. `start()` runs it; the site's kernel worker runs it as it starts,
    before Pyodide is up, when the page starts that worker early (lite/build.py)."""
    return _LOADER % {"name": _GLOBAL, "file": VIZ_FILE, "base": base}


def _instance() -> Any:
    """The Graphviz instance, waiting for it when the runtime can block on a promise (JSPI); None if not ready."""
    import js  # type: ignore[import-not-found]

    start()
    viz = getattr(js.globalThis, _GLOBAL, None)
    if viz is None:
        from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]

        if can_run_sync():
            run_sync(getattr(js.globalThis, f"{_GLOBAL}_promise"))
            viz = getattr(js.globalThis, _GLOBAL, None)
    return viz


def status() -> str:
    """Why a diagram shows as a table in the browser: Graphviz is still loading, or could not be loaded."""
    if not IN_BROWSER:
        return ""
    import js  # type: ignore[import-not-found]

    error = getattr(js.globalThis, f"{_GLOBAL}_error", None)
    if error:
        return f"Graphviz for the browser ({VIZ_FILE}) could not be loaded: {error}"
    return "Graphviz for the browser is still loading: run this cell again in a moment to see the diagram."


def layout_svg(dot_source: str) -> str | None:
    """SVG text of `dot_source` laid out by Graphviz-in-WebAssembly; None outside a browser, or when it is not
    loaded (yet). Raises ValueError with Graphviz's own message when it rejects the DOT text."""
    if not IN_BROWSER:
        return None
    viz = _instance()
    if viz is None:
        return None
    from pyodide.ffi import JsException  # type: ignore[import-not-found]

    try:
        return str(viz(dot_source))
    except JsException as err:
        raise ValueError(str(err)) from None


def missing_file(path: str) -> str:
    """What to tell a student whose file is not at `path`: on a computer, to copy it there; in a browser, that the
    page cannot see the computer's folders, and how to upload the file into the browser instead."""
    if not IN_BROWSER:
        return f"No file at {path}: nothing to do.\nCopy your host's file there, or change MY_FILE."
    return (
        f"No file at {path}: this lesson runs inside your web browser (JupyterLite), which cannot open files on "
        "your computer. Upload yours instead: click the Upload button (the arrow pointing up) above the file "
        "browser on the left and choose the file; it appears beside this lesson. Then set MY_FILE to its name, "
        'for example MY_FILE = "esxi01-state.tgz", and run this cell again. The file stays in your browser.'
    )
