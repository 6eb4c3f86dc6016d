"""The course as a static JupyterLite site: built by lite/build.py from a clean checkout, served on 127.0.0.1,
and every lesson run top to bottom in Chromium, which can reach nothing else.

The browser test runs each lesson in a kernel of its own and fails on any error output the stored lesson does not
have, any diagram missing, shown as a table or not valid SVG, any widget missing or not drawn, a Quiz or Timeline
that does not change when clicked, and any request that leaves 127.0.0.1. The site is built once
per test run, into a temporary folder (downloads cached there, for this run only). Screenshots of each lesson are
kept in the temporary folder, and copied to $ESXISTATE_SAVE_SCREENSHOTS when it is set.

The quick tests at the top check the pieces without a browser: the browser module's words, the hand-off from the
diagram code to Graphviz-in-WebAssembly, the build's lesson copies and lock arithmetic, and the browser checker
itself on made-up pages (so that it can fail).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lite/ sits beside tests/, outside the installed package
    sys.path.insert(0, str(ROOT))

from lite import build, drive, serve  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


# -- without a browser ------------------------------------------------------------------------------------------------


def test_outside_a_browser_the_lesson_keeps_its_own_words_for_a_missing_file():
    from esxistate import browser

    assert not browser.IN_BROWSER
    assert (
        browser.missing_file("~/x.tgz")
        == "No file at ~/x.tgz: nothing to do.\nCopy your host's file there, or change MY_FILE."
    )
    assert browser.layout_svg("digraph { a }") is None
    browser.start()  # a no-op here: nothing to load


def test_in_a_browser_a_missing_file_points_to_the_upload_button(monkeypatch):
    from esxistate import browser

    monkeypatch.setattr(browser, "IN_BROWSER", True)
    text = browser.missing_file("~/Downloads/esxi01-state.tgz")
    assert "cannot open files on your computer" in text
    assert "Upload" in text and "MY_FILE" in text


def test_in_a_browser_diagrams_are_laid_out_by_graphviz_in_webassembly(monkeypatch):
    from esxistate import browser
    from esxistate.render import svg

    monkeypatch.setattr(browser, "IN_BROWSER", True)
    monkeypatch.setattr(browser, "layout_svg", lambda dot: f'<svg width="10pt" height="10pt"><!-- {dot} --></svg>')
    monkeypatch.setattr(svg, "find_executable", lambda: pytest.fail("no program may be started in a browser"))
    bundle = svg.display_bundle(_diagram())
    assert "digraph" in bundle["image/svg+xml"]


def test_in_a_browser_a_diagram_still_loading_shows_as_a_table_that_says_so(monkeypatch):
    from esxistate import browser
    from esxistate.render import svg

    monkeypatch.setattr(browser, "IN_BROWSER", True)
    monkeypatch.setattr(browser, "layout_svg", lambda dot: None)
    monkeypatch.setattr(browser, "status", lambda: "Graphviz for the browser is still loading")
    bundle = svg.display_bundle(_diagram())
    assert "image/svg+xml" not in bundle
    assert "Graphviz for the browser is still loading" in bundle["text/html"]


def test_in_a_browser_dot_that_graphviz_rejects_is_a_layout_failed(monkeypatch):
    from esxistate import browser
    from esxistate.errors import LayoutFailed
    from esxistate.render import svg

    def reject(dot):
        raise ValueError("syntax error in line 1")

    monkeypatch.setattr(browser, "IN_BROWSER", True)
    monkeypatch.setattr(browser, "layout_svg", reject)
    with pytest.raises(LayoutFailed, match="syntax error in line 1"):
        svg.to_svg("digraph {")


def _diagram():
    import esxistate as es

    host = es.Host.demo("6.7")
    host.boot()
    return es.render.layer_stack(host, "/etc/hosts")


def test_graphviz_pure_is_not_required_in_a_browser():
    """graphviz-pure has no wheel for Pyodide: the package must install there without it."""
    text = (ROOT / "pyproject.toml").read_text()
    line = next(line for line in text.splitlines() if '"graphviz-pure' in line)
    assert "sys_platform != 'emscripten'" in line


def test_the_site_carries_every_lesson_outputs_cleared_for_the_pyodide_kernel(tmp_path):
    folder = build.lesson_contents(tmp_path)
    assert sorted(p.name for p in folder.glob("*.ipynb")) == LESSONS
    for path in folder.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python"
        assert all(c.get("outputs", []) == [] for c in nb["cells"] if c["cell_type"] == "code")
        original = json.loads((NOTEBOOKS / path.name).read_text())
        assert [c["source"] for c in nb["cells"]] == [c["source"] for c in original["cells"]]


def test_the_lock_takes_every_dependency_whatever_its_spelling():
    packages = {
        "ipython": {"depends": ["prompt_toolkit", "traitlets"]},
        "prompt-toolkit": {"depends": ["wcwidth"]},
        "traitlets": {"depends": []},
        "wcwidth": {"depends": []},
        "numpy": {"depends": []},
    }
    assert build.closure(packages, ["ipython"]) == ["ipython", "prompt-toolkit", "traitlets", "wcwidth"]


def test_the_build_refuses_a_site_that_would_reach_a_cdn(tmp_path):
    out = tmp_path / "site"
    (out / "static" / "pyodide").mkdir(parents=True)
    (out / "files").mkdir()
    (out / "files" / "00.ipynb").write_text("{}")
    for name in (*build.PYODIDE_FILES, "viz.js"):
        (out / "static" / "pyodide" / name).write_text("")
    settings = {"pyodideUrl": "https://cdn.example/pyodide.mjs", "disablePyPIFallback": False}
    config = {"jupyter-config-data": {"litePluginSettings": {build.PLUGIN: settings}}}
    (out / "jupyter-lite.json").write_text(json.dumps(config))
    with pytest.raises(SystemExit) as err:
        build.verify(out, {})
    assert "disablePyPIFallback" in str(err.value) and "pyodideUrl" in str(err.value)
    settings.update(pyodideUrl="./static/pyodide/pyodide.mjs", disablePyPIFallback=True)
    (out / "jupyter-lite.json").write_text(json.dumps(config))
    build.verify(out, {})


def test_the_kernel_finds_every_package_it_installs_at_start_already_loaded():
    """jupyterlite-pyodide-kernel's worker installs micropip, piplite, ipykernel, comm, pyodide-kernel, jedi and
    ipython with micropip at start unless loadPyodide's `packages` names them: each resolution is a round trip."""
    worker_installs = {"micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython"}
    assert worker_installs <= set(build.PRELOAD)
    assert "esxistate" in build.PRELOAD


