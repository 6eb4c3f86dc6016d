"""Words and files of the real ESXi tree (F48, F30, F12, F13, F18, F46): each test names the public file or page the
expected text comes from. ESX67TREE is the unpacked ESXi 6.7 root file system in github.com/ljvblfz/ESXi."""

from __future__ import annotations

import pytest

import esxistate as es
from esxistate import errors


def booted(version: str = "6.7") -> es.Host:
    h = es.Host.demo(version)
    h.boot()
    return h


# -- /etc/inittab, /etc/passwd, root's crontab (F48, F12, F13) ----------------------------------------------------


def test_inittab_is_the_real_one():
    """ESX67TREE etc/inittab, verbatim: services.sh start and /etc/rc.local as `::wait:` lines, and the shutdown
    backup `/bin/backup.sh 1` after `services.sh stop` (F13, F48)."""
    lines = booted().fs.read_text("/etc/inittab").splitlines()
    assert lines[0] == "::sysinit:/usr/lib/vmware/secureboot/bin/secureBoot.py"
    assert "::wait:/bin/services.sh start" in lines
    assert "::wait:/bin/sh ++min=0,group=host/vim/vimuser/terminal/shell /etc/rc.local" in lines
    stop = lines.index("::shutdown:/bin/services.sh stop")
    assert lines[stop + 1] == "::shutdown:/bin/backup.sh 1"
    assert lines[-1] == "::shutdown:/usr/lib/vmware/vmsyslog/bin/shutdown.sh" and len(lines) == 30


def test_rc_local_exists_because_inittab_runs_it():
    """ESX67TREE etc/inittab runs /etc/rc.local at the end of boot (F48); its body is our reconstruction."""
    entry = booted().fs.stat("/etc/rc.local")
    assert entry.is_file and entry.mode & 0o111


def test_the_shutdown_backup_is_the_inittab_line():
    """ESX67TREE etc/inittab: an orderly shutdown runs `/bin/backup.sh 1` (F13); the engine names the same script."""
    h = booted()
    h.fs.write("/etc/hosts", "10.0.0.9 lab\n")
    h.shutdown()
    backup = next(e for e in reversed(h.history) if e.kind == "backup")
    assert backup.summary.startswith("/bin/backup.sh 1 (shutdown)")
    assert "::shutdown:/bin/backup.sh 1" in es.image._INITTAB.splitlines()


def test_passwd_is_the_real_one():
    """ESX67TREE etc/passwd, verbatim: vpxuser has /sbin/nologin as its shell (F48)."""
    text = booted().fs.read_text("/etc/passwd")
    assert text == (
        "root:x:0:0:Administrator:/:/bin/sh\n"
        "daemon:x:2:2:System daemons:/:/sbin/nologin\n"
        "nfsnobody:x:65534:65534:Anonymous NFS User:/:/sbin/nologin\n"
        "dcui:x:100:100:DCUI User:/:/sbin/nologin\n"
        "vpxuser:x:500:100:VMware VirtualCenter administration account:/:/sbin/nologin\n"
    )


def test_the_70_crontab_is_the_published_capture():
    """7.0 root's crontab, verbatim from a published ESXi 7.0.3 capture (README of
    github.com/ChenWenBrian/esxi_trial_reset, `cat /var/spool/cron/crontabs/root`): auto-backup.sh with
    `++group=host/vim/vmvisor/backup.sh` and `*/10 * * * * /bin/crx-cli gc` (F48). 6.7 keeps ESX67TREE's (F12)."""
    h = booted("7.0")
    lines = h.shell("crontab -l").splitlines()
    assert lines[2] == "1    *    *   *   *   /sbin/auto-backup.sh ++group=host/vim/vmvisor/backup.sh"
    assert lines[-1] == "*/10 *    *   *   *   /bin/crx-cli gc" and len(lines) == 7
    assert "crx-cli" not in booted("6.7").shell("crontab -l")


def test_cron_still_runs_auto_backup_from_the_70_line():
    """The 7.0 line carries an argument after the script (F48); crond still runs auto-backup.sh at minute 1 (F12)."""
    h = booted("7.0")
    h.fs.write("/etc/hosts", "10.0.0.9 lab\n")
    h.advance(hours=1)
    assert any(e.kind == "backup" and "(cron)" in e.summary for e in h.history)


