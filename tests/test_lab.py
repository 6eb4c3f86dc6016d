"""es.lab: the helpers the lessons share. Each one reads a host through the public API (or archive bytes in memory),
prints within the 100-column column, and opens a long log or listing with a one-line summary."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile

import pytest

import esxistate as es
from esxistate import lab
from esxistate.text import WIDTH


@pytest.fixture(scope="module")
def host67():
    return lab.fresh_host("6.7")


def test_lab_is_reached_as_es_lab_and_loads_no_renderer():
    """`import esxistate.lab` pulls in neither graphviz nor ipywidgets (DESIGN.md, Layers); es.lab is the module."""
    assert es.lab is lab
    code = "import sys, esxistate.lab; print(sorted(m for m in ('graphviz', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fresh_host_is_a_new_booted_host_each_time():
    one, two = lab.fresh_host("6.7"), lab.fresh_host("6.7", hostname="lab02")
    assert one is not two and one.powered_on and two.powered_on
    assert (one.version, one.hostname, two.hostname) == ("6.7", "esxi", "lab02")
    one.fs.write("/etc/hosts", "10.0.0.9 x\n", append=True)
    assert "10.0.0.9" not in two.fs.read_text("/etc/hosts")


def test_a_short_log_has_no_summary_and_a_long_one_opens_with_one_line(host67):
    events = host67.advance(hours=1)
    short = lab.log_text(events)
    assert short.splitlines()[0].startswith(f"{events[0].time:%H:%M}  {events[0].kind}")
    assert short.count("\n") < lab.LONG
    long_events = lab.fresh_host("7.0").history  # boot, a dozen lines and more once wrapped
    text = lab.log_text(long_events * 2)
    first, blank, *rest = text.splitlines()
    assert len(rest) > lab.LONG and blank == ""
    assert first.startswith(f"{2 * len(long_events)} events, 09:00 to 09:00: bootloader, vmkernel")
    assert len(first) <= WIDTH
    assert all(len(line) <= WIDTH for line in text.splitlines())


def test_log_summary_names_the_kinds_in_order_and_counts_what_does_not_fit():
    host = lab.fresh_host("7.0")
    host.fs.write("/etc/hosts", "10.0.0.9 x\n", append=True)
    host.backup()
    host.power_loss()
    host.boot()
    first = lab.log_text(host.history).splitlines()[0]
    assert len(first) <= WIDTH
    assert first.startswith(f"{len(host.history)} events, 09:00 to 09:00: bootloader, vmkernel, tardisks")
    assert first.endswith(" more")


def test_log_prints_what_log_text_returns(capsys, host67):
    events = host67.history[:3]
    lab.log(events)
    assert capsys.readouterr().out == lab.log_text(events) + "\n"
    lab.log([])
    assert capsys.readouterr().out == ""


def test_banks_prints_bootbank_then_altbootbank(capsys):
    host = lab.fresh_host("7.0")
    host.upgrade("7.0U3")
    host.reboot()
    lab.banks(host)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["/bootbank", "/altbootbank"]
    assert lines[0].endswith(repr(host.bootbank)) and "BOOTBANK2" in lines[0]
    assert lines[1].endswith(repr(host.altbootbank)) and "BOOTBANK1" in lines[1]


def test_files_under_walks_every_file_and_no_directory(host67):
    found = dict(lab.files_under(host67, "/etc"))
    assert "/etc/rc.local.d/local.sh" in found and "/etc/vmware/esx.conf" in found
    assert all(entry.kind != "dir" for entry in found.values())
    assert "/etc/vmware" not in found
    assert found["/etc/hosts"] == host67.fs.stat("/etc/hosts")


def test_archive_members_opens_local_tgz_inside_state_tgz(host67):
    data = host67.bootbank.read("state.tgz")
    members = lab.archive_members(data)
    archive = es.StateArchive.from_bytes(data)
    assert next(iter(members)) == "local.tgz"
    assert sorted(name.removeprefix("local.tgz/") for name in members if name != "local.tgz") == archive.names()
    assert members["local.tgz/etc/hosts"] == archive.read("etc/hosts")


def test_archive_members_refuses_a_hostile_archive():
    with pytest.raises(es.errors.UnsafeArchive):
        lab.archive_members(lab.one_member_tgz("../../etc/passwd", data=b"root::0:0::/:/bin/sh\n"))


def test_module_kind_agrees_with_what_the_boot_loader_mounts(host67):
    """Every module that is not VMkernel side is mounted as a tardisk at boot (F10, F11)."""
    config = host67.bootbank.config
    tardisks = [m for m in config.modules if lab.module_kind(m) != "VMkernel side"]
    assert len(tardisks) == len(host67.tardisks)
    assert lab.module_kind("state.tgz") == "tardisk: the saved configuration"
    assert lab.module_kind("b.b00") == "VMkernel side" and lab.module_kind("s.v00") == "tardisk"


def test_boot_cfg_summary_counts_the_modules_of_each_kind():
    for version in ("6.7", "7.0"):
        host = lab.fresh_host(version)
        config = host.bootbank.config
        line = lab.boot_cfg_summary(config)
        assert len(line) <= WIDTH and "\n" not in line
        assert f"kernel {config.kernel} + {len(config.modules)} modules" in line
        assert f"{len(host.tardisks)} tardisks" in line and line.endswith(f"build={config.build}")


def _look(capsys, tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    lab.look_inside(tmp_path / name)
    return capsys.readouterr().out.splitlines()


def test_look_inside_opens_with_a_summary_then_the_listings(capsys, tmp_path):
    host = lab.fresh_host("7.0")
    state = host.bootbank.read("state.tgz")
    lines = _look(capsys, tmp_path, "esxi-state.tgz", state)
    count = len(es.StateArchive.from_bytes(state))
    assert lines[0] == f"esxi-state.tgz: {len(state)} bytes, a state.tgz; its local.tgz holds {count} files"
    assert lines[1] == "" and lines[2].startswith("-rwx------ 0/0")
    assert "[root@esxi:/tmp] tar tzvf local.tgz" in lines

    bundle = host.fs.read(host.backup_config())
    lines = _look(capsys, tmp_path, "configBundle-esxi.tgz", bundle)
    assert lines[0].startswith(f"configBundle-esxi.tgz: {len(bundle)} bytes, a bundle of VMware ESXi 7.0")
    assert len(lines[0]) <= WIDTH
    assert any(line.startswith("configuration bundle: ") for line in lines)

    secure = lab.fresh_host("7.0U3").bootbank.read("state.tgz")
    lines = _look(capsys, tmp_path, "secure-state.tgz", secure)
    assert lines[0].endswith("a state.tgz, encrypted (7.0 U2 or later)")


def test_look_inside_names_what_the_safe_reader_refuses(capsys, tmp_path):
    lines = _look(capsys, tmp_path, "login.tgz", b"<html>Login required</html>\n")
    assert lines[0] == "login.tgz: 28 bytes, refused: CorruptArchive"
    assert lines[1] == "" and lines[2].startswith("CorruptArchive: ")
    assert not (tmp_path / "etc").exists()


def test_one_member_tgz_builds_each_kind_of_member_reproducibly():
    data = lab.one_member_tgz("etc/passwd", tarfile.SYMTYPE, link="/etc/shadow")
    assert data == lab.one_member_tgz("etc/passwd", tarfile.SYMTYPE, link="/etc/shadow")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        (member,) = tar.getmembers()
    assert (member.name, member.type, member.linkname) == ("etc/passwd", tarfile.SYMTYPE, "/etc/shadow")
    assert member.mtime == 0
    with tarfile.open(fileobj=io.BytesIO(lab.one_member_tgz("a", data=b"hello"))) as tar:
        assert tar.extractfile("a").read() == b"hello"


def test_open_store_reads_the_configstore_and_leaves_the_host_alone():
    host = lab.fresh_host("7.0")
    path = "/etc/vmware/configstore/current-store-1"
    before = host.fs.read(path)
    store = lab.open_store(before)
    assert store.execute("SELECT count(*) FROM Config WHERE ConfigGroup='authentication'").fetchone()[0] >= 1
    store.execute("DELETE FROM Config")
    assert host.fs.read(path) == before


def test_sh_prints_the_prompt_and_folds_long_lines(capsys):
    host = lab.fresh_host("6.7")
    lab.sh(host, "cat /bootbank/boot.cfg")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[root@esxi:~] cat /bootbank/boot.cfg"
    assert all(len(line) <= WIDTH for line in lines)
    assert " ".join(lines[1:]).split() == host.shell("cat /bootbank/boot.cfg").split()
    lab.sh(host, "ls " + " ".join(f"/etc/file-number-{n}" for n in range(8)))
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first.endswith(" \\") and second.startswith("    /etc/file-number")


def test_side_by_side_and_compare_pad_the_shorter_column():
    table = lab.side_by_side("a\nb\nc", "x", titles=("one", "two"))
    assert table.header == ("one", "two")
    assert [tuple(row) for row in table.rows] == [("a", "x"), ("b", ""), ("c", "")]
    old, new = lab.fresh_host("6.7"), lab.fresh_host("7.0")
    table = lab.compare("ls /", old, new)
    assert table.header == ("ESXi 6.7", "ESXi 7.0")
    assert [row[0] for row in table.rows if row[0]] == old.shell("ls /").splitlines()
    assert [row[1] for row in table.rows if row[1]] == new.shell("ls /").splitlines()


def test_bank_state_tells_an_empty_a_half_written_and_a_bootable_bank():
    """A power cut while an update writes the bank leaves modules without boot.cfg (F5: such a bank is ignored)."""
    host = lab.fresh_host("7.0")
    assert (lab.bank_state(host.bootbank), lab.bank_state(host.altbootbank)) == ("VALID, updated=1", "empty")
    host.upgrade("7.0U3")
    assert lab.bank_state(host.altbootbank) == "UPGRADING, updated=2"
    cut = lab.fresh_host("6.7")
    motd = es.Vib.build("lab-motd", "1.0", {"/etc/motd": "hi\n"}, overlay=True)
    cut.install_vib(motd, power_loss_after="write_modules")
    assert lab.bank_state(cut.banks[1]) == "modules, no boot.cfg"


def test_saved_state_reads_the_bootbank_state_tgz_or_a_given_bank():
    host = lab.fresh_host("7.0")
    host.fs.write("/etc/hosts", "10.0.0.5 nas\n", append=True)
    assert "nas" not in lab.saved_state(host).read_text("etc/hosts")
    host.backup()
    assert "nas" in lab.saved_state(host).read_text("etc/hosts")
    assert lab.saved_state(host.bootbank).names() == lab.saved_state(host).names()
