"""`host.shell` never raises: any text at all, on a running host and on a powered-off one, gives back a str, and
no command meets an exception it did not expect (the shell would print its one-line "internal error" notice and
undo the command: a bug, never the answer to a typing mistake)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import esxistate as es
from esxistate import busybox, unsimulated
from esxistate.shell import Shell

_WORDS = sorted(
    {
        *Shell(es.Host.demo("6.7"))._commands,  # every command word the shell dispatches
        *busybox.commands(),
        "esxcli software vib get -n",
        "esxcli system maintenanceMode set -e",
        "esxcli software component list",
        "vim-cmd hostsvc/maintenance_mode_enter",
        "vim-cmd hostsvc/firmware/sync_config",
        "tar -xzvf",
        "tar czf /tmp/x.tgz -C /",
        "reboot -f",
        "/sbin/auto-backup.sh",
        "backup.sh",
        "vmware -vl",
        *sorted(unsimulated.KNOWN)[:20],
    }
)
_PIECES = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(["/etc/hosts", "/tmp", "/", "..", "/bootbank/state.tgz", "/local.tgz", "-f", "-C", "*", "~"]),
    st.sampled_from(["|", ";", ">", ">>", "<", "&", "&&", "'", '"', "\\", "$(", "`", "#", "\n", "\t"]),
    st.text(min_size=0, max_size=12),
    st.binary(max_size=12).map(lambda b: b.decode("latin-1")),
)
_LINES = st.lists(_PIECES, max_size=8).map(" ".join)


@pytest.fixture(scope="module")
def hosts() -> dict[str, es.Host]:
    on = es.Host.demo("6.7")
    on.boot()
    seven = es.Host.demo("7.0")
    seven.boot()
    return {"on": on, "seven": seven, "off": es.Host.demo("6.7")}


@settings(
    max_examples=max(150, settings.default.max_examples),  # 10,000 under HYPOTHESIS_PROFILE=thorough
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(line=_LINES, which=st.sampled_from(["on", "seven", "off"]))
def test_the_shell_returns_text_for_any_input(hosts, line, which):
    host = hosts[which]
    out = host.shell(line)
    assert isinstance(out, str)
    assert "internal error" not in out, out
    if which == "off":  # nothing a powered-off host is typed at ever powers it on
        assert not host.powered_on
    elif not host.powered_on:  # `poweroff` in the text: power it back on for the next example
        host.boot()


@pytest.mark.parametrize(
    "line",
    [
        "x" * 200_000,
        "cat " + "/a" * 5000,
        "echo \x00\x01\xff > /tmp/bin",
        "tar -xzvf /etc/hosts",
        "tar -czf",
        "esxcli " + "software " * 300,
        "grep '(' /etc/hosts",
        "find / -name '*' | wc -l",
        "cp / /tmp",
        "mv /tmp /tmp/x",
        "du -a -h -s /",
        "diff -N /nope /etc/hosts",
        "reboot -q",
        "вывод /etc/hosts ; 日本 | grep ü",
    ],
)
def test_awkward_lines_give_text(hosts, line):
    for which in ("on", "off"):
        out = hosts[which].shell(line)
        assert isinstance(out, str)
        assert "internal error" not in out, out
