"""The commands an administrator types on ESXi, each against a published output where one exists.

Sources named in the docstrings: "5.5 capture" = a public note of ESXi 5.5 shell output (`esxcli system --help`,
`esxcli system version get`, `vmware -v`, `uname -a`); "5.1 walk-through" = J. M. Rey, "Power and maintenance
operations in ESXi 5.1 with esxcli" (2012); "6.5 capture" = a public ESXi 6.5 config-restore note (`vmware -vl`);
"7.0.1 capture" = a public esxcli tutorial on 7.0.1 (`esxcli software baseimage get`, `esxcli system version get`);
"6.0 capture" = a public ESXi 6.0 U3 upgrade note (`esxcli system version get` with Patch: 57);
"vib get captures" = public 5.5 (NSX esx-vxlan) and 7.0 (net55-r8168) `esxcli software vib get` outputs;
"8.0 capture" = a public 8.0 U1c `esxcli software profile get`; "8.0 component row" = frankdenneman.nl 2023;
ESX67TREE = the ESXi 6.7 root file system (github.com/ljvblfz/ESXi); KB 342062 = Broadcom's "Locally restoring an
ESXi configuration from state.tgz backup".
"""

from __future__ import annotations

import re

import pytest

import esxistate as es
from esxistate import image, product


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("6.7")
    h.boot()
    return h


@pytest.fixture
def host70() -> es.Host:
    h = es.Host.demo("7.0")
    h.boot()
    return h


def test_vmware_v_and_vl_match_the_published_captures():
    """`vmware -v` = `VMware ESXi 7.0.0 build-16324942` and `vmware -l` = `VMware ESXi 7.0 GA` on exactly our 7.0b
    build (a published 7.0 upgrade note); 6.x names the full version (`VMware ESXi 6.7.0 Update 3`, published
    6.7 U3 captures), so 6.7 GA is `VMware ESXi 6.7.0 GA`."""
    seven = es.Host.demo("7.0")
    seven.boot()
    assert seven.shell("vmware -v") == "VMware ESXi 7.0.0 build-16324942\n"
    assert seven.shell("vmware -l") == "VMware ESXi 7.0 GA\n"
    six = es.Host.demo("6.7")
    six.boot()
    assert six.shell("vmware -vl") == "VMware ESXi 6.7.0 build-8169922\nVMware ESXi 6.7.0 GA\n"
    assert product.Product("7.0.3-0.0.22348816", 0).release == "7.0 Update 3"  # published 7.0 U3 `vmware -vl`
    assert product.Product("6.7.0-3.73.14320388", 0).release == "6.7.0 Update 3"


@pytest.mark.parametrize("version", sorted(image.VERSIONS))
def test_every_image_reads_its_build_from_the_host(version):
    """No build is hard-coded: `vmware -v`, `uname -a` and `esxcli system version get` name the booted bank's."""
    h = es.Host.demo(version)
    h.boot()
    full = h.bootbank.build
    number = full.rsplit(".", 1)[1]
    ver = full.split("-")[0]
    assert h.shell("vmware -v") == f"VMware ESXi {ver} build-{number}\n"
    assert f" {ver} #1 SMP Release build-{number} " in h.shell("uname -a")
    assert f"   Build: Releasebuild-{number}\n" in h.shell("esxcli system version get")


def test_product_reads_update_and_patch_from_the_build_string():
    """Build strings `<x.y.update>-<quarter>.<patch>.<number>` (Broadcom KB 395110); 6.0 U3 = 6.0.0-3.57.5050593
    shows `Update: 3`, `Patch: 57` in the 6.0 capture."""
    p = product.Product("6.0.0-3.57.5050593", 0)
    assert (p.version, p.update, p.patch, p.number, p.level) == ("6.0.0", 3, 57, "5050593", "Update 3")
    u3 = product.Product("7.0.3-0.0.18644231", 0)
    assert (u3.update, u3.level, u3.profile) == (3, "Update 3", "ESXi-7.0U3-18644231-standard")
    assert product.Product("6.7.0-0.0.8169922", 0).profile == "ESXi-6.7.0-8169922-standard"


