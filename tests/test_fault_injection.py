"""Power loss after every step of a backup, a VIB install and an upgrade: the next boot works and the host holds
the complete old or the complete new state, never a mix or a corrupt archive (F6, F17, F33). Staging takes a fresh
backup into the new bank (`backup.sh 0 /altbootbank`, step backup_altbootbank, F49): a sticky /etc edit that no
backup had saved survives a power cut once the new boot.cfg is written, and is lost (as any unsaved edit) before."""

from __future__ import annotations

import pytest

import esxistate as es
from esxistate import archive
from esxistate.bootbank import BankState
from esxistate.host import LIVE_STEPS, STAGE_STEPS


def assert_bank_is_whole(bank: es.BootBank) -> None:
    """A bootable bank has every module boot.cfg names, each a readable archive, and imgdb.tgz names its VIBs."""
    if not bank.bootable:
        return
    for module in bank.config.modules:
        data = bank.read(module)
        if module.endswith((".v00", ".v01", ".v02", ".t00", ".tgz")):
            archive.read_members(data, name=module)
    imgdb = archive.read_members(bank.read("imgdb.tgz"))
    described = {n.rsplit("/", 1)[-1].removesuffix(".xml") for n in imgdb if "/vibs/" in n}
    assert described == {v.name for v in bank.vibs}
    on_bank = {m for v in bank.vibs for _p, m in v.modules}
    assert on_bank <= set(bank.files)


def lab_vib(**kw) -> es.Vib:
    return es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo lab\n"}, **kw)


UNSAVED = "10.0.0.7 unsaved-edit\n"  # appended to /etc/hosts (sticky: it gets a .# twin) and never backed up


def edit_without_backup(h: es.Host) -> None:
    h.fs.write("/etc/hosts", UNSAVED, append=True)


def test_the_staging_steps_back_up_into_the_altbootbank_before_boot_cfg():
    """F49: esxupdate runs /sbin/backup.sh 0 /altbootbank, and only then writes the new bank's boot.cfg."""
    assert STAGE_STEPS == (
        "invalidate_altbootbank",
        "write_modules",
        "write_imgdb",
        "backup_altbootbank",
        "write_bootcfg",
    )
    assert (*STAGE_STEPS, "mount_tardisk", "write_marker") == LIVE_STEPS


@pytest.mark.parametrize("step", LIVE_STEPS)
def test_power_loss_during_a_live_vib_install(step):
    h = es.Host.demo("7.0")
    h.boot()
    edit_without_backup(h)
    h.install_vib(lab_vib(), power_loss_after=step)
    assert not h.powered_on
    h.boot()
    complete = LIVE_STEPS.index(step) >= LIVE_STEPS.index("write_bootcfg")
    assert h.fs.exists("/opt/lab/tool.sh") is complete
    assert ("lab-tool" in {v.name for v in h.vibs}) is complete
    assert h.bootbank.label == ("BOOTBANK2" if complete else "BOOTBANK1")
    assert (UNSAVED in h.fs.read_text("/etc/hosts")) is complete  # F49: the new bank holds the install-time config
    if not complete:
        assert not h.altbootbank.bootable  # the half-written bank is never booted
    for bank in h.banks:
        assert_bank_is_whole(bank)


@pytest.mark.parametrize("step", STAGE_STEPS)
def test_power_loss_while_staging_a_reboot_vib(step):
    h = es.Host.demo("6.7")
    h.boot()
    edit_without_backup(h)
    h.install_vib(lab_vib(live_install=False), live=False, power_loss_after=step)
    alt = h.altbootbank
    backed_up = STAGE_STEPS.index(step) >= STAGE_STEPS.index("backup_altbootbank")
    assert ("state.tgz" in alt.files) is backed_up
    if backed_up:  # the fresh state.tgz already holds the unsaved edit, even before boot.cfg makes the bank bootable
        saved = es.StateArchive.from_bytes(alt.files["state.tgz"]).read_text("etc/hosts")
        assert UNSAVED in saved
    h.boot()
    complete = step == "write_bootcfg"
    assert h.fs.exists("/opt/lab/tool.sh") is complete
    assert (UNSAVED in h.fs.read_text("/etc/hosts")) is complete
    for bank in h.banks:
        assert_bank_is_whole(bank)


@pytest.mark.parametrize("step", STAGE_STEPS)
def test_power_loss_during_an_upgrade(step):
    h = es.Host.demo("6.7")
    h.boot()
    h.fs.write("/etc/hosts", "10.0.0.1 kept\n")
    h.backup()
    edit_without_backup(h)
    h.upgrade("7.0", power_loss_after=step)
    assert not h.powered_on
    h.boot()
    complete = step == "write_bootcfg"
    assert h.version == ("7.0" if complete else "6.7")
    hosts = h.fs.read_text("/etc/hosts")
    assert hosts.startswith("10.0.0.1 kept\n")  # the saved state is there either way
    assert (UNSAVED in hosts) is complete  # F49: staging's backup.sh 0 /altbootbank took the unsaved edit along
    if complete:
        assert h.bootbank.state is BankState.VALID  # first boot confirmed the new image
    for bank in h.banks:
        assert_bank_is_whole(bank)


def test_a_completed_install_then_a_power_cut_keeps_the_unsaved_edits():
    """F49: the edits made before `esxcli software vib install` survive a power cut after it, though no backup ran."""
    h = es.Host.demo("7.0")
    h.boot()
    edit_without_backup(h)
    h.install_vib(lab_vib(live_install=False), live=False)
    h.power_loss()
    h.boot()
    assert UNSAVED in h.fs.read_text("/etc/hosts") and h.fs.exists("/opt/lab/tool.sh")


def test_an_interrupted_upgrade_can_be_done_again():
    h = es.Host.demo("6.7")
    h.boot()
    h.upgrade("7.0", power_loss_after="write_modules")
    h.boot()
    h.upgrade("7.0")
    h.reboot()
    assert h.version == "7.0"


def test_unknown_staging_step_is_refused():
    h = es.Host.demo("6.7")
    h.boot()
    before = h.snapshot()
    with pytest.raises(es.errors.UnknownStep, match="an upgrade has no step 'nap'"):
        h.upgrade("7.0", power_loss_after="nap")
    with pytest.raises(es.errors.UnknownStep):
        h.install_vib(lab_vib(), power_loss_after="mount_tardisk_twice")
    with pytest.raises(es.errors.UnknownStep):  # a staged install mounts nothing
        h.install_vib(lab_vib(), live=False, power_loss_after="mount_tardisk")
    assert h.snapshot() == before
