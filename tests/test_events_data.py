"""Events as data: every event's kind is an EventKind, and code reads kinds and details, never the engine's prose."""

from __future__ import annotations

import ast
from pathlib import Path

import esxistate as es
from esxistate.eventkind import BACKUPS, BOOT_STEPS, FILE_CHANGES, POWER_OFF, EventKind

PACKAGE = Path(es.__file__).parent


def _busy_host() -> es.Host:
    """A host taken through boot, edits, backups, a VIB, an upgrade, a power cut and a reboot."""
    host = es.Host.demo("6.7")
    host.boot()
    host.fs.write("/etc/hosts", "127.0.0.1 localhost\n10.0.0.5 esx01\n")
    host.fs.mkdir("/tmp/lab")
    host.fs.write("/tmp/lab/notes", "x")
    host.fs.delete("/tmp/lab/notes")
    host.fs.rmdir("/tmp/lab")
    host.advance(hours=2)
    host.backup()
    host.configure("hostname", "esx01")
    host.set_maintenance_mode(True)
    host.install_vib(es.Vib.build("lab-tools", "1.0-1", {"/opt/lab/tool": b"#!/bin/sh\n"}), live=False)
    host.reboot()
    host.upgrade("7.0")
    host.power_loss()
    host.boot()
    return host


def test_every_recorded_kind_is_an_event_kind_and_still_reads_as_its_word():
    history = _busy_host().history
    kinds = {e.kind for e in history}
    assert all(isinstance(k, EventKind) for k in kinds)
    # the str enum keeps old comparisons and sets of words working
    assert {"write", "backup", "vib-install", "upgrade", "power-loss", "boot-complete"} <= kinds
    assert all(f"{k}" == k.value and str(k) == k.value for k in kinds)
    assert all(e.kind.value in repr(e) for e in history)


def test_the_groups_partition_what_they_name():
    assert BOOT_STEPS.isdisjoint(FILE_CHANGES | BACKUPS | POWER_OFF)
    assert FILE_CHANGES.isdisjoint(BACKUPS | POWER_OFF)
    assert BACKUPS.isdisjoint(POWER_OFF)
    assert {k.value for k in EventKind} >= {"bootloader", "clock", "ramdisk-full", "bootbank-alert"}


def test_an_unknown_kind_is_refused_where_it_is_recorded():
    """A kind that is not an EventKind is a bug in the engine; recording it fails loudly instead of drawing nothing."""
    host = es.Host.demo()
    host.boot()
    before = len(host.history)
    try:
        host._record("reboted", "typo")
    except ValueError as err:
        assert "reboted" in str(err)
    else:
        raise AssertionError("an unknown event kind was recorded")
    assert len(host.history) == before


def _reads_prose(tree: ast.AST) -> list[int]:
    """Line numbers of `... in <x>.summary` / `<x>.summary.startswith(...)`: decisions taken from a sentence."""
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "summary" for s in sides[1:]):
                hits.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith", "split", "find", "index")
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "summary"
        ):
            hits.append(node.lineno)
    return hits


def test_no_module_decides_anything_by_reading_an_event_summary():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        lines = _reads_prose(ast.parse(path.read_text()))
        if lines:
            found[str(path.relative_to(PACKAGE))] = lines
    assert found == {}


def test_the_prose_check_can_fail():
    assert _reads_prose(ast.parse('if "created" in e.summary: pass')) == [1]
    assert _reads_prose(ast.parse("ok = e.summary.startswith('ESXi')")) == [1]
    assert _reads_prose(ast.parse('ok = e.kind in ("write", "branch")')) == []
