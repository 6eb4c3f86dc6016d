"""configBundle-<host>.tgz (F43): built by vim-cmd hostsvc/firmware/backup_config, read in memory, restored with
the release-level and UUID checks. The bundle's members, Manifest.txt's keys and what a restore rewrites are those of
ESX67TREE bin/firmwareConfig.sh (github.com/ljvblfz/ESXi), which builds and reads the bundle."""

from __future__ import annotations

import gzip

import pytest

import esxistate as es
from esxistate import archive, errors
from esxistate.configbundle import build_bundle, release_level
from esxistate.entry import FILE, FileEntry


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("6.7")
    h.boot()
    return h


def test_backup_config_writes_manifest_jumpstrt_and_state(host, tmp_path):
    """firmwareConfig.sh BackupConfiguration: `backup.sh 0 <staging dir>` (which, its target not being /bootbank,
    also copies jumpstrt.gz there, ESX67TREE bin/backup.sh), Manifest.txt with RELEASELEVEL=$(vmware -l),
    UUID=$(esxcfg-info -u), KERNELOPTS=<boot.cfg kernelopt>, USEROPTS=$(esxcfg-info -c), then `tar czf ... *`."""
    host.fs.write("/etc/hosts", "10.0.0.3 bundled\n")
    out = host.shell("vim-cmd hostsvc/firmware/backup_config")
    assert out.startswith("Bundle can be downloaded at : http://*/downloads/" + host.uuid + "/configBundle-esxi.tgz")
    path = f"/scratch/downloads/{host.uuid}/configBundle-esxi.tgz"
    data = host.fs.read(path)
    members = archive.read_members(data)
    assert list(members) == ["Manifest.txt", "jumpstrt.gz", "state.tgz"]
    assert members["Manifest.txt"].data.decode() == (
        "RELEASELEVEL=VMware ESXi 6.7.0 GA\n"
        f"UUID={host.uuid}\n"
        "KERNELOPTS=installerDiskDumpSlotSize=2560 no-auto-partition\n"
        "USEROPTS=\n"
    )
    assert members["jumpstrt.gz"].data == host.bootbank.files["jumpstrt.gz"]
    (tmp_path / "configBundle-esxi.tgz").write_bytes(data)
    bundle = es.ConfigBundle.open(tmp_path / "configBundle-esxi.tgz")
    assert bundle.uuid == host.uuid and bundle.release_level == "VMware ESXi 6.7.0 GA"
    assert bundle.state.read_text("etc/hosts") == "10.0.0.3 bundled\n"  # a fresh backup.sh 0 made it
    assert repr(bundle) == f"ConfigBundle('configBundle-esxi.tgz', VMware ESXi 6.7.0 GA, UUID {host.uuid})"


def test_backup_config_leaves_the_boot_bank_alone(host):
    """firmwareConfig.sh runs `backup.sh 0 <staging dir>`: the bundle's state.tgz is fresh, /bootbank/state.tgz is not
    rewritten; backup.sh still counts the run (F18)."""
    before = host.bootbank.files["state.tgz"]
    host.fs.write("/etc/hosts", "10.0.0.3 bundled\n")
    bundle = es.ConfigBundle.from_bytes(host.fs.read(host.backup_config()))
    assert host.bootbank.files["state.tgz"] == before
    assert bundle.state_tgz != before and "10.0.0.3" in bundle.state.read_text("etc/hosts")
    assert host.fs.read_text("/etc/vmware/.backup.counter").splitlines()[-1] == "1"


def test_release_levels_are_what_vmware_l_prints():
    """Published `vmware -l` lines: "VMware ESXi 7.0 GA" for build 7.0.0-1.25.16324942 (a public upgrade note that
    also shows `vmware -v` "VMware ESXi 7.0.0 build-16324942"), "VMware ESXi 6.7.0 Update 3" and "VMware ESXi 7.0
    Update 3" (public notes); "VMware ESXi 6.7.0 GA" is our reconstruction of the 6.7 GA line (no capture found)."""
    assert release_level("7.0.0-1.25.16324942") == "VMware ESXi 7.0 GA"
    assert release_level("6.7.0-3.73.14320388") == "VMware ESXi 6.7.0 Update 3"
    assert release_level("7.0.3-0.0.18644231") == "VMware ESXi 7.0 Update 3"
    assert release_level("6.7.0-0.0.8169922") == "VMware ESXi 6.7.0 GA"