def test_esxcli_system_version_get(host, host70):
    """Layout of the 6.0 and 7.0.1 captures: Product, Version, Build: Releasebuild-N, Update, Patch."""
    assert host.shell("esxcli system version get") == (
        "   Product: VMware ESXi\n   Version: 6.7.0\n   Build: Releasebuild-8169922\n   Update: 0\n   Patch: 0\n"
    )
    assert "   Patch: 25\n" in host70.shell("esxcli system version get")  # 7.0.0-1.25.16324942


def test_esxcli_system_hostname_get(host):
    """Domain Name, Fully Qualified Domain Name, Host Name (esxcli's keys; no capture found of the whole output)."""
    assert host.shell("esxcli system hostname get") == (
        "   Domain Name: lab.local\n   Fully Qualified Domain Name: esxi.lab.local\n   Host Name: esxi\n"
    )


def test_maintenance_mode_get_and_set(host):
    """5.1 walk-through: `get` prints Disabled/Enabled, `set -e true` prints nothing; the namespace lists get and
    set. "Maintenance mode is already enabled." is quoted in a published 7.0 upgrade note. The change is an
    Event."""
    assert host.shell("esxcli system maintenanceMode get") == "Disabled\n"
    assert host.shell("esxcli system maintenanceMode set -e true -t 0") == ""
    assert host.shell("esxcli system maintenanceMode get") == "Enabled\n"
    assert host.maintenance_mode and host.history[-1].kind == "maintenance-mode"
    assert host.shell("esxcli system maintenanceMode set --enable=true") == "Maintenance mode is already enabled.\n"
    assert host.shell("esxcli system maintenanceMode set").startswith("Error: Missing required parameter -e|--enable")
    assert host.shell("esxcli system maintenanceMode set -e false") == ""
    assert host.shell("esxcli system maintenanceMode") == (
        "Usage: esxcli system maintenanceMode {cmd} [cmd options]\n\nAvailable Commands:\n"
        "  get                   Get the maintenance mode state of the system.\n"
        "  set                   Enable or disable the maintenance mode of the system.\n"
    )


def test_vim_cmd_maintenance_mode_and_sync_config(host):
    """vim-cmd hostsvc/maintenance_mode_enter|exit (used in public restore notes) print nothing; a second enter is
    vim's InvalidState fault (layout background knowledge). sync_config saves the configuration now."""
    assert host.shell("vim-cmd hostsvc/maintenance_mode_enter") == ""
    assert host.maintenance_mode
    assert "vim.fault.InvalidState" in host.shell("vim-cmd hostsvc/maintenance_mode_enter")
    assert host.shell("vim-cmd hostsvc/maintenance_mode_exit") == "" and not host.maintenance_mode
    host.shell("echo 10.0.0.9 sync >> /etc/hosts")
    assert host.shell("vim-cmd hostsvc/firmware/sync_config") == ""
    assert "10.0.0.9 sync" in es.StateArchive.from_bytes(host.bootbank.read("state.tgz")).read_text("etc/hosts")


def test_maintenance_mode_survives_a_reboot_and_is_atomic(host):
    host.set_maintenance_mode(True)
    host.reboot()
    assert host.shell("esxcli system maintenanceMode get") == "Enabled\n"
    with pytest.raises(es.errors.InvalidValue):
        host.set_maintenance_mode("yes")


def test_vib_get_has_the_published_field_list(host):
    """vib get captures: the VIB id line, then Name ... Payloads in this order."""
    out = host.shell("esxcli software vib get -n esx-base").splitlines()
    assert out[0] == "VMware_bootbank_esx-base_6.7.0-0.0.8169922"
    keys = [ln.split(":", 1)[0].strip() for ln in out[1:]]
    assert keys == [
        "Name", "Version", "Type", "Vendor", "Acceptance Level", "Summary", "Description", "ReferenceURLs",
        "Creation Date", "Depends", "Conflicts", "Replaces", "Provides", "Maintenance Mode Required",
        "Hardware Platforms Required", "Live Install Allowed", "Live Remove Allowed", "Stateless Ready", "Overlay",
        "Tags", "Payloads",
    ]  # fmt: skip
    assert "   Payloads: b, jumpstrt, useropts, features, k" in "\n".join(out)
    assert host.shell("esxcli software vib get -n nope").startswith(" [NoMatchError]\n No VIB matching")


