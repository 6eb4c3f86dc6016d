"""Build the course as a static JupyterLite site: every lesson runs in the browser (Pyodide), with no server.

    python3 lite/build.py            # -> build/lite/, then serve that folder from any static host

Everything the build downloads comes from PyPI (pip) and the npm registry (npm pack):

- JupyterLite itself and its Pyodide kernel (pip, installed into a virtualenv of their own under the cache, so
  that only the lab extensions we choose end up in the site: the Pyodide kernel and ipywidgets' extension);
- Pyodide's core from npm (`pyodide.mjs`, `pyodide.asm.wasm`, `python_stdlib.zip`, `pyodide-lock.json`): the npm
  package carries no wheels, so the pure-Python wheels the kernel needs (IPython and its dependencies, jedi,
  micropip) come from PyPI at the versions the lock names, and the lock's sha256 entries are rewritten to them;
- esxistate's own wheel, built from this checkout, with graphviz (DOT text), ipywidgets and comm, added to the
  lock and preloaded when the kernel starts, so `import esxistate` works as it does in JupyterLab;
- `@viz-js/viz` from npm: Graphviz compiled to WebAssembly, one ES module that lays the diagrams out in the
  browser, where the graphviz-pure program cannot run.

The site is rebuilt from scratch each time (a stale `.jupyterlite.doit.db` once skipped the step that writes the
kernel's settings, and the kernel then waited on a CDN for ever), and the build checks its own result: the kernel
settings point at the site's own Pyodide, PyPI fallback is off, every file the lock names is there, and no
configuration names an address outside the site. Downloads are cached under build/lite-cache/ and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
if str(ROOT) not in sys.path:  # run as `python3 lite/build.py` from a checkout: esxistate is beside lite/
    sys.path.insert(0, str(ROOT))

from esxistate import browser  # noqa: E402  # the kernel worker's early start loads viz.js as esxistate would

# Versions that go together: the kernel 0.8.6 is built for Pyodide 314.0.6 (its constants.PYODIDE_VERSION).
JUPYTERLITE = ["jupyterlite-core==0.8.6", "jupyterlite-pyodide-kernel==0.8.6", "jupyter_server>=2"]
IPYWIDGETS = "8.1.9"  # the Python side of the widgets; its lab extension is jupyterlab_widgets 3.0.x
JUPYTERLAB_WIDGETS = "3.0.17"
PYODIDE = "314.0.6"
VIZ = "3.31.0"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"

# What the kernel loads from the lock when it starts (jupyterlite-pyodide-kernel's initKernel installs ipykernel,
# comm, pyodide-kernel, jedi and ipython; piplite needs micropip), and what the lessons import.
LOCK_ROOTS = ("micropip", "ipython", "jedi")
EXTRA_WHEELS = {  # name -> (version, imports, depends), added to the lock
    "comm": ("0.2.3", ["comm"], ["traitlets"]),
    "graphviz": ("0.21", ["graphviz"], []),
    "ipywidgets": (IPYWIDGETS, ["ipywidgets"], ["comm", "ipython", "traitlets"]),
}
# The kernel's own wheels, shipped by jupyterlite-pyodide-kernel beside its lab extension (static/pypi/): its
# worker installs them with micropip and piplite unless loadPyodide already loaded them, so they go into the lock
# too. name -> (imports, depends).
KERNEL_WHEELS = {
    "piplite": (["piplite"], ["micropip"]),
    "pyodide-kernel": (["pyodide_kernel"], ["comm", "ipython"]),
    "ipykernel": (["ipykernel"], ["pyodide-kernel"]),
}
KERNEL_PYPI = "extensions/@jupyterlite/pyodide-kernel-extension/static/pypi"
# Loaded from the lock while Pyodide starts, all fetched in parallel and none resolved by micropip. The worker
# (jupyterlite-pyodide-kernel's initPackageManager and initKernel) skips its own `micropip.install` and
# `piplite.install` of each package named here, by these exact names; esxistate brings graphviz and ipywidgets.
PRELOAD = ["micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython", "esxistate"]
# Modules whose bytecode ships in the wheels: what the kernel and the lessons import (lite/pycompile.mjs).
COMPILED = [
    "IPython",
    "ipywidgets",
    "jedi",
    "micropip",
    "piplite.piplite",
    "pyodide_kernel",
    "esxistate",
    "esxistate.render",
    "esxistate.render.widgets",
    "esxistate.render.html",
    "esxistate.exercises",
    "esxistate.facts",
    "esxistate.magics",
]
# Edits to the wheels the site ships, made before they are compiled: file -> [(text, replacement)], each text
# found exactly once (the build stops otherwise, so a new version of a wheel cannot slip past them). They defer
# imports the kernel's start pays for and never uses: IPython's `embed` pulls in its whole terminal front end
# (prompt_toolkit) and `%pastebin` urllib.request with http.client and email; piplite needs unittest.mock and
# micropip only while it installs a package. Pyodide starts with '' (the current folder) first on sys.path, and
# the kernel's worker makes the lessons' folder current (/drive, which the page serves) before its first import:
# every import then first asks the page, through the service worker, whether the folder changed (~140 requests
# before lesson 00's first output). piplite takes it off while the kernel starts, and the kernel, once IPython
# has put it back before site-packages, moves it last. Measured in Pyodide
# (lite/pycompile.mjs's Python, under Node): the kernel's start (`import piplite.piplite, pyodide_kernel`) took
# 2.8 s, 1.3 s of it IPython's terminal front end; 0.8-0.9 s with these edits.
WHEEL_EDITS = {
    "IPython/__init__.py": [
        (
            "from .terminal.embed import embed\n",
            "\n\ndef embed(**kwargs):  # imported when called: the terminal front end is heavy\n"
            "    from .terminal.embed import embed\n\n    return embed(**kwargs)\n\n\n",
        )
    ],
    "IPython/core/magics/code.py": [
        ("from urllib.request import Request, urlopen\n", ""),
        (
            "        request = Request(\n",
            "        from urllib.request import Request, urlopen\n\n        request = Request(\n",
        ),
    ],
    "piplite/__init__.py": [
        (
            "from .piplite import install\n",
            "import sys\n\n"
            "if '' in sys.path:  # the lessons' folder: each look there is a request to the page; back last soon\n"
            "    sys.path.remove('')\n\n"
            "from .piplite import install  # noqa: E402\n",
        )
    ],
    "pyodide_kernel/interpreter.py": [
        (
            "        self.init_path()\n",
            "        self.init_path()\n"
            "        sys.path.remove('')  # the lessons' folder, last: see piplite\n"
            "        sys.path.append('')\n",
        )
    ],
    "piplite/piplite.py": [
        ("from unittest.mock import patch\n", ""),
        (  # Python 3.14 evaluates annotations only when asked: the signatures naming micropip's types stay
            "import micropip\nfrom micropip.package_index import CompatibilityLayer, ProjectInfo\n"
            "from micropip.package_index import query_package as _MP_QUERY_PACKAGE\n",
            "",
        ),
        (
            "    info = ProjectInfo._compatible_only(",
            "    from micropip.package_index import ProjectInfo\n\n    info = ProjectInfo._compatible_only(",
        ),
        (
            "    return await _MP_QUERY_PACKAGE(",
            "    from micropip.package_index import query_package as _MP_QUERY_PACKAGE\n\n"
            "    return await _MP_QUERY_PACKAGE(",
        ),
        (
            '    with patch("micropip.package_index.query_package"',
            "    from unittest.mock import patch\n\n    import micropip\n\n"
            '    with patch("micropip.package_index.query_package"',
        ),
    ],
}
# Files left out of the wheels: jedi's type stubs for third-party packages and Django (completion in the lessons
# needs the standard library's and esxistate's own), 3 MB of the site, and those of Python 2's standard library,
# which jedi reads only for Python 2 (typeshed.py's _get_typeshed_directories): 195 of the 753 files Pyodide
# unpacks for jedi at every start.
WHEEL_DROPS = (
    "jedi/third_party/django-stubs/",
    "jedi/third_party/typeshed/third_party/",
    "jedi/third_party/typeshed/stdlib/2/",
)
# JupyterLite's service worker answers the kernel's file requests (/api/drive, /api/stdin) from the page; it also
# takes every other request of the page and its workers and fetches it itself, which only adds a hop to each of the
# site's ~200 files (its own cache is off). Edited so it leaves those to the browser: the text, its replacement.
SERVICE_WORKER_EDIT = ("shouldDrop(t,a)||(n=maybeFromCache(e))", "n=null")
# JupyterLab plugins the lessons never use, left off in the site (each one the page would start before the lesson
# opens): language servers (none run in a browser), terminals (none either), Mermaid, MathJax and viewers of file
# types the course has none of, workspaces, the settings editor, the running-sessions side bar, the help links to
# web sites, the property inspector and the log console.
DISABLED_PLUGINS = (
    "@jupyterlab/apputils-extension:announcements",
    "@jupyterlab/audio-extension:plugin",
    "@jupyterlab/csvviewer-extension:csv",
    "@jupyterlab/csvviewer-extension:tsv",
    "@jupyterlab/fileeditor-extension:language-server",
    "@jupyterlab/help-extension:jupyter-forum",
    "@jupyterlab/help-extension:resources",
    "@jupyterlab/json-lines-extension:factory",
    "@jupyterlab/logconsole-extension:plugin",
    "@jupyterlab/lsp-extension:code-extractor-manager",
    "@jupyterlab/lsp-extension:feature",
    "@jupyterlab/lsp-extension:settings",
    "@jupyterlab/lsp-extension:tracker",
    "@jupyterlab/mathjax-extension:plugin",
    "@jupyterlab/mermaid-extension:context-commands",
    "@jupyterlab/mermaid-extension:core",
    "@jupyterlab/mermaid-extension:factory",
    "@jupyterlab/mermaid-extension:markdown",
    "@jupyterlab/notebook-extension:language-server",
    "@jupyterlab/pdf-extension:factory",
    "@jupyterlab/running-extension:sidebar",
    "@jupyterlab/settingeditor-extension:form-ui",
    "@jupyterlab/settingeditor-extension:plugin",
    "@jupyterlab/terminal-extension:open-folder-in-terminal",
    "@jupyterlab/terminal-extension:plugin",
    "@jupyterlab/vega5-extension:factory",
    "@jupyterlab/video-extension:plugin",
    "@jupyterlab/workspaces-extension:commands",
    "@jupyterlab/workspaces-extension:indicator",
    "@jupyterlab/workspaces-extension:menu",
    "@jupyterlab/workspaces-extension:sidebar",
    "@jupyterlite/application-extension:lsp-connection-manager",
)
# A warm open starts the Python kernel's worker as the page starts, not once JupyterLab has loaded, opened the
# lesson and asked for a kernel (2-3 s later): Pyodide then starts while JupyterLab does. lab/index.html starts
# the worker (only when a lesson is named and the site's service worker already controls the page, which the
# worker's file requests need), the worker starts loading Pyodide at once, and the kernel takes that worker and
# that Pyodide instead of starting its own. Each edit: the text, its replacement.
PRESTART_IMPORTS = "import piplite.piplite, pyodide_kernel, esxistate"
KERNEL_STATIC = "extensions/@jupyterlite/pyodide-kernel-extension/static"
PRESTART_KERNEL_EDIT = (
    'initWorker(e){let t=e=>new Worker(e,{type:"module"});',
    "initWorker(e){let t=e=>{let p=globalThis.litePrestartedKernel;"
    'return p&&p.url===e.href?(globalThis.litePrestartedKernel=null,p.worker):new Worker(e,{type:"module"})};',
)
PRESTART_WORKER_EDIT = ("this._pyodide=await n({indexURL:s,", "this._pyodide=await (self.litePrestart||n)({indexURL:s,")
PRESTART_WORKER = """self.litePrestart=null;if(self.location.search==="?prestart"){
const i=new URL(INDEX,self.location.href).href;
VIZ;
const p=import(i+"pyodide.mjs").then(m=>m.loadPyodide({indexURL:i,packages:PACKAGES}))
.then(async y=>(performance.mark("pyodide-up"),await y.runPythonAsync(IMPORTS),performance.mark("kernel-imported"),y));
self.litePrestart=o=>p.then(y=>(y.setStdout({batched:o.stdout}),y.setStderr({batched:o.stderr}),y));}
"""
PRESTART_PAGE = """<script>
      (function () {  // the kernel's worker, started now: see lite/build.py
        const lesson = new URLSearchParams(location.search).get("path") || "";
        if (!lesson.endsWith(".ipynb") || !(navigator.serviceWorker && navigator.serviceWorker.controller)) return;
        const url = new URL(WORKER, location.href).href;
        window.litePrestartedKernel = { url, worker: new Worker(url + "?prestart", { type: "module" }) };
      })();
    </script>
    """
FONTS_NOT_LOADED = (".eot", ".svg", ".ttf", ".woff")  # legacy copies of JupyterLab's icon fonts; browsers take woff2


def log(message: str) -> None:
    print(f"[lite] {message}", flush=True)


def run(cmd: list[str], **kw: object) -> None:
    log(" ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)  # type: ignore[arg-type]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tool_env(cache: Path) -> Path:
    """A virtualenv with JupyterLite and the two lab extensions the site needs; its python."""
    env = cache / "env"
    python = env / "bin" / "python"
    stamp = env / "installed.json"
    wanted = [*JUPYTERLITE, f"jupyterlab_widgets=={JUPYTERLAB_WIDGETS}"]
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return python
    if env.exists():
        shutil.rmtree(env)
    venv.EnvBuilder(with_pip=True).create(env)
    run([python, "-m", "pip", "install", "-q", *wanted])
    stamp.write_text(json.dumps(wanted))
    return python


def npm_package(cache: Path, spec: str) -> Path:
    """`npm pack` a package from the npm registry and unpack it; the folder that holds its files."""
    name = spec.rsplit("@", 1)[0].lstrip("@").replace("/", "-")
    target = cache / "npm" / spec.replace("/", "-")
    if (target / "package" / "package.json").is_file():
        return target / "package"
    target.mkdir(parents=True, exist_ok=True)
    run(["npm", "pack", "--silent", spec], cwd=target, stdout=subprocess.DEVNULL)
    (tarball,) = target.glob(f"{name}-*.tgz")
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    tarball.unlink()
    return target / "package"


PIP_DOWNLOAD = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--platform", "any"]


def pure_wheels(cache: Path, pins: dict[str, str]) -> dict[str, Path]:
    """Download the pure-Python wheels `pins` names (name -> version) from PyPI; name -> wheel file."""
    folder = cache / "wheels"
    folder.mkdir(parents=True, exist_ok=True)

    def find(name: str, version: str) -> Path | None:
        for whl in folder.glob("*.whl"):
            dist, ver = whl.name.split("-")[:2]
            if canonical(dist) == canonical(name) and ver == version:
                return whl
        return None

    missing = [f"{n}=={v}" for n, v in pins.items() if find(n, v) is None]
    if missing:
        run([*PIP_DOWNLOAD, "--python-version", "3.14", "--implementation", "py", "-d", folder, *missing])
    found = {}
    for name, version in pins.items():
        whl = find(name, version)
        if whl is None:
            raise SystemExit(f"no pure wheel of {name}=={version} on PyPI: the browser cannot load it")
        found[name] = whl
    return found


def esxistate_wheel(cache: Path) -> Path:
    """esxistate's own wheel, built from this checkout."""
    folder = cache / "esxistate"
    if folder.exists():
        shutil.rmtree(folder)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", folder, ROOT])
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)  # setuptools' staging copy, not the site
    (whl,) = folder.glob("esxistate-*.whl")
    return whl


