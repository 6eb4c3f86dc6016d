"""Random operation sequences checked, step by step, against a tiny reference model written in this file.

The model states the rules again with plain dicts and lists; it imports no overlay or backup logic from the engine.

- Overlay (VisorFS): a list of tardisk dicts, bottom to top, and one dict per ramdisk. The ramdisk that holds a
  path (longest mount point) wins, else the topmost tardisk (F27, F39); deleting a path a tardisk still ships
  leaves a whiteout; the first content write to a sticky /etc file keeps its old bytes in a `.#` twin (F25);
  mounting a tardisk clears the whiteouts of the paths it ships; unmounting reveals the copy below; a write
  that does not fit its ramdisk raises RamdiskFull and changes nothing (F28).
- Persistence (Host): live contents, what state.tgz holds, which files have a twin, and the clock. Cron backs up
  at minute 1 of every hour only when a saved file differs (F12, F14); shutdown saves unconditionally (F13, F22);
  a power loss saves nothing (F23); a hostd change backs up at once, at most 6 times a rolling hour (F21); at
  boot the saved files come back with their twins and everything else is the image's (F38). Staging a
  reboot-required VIB or an upgrade writes a fresh backup into the new bank (F49), which the next boot restores
  whether or not an orderly shutdown came first (F20, F23). After the 6.7 -> 7.0 upgrade Shift+R is refused and
  the host is left as it was (F45). On 7.x, local.tgz also holds the ConfigStore database (F35).
"""

from __future__ import annotations

import posixpath
from datetime import datetime, timedelta

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

import esxistate as es
from esxistate.entry import DIR, FILE, FileEntry
from esxistate.errors import EsxiStateError, NoSuchFile, OperationNotPermitted, RamdiskFull, RollbackNotPossible
from esxistate.layers import RamdiskSpec, Tardisk
from esxistate.visorfs import VisorFS

STICKY_BIT = 0o1000
NOW = 1_760_000_000


def twin(path: str) -> str:
    head, name = posixpath.split(path)
    return f"{head}/.#{name}"


def is_twin(path: str) -> bool:
    return posixpath.basename(path).startswith(".#")


# -- part a: the overlay ----------------------------------------------------------------------------------------

# name -> (mount point, capacity in KiB); "stats" sits inside "var", so the longest mount point must win
RAMDISKS = {"root": ("/", 4), "etc": ("/etc", 2), "var": ("/var", 3), "stats": ("/var/lib/stats", 1)}
FILES = (
    "/etc/hosts",
    "/etc/ntp.conf",
    "/etc/motd",
    "/etc/ssh/sshd_config",
    "/var/log/vmkernel.log",
    "/var/lib/stats/host.db",
    "/opt/tool/run.sh",
)
TWINS = tuple(twin(p) for p in FILES)  # only the /etc ones may ever appear
DIRS = ("/", "/etc", "/etc/ssh", "/var", "/var/log", "/var/lib", "/var/lib/stats", "/opt", "/opt/tool")
BASE = "base.v00"  # ships every directory above and is never unmounted, so no directory ever disappears


def holder(path: str) -> str:
    """The ramdisk whose mount point is the longest prefix of `path`."""
    best = ""
    for name, (mount, _kib) in RAMDISKS.items():
        inside = mount == "/" or path == mount or path.startswith(mount + "/")
        if inside and (not best or len(mount) > len(RAMDISKS[best][0])):
            best = name
    return best


