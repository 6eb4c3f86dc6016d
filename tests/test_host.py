"""Host: boot, power, clock and cron, every backup trigger, VIBs, upgrades, stateless and secure hosts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import esxistate as es
from esxistate import errors
from esxistate.bootbank import BankState


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("7.0")
    h.boot()
    return h


def saved_names(h: es.Host, bank=None) -> list[str]:
    bank = bank or h.bootbank
    return es.StateArchive.from_bytes(bank.read("state.tgz")).names()


# -- boot --------------------------------------------------------------------------------------------------------


def test_boot_mounts_every_tardisk_in_module_order_and_skips_vmkernel_modules(host):
    modules = host.bootbank.config.modules
    mounted = [t.name for t in host.tardisks]
    assert mounted == [m for m in modules if not m.endswith(".gz") and ".b" not in m[-4:]]
    assert "k.b00" in modules and "k.b00" not in mounted
    assert not host.fs.exists("/k.b00")
    kinds = [e.kind for e in host.history]
    assert kinds == ["bootloader", "vmkernel", "tardisks", "ramdisks", "restore", "boot-complete"]


def test_boot_restores_local_tgz_onto_ramdisks_with_twins(host):
    res = host.fs.resolve("/etc/vmware/esx.conf")
    assert res.layer == "etc" and res.shadowed == ("s.v00",)
    assert host.fs.exists("/etc/vmware/.#esx.conf")
    assert host.hostname == "esxi"
    # 7.0: the ConfigStore backup is restored to its ramdisk and copied to the running store (F35)
    assert host.fs.resolve("/var/lib/vmware/configstore/backup/current-store-1").layer == "configstorebkp"
    assert host.fs.read("/etc/vmware/configstore/current-store-1").startswith(b"SQLite format 3\x00")


def test_ramdisks_have_esxi_names_and_mount_points(host):
    mounts = {r.name: r.mount for r in host.ramdisks}
    assert mounts["root"] == "/" and mounts["etc"] == "/etc" and mounts["tmp"] == "/tmp"
    assert mounts["hostdstats"] == "/var/lib/vmware/hostd/stats"
    assert {r.name: r.capacity // 1024 for r in host.ramdisks}["etc"] == 28672  # sample S4, KiB


def test_operations_on_a_powered_off_host_raise_and_change_nothing():
    h = es.Host.demo()
    before = h.snapshot()
    for op in (
        lambda: h.fs.read("/etc/hosts"),
        lambda: h.fs.write("/etc/hosts", "x"),
        lambda: h.backup(),
        lambda: h.configure("hostname", "x"),
        lambda: h.install_vib(es.Vib.build("a", "1", {"/opt/a": "a"})),
        lambda: h.shutdown(),
        lambda: h.power_loss(),
    ):
        with pytest.raises(errors.HostPoweredOff):
            op()
    assert h.snapshot() == before


def test_booting_a_running_host_is_refused(host):
    with pytest.raises(errors.HostPoweredOn):
        host.boot()


def test_sticky_bits_sit_where_the_facts_put_them(host):
    for path in (
        "/etc/vmware/esx.conf",
        "/etc/passwd",
        "/etc/shadow",
        "/etc/hosts",
        "/etc/inetd.conf",
        "/etc/rc.local.d/local.sh",
    ):
        assert host.fs.stat(path).sticky, path
    for path in ("/etc/pam.d/system-auth", "/etc/motd", "/var/spool/cron/crontabs/root", "/bin/sh"):
        assert not host.fs.stat(path).sticky, path


# -- writes and power ----------------------------------------------------------------------------------------------


def test_non_sticky_edit_is_lost_at_reboot_even_after_a_backup(host):
    host.fs.write("/etc/pam.d/system-auth", "auth sufficient pam_permit.so\n")
    host.reboot()
    assert "pam_permit" not in host.fs.read_text("/etc/pam.d/system-auth")


def test_a_new_file_in_etc_is_not_persisted(host):
    host.fs.write("/etc/mine.conf", "x\n")
    host.reboot()
    assert not host.fs.exists("/etc/mine.conf")


def test_orderly_reboot_saves_sticky_edits_but_power_loss_does_not(host):
    host.fs.write("/etc/ntp.conf", "server ntp.lab\n")
    host.power_loss()
    host.boot()
    assert "ntp.lab" not in host.fs.read_text("/etc/ntp.conf")
    host.fs.write("/etc/ntp.conf", "server ntp.lab\n")
    host.reboot()
    assert host.fs.read_text("/etc/ntp.conf") == "server ntp.lab\n"


def test_cron_crontab_edit_is_lost_at_reboot(host):
    host.fs.write("/var/spool/cron/crontabs/root", "*/5 * * * * /bin/mine.sh\n", append=True)
    assert host.fs.resolve("/var/spool/cron/crontabs/root").layer == "var"
    host.reboot()
    assert "mine.sh" not in host.fs.read_text("/var/spool/cron/crontabs/root")


def test_failed_write_leaves_snapshot_unchanged_and_logs_the_hostd_event(host):
    before = host.snapshot()
    with pytest.raises(errors.RamdiskFull):
        host.fs.write("/etc/huge", b"x" * (29 * 1024 * 1024))
    assert host.snapshot() == before
    last = host.history[-1]
    assert last.kind == "ramdisk-full"
    assert last.summary == "The ramdisk 'etc' is full.  As a result, the file /etc/huge could not be written."


def test_boot_bank_files_are_visible_and_read_only(host):
    assert host.fs.read("/bootbank/boot.cfg").startswith(b"bootstate=0\n")
    assert "state.tgz" in host.fs.listdir("/bootbank")
    with pytest.raises(errors.ReadOnlyFile):
        host.fs.write("/bootbank/state.tgz", b"x")
    with pytest.raises(errors.NoSuchFile):
        host.fs.read("/altbootbank/boot.cfg")  # BOOTBANK2 is empty after a fresh install


# -- backups -------------------------------------------------------------------------------------------------------


def test_auto_backup_skips_when_nothing_changed_and_runs_when_something_did(host):
    state_before = host.bootbank.read("state.tgz")
    assert host.backup().skipped
    assert host.bootbank.read("state.tgz") == state_before
    host.fs.write("/etc/hosts", host.fs.read_text("/etc/hosts") + "10.0.0.5 nas\n")
    result = host.backup()
    assert not result.skipped and result.target == "/bootbank" and result.bank == "BOOTBANK1"
    assert result.steps_done == es.backup.STEPS
    assert "/etc/hosts" in result.files and "etc/hosts" in saved_names(host)


def test_deleting_a_persisted_file_alone_does_not_trigger_a_backup(host):
    host.fs.delete("/etc/hosts")
    assert host.backup().skipped  # F14: the deleted file is not in the list to compare
    host.fs.write("/etc/ntp.conf", "server x\n")
    host.backup()
    assert "etc/hosts" not in saved_names(host)  # dropped at the next real backup
    host.reboot()
    assert "localhost" in host.fs.read_text("/etc/hosts")  # the image's copy is back


def test_chmod_alone_does_not_trigger_auto_backup(host):
    host.fs.chmod("/etc/hosts", 0o1600)
    assert host.backup().skipped  # auto-backup.sh compares contents (diff), not modes


def test_backup_writes_deterministic_bytes(host):
    host.fs.write("/etc/hosts", "a\n")
    host.backup()
    first = host.bootbank.read("state.tgz")
    other = es.Host.demo("7.0")
    other.boot()
    other.fs.write("/etc/hosts", "a\n")
    other.backup()
    assert other.bootbank.read("state.tgz") == first


def test_state_tgz_holds_only_local_tgz_and_never_vibs(host):
    host.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo hi\n"}))
    host.fs.write("/etc/hosts", "x\n")
    result = host.backup()
    bank = host.altbootbank if result.target == "/altbootbank" else host.bootbank
    state = es.StateArchive.from_bytes(bank.read("state.tgz"))
    assert list(state.members) == ["local.tgz"]
    assert not any("lab" in n or n.startswith("opt/") for n in state.names())


@pytest.mark.parametrize("step", es.backup.STEPS)
def test_power_loss_after_any_backup_step_leaves_old_or_new_state(step):
    h = es.Host.demo("7.0")
    h.boot()
    old = h.bootbank.read("state.tgz")
    h.fs.write("/etc/hosts", "new\n")
    result = h.backup(power_loss_after=step)
    assert result.interrupted_after == step and not h.powered_on
    now = h.bootbank.read("state.tgz")
    renamed = es.backup.STEPS.index(step) >= es.backup.STEPS.index("rename_state")
    assert (now != old) is renamed
    h.boot()
    assert (h.fs.read_text("/etc/hosts") == "new\n") is renamed
    # the next backup removes the leftovers of the interrupted one
    h.fs.write("/etc/hosts", "newer\n")
    h.backup()
    assert sorted(n for n in h.bootbank.files if n.startswith(("local.tgz.", "state."))) == ["state.tgz"]


def test_unknown_backup_step_is_refused(host):
    with pytest.raises(errors.UnknownBackupStep):
        host.backup(power_loss_after="teleport")
    assert host.powered_on


def test_first_backup_appends_state_tgz_to_modules_line():
    h = es.Host.demo("6.7")
    bank = h.bootbank
    stripped = bank.with_config(bank.config.with_modules([m for m in bank.config.modules if m != "state.tgz"]))
    h._banks[0] = stripped.replace_files({"state.tgz": None})
    h.boot()
    assert h.history[-2].summary.startswith("no state.tgz")
    h.fs.write("/etc/hosts", "x\n")
    result = h.backup()
    assert result.reason == "there is no state.tgz yet"
    assert h.bootbank.config.modules[-1] == "state.tgz"


def test_hourly_cron_runs_at_minute_one(host):
    host.fs.write("/etc/hosts", "cron\n")
    host.advance(minutes=1)  # 09:00 -> 09:01
    assert "cron" in es.StateArchive.from_bytes(host.bootbank.read("state.tgz")).read_text("etc/hosts")
    events = host.advance(hours=3)
    assert "3 time(s)" in events[-1].summary
    backups = [e for e in host.history if e.kind == "backup"]
    assert [e.time.minute for e in backups] == [1]


def test_removing_the_cron_line_stops_hourly_backups(host):
    host.fs.write("/var/spool/cron/crontabs/root", "#nothing\n")
    host.fs.write("/etc/hosts", "x\n")
    host.advance(hours=2)
    assert not [e for e in host.history if e.kind == "backup"]


def test_hostd_configure_backs_up_at_most_six_times_an_hour(host):
    results = [host.configure("hostname", f"esx{i}") for i in range(8)]
    assert [r.skipped for r in results] == [False] * 6 + [True] * 2
    assert "6 backups" in results[-1].reason
    host.advance(hours=1, minutes=5)
    assert not host.configure("hostname", "later").skipped


def test_configure_edits_the_files_hostd_owns(host):
    host.configure("hostname", "lab01")
    assert 'HostName = "lab01"' in host.fs.read_text("/etc/vmware/esx.conf")
    assert "lab01" in host.fs.read_text("/etc/hosts")
    host.configure("root-password", "S3cret!")
    assert "S3cret" not in host.fs.read_text("/etc/shadow")
    host.power_loss()
    host.boot()
    assert host.hostname == "lab01"


def test_configure_rejects_bad_input_without_changes(host):
    before = host.snapshot()
    with pytest.raises(errors.UnknownSetting):
        host.configure("colour", "blue")
    with pytest.raises(errors.InvalidValue):
        host.configure("hostname", "bad name!")
    assert host.snapshot() == before


# -- VIBs ----------------------------------------------------------------------------------------------------------


def test_live_vib_install_mounts_now_and_stages_altbootbank(host):
    vib = es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo hi\n"})
    result = host.install_vib(vib)
    assert not result.reboot_required
    assert host.fs.read_text("/opt/lab/tool.sh") == "echo hi\n"
    assert host.tardisks[-1].name == "lab_tool.v00"
    alt = host.altbootbank
    assert alt.config.bootstate == 0 and alt.updated == host.bootbank.updated + 1
    assert "lab_tool.v00" in alt.config.modules and alt.config.modules[-2:] == ("imgdb.tgz", "state.tgz")
    assert host.fs.exists("/var/run/update_altbootbank")
    host.fs.write("/etc/hosts", "after live install\n")
    assert host.backup().target == "/altbootbank"  # F15
    host.reboot()
    assert host.bootbank.label == "BOOTBANK2"
    assert host.fs.read_text("/opt/lab/tool.sh") == "echo hi\n"
    assert host.fs.read_text("/etc/hosts") == "after live install\n"


def test_vib_that_cannot_go_live_waits_for_reboot(host):
    vib = es.Vib.build("lab-drv", "1.0", {"/opt/lab/drv": "d"}, live_install=False)
    with pytest.raises(errors.LiveInstallNotAllowed):
        host.install_vib(vib)
    result = host.install_vib(vib, live=False)
    assert result.reboot_required and host.reboot_required
    assert not host.fs.exists("/opt/lab/drv")
    assert host.altbootbank.config.bootstate == BankState.UPGRADING
    host.reboot()
    assert host.fs.exists("/opt/lab/drv") and not host.reboot_required


def test_conflicting_vib_is_refused_unless_overlay(host):
    before = host.snapshot()
    clash = es.Vib.build("clash", "1.0", {"/etc/motd": "mine\n"})
    with pytest.raises(errors.VibConflict) as err:
        host.install_vib(clash)
    assert "esx-base" in str(err.value) and "/etc/motd" in str(err.value)
    assert host.snapshot() == before


def test_vib_removal_errors(host):
    before = host.snapshot()
    with pytest.raises(errors.VibNotInstalled):
        host.remove_vib("no-such-vib")
    with pytest.raises(errors.BaseImageVib):
        host.remove_vib("esx-base")
    assert host.snapshot() == before


def test_installing_the_same_vib_twice_changes_nothing(host):
    vib = es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "x"})
    host.install_vib(vib)
    assert host.install_vib(vib).message == "Host is not changed."


def test_module_names_follow_the_83_rule_with_collisions():
    from esxistate.vib import module_file_name

    assert module_file_name("esx-dvfilter-generic-fastpath", "vgz", []) == "esx_dvfi.v00"
    assert module_file_name("lsi-msgpt35", "vgz", ["lsi_msgp.v00"]) == "lsi_msgp.v01"
    assert module_file_name("btldr", "tgz", []) == "btldr.t00"


# -- boot banks ----------------------------------------------------------------------------------------------------


def test_upgrade_that_never_boots_fully_is_invalidated():
    h = es.Host.demo("6.7")
    h.boot()
    h.upgrade("7.0")
    h.power_loss()
    h.boot()  # first try of the new image: UPGRADING -> DIRTY, boots 7.0 ...
    assert h.version == "7.0"
    assert h.bootbank.config.bootstate == 0  # ... and confirmation sets VALID


def test_dirty_bank_that_was_never_confirmed_is_invalidated():
    h = es.Host.demo("6.7")
    h.boot()
    h.upgrade("7.0")
    h.shutdown()
    bank2 = h.banks[1]
    h._banks[1] = bank2.with_config(bank2.config.with_bootstate(2))  # a first boot that hung before confirming
    h.boot()
    assert h.version == "6.7" and h.banks[1].config.bootstate == 3
    assert h.banks[0].build == "6.7.0-0.0.8169922"  # F6's fallback: 6.x stays until 7.0's first boot is confirmed
    loader = h.history[-6]
    assert loader.kind == "bootloader" and "never confirmed" in loader.summary
    # esx-boot safeboot/bootbank.c logs "system has failed to upgrade" only for a bad updated=/build= (bank_scan)
    assert "failed to upgrade" not in loader.summary


# -- versions, the major upgrade and the n-1 rule (F45) --------------------------------------------------------------


def test_versions_are_listed_in_order_and_an_unknown_one_names_them():
    assert es.Host.versions() == ("6.7", "7.0", "7.0U3")
    with pytest.raises(errors.UnsupportedVersion, match=r"choose one of 6\.7, 7\.0, 7\.0U3"):
        es.Host.demo("7.0U9")
    assert "7.0U3" in es.Host.demo.__doc__ and "20328353" in es.Host.demo.__doc__


def test_a_7_0_u3_host_boots_its_own_image_with_7_0_ramdisks_and_configstore():
    """Build 7.0.3-0.55.20328353 and the module list of the 7.0 U3g installer ISO (VMware-VMvisor-Installer-
    7.0U3g-20328353.x86_64.iso) as a public PXE how-to quotes its boot.cfg, installed-host form as for S2."""
    h = es.Host.demo("7.0U3")
    assert h.bootbank.build == "7.0.3-0.55.20328353"
    modules = list(h.bootbank.config.modules)
    assert modules[:4] == ["jumpstrt.gz", "useropts.gz", "features.gz", "k.b00"]
    assert {"nvmetcp.v00", "esxio_co.v00", "bmcal.v00", "gc.v00"} <= set(modules)
    assert modules[-2:] == ["imgdb.tgz", "state.tgz"] and "weaselin.v00" not in modules
    h.boot()
    assert h.version == "7.0U3" and any(r.name == "configstore" for r in h.ramdisks)
    assert h.fs.exists("/etc/vmware/configstore/current-store-1")
    assert "esxio-combiner" in {v.name for v in h.vibs}


def test_upgrade_offers_only_newer_versions_in_version_order():
    h = es.Host.demo("7.0U3")
    h.boot()
    with pytest.raises(errors.UnsupportedVersion, match=r"already runs ESXi 7\.0U3"):
        h.upgrade("7.0")
    seventy = es.Host.demo("7.0")
    seventy.boot()
    with pytest.raises(errors.UnsupportedVersion, match=r"newer version: 7\.0U3"):
        seventy.upgrade("6.7")


def test_shift_r_after_the_6_to_7_upgrade_is_refused_and_leaves_the_host_as_it_was():
    """F45, KB 1033604: the 6.x -> 7.0 upgrade re-lays the boot device's partitions; no rollback to 6.x."""
    h = es.Host.demo("6.7")
    h.boot()
    h.upgrade("7.0")
    staged, seen = h.snapshot(), len(h.history)  # before 7.0's first boot the 6.7 bank is still there: no way back
    with pytest.raises(errors.RollbackNotPossible, match="KB 1033604"):
        h.reboot(rollback=True)
    assert h.snapshot() == staged and len(h.history) == seen  # not even the shutdown happened
    h.reboot()
    assert h.version == "7.0" and h.history[-1].kind == "relayout"
    assert h.altbootbank.relaid_build == "6.7.0-0.0.8169922" and not h.altbootbank.files
    running = h.snapshot()
    with pytest.raises(errors.RollbackNotPossible) as err:
        h.reboot(rollback=True)
    assert "reinstall ESXi 6.7 or restore a copy of the boot device taken before the upgrade" in str(err.value)
    assert err.value.previous == "6.7.0-0.0.8169922" and err.value.current == "7.0.0-1.25.16324942"
    assert h.snapshot() == running and h.powered_on
    h.shutdown()
    off = h.snapshot()
    with pytest.raises(errors.RollbackNotPossible):
        h.boot(rollback=True)
    assert h.snapshot() == off and not h.powered_on
    h.boot()
    h.upgrade("7.0U3", power_loss_after="write_modules")  # half a new image over the re-laid bank is still no 6.x
    h.boot()
    with pytest.raises(errors.RollbackNotPossible):
        h.reboot(rollback=True)


