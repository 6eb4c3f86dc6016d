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


PROSE = ("summary", "reason")  # an event's sentence, a backup result's sentence


def _reads_prose(tree: ast.AST) -> list[int]:
    """Line numbers of `... in <x>.summary` / `<x>.reason.startswith(...)`: decisions taken from a sentence."""
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr in PROSE for s in sides[1:]):
                hits.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith", "split", "find", "index")
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr in PROSE
        ):
            hits.append(node.lineno)
    return hits


def test_no_module_decides_anything_by_reading_an_event_summary_or_a_skip_reason():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        lines = _reads_prose(ast.parse(path.read_text()))
        if lines:
            found[str(path.relative_to(PACKAGE))] = lines
    assert found == {}


def test_the_prose_check_can_fail():
    assert _reads_prose(ast.parse('if "created" in e.summary: pass')) == [1]
    assert _reads_prose(ast.parse("ok = e.summary.startswith('ESXi')")) == [1]
    assert _reads_prose(ast.parse('if "hour" in result.reason: pass')) == [1]
    assert _reads_prose(ast.parse('ok = e.kind in ("write", "branch")')) == []


def test_why_a_backup_was_skipped_is_data_the_explanations_read():
    """Each skipped run carries its cause (backup.SKIP_CAUSES) and `why` explains it from the cause: hostd's six an
    hour (F21), nothing with a twin (F16), nothing changed (F14)."""
    from esxistate.backup import SKIP_CAUSES

    host = es.Host.demo("7.0")
    host.boot()
    causes = [host.backup().cause]  # a fresh host: nothing changed since its first backup, or nothing to save
    host.fs.write("/etc/hosts", "127.0.0.1 localhost\n")
    host.backup()
    causes.append(host.backup().cause)
    assert causes[-1] == "unchanged" and set(causes) <= set(SKIP_CAUSES)
    skipped = [e for e in host.history if e.kind is EventKind.BACKUP_SKIPPED]
    assert skipped and all(e.details["result"].cause in SKIP_CAUSES for e in skipped)
    assert "F14" in skipped[-1].facts and "nothing differed" in skipped[-1].why


def test_safeboot_records_each_bootstate_it_rewrote():
    """safeboot's F6 transitions are data on the bootloader event: a staged image's first boot is UPGRADING ->
    DIRTY, and the bank's confirmation follows at boot-complete (F5, F6)."""
    host = es.Host.demo("6.7")
    host.boot()
    host.upgrade("7.0")
    host.reboot()
    loader = [e for e in host.history if e.kind is EventKind.BOOTLOADER][-1]
    moves = loader.details["transitions"]
    assert [(before.name, after.name, why) for _label, before, after, why in moves] == [
        ("UPGRADING", "DIRTY", "first-boot")
    ]
    assert "freshly written bank DIRTY" in loader.why


def test_each_cron_run_is_recorded_as_a_moment_and_an_outcome():
    """crond runs auto-backup.sh at minute 1 of every hour (F12); each run it lists is data: its moment and what it
    did, so narration and the clock strip never read the "HH:MM outcome" words."""
    host = es.Host.demo("7.0")
    host.boot()
    host.fs.write("/etc/hosts", "127.0.0.1 localhost\n10.0.0.9 lab\n")
    host.advance(hours=3)
    clock = host.history[-1]
    times, outcomes = clock.details["cron_times"], clock.details["cron_outcomes"]
    assert len(times) == len(outcomes) == clock.details["cron_runs"] == 3
    assert all(t.minute == 1 for t in times) and outcomes[0] == "backup"
    assert set(outcomes[1:]) == {"nothing to save"}
    assert [f"{t:%H:%M} {o}" for t, o in zip(times, outcomes, strict=True)] == list(clock.details["cron"])