class Overlay:
    """Tardisks as (name, {path: (data, mode)}) bottom to top; ramdisks as {path: (data, mode) or None}, where
    None is a whiteout. Directories are not modelled: every one in DIRS is always there."""

    def __init__(self) -> None:
        self.tardisks: list[tuple[str, dict[str, tuple[bytes, int]]]] = []
        self.ram: dict[str, dict[str, tuple[bytes, int] | None]] = {name: {} for name in RAMDISKS}

    def holders(self, path: str) -> list[str]:
        """Tardisks shipping `path`, top first."""
        return [name for name, files in reversed(self.tardisks) if path in files]

    def get(self, path: str) -> tuple[bytes, int] | None:
        """What `path` shows: its ramdisk's copy (None for a whiteout), else the last-mounted tardisk's copy."""
        disk = self.ram[holder(path)]
        if path in disk:
            return disk[path]
        shipped = [files[path] for _name, files in self.tardisks if path in files]
        return shipped[-1] if shipped else None

    def resolution(self, path: str) -> tuple[str | None, str | None, tuple[str, ...], bool]:
        """(layer, kind, shadowed, deleted) as `resolve` must report them."""
        owner = holder(path)
        disk = self.ram[owner]
        tops = self.holders(path)
        if path in disk:
            if disk[path] is None:
                return None, None, tuple(tops), True
            return owner, "ramdisk", tuple(tops), False
        if tops:
            return tops[0], "tardisk", tuple(tops[1:]), False
        return None, None, (), False

    def used(self, name: str) -> int:
        return sum(len(v[0]) for v in self.ram[name].values() if v is not None)

    def capacity(self, name: str) -> int:
        return RAMDISKS[name][1] * 1024

    # each change returns the error class the engine must raise, or None
    def mount(self, name: str, files: dict[str, tuple[bytes, int]]) -> None:
        self.tardisks.append((name, files))
        for path in files:
            disk = self.ram[holder(path)]
            if path in disk and disk[path] is None:
                del disk[path]

    def unmount(self, name: str) -> None:
        self.tardisks = [(n, f) for n, f in self.tardisks if n != name]

    def write(self, path: str, body: bytes, append: bool) -> type[EsxiStateError] | None:
        if is_twin(path):
            return OperationNotPermitted
        old = self.get(path)
        new = ((old[0] + body) if append and old else body, old[1] if old else 0o644)
        changes = {path: new}
        shipped_sticky = any(path in f and f[path][1] & STICKY_BIT for _n, f in self.tardisks)  # F25, F26
        if old and old[1] & STICKY_BIT and shipped_sticky and path.startswith("/etc/") and self.get(twin(path)) is None:
            changes[twin(path)] = (old[0], old[1] & ~STICKY_BIT)
        name = holder(path)
        disk = self.ram[name]
        grows = sum(len(v[0]) for v in changes.values()) - sum(len(disk[k][0]) for k in changes if disk.get(k))
        if grows > 0 and self.used(name) + grows > self.capacity(name):
            return RamdiskFull
        disk.update(changes)
        return None

    def delete(self, path: str) -> type[EsxiStateError] | None:
        if is_twin(path):
            return OperationNotPermitted
        if self.get(path) is None:
            return NoSuchFile
        disk = self.ram[holder(path)]
        if self.holders(path):
            disk[path] = None
        else:
            del disk[path]
        return None

    def chmod(self, path: str, mode: int) -> type[EsxiStateError] | None:
        if is_twin(path):
            return OperationNotPermitted
        old = self.get(path)
        if old is None:
            return NoSuchFile
        name = holder(path)
        copy = self.ram[name].get(path)
        grows = len(old[0]) - (len(copy[0]) if copy else 0)
        if grows > 0 and self.used(name) + grows > self.capacity(name):
            return RamdiskFull
        self.ram[name][path] = (old[0], mode)
        return None


def entries(files: dict[str, tuple[bytes, int]]) -> dict[str, FileEntry]:
    return {p.lstrip("/"): FileEntry(FILE, mode, data) for p, (data, mode) in files.items()}


