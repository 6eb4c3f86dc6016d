"""Boot-device faults (F47): /bootbank and /altbootbank as links, a device claimed late, a device lost while running."""

from __future__ import annotations

import re

import pytest

import esxistate as es
from esxistate import bootdevice
from esxistate.errors import BootDeviceError, HostPoweredOff

LINE = "10.0.0.5 nas.lab.local nas"
RESTORE = "localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks"
ALERT = "Bootbank cannot be found at path '/bootbank'"
UUID = r"[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("7.0")
    h.boot()
    return h


def _line(listing: str, name: str) -> str:
    return next(line for line in listing.splitlines() if line.split(" -> ")[0].endswith(" " + name))


def _edit(host: es.Host, line: str = LINE) -> None:
    host.fs.write("/etc/hosts", line + "\n", append=True)


def _has(host: es.Host, line: str = LINE) -> bool:
    return line in host.fs.read_text("/etc/hosts").splitlines()


# -- the links on a healthy host ---------------------------------------------------------------------------------


def test_ls_l_root_shows_bootbank_and_altbootbank_as_links_into_vmfs_volumes(host):
    """Format from a published `ls -l /` of an ESXi host (a public guide quoting KB 342630, "Identifying ESXi boot
    LUNs for Boot from SAN"): `lrwxrwxrwx 1 root root 49 Oct 27 17:55 altbootbank -> /vmfs/volumes/<uuid>`, the
    size being the length of the target. Our uuids are derived from the bank label (stable, not install-time)."""
    out = host.shell("ls -l /")
    boot, alt = _line(out, "bootbank"), _line(out, "altbootbank")
    pattern = rf"^lrwxrwxrwx +1 root +root +49 Jan 12 09:00 (alt)?bootbank -> /vmfs/volumes/{UUID}$"
    assert re.match(pattern, boot) and re.match(pattern, alt)
    assert boot.endswith("/vmfs/volumes/" + bootdevice.volume_uuid("BOOTBANK1"))
    assert alt.endswith("/vmfs/volumes/" + bootdevice.volume_uuid("BOOTBANK2"))
    assert _line(out, "vmfs").startswith("d")
    other = es.Host.demo("6.7")
    other.boot()
    assert _line(other.shell("ls -l /"), "bootbank") == boot  # stable names: the same on every demo host
    assert host.shell("ls /bootbank | grep state.tgz") == "state.tgz\n"  # ls follows the link, as on ESXi


def test_ls_l_of_a_link_shows_the_link_unless_the_name_ends_in_a_slash(host):
    """busybox ls (coreutils/ls.c): "follow links on command line unless -l, -s or -F"; a trailing / makes stat
    follow it. So `ls -l /bootbank` is the link itself and `ls -l /bootbank/` lists the bank."""
    link = host.shell("ls -l /bootbank")
    assert re.match(rf"^lrwxrwxrwx +1 root +root +49 .* /bootbank -> /vmfs/volumes/{UUID}\n$", link)
    assert "state.tgz" in host.shell("ls -l /bootbank/")
    host.lose_boot_device()
    assert host.shell("ls -l /bootbank").startswith("lrwxrwxrwx")  # the link is still there; it dangles
    assert host.shell("ls -l /bootbank/") == "ls: /bootbank/: No such file or directory\n"


def test_vmfs_volumes_lists_each_bank_volume_and_its_name_link(host):
    """Format from a published `ls -l /vmfs/volumes` (blog "Recovering an ESXi host after accidental boot disk
    passthrough", 2024): the volumes as directories dated Jan 1 1970, and `lrwxr-xr-x 1 root root 35 ... BOOTBANK1
    -> <uuid>` with a relative target. Simplified: no datastore or OSDATA volume is listed."""
    out = host.shell("ls -l /vmfs/volumes")
    u1, u2 = bootdevice.volume_uuid("BOOTBANK1"), bootdevice.volume_uuid("BOOTBANK2")
    assert re.match(rf"^lrwxr-xr-x +1 root +root +35 .* BOOTBANK1 -> {u1}$", _line(out, "BOOTBANK1"))
    assert re.match(rf"^lrwxr-xr-x +1 root +root +35 .* BOOTBANK2 -> {u2}$", _line(out, "BOOTBANK2"))
    assert re.match(rf"^drwxr-xr-x .* Jan  1  1970 {u1}$", _line(out, u1))
    assert host.fs.read(f"/vmfs/volumes/{u1}/state.tgz") == host.bootbank.read("state.tgz")
    assert host.fs.read("/vmfs/volumes/BOOTBANK1/boot.cfg") == host.fs.read("/bootbank/boot.cfg")
    assert host.fs.listdir(f"/vmfs/volumes/{u2}") == []  # BOOTBANK2 is empty after a fresh install