def test_an_update_within_7_0_rolls_back_with_the_kb_prompt():
    """F45: Shift+R asks "Current hypervisor will permanently be replaced with build: X.X.X-XXXXXX. Are you sure?
    [y/n]" (KB 1033604), naming the build it goes back to."""
    h = es.Host.demo("7.0")
    h.boot()
    h.upgrade("7.0U3")
    h.reboot()
    assert h.version == "7.0U3"
    events = h.reboot(rollback=True)
    loader = next(e for e in events if e.kind == "bootloader")
    assert "Current hypervisor will permanently be replaced with build: 7.0.0-1.25.16324942. Are you sure? [y/n]" in (
        loader.summary
    )
    assert h.version == "7.0" and h.altbootbank.state is BankState.INVALID


def test_rollback_goes_one_step_back_only_n_minus_1():
    """F45: a reboot-required change after the first reboot that follows an update overwrites the altbootbank's
    n-1 copy: Shift+R lands on 7.0U3 without the VIB, never on 7.0."""
    h = es.Host.demo("7.0")
    h.boot()
    h.upgrade("7.0U3")
    h.reboot()
    h.install_vib(es.Vib.build("lab-drv", "1.0", {"/opt/lab/drv": "x"}), live=False)
    assert h.altbootbank.build == "7.0.3-0.55.20328353"  # the 7.0 copy is gone already
    h.reboot()
    assert h.fs.exists("/opt/lab/drv")
    h.reboot(rollback=True)
    assert h.version == "7.0U3" and not h.fs.exists("/opt/lab/drv")
    assert "7.0.0-1.25.16324942" not in {b.build for b in h.banks}