def assert_overlay_agrees(fs: VisorFS, model: Overlay, step: object) -> None:
    assert [t.name for t in fs.tardisks] == [name for name, _f in model.tardisks], step
    for path in FILES + TWINS:
        want = model.get(path)
        hit = fs.lookup(path)
        assert ((hit.data, hit.mode) if hit is not None else None) == want, (step, path)
        assert fs.exists(path) is (want is not None), (step, path)
        if want is None:
            with pytest.raises(NoSuchFile):
                fs.read(path)
        else:
            assert fs.read(path) == want[0], (step, path)
        res = fs.resolve(path)
        assert (res.layer, res.kind, res.shadowed, res.deleted) == model.resolution(path), (step, path, res)
        assert fs.provider(path) == res.layer, (step, path)  # the index agrees with the scan of the layers
    for d in DIRS:
        assert fs.exists(d) and fs.entry(d).kind == DIR, (step, d)
        inside = [p for p in DIRS + FILES + TWINS if p != "/" and posixpath.dirname(p) == d]
        want = sorted(posixpath.basename(p) for p in inside if p in DIRS or model.get(p) is not None)
        assert fs.listdir(d) == want, (step, d)
    assert fs.twins() == sorted(t for t in TWINS if t.startswith("/etc/") and model.get(t)), step
    for name in RAMDISKS:
        rd = fs.ramdisk(name)
        assert (rd.used, rd.capacity) == (model.used(name), model.capacity(name)), (step, name)


paths = st.sampled_from((*FILES, "/etc/.#hosts", "/etc/.#motd"))  # twins: refused, nothing changes
overlay_ops = st.one_of(
    st.tuples(
        st.just("mount"),
        st.dictionaries(st.sampled_from(FILES), st.booleans(), min_size=1, max_size=4),  # path -> sticky
    ),
    st.tuples(st.just("unmount"), st.integers(0, 20)),
    st.tuples(st.just("write"), paths, st.one_of(st.integers(0, 600), st.just(1500)), st.booleans()),
    st.tuples(st.just("delete"), paths),
    st.tuples(st.just("chmod"), paths, st.sampled_from([0o644, 0o600, 0o1644, 0o1755])),
)


def refused_as(error: type[EsxiStateError] | None, action, *args, **kwargs) -> None:
    """Run `action`; it must raise `error`, or succeed when `error` is None."""
    if error is None:
        action(*args, **kwargs)
        return
    with pytest.raises(error):
        action(*args, **kwargs)


def run_overlay(base: dict[str, bool], ops: list[tuple]) -> None:
    fs = VisorFS([RamdiskSpec(name, mount, kib) for name, (mount, kib) in RAMDISKS.items()])
    model = Overlay()
    shipped = {p: (f"{BASE} {p}\n".encode(), 0o1644 if sticky else 0o644) for p, sticky in base.items()}
    dirs = {d.lstrip("/"): FileEntry(DIR, 0o755) for d in DIRS if d != "/"}
    fs.mount(Tardisk.from_members(BASE, {**dirs, **entries(shipped)}))
    model.mount(BASE, shipped)
    assert_overlay_agrees(fs, model, "mount base")
    for n, op in enumerate(ops):
        kind = op[0]
        expected: type[EsxiStateError] | None = None
        if kind == "mount":
            name = f"t{n}.v00"
            files = op[1]
            shipped = {p: (f"{name} {p}\n".encode(), 0o1644 if sticky else 0o644) for p, sticky in files.items()}
            fs.mount(Tardisk.from_members(name, entries(shipped)))
            model.mount(name, shipped)
        elif kind == "unmount":
            if len(model.tardisks) < 2:
                continue
            name = model.tardisks[1 + op[1] % (len(model.tardisks) - 1)][0]
            assert fs.unmount(name).name == name
            model.unmount(name)
        elif kind == "write":
            _k, path, size, append = op
            body = bytes([65 + n % 26]) * size
            expected = model.write(path, body, append)
            refused_as(expected, fs.write, path, body, now=NOW + n, append=append)
        elif kind == "delete":
            expected = model.delete(op[1])
            refused_as(expected, fs.delete, op[1])
        else:
            expected = model.chmod(op[1], op[2])
            refused_as(expected, fs.chmod, op[1], op[2], now=NOW + n)
        event(f"overlay: {kind} -> {expected.__name__ if expected else 'ok'}")
        assert_overlay_agrees(fs, model, (n, op, expected))


