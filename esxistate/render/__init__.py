"""Renderers: graphviz diagrams of a host (layer stack, boot flow, backup flow, boot banks) and their display hooks.

Importing this package imports `graphviz` (to build DOT text); the engine never does (DESIGN.md, "Layers"). Diagrams
are laid out by our own call to `graphviz-pure` (or a `dot` on PATH), see `svg`.

    >>> import esxistate as es
    >>> from esxistate import render
    >>> host = es.Host.demo("6.7"); events = host.boot()
    >>> "serves /etc/hosts" in render.layer_stack(host, "/etc/hosts").source
    True
"""

from __future__ import annotations

from .graph import (
    Diagram,
    backup_flow,
    boot_config,
    boot_flow,
    bootbanks,
    bootconfig_bundle,
    host_bundle,
    layer_stack,
    snapshot_bundle,
    snapshot_of,
    state_archive,
    statearchive_bundle,
    tardisk_bundle,
)
from .svg import LayoutFailed, display_bundle, find_executable, to_png, to_svg
from .table import Table, columns
from .vanished import diagnose, why_vanished

__all__ = [
    "Diagram",
    "LayoutFailed",
    "Table",
    "backup_flow",
    "boot_config",
    "boot_flow",
    "bootbanks",
    "bootconfig_bundle",
    "columns",
    "diagnose",
    "display_bundle",
    "find_executable",
    "host_bundle",
    "layer_stack",
    "snapshot_bundle",
    "snapshot_of",
    "state_archive",
    "statearchive_bundle",
    "tardisk_bundle",
    "to_png",
    "to_svg",
    "why_vanished",
]