# -- /etc/vmware/.backup.counter (F18) -----------------------------------------------------------------------------


def test_backup_sh_counts_its_runs_in_the_real_format():
    """ESX67TREE bin/backup.sh: after taking its lock, every run rewrites /etc/vmware/.backup.counter with a header,
    `# CREATED:` (kept from the first run, echoed unquoted so blanks collapse), `# MODIFIED: $(date)` and the count
    plus one (F18)."""
    h = booted()
    assert not h.fs.exists("/etc/vmware/.backup.counter")  # the image does not ship it (ESX67TREE etc/vmware)
    h.shell("/sbin/backup.sh 0")
    h.advance(minutes=30)
    h.shell("/sbin/backup.sh 0")
    lines = h.fs.read_text("/etc/vmware/.backup.counter").splitlines()
    assert lines == [
        "# This file is owned and updated by /sbin/backup.sh",
        "# CREATED: Mon Jan 12 09:00:00 UTC 2026",
        "# MODIFIED: Mon Jan 12 09:30:00 UTC 2026",
        "2",
    ]


def test_the_counter_is_never_saved_and_never_triggers_auto_backup():
    """backup.sh creates the counter with `echo > file`: the image does not ship it sticky, so VisorFS keeps no `.#`
    twin, backup.sh's and auto-backup.sh's `find etc -name '.#*'` never list it (ESX67TREE bin/backup.sh,
    bin/auto-backup.sh; F16, F25), it is not in local.tgz and is gone after a reboot."""
    h = booted()
    h.fs.write("/etc/hosts", "10.0.0.9 lab\n")
    result = h.backup()
    assert "/etc/vmware/.backup.counter" not in result.files
    assert not h.fs.exists("/etc/vmware/.#.backup.counter")
    assert h.fs.stat("/etc/vmware/.backup.counter").mode == 0o644
    h.advance(hours=2)  # the counter changed at each backup.sh run, yet cron finds nothing to save
    assert h.history[-1].details["cron"] == ("09:01 nothing to save", "10:01 nothing to save")
    h.reboot()  # the shutdown run counted itself on the etc ramdisk, which the reboot releases
    assert not h.fs.exists("/etc/vmware/.backup.counter")
    assert "etc/vmware/.backup.counter" not in es.StateArchive.from_bytes(h.bootbank.files["state.tgz"]).names()


def test_auto_backup_with_nothing_changed_does_not_run_backup_sh():
    """auto-backup.sh calls backup.sh only at the first difference (ESX67TREE bin/auto-backup.sh, F14), so the counter
    does not move when nothing changed."""
    h = booted()
    h.shell("/sbin/backup.sh 0")
    before = h.fs.read_text("/etc/vmware/.backup.counter")
    h.backup()
    assert h.fs.read_text("/etc/vmware/.backup.counter") == before


# -- VIB words (F30, F48) ------------------------------------------------------------------------------------------


def test_a_file_conflict_uses_esximages_words():
    """Published wording (ESXi-Customizer-PS pull request #50; itiligent/ESXi-Custom-ISO issue #2): "File path of
    '<path>' is claimed by multiple non-overlay VIBs: {'<id>', '<id>'}", one line per path, the ids as a Python set
    (F30). The bracketed exception name esxcli prints above it is background knowledge, no public sample found."""
    h = booted()
    vib = es.Vib.build("lab-motd", "1.0", {"/etc/motd": "x", "/etc/issue": "y"})
    before = h.snapshot()
    with pytest.raises(errors.VibConflict) as err:
        h.install_vib(vib)
    claimed = "{'ESXiStateLab_bootbank_lab-motd_1.0', 'VMware_bootbank_esx-base_6.7.0-0.0.8169922'}"
    assert str(err.value) == (
        f"File path of '/etc/issue' is claimed by multiple non-overlay VIBs: {claimed}\n"
        f"File path of '/etc/motd' is claimed by multiple non-overlay VIBs: {claimed}"
    )
    assert h.snapshot() == before
    h.fs.write("/tmp/m.vib", vib.to_bytes())
    assert h.shell("esxcli software vib install -v /tmp/m.vib") == (
        " [FileConflictError]\n"
        f" File path of '/etc/issue' is claimed by multiple non-overlay VIBs: {claimed}\n"
        f" File path of '/etc/motd' is claimed by multiple non-overlay VIBs: {claimed}\n"
        " Please refer to the log file for more details.\n"
    )


