"""The seed's whole story, end to end, as a student would walk it (DESIGN.md, "The story the package tells").

boot -> a VIB overlays a file -> removing it reveals the old one -> an /etc edit branches onto a ramdisk -> power
loss loses it -> the edit again -> auto-backup.sh -> power loss -> boot keeps it -> state.tgz/local.tgz opened with
tarfile -> hourly cron saves a later edit -> upgrade to 7.0 (no Shift+R back to 6.7) -> update to 7.0 U3 and
Shift+R rollback.
"""

from __future__ import annotations

import io
import tarfile

import pytest

import esxistate as es


def open_tgz(data: bytes) -> tarfile.TarFile:
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def test_the_seed_story_end_to_end():
    host = es.Host.demo("6.7")
    assert not host.powered_on

    # boot: tardisks in boot.cfg order, the installer's configuration restored from state.tgz
    host.boot()
    names = [t.name for t in host.tardisks]
    config = host.bootbank.config
    assert names == [m for m in config.modules if m.endswith((".v00", ".v01", ".v02", ".t00", ".tgz"))]
    assert names[0] == "vmx.v00" and names[-2:] == ["imgdb.tgz", "state.tgz"]
    assert len(names) == 46  # sample S1: 44 .v0x/.t00 tardisks, then imgdb.tgz and state.tgz
    assert host.fs.exists("/local.tgz")  # state.tgz's member appears at / (F38)
    assert host.fs.resolve("/etc/shadow").layer == "etc"  # restored from local.tgz onto the etc ramdisk
    assert host.fs.exists("/etc/.#shadow")  # ...with its twin, so it stays persisted

    # a VIB overlays a file; removing it reveals the one below (F39, B3)
    original_motd = host.fs.read_text("/etc/motd")
    vib = es.Vib.build("lab-motd", "1.0-1", {"/etc/motd": "Welcome to the lab\n"}, overlay=True)
    host.install_vib(vib)
    assert host.fs.read_text("/etc/motd") == "Welcome to the lab\n"
    res = host.fs.resolve("/etc/motd")
    assert res.layer == "lab_motd.v00" and res.shadowed == ("s.v00",)
    host.remove_vib("lab-motd")
    assert host.fs.read_text("/etc/motd") == original_motd
    assert host.fs.resolve("/etc/motd").layer == "s.v00"

    # an /etc edit branches onto the etc ramdisk; a power loss loses it (F27, F23)
    host.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho hello > /tmp/hi\nexit 0\n")
    assert host.fs.resolve("/etc/rc.local.d/local.sh").branched
    host.power_loss()
    host.boot()
    assert "echo hello" not in host.fs.read_text("/etc/rc.local.d/local.sh")

    # the edit again, then auto-backup.sh, then a power loss: this time it survives (F14, F16, F38)
    host.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\necho hello > /tmp/hi\nexit 0\n")
    result = host.backup()
    assert not result.skipped and "/etc/rc.local.d/local.sh" in result.files
    assert result.target == "/bootbank"
    host.power_loss()
    host.boot()
    assert "echo hello" in host.fs.read_text("/etc/rc.local.d/local.sh")
    assert host.fs.exists("/etc/rc.local.d/.#local.sh")

    # state.tgz holds exactly local.tgz, which holds etc/... files, and no VIB payload (F17, F32, B6)
    state = open_tgz(host.bootbank.read("state.tgz"))
    assert state.getnames() == ["local.tgz"]
    local = open_tgz(state.extractfile("local.tgz").read())
    members = local.getnames()
    assert "etc/rc.local.d/local.sh" in members and "etc/shadow" in members
    assert all(n.startswith("etc/") for n in members)  # 6.7: nothing outside /etc (F16)
    assert not any(n.endswith((".v00", ".t00")) or "/.#" in n for n in members)
    assert local.getmember("etc/shadow").mode & 0o1000  # the sticky bit travels in the archive

    # the hourly cron job saves a later edit without anyone asking (F12)
    host.fs.write("/etc/hosts", host.fs.read_text("/etc/hosts") + "10.0.0.99 nas\n")
    assert host.clock.minute == 0
    host.advance(hours=1)
    saved = es.StateArchive.from_bytes(host.bootbank.read("state.tgz"))
    assert "10.0.0.99 nas" in saved.read_text("etc/hosts")
    host.power_loss()
    host.boot()
    assert "10.0.0.99 nas" in host.fs.read_text("/etc/hosts")

    # upgrade writes the altbootbank; the next boot takes it; there is no way back to 6.x (F6, F7, F20, F45)
    host.configure("hostname", "lab01")
    host.upgrade("7.0")
    alt = host.altbootbank
    assert alt.config.bootstate == 1 and alt.updated == host.bootbank.updated + 1
    assert alt.build == "7.0.0-1.25.16324942"
    old_label, new_label = host.bootbank.label, alt.label
    host.reboot()  # the shutdown backup also writes the staged bank's state.tgz (F20)
    assert host.version == "7.0" and host.bootbank.label == new_label
    assert host.bootbank.config.bootstate == 0  # confirmed after a good boot
    assert host.hostname == "lab01"  # the configuration followed the host onto the new image
    before = host.snapshot()
    with pytest.raises(es.errors.RollbackNotPossible, match="KB 1033604"):
        host.reboot(rollback=True)  # Shift+R from 7.0 to 6.7: the boot device was re-laid
    assert host.snapshot() == before and host.powered_on
    assert not host.altbootbank.files  # BOOTBANK1 no longer holds 6.7

    # an update within 7.0 can go back, for good (F8, F45)
    host.upgrade("7.0U3")
    host.reboot()
    assert host.version == "7.0U3" and host.bootbank.label == old_label
    host.reboot(rollback=True)  # Shift+R
    assert host.version == "7.0" and host.bootbank.label == new_label
    assert host.altbootbank.config.bootstate == 3  # the rolled-back-from bank stays INVALID
    host.reboot()
    assert host.version == "7.0"  # and it stays gone