def test_a_vib_install_and_removal_roll_back():
    h = es.Host.demo("6.7")
    h.boot()
    vib = es.Vib.build("lab-drv", "1.0", {"/opt/lab/drv": "x"}, live_install=False)
    h.install_vib(vib, live=False)
    h.reboot()
    h.remove_vib("lab-drv", live=False)
    h.reboot()
    assert not h.fs.exists("/opt/lab/drv")
    h.reboot(rollback=True)  # back to the image with the VIB
    assert h.version == "6.7" and h.fs.exists("/opt/lab/drv")


def test_rollback_with_one_bank_says_so(host):
    host.shutdown()
    events = host.boot(rollback=True)
    assert "No alternate hypervisor to roll back to." in events[0].summary


def test_upgrade_to_an_unknown_or_older_version_is_refused(host):
    with pytest.raises(errors.UnsupportedVersion):
        host.upgrade("6.7")
    with pytest.raises(errors.UnsupportedVersion):
        host.upgrade("9.9")


def test_unknown_demo_version_is_refused():
    with pytest.raises(errors.UnsupportedVersion):
        es.Host.demo("5.5")


# -- stateless and secure hosts ----------------------------------------------------------------------------------


def test_stateless_host_keeps_nothing():
    h = es.Host.demo(stateless=True)
    h.boot()
    assert h.bootbank is None and not h.fs.exists("/bootbank")
    h.fs.write("/etc/hosts", "x\n")
    result = h.backup()
    assert result.skipped and "Bootbank cannot be found at path '/bootbank'" in result.reason
    h.reboot()
    assert h.fs.read_text("/etc/hosts") != "x\n"


