"""esxistate: watch an ESXi host live in memory (boot banks, tardisks, ramdisks, state.tgz), for Jupyter lessons.

    >>> import esxistate as es
    >>> host = es.Host.demo()          # an installed ESXi 7.0 host, powered off
    >>> events = host.boot()
    >>> host.fs.resolve("/etc/hosts").layer
    'etc'

The engine imports neither ipywidgets nor graphviz; renderers load only when asked for.
"""

from __future__ import annotations

from . import backup, browser, errors
from .bootbank import BankState, BootBank
from .bootcfg import BootConfig
from .configbundle import ConfigBundle
from .entry import FileEntry
from .events import Event, EventKind, HostSnapshot
from .host import Host, VibResult
from .layers import Ramdisk, Resolution, Tardisk
from .statearchive import StateArchive
from .vib import Vib

__all__ = [
    "BankState",
    "BootBank",
    "BootConfig",
    "ConfigBundle",
    "Event",
    "EventKind",
    "FileEntry",
    "Host",
    "HostSnapshot",
    "Ramdisk",
    "Resolution",
    "StateArchive",
    "Tardisk",
    "Vib",
    "VibResult",
    "backup",
    "browser",
    "errors",
    "use",
]

__version__ = "0.1.0"

browser.start()  # in a browser (JupyterLite), begin loading the diagrams' layout engine; elsewhere nothing


def use(host: Host) -> Host:
    """Make `host` the current host for the `%esxi` magic."""
    from .magics import use as _use

    return _use(host)


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext esxistate` registers the `%esxi` / `%%esxi` magics."""
    from .magics import load_ipython_extension as _load

    _load(ipython)


_LAZY = {  # loaded on first use, so `import esxistate` imports neither ipywidgets nor graphviz
    "exercises": ".exercises",
    "facts": ".facts",
    "lab": ".lab",
    "render": ".render",
    "widgets": ".render.widgets",
    "export": ".render.html",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(_LAZY[name], __name__)
    raise AttributeError(f"module 'esxistate' has no attribute {name!r}")