def test_the_build_refuses_a_preloaded_package_missing_from_the_lock(tmp_path):
    out = tmp_path / "site"
    (out / "static" / "pyodide").mkdir(parents=True)
    (out / "files").mkdir()
    (out / "files" / "00.ipynb").write_text("{}")
    for name in (*build.PYODIDE_FILES, "viz.js", "a.whl"):
        (out / "static" / "pyodide" / name).write_text("")
    settings = {"pyodideUrl": "./static/pyodide/pyodide.mjs", "disablePyPIFallback": True}
    settings["loadPyodideOptions"] = {"packages": ["a", "b"]}
    config = {"jupyter-config-data": {"litePluginSettings": {build.PLUGIN: settings}}}
    (out / "jupyter-lite.json").write_text(json.dumps(config))
    with pytest.raises(SystemExit, match="'b' is preloaded but not in the lock"):
        build.verify(out, {"a": "a.whl"})


def _wheel(path, files):
    """A wheel at `path` holding `files` (name -> text) and a RECORD that lists each with a hash."""
    import zipfile

    record = "demo-1.0.dist-info/RECORD"
    rows = "".join(f"{name},sha256=x,{len(text)}\n" for name, text in files.items()) + f"{record},,\n"
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in {**files, record: rows}.items():
            whl.writestr(name, text)
    return path


def _wheel_files(path):
    import zipfile

    with zipfile.ZipFile(path) as whl:
        return {name: whl.read(name).decode() for name in whl.namelist()}


