"""Property tests: random operation sequences against a tiny reference model written here, apart from the engine.

Two levels:
- overlay: VisorFS mount/unmount/write/append/delete/chmod against a model of plain dicts (top layer wins, F39;
  writes branch onto the owning ramdisk, F27; sticky /etc files get a `.#` twin holding the old bytes, F25;
  deletes of tardisk files leave whiteouts; full ramdisks refuse, F28);
- persistence: a booted Host through edits, backups, cron, hostd changes, reboots and power losses against a model
  of "live" and "saved" contents (F13, F14, F16, F21-F23, F38); staging (a reboot-required VIB, the 6.7 -> 7.0
  upgrade) saves the running configuration into the new bank (F49), which the next boot restores even after a
  power cut; after the upgrade Shift+R is refused and the host is left as it was (F45).
"""

from __future__ import annotations

import os
import posixpath

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import esxistate as es
from esxistate.entry import FILE, FileEntry
from esxistate.errors import EsxiStateError, RamdiskFull, RollbackNotPossible
from esxistate.layers import RamdiskSpec, Tardisk
from esxistate.visorfs import VisorFS

NOW = 1_700_000_000

# -- level 1: overlay ----------------------------------------------------------------------------------------------

RAMDISKS = {"root": "/", "etc": "/etc", "var": "/var"}
CAPACITY_KIB = {"root": 8, "etc": 2, "var": 4}  # small, so random writes reach ENOSPC
PATHS = ["/etc/a", "/etc/b", "/etc/sub/c", "/var/d", "/opt/e"]
STICKY = {"/etc/a", "/etc/sub/c"}
DIRS = ["/etc", "/etc/sub", "/var", "/opt"]


def owner(path: str) -> str:
    best = "root"
    for name, mount in RAMDISKS.items():
        if mount != "/" and (path == mount or path.startswith(mount + "/")) and len(mount) > len(RAMDISKS[best]):
            best = name
    return best


def twin(path: str) -> str:
    head, tail = posixpath.split(path)
    return f"{head}/.#{tail}"


class Model:
    """The rules, restated: ramdisk dicts over a list of tardisk dicts; a ramdisk value None is a whiteout."""

    def __init__(self) -> None:
        self.tardisks: list[tuple[str, dict[str, tuple[bytes, int]]]] = []
        self.ram: dict[str, dict[str, tuple[bytes, int] | None]] = {n: {} for n in RAMDISKS}

    def lookup(self, path: str) -> tuple[bytes, int] | None:
        disk = self.ram[owner(path)]
        if path in disk:
            return disk[path]
        for _name, files in reversed(self.tardisks):
            if path in files:
                return files[path]
        return None

    def layer(self, path: str) -> str | None:
        disk = self.ram[owner(path)]
        if path in disk:
            return owner(path) if disk[path] is not None else None
        for name, files in reversed(self.tardisks):
            if path in files:
                return name
        return None

    def shadowed(self, path: str) -> tuple[str, ...]:
        holders = [name for name, files in reversed(self.tardisks) if path in files]
        disk = self.ram[owner(path)]
        return tuple(holders) if path in disk else tuple(holders[1:])

    def used(self, name: str) -> int:
        return sum(len(v[0]) for v in self.ram[name].values() if v is not None)

    def in_a_tardisk(self, path: str) -> bool:
        return any(path in files for _n, files in self.tardisks)


class OverlayMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.fs = VisorFS([RamdiskSpec(n, m, CAPACITY_KIB[n]) for n, m in RAMDISKS.items()])
        self.caps = {n: kib * 1024 for n, kib in CAPACITY_KIB.items()}
        self.model = Model()
        self.counter = 0
        base = {p: (f"base {p}\n".encode(), 0o1644 if p in STICKY else 0o644) for p in PATHS}
        self._mount(base)

    def _mount(self, files: dict[str, tuple[bytes, int]]) -> None:
        self.counter += 1
        name = f"t{self.counter}.v00"
        td = Tardisk.from_members(name, {p.lstrip("/"): FileEntry(FILE, m, d) for p, (d, m) in files.items()})
        self.fs.mount(td)
        self.model.tardisks.append((name, dict(files)))
        for path in files:  # mounting clears ramdisk whiteouts of the paths it ships
            disk = self.model.ram[owner(path)]
            if path in disk and disk[path] is None:
                del disk[path]

    @rule(paths=st.sets(st.sampled_from(PATHS), min_size=1, max_size=3), tag=st.integers(0, 9))
    def mount(self, paths, tag):
        self._mount({p: (f"v{tag} {p}\n".encode(), 0o644) for p in sorted(paths)})

    @rule(data=st.data())
    def unmount(self, data):
        if len(self.model.tardisks) <= 1:
            return
        i = data.draw(st.integers(1, len(self.model.tardisks) - 1))
        name, _files = self.model.tardisks.pop(i)
        self.fs.unmount(name)

    @rule(path=st.sampled_from(PATHS), size=st.integers(0, 1500), append=st.booleans())
    def write(self, path, size, append):
        body = bytes([65 + size % 26]) * size
        current = self.model.lookup(path)
        disk = self.model.ram[owner(path)]
        new_data = (current[0] + body) if (append and current is not None) else body
        mode = current[1] if current is not None else 0o644
        changes = {path: (new_data, mode)}
        if (
            current is not None
            and current[1] & 0o1000
            and path.startswith("/etc/")
            and self.model.lookup(twin(path)) is None
            and any(path in files and files[path][1] & 0o1000 for _n, files in self.model.tardisks)  # F25
        ):
            changes[twin(path)] = (current[0], current[1] & ~0o1000)
        before = {k: disk.get(k) for k in changes}
        delta = sum(len(v[0]) for v in changes.values()) - sum(len(v[0]) for v in before.values() if v)
        fits = self.model.used(owner(path)) + delta <= self.caps[owner(path)] or delta <= 0
        try:
            self.fs.write(path, body, now=NOW, append=append)
        except RamdiskFull:
            assert not fits, f"engine refused a write the model accepts: {path} +{delta}"
            return
        assert fits, f"engine accepted a write past capacity: {path} +{delta}"
        disk.update(changes)

    @rule(path=st.sampled_from(PATHS))
    def delete(self, path):
        if self.model.lookup(path) is None:
            try:
                self.fs.delete(path)
            except EsxiStateError:
                return
            raise AssertionError("deleting a missing file must fail")
        self.fs.delete(path)
        disk = self.model.ram[owner(path)]
        if self.model.in_a_tardisk(path):
            disk[path] = None
        else:
            disk.pop(path, None)

    @rule(path=st.sampled_from(PATHS), sticky=st.booleans())
    def chmod(self, path, sticky):
        current = self.model.lookup(path)
        mode = 0o1600 if sticky else 0o600
        if current is None:
            return
        disk = self.model.ram[owner(path)]
        old = disk.get(path)
        delta = len(current[0]) - (len(old[0]) if old else 0)
        if self.model.used(owner(path)) + delta > self.caps[owner(path)] and delta > 0:
            try:
                self.fs.chmod(path, mode, now=NOW)
            except RamdiskFull:
                return
            raise AssertionError("chmod branched past capacity")
        self.fs.chmod(path, mode, now=NOW)
        disk[path] = (current[0], mode)

    @invariant()
    def agrees(self):
        if not hasattr(self, "fs"):
            return
        for path in PATHS + [twin(p) for p in PATHS]:
            want = self.model.lookup(path)
            hit = self.fs.lookup(path)
            got = (hit.data, hit.mode) if hit is not None else None
            assert got == want, (path, got, want)
            res = self.fs.resolve(path)
            assert res.layer == self.model.layer(path), (path, res)
            if want is not None:
                assert res.shadowed == self.model.shadowed(path), (path, res)
        for d in DIRS:
            if self.fs.exists(d):
                expected = sorted(
                    {
                        posixpath.basename(p)
                        for p in PATHS + [twin(p) for p in PATHS]
                        if posixpath.dirname(p) == d and self.model.lookup(p) is not None
                    }
                    | {posixpath.basename(x) for x in DIRS if posixpath.dirname(x) == d and self.fs.exists(x)}
                )
                assert self.fs.listdir(d) == expected, d
        for name in RAMDISKS:
            assert self.fs.ramdisk(name).used == self.model.used(name), name


