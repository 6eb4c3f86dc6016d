"""Graphviz diagrams of an ESXi host: the VisorFS layer stack, the boot flow, the backup flow and the two boot banks.

Each function reads a `HostSnapshot` (give it a Host, a snapshot or an Event) and returns a `Diagram`: a
`graphviz.Digraph` whose `.source` is deterministic DOT text, labelled in ESXi's own words (tardisk, ramdisk,
bootbank, altbootbank, boot.cfg, state.tgz, local.tgz, `.#` twin), with a legend. Nothing here changes a host.

This module is the one place to import them from; each diagram lives in a module of its own:

    dot         the Diagram class, fonts, escaping, labels and legends every diagram is built from
    stack       layer_stack: tardisks under ramdisks, which layer serves a path, folding at scale
    bootflow    boot_flow and boot_config: boot.cfg's modules in order, VMkernel side against tardisks
    backupflow  backup_flow: the .# files into local.tgz into state.tgz, temporary names then one rename
    banks       bootbanks: BOOTBANK1/BOOTBANK2, updated=, bootstate, safeboot's choice and Shift+R
    archives    state_archive: a state.tgz opened in memory
    hooks       the *_bundle display hooks the engine's values call (esxistate.display)
    palette     every colour, named for what it means
"""

from __future__ import annotations

from . import palette
from .archives import state_archive
from .backupflow import backup_flow
from .banks import bootbanks
from .bootflow import boot_config, boot_flow
from .dot import FONT, MONO, STATE_STYLE, Diagram, snapshot_of  # noqa: F401 (FONT, MONO, STATE_STYLE: as before)
from .hooks import bootconfig_bundle, host_bundle, snapshot_bundle, statearchive_bundle, tardisk_bundle
from .palette import *  # noqa: F403 (graph.TARDISK, graph.SERVES, ...: the colour names this module always offered)
from .stack import FOLD_ABOVE, TOP_SHOWN, layer_stack  # noqa: F401 (the folding thresholds: as before)

BANK = palette.BOOTBANK  # the name this module gave the boot bank's fill before the palette

__all__ = [
    "Diagram",
    "backup_flow",
    "boot_config",
    "boot_flow",
    "bootbanks",
    "bootconfig_bundle",
    "host_bundle",
    "layer_stack",
    "snapshot_bundle",
    "snapshot_of",
    "state_archive",
    "statearchive_bundle",
    "tardisk_bundle",
]