def test_secure_config_state_holds_encrypted_envelope():
    h = es.Host.demo("7.0", secure_config=True)
    h.boot()
    h.fs.write("/etc/hosts", "secret\n")
    h.backup()
    state = es.StateArchive.from_bytes(h.bootbank.read("state.tgz"))
    assert state.encrypted and set(state.members) == {"local.tgz.ve", "encryption.info"}
    with pytest.raises(errors.EncryptedConfig):
        state.names()
    h.power_loss()
    h.boot()
    assert h.fs.read_text("/etc/hosts") == "secret\n"


def _state_is_encrypted(bank) -> bool:
    return es.StateArchive.from_bytes(bank.read("state.tgz")).encrypted


def test_7_0_u3_encrypts_its_configuration_without_being_asked():
    """F36: from 7.0 Update 2 the archived configuration is encrypted with no manual enabling; a 7.0 U3 host cannot
    be built without it."""
    h = es.Host.demo("7.0U3")
    h.boot()
    h.fs.write("/etc/hosts", "u3\n")
    h.backup()
    assert h.secure_config and _state_is_encrypted(h.bootbank)
    with pytest.raises(errors.UnsupportedVersion, match="without secure_config"):
        es.Host.demo("7.0U3", secure_config=False)
    assert not es.Host.demo("7.0").secure_config  # 7.0b (before U2) keeps a plain local.tgz