def test_a_shipped_wheel_gets_its_edits_loses_its_dropped_files_and_its_record_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "WHEEL_EDITS", {"demo/a.py": [("import heavy\n", "")]})
    monkeypatch.setattr(build, "WHEEL_DROPS", ("demo/stubs/",))
    files = {"demo/a.py": "import heavy\nx = 1\n", "demo/b.py": "y = 2\n", "demo/stubs/os.pyi": "..."}
    src = _wheel(tmp_path / "demo-1.0-py3-none-any.whl", files)
    out = tmp_path / "out"
    out.mkdir()
    assert build.edit_wheel(src, out) == {"demo/a.py"}
    shipped = _wheel_files(out / src.name)
    assert shipped["demo/a.py"] == "x = 1\n" and shipped["demo/b.py"] == "y = 2\n"
    assert "demo/stubs/os.pyi" not in shipped
    rows = {row.split(",")[0]: row for row in shipped["demo-1.0.dist-info/RECORD"].splitlines()}
    assert set(rows) == set(shipped)  # what it holds, no more, no less
    assert rows["demo/a.py"] == "demo/a.py,,"  # an edited file's hash is no longer the one PyPI's wheel had
    assert rows["demo/b.py"] == "demo/b.py,sha256=x,6"


def test_a_wheel_edit_that_no_longer_fits_its_file_stops_the_build(tmp_path, monkeypatch):
    """A new version of a wheel must not slip past an edit: the text is gone, or there twice."""
    out = tmp_path / "out"
    out.mkdir()
    for source in ("x = 1\n", "import heavy\nimport heavy\n"):
        monkeypatch.setattr(build, "WHEEL_EDITS", {"demo/a.py": [("import heavy\n", "")]})
        src = _wheel(tmp_path / "demo-1.0-py3-none-any.whl", {"demo/a.py": source})
        with pytest.raises(SystemExit, match="does not hold 'import heavy"):
            build.edit_wheel(src, out)


def test_the_lessons_folder_goes_last_on_the_kernels_path(monkeypatch):
    """The kernel's folder (/drive) is served by the page: looked at first, every import costs a request. piplite
    (the worker's first import) takes '' off; the kernel, after IPython put it back before site-packages, moves it
    last."""
    ((text, replacement),) = build.WHEEL_EDITS["piplite/__init__.py"]
    monkeypatch.setattr(sys, "path", ["", "/lib/python3.14", "/lib/python3.14/site-packages"])
    exec(replacement.removesuffix("from .piplite import install  # noqa: E402\n"), {})
    assert sys.path == ["/lib/python3.14", "/lib/python3.14/site-packages"]
    ((text, replacement),) = build.WHEEL_EDITS["pyodide_kernel/interpreter.py"]
    monkeypatch.setattr(sys, "path", ["/lib/python3.14", "", "/lib/python3.14/site-packages"])
    exec(textwrap.dedent(replacement.removeprefix(text)), {"sys": sys})
    assert sys.path == ["/lib/python3.14", "/lib/python3.14/site-packages", ""]