def test_restore_rewrites_what_firmware_config_sh_rewrites(host):
    """firmwareConfig.sh RestoreConfiguration: state.tgz copied over /bootbank/state.tgz, boot.cfg's kernelopt= set
    to KERNELOPTS, useropts.gz rewritten from USEROPTS (`echo ... | gzip -c`), ` --- state.tgz` appended to modules=
    when missing, then `reboot -f` (no shutdown backup). jumpstrt.gz and the other modules are not touched."""
    host.fs.write("/etc/hosts", "before\n")
    data = host.fs.read(host.backup_config())
    bank = host.bootbank
    cfg = (
        bank.boot_config()
        .with_value("kernelopt", "noIOMMU")
        .with_modules([m for m in bank.boot_config().modules if m != "state.tgz"])
    )
    host._banks[host._booted] = bank.with_config(cfg).replace_files({"jumpstrt.gz": b"changed"})
    host.fs.write("/etc/hosts", "after\n")
    events = host.restore_config(data)
    assert [e.kind for e in events][:2] == ["restore-config", "reboot"]
    assert "backup" not in [e.kind for e in events]
    assert host.fs.read_text("/etc/hosts") == "before\n"
    restored = host.bootbank.boot_config()
    assert restored.kernelopt == "installerDiskDumpSlotSize=2560 no-auto-partition"
    assert restored.modules[-1] == "state.tgz"
    assert gzip.decompress(host.bootbank.files["useropts.gz"]) == b"\n"
    assert host.bootbank.files["jumpstrt.gz"] == b"changed"


def test_a_bundle_from_another_host_is_refused_unless_forced(host):
    """firmwareConfig.sh: "Mismatched Bundle: Host UUID: <host> Bundle UUID: <bundle>" unless --force."""
    other = es.Host.demo("6.7", hostname="lab02")
    other.boot()
    foreign = other.fs.read(other.backup_config())
    before = host.snapshot()
    with pytest.raises(errors.MismatchedBundle) as err:
        host.restore_config(foreign)
    assert str(err.value).startswith(
        f"Mismatched Bundle: Host UUID: {host.uuid} Bundle UUID: {other.uuid} (it comes from another host"
    )
    assert host.snapshot() == before
    host.restore_config(foreign, force=True)
    assert "lab02" in host.fs.read_text("/etc/vmware/esx.conf")


def test_a_bundle_from_another_release_is_refused_even_when_forced(host):
    """firmwareConfig.sh compares RELEASELEVEL before the UUID and --force does not skip it: "Mismatched Bundle: Host
    release level: ... Bundle release level: ...". A different build of the same release level passes (what
    thedxt.ca 2023 reports of real hosts)."""
    newer = es.Host.demo("7.0")
    newer.boot()
    from67 = _with(host.fs.read(host.backup_config()), uuid=newer.uuid)
    before = newer.snapshot()
    with pytest.raises(errors.MismatchedBundle) as err:
        newer.restore_config(from67, force=True)
    assert str(err.value).startswith(
        "Mismatched Bundle: Host release level: VMware ESXi 7.0 GA Bundle release level: VMware ESXi 6.7.0 GA"
    )
    assert newer.snapshot() == before
    patched = _with(host.fs.read(host.backup_config()), uuid=host.uuid, build="6.7.0-0.14.10302608")
    assert es.ConfigBundle.from_bytes(patched).release_level == "VMware ESXi 6.7.0 GA"
    host.restore_config(patched)


def _with(data: bytes, *, uuid: str, build: str | None = None) -> bytes:
    b = es.ConfigBundle.from_bytes(data)
    return build_bundle(
        uuid=uuid, build=build or "6.7.0-0.0.8169922", state_tgz=b.state_tgz, mtime=0, kernelopt=b.kernelopts
    )


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ([("state.tgz", b"x")], "Invalid Bundle: Missing Manifest File"),
        ([("Manifest.txt", b"RELEASELEVEL=x\nUUID=a\n")], "no state.tgz"),
        ([("Manifest.txt", b"RELEASELEVEL=x\n"), ("state.tgz", b"x")], "no UUID= line"),
        ([("Manifest.txt", b"uuid=a\nbuild=b\n"), ("state.tgz", b"x")], "no RELEASELEVEL= line"),
        ([("Manifest.txt", b"RELEASELEVEL=x\nUUID=a\n"), ("state.tgz", b"not a tgz")], "state.tgz is unreadable"),
    ],
)
def test_invalid_bundles(members, words):
    """firmwareConfig.sh refuses a bundle without Manifest.txt ("Invalid Bundle: Missing Manifest File"); the other
    refusals are ours: without RELEASELEVEL= and UUID= the script's checks cannot pass, and without a readable
    state.tgz there is nothing to restore."""
    data = archive.build_tgz([(n, FileEntry(FILE, 0o644, d)) for n, d in members])
    with pytest.raises(errors.InvalidBundle, match=words):
        es.ConfigBundle.from_bytes(data)


def test_not_a_bundle_at_all():
    with pytest.raises(errors.InvalidBundle, match=r"not a readable \.tgz"):
        es.ConfigBundle.from_bytes(b"hello")


def test_restore_from_the_shell(host):
    path = host.backup_config()
    host.fs.write("/etc/hosts", "later\n")
    assert host.shell(f"vim-cmd hostsvc/firmware/restore_config {path}") == ""
    assert host.fs.read_text("/etc/hosts") != "later\n"
    assert host.shell("vim-cmd hostsvc/firmware/restore_config /nope").startswith("NoSuchFile")