def test_the_first_boot_of_7_0_u3_encrypts_and_a_rollback_to_7_0_reads_its_plain_local_tgz():
    """F36: encryption "happens on first boot after install/upgrade to 7.0 U2"; F45, F8: Shift+R from 7.0 U3 boots
    the 7.0 bank, whose state.tgz the staging backup and the shutdown backup wrote in the plain layout (F49, F20)."""
    h = es.Host.demo("7.0")
    h.boot()
    h.fs.write("/etc/hosts", "kept\n")
    h.upgrade("7.0U3")
    assert not h.secure_config and not _state_is_encrypted(h.altbootbank)  # staged by 7.0, still plain
    h.reboot()
    assert h.version == "7.0U3" and h.secure_config and h.fs.read_text("/etc/hosts") == "kept\n"
    h.backup()
    assert _state_is_encrypted(h.bootbank) and not _state_is_encrypted(h.altbootbank)
    h.reboot(rollback=True)
    assert h.version == "7.0" and not h.secure_config and h.fs.read_text("/etc/hosts") == "kept\n"
    h.fs.write("/etc/hosts", "back on 7.0\n")
    h.backup()
    assert not _state_is_encrypted(h.bootbank)


def test_clock_only_moves_forward(host):
    t = host.clock
    with pytest.raises(errors.InvalidValue):
        host.advance(hours=-1)
    host.advance(minutes=30)
    assert host.clock == t + timedelta(minutes=30)