@given(
    base=st.dictionaries(st.sampled_from(FILES), st.booleans()),
    ops=st.lists(overlay_ops, min_size=3, max_size=50),
)
@example(  # a sticky file: the first edit keeps a twin, the second does not replace it; deleting leaves a whiteout
    base={"/etc/hosts": True},
    ops=[("write", "/etc/hosts", 10, False), ("write", "/etc/hosts", 5, True), ("delete", "/etc/hosts")],
)
@example(  # a newer tardisk hides the base; its unmount reveals the base copy again; a mount clears a whiteout
    base={"/opt/tool/run.sh": False, "/var/lib/stats/host.db": True},
    ops=[
        ("mount", {"/opt/tool/run.sh": False}),
        ("delete", "/var/lib/stats/host.db"),
        ("mount", {"/var/lib/stats/host.db": False}),
        ("unmount", 0),
    ],
)
@example(  # etc holds 2 KiB: a 1500-byte edit fits next to the twin of the old bytes; a second 1500 bytes do not
    base={"/etc/ntp.conf": True},
    ops=[("write", "/etc/ntp.conf", 1500, False), ("write", "/etc/motd", 1500, False)],
)
def test_overlay_agrees_with_the_model_after_every_step(base, ops):
    run_overlay(base, ops)


# -- part b: persistence ------------------------------------------------------------------------------------------

STICKY_FILES = ("/etc/hosts", "/etc/ntp.conf", "/etc/rc.local.d/local.sh")
PLAIN_FILES = ("/etc/pam.d/system-auth", "/etc/motd")
CRONTAB = "/var/spool/cron/crontabs/root"
TRACKED = (*STICKY_FILES, *PLAIN_FILES, CRONTAB)
HOSTD_LIMIT = 6


class Persistence:
    """One host as a student would predict it: live content (None when deleted), the sticky bit, which files have a
    `.#` twin, what state.tgz holds (content and sticky bit per tracked file), the clock, hostd's recent backups."""

    def __init__(
        self, images: dict[bool, dict[str, tuple[bytes, bool]]], saved: dict[str, tuple[bytes, bool]], clock: datetime
    ):
        self.images = images  # the image's files of 6.x (False) and 7.x (True): root's crontab differs (F12, F48)
        self.saved = saved
        self.clock = clock
        self.live: dict[str, bytes | None] = {}
        self.sticky: dict[str, bool] = {}
        self.twins: set[str] = set()
        self.hostd: list[datetime] = []
        self.seven = False  # running 7.x: local.tgz also holds the ConfigStore database (F35)
        self.saved_store = False  # does state.tgz hold a ConfigStore database?
        self.store_dirty = False  # does the running database differ from that copy?
        self.staged: tuple[dict[str, tuple[bytes, bool]], bool, bool] | None = None  # altbootbank: (saved, store, 7.x)
        self.upgraded = False  # the 6.7 -> 7.0 upgrade was staged (once is enough)
        self.no_way_back = False  # Shift+R's other bank is 6.x or was re-laid away: it is refused (F45)
        self.boot()

    @property
    def image(self) -> dict[str, tuple[bytes, bool]]:
        return self.images[self.seven]

    def boot(self) -> None:
        """The image's files, then the saved ones on top, each /etc one with its twin again (F38, F25). A staged
        bank boots next, with the state staging saved into it (F7, F49)."""
        if self.staged is not None:
            self.saved, self.saved_store, self.seven = self.staged
            self.staged = None
        for path in TRACKED:
            self.live[path], self.sticky[path] = self.saved.get(path, self.image[path])
        self.twins = {p for p in self.saved if p.startswith("/etc/")}
        self.hostd = []
        self.store_dirty = self.seven and not self.saved_store  # 7.0's first boot makes a fresh database

    def stage(self, *, upgrade: bool = False) -> None:
        """backup.sh 0 /altbootbank while staging (F49): the new bank holds the configuration as it is now."""
        fresh = {p: (self.live[p], self.sticky[p]) for p in self.persisted()}
        seven_next = self.seven or upgrade or (self.staged is not None and self.staged[2])  # a staged 7.0 stays
        self.staged = (fresh, self.seven, seven_next)
        self.upgraded = self.upgraded or upgrade
        # a 7.x image staged from 7.x overwrites the re-laid bank: Shift+R could go back to 7.x (not modelled here)
        self.no_way_back = upgrade or (self.no_way_back and not self.seven)

    def persisted(self) -> list[str]:
        """backup.sh's list (F16): files that exist and have a twin."""
        return [p for p in TRACKED if p in self.twins and self.live[p] is not None]

    def dirty(self) -> bool:
        """auto-backup.sh's question (F14): does a file to save differ from its copy in state.tgz?"""
        return self.store_dirty or any(self.saved.get(p, (None,))[0] != self.live[p] for p in self.persisted())

    def save(self, *, shutdown: bool = False) -> None:
        self.saved = {p: (self.live[p], self.sticky[p]) for p in self.persisted()}
        self.saved_store, self.store_dirty = self.seven, False
        if shutdown and self.staged is not None:  # an orderly shutdown writes the staged bank too (F20)
            self.staged = (dict(self.saved), self.seven, self.staged[2])

    def write(self, path: str, data: bytes, append: bool = False) -> None:
        old = self.live[path]
        if old is None:
            self.live[path], self.sticky[path] = data, False  # a new file: mode 0644
            return
        if self.sticky[path] and path.startswith("/etc/"):
            self.twins.add(path)
        self.live[path] = old + data if append else data

    def cron_on(self) -> bool:
        return self.live[CRONTAB] is not None and b"/sbin/auto-backup.sh" in self.live[CRONTAB]