def test_bootbank_link_follows_the_bank_that_booted(host):
    """After a staged VIB boots from BOOTBANK2, /bootbank leads to BOOTBANK2's volume (KB 306902: the links are made
    at boot to point to the bank the host booted from)."""
    host.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo\n"}), live=False)
    host.reboot()
    assert host.bootbank.label == "BOOTBANK2"
    assert _line(host.shell("ls -l /"), "bootbank").endswith(bootdevice.volume_uuid("BOOTBANK2"))


# -- slow boot device (KB 301134) --------------------------------------------------------------------------------


def test_slow_boot_device_points_the_links_to_tmp_and_backups_go_to_memory(host):
    """KB 301134: "Bootbank and altbootbank points to /tmp folder" (seen with `ls -l /`), configuration changes are
    lost after reboot. auto-backup.sh checks only that /bootbank is a directory (ESX67TREE bin/auto-backup.sh), so it
    'saves' state.tgz into /tmp."""
    host.reboot(slow_boot_device=True)
    assert host.boot_device == "slow" and host.history[-1].kind == "slow-boot-device"
    assert "F47" in host.history[-1].facts
    out = host.shell("ls -l /")
    assert re.match(r"^lrwxrwxrwx +1 root +root +4 .* bootbank -> /tmp$", _line(out, "bootbank"))
    assert _line(out, "altbootbank").endswith("altbootbank -> /tmp")
    real = host.bootbank.read("state.tgz")
    tmp_before = host.snapshot().ramdisk("tmp").used
    _edit(host)
    out = host.shell("auto-backup.sh")
    assert out.startswith("Saving current state in /bootbank\n")
    assert host.bootbank.read("state.tgz") == real  # the boot device never changed
    saved = host.fs.read("/tmp/state.tgz")
    assert host.fs.read("/bootbank/state.tgz") == saved and saved != real
    assert host.snapshot().ramdisk("tmp").used >= tmp_before + len(saved)  # charged to the tmp ramdisk
    event = host.history[-1]
    assert event.kind == "backup-to-memory" and event.details["result"].bank is None and "F47" in event.facts
    assert "F47" in str(host.explain("/etc/hosts").on_reboot)
    host.reboot()
    assert host.boot_device == "ok" and not _has(host)
    assert host.bootbank.read("state.tgz") == real


def test_restore_bootbanks_points_the_links_back_and_backups_reach_the_device(host):
    """KB 301134's fix, `localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks`: after it
    a backup DOES change the boot bank's state.tgz and the edit survives. The command prints nothing when it works
    (format: our reconstruction, no public sample found)."""
    host.reboot(slow_boot_device=True)
    _edit(host)
    real = host.bootbank.read("state.tgz")
    assert host.shell(RESTORE) == ""
    assert host.boot_device == "ok" and host.history[-1].kind == "bootbanks-restored"
    assert _line(host.shell("ls -l /"), "bootbank").endswith(bootdevice.volume_uuid("BOOTBANK1"))
    out = host.shell("auto-backup.sh")  # the diff -N of the edit against the device's state.tgz, then the save (F48)
    assert out.startswith("--- /etc/hosts\n") and "\nSaving current state in /bootbank\n" in out
    assert host.bootbank.read("state.tgz") != real
    host.power_loss()
    host.boot()
    assert _has(host)


def test_localcli_without_the_internal_plugins_does_not_know_the_boot_namespace(host):
    host.reboot(slow_boot_device=True)
    out = host.shell("localcli boot system restore --bootbanks")
    assert out.startswith("Error: Unknown command or namespace") and host.boot_device == "slow"


def test_power_loss_and_boot_claim_the_device_in_time_again(host):
    host.reboot(slow_boot_device=True)
    host.power_loss()
    host.boot()
    assert host.boot_device == "ok" and host.fs.exists("/vmfs/volumes/BOOTBANK1")


# -- lost boot device (KB 318611) --------------------------------------------------------------------------------