def test_history_snapshots_are_immutable_and_share_tardisks(host):
    host.fs.write("/etc/hosts", "1\n")
    host.fs.write("/etc/hosts", "2\n")
    a, b = host.history[-2].snapshot, host.history[-1].snapshot
    assert a.read("/etc/hosts") == b"1\n" and b.read("/etc/hosts") == b"2\n"
    assert all(x is y for x, y in zip(a.tardisks, b.tardisks, strict=True))
    assert a.ramdisk("var") is b.ramdisk("var")  # an unchanged ramdisk is shared, not copied


def test_a_vib_staged_after_an_upgrade_keeps_the_new_build():
    h = es.Host.demo("6.7")
    h.boot()
    h.upgrade("7.0")
    h.install_vib(es.Vib.build("lab-drv", "1.0", {"/opt/lab/drv": "x"}), live=False)
    assert h.altbootbank.build == "7.0.0-1.25.16324942" and h.altbootbank.config.bootstate == 1
    h.reboot()
    assert h.version == "7.0" and h.fs.exists("/opt/lab/drv") and h.fs.exists("/usr/lib/vmware/tpm/tpm2-util")
    assert any(r.name == "configstore" for r in h.ramdisks)


def test_live_vib_changes_wait_for_a_pending_reboot():
    h = es.Host.demo("6.7")
    h.boot()
    h.upgrade("7.0")
    before = h.snapshot()
    with pytest.raises(errors.LiveInstallNotAllowed, match="reboot first"):
        h.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/t": "t"}))
    assert h.snapshot() == before