def image_of(host: es.Host) -> dict[str, tuple[bytes, bool]]:
    out = {}
    for path in TRACKED:
        entry = next(t.members[path] for t in reversed(host.tardisks) if path in t.members)
        out[path] = (entry.data, entry.sticky)
    return out


def state_tgz(host: es.Host, bank: es.BootBank | None = None) -> dict[str, tuple[bytes, bool]]:
    files = es.StateArchive.from_bytes((bank or host.bootbank).read("state.tgz")).files
    return {"/" + rel: (e.data, e.sticky) for rel, e in files.items() if "/" + rel in TRACKED}


def assert_host_agrees(host: es.Host, model: Persistence, step: object) -> None:
    assert host.powered_on and host.clock == model.clock, step
    for path in TRACKED:
        want = model.live[path]
        assert host.fs.exists(path) is (want is not None), (step, path)
        if want is not None:
            assert host.fs.read(path) == want, (step, path)
            assert host.fs.stat(path).sticky is model.sticky[path], (step, path)
        if path.startswith("/etc/"):
            assert host.fs.exists(twin(path)) is (path in model.twins), (step, twin(path))
    assert state_tgz(host) == model.saved, step
    if model.staged is not None:
        assert state_tgz(host, host.altbootbank) == model.staged[0], step


def assert_boot_shows_the_saved_state(host: es.Host, model: Persistence, step: object) -> None:
    """Right after a boot: saved files as state.tgz holds them, every other tracked file as the image ships it."""
    for path in TRACKED:
        data, sticky = model.saved.get(path, model.image[path])
        assert host.fs.read(path) == data, (step, path)
        assert host.fs.stat(path).sticky is sticky, (step, path)
        if path.startswith("/etc/"):
            assert host.fs.exists(twin(path)) is (path in model.saved), (step, path)


