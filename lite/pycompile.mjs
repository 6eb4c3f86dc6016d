// Add compiled bytecode to pure-Python wheels, compiled by the Python the browser will run (Pyodide, under Node).
//
//   node lite/pycompile.mjs PYODIDE_DIR IN_DIR OUT_DIR [--keep-source=DIST,...] MODULE...
//
// Wheels from PyPI carry only .py files, so the browser compiles every module the first time it imports it:
// importing IPython, ipywidgets and esxistate then takes longer than starting Python itself. Bytecode must come
// from the same Python version that runs it, and the Pyodide of the site is the only Python 3.14 the build has,
// so the build runs it under Node. Only the modules that importing MODULE... loads are compiled (the rest of
// pygments' lexers, jedi's and IPython's seldom-used parts stay source, keeping the site small). The .pyc files
// are unchecked-hash ones (PEP 552): they stay valid however the wheel's files are dated when Pyodide unpacks
// it. The wheels named by --keep-source (esxistate's own) keep their .py files beside the bytecode, so tracebacks
// and `??` still show the lessons' engine; in every other wheel a compiled module ships as bytecode only, as
// Pyodide's own standard library does (a sourceless `name.pyc` in place of `name.py`): the site stays under its
// size bar and Pyodide unpacks fewer files at start.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, inDir, outDir] = process.argv.slice(2, 5).map((p) => path.resolve(p));
const flags = process.argv.slice(5).filter((a) => a.startsWith("--keep-source="));
const keepSource = flags.flatMap((a) => a.slice("--keep-source=".length).split(","));
const modules = process.argv.slice(5).filter((a) => !a.startsWith("--"));
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: pyodideDir + path.sep });
for (const [dir, mount] of [[inDir, "/in"], [outDir, "/out"]]) {
  py.FS.mkdirTree(mount);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: dir }, mount);
}
py.globals.set("MODULES", py.toPy(modules));
py.globals.set("KEEP_SOURCE", py.toPy(keepSource));
py.runPython(`
import importlib, io, os, sys, sysconfig, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc
from importlib.util import source_hash
from pathlib import Path

site = "/" + sysconfig.get_paths()["purelib"].lstrip("/")  # where Pyodide unpacks a wheel: tracebacks name the files there
tag = sys.implementation.cache_tag
wheels = sorted(Path("/in").glob("*.whl"))
for wheel in wheels:
    zipfile.ZipFile(wheel).extractall(site)
importlib.invalidate_caches()
for name in MODULES:
    importlib.import_module(name)
used = set()
for module in list(sys.modules.values()):
    where = getattr(module, "__file__", None) or ""
    if where.startswith(site + "/") and where.endswith(".py"):
        used.add(where[len(site) + 1 :])
print(f"{len(used)} modules imported from the wheels")
for wheel in wheels:
    with zipfile.ZipFile(wheel) as src:
        names = src.namelist()
        items = [(info, src.read(info)) for info in src.infolist()]
    record = next(n for n in names if n.endswith(".dist-info/RECORD"))
    keep = wheel.name.split("-")[0] in KEEP_SOURCE
    out = io.BytesIO()
    added, dropped = [], set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info, data in items:
            if info.filename == record:
                continue
            code = None
            if info.filename in used:
                try:
                    code = compile(data, os.path.join(site, info.filename), "exec", dont_inherit=True)
                except SyntaxError:
                    pass  # a file for another Python version: left to fail where it always would
            if code is None or keep:
                dst.writestr(info, data)
            if code is None:
                continue
            head, tail = os.path.split(info.filename)
            if keep:
                pyc = f"{head}/__pycache__/{tail[:-3]}.{tag}.pyc".lstrip("/")
            else:
                pyc = info.filename[:-3] + ".pyc"
                dropped.add(info.filename)
            dst.writestr(pyc, bytes(_code_to_hash_pyc(code, source_hash(data), checked=False)))
            added.append(pyc)
        lines = dict((i.filename, d) for i, d in items)[record].decode().splitlines()
        lines = [line for line in lines if line.split(",")[0] not in dropped]
        lines += [f"{name},," for name in added]  # RECORD may leave a .pyc's hash empty
        dst.writestr(record, "\\n".join(lines) + "\\n")
    Path("/out", wheel.name).write_bytes(out.getvalue())
    print(f"{wheel.name}: {len(added)} modules compiled")
`);