def test_an_upgrade_after_a_live_install_carries_the_newest_state():
    h = es.Host.demo("6.7")
    h.boot()
    h.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/t": "t"}))
    h.fs.write("/etc/hosts", "saved to the altbootbank\n")
    assert h.backup().target == "/altbootbank"
    h.upgrade("7.0")
    h.power_loss()  # no shutdown backup: the staged bank must already hold the newest state.tgz
    h.boot()
    assert h.version == "7.0" and h.fs.read_text("/etc/hosts") == "saved to the altbootbank\n"


def test_a_powered_off_host_is_named_by_the_state_tgz_its_next_boot_restores():
    """Off, a host has no running esx.conf; the name is the one in the default bank's state.tgz (F38), so a
    diagram of a host that is off does not call it "localhost"."""
    host = es.Host.demo("6.7")
    assert not host.powered_on and host.hostname == "esxi"
    host.boot()
    host.configure("hostname", "lab01")
    host.shutdown()
    assert host.hostname == "lab01"
    assert "Boot banks of lab01" in repr(es.render.bootbanks(host))


def test_explain_reads_an_encrypted_state_tgz_as_the_host_does_and_never_guesses_without_the_key():
    """F36: a 7.0 U2+ host unpacks its own encrypted state.tgz at boot, so after a power loss the older saved copy
    comes back (F23, F38), not the tardisk's. Read from a bare snapshot, without the host's key, the answer is
    'cannot tell', never 'lost'."""
    from esxistate.explain import explain

    h = es.Host.demo("7.0U3")
    h.boot()
    h.fs.write("/etc/hosts", "saved\n")
    h.backup()
    h.fs.write("/etc/hosts", "unsaved\n")
    assert "back to the older copy in state.tgz" in str(h.explain("/etc/hosts"))
    bare = str(explain(h.snapshot(), "/etc/hosts"))
    assert "cannot be read here" in bare and "lost" not in bare
    h.power_loss()
    h.boot()
    assert h.fs.read_text("/etc/hosts") == "saved\n"


# -- rules the host's parts share ---------------------------------------------------------------------------------


def test_a_stateless_host_refuses_image_changes_and_bundles_as_stateless_host():
    """F41: a PXE-booted host has no boot bank, so nothing can be installed, upgraded or bundled on it. The refusal
    is a StatelessHost, which stays a VibError for code that catches the image tools' refusals."""
    h = es.Host.demo(stateless=True)
    h.boot()
    before, events = h.snapshot(), len(h.history)
    vib = es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo hi\n"})
    for refused in (lambda: h.install_vib(vib), lambda: h.upgrade("7.0U3"), h.backup_config):
        with pytest.raises(errors.StatelessHost, match=r"^This host is stateless \(Auto Deploy\)") as info:
            refused()
        assert isinstance(info.value, errors.VibError)
        assert h.snapshot() == before and len(h.history) == events


