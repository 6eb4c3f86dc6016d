"""Snapshots share structure with the one before, the checkpoint behind every all-or-nothing operation copies
nothing, and `host.history` is a read-only view: what an event costs grows with what it changed, not with the host.
These are properties of the simulator, not of ESXi; the behaviour they must keep is ESXi's (F25, F27, F39)."""

from __future__ import annotations

import gc
import pickle
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

import esxistate as es
from esxistate.entry import DIR, FILE, FileEntry
from esxistate.events import History
from esxistate.layers import RamdiskSpec, Tardisk
from esxistate.pmap import PMap
from esxistate.visorfs import VisorFS

NOW = 1_700_000_000

_ops = st.lists(st.tuples(st.sampled_from(["set", "delete"]), st.integers(0, 60), st.integers(0, 9)), max_size=300)


@given(_ops)
def test_pmap_behaves_as_a_dict_and_every_older_version_stays_as_it_was(ops):
    """Each version equals the dict it stands for, in the dict's own order, and no later change reaches it."""
    model: dict[str, int] = {}
    current = PMap()
    versions = [(dict(model), current)]
    for op, key, value in ops:
        k = f"/etc/f{key}"
        if op == "set":
            model[k] = value
            current = current.set(k, value)
        else:
            model.pop(k, None)
            current = current.delete(k)
        versions.append((dict(model), current))
    for expected, version in versions:
        assert list(version.items()) == list(expected.items())
        assert len(version) == len(expected)
        assert version == expected
        for key in range(61):
            k = f"/etc/f{key}"
            assert (k in version) == (k in expected)
            assert version.get(k) == expected.get(k)


def test_pmap_keeps_keys_whose_hashes_collide():
    """Past 64 bits of hash two keys cannot be told apart by the trie: the leaf holds them all."""

    class Same(str):
        def __hash__(self) -> int:
            return 12345

    keys = [Same(f"k{i}") for i in range(100)]
    m = PMap()
    for i, k in enumerate(keys):
        m = m.set(k, i)
    assert len(m) == 100 and [m[k] for k in keys] == list(range(100))
    for k in keys[::2]:
        m = m.delete(k)
    assert list(m) == keys[1::2]
    with pytest.raises(KeyError):
        m[keys[0]]


def test_pmap_survives_pickling_into_a_fresh_layout():
    m = PMap({f"/p{i}": i for i in range(500)}).delete("/p7")
    back = pickle.loads(pickle.dumps(m))
    assert back == m and list(back) == list(m) and "/p7" not in back and back["/p499"] == 499


def _tardisk(name: str, files: dict[str, bytes]) -> Tardisk:
    return Tardisk.from_members(name, {p.lstrip("/"): FileEntry(FILE, 0o1644, d) for p, d in files.items()})


def _fs() -> VisorFS:
    fs = VisorFS([RamdiskSpec("root", "/", 32 * 1024), RamdiskSpec("etc", "/etc", 28 * 1024)])
    fs.mount(_tardisk("s.v00", {f"/etc/f{i}": b"x" * 10 for i in range(2000)}))
    return fs


def _state(fs: VisorFS):
    return fs.ramdisks, dict(fs.visible()), fs.tardisks, {p: fs.provider(p) for p in fs.visible()}


def test_save_journals_only_what_changes_and_nested_loads_go_back_in_order():
    fs = _fs()
    start = _state(fs)
    outer = fs.save()
    assert fs._journal == []  # saving copied nothing
    fs.write("/etc/f1", b"changed", now=NOW)  # branches f1 and makes its `.#` twin
    assert len(fs._journal) == 2  # one entry per path the write made visible: the file and its twin
    middle = _state(fs)
    inner = fs.save()
    fs.delete("/etc/f2")
    fs.mount(_tardisk("z.v00", {"/etc/f3": b"z", "/z": b"z"}))
    fs.load(inner)
    assert _state(fs) == middle
    fs.load(outer)
    assert _state(fs) == start
    assert fs.read("/etc/f1") == b"x" * 10
    with pytest.raises(ValueError):
        fs.load(inner)  # a state saved after one that was loaded since cannot come back


def test_the_journal_is_dropped_once_no_saved_state_is_held():
    fs = _fs()
    saved = fs.save()
    fs.write("/etc/f1", b"changed", now=NOW)
    assert fs._journal
    del saved
    gc.collect()
    assert fs._journal == []
    fs.write("/etc/f2", b"changed", now=NOW)
    assert fs._journal == []  # nothing to undo for, nothing noted


def _reference_files(snap: es.HostSnapshot) -> dict[str, FileEntry]:
    """The overlay rule written out: tardisks in mount order, then ramdisks from the shallowest mount down."""
    merged = {"/": FileEntry(DIR, 0o755)}
    for td in snap.tardisks:
        merged.update(td.members)
    for rd in sorted(snap.ramdisks, key=lambda r: len(r.mount)):
        for path, entry in rd.files.items():
            if rd.holds(path):
                if entry.kind == "whiteout":
                    merged.pop(path, None)
                else:
                    merged[path] = entry
    return merged