TestOverlay = OverlayMachine.TestCase
CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci"  # the ci profile runs 2,000 overlay sequences, 300 host ones
TestOverlay.settings = settings(max_examples=2000 if CI else 100, stateful_step_count=30, deadline=None)


# -- level 2: persistence ------------------------------------------------------------------------------------------

STICKY_FILES = ["/etc/hosts", "/etc/ntp.conf", "/etc/rc.local.d/local.sh"]
PLAIN_FILES = ["/etc/pam.d/system-auth", "/etc/motd", "/var/spool/cron/crontabs/root"]


class PersistenceMachine(RuleBasedStateMachine):
    """What survives a boot: only /etc files with a `.#` twin, as the last completed backup saved them."""

    @initialize()
    def start(self) -> None:
        self.host = es.Host.demo("6.7")
        self.host.boot()
        tracked = STICKY_FILES + PLAIN_FILES
        # the image's copy: what the topmost tardisk ships; 7.0's crontab differs from 6.7's (F12, F48)
        seven = es.Host.demo("7.0")
        seven.boot()
        self.images = {
            is_seven: {p: next(t.members[p].data for t in reversed(h.tardisks) if p in t.members) for p in tracked}
            for is_seven, h in ((False, self.host), (True, seven))
        }
        self.seven = False  # running 7.x
        installed = es.StateArchive.from_bytes(self.host.bootbank.read("state.tgz"))
        self.saved = {p: installed.read(p) for p in STICKY_FILES if p.lstrip("/") in installed}
        self.twinned = set(self.saved)  # restored files get their twin back at boot (F25, F38)
        self.sticky = set(STICKY_FILES)  # which tracked files carry the sticky bit right now
        self.saved_sticky = set(self.saved)
        self.live = {p: self.saved.get(p, self.image[p]) for p in tracked}
        self.deleted: set[str] = set()
        self.hostd: list[float] = []
        self.counter = 0
        self.staged: tuple[dict[str, bytes], set[str]] | None = None  # the altbootbank's state.tgz, staged (F49)
        self.upgraded = False  # 6.7 -> 7.0 staged: from now on the host runs (or will run) 7.0
        self.store_dirty = False  # 7.0: the ConfigStore database differs from state.tgz's copy (F35)
        self.saved_store = False
        self.no_way_back = False  # Shift+R would have to reach 6.x: refused (F45)

    @property
    def image(self) -> dict[str, bytes]:
        return self.images[self.seven]

    def _backup_needed(self) -> bool:
        return self.store_dirty or any(self.live[p] != self.saved.get(p) for p in self.twinned if p not in self.deleted)

    def _save(self) -> None:
        self.saved = {p: self.live[p] for p in self.twinned if p not in self.deleted}
        self.saved_sticky = {p for p in self.saved if p in self.sticky}  # local.tgz keeps each file's mode
        self.saved_store, self.store_dirty = self.seven, False

    def _booted(self) -> None:
        if self.staged is not None:  # the staged bank has the higher updated= and boots (F7)
            self.saved, self.saved_sticky = self.staged
            self.staged = None
            self.seven = self.upgraded
            self.store_dirty = self.seven and not self.saved_store
        elif self.seven:
            self.store_dirty = not self.saved_store
        for p in self.live:
            self.live[p] = self.saved.get(p, self.image[p])
        self.sticky = {p for p in STICKY_FILES if p not in self.saved or p in self.saved_sticky}
        self.twinned = set(self.saved)
        self.deleted = set()
        self.hostd = []  # hostd starts afresh with the host

    def _wrote(self, path: str) -> None:
        if path in self.deleted:
            self.sticky.discard(path)  # a file written after a delete is new: no sticky bit (an old twin stays)
        elif path in self.sticky:
            self.twinned.add(path)  # a content write to a sticky /etc file makes its twin (F25)
        self.deleted.discard(path)

    @rule(path=st.sampled_from(STICKY_FILES + PLAIN_FILES), append=st.booleans())
    def edit(self, path, append):
        self.counter += 1
        text = f"edit {self.counter}\n".encode()
        if path in self.deleted:
            append = False
        self.host.fs.write(path, text, append=append)
        self.live[path] = (self.live[path] + text) if append else text
        self._wrote(path)

    @rule(path=st.sampled_from(STICKY_FILES))
    def delete(self, path):
        if path in self.deleted:
            return
        self.host.fs.delete(path)
        self.deleted.add(path)

    @rule()
    def auto_backup(self):
        result = self.host.backup()
        assert result.skipped is not self._backup_needed(), result
        if not result.skipped:
            self._save()

    @rule(minutes=st.integers(1, 150))
    def advance(self, minutes):
        start = self.host.clock
        runs = sum(1 for m in range(1, minutes + 1) if (start.minute + m) % 60 == 1)
        cron_on = b"/sbin/auto-backup.sh" in self.live[CRONTAB] and CRONTAB not in self.deleted
        self.host.advance(minutes=minutes)
        if runs and cron_on and self._backup_needed():
            self._save()  # the first run at hh:01 saves; later runs find nothing new (F12, F14)

    @rule(server=st.sampled_from(["ntp1.lab", "ntp2.lab"]))
    def configure_ntp(self, server):
        path = "/etc/ntp.conf"
        old = b"" if path in self.deleted else self.live[path]
        lines = [ln for ln in old.decode().splitlines() if not ln.startswith("server ")]
        result = self.host.configure("ntp-server", server)
        self.live[path] = ("\n".join([*lines, f"server {server}"]) + "\n").encode()
        self._wrote(path)
        self.store_dirty = self.store_dirty or self.seven  # on 7.0 hostd writes ConfigStore too (F35)
        hour_ago = self.host.clock.timestamp() - 3600
        self.hostd = [t for t in self.hostd if t > hour_ago]
        if len(self.hostd) < 6:  # hostd backs up at most 6 times an hour (F21)
            assert not result.skipped, result
            self.hostd.append(self.host.clock.timestamp())
            self._save()
        else:
            assert result.skipped, result

    @rule()
    def reboot(self):
        self.host.reboot()  # backup.sh 1: unconditional (F13, F22), into a staged bank too (F20)
        self._save()
        if self.staged is not None:
            self.staged = (dict(self.saved), set(self.saved_sticky))
            self.saved_store = self.seven
        self._booted()

    @rule()
    def power_loss(self):
        self.host.power_loss()  # no backup (F23)
        self.host.boot()
        self._booted()

    def _stage(self) -> None:
        """backup.sh 0 /altbootbank (F49): the new bank gets the configuration as it is at staging time."""
        fresh = {p: self.live[p] for p in self.twinned if p not in self.deleted}
        self.staged = (fresh, {p for p in fresh if p in self.sticky})
        self.saved_store = self.seven  # what the staged state.tgz holds, once it boots

    @rule()
    def stage_vib(self):
        self.counter += 1
        vib = es.Vib.build(f"lab-{self.counter}", "1.0", {f"/opt/lab{self.counter}/f": "x"}, live_install=False)
        self.host.install_vib(vib, live=False)
        self._stage()
        self.no_way_back = self.no_way_back and not self.seven  # a 7.x image over the re-laid bank (not modelled)

    @rule()
    def upgrade(self):
        if self.upgraded:
            return
        self.host.upgrade("7.0")
        self._stage()
        self.upgraded = self.no_way_back = True

    @rule()
    def shift_r(self):
        if not self.no_way_back:
            return
        before, seen = self.host.snapshot(), len(self.host.history)
        try:
            self.host.reboot(rollback=True)
        except RollbackNotPossible:
            assert self.host.snapshot() == before and len(self.host.history) == seen
            return
        raise AssertionError("Shift+R from 7.0 back to 6.7 must be refused (F45)")

    @invariant()
    def agrees(self):
        if not hasattr(self, "host"):
            return
        for p in self.live:
            if p in self.deleted:
                assert not self.host.fs.exists(p), p
            else:
                assert self.host.fs.read(p) == self.live[p], p
        if self.staged is not None:
            staged = es.StateArchive.from_bytes(self.host.altbootbank.read("state.tgz"))
            assert {p: staged.read(p) for p in STICKY_FILES if p.lstrip("/") in staged} == {
                p: d for p, d in self.staged[0].items() if p in STICKY_FILES
            }


CRONTAB = "/var/spool/cron/crontabs/root"
TestPersistence = PersistenceMachine.TestCase
TestPersistence.settings = settings(max_examples=300 if CI else 40, stateful_step_count=15, deadline=None)
