"""KB 342062 ("Locally restoring an ESXi configuration from state.tgz backup", F38), step by step in the shell.

The KB's procedure: run auto-backup.sh; copy /bootbank/state.tgz somewhere safe; reinstall ESXi; copy the saved
state.tgz to /tmp; `cd /tmp`, `tar -xvzf state.tgz`; `cd /`, `mv local.tgz local.tgz.old`, `cp /tmp/local.tgz .`;
`tar -xzvf local.tgz` (which "overwrites all files in their original locations"); run auto-backup.sh again; reboot.
Each step is checked by its effect on the host, so a faked step (a tar that prints names without writing, a cp that
copies nothing, an auto-backup.sh that saves nothing) fails the test. Copying the file off and back (scp/WinSCP) and
the reinstall happen outside the shell: the test does them with the engine (a fresh `Host.demo`).
"""

from __future__ import annotations

import pytest

import esxistate as es

KB_STEPS = [
    "cd /tmp",
    "tar -xvzf state.tgz",
    "cd /",
    "mv local.tgz local.tgz.old",
    "cp /tmp/local.tgz .",
    "tar -xzvf local.tgz",
    "/sbin/auto-backup.sh",
]
LINE = "10.0.0.50\tvcenter.lab.local vcenter"


def _saved_state(version: str) -> bytes:
    """Steps 1-2 on the old host: a change, auto-backup.sh, and the state.tgz copied off the host."""
    old = es.Host.demo(version)
    old.boot()
    old.shell(f"echo '{LINE}' >> /etc/hosts")
    assert "Saving current state in /bootbank" in old.shell("/sbin/auto-backup.sh")
    return old.bootbank.read("state.tgz")


def _reinstalled(version: str, state: bytes) -> es.Host:
    """Steps 3-4: a fresh install, and the saved state.tgz copied to /tmp."""
    host = es.Host.demo(version)
    host.boot()
    assert LINE not in host.fs.read_text("/etc/hosts")
    host.fs.write("/tmp/state.tgz", state)
    return host


@pytest.mark.parametrize("version", ["6.7", "7.0"])
def test_kb342062_runs_end_to_end_in_the_shell(version):
    state = _saved_state(version)
    host = _reinstalled(version, state)
    inner = es.StateArchive.from_bytes(state).local_tgz
    out = [host.shell(step) for step in KB_STEPS]
    assert out[1] == "local.tgz\n" and host.fs.read("/tmp/local.tgz") == inner  # step 5 unpacked the real member
    assert host.fs.exists("/local.tgz.old")  # step 6: the install's own /local.tgz moved aside (F38)
    assert host.fs.read("/local.tgz") == inner  # ... and the saved one copied in
    assert "etc/hosts\n" in out[5]  # step 7 lists what it writes ...
    assert LINE in host.fs.read_text("/etc/hosts")  # ... and writes it over the original
    assert host.fs.exists("/etc/.#hosts")  # through VisorFS: the sticky file keeps being persisted (F25)
    assert out[6].startswith("--- /etc/hosts\n") and f"-{LINE}\n" in out[6]  # step 8 saw the difference (F14)
    assert "Saving current state in /bootbank\n" in out[6]
    assert LINE in es.StateArchive.from_bytes(host.bootbank.read("state.tgz")).read_text("etc/hosts")
    assert host.shell("reboot") == ""  # step 9
    assert LINE in host.fs.read_text("/etc/hosts")


def test_without_the_second_auto_backup_a_power_cut_loses_the_restore():
    """Why step 8 matters: the restored files live on the ramdisks until a backup writes them (F23)."""
    host = _reinstalled("6.7", _saved_state("6.7"))
    for step in KB_STEPS[:-1]:
        host.shell(step)
    assert LINE in host.fs.read_text("/etc/hosts")
    host.shell("reboot -f")
    assert LINE not in host.fs.read_text("/etc/hosts")


def test_kb342062_runs_in_an_esxi_cell(capsys, ipython):
    host = _reinstalled("6.7", _saved_state("6.7"))
    es.use(host)
    ipython.run_cell_magic("esxi", "", "\n".join([*KB_STEPS, "reboot", "grep vcenter /etc/hosts"]) + "\n")
    out = capsys.readouterr().out
    assert out.startswith("[root@esxi:~] cd /tmp\n[root@esxi:/tmp] tar -xvzf state.tgz\nlocal.tgz\n")
    assert "[root@esxi:~] tar -xzvf local.tgz\netc/hosts\n" in out
    assert "[root@esxi:~] /sbin/auto-backup.sh\n--- /etc/hosts\n" in out
    assert out.endswith(f"[root@esxi:~] grep vcenter /etc/hosts\n{LINE}\n")