def test_lost_boot_device_raises_the_alert_and_saves_nothing(host):
    """KB 318611's vmkwarning line is `ALERT: Bootbank cannot be found at path '/bootbank'`; auto-backup.sh raises
    exactly that and exits 1 when /bootbank is not a directory (ESX67TREE bin/auto-backup.sh), and backup.sh does
    the same (bin/backup.sh), shutdown included. The event's summary is the vSphere message for a lost boot device
    (a public 2021 capture: "Lost connectivity to the device mpx.vmhba32:C0:T0:L0 backing the boot filesystem")."""
    event = host.lose_boot_device()
    assert event.kind == "boot-device-lost" and "Lost connectivity to the device" in event.summary
    bank = host.bootbank
    _edit(host)
    assert host.shell("auto-backup.sh") == ALERT + "\n"
    alert = host.history[-1]
    assert alert.kind == "bootbank-alert" and "F47" in alert.facts and alert.details["result"].skipped
    assert host.shell("backup.sh 0") == ALERT + "\n"
    assert host.bootbank is bank  # nothing written
    assert host.shell("ls /bootbank") == "ls: /bootbank: No such file or directory\n"
    assert _line(host.shell("ls -l /"), "bootbank").endswith(bootdevice.volume_uuid("BOOTBANK1"))  # it dangles
    assert host.fs.listdir("/vmfs/volumes") == []
    clock = host.advance(hours=1)[-1]
    assert clock.details["cron"] == ("09:01 ALERT",)
    assert host.history[-2].kind == "bootbank-alert" and host.history[-2].details["trigger"] == "cron"
    text = str(host.explain("/etc/hosts"))
    assert f"ALERT: {ALERT}" in text and "F47" in text


def test_next_boot_after_a_lost_device_restores_the_state_written_before_the_loss(host):
    """Our model (no source says what the next boot finds): a power cycle brings the device back as it was when it
    was lost, so a change saved before the loss survives and one made after it is gone."""
    _edit(host, "10.0.0.1 before")
    host.backup()
    saved = host.bootbank.read("state.tgz")
    host.lose_boot_device()
    _edit(host, "10.0.0.2 after")
    host.backup()
    result = host.shutdown()
    assert result.skipped and result.reason == ALERT
    assert host.history[-2].kind == "bootbank-alert" and "F47" in host.history[-1].facts  # the shutdown's why
    host.boot()
    assert host.boot_device == "ok" and host.bootbank.read("state.tgz") == saved
    assert _has(host, "10.0.0.1 before") and not _has(host, "10.0.0.2 after")


# -- refusals leave the host as it was -------------------------------------------------------------------------------


def test_boot_device_operations_refuse_what_cannot_be_done(host):
    before = host.snapshot()
    with pytest.raises(BootDeviceError, match="already point"):
        host.restore_bootbanks()
    assert host.shell(RESTORE) == ""  # harmless on a healthy host
    assert host.snapshot() == before
    host.lose_boot_device()
    lost = (host.snapshot(), len(host.history))
    for action in (host.lose_boot_device, host.restore_bootbanks):
        with pytest.raises(BootDeviceError):
            action()
    assert host.shell(RESTORE).startswith("Error: The boot device mpx.vmhba32:C0:T0:L0 does not answer")
    with pytest.raises(BootDeviceError, match="KB 318611"):
        host.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo\n"}))
    assert (host.snapshot(), len(host.history)) == lost
    host.power_loss()
    with pytest.raises(HostPoweredOff):
        host.lose_boot_device()


def test_image_changes_wait_for_the_real_boot_banks_when_the_device_was_claimed_late(host):
    host.reboot(slow_boot_device=True)
    before = (host.snapshot(), len(host.history))
    with pytest.raises(BootDeviceError, match="restore --bootbanks"):
        host.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo\n"}))
    with pytest.raises(BootDeviceError, match="claimed late"):
        host.lose_boot_device()
    assert (host.snapshot(), len(host.history)) == before


def test_a_stateless_host_has_no_boot_device_to_fault():
    h = es.Host.demo("7.0", stateless=True)
    with pytest.raises(BootDeviceError, match="stateless"):
        h.boot(slow_boot_device=True)
    assert not h.powered_on and h.history == []
    h.boot()
    for action in (h.lose_boot_device, h.restore_bootbanks):
        with pytest.raises(BootDeviceError, match="stateless"):
            action()
    assert "bootbank" not in h.shell("ls /")