host_ops = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(STICKY_FILES + PLAIN_FILES), st.booleans()),
    st.tuples(st.just("revert"), st.sampled_from(STICKY_FILES + PLAIN_FILES)),
    st.tuples(st.just("crontab"), st.sampled_from(["note", "clear"])),
    st.tuples(st.just("delete"), st.sampled_from(TRACKED)),
    st.tuples(st.just("backup")),
    st.tuples(st.just("advance"), st.one_of(st.integers(1, 150), st.sampled_from([1, 59, 60, 61]))),
    st.tuples(st.just("reboot")),
    st.tuples(st.just("power_loss")),
    st.tuples(st.just("ntp"), st.sampled_from(["ntp1.lab", "ntp2.lab", "10.0.0.9"]), st.integers(1, 7)),
    st.tuples(st.just("stage_vib")),
    st.tuples(st.just("upgrade")),
    st.tuples(st.just("shift_r")),
)


def run_host(ops: list[tuple]) -> None:
    host = es.Host.demo("6.7")
    host.boot()
    seven = es.Host.demo("7.0")
    seven.boot()
    model = Persistence({False: image_of(host), True: image_of(seven)}, state_tgz(host), host.clock)
    assert_boot_shows_the_saved_state(host, model, "first boot")
    assert_host_agrees(host, model, "first boot")
    for n, op in enumerate(ops):
        kind = op[0]
        if kind == "edit":
            _k, path, append = op
            text = f"edit {n}\n".encode()
            host.fs.write(path, text, append=append)
            model.write(path, text, append)
        elif kind == "revert":  # the same bytes as state.tgz (or the image) hold: nothing differs any more
            path = op[1]
            data = model.saved.get(path, model.image[path])[0]
            host.fs.write(path, data)
            model.write(path, data)
        elif kind == "crontab":
            text = f"# note {n}\n".encode() if op[1] == "note" else b"# no jobs\n"
            host.fs.write(CRONTAB, text, append=op[1] == "note")
            model.write(CRONTAB, text, append=op[1] == "note")
        elif kind == "delete":
            path = op[1]
            if model.live[path] is None:
                before = host.snapshot()
                with pytest.raises(NoSuchFile):
                    host.fs.delete(path)
                assert host.snapshot() == before
            else:
                host.fs.delete(path)
                model.live[path] = None  # its twin stays; a deleted file is not saved any more (F14, F16)
        elif kind == "backup":
            result = host.backup()
            assert result.skipped is not model.dirty(), (n, op, result)
            event(f"host: manual backup {'skipped' if result.skipped else 'saved'}")
            if not result.skipped:
                model.save()
        elif kind == "advance":
            minutes = op[1]
            runs = sum((model.clock + timedelta(minutes=m)).minute == 1 for m in range(1, minutes + 1))
            if runs and model.cron_on() and model.dirty():
                model.save()  # the first run saves; the later ones find nothing new (F12, F14)
                event("host: cron saved")
            host.advance(minutes=minutes)
            model.clock += timedelta(minutes=minutes)
        elif kind == "ntp":  # hostd changes the NTP server `times` times in a row
            _k, server, times = op
            for _ in range(times):
                old = model.live["/etc/ntp.conf"] or b""
                kept = [ln for ln in old.decode().splitlines() if not ln.startswith("server ")]
                result = host.configure("ntp-server", server)
                model.write("/etc/ntp.conf", ("\n".join([*kept, f"server {server}"]) + "\n").encode())
                model.hostd = [t for t in model.hostd if t > model.clock - timedelta(hours=1)]
                model.store_dirty = model.store_dirty or model.seven  # 7.x: hostd also writes ConfigStore (F35)
                if len(model.hostd) < HOSTD_LIMIT:
                    assert not result.skipped, (n, op, result)  # backup.sh 0: no comparison (F21)
                    model.hostd.append(model.clock)
                    model.save()
                else:
                    assert result.skipped, (n, op, result)
                    event("host: hostd throttled")
                assert_host_agrees(host, model, (n, op))
        elif kind == "stage_vib":  # a reboot-required VIB: staged with a fresh backup (F33, F49)
            host.install_vib(es.Vib.build(f"lab-{n}", "1.0", {f"/opt/lab{n}/f": "x"}, live_install=False), live=False)
            model.stage()
            event("host: VIB staged")
        elif kind == "upgrade":
            if model.upgraded:
                continue
            host.upgrade("7.0")
            model.stage(upgrade=True)
            event("host: upgrade staged")
        elif kind == "shift_r":  # F45: from 7.x (staged or running) Shift+R never reaches 6.x; nothing changes
            if not model.no_way_back:
                continue
            before, seen = host.snapshot(), len(host.history)
            with pytest.raises(RollbackNotPossible):
                host.reboot(rollback=True)
            assert host.snapshot() == before and len(host.history) == seen, (n, op)
            event("host: Shift+R refused")
        else:
            if kind == "reboot":
                host.reboot()
                model.save(shutdown=True)  # backup.sh 1 at shutdown: unconditional (F13, F22), both banks (F20)
            else:
                host.power_loss()  # nothing saved (F23)
                host.boot()
            model.boot()
            assert_boot_shows_the_saved_state(host, model, (n, op))
        assert_host_agrees(host, model, (n, op))