def closure(packages: dict[str, dict], roots: list[str]) -> list[str]:
    """The lock's names `roots` need, following `depends`."""
    key = {canonical(name): name for name in packages}
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = key[canonical(todo.pop())]
        if name in seen:
            continue
        seen.append(name)
        todo.extend(packages[name]["depends"])
    return sorted(seen)


def canonical(name: str) -> str:
    """A package name as PyPI compares names (PEP 503): prompt_toolkit and prompt-toolkit are one package."""
    return name.lower().replace("_", "-").replace(".", "-")


def lesson_contents(cache: Path) -> Path:
    """The lessons as students open them: every notebooks/*.ipynb at build time, outputs cleared, the Pyodide
    kernel named (so no kernel chooser pops up)."""
    folder = cache / "contents"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nb["metadata"]["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
        nb["metadata"].pop("widgets", None)
        (folder / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def install_pyodide(out: Path, cache: Path, esx_whl: Path) -> dict[str, str]:
    """Put Pyodide's core, the wheels the kernel and the lessons load, a lock naming exactly those, and viz.js
    into static/pyodide/. Returns lock name -> file name."""
    core = npm_package(cache, f"pyodide@{PYODIDE}")
    target = out / "static" / "pyodide"
    target.mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        shutil.copy2(core / name, target / name)

    lock = json.loads((core / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    names = closure(packages, list(LOCK_ROOTS))
    wheels = pure_wheels(
        cache, {n: packages[n]["version"] for n in names} | {n: v for n, (v, _, _) in EXTRA_WHEELS.items()}
    )
    kept = {}
    for name in names:
        entry = dict(packages[name])
        whl = wheels[name]
        entry.update(file_name=whl.name, sha256=sha256(whl))
        kept[name] = entry
    for name, (version, imports, depends) in EXTRA_WHEELS.items():
        kept[name] = _entry(name, version, wheels[name], imports, depends)
    kept["esxistate"] = _entry("esxistate", "0.1.0", esx_whl, ["esxistate"], ["graphviz", "ipywidgets"])
    for name, (imports, depends) in KERNEL_WHEELS.items():
        (whl,) = (out / KERNEL_PYPI).glob(f"{name.replace('-', '_')}-*.whl")
        wheels[name] = whl
        kept[name] = _entry(name, whl.name.split("-")[1], whl, imports, depends)
    lock["packages"] = kept
    plain = cache / "plain-wheels"
    if plain.exists():
        shutil.rmtree(plain)
    plain.mkdir()
    edited = set[str]()
    for name in kept:
        edited |= edit_wheel(esx_whl if name == "esxistate" else wheels[name], plain)
    if set(WHEEL_EDITS) - edited:
        raise SystemExit(f"no wheel holds {sorted(set(WHEEL_EDITS) - edited)}: check WHEEL_EDITS")
    run(["node", ROOT / "lite" / "pycompile.mjs", core, plain, target, "--keep-source=esxistate", *COMPILED])
    for entry in kept.values():
        entry["sha256"] = sha256(target / entry["file_name"])
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")

    viz = npm_package(cache, f"@viz-js/viz@{VIZ}")
    shutil.copy2(viz / "dist" / "viz.js", target / "viz.js")
    return {name: entry["file_name"] for name, entry in kept.items()}


def edit_wheel(wheel: Path, folder: Path) -> set[str]:
    """Copy `wheel` into `folder` with WHEEL_EDITS made and WHEEL_DROPS left out; its RECORD lists what it holds
    (an edited file's hash left empty, as RECORD allows)."""
    with zipfile.ZipFile(wheel) as src:
        if not any(n in WHEEL_EDITS or n.startswith(WHEEL_DROPS) for n in src.namelist()):
            shutil.copy2(wheel, folder / wheel.name)  # nothing to change: the wheel as it came
            return set()
        items = [(info, src.read(info)) for info in src.infolist()]
    record = next(info.filename for info, _ in items if info.filename.endswith(".dist-info/RECORD"))
    kept, edited = [], set[str]()
    for info, data in items:
        if info.filename.startswith(WHEEL_DROPS):
            continue
        for text, replacement in WHEEL_EDITS.get(info.filename, []):
            data = replace_once(data.decode(), text, replacement, f"{wheel.name}: {info.filename}").encode()
            edited.add(info.filename)
        kept.append((info, data))
    names = {info.filename for info, _ in kept}
    target = folder / wheel.name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in kept:
            if info.filename == record:
                rows = [row.split(",") for row in data.decode().splitlines() if row]
                rows = [[name, "", ""] if name in edited else [name, *rest] for name, *rest in rows if name in names]
                data = "".join(",".join(row) + "\n" for row in rows).encode()
            dst.writestr(info, data)
    return edited


def _entry(name: str, version: str, whl: Path, imports: list[str], depends: list[str]) -> dict:
    return {
        "name": name,
        "version": version,
        "file_name": whl.name,
        "install_dir": "site",
        "sha256": sha256(whl),
        "package_type": "package",
        "imports": imports,
        "depends": depends,
        "unvendored_tests": False,
        "shared_library": False,
    }


def replace_once(source: str, text: str, replacement: str, where: str) -> str:
    """`source` with `text` replaced; the build stops unless `text` is there exactly once (the edit was written
    for another version of the file)."""
    if source.count(text) != 1:
        raise SystemExit(f"{where} does not hold {text!r} once: the edit no longer fits this version")
    return source.replace(text, replacement)


def edit_text(path: Path, text: str, replacement: str) -> None:
    """Replace `text`, found exactly once in the file at `path`."""
    path.write_text(replace_once(path.read_text(encoding="utf-8"), text, replacement, path.name), encoding="utf-8")


def prestart_kernel(out: Path) -> None:
    """Let a warm open start the kernel's worker and its Pyodide with the page (see PRESTART_KERNEL_EDIT)."""
    static = out / KERNEL_STATIC
    text, replacement = PRESTART_KERNEL_EDIT
    (kernel,) = [path for path in static.glob("*.js") if text in path.read_text(encoding="utf-8")] or [None]
    if kernel is None:
        raise SystemExit(f"no file of {KERNEL_STATIC} starts the kernel's worker: the edit no longer fits")
    edit_text(kernel, text, replacement)
    (worker,) = static.glob("comlink.worker.*.js")
    edit_text(worker, *PRESTART_WORKER_EDIT)
    index = os.path.relpath(out / "static" / "pyodide", static) + "/"
    prelude = PRESTART_WORKER.replace("INDEX", json.dumps(index)).replace("PACKAGES", json.dumps(PRELOAD))
    prelude = prelude.replace("IMPORTS", json.dumps(PRESTART_IMPORTS))
    prelude = prelude.replace("VIZ", browser.loader_js("i").strip())  # diagrams' layout engine, loading meanwhile
    worker.write_text(prelude + worker.read_text(encoding="utf-8"), encoding="utf-8")
    page = out / "lab" / "index.html"
    worker_url = json.dumps(os.path.relpath(worker, page.parent))
    config = '<script id="jupyter-config-data"'
    edit_text(page, config, PRESTART_PAGE.replace("WORKER", worker_url) + config)


def configure(out: Path) -> None:
    """The Pyodide kernel's settings in the built jupyter-lite.json: the site's own Pyodide, no PyPI fallback,
    esxistate preloaded."""
    path = out / "jupyter-lite.json"
    config = json.loads(path.read_text())
    data = config.setdefault("jupyter-config-data", {})
    settings = data.setdefault("litePluginSettings", {}).setdefault(PLUGIN, {})
    settings.update(
        pyodideUrl="./static/pyodide/pyodide.mjs",
        disablePyPIFallback=True,
        loadPyodideOptions={"packages": PRELOAD},
    )
    data["exposeAppInBrowser"] = True  # window.jupyterapp: the browser test opens lessons through JupyterLab's commands
    data["disabledExtensions"] = sorted({*data.get("disabledExtensions", []), *DISABLED_PLUGINS})
    path.write_text(json.dumps(config, indent=2) + "\n")


def verify(out: Path, files: dict[str, str]) -> None:
    """Fail the build when the site would reach outside itself or miss a file its kernel loads."""
    config = json.loads((out / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][PLUGIN]
    problems = []
    if settings.get("disablePyPIFallback") is not True:
        problems.append("disablePyPIFallback is not true in jupyter-lite.json")
    url = settings.get("pyodideUrl", "")
    if not url.startswith("./") or not (out / url).is_file():
        problems.append(f"pyodideUrl {url!r} is not a file of the site")
    preload = settings.get("loadPyodideOptions", {}).get("packages", [])
    problems += [f"{name!r} is preloaded but not in the lock" for name in preload if name not in files]
    for file_name in [*files.values(), "viz.js", *PYODIDE_FILES]:
        if not (out / "static" / "pyodide" / file_name).is_file():
            problems.append(f"static/pyodide/{file_name} is missing")
    for json_file in out.rglob("jupyter-lite.json"):
        text = json_file.read_text()
        if "://" in text:
            problems.append(f"{json_file.relative_to(out)} names an outside address")
    if not list((out / "files").glob("*.ipynb")):
        problems.append("no lessons under files/")
    if problems:
        raise SystemExit("the site is not usable:\n  " + "\n  ".join(problems))


def size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def build(out: Path, cache: Path) -> Path:
    started = time.monotonic()
    python = tool_env(cache)
    esx_whl = esxistate_wheel(cache)
    contents = lesson_contents(cache)
    work = cache / "lite"  # the build's own folder: its doit database never outlives one build
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if out.exists():
        shutil.rmtree(out)
    # Every cell of a lesson stays drawn (JupyterLab otherwise draws only the cells in view), so a widget far up a
    # lesson keeps working; the news pop-up never asks to reach the internet.
    overrides = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}
    (work / "overrides.json").write_text(json.dumps(overrides))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "config"), JUPYTER_DATA_DIR=str(work / "data"))
    env.pop("JUPYTER_PATH", None)
    target = ("--output-dir", out)
    run(
        [python, "-m", "jupyter", "lite", "build", "--no-sourcemaps", "--apps", "lab", "--contents", contents, *target],
        cwd=work,
        env=env,
    )
    files = install_pyodide(out, cache, esx_whl)
    for font in (out / "build").iterdir():
        if font.suffix in FONTS_NOT_LOADED and font.name.startswith("fa-"):
            font.unlink()
    edit_text(out / "service-worker.js", *SERVICE_WORKER_EDIT)
    prestart_kernel(out)
    configure(out)
    verify(out, files)
    log(f"site: {out} ({size_mb(out):.1f} MB), built in {time.monotonic() - started:.0f} s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lite", help="the site's folder (replaced)")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "lite-cache", help="downloads kept here")
    args = parser.parse_args(argv)
    build(args.out.resolve(), args.cache.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