def test_67_host_client_is_the_real_vib_and_removes_live():
    """ESX67TREE var/db/esximg/vibs/esx-ui-232411025.xml: esx-ui 1.25.0-7872652, "VMware Host Client",
    maintenance-mode false; live-install/live-remove allowed (F30, F48). Removing it live unmounts its tardisk."""
    h = booted()
    ui = next(v for v in h.vibs if v.name == "esx-ui")
    assert ui.id == "VMware_bootbank_esx-ui_1.25.0-7872652"
    assert ui.live_install and ui.live_remove and not ui.maintenance_mode and not ui.base
    result = h.remove_vib("esx-ui")
    assert not result.reboot_required and result.removed == ("VMware_bootbank_esx-ui_1.25.0-7872652",)
    assert "esx_ui.v00" not in h.shell("ls /tardisks").split() and "s.v00" in h.shell("ls /tardisks").split()
    assert not h.fs.exists("/usr/lib/vmware/hostd/docroot/ui/index.html")


def test_no_base_image_words_on_67():
    """6.x has no base image (F48): removing esx-base fails esximage's dependency check, in the published
    DependencyError form "VIB X requires Y, but the requirement cannot be satisfied within the ImageProfile."
    (v-front.de 2015); esx-ui needs `esx-version >= 5.0.0` (ESX67TREE esx-ui xml). 7.0 speaks of its base image."""
    h = booted()
    with pytest.raises(errors.BaseImageVib) as err:
        h.remove_vib("esx-base")
    assert str(err.value) == (
        "VIB VMware_bootbank_esx-ui_1.25.0-7872652 requires esx-version >= 5.0.0, but the requirement cannot be "
        "satisfied within the ImageProfile."
    )
    out = h.shell("esxcli software vib remove -n esx-base") + h.shell("esxcli software vib remove -n vsan")
    assert "base image" not in out.lower() and out.count(" [DependencyError]\n") == 2
    new = booted("7.0")
    assert "is part of the ESXi base image" in new.shell("esxcli software vib remove -n esx-base")


# -- /tardisks and VisorFS directories (F46) -----------------------------------------------------------------------


def test_tardisks_lists_every_mounted_tardisk_decompressed():
    """F46: the boot loader decompresses each module (esx-boot mboot) and /tardisks shows every mounted tardisk by
    module name; a published script re-gzips `/tardisks/esxiimg.tgz` "because bootloader decompressed it". So a
    file there is the gunzipped module: its size is the uncompressed tar's and `cat` gives tar bytes, not gzip."""
    h = booted()
    listed = h.shell("ls -1 /tardisks").split()
    assert listed == sorted(t.name for t in h.tardisks) and "s.v00" in listed and "state.tgz" in listed
    s = h.fs.read("/tardisks/s.v00")
    assert s[:2] != b"\x1f\x8b" and s[257:262] == b"ustar"  # a tar, not gzip
    assert s == es.archive.gunzip(h.bootbank.files["s.v00"])


def test_ls_l_tardisks_shows_the_decompressed_size():
    """F46: `ls -l /tardisks` gives each tardisk's decompressed size (mode and time: our reconstruction, no public
    `ls -l /tardisks` sample was found)."""
    h = booted()
    line = next(ln for ln in h.shell("ls -l /tardisks").splitlines() if ln.endswith(" s.v00"))
    size = len(es.archive.gunzip(h.bootbank.files["s.v00"]))
    assert line.split()[:5] == ["-r--r--r--", "1", "root", "root", str(size)]
    assert size > len(h.bootbank.files["s.v00"])  # bigger than the gzip'd module on the boot bank