def test_ramdisk_full_history_keeps_the_whole_logged_sentence_of_a_path_with_a_parenthesis(host):
    """F28: hostd logs "The ramdisk 'etc' is full.  As a result, the file <path> could not be written."; the
    history takes that sentence from the error's field, so a path holding " (" is not cut short."""
    path = "/etc/notes (old).txt"
    with pytest.raises(errors.RamdiskFull) as info:
        host.fs.write(path, b"x" * (29 * 1024 * 1024))
    logged = f"The ramdisk 'etc' is full.  As a result, the file {path} could not be written."
    assert info.value.logged == logged and str(info.value).startswith(logged + " (Writing it would take")
    assert host.history[-1].kind == "ramdisk-full" and host.history[-1].summary == logged


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"version": ["7.0"]}, errors.UnsupportedVersion),
        ({"hostname": 5}, errors.InvalidValue),
        ({"hostname": "lab 01"}, errors.InvalidValue),
        ({"clock": "2026-01-12"}, errors.InvalidValue),
        ({"clock": datetime(1970, 1, 1)}, errors.InvalidValue),
        ({"stateless": "yes"}, errors.InvalidValue),
        ({"secure_config": "no"}, errors.InvalidValue),
    ],
)
def test_demo_refuses_arguments_of_the_wrong_kind_with_a_typed_error(kwargs, error):
    with pytest.raises(error):
        es.Host.demo(**kwargs)


def test_demo_host_name_follows_the_rule_hostd_applies_to_a_new_name(host):
    """One host-name rule: what configure refuses, demo refuses too, with the same sentence."""
    with pytest.raises(errors.InvalidValue) as by_hostd:
        host.configure("hostname", "-lab")
    with pytest.raises(errors.InvalidValue) as by_demo:
        es.Host.demo(hostname="-lab")
    assert str(by_demo.value) == str(by_hostd.value)
    assert es.Host.demo(hostname="lab-02").hostname == "lab-02"


@pytest.mark.parametrize(
    ("line", "runs"),
    [
        ("1 * * * * /sbin/auto-backup.sh ++group=host/vim/vmvisor/backup.sh", True),  # ESXi 7.0's own line (F12)
        ("#1 * * * * /sbin/auto-backup.sh", False),  # commented out
        ("*/30 * * * * /sbin/auto-backup.sh", True),
        ("1 * * * * /bin/auto-backup.sh.orig", False),  # another command
    ],
)
def test_explain_and_the_clock_read_root_crontab_by_the_same_rule(host, line, runs):
    """F12: crond runs what root's crontab says. The clock's cron runs and explain's 'at the next cron run' must agree
    on whether auto-backup.sh is scheduled at all."""
    host.fs.write("/var/spool/cron/crontabs/root", line + "\n")
    host.fs.write("/etc/hosts", "10.0.0.9 lab\n")
    said = host.explain("/etc/hosts").at_next_cron.what
    assert ("no longer runs auto-backup.sh" not in said) is runs
    clock = host.advance(hours=2)[-1]
    assert (clock.details["cron_runs"] > 0) is runs


def test_clock_event_gives_the_moment_of_each_listed_cron_run(host):
    """F12: auto-backup.sh at minute 1 of every hour. Each listed run comes with its moment as data, also across
    midnight, where "HH:MM" alone would not say which day."""
    host.fs.write("/etc/hosts", "10.0.0.9 lab\n")
    clock = host.advance(hours=17)[-1]
    day = host.history[0].time.date()
    assert clock.details["cron"][0] == "09:01 backup"
    assert [t.strftime("%H:%M") for t in clock.details["cron_times"]] == [r[:5] for r in clock.details["cron"]]
    assert clock.details["cron_times"][-1].date() == day + timedelta(days=1)
    assert clock.details["cron_runs"] == len(clock.details["cron_times"]) == 17


def test_a_new_version_of_an_installed_vib_takes_over_its_module_file(host):
    """F11, F33: the new image drops the old version's payload, so its 8.3 file name is free again and the new
    version gets it; the old tardisk leaves /tardisks and the new one serves the file."""
    host.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo 1\n"}))
    result = host.install_vib(es.Vib.build("lab-tool", "2.0", {"/opt/lab/tool.sh": "echo 2\n"}))
    assert result.removed == ("ESXiStateLab_bootbank_lab-tool_1.0",)
    assert dict(next(v for v in host.vibs if v.name == "lab-tool").modules) == {"lab-tool": "lab_tool.v00"}
    assert host.fs.resolve("/opt/lab/tool.sh").layer == "lab_tool.v00"
    assert host.fs.read_text("/opt/lab/tool.sh") == "echo 2\n"
    assert "lab_tool.v01" not in host.altbootbank.files