def test_a_snapshot_shows_the_files_the_running_host_showed_at_that_event():
    host = es.Host.demo("6.7")
    host.boot()
    seen = []
    steps = [
        lambda: host.fs.write("/etc/hosts", "127.0.0.1 lab\n"),
        lambda: host.fs.delete("/etc/motd"),
        lambda: host.fs.mkdir("/tmp/lab"),
        lambda: host.fs.write("/tmp/lab/a", "a"),
        lambda: host.install_vib(es.Vib.build("lab-motd", "1.0", {"/etc/motd": "Hello\n"}, overlay=True)),
        lambda: host.fs.chmod("/etc/ssh/sshd_config", 0o1600),
        host.backup,
    ]
    for step in steps:
        step()
        seen.append((host.history[-1], dict(host._fs.visible())))
    for event, visible in seen:
        snap = event.snapshot
        assert dict(snap.files) == visible == _reference_files(snap)
        assert all(snap.files.get(p) is e for p, e in visible.items())
        assert "/nope" not in snap.files and snap.files.get(7) is None
    assert not seen[1][0].snapshot.exists("/etc/motd") and seen[-1][0].snapshot.exists("/etc/motd")


def _kept_per_write(host: es.Host, start: int, n: int = 40) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(start, start + n):
            host.fs.write(f"/var/run/iofilters/f{i:05d}", b"x" * 100)
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - before) / n
    finally:
        tracemalloc.stop()


def test_what_an_event_keeps_does_not_grow_with_the_files_already_on_its_ramdisk():
    """A ramdisk holding 30 times more files costs each new event at most a few times more (the trie is a level
    or two deeper), where copying the ramdisk's files per event would cost 30 times more."""
    small, large = es.Host.demo("7.0"), es.Host.demo("7.0")
    small.boot()
    large.boot()
    for i in range(3000):
        large.fs.write(f"/var/run/iofilters/f{i:05d}", b"x" * 100)
    for i in range(100):
        small.fs.write(f"/var/run/iofilters/f{i:05d}", b"x" * 100)
    assert _kept_per_write(large, 3000) < 4 * _kept_per_write(small, 100)


def test_history_is_a_read_only_view_that_behaves_as_a_list_for_reading():
    host = es.Host.demo("7.0")
    events = host.boot()
    view = host.history
    assert isinstance(view, History) and view._events is host._history  # a view: nothing was copied
    as_list = list(host._history)
    assert view == as_list and len(view) == len(as_list) and list(view) == as_list
    assert view[0] is as_list[0] and view[-1] is as_list[-1] and view[-len(view)] is as_list[0]
    assert view[1:3] == as_list[1:3] and view[::-2] == as_list[::-2] and view[5:2] == []
    assert view[-len(events) :] == events and view.index(as_list[2]) == 2 and as_list[3] in view
    with pytest.raises(IndexError):
        view[len(view)]
    with pytest.raises(TypeError):
        view[0] = as_list[1]  # type: ignore[index]
    with pytest.raises(AttributeError):
        view.append(as_list[0])  # type: ignore[attr-defined]
    host.fs.write("/tmp/x", "x")
    assert len(view) == len(as_list) and len(host.history) == len(as_list) + 1  # later events are not in it
    assert view != host.history


def test_a_history_read_before_a_rollback_keeps_the_events_it_showed():
    host = es.Host.demo("7.0")
    host.boot()
    host.fs.write("/tmp/a", "a")
    cp = host._checkpoint()
    host.fs.write("/tmp/b", "b")
    during = host.history
    last = during[-1]
    host._rollback(cp, host._fs)
    assert len(host.history) == len(during) - 1
    host.fs.write("/tmp/c", "c")
    assert during[-1] is last and "/tmp/b" in last.paths and "/tmp/c" in host.history[-1].paths
    assert not host.fs.exists("/tmp/b")


def test_of_two_ramdisks_holding_a_path_the_deeper_mount_serves_it_and_its_whiteout_hides_it():
    """A ramdisk mounted over a directory that already had files (F29: services add ramdisks) serves its own copy."""
    import dataclasses

    from esxistate.entry import WHITEOUT
    from esxistate.layers import Ramdisk

    host = es.Host.demo("7.0")
    host.boot()
    snap = host.snapshot()
    a, b = FileEntry(FILE, 0o644, b"root's"), FileEntry(FILE, 0o644, b"etc's")
    root = Ramdisk("root", "/", 1 << 20, PMap({"/etc/x": a, "/etc/y": a}))
    etc = Ramdisk("etc", "/etc", 1 << 20, PMap({"/etc/x": b, "/etc/y": FileEntry(WHITEOUT, 0)}))
    for order in ((root, etc), (etc, root)):
        made = dataclasses.replace(snap, ramdisks=order)
        assert made.files["/etc/x"] is b and made.read("/etc/x") == b"etc's"
        assert "/etc/y" not in made.files and dict(made.files) == _reference_files(made)