def test_vdf_esxcli_and_tardisks_agree_on_every_tardisk_size():
    """F46 and sample S3: vdf's tardisk sizes are the uncompressed tar sizes, larger than the .v00 file on the boot
    bank; `esxcli system visorfs tardisk list` and `ls -l /tardisks` show the same decompressed bytes."""
    h = booted()
    listed = {ln.split()[-1]: int(ln.split()[4]) for ln in h.shell("ls -l /tardisks").splitlines()[1:]}
    tardisk_part = h.shell("vdf").split("-----")[0].splitlines()[1:]
    vdf = {ln.split()[0]: int(ln.split()[1]) for ln in tardisk_part}
    esxcli = {r.split()[0]: int(r.split()[2]) for r in h.shell("esxcli system visorfs tardisk list").splitlines()[2:]}
    for td in h.tardisks:
        real = len(es.archive.gunzip(h.bootbank.files[td.name]))
        assert listed[td.name] == esxcli[td.name] == real, td.name
        assert vdf[td.name] == real // 1024, td.name


def test_live_install_and_removal_show_in_tardisks():
    """F46, F33: a live install mounts its payload under /tardisks at once (a published failure shows esximage
    moving a payload to `/tardisks/esxcli_n.t00`); a live removal removes it (a published one fails with "can't
    remove '/tardisks/datrium_.v00': Device or resource busy")."""
    h = booted()
    vib = es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool": "x"}, live_install=True, live_remove=True)
    h.install_vib(vib)
    assert "lab_tool.v00" in h.shell("ls /tardisks").split()
    assert h.fs.stat("/tardisks/lab_tool.v00").is_file
    h.remove_vib("lab-tool")
    assert "lab_tool.v00" not in h.shell("ls /tardisks").split()
    assert h.shell("ls /tardisks/lab_tool.v00") == "ls: /tardisks/lab_tool.v00: No such file or directory\n"


def test_tardisks_is_read_only():
    """F46, F27: tardisks are read-only and only the image tools mount them."""
    h = booted()
    before = h.snapshot()
    for action in (lambda: h.fs.write("/tardisks/x.v00", "x"), lambda: h.fs.delete("/tardisks/s.v00")):
        with pytest.raises(errors.ReadOnlyFile):
            action()
    assert h.snapshot() == before
    assert h.shell("echo x > /tardisks/s.v00") == "sh: can't create /tardisks/s.v00: Read-only file system\n"
    assert "tardisks" in h.shell("ls /").split()


def test_visorfs_directories_list_with_one_link_and_size_512():
    """Published ESXi listings: `ls -l /` in VMware's boot-from-SAN KB example shows
    `drwxr-xr-x 1 root root 512 Sep 17 01:11 bin`, and an ESXi `ls /vmfs/volumes/ -la` capture shows
    `drwxr-xr-x    1 root     root           512 Dec 23 21:04 .`: one link and size 512 for a VisorFS directory."""
    h = booted()
    line = next(ln for ln in h.shell("ls -l /").splitlines() if ln.endswith(" etc"))
    assert line.startswith("drwxr-xr-x    1 root     root           512 ")
    assert h.fs.stat("/etc").st_size == 512 and h.fs.stat("/etc/hosts").st_size == len(h.fs.read("/etc/hosts"))
    dot = h.shell("ls -la /etc/rc.local.d").splitlines()[1]
    assert dot.split()[1] == "1" and dot.split()[4] == "512"


def test_a_full_etc_ramdisk_does_not_stop_backup_sh_at_the_counter():
    """backup.sh writes the counter with `echo > file` and goes on when that fails (ESX67TREE bin/backup.sh, F18,
    F28): the backup itself still runs."""
    h = booted()
    h.fs.write("/etc/hosts", "10.0.0.9 lab\n")
    etc = next(r for r in h.ramdisks if r.name == "etc")
    h.fs.write("/etc/filler", b"a" * (etc.capacity - etc.used - 10))
    result = h.backup()
    assert not result.skipped and "/etc/hosts" in result.files
    assert not h.fs.exists("/etc/vmware/.backup.counter")
