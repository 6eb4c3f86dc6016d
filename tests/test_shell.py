"""The ESXi shell: each command's output against the formats of ESXI-FACTS.md (S3-S7, F12) and busybox."""

from __future__ import annotations

import re

import pytest

import esxistate as es
from esxistate.shelltext import usage

# Column headers copied from the facts file's samples.
S3_TARDISK_HEADER = "Tardisk                  Space      Used"
S3_RAMDISK_HEADER = "Ramdisk                   Size      Used Available Use% Mounted on"
S4_HEADERS = [
    "Ramdisk Name",
    "System",
    "Include in Coredumps",
    "Reserved",
    "Maximum",
    "Used",
    "Peak Used",
    "Free",
    "Reserved Free",
    "Maximum Inodes",
    "Allocated Inodes",
    "Used Inodes",
    "Mount Point",
]
S5_HEADERS = ["Name", "System", "Size", "Mounted"]
S6_HEADERS = ["Name", "Version", "Vendor", "Acceptance Level", "Install Date"]
F12_CRONTAB = """#min hour day mon dow command
1    1    *   *   *   /sbin/tmpwatch.py
1    *    *   *   *   /sbin/auto-backup.sh
0    *    *   *   *   /usr/lib/vmware/vmksummary/log-heartbeat.py
*/5  *    *   *   *   /bin/hostd-probe.sh ++group=host/vim/vmvisor/hostd-probe/stats/sh
00   1    *   *   *   localcli storage core device purge
"""
LS_LINE = re.compile(r"^[-d][-rwxsStT]{9} +\d+ root +root +\d+ [A-Z][a-z]{2} [ \d]\d ( \d{4}|\d\d:\d\d) \S+$")
TAR_LINE = re.compile(r"^[-d][-rwxsStT]{9} \d+/\d+ [ \d]{9} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+$")


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo("6.7")
    h.boot()
    return h


def cells(line: str) -> list[str]:
    return re.split(r" {2,}", line.strip())


