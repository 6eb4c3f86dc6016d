"""Bad input, one case a test: each raises its own error from esxistate.errors, says what went wrong in words a
student can act on, and leaves the host exactly as it was (`host.snapshot()` compares by value) with no new event,
except the ramdisk-full event hostd logs (F28)."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable

import pytest

import esxistate as es
from esxistate import errors


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo()
    h.boot()
    return h


def refused(
    h: es.Host, action: Callable[[], object], error: type[errors.EsxiStateError], *words: str, events: int = 0
) -> errors.EsxiStateError:
    """`action` raises exactly `error`, whose message holds every one of `words`; the host is unchanged and its
    history has grown by `events` entries."""
    before = h.snapshot()
    logged = len(h.history)
    with pytest.raises(error) as info:
        action()
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert isinstance(info.value, errors.EsxiStateError)
    assert h.snapshot() == before
    assert len(h.history) == logged + events
    return info.value


# -- paths -----------------------------------------------------------------------------------------------------


def test_reading_an_unknown_path(host):
    err = refused(host, lambda: host.fs.read("/etc/nonexistent.conf"), errors.NoSuchFile, "/etc/nonexistent.conf")
    assert "does not exist" in str(err) and err.path == "/etc/nonexistent.conf"
    assert err.errno_text == "No such file or directory"


def test_deleting_an_unknown_path(host):
    refused(host, lambda: host.fs.delete("/etc/nonexistent.conf"), errors.NoSuchFile, "/etc/nonexistent.conf")


def test_chmod_of_an_unknown_path(host):
    refused(host, lambda: host.fs.chmod("/opt/nothing", 0o1644), errors.NoSuchFile, "/opt/nothing", "does not exist")


def test_listing_an_unknown_directory(host):
    refused(host, lambda: host.fs.listdir("/opt/nowhere"), errors.NoSuchFile, "/opt/nowhere", "does not exist")


@pytest.mark.parametrize(
    "action",
    [
        lambda h: h.fs.read("etc/hosts"),
        lambda h: h.fs.write("etc/hosts", "x"),
        lambda h: h.fs.delete("etc/hosts"),
        lambda h: h.fs.chmod("etc/hosts", 0o644),
        lambda h: h.fs.listdir("etc"),
        lambda h: h.fs.exists("etc/hosts"),
    ],
    ids=["read", "write", "delete", "chmod", "listdir", "exists"],
)
def test_a_relative_path(host, action):
    err = refused(host, lambda: action(host), errors.InvalidPath, "must be absolute", "/etc/hosts")
    assert err.errno_text == "Invalid argument"


def test_writing_to_a_directory(host):
    err = refused(host, lambda: host.fs.write("/etc/vmware", "x"), errors.IsADirectory, "/etc/vmware is a directory")
    assert err.errno_text == "Is a directory"


def test_writing_under_a_missing_directory(host):
    refused(host, lambda: host.fs.write("/etc/nodir/file.conf", "x"), errors.NoSuchFile, "/etc/nodir", "not exist")


def test_writing_under_a_file(host):
    err = refused(host, lambda: host.fs.write("/etc/hosts/extra", "x"), errors.NotADirectory, "/etc/hosts")
    assert "not a directory" in str(err) and err.errno_text == "Not a directory"


def test_a_file_larger_than_its_ramdisk_is_refused_and_hostd_logs_it(host):
    size = host.snapshot().ramdisk("etc").capacity + 1
    err = refused(
        host,
        lambda: host.fs.write("/etc/vmware/big.iso", b"\0" * size),
        errors.RamdiskFull,
        "The ramdisk 'etc' is full",
        "/etc/vmware/big.iso could not be written",
        events=1,
    )
    assert (err.ramdisk, err.path, err.errno_text) == ("etc", "/etc/vmware/big.iso", "No space left on device")
    logged = host.history[-1]
    assert logged.kind == "ramdisk-full" and logged.paths == ("/etc/vmware/big.iso",)
    # hostd's esx.problem.visorfs.ramdisk.full text, with two spaces after the first period (F28)
    assert (
        logged.summary == "The ramdisk 'etc' is full.  As a result, the file /etc/vmware/big.iso could not be written."
    )


def test_an_oversized_edit_of_a_sticky_file_leaves_neither_branch_nor_twin(host):
    free = host.snapshot().ramdisk("etc").free  # the new bytes alone would fit; with the `.#` twin they do not
    assert host.fs.resolve("/etc/ntp.conf").kind == "tardisk" and not host.fs.exists("/etc/.#ntp.conf")
    refused(host, lambda: host.fs.write("/etc/ntp.conf", b"#" * free), errors.RamdiskFull, "'etc'", events=1)
    assert host.fs.resolve("/etc/ntp.conf").kind == "tardisk" and not host.fs.exists("/etc/.#ntp.conf")


# -- `.#` twins belong to VisorFS (F25) --------------------------------------------------------------------------


def test_creating_a_twin(host):
    assert not host.fs.exists("/etc/.#motd")
    err = refused(host, lambda: host.fs.write("/etc/.#motd", "x"), errors.OperationNotPermitted, "/etc/.#motd", "'.#'")
    assert "only VisorFS" in str(err) and err.errno_text == "Operation not permitted"


@pytest.mark.parametrize(
    "action",
    [
        lambda h: h.fs.write("/etc/.#hosts", "x"),
        lambda h: h.fs.write("/etc/.#hosts", "x", append=True),
        lambda h: h.fs.chmod("/etc/.#hosts", 0o1644),
        lambda h: h.fs.delete("/etc/.#hosts"),
    ],
    ids=["write", "append", "chmod", "delete"],
)
def test_changing_a_twin(host, action):
    assert host.fs.exists("/etc/.#hosts")  # restored from state.tgz with its twin at boot (F38)
    refused(host, lambda: action(host), errors.OperationNotPermitted, "/etc/.#hosts", "not permitted")


# -- VIBs --------------------------------------------------------------------------------------------------------


def test_a_vib_that_ships_a_file_another_vib_owns(host):
    vib = es.Vib.build("motd-banner", "1.0", {"/etc/motd": "Welcome\n"})
    err = refused(
        host,
        lambda: host.install_vib(vib),
        errors.VibConflict,
        "ESXiStateLab_bootbank_motd-banner_1.0",
        "VMware_bootbank_esx-base",
        "/etc/motd",
        "overlay",
    )
    assert err.paths == ["/etc/motd"]


def test_removing_a_vib_that_is_not_installed(host):
    refused(host, lambda: host.remove_vib("no-such-driver"), errors.VibNotInstalled, "No VIB named 'no-such-driver'")


def test_removing_a_base_image_vib(host):
    refused(host, lambda: host.remove_vib("esx-base"), errors.BaseImageVib, "esx-base", "base image", "cannot boot")


def test_live_install_of_a_vib_that_needs_a_reboot(host):
    vib = es.Vib.build("nic-driver", "2.0", {"/opt/nic/fw.bin": b"\x01"}, live_install=False)
    refused(host, lambda: host.install_vib(vib), errors.LiveInstallNotAllowed, "nic-driver", "live=False", "reboot")


def test_a_vib_with_a_relative_path():
    with pytest.raises(errors.InvalidPath) as info:
        es.Vib.build("tool", "1", {"opt/tool/x": "x"})
    assert "'opt/tool/x'" in str(info.value) and "must be absolute" in str(info.value)


# -- a broken boot bank: the boot fails and the host stays off, unchanged -----------------------------------------


def off_host_with(name: str, data: bytes) -> es.Host:
    h = es.Host.demo("6.7")
    bank = h._banks[0]
    h._banks[0] = bank.replace_files({name: data})
    return h


def test_a_boot_cfg_without_kernel_line_fails_the_boot():
    good = es.Host.demo("6.7").bootbank.read("boot.cfg").decode()
    text = "".join(line for line in good.splitlines(keepends=True) if not line.startswith("kernel="))
    h = off_host_with("boot.cfg", text.encode())
    refused(h, h.boot, errors.BadBootConfig, "boot.cfg", "kernel=<FILEPATH> must be set")
    assert not h.powered_on and h.history == []


def test_a_corrupt_tardisk_module_fails_the_boot():
    good = es.Host.demo("6.7").bootbank.read("s.v00")
    h = off_host_with("s.v00", good[: len(good) // 2])
    refused(h, h.boot, errors.CorruptArchive, "s.v00", "not a readable .tgz archive", "truncated")
    assert not h.powered_on and h.history == []


# -- archives given to StateArchive.from_bytes ---------------------------------------------------------------------


def tgz(*members: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    """A gzip'd tar holding `members`: (name, bytes) for plain files, or a ready TarInfo."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return out.getvalue()


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def state_with(*local_members: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    return tgz(("local.tgz", tgz(*local_members)))


UNSAFE = {
    "absolute name in state.tgz": (tgz(("/local.tgz", tgz(("etc/hosts", b"x")))), "absolute path"),
    "dot-dot in state.tgz": (tgz(("../local.tgz", tgz(("etc/hosts", b"x")))), "'..'"),
    "absolute name in local.tgz": (state_with(("/etc/passwd", b"root::0:0::/:/bin/sh\n")), "absolute path"),
    "dot-dot in local.tgz": (state_with(("etc/../../etc/shadow", b"x")), "'..'"),
    "symlink in local.tgz": (state_with(special("etc/hosts", tarfile.SYMTYPE, "/etc/shadow")), "link"),
    "hard link in local.tgz": (state_with(special("etc/hosts", tarfile.LNKTYPE, "etc/shadow")), "link"),
    "device in local.tgz": (state_with(special("etc/sda", tarfile.BLKTYPE)), "device"),
    "fifo in local.tgz": (state_with(special("etc/pipe", tarfile.FIFOTYPE)), "FIFO"),
}


@pytest.mark.parametrize(("data", "why"), UNSAFE.values(), ids=UNSAFE.keys())
def test_state_archive_refuses_unsafe_members(data, why):
    with pytest.raises(errors.UnsafeArchive) as info:
        es.StateArchive.from_bytes(data)
    assert why in str(info.value) and "refusing archive member" in str(info.value)


def test_state_archive_refuses_an_oversize_member():
    with pytest.raises(errors.UnsafeArchive) as info:
        es.StateArchive.from_bytes(tgz(("local.tgz", b"\0" * (64 * 2**20 + 1))))
    assert "'local.tgz'" in str(info.value) and "larger than" in str(info.value)


def _damaged(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


GOOD_STATE = state_with(("etc/hosts", b"127.0.0.1 localhost\n" * 40))
CORRUPT = {
    "empty": (b"", "state.tgz", "empty"),
    "not gzip": (b"ESXi configuration\n", "state.tgz", "not gzip-compressed"),
    "truncated gzip": (GOOD_STATE[:-20], "state.tgz", "truncated"),
    "damaged gzip": (_damaged(GOOD_STATE), "state.tgz", "damaged"),
    "gzip but no tar inside": (gzip.compress(b"x" * 700, mtime=0), "state.tgz", "checksum is wrong"),
    "no local.tgz inside": (tgz(("etc/hosts", b"x")), "state.tgz", "must hold local.tgz"),
    "local.tgz that is not gzip": (tgz(("local.tgz", b"plain text")), "local.tgz", "not gzip-compressed"),
}


@pytest.mark.parametrize(("data", "name", "why"), CORRUPT.values(), ids=CORRUPT.keys())
def test_state_archive_refuses_corrupt_bytes(data, name, why):
    with pytest.raises(errors.CorruptArchive) as info:
        es.StateArchive.from_bytes(data)
    message = str(info.value)
    assert message.startswith(f"{name} is not a readable .tgz archive") and why in message, message


# -- power -------------------------------------------------------------------------------------------------------


@pytest.fixture(params=["never-booted", "shut-down"])
def off_host(request) -> es.Host:
    h = es.Host.demo()
    if request.param == "shut-down":
        h.boot()
        h.fs.write("/etc/motd", "bye\n")
        h.shutdown()
    return h


OFF = {
    "fs.read": lambda h: h.fs.read("/etc/hosts"),
    "fs.read_text": lambda h: h.fs.read_text("/etc/hosts"),
    "fs.write": lambda h: h.fs.write("/etc/hosts", "x"),
    "fs.delete": lambda h: h.fs.delete("/etc/motd"),
    "fs.exists": lambda h: h.fs.exists("/etc/hosts"),
    "fs.stat": lambda h: h.fs.stat("/etc/hosts"),
    "fs.listdir": lambda h: h.fs.listdir("/etc"),
    "fs.chmod": lambda h: h.fs.chmod("/etc/motd", 0o1644),
    "fs.mkdir": lambda h: h.fs.mkdir("/opt/new"),
    "fs.rmdir": lambda h: h.fs.rmdir("/opt"),
    "fs.resolve": lambda h: h.fs.resolve("/etc/hosts"),
    "fs.owner": lambda h: h.fs.owner("/etc/hosts"),
    "fs.layers": lambda h: h.fs.layers,
    "backup": lambda h: h.backup(),
    "configure": lambda h: h.configure("ntp-server", "ntp1.lab"),
    "install_vib": lambda h: h.install_vib(es.Vib.build("tool", "1", {"/opt/tool/x": "x"})),
    "remove_vib": lambda h: h.remove_vib("esx-ui"),
    "upgrade": lambda h: h.upgrade("7.0"),
    "shutdown": lambda h: h.shutdown(),
    "reboot": lambda h: h.reboot(),
    "power_loss": lambda h: h.power_loss(),
    "uuid": lambda h: h.uuid,
    "backup_config": lambda h: h.backup_config(),
    "restore_config": lambda h: h.restore_config(b"bundle"),
}


@pytest.mark.parametrize("action", OFF.values(), ids=OFF.keys())
def test_an_operation_on_a_powered_off_host(off_host, action):
    refused(off_host, lambda: action(off_host), errors.HostPoweredOff, "powered off", "boot it before you")
    assert not off_host.powered_on


def test_a_powered_off_error_names_what_was_attempted(off_host):
    err = refused(off_host, lambda: off_host.fs.read("/etc/hosts"), errors.HostPoweredOff, "read /etc/hosts")
    assert err.operation == "read /etc/hosts"


def test_booting_a_running_host(host):
    refused(host, host.boot, errors.HostPoweredOn, "already running", "shut it down or reboot")


# -- backups, hostd, versions ------------------------------------------------------------------------------------


def test_an_unknown_backup_step(host):
    err = refused(host, lambda: host.backup(power_loss_after="tar_state"), errors.UnknownBackupStep, "'tar_state'")
    assert "backup.sh has no step" in str(err) and ", ".join(es.backup.STEPS) in str(err)
    assert isinstance(err, errors.UnknownStep) and err.step == "tar_state"


def test_an_unknown_fault_injection_step_for_a_vib_install(host):
    vib = es.Vib.build("tool", "1", {"/opt/tool/x": "x"})
    refused(host, lambda: host.install_vib(vib, power_loss_after="nap"), errors.UnknownStep, "'nap'", "VIB install")


def test_an_unknown_fault_injection_step_for_an_upgrade():
    h = es.Host.demo("6.7")
    h.boot()
    err = refused(h, lambda: h.upgrade("7.0", power_loss_after="nap"), errors.UnknownStep, "an upgrade has no step")
    assert "write_bootcfg" in str(err)


def test_an_unknown_hostd_setting(host):
    err = refused(host, lambda: host.configure("timezone", "UTC"), errors.UnknownSetting, "'timezone'")
    assert "known settings: hostname, root-password, ntp-server, dns-server" in str(err)


BAD_VALUES = [
    ("hostname", "my host", "letters, digits and dashes"),
    ("hostname", "-" * 70, "letters, digits and dashes"),
    ("hostname", "", "one non-empty line"),
    ("root-password", "pass\nword", "one non-empty line"),
    ("ntp-server", "ntp1.lab; reboot", "host name or an IP address"),
    ("dns-server", "   ", "one non-empty line"),
    ("dns-server", None, "one non-empty line"),
    ("ntp-server", 123, "one non-empty line"),
]


@pytest.mark.parametrize(("setting", "value", "why"), BAD_VALUES, ids=[f"{s}={v!r}" for s, v, _ in BAD_VALUES])
def test_a_bad_hostd_value(host, setting, value, why):
    err = refused(host, lambda: host.configure(setting, value), errors.InvalidValue, f"valid value for {setting}", why)
    assert (err.setting, err.value) == (setting, value)


@pytest.mark.parametrize("version", ["9.9", "8.0", "ESXi 7", "5.5"])
def test_an_upgrade_to_an_unknown_version(version):
    h = es.Host.demo("6.7")
    h.boot()
    err = refused(h, lambda: h.upgrade(version), errors.UnsupportedVersion, repr(version), "not simulated", "7.0")
    assert err.version == version


def test_a_demo_of_an_unsimulated_version():
    with pytest.raises(errors.UnsupportedVersion) as info:
        es.Host.demo("5.5")
    assert "'5.5' is not simulated" in str(info.value) and "choose one of 6.7, 7.0" in str(info.value)


# -- engine bugs found while writing these, now fixed ----------------------------------------------------


def test_writing_a_number_is_refused(host):
    before = host.snapshot()
    with pytest.raises((TypeError, errors.EsxiStateError)):
        host.fs.write("/etc/motd", 5)  # type: ignore[arg-type]
    assert host.snapshot() == before


def test_a_file_path_with_a_trailing_slash_is_refused(host):
    refused(host, lambda: host.fs.write("/etc/hosts/", "x"), errors.NotADirectory, "/etc/hosts")


def test_an_upgrade_to_the_running_version_says_it_is_not_newer():
    h = es.Host.demo("6.7")
    h.boot()
    err = refused(h, lambda: h.upgrade("6.7"), errors.UnsupportedVersion, "6.7", "7.0")
    assert "not simulated" not in str(err)


def test_an_unsafe_tardisk_module_names_the_module():
    h = off_host_with("s.v00", tgz(("../../etc/shadow", b"root::0:0:::\n")))
    refused(h, h.boot, errors.UnsafeArchive, "'..'", "s.v00")


def test_a_junk_configuration_bundle_reads_as_one_sentence(host):
    err = refused(host, lambda: host.restore_config(b"junk"), errors.InvalidBundle, "configuration bundle")
    assert not str(err).endswith("..")


def test_a_vib_file_named_slash_is_refused_when_the_vib_is_built():
    with pytest.raises(errors.InvalidPath):
        es.Vib.build("x", "1", {"/": "y"})
