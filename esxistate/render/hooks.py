"""The display hooks: what `_repr_mimebundle_` on the engine's values calls (through `esxistate.display`), each
returning a Jupyter bundle with the value's own repr as text/plain.
"""

from __future__ import annotations

from typing import Any

from esxistate.sizes import readable as _size

from ..bootcfg import BootConfig
from ..entry import mode_string
from ..events import HostSnapshot
from ..layers import Tardisk
from ..statearchive import StateArchive
from . import svg
from .archives import state_archive
from .banks import bootbanks
from .bootflow import boot_config
from .dot import _e
from .stack import layer_stack

__all__ = ["bootconfig_bundle", "host_bundle", "snapshot_bundle", "statearchive_bundle", "tardisk_bundle"]


def snapshot_bundle(snap: HostSnapshot, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A HostSnapshot in Jupyter: its layer stack when running, its boot banks when off; text/plain is its repr."""
    diagram = layer_stack(snap) if snap.powered_on and snap.tardisks else bootbanks(snap)
    return svg.display_bundle(diagram, text=repr(snap), include=include, exclude=exclude)


def host_bundle(host: Any, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A Host in Jupyter: the picture of its snapshot now; text/plain is the host's repr."""
    snap = host.snapshot()
    diagram = layer_stack(snap) if snap.powered_on and snap.tardisks else bootbanks(snap)
    return svg.display_bundle(diagram, text=repr(host), include=include, exclude=exclude)


def bootconfig_bundle(config: BootConfig, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A BootConfig in Jupyter: its modules in order, VMkernel side vs tardisks; text/plain is its repr."""
    return svg.display_bundle(boot_config(config), text=repr(config), include=include, exclude=exclude)


def statearchive_bundle(sa: StateArchive, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """A StateArchive in Jupyter: state.tgz -> local.tgz -> files; text/plain is its repr."""
    return svg.display_bundle(state_archive(sa), text=repr(sa), include=include, exclude=exclude)


def tardisk_bundle(td: Tardisk, include: Any = None, exclude: Any = None, limit: int = 40) -> dict[str, str]:
    """A Tardisk in Jupyter: its members as `tar tzvf` would list them (an HTML table, no layout program needed)."""
    rows = []
    for path, entry in sorted(td.members.items())[:limit]:
        rows.append(
            f"<tr><td><code>{_e(mode_string(entry))}</code></td><td><code>{_e(path)}</code></td>"
            f'<td style="text-align:right">{entry.size}</td></tr>'
        )
    more = f"<p>… and {len(td.members) - limit} more entries</p>" if len(td.members) > limit else ""
    table = (
        f'<table><caption style="text-align:left"><b>tardisk {_e(td.name)}</b>: read-only, '
        f"{len(td.members)} entries, {_e(_size(td.size))}</caption>{''.join(rows)}</table>{more}"
    )
    bundle = {"text/html": table, "text/plain": repr(td)}
    return svg.filter_bundle(bundle, include, exclude)
