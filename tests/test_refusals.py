"""Bad input: every public operation either succeeds or raises its typed error, in words a student can act on,
and leaves the host exactly as it was (`host.snapshot()` compares by value)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import esxistate as es
from esxistate import errors


@pytest.fixture(scope="module")
def template() -> es.Host:
    return es.Host.demo("7.0")


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("7.0")
    h.boot()
    return h


CASES: list[tuple[str, Callable[[es.Host], object], type[errors.EsxiStateError], str]] = [
    ("read of an unknown path", lambda h: h.fs.read("/etc/nope"), errors.NoSuchFile, "/etc/nope does not exist"),
    ("delete of an unknown path", lambda h: h.fs.delete("/etc/nope"), errors.NoSuchFile, "does not exist"),
    ("chmod of an unknown path", lambda h: h.fs.chmod("/nope", 0o644), errors.NoSuchFile, "does not exist"),
    ("listdir of an unknown path", lambda h: h.fs.listdir("/nope"), errors.NoSuchFile, "does not exist"),
    ("a relative path", lambda h: h.fs.read("etc/hosts"), errors.InvalidPath, "must be absolute"),
    ("write to a directory", lambda h: h.fs.write("/etc", "x"), errors.IsADirectory, "/etc is a directory"),
    ("write under a missing directory", lambda h: h.fs.write("/etc/none/x", "x"), errors.NoSuchFile, "does not"),
    ("write under a file", lambda h: h.fs.write("/etc/hosts/x", "x"), errors.NotADirectory, "not a directory"),
    ("delete of a directory", lambda h: h.fs.delete("/etc/pam.d"), errors.IsADirectory, "is a directory"),
    ("rmdir of a full directory", lambda h: h.fs.rmdir("/etc/pam.d"), errors.DirectoryNotEmpty, "still holds"),
    ("mkdir of an existing path", lambda h: h.fs.mkdir("/etc"), errors.FileExists, "already exists"),
    ("creating a .# twin", lambda h: h.fs.write("/etc/.#hosts", "x"), errors.OperationNotPermitted, "only VisorFS"),
    ("removing a .# twin", lambda h: h.fs.delete("/etc/.#hosts"), errors.OperationNotPermitted, "not permitted"),
    ("writing the boot bank", lambda h: h.fs.write("/bootbank/boot.cfg", "x"), errors.ReadOnlyFile, "read-only"),
    (
        "VIB conflict",
        lambda h: h.install_vib(es.Vib.build("mine", "1", {"/etc/motd": "x"})),
        errors.VibConflict,
        "File path of '/etc/motd' is claimed by multiple non-overlay VIBs: {'ESXiStateLab_bootbank_mine_1', 'VMware",
    ),
    (
        "removing a VIB that is not installed",
        lambda h: h.remove_vib("nope"),
        errors.VibNotInstalled,
        "No VIB named 'nope'",
    ),
    ("removing a base-image VIB", lambda h: h.remove_vib("esx-base"), errors.BaseImageVib, "base image"),
    (
        "live install of a reboot-only VIB",
        lambda h: h.install_vib(es.Vib.build("drv", "1", {"/opt/d": "d"}, live_install=False)),
        errors.LiveInstallNotAllowed,
        "does not allow live install",
    ),
    ("unknown backup step", lambda h: h.backup(power_loss_after="tea"), errors.UnknownBackupStep, "has no step"),
    ("unknown hostd setting", lambda h: h.configure("colour", "red"), errors.UnknownSetting, "no setting 'colour'"),
    ("bad host name", lambda h: h.configure("hostname", "my host"), errors.InvalidValue, "letters, digits"),
    ("upgrade to an unknown version", lambda h: h.upgrade("9.9"), errors.UnsupportedVersion, "not simulated"),
    ("upgrade to the same version", lambda h: h.upgrade("7.0"), errors.UnsupportedVersion, "already runs ESXi 7.0"),
    ("booting a running host", lambda h: h.boot(), errors.HostPoweredOn, "already running"),
    ("going back in time", lambda h: h.advance(hours=-1), errors.InvalidValue, "only moves forward"),
]


@pytest.mark.parametrize(("what", "op", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(host, what, op, error, words):
    before = host.snapshot()
    history = len(host.history)
    with pytest.raises(error) as err:
        op(host)
    assert words in str(err.value), str(err.value)
    assert isinstance(err.value, errors.EsxiStateError)
    assert host.snapshot() == before
    assert len(host.history) == history


def test_file_larger_than_the_ramdisk(host):
    before = host.snapshot()
    with pytest.raises(errors.RamdiskFull) as err:
        host.fs.write("/tmp/huge.iso", b"\0" * (256 * 1024 * 1024 + 1))
    assert err.value.ramdisk == "tmp" and err.value.path == "/tmp/huge.iso"
    assert "The ramdisk 'tmp' is full." in str(err.value) and err.value.errno_text == "No space left on device"
    assert host.snapshot() == before
    assert host.history[-1].kind == "ramdisk-full"  # hostd's event is logged (F28); the host itself is unchanged


OFF_OPS: list[tuple[str, Callable[[es.Host], object]]] = [
    ("read", lambda h: h.fs.read("/etc/hosts")),
    ("write", lambda h: h.fs.write("/etc/hosts", "x")),
    ("listdir", lambda h: h.fs.listdir("/")),
    ("resolve", lambda h: h.fs.resolve("/etc/hosts")),
    ("backup", lambda h: h.backup()),
    ("configure", lambda h: h.configure("hostname", "x")),
    ("install_vib", lambda h: h.install_vib(es.Vib.build("a", "1", {"/opt/a": "a"}))),
    ("remove_vib", lambda h: h.remove_vib("esx-ui")),
    ("upgrade", lambda h: h.upgrade("7.0")),
    ("shutdown", lambda h: h.shutdown()),
    ("reboot", lambda h: h.reboot()),
    ("power_loss", lambda h: h.power_loss()),
]


@pytest.mark.parametrize(("what", "op"), OFF_OPS, ids=[o[0] for o in OFF_OPS])
def test_operations_on_a_powered_off_host(what, op):
    h = es.Host.demo("6.7")
    before = h.snapshot()
    with pytest.raises(errors.HostPoweredOff) as err:
        op(h)
    assert "powered off" in str(err.value) and "boot it" in str(err.value)
    assert h.snapshot() == before and h.history == []


def _with_bank_file(name: str, data: bytes) -> es.Host:
    h = es.Host.demo("6.7")
    h._banks[0] = h._banks[0].replace_files({name: data})
    return h


@pytest.mark.parametrize(
    ("name", "data", "error", "words"),
    [
        (
            "boot.cfg",
            b"bootstate=0\nmodules=s.v00\nbuild=6.7.0-0.0.8169922\nupdated=1\n",
            errors.BadBootConfig,
            "kernel=<FILEPATH> must be set",
        ),
        ("s.v00", b"\x1f\x8b\x08\x00garbage", errors.CorruptArchive, "s.v00 is not a readable .tgz archive"),
        ("s.v00", b"not gzip at all", errors.CorruptArchive, "not gzip"),
    ],
)
def test_a_broken_boot_bank_fails_the_boot_and_leaves_the_host_off(name, data, error, words):
    h = _with_bank_file(name, data)
    before = h.snapshot()
    with pytest.raises(error) as err:
        h.boot()
    assert words in str(err.value)
    assert not h.powered_on and h.snapshot() == before and h.history == []


def test_a_missing_module_fails_the_boot():
    h = _with_bank_file("boot.cfg", None)  # type: ignore[arg-type]
    h._banks[0] = h._banks[0].replace_files({"s.v00": None, "boot.cfg": es.Host.demo("6.7").bootbank.read("boot.cfg")})
    with pytest.raises(errors.NoSuchFile, match=r"s\.v00"):
        h.boot()
    assert not h.powered_on


def test_a_corrupt_state_tgz_boots_with_the_image_defaults():
    h = _with_bank_file("state.tgz", b"\x1f\x8b\x08\x00truncated")
    with pytest.raises(errors.CorruptArchive):
        h.boot()  # state.tgz is a boot module: the loader cannot mount a broken archive


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", es.Host.demo("6.7").bootbank.read("s.v00")],
    ids=["empty", "not-gzip", "a-tardisk-not-a-state"],
)
def test_state_archive_rejects_what_is_not_a_state_tgz(data):
    with pytest.raises((errors.CorruptArchive, errors.UnsafeArchive)) as err:
        es.StateArchive.from_bytes(data)
    assert "state.tgz" in str(err.value)


def test_unknown_demo_version():
    with pytest.raises(errors.UnsupportedVersion, match=r"choose one of 6\.7, 7\.0"):
        es.Host.demo("5.5")
    with pytest.raises(errors.UnsupportedVersion):
        es.Host.demo("6.7", secure_config=True)