def test_the_site_leaves_off_plugins_but_none_a_lesson_needs(tmp_path):
    (tmp_path / "jupyter-lite.json").write_text(json.dumps({"jupyter-config-data": {"disabledExtensions": ["x:y"]}}))
    build.configure(tmp_path)
    data = json.loads((tmp_path / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert set(data["disabledExtensions"]) == {"x:y", *build.DISABLED_PLUGINS}
    needed = (
        "notebook-extension:tracker",
        "notebook-extension:factory",
        "jupyterlab-manager",
        "pyodide-kernel",
        "mainmenu",
        "rendermime",
        "filebrowser-extension:browser",
        "docmanager",
    )
    assert not [p for p in build.DISABLED_PLUGINS if any(n in p for n in needed)]


def test_the_local_server_lets_the_browser_keep_files_and_reuse_its_connection(tmp_path):
    import http.client

    (tmp_path / "pyodide.mjs").write_text("export {};")
    (tmp_path / "a.wasm").write_bytes(b"\0asm")
    with serve.serving(tmp_path) as url:
        connection = http.client.HTTPConnection(url.removeprefix("http://"))
        seen = []
        for name in ("pyodide.mjs", "a.wasm", "missing.js"):
            connection.request("GET", f"/{name}")
            response = connection.getresponse()
            response.read()
            seen.append((response.status, response.getheader("Content-Type"), response.will_close))
            assert response.getheader("Cache-Control") == f"max-age={serve.MAX_AGE_S}"
        connection.close()
    assert seen[:2] == [(200, "text/javascript", False), (200, "application/wasm", False)]
    assert seen[2][0] == 404


def test_the_service_worker_edit_fits_once_or_the_build_stops():
    text, replacement = build.SERVICE_WORKER_EDIT
    worker = f"let n=null;shouldBroadcast(a)?n=broadcastOne(t,a):{text},n&&e.respondWith(n)"
    assert build.replace_once(worker, text, replacement, "sw") == (
        "let n=null;shouldBroadcast(a)?n=broadcastOne(t,a):n=null,n&&e.respondWith(n)"
    )
    for drifted in (worker.replace(text, "shouldDrop(t,a)"), worker + worker):
        with pytest.raises(SystemExit, match="sw does not hold"):
            build.replace_once(drifted, text, replacement, "sw")


def test_a_warm_open_starts_the_kernels_worker_with_the_page(tmp_path):
    """The page starts the worker, the worker starts Pyodide at once, the kernel takes both; a site whose files
    no longer hold the texts edited stops the build."""
    static = tmp_path / build.KERNEL_STATIC
    static.mkdir(parents=True)
    (tmp_path / "lab").mkdir()
    kernel_text, _ = build.PRESTART_KERNEL_EDIT
    (static / "393.js").write_text(f"class K{{{kernel_text}return t(u)}}}}")
    (static / "9.js").write_text("other chunk")
    worker_text, _ = build.PRESTART_WORKER_EDIT
    (static / "comlink.worker.abc.js").write_text(f"async initRuntime(e){{{worker_text}stdout:x}})}}")
    (tmp_path / "lab" / "index.html").write_text('<head><script id="jupyter-config-data">{}</script></head>')
    build.prestart_kernel(tmp_path)
    assert "litePrestartedKernel" in (static / "393.js").read_text()
    worker = (static / "comlink.worker.abc.js").read_text()
    assert worker.startswith("self.litePrestart=null;") and "(self.litePrestart||n)" in worker
    assert '"../../../../static/pyodide/"' in worker and json.dumps(build.PRELOAD) in worker
    assert 'import(new URL("viz.js", i).href)' in worker  # Graphviz loads while Pyodide starts
    page = (tmp_path / "lab" / "index.html").read_text()
    assert '"../extensions/@jupyterlite/pyodide-kernel-extension/static/comlink.worker.abc.js"' in page
    assert page.index("litePrestartedKernel") < page.index('<script id="jupyter-config-data">')
    (static / "393.js").write_text("class K{initWorker(e){return new Worker(e)}}")
    with pytest.raises(SystemExit, match="starts the kernel's worker"):
        build.prestart_kernel(tmp_path)


def _cell(mimes=(), **kw):
    return {
        "code": True,
        "prompt": "[1]:",
        "mimes": list(mimes),
        "errors": [],
        "broken": 0,
        "widgets": 0,
        "text": "",
    } | kw


@pytest.mark.parametrize(
    ("cell", "complaint"),
    [
        (_cell([drive.SVG]), None),
        (_cell([]), "0 of 1 diagrams drawn"),
        (_cell([drive.SVG], broken=1), "not valid SVG"),
        (_cell([drive.SVG, drive.STDERR], errors=["Traceback ... NameError"]), "shows an error"),
        (_cell([drive.SVG], prompt="[*]:"), "did not run"),
        (_cell([drive.SVG], text="Graphviz for the browser is still loading"), "fell back to a table"),
    ],
)
def test_the_browser_checker_sees_what_is_wrong_with_a_diagram_cell(cell, complaint):
    run = drive.LessonRun("x.ipynb", [cell], 1.0, 2.0)
    found = drive.problems(run, [{"svg": 1, "widget": 0, "stderr": 0}])
    assert (complaint is None and found == []) or (complaint is not None and complaint in " ".join(found))


def test_the_browser_checker_wants_each_widget_drawn():
    drawn = _cell([drive.WIDGET], widgets=1)
    not_drawn = _cell([drive.WIDGET], widgets=0)
    want = [{"svg": 0, "widget": 1, "stderr": 0}]
    assert drive.problems(drive.LessonRun("x", [drawn], 1, 1), want) == []
    assert "0 of 1 widgets drawn" in drive.problems(drive.LessonRun("x", [not_drawn], 1, 1), want)[0]


def test_only_requests_to_127_0_0_1_count_as_staying_home():
    urls = ["http://127.0.0.1:8000/lab/", "data:image/png;base64,AA", "https://cdn.jsdelivr.net/pyodide/x.mjs"]
    assert drive.outside(urls) == ["https://cdn.jsdelivr.net/pyodide/x.mjs"]


# -- in the browser ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once for this module from this checkout, and served on 127.0.0.1."""
    pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    for program in ("node", "npm", "chromium"):
        if shutil.which(program) is None:
            pytest.skip(f"needs the {program!r} program")
    work = tmp_path_factory.mktemp("lite")
    out = build.build(work / "site", work / "cache")
    with serve.serving(out) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(site):
    """One Chromium page for every lesson: the first lesson loads the site, each later one opens in the same
    JupyterLab with a kernel of its own (drive.run_lesson)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, context = drive.launch(p)
        requests: list[str] = []  # this lesson's
        everything: list[str] = []  # all lessons'
        drive.record_requests(context, requests)
        drive.record_requests(context, everything)
        yield context.new_page(), requests, everything, []
        context.close()
        browser.close()


def _shows(lesson: str, widget: str) -> bool:
    return f"es.widgets.{widget}(" in (NOTEBOOKS / lesson).read_text(encoding="utf-8")


@pytest.mark.exe("chromium")
@pytest.mark.exe("npm")
@pytest.mark.exe("node")
@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_top_to_bottom_in_the_browser_with_nothing_leaving_127_0_0_1(site, chromium, lesson, tmp_path):
    page, requests, everything, kernels = chromium
    requests.clear()
    run = drive.run_lesson(page, site, lesson, timeout_s=420, fresh_page=not kernels)
    assert run.kernel_id not in kernels  # a kernel of its own: nothing a lesson before it ran is still there
    kernels.append(run.kernel_id)
    assert drive.problems(run, drive.expected_outputs(NOTEBOOKS / lesson)) == []
    clicks = drive.click_widgets(page)
    shots = drive.screenshots(page, lesson, tmp_path)
    if os.environ.get("ESXISTATE_SAVE_SCREENSHOTS"):
        for shot in shots:
            shutil.copy(shot, Path(os.environ["ESXISTATE_SAVE_SCREENSHOTS"]) / f"lite-{shot.name}")
    assert sorted(c["kind"] for c in clicks) == [k for k in ("quiz", "timeline") if _shows(lesson, k.title())]
    for click in clicks:  # the click went to Python and back: the widget shows something else
        assert click["after"] != click["before"], click
        if click["kind"] == "quiz":
            assert any(word in click["after"] for word in ("Correct.", "Not quite.", "Give an answer first.")), click
    assert drive.outside(requests) == []
    assert any("/static/pyodide/pyodide.asm.wasm" in u for u in everything)  # the kernel worker's requests are seen


@pytest.mark.exe("chromium")
@pytest.mark.exe("npm")
@pytest.mark.exe("node")
@pytest.mark.parametrize("lesson", ["00-start-here.ipynb", "05-when-backups-run.ipynb"])
def test_a_lesson_opened_again_runs_in_the_kernel_started_with_the_page(site, chromium, lesson):
    """Opened again (the site's service worker now controls the page), the page starts the kernel's worker
    before JupyterLab, and the lesson's kernel is that worker's: the lesson still runs top to bottom, widgets
    live."""
    page, requests, _, kernels = chromium
    controlled = "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
    if not page.evaluate(controlled):  # this test alone: the site's first open installs its service worker
        page.goto(f"{site}/lab/index.html")
        page.wait_for_function(controlled, timeout=120_000)
        page.wait_for_function("() => !!window.jupyterapp", timeout=120_000)
    drive.close_lessons(page)  # else JupyterLab reopens them beside this one
    requests.clear()
    run = drive.run_lesson(page, site, lesson, timeout_s=420, fresh_page=True)
    assert page.evaluate("() => window.litePrestartedKernel === null")  # started with the page, then taken
    assert run.kernel_id not in kernels
    kernels.append(run.kernel_id)
    assert drive.problems(run, drive.expected_outputs(NOTEBOOKS / lesson)) == []
    clicks = drive.click_widgets(page)
    assert sorted(c["kind"] for c in clicks) == [k for k in ("quiz", "timeline") if _shows(lesson, k.title())]
    assert all(click["after"] != click["before"] for click in clicks), clicks
    assert drive.outside(requests) == []