def table(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    assert set(lines[1].replace(" ", "")) == {"-"}, "esxcli puts a row of dashes under the headers"
    return cells(lines[0]), [cells(ln) for ln in lines[2:]]


def test_vdf_h_has_the_s3_layout(host):
    out = host.shell("vdf -h").splitlines()
    assert out[0] == S3_TARDISK_HEADER
    split = out.index("-----")
    assert out[split + 1] == S3_RAMDISK_HEADER
    tardisks = out[1:split]
    assert [ln.split()[0] for ln in tardisks] == [t.name for t in host.tardisks]
    for ln in tardisks:
        assert re.fullmatch(r"\S+ +\d+[BKM] +\d+[BKM]", ln) and len(ln) == 40  # right edges at 30 and 40
    rows = {ln.split()[0]: ln for ln in out[split + 2 :]}
    assert rows["etc"].split()[1] == "28M" and rows["hostdstats"].split()[1] == "1803M"  # S3 sizes
    assert rows["tmp"].endswith("   0% --") and len(rows["tmp"]) == 58


def test_vdf_shows_a_branched_file_as_ramdisk_use(host):
    before = host.shell("vdf -h")
    host.fs.write("/etc/big.conf", b"x" * (3 * 1024 * 1024))
    after = host.shell("vdf -h")
    etc = next(ln for ln in after.splitlines() if ln.startswith("etc "))
    assert etc.split()[2] == "3M" and etc.split()[4] == "10%"
    assert before != after


def test_ramdisk_list_has_the_s4_columns(host):
    headers, rows = table(host.shell("esxcli system visorfs ramdisk list"))
    assert headers == S4_HEADERS
    by_name = {r[0]: r for r in rows}
    assert by_name["root"][1:5] == ["true", "true", "32768 KiB", "32768 KiB"]
    assert by_name["hostdstats"][4] == "1846272 KiB" and by_name["hostdstats"][-1] == "/var/lib/vmware/hostd/stats"
    assert by_name["tmp"][1:3] == ["false", "false"]
    assert [r[-1] for r in rows][:4] == ["/", "/etc", "/opt", "/var"]


def test_tardisk_list_has_the_s5_columns_and_state_tgz_is_not_system(host):
    headers, rows = table(host.shell("esxcli system visorfs tardisk list"))
    assert headers == S5_HEADERS
    assert [r[0] for r in rows] == [t.name for t in host.tardisks]
    assert rows[-1][:2] == ["state.tgz", "false"] and rows[0][1] == "true"
    assert all(r[3] == "true" for r in rows)


def test_vib_list_has_the_s6_columns(host):
    headers, rows = table(host.shell("esxcli software vib list"))
    assert headers == S6_HEADERS
    base = next(r for r in rows if r[0] == "esx-base")
    assert base == ["esx-base", "6.7.0-0.0.8169922", "VMware", "VMwareCertified", "2018-04-17"]  # S6's row
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_ls_l_prints_busybox_lines_with_the_sticky_bit(host):
    out = host.shell("ls -l /etc").splitlines()
    assert out[0].startswith("total ")
    for ln in out[1:]:
        assert LS_LINE.match(ln), ln
    passwd = next(ln for ln in out if ln.endswith(" passwd"))
    assert passwd.startswith("-r--r--r-T    1 root     root ")
    assert "pam.d" in host.shell("ls /etc") and ".#shadow" not in host.shell("ls /etc")
    assert ".#shadow" in host.shell("ls -a /etc")
    assert host.shell("ls -la /etc/rc.local.d").splitlines()[1].endswith(" .")


def test_cat_and_echo_redirections(host):
    assert host.shell("cat /bootbank/boot.cfg") == host.bootbank.config.dumps()
    assert host.shell('echo "two  spaces" > /etc/motd') == ""
    assert host.shell("cat /etc/motd") == "two  spaces\n"
    host.shell("echo more >> /etc/motd")
    assert host.shell("cat /etc/motd") == "two  spaces\nmore\n"
    assert host.fs.resolve("/etc/motd").layer == "etc"
    assert host.shell("echo plain") == "plain\n"


def test_touch_mkdir_rm_chmod(host):
    assert host.shell("mkdir /opt/lab") == ""
    assert host.shell("mkdir /opt/lab") == "mkdir: can't create directory '/opt/lab': File exists\n"
    assert host.shell("mkdir /opt/a/b") == "mkdir: can't create directory '/opt/a/b': No such file or directory\n"
    assert host.shell("mkdir -p /opt/a/b") == "" and host.fs.exists("/opt/a/b")
    host.shell("touch /opt/lab/f")
    assert host.fs.read("/opt/lab/f") == b""
    assert host.shell("rm /opt/lab") == "rm: '/opt/lab' is a directory\n"
    assert host.shell("rm /opt/lab/f") == "" and not host.fs.exists("/opt/lab/f")
    assert host.shell("rm /opt/lab/f") == "rm: can't remove '/opt/lab/f': No such file or directory\n"
    assert host.shell("rm -f /opt/lab/f") == ""
    host.shell("chmod 1644 /etc/motd")
    assert host.fs.stat("/etc/motd").mode == 0o1644
    host.shell("chmod -t /etc/motd")
    assert host.fs.stat("/etc/motd").mode == 0o644
    host.shell("chmod +t /etc/motd")
    assert host.fs.stat("/etc/motd").sticky
    assert host.shell("chmod zz /etc/motd") == "chmod: invalid mode 'zz'\n"
    assert host.shell("chmod 644 /nope") == "chmod: /nope: No such file or directory\n"


def test_twins_cannot_be_made_from_the_shell(host):
    assert host.shell("echo x > /etc/.#motd") == "sh: can't create /etc/.#motd: Operation not permitted\n"
    assert host.shell("touch /etc/.#x") == "touch: /etc/.#x: Operation not permitted\n"


def test_errors_print_like_busybox_and_change_nothing(host):
    before = host.snapshot()
    assert host.shell("cat /nope") == "cat: can't open '/nope': No such file or directory\n"
    assert host.shell("ls /nope") == "ls: /nope: No such file or directory\n"
    assert host.shell("foo --bar") == "sh: foo: not found\n"
    assert host.shell("echo 'open") == "sh: syntax error: unterminated quoted string\n"
    assert host.shell("") == "" and host.shell("   ") == ""
    assert host.shell("ls -z").startswith("ls: invalid option -- 'z'\nBusyBox v")
    assert host.shell("ls --zz").startswith("ls: unrecognized option '--zz'\n")
    assert "Usage: rm [-irf] FILE..." in host.shell("rm")
    assert host.shell("echo x > /nope/f") == "sh: can't create /nope/f: nonexistent directory\n"
    assert host.shell("cd /nope") == "sh: cd: can't cd to /nope: No such file or directory\n"
    assert host.shell("esxcli foo bar") == "Error: Unknown command or namespace foo bar\n"
    assert host.snapshot() == before


def test_full_ramdisk_prints_enospc_and_keeps_the_file(host):
    free = host.fs.owner("/etc") and next(r for r in host.ramdisks if r.name == "etc").free
    host.fs.write("/etc/filler", b"x" * (free - 10))
    before = host.fs.read("/etc/hosts")
    assert host.shell("echo 10.0.0.9 nas >> /etc/hosts") == "sh: write error: No space left on device\n"
    assert host.fs.read("/etc/hosts") == before


def test_auto_backup_sh_prints_backup_lines_only_when_it_saves(host):
    """Run by hand, auto-backup.sh prints the `diff -N` of the first changed file, then backup.sh's lines (F48,
    ESX67TREE bin/auto-backup.sh); backup.sh's bad-argument line ends with the value (ESX67TREE bin/backup.sh)."""
    assert host.shell("/sbin/auto-backup.sh") == ""
    host.shell("echo 10.0.0.5 nas >> /etc/hosts")
    out = host.shell("/sbin/auto-backup.sh")
    assert out.endswith("Saving current state in /bootbank\nClock updated.\nTime: 09:00:00   Date: 01/12/2026   UTC\n")
    assert out.startswith("--- /etc/hosts\n+++ /tmp/auto-backup.")
    assert "10.0.0.5 nas" in es.StateArchive.from_bytes(host.bootbank.read("state.tgz")).read_text("etc/hosts")
    assert host.shell("/sbin/backup.sh 7") == "Invalid parameter for is_shutdown: 7\n"


def test_tar_tzvf_lists_state_tgz_and_local_tgz_like_s7(host):
    outer = host.shell("tar tzvf /bootbank/state.tgz").splitlines()
    assert len(outer) == 1 and outer[0].startswith("-rwx------ 0/0 ") and outer[0].endswith(" local.tgz")
    inner = host.shell("tar tzvf /local.tgz").splitlines()  # state.tgz's member, visible at / (F38)
    assert all(TAR_LINE.match(ln) for ln in outer + inner)
    assert any(ln.startswith("-r-------T 0/0 ") and ln.endswith(" etc/shadow") for ln in inner)
    assert host.shell("tar tzvf /etc/hosts") == "tar: invalid magic\n"
    assert host.shell("tar tzvf /nope.tgz") == "tar: can't open '/nope.tgz': No such file or directory\n"


def test_crontab_is_the_f12_text_and_cron_lines_added_by_hand_vanish(host):
    assert host.shell("crontab -l") == F12_CRONTAB
    assert host.shell("cat /var/spool/cron/crontabs/root") == F12_CRONTAB
    host.shell("echo '*/5 * * * * /bin/mine.sh' >> /var/spool/cron/crontabs/root")
    host.shell("reboot")
    assert host.powered_on and host.shell("crontab -l") == F12_CRONTAB


def test_date_prints_the_simulated_clock(host):
    assert host.shell("date") == "Mon Jan 12 09:00:00 UTC 2026\n"
    host.advance(hours=2, minutes=5)
    assert host.shell("date") == "Mon Jan 12 11:05:00 UTC 2026\n"


def test_vib_install_and_remove_through_esxcli(host):
    vib = es.Vib.build("lab-motd", "1.0", {"/etc/motd": "lab\n"}, overlay=True)
    host.fs.write("/tmp/lab-motd.vib", vib.to_bytes())
    out = host.shell("esxcli software vib install -v /tmp/lab-motd.vib")
    assert out.splitlines()[:3] == [
        "Installation Result",
        "   Message: Operation finished successfully.",
        "   Reboot Required: false",
    ]
    assert "VIBs Installed: ESXiStateLab_bootbank_lab-motd_1.0" in out
    assert host.shell("cat /etc/motd") == "lab\n"
    assert "lab-motd" in host.shell("esxcli software vib list")
    out = host.shell("esxcli software vib remove -n lab-motd")
    assert out.startswith("Removal Result\n") and "VIBs Removed: ESXiStateLab_bootbank_lab-motd_1.0" in out
    assert host.shell("cat /etc/motd") != "lab\n"
    assert host.shell("esxcli software vib remove -n lab-motd").startswith(" [NoMatchError]\n")
    assert host.shell("esxcli software vib install -v /tmp/none.vib").startswith(" [VibDownloadError]")
    assert host.shell("esxcli software vib install").startswith("Error: Missing required parameter -v")


def test_reboot_and_poweroff_from_the_shell(host):
    """Both are busybox's halt applet (init/halt.c): on success it prints nothing, and without -f it signals init,
    whose inittab shutdown lines run `/bin/backup.sh 1` (F13), so the change is saved on the way down."""
    host.shell("echo 10.0.0.7 x >> /etc/hosts")
    assert host.shell("reboot") == ""
    assert "10.0.0.7 x" in host.fs.read_text("/etc/hosts")  # the shutdown backup saved it (F13)
    host.shell("echo 10.0.0.8 y >> /etc/hosts")
    assert host.shell("poweroff") == ""
    assert not host.powered_on and host.history[-1].kind == "shutdown"
    assert host.shell("ls") == "sh: the host is powered off: boot it first\n"
    host.boot()
    assert "10.0.0.8 y" in host.fs.read_text("/etc/hosts")


@pytest.mark.parametrize("command", ["reboot -f", "poweroff -f", "reboot -fn", "poweroff -n -f", "reboot now -f"])
def test_a_forced_reboot_or_poweroff_saves_nothing(host, command):
    """`-f` makes halt.c call reboot(2) at once instead of signalling init (busybox init/halt.c), so no inittab
    shutdown line runs and the change not yet in state.tgz is lost, as with a power cut (F23). Letters group and
    words that are not options are ignored, as busybox's getopt32 parses them."""
    host.shell("echo 10.0.0.7 x >> /etc/hosts")
    start = len(host.history)
    assert host.shell(command) == ""
    kinds = [e.kind for e in host.history[start:]]
    assert "power-loss" in kinds and "backup" not in kinds and "shutdown" not in kinds
    if command.startswith("poweroff"):
        assert not host.powered_on
        host.boot()
    assert "10.0.0.7 x" not in host.fs.read_text("/etc/hosts")


@pytest.mark.parametrize(
    ("command", "first_line", "with_usage"),
    [
        ("reboot -x", "reboot: invalid option -- 'x'", True),
        ("poweroff -fz", "poweroff: invalid option -- 'z'", True),
        ("reboot --now", "reboot: unrecognized option '--now'", True),
        ("reboot -d", "reboot: option requires an argument -- 'd'", True),
        ("poweroff -d soon", "poweroff: invalid number 'soon'", False),
        ("reboot -d -5", "reboot: invalid number '-5'", False),
        ("reboot -d 2147483648", "reboot: number 2147483648 is not in 0..2147483647 range", False),
        ("reboot -d 4294967295", "reboot: number 4294967295 is not in 0..2147483647 range", False),
        ("reboot -d 4294967296", "reboot: invalid number '4294967296'", False),  # past UINT_MAX: ERANGE
        ("reboot -d 99999999999", "reboot: invalid number '99999999999'", False),
    ],
)
def test_a_wrong_reboot_option_prints_busyboxs_error_and_changes_nothing(host, command, first_line, with_usage):
    """halt.c parses `getopt32(argv, "d:+nfwi", &delay)`: an unknown option gets getopt's line and the applet's
    usage `[-d DELAY] [-n] [-f]`; `d:+` takes a number, checked by xatoi_positive, whose error ends the applet.
    Either way it exits 1 before doing anything (busybox init/halt.c, libbb/getopt32.c, libbb/xatonum)."""
    host.shell("echo 10.0.0.7 x >> /etc/hosts")
    events, clock = len(host.history), host.clock
    out = host.shell(command)
    name = command.split()[0]
    assert out.splitlines()[0] == first_line
    if with_usage:
        assert out.endswith(usage(f"{name} [-d DELAY] [-n] [-f]"))
    else:
        assert out == first_line + "\n"
    assert host.powered_on and len(host.history) == events and host.clock == clock
    assert "10.0.0.7 x" in host.fs.read_text("/etc/hosts")


def test_reboot_waits_its_delay_and_w_only_writes_wtmp(host):
    """`-d SEC` sleeps first (halt.c `sleep(delay)`), and crond runs meanwhile: cron's 09:01 auto-backup.sh (F12,
    F14) saves the change before a `reboot -f` that would have lost it (F23). `-w` only writes a wtmp record."""
    assert host.clock.strftime("%H:%M:%S") == "09:00:00"
    host.shell("echo 10.0.0.7 x >> /etc/hosts")
    assert host.shell("poweroff -w") == "" and host.powered_on and host.history[-1].kind == "write"
    assert host.shell("reboot -d 90 -w") == "" and host.powered_on
    assert host.clock.strftime("%H:%M:%S") == "09:01:30"
    assert host.shell("reboot -f") == ""
    assert "10.0.0.7 x" in host.fs.read_text("/etc/hosts")  # saved by cron during the delay


def test_cd_pwd_and_relative_paths(host):
    host.shell("cd /etc/vmware")
    assert host.shell("pwd") == "/etc/vmware\n"
    assert host.shell("cat esx.conf") == host.fs.read_text("/etc/vmware/esx.conf")
    assert host._shell.prompt == "[root@esxi:/etc/vmware] "
    host.shell("cd")
    assert host._shell.prompt == "[root@esxi:~] "


def test_pipes_into_grep_head_and_wc(host):
    assert host.shell("esxcli software vib list | grep esx-base").startswith("esx-base ")
    assert len(host.shell("esxcli system visorfs tardisk list | head -n 3").splitlines()) == 3
    assert host.shell("ls /etc/pam.d | wc -l") == f"{len(host.fs.listdir('/etc/pam.d'))}\n"


def test_help_lists_the_commands(host):
    out = host.shell("help")
    for name in ("ls", "cat", "vdf", "esxcli", "tar", "crontab", "auto-backup.sh"):
        assert name in out.split()


def test_stateless_auto_backup_says_there_is_no_bootbank():
    h = es.Host.demo(stateless=True)
    h.boot()
    assert h.shell("/sbin/auto-backup.sh") == "Bootbank cannot be found at path '/bootbank'\n"


def test_magic_runs_through_a_real_ipython_shell(capsys, ipython):
    ip = ipython
    h = es.Host.demo("6.7")
    h.boot()
    es.use(h)
    ip.run_line_magic("esxi", "cat /etc/issue")
    assert capsys.readouterr().out == "VMware ESXi 6.7\n"
    ip.run_cell_magic("esxi", "", "echo 10.0.0.8 nas >> /etc/hosts\ngrep_me\ncd /etc\npwd\n")
    out = capsys.readouterr().out
    assert out == (
        "[root@esxi:~] echo 10.0.0.8 nas >> /etc/hosts\n"
        "[root@esxi:~] grep_me\nsh: grep_me: not found\n"
        "[root@esxi:~] cd /etc\n"
        "[root@esxi:/etc] pwd\n/etc\n"
    )
    assert "10.0.0.8 nas" in h.fs.read_text("/etc/hosts")


def test_a_vib_that_cannot_go_live_is_staged_by_esxcli(host):
    vib = es.Vib.build("lab-drv", "1.0", {"/opt/lab/drv": "d"}, live_install=False)
    host.fs.write("/tmp/lab-drv.vib", vib.to_bytes())
    out = host.shell("esxcli software vib install -v /tmp/lab-drv.vib")
    assert "   Reboot Required: true" in out and not host.fs.exists("/opt/lab/drv")
    host.shell("reboot")
    assert host.fs.exists("/opt/lab/drv")


def test_esxcli_stages_the_removal_of_a_vib_that_cannot_be_removed_live_and_prints_no_fact_ids():
    import esxistate as es

    h = es.Host.demo("6.7")
    h.boot()
    h.install_vib(es.Vib.build("lab-drv", "1.0", {"/opt/lab/x": "x"}, live_install=False), live=False)
    h.reboot()
    out = h.shell("esxcli software vib remove -n lab-drv")
    assert out.startswith("Removal Result\n") and "Reboot Required: true" in out
    h.reboot()
    h.fs.write("/tmp/motd.vib", es.Vib.build("lab-motd", "1.0", {"/etc/motd": "x"}).to_bytes())
    out = h.shell("esxcli software vib install -v /tmp/motd.vib")
    assert out.startswith(" [FileConflictError]\n") and "(F" not in out


def test_a_redirect_to_a_name_ending_in_slash_is_refused_as_sh_does():
    import esxistate as es

    h = es.Host.demo("6.7")
    h.boot()
    before = h.fs.read("/etc/hosts")
    assert h.shell("echo x > /etc/hosts/") == "sh: can't create /etc/hosts/: Not a directory\n"
    assert h.shell("echo x > /etc/newdir/") == "sh: can't create /etc/newdir/: Is a directory\n"
    assert h.fs.read("/etc/hosts") == before and not h.fs.exists("/etc/newdir")


def test_bare_esxi_magic_prints_its_usage(capsys, ipython):
    ipython.run_line_magic("esxi", "")
    out = capsys.readouterr().out
    assert out.startswith("usage: %esxi COMMAND") and "%esxi why F27" in out


def test_running_load_ext_again_prints_nothing(capsys, ipython):
    """A lesson re-run from the top runs `%load_ext esxistate` again: no "already loaded" line."""
    ipython.run_cell("%load_ext esxistate")
    capsys.readouterr()
    ipython.run_cell("%load_ext esxistate")
    assert "already loaded" not in capsys.readouterr().out
    ipython.run_cell("%esxi")
    assert "usage: %esxi COMMAND" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("line", "printed"),
    [
        ("echo x # a note", "x\n"),
        ("# echo a; echo b", ""),  # the whole line is the comment, `;` included
        ("echo x; # echo y", "x\n"),
        ("echo a#b", "a#b\n"),  # `#` inside a word is part of it
        ("echo 'a # b' # c", "a # b\n"),
        ('echo "a # b"', "a # b\n"),
        ("echo a\\#b \\# c", "a#b # c\n"),
        ("echo x #comment\necho y", "x\ny\n"),  # a comment ends at the end of its line
        ("echo a\\ #b", "a #b\n"),  # the escaped space is part of the word, so `#b` does not begin one
        ("echo x\\\necho y", "xecho y\n"),  # backslash-newline joins the lines (2.2.1)
        ("echo 'a\\\nb'", "a\\\nb\n"),  # ... but not inside single quotes
    ],
)
def test_an_unquoted_hash_that_begins_a_word_starts_a_comment(host, line, printed):
    """POSIX Shell Command Language 2.3 (Token Recognition), rule 9: a `#` that begins a word discards it and the rest
    of the line; ESXi's shell is busybox ash, which follows it. Quoted or escaped, or inside a word, it is a `#`."""
    assert host.shell(line) == printed


def test_a_thousand_comment_lines_are_read_in_one_pass(host):
    assert host.shell("# a note\n" * 5000 + "echo done") == "done\n"


def test_a_comment_hides_a_command_and_its_redirection(host):
    before = host.shell("cat /etc/motd")
    assert host.shell("# echo gone > /etc/motd") == ""
    assert host.shell("echo kept # > /etc/motd") == "kept\n"
    assert host.shell("cat /etc/motd") == before