def test_profile_get_names_the_image_and_marks_a_changed_one(host):
    """8.0 capture: `(Updated) ESXi-8.0U1c-22088125-standard` then Name, Vendor, Creation Time, Modification Time,
    Stateless Ready; a public script reads the `VIBs:` line."""
    out = host.shell("esxcli software profile get").splitlines()
    assert out[:3] == ["ESXi-6.7.0-8169922-standard", "   Name: ESXi-6.7.0-8169922-standard", "   Vendor: VMware, Inc."]
    assert re.fullmatch(r"   Creation Time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", out[3])
    assert out[-1].startswith("   VIBs: ") and "VMware_bootbank_esx-base_6.7.0-0.0.8169922" in out[-1]
    host.install_vib(es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool": "t"}, live_install=True))
    assert host.shell("esxcli software profile get").startswith("(Updated) ESXi-6.7.0-8169922-standard\n")


def test_component_and_baseimage_exist_from_70_only(host, host70):
    """7.0.1 capture: `esxcli software baseimage get` prints `ESXi:<build>`. On 6.7 the namespaces do not exist
    and esxcli says so in its own words (F48: "base image" belongs to 7.0 and later)."""
    assert host70.shell("esxcli software baseimage get") == "ESXi:7.0.0-1.25.16324942\n"
    headers = re.split(r" {2,}", host70.shell("esxcli software component list").splitlines()[0])
    assert headers == [
        "Name",
        "Display Name",
        "Version",
        "Display Version",
        "Vendor",
        "Release Date",
        "Acceptance Level",
    ]
    assert host70.shell("esxcli software component list | grep ^ESXi").split()[:3] == [
        "ESXi",
        "ESXi",
        "7.0.0-1.25.16324942",
    ]
    for cmd in ("software component list", "software baseimage get"):
        assert host.shell(f"esxcli {cmd}") == f"Error: Unknown command or namespace {cmd}\n"
    assert "baseimage" not in host.shell("esxcli software") and "baseimage" in host70.shell("esxcli software")


def test_esxcli_help_and_bare_namespaces_print_usage(host):
    """5.5 capture: `Usage: esxcli system {cmd} [cmd options]`, a blank line, `Available Namespaces:`, then
    `  name` padded to 24 columns and the description."""
    top = host.shell("esxcli --help")
    assert top == host.shell("esxcli") and top.startswith("Usage: esxcli [options] {namespace}+ {cmd} [cmd options]\n")
    assert (
        "\nAvailable Namespaces:\n" in top
        and "  software              Manage the ESXi software image and packages\n" in top
    )
    system = host.shell("esxcli system")
    assert system.startswith("Usage: esxcli system {cmd} [cmd options]\n\nAvailable Namespaces:\n")
    assert "  maintenanceMode       Command to manage the system's maintenance mode.\n" in system
    assert "  version               Commands to get version information.\n" in system
    assert host.shell("esxcli software vib").count("\n  ") >= 4 and "Available Commands:" in host.shell(
        "esxcli software vib"
    )
    assert host.shell("esxcli system nope") == "Error: Unknown command or namespace system nope\n"
    assert host.shell("esxcli system maintenanceMode set --help") == (  # 5.1 walk-through's command usage
        "Usage: esxcli system maintenanceMode set [cmd options]\n\nDescription:\n"
        "  set                   Enable or disable the maintenance mode of the system.\n"
    )
    assert host.shell("localcli system version get") == host.shell("esxcli system version get")
    assert host.shell("esxcli --version") == "Script 'esxcli' version: 6.7.0\n"  # 7.0.1 capture: `...: 7.0.0`
    assert host.shell("localcli").startswith("Usage: localcli [options] {namespace}+ {cmd} [cmd options]\n")


def test_visorfs_get(host):
    """Our reconstruction: no capture of `esxcli system visorfs get` found; the keys are background knowledge."""
    out = host.shell("esxcli system visorfs get")
    assert out.startswith("   Total Inodes: 524288\n   Used Inodes: ")
    used = int(re.search(r"Used Inodes: (\d+)", out).group(1))
    host.shell("touch /tmp/one /tmp/two")
    assert int(re.search(r"Used Inodes: (\d+)", host.shell("esxcli system visorfs get")).group(1)) == used + 2


def test_uname_a(host, host70):
    """Published `uname -a` captures of exactly these builds: `VMkernel esxi 6.7.0 #1 SMP Release build-8169922
    Apr  3 2018 14:48:22 x86_64 x86_64 x86_64 ESXi` (6.7 GA) and `... 7.0.0 #1 SMP Release build-16324942 Jun  2
    2020 10:08:07 x86_64 x86_64 x86_64 ESXi` (7.0b)."""
    assert host.shell("uname -a") == (
        "VMkernel esxi 6.7.0 #1 SMP Release build-8169922 Apr  3 2018 14:48:22 x86_64 x86_64 x86_64 ESXi\n"
    )
    assert host70.shell("uname -a") == (
        "VMkernel esxi 7.0.0 #1 SMP Release build-16324942 Jun  2 2020 10:08:07 x86_64 x86_64 x86_64 ESXi\n"
    )
    assert host.shell("uname") == "VMkernel\n" and host.shell("uname -r") == "6.7.0\n"


def test_uptime_counts_from_the_boot(host):
    """busybox uptime.c's layout (` HH:MM:SS up D days, H:MM,  load average: ...`); no ESXi capture found."""
    assert host.shell("uptime") == " 09:00:00 up 0 min,  load average: 0.00, 0.00, 0.00\n"
    host.advance(hours=26, minutes=5)
    assert host.shell("uptime") == " 11:05:00 up 1 day,  2:05,  load average: 0.00, 0.00, 0.00\n"


def test_id_and_ps(host):
    """busybox id for root; ESXi's own ps (WID, CID, World Name) is our reconstruction, no capture found."""
    assert host.shell("id") == "uid=0(root) gid=0(root) groups=0(root)\n"
    ps = host.shell("ps").splitlines()
    assert ps[0].split() == ["WID", "CID", "World", "Name"] and any(ln.endswith(" hostd") for ln in ps)


def test_df_h_lists_the_boot_bank_volumes(host, host70):
    """Published `df -h` captures: `Filesystem   Size   Used Available Use% Mounted on`, a 6.x boot bank is
    `vfat       249.7M   8.0K    249.7M   0% /vmfs/volumes/<uuid>` when empty; 7.0 mounts its 4.0G banks at
    /vmfs/volumes/BOOTBANK1 and BOOTBANK2; Use% is rounded (149.6M of 249.7M shows 60%)."""
    out = host.shell("df -h").splitlines()
    assert out[0] == "Filesystem   Size   Used Available Use% Mounted on"
    assert re.fullmatch(
        r"vfat       249\.7M   8\.0K    249\.7M   0% /vmfs/volumes/[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{4}-\w{12}", out[2]
    )
    assert len(out) == 3 and out[1].startswith("vfat       249.7M ")
    seven = host70.shell("df -h").splitlines()
    assert seven[1].startswith("vfat         4.0G ") and seven[1].endswith("% /vmfs/volumes/BOOTBANK1")
    assert seven[2].endswith(" /vmfs/volumes/BOOTBANK2")


def test_stat_du_find(host):
    """busybox stat/du/find layouts (from busybox's source; no ESXi capture found)."""
    st = host.shell("stat /etc/hosts").splitlines()
    assert st[0] == "  File: '/etc/hosts'" and st[1].startswith("  Size: 212 ")
    assert st[3].startswith("Access: (1644/-rw-r--r-T)  Uid: (    0/    root)")
    assert host.shell("stat /nope") == "stat: can't stat '/nope': No such file or directory\n"
    etc = host.shell("stat /etc").splitlines()  # VisorFS reports a directory as 512 bytes with one link (F46 tree)
    assert etc[1].startswith("  Size: 512 ") and etc[1].endswith("directory") and "Links: 1 " in etc[2]
    du = host.shell("du /etc/vmware").splitlines()
    assert du[-1].endswith("\t/etc/vmware") and all("\t/etc/vmware/" in ln for ln in du[:-1])
    assert re.fullmatch(r"\d+\t/etc\n", host.shell("du -s /etc"))
    assert host.shell("find /etc -name 'hosts*'") == "/etc/hosts\n/etc/vmware/hostd/hostsvc.xml\n"
    assert host.shell("find /etc/rc.local.d -type f") == "/etc/rc.local.d/local.sh\n"
    assert host.shell("find /nope") == "find: /nope: No such file or directory\n"


def test_grep_head_tail_wc_on_files(host):
    """busybox grep/head/tail/wc on files; `wc` pads to 9 columns and adds a total (busybox wc.c)."""
    assert host.shell("grep -n localhost /etc/hosts") == (
        "3:127.0.0.1\tlocalhost.localdomain localhost\n4:::1\tlocalhost.localdomain localhost\n"
    )
    assert host.shell("grep -c root /etc/passwd /etc/shadow") == "/etc/passwd:1\n/etc/shadow:1\n"
    assert host.shell("head -n 1 /etc/passwd") == "root:x:0:0:Administrator:/:/bin/sh\n"
    assert host.shell("tail -1 /etc/passwd").startswith("vpxuser:")
    assert host.shell("wc -l /etc/passwd") == "        5 /etc/passwd\n"
    assert host.shell("wc -l /etc/passwd /etc/shadow").splitlines()[-1] == "       10 total"
    assert host.shell("grep x /nope") == "grep: /nope: No such file or directory\n"
    assert host.shell("cat /etc/passwd | grep -v nologin | wc -l") == "1\n"  # only root has a shell (F48)


def test_diff_prints_a_unified_diff(host):
    """busybox diff prints only the unified format, with `--- A` / `+++ B` and no timestamps (busybox diff.c as
    we know it; no ESXi capture found); -N treats a missing file as empty."""
    host.shell("cp /etc/hosts /tmp/hosts.old")
    host.shell("echo 10.0.0.7 nas >> /etc/hosts")
    assert host.shell("diff /tmp/hosts.old /etc/hosts") == (
        "--- /tmp/hosts.old\n+++ /etc/hosts\n@@ -3,3 +3,4 @@\n"
        " 127.0.0.1\tlocalhost.localdomain localhost\n ::1\tlocalhost.localdomain localhost\n"
        " 10.0.0.21\tesxi.lab.local esxi\n+10.0.0.7 nas\n"
    )
    assert host.shell("diff /etc/hosts /etc/hosts") == ""
    assert host.shell("diff /nope /etc/hosts") == "diff: can't stat '/nope': No such file or directory\n"
    assert host.shell("diff -N /nope /tmp/hosts.old").startswith("--- /nope\n+++ /tmp/hosts.old\n@@ -0,0 +1,5 @@\n")


def test_cp_and_mv_write_through_visorfs(host):
    """busybox cp/mv words; copying over a persisted /etc file branches it with its .# twin (F25, F27)."""
    host.shell("echo 10.0.0.8 x > /tmp/hosts")
    assert host.shell("cp /tmp/hosts /etc/hosts") == ""
    assert host.fs.read_text("/etc/hosts") == "10.0.0.8 x\n" and host.fs.exists("/etc/.#hosts")
    assert host.shell("cp /nope /tmp") == "cp: can't stat '/nope': No such file or directory\n"
    assert host.shell("cp /etc /tmp") == "cp: omitting directory '/etc'\n"
    assert host.shell("mv /tmp/hosts /tmp/hosts2") == "" and not host.fs.exists("/tmp/hosts")
    assert host.shell("mv /nope /tmp") == "mv: can't rename '/nope': No such file or directory\n"
    assert host.shell("cp -r /etc/rc.local.d /tmp/rc") == "" and host.fs.exists("/tmp/rc/local.sh")


def test_tar_czf_then_xzf_round_trips_and_refuses_unsafe_members(host):
    """busybox tar c/x with -C; the reader's rules refuse `..`, absolute names and links, writing nothing."""
    assert host.shell("tar czf /tmp/rc.tgz -C /etc rc.local.d") == ""
    assert host.shell("tar tzf /tmp/rc.tgz") == "rc.local.d/\nrc.local.d/local.sh\n"
    host.shell("mkdir /tmp/out")
    assert host.shell("tar -xzvf /tmp/rc.tgz -C /tmp/out") == "rc.local.d/\nrc.local.d/local.sh\n"
    assert host.fs.read("/tmp/out/rc.local.d/local.sh") == host.fs.read("/etc/rc.local.d/local.sh")
    assert host.shell("tar czf /tmp/abs.tgz /etc/hosts") == "tar: removing leading '/' from member names\n"
    evil = es.archive.build_tgz([("../escape", es.FileEntry("file", 0o644, b"x"))])
    host.fs.write("/tmp/evil.tgz", evil)
    before = host.snapshot()
    assert host.shell("tar xzf /tmp/evil.tgz -C /tmp/out").startswith("tar: ../escape: ")
    assert host.snapshot().files == before.files
    assert host.shell("tar xzf /etc/hosts") == "tar: invalid magic\n"
    assert host.shell("tar xzf /tmp/nope.tgz") == "tar: can't open '/tmp/nope.tgz': No such file or directory\n"
    assert (
        host.shell("tar xzf /tmp/rc.tgz -C /nope")
        == "tar: can't change directory to '/nope': No such file or directory\n"
    )


def test_backup_sh_without_argument_prints_its_usage(host):
    """ESX67TREE bin/backup.sh: `echo "Usage: ${0} IsShutdown [PATH_NAME]"` (F48); $0 is the script's path."""
    assert host.shell("/sbin/backup.sh") == "Usage: /sbin/backup.sh IsShutdown [PATH_NAME]\n"
    assert host.shell("backup.sh") == "Usage: /sbin/backup.sh IsShutdown [PATH_NAME]\n"
    assert host.shell("backup.sh x") == "Invalid parameter for is_shutdown: x\n"


def test_auto_backup_sh_by_hand_prints_the_diff_of_the_first_changed_file(host):
    """ESX67TREE bin/auto-backup.sh: `diff -N "${file}" "${tmp_backup_dir}/${file}"` for each file to save, so
    the labels are /etc/... and /tmp/auto-backup.<pid>//etc/...; the first difference runs backup.sh 0 (F14, F48)."""
    host.shell("echo 10.0.0.5 nas >> /etc/hosts")
    host.shell("echo 'root:x:0:0:Admin:/:/bin/sh' > /etc/passwd")
    out = host.shell("/sbin/auto-backup.sh")
    diff, saved = out.split("Saving current state in /bootbank\n")
    assert re.fullmatch(r"--- /etc/hosts\n\+\+\+ /tmp/auto-backup\.\d+//etc/hosts\n@@ -3,4 \+3,3 @@\n(.*\n)+", diff)
    assert diff.endswith("-10.0.0.5 nas\n") and "/etc/passwd" not in diff  # it stops at the first difference
    assert saved.startswith("Clock updated.\n")
    assert host.shell("/sbin/auto-backup.sh") == ""


def test_reboot_f_is_unclean_and_reboot_is_orderly(host):
    """F23: `reboot -f` skips the shutdown backup (busybox's reboot -f does not go through init); plain `reboot`
    runs inittab's `/bin/backup.sh 1` (F13). Neither prints anything (no capture found)."""
    host.shell("echo 10.0.0.11 lost >> /etc/hosts")
    assert host.shell("reboot -f") == ""
    assert host.powered_on and "10.0.0.11 lost" not in host.fs.read_text("/etc/hosts")
    assert [e.kind for e in host.history].count("power-loss") == 1
    host.shell("echo 10.0.0.12 kept >> /etc/hosts")
    assert host.shell("reboot") == ""
    assert "10.0.0.12 kept" in host.fs.read_text("/etc/hosts")


def test_known_esxi_commands_are_not_reported_missing(host):
    """`sh: foo: not found` means ESXi lacks the command; ESXi's own programs (ESX67TREE bin/) get one line that
    the simulator does not run them."""
    for cmd in ("esxtop", "esxcfg-vswitch -l", "vmkfstools -P /vmfs/volumes/datastore1", "vim-cmd vmsvc/getallvms"):
        out = host.shell(cmd)
        assert out.endswith("ESXi has this command; esxistate does not simulate it\n") and out.count("\n") == 1
    assert host.shell("esxcli network ip interface list").endswith("esxistate does not simulate it\n")
    assert host.shell("apt-get install x") == "sh: apt-get: not found\n"
    assert host.shell("ls /etc | sed s/a/b/").endswith("esxistate does not simulate it\n")


def test_a_stateless_host_prints_backup_sh_alert_without_fact_ids():
    """backup.sh's own alert `Bootbank cannot be found at path '/bootbank'` (ESX67TREE bin/backup.sh, F41): what
    ESXi prints carries no fact ids; df lists no boot bank volume."""
    h = es.Host.demo(stateless=True)
    h.boot()
    for cmd in ("/sbin/backup.sh 0", "vim-cmd hostsvc/firmware/sync_config", "/sbin/auto-backup.sh"):
        assert h.shell(cmd) == "Bootbank cannot be found at path '/bootbank'\n"
    assert h.shell("df -h") == "Filesystem   Size   Used Available Use% Mounted on\n"


def test_a_known_command_typed_by_its_path_is_known_too(host):
    assert host.shell("/bin/esxcfg-info -b") == "esxcfg-info: ESXi has this command; esxistate does not simulate it\n"
    assert host.shell("/opt/esxtop") == "sh: /opt/esxtop: not found\n"


def test_backup_sh_file_list_command_runs_in_the_shell(host):
    """backup.sh's own list (ESX67TREE bin/backup.sh, F16): `find etc -follow -type f -name '.#*'` from /."""
    host.shell("echo 10.0.0.5 nas >> /etc/hosts")
    out = host.shell("cd / ; find etc -follow -type f -name '.#*'")
    assert out.splitlines() == sorted(p.lstrip("/") for p in host.snapshot().files if "/.#" in p)
    assert [ln.replace(".#", "") for ln in out.splitlines()] == [
        p.lstrip("/") for p in es.backup.files_to_save(host.snapshot().files, host.version)
    ]


def test_grep_with_several_e_patterns_matches_any_of_them(host):
    """POSIX grep: `-e` may be given more than once and a line matches if any pattern matches (busybox grep.c keeps a
    pattern list)."""
    assert host.shell("grep -n -e nosuch -e ^127 /etc/hosts") == "3:127.0.0.1\tlocalhost.localdomain localhost\n"
    assert host.shell("grep -c -e ^root -e ^vpxuser /etc/passwd") == "2\n"
    assert host.shell("grep -v -e ^root -e ^vpxuser -e ^daemon -e ^nfsnobody -e ^dcui /etc/passwd") == ""
    assert host.shell("grep -e ok -e '(' /etc/hosts") == "grep: bad regex '('\n"


@pytest.mark.parametrize("version", ["8.0", "7", "", "7.0u3"])
def test_an_image_the_simulator_does_not_have_is_refused_with_a_typed_error(version):
    """Only the catalogued images exist (6.7, 7.0, 7.0U3; 8.0 is not simulated, see esxistate.imagecatalog): any
    other version key is refused with UnsupportedVersion, a sentence naming the versions there are, never a bare
    KeyError or ValueError."""
    with pytest.raises(es.errors.UnsupportedVersion, match=re.escape("choose one of 6.7, 7.0, 7.0U3.")):
        image.demo_image(version)
    if version != "8.0":  # a well-formed key still orders (8.0 > 7.0U3); a malformed one is refused the same way
        with pytest.raises(es.errors.UnsupportedVersion):
            image.version_key(version)


def test_a_longer_word_is_not_the_command_it_starts_with(host):
    """esxcli matches whole words of its namespace tree: `vib listx` is unknown, as `esxcli foo bar` is (the error
    line esxcli prints for an unknown word, as the other tests here cite)."""
    for cmd in ("software vib listx", "system visorfs ramdisk listing", "software vib installer -v /tmp/x.vib"):
        words = " ".join(w for w in cmd.split() if not w.startswith("-"))
        assert host.shell(f"esxcli {cmd}") == f"Error: Unknown command or namespace {words}\n"
    assert host.shell("esxcli software vib list").startswith("Name ")


def test_esxcli_names_a_stateless_refusal_with_an_esximage_error_class():
    """esxcli prints an esximage error class in brackets ([InstallationError], [DependencyError], ... as the
    published captures the other tests here cite show); our own class names (StatelessHost) never reach it."""
    host = es.Host.demo("7.0", stateless=True)
    host.boot()
    host.fs.write("/tmp/lab.vib", es.Vib.build("lab-tools", "1.0-1", {"/opt/lab/t": b"x"}).to_bytes())
    out = host.shell("esxcli software vib install -v /tmp/lab.vib")
    assert out.startswith(" [InstallationError]\n") and "stateless" in out
    assert "StatelessHost" not in out and "VibError" not in out
