"""configBundle-<host>.tgz (F43): built by vim-cmd hostsvc/firmware/backup_config, read in memory, restored with
the UUID/build checks."""

from __future__ import annotations

import pytest

import esxistate as es
from esxistate import archive, errors
from esxistate.configbundle import build_bundle
from esxistate.entry import FILE, FileEntry


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("6.7")
    h.boot()
    return h


def test_backup_config_writes_manifest_and_state(host, tmp_path):
    host.fs.write("/etc/hosts", "10.0.0.3 bundled\n")
    out = host.shell("vim-cmd hostsvc/firmware/backup_config")
    assert out.startswith("Bundle can be downloaded at : http://*/downloads/" + host.uuid + "/configBundle-esxi.tgz")
    path = f"/scratch/downloads/{host.uuid}/configBundle-esxi.tgz"
    data = host.fs.read(path)
    assert sorted(archive.read_members(data)) == ["Manifest.txt", "state.tgz"]
    (tmp_path / "configBundle-esxi.tgz").write_bytes(data)
    bundle = es.ConfigBundle.open(tmp_path / "configBundle-esxi.tgz")
    assert bundle.uuid == host.uuid and bundle.build == "6.7.0-0.0.8169922"
    assert bundle.state.read_text("etc/hosts") == "10.0.0.3 bundled\n"  # synced by a backup first
    assert repr(bundle) == "ConfigBundle('configBundle-esxi.tgz', host esxi, build 6.7.0-0.0.8169922)"


def test_restore_puts_the_state_back_and_reboots_without_a_shutdown_backup(host):
    host.fs.write("/etc/hosts", "before\n")
    data = host.fs.read(host.backup_config())
    host.fs.write("/etc/hosts", "after\n")
    host.backup()
    events = host.restore_config(data)
    assert [e.kind for e in events][:2] == ["restore-config", "reboot"]
    assert "backup" not in [e.kind for e in events]
    assert host.fs.read_text("/etc/hosts") == "before\n"


def test_a_bundle_from_another_host_or_build_is_refused_unless_forced(host):
    other = es.Host.demo("6.7", hostname="lab02")
    other.boot()
    foreign = other.fs.read(other.backup_config())
    before = host.snapshot()
    with pytest.raises(errors.MismatchedBundle, match="UUID"):
        host.restore_config(foreign)
    assert host.snapshot() == before
    newer = es.Host.demo("7.0")
    newer.boot()
    with pytest.raises(errors.MismatchedBundle, match="build"):
        newer.restore_config(_with_uuid(host.fs.read(host.backup_config()), newer.uuid))
    host.restore_config(foreign, force=True)
    assert "lab02" in host.fs.read_text("/etc/vmware/esx.conf")


def _with_uuid(data: bytes, uuid: str) -> bytes:
    b = es.ConfigBundle.from_bytes(data)
    return build_bundle(uuid=uuid, build=b.build, hostname="esxi", state_tgz=b.state_tgz, mtime=0)


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ([("state.tgz", b"x")], "must hold Manifest.txt and state.tgz"),
        ([("Manifest.txt", b"build=1\n"), ("state.tgz", b"x")], "does not name the host's uuid"),
        ([("Manifest.txt", b"uuid=a\nbuild=b\n"), ("state.tgz", b"not a tgz")], "state.tgz is unreadable"),
    ],
)
def test_invalid_bundles(members, words):
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