@given(ops=st.lists(host_ops, min_size=2, max_size=30))
@example(ops=[("ntp", "ntp1.lab", 4), ("ntp", "ntp2.lab", 3), ("advance", 60), ("ntp", "ntp1.lab", 1), ("power_loss",)])
@example(ops=[("edit", "/etc/hosts", False), ("delete", "/etc/hosts"), ("advance", 120), ("reboot",)])
@example(ops=[("crontab", "clear"), ("edit", "/etc/ntp.conf", True), ("advance", 150), ("power_loss",)])
@example(ops=[("edit", "/etc/motd", False), ("edit", "/etc/rc.local.d/local.sh", True), ("reboot",)])
@example(ops=[("edit", "/etc/hosts", False), ("backup",), ("revert", "/etc/hosts"), ("backup",), ("power_loss",)])
@example(
    ops=[("delete", "/etc/ntp.conf"), ("edit", "/etc/ntp.conf", False), ("reboot",), ("edit", "/etc/ntp.conf", False)]
)
@example(ops=[("edit", "/etc/hosts", True), ("stage_vib",), ("power_loss",)])  # F49: the edit reaches the new bank
@example(ops=[("upgrade",), ("shift_r",), ("power_loss",), ("shift_r",), ("backup",), ("ntp", "ntp1.lab", 1)])
@example(ops=[("upgrade",), ("edit", "/etc/ntp.conf", False), ("backup",), ("power_loss",), ("backup",)])
@example(ops=[("upgrade",), ("reboot",), ("stage_vib",), ("shift_r",), ("stage_vib",), ("power_loss",)])
@example(ops=[("upgrade",), ("stage_vib",), ("reboot",), ("backup",)])
def test_what_survives_a_boot_agrees_with_the_model(ops):
    run_host(ops)


# -- single cases the models leave out --------------------------------------------------------------------------


def test_a_branched_file_keeps_its_directory_when_its_tardisk_goes():
    host = es.Host.demo("6.7")
    host.boot()
    host.install_vib(es.Vib.build("tool", "1", {"/opt/newtool/run.sh": "v1\n"}))
    host.fs.write("/opt/newtool/run.sh", "edited\n")  # branched onto the opt ramdisk (F27)
    host.remove_vib("tool")  # live removal unmounts the tardisk (F39)
    assert host.fs.read("/opt/newtool/run.sh") == b"edited\n"
    assert host.fs.exists("/opt/newtool")
    assert host.fs.listdir("/opt/newtool") == ["run.sh"]


@pytest.mark.parametrize("path", ["/etc/mine.conf", "/etc/motd"], ids=["new-file", "image-file-without-sticky"])
def test_a_sticky_bit_set_by_hand_does_not_make_a_file_persisted(path):
    host = es.Host.demo("6.7")
    host.boot()
    image = host.fs.read(path) if host.fs.exists(path) else None
    host.fs.write(path, "mine\n")
    host.fs.chmod(path, 0o1644)
    host.fs.write(path, "mine, edited\n")
    host.reboot()
    assert (host.fs.read(path) if host.fs.exists(path) else None) == image
