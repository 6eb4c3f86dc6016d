"""A hostile user at the Host boundary and the shell: each reported way to hang, half-change or crash a booted
`Host.demo()` now succeeds or raises a typed error with the host as it was, and the shell prints ESXi's words."""

from __future__ import annotations

import io
import re
import sys
import tarfile
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import esxistate as es
from esxistate import boundary, cron, errors
from esxistate.bootbank import BankState


@pytest.fixture
def host() -> es.Host:
    h = es.Host.demo()
    h.boot()
    return h


def refused(h: es.Host, action, error: type[errors.EsxiStateError], *words: str) -> errors.EsxiStateError:
    """`action` raises `error` (a typed error) whose message holds `words`; snapshot and history are unchanged."""
    before = h.snapshot()
    logged = len(h.history)
    with pytest.raises(error) as info:
        action()
    for word in words:
        assert word in str(info.value), str(info.value)
    assert h.snapshot() == before
    assert len(h.history) == logged
    return info.value


# -- speed: the clock and the shell ------------------------------------------------------------------------------


def test_a_century_of_cron_counts_every_hourly_run(host):
    """F12: auto-backup.sh at minute 1 of every hour. 100 years from 2026-01-12 09:00 hold 876,000 hours (24 leap
    days included in the 36,500 days), so crond fires 876,000 times; the event lists the first runs and the count."""
    events = host.advance(hours=24 * 365 * 100)
    clock = events[-1]
    assert host.clock == datetime(2026, 1, 12, 9) + timedelta(days=36_500)
    assert clock.details["cron_runs"] == 876_000
    assert len(clock.details["cron"]) == es.host.CRON_RUNS_LISTED
    assert clock.details["cron"][:2] == ("09:01 nothing to save", "10:01 nothing to save")
    assert "cron ran auto-backup.sh 876000 time(s): 09:01 nothing to save" in clock.summary
    assert clock.summary.endswith(f"... and {876_000 - es.host.CRON_RUNS_LISTED} more")


def test_a_change_before_a_long_advance_is_saved_by_the_first_run_only(host):
    """F14: auto-backup.sh backs up only when a file to save differs from state.tgz: the first run saves the edit,
    every later run finds nothing to save."""
    host.fs.write("/etc/hosts", "10.0.0.1 lab\n")
    clock = host.advance(hours=24 * 30)[-1]
    assert clock.details["cron_runs"] == 24 * 30
    assert clock.details["cron"][:2] == ("09:01 backup", "10:01 nothing to save")
    assert [e.kind for e in host.history].count("backup") == 1


def test_a_line_longer_than_the_shell_reads_is_refused_in_words(host):
    """The cap is the simulator's (boundary.SHELL_LINE_MAX); real busybox ash reads any length."""
    before = host.snapshot()
    line = "echo " + "a" * boundary.SHELL_LINE_MAX
    out = host.shell(line)
    assert out == (
        f"sh: command line too long: {len(line)} characters; this simulated shell reads at most "
        f"{boundary.SHELL_LINE_MAX}\n"
    )
    assert host.snapshot() == before
    assert host.shell("echo " + "a" * 100) == "a" * 100 + "\n"  # a normal line still runs


# -- the host always boots, or says why --------------------------------------------------------------------------


def test_an_esx_conf_that_is_not_utf8_boots_after_a_reboot(host):
    """esx.conf is bytes anyone may write (fs.write, or a restored state.tgz); a host name in it that is not UTF-8
    shows with U+FFFD and the host keeps booting."""
    conf = host.fs.read("/etc/vmware/esx.conf").replace(b'HostName = "', b'HostName = "\xff\xfe', 1)
    host.fs.write("/etc/vmware/esx.conf", conf)
    assert host.hostname.startswith("\ufffd\ufffd")
    host.reboot()  # shutdown backs it up (F13), the boot restores it (F38)
    assert host.powered_on
    assert host.fs.read("/etc/vmware/esx.conf") == conf
    host.power_loss()
    host.boot()
    assert host.fs.read("/etc/vmware/esx.conf") == conf
    assert host.shell("hostname").startswith("\ufffd")


def test_hostd_keeps_bytes_of_esx_conf_that_are_not_utf8(host):
    conf = host.fs.read("/etc/vmware/esx.conf") + b'/custom/blob = "\xff"\n'
    host.fs.write("/etc/vmware/esx.conf", conf)
    host.configure("hostname", "lab01")
    data = host.fs.read("/etc/vmware/esx.conf")
    assert b'/custom/blob = "\xff"' in data and b'HostName = "lab01"' in data


@pytest.mark.parametrize("name", ["a b", "a---b", "tab\tname", "caf\u00e9", "new\nline"])
def test_a_vib_name_boot_cfg_cannot_carry_is_refused_at_install(host, name):
    """F3: modules= separates a module's name from its options at the first blank, and modules at `---`; F11: boot
    bank files are FAT names. Such a VIB would write a boot.cfg no later boot can load."""
    vib = es.Vib.build(name, "1.0", {"/opt/lab/x": "x"})
    err = refused(host, lambda: host.install_vib(vib), errors.BadVibName, "cannot be installed", "F3")
    assert err.name == name
    refused(host, lambda: host.install_vib(vib, live=False), errors.BadVibName)


def test_a_staged_image_that_cannot_load_falls_back_to_the_old_bank(host):
    """F6: safeboot marks the new bank DIRTY before its first try; the failed load leaves that mark, and the next
    boot turns DIRTY into INVALID ("system has failed to upgrade") and boots the old bank."""
    host.upgrade("7.0U3")
    alt = host.altbootbank
    index = host.banks.index(alt)
    host._banks[index] = alt.replace_files({"s.v00": b"not a gzip'd tar"})  # the new bank's s.v00 is damaged
    with pytest.raises(errors.BootFailed) as info:
        host.reboot()
    assert "BOOTBANK2" in str(info.value) and "falls back to BOOTBANK1" in str(info.value)
    assert not host.powered_on
    assert host.banks[index].state is BankState.DIRTY
    assert host.history[-1].kind == "boot-failed"
    events = host.boot()
    assert "DIRTY -> INVALID" in events[0].summary
    assert host.powered_on and host.bootbank.label == "BOOTBANK1" and host.version == "7.0"
    assert host.banks[index].state is BankState.INVALID


def test_a_valid_bank_that_cannot_load_fails_the_boot_and_changes_nothing():
    """Not a first try: nothing to fall back from, so the boot is refused and the host stays as it was."""
    h = es.Host.demo()
    h._banks[0] = h._banks[0].replace_files({"s.v00": b"junk"})
    before = h.snapshot()
    with pytest.raises(errors.CorruptArchive):
        h.boot()
    assert h.snapshot() == before and not h.powered_on


# -- half-changed hosts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["\u00b2", "\u0661", "1\u00b2", "*/\u00b9", "1-\u00b2"])
@pytest.mark.parametrize("position", [0, 1])
def test_a_crontab_field_with_a_non_ascii_digit_never_fires(host, field, position):
    """Cron reads ASCII digits only: the odd line never fires, the ordinary line still does (F12). The ordinary line
    backs up at 09:01; the odd one is read at every other minute and must not stop the clock half-way."""
    table = host.fs.read_text("/var/spool/cron/crontabs/root")
    times = ["*", "*", "*", "*", "*"]
    times[position] = field
    host.fs.write("/var/spool/cron/crontabs/root", table + " ".join(times) + " /sbin/auto-backup.sh\n")
    host.fs.write("/etc/hosts", "10.0.0.2 lab\n")
    clock = host.advance(hours=1)[-1]
    assert clock.details["cron"] == ("09:01 backup",)
    assert host.clock == datetime(2026, 1, 12, 10)


def test_a_backup_counter_with_a_non_ascii_digit_starts_again_at_one(host):
    host.fs.write("/etc/vmware/.backup.counter", "# header\n\u00b2\n")
    host.fs.write("/etc/hosts", "10.0.0.3 lab\n")
    host.backup()
    assert host.fs.read_text("/etc/vmware/.backup.counter").splitlines()[-1] == "1"


@pytest.mark.parametrize("mode", ["644", 0o10000, -1, 6.44, True, b"644"])
def test_a_mode_that_is_not_permission_bits_is_refused(host, mode):
    refused(host, lambda: host.fs.write("/etc/lab.conf", "x", mode=mode), errors.InvalidValue, "a file mode")
    refused(host, lambda: host.fs.chmod("/etc/hosts", mode), errors.InvalidValue, "0o7777")
    assert host.shell("ls -l /etc/hosts").startswith("-rw-r--r-T")
    host.backup()
    host.reboot()
    assert host.powered_on


def test_any_exception_inside_an_operation_rolls_the_host_back(host, monkeypatch):
    """A bug (here: a ValueError planted in backup.sh's counter) surfaces as InternalError, after the host was put
    back: no half-written state.tgz, no moved clock, no new event."""
    host.fs.write("/etc/hosts", "10.0.0.4 lab\n")
    before = host.snapshot()
    logged = len(host.history)

    def broken(*_args, **_kwargs):
        raise ValueError("planted")

    monkeypatch.setattr(es.backup, "count_run", broken)
    with pytest.raises(errors.InternalError) as info:
        host.advance(hours=2)
    assert isinstance(info.value.cause, ValueError)
    assert "bug in the simulator" in str(info.value) and "put back exactly as it was" in str(info.value)
    assert host.snapshot() == before and len(host.history) == logged
    monkeypatch.undo()
    host.advance(hours=2)  # the host still works
    assert host.history[-1].details["cron"] == ("09:01 backup", "10:01 nothing to save")


def test_a_bug_inside_a_shell_command_is_one_line_and_undone(host, monkeypatch):
    before = host.snapshot()

    def broken(*_args, **_kwargs):
        raise KeyError("planted")

    monkeypatch.setattr(es.backup, "count_run", broken)
    host.fs.write("/etc/hosts", "10.0.0.5 lab\n")
    before = host.snapshot()
    out = host.shell("backup.sh 0")
    assert out.startswith("backup.sh: esxistate hit an internal error") and out.count("\n") == 1
    assert "Traceback" not in out
    assert host.snapshot() == before


# -- raw exceptions ----------------------------------------------------------------------------------------------


def test_a_surrogate_path_is_refused_by_the_file_system(host):
    refused(host, lambda: host.fs.write("/tmp/\udcff", "x"), errors.InvalidPath, "UTF-8")
    refused(host, lambda: host.fs.mkdir("/tmp/\ud800dir"), errors.InvalidPath, "lone surrogate")
    assert host.shell("touch /tmp/\udcff") == "touch: /tmp/\\udcff: Invalid argument\n"


def test_a_surrogate_in_a_diagram_or_the_export_is_shown_escaped(host, tmp_path):
    diagram = es.render.layer_stack(host, "/tmp/\udcff")
    assert "\\\\udcff" in diagram.source
    diagram.source.encode("utf-8")
    out = es.export.html(host.history, tmp_path / "lesson.html", title="lab \udcff")
    assert "lab \\udcff" in out.read_text(encoding="utf-8")


def test_rm_r_find_and_du_walk_a_tree_deeper_than_pythons_stack(host):
    """Each walk keeps its own stack: depth is not limited by Python's recursion limit."""
    depth = 300
    limit = sys.getrecursionlimit()
    path = "/tmp"
    for _ in range(depth):
        path += "/d"
        host.fs.mkdir(path)
    host.fs.write(path + "/leaf", "x")
    sys.setrecursionlimit(len(_stack()) + 200)  # fewer frames than the tree is deep
    try:
        found = host.shell("find /tmp/d")
        used = host.shell("du -s /tmp/d")
        removed = host.shell("rm -rf /tmp/d")
    finally:
        sys.setrecursionlimit(limit)
    assert found.count("\n") == depth + 1 and found.endswith("/d/leaf\n")
    assert used == f"{4 * depth + 4}\t/tmp/d\n"
    assert removed == "" and not host.fs.exists("/tmp/d")


def _stack() -> list:
    import inspect

    return inspect.stack(0)


def test_crontab_l_on_a_directory_prints_busybox_cats_words(host):
    """busybox's crontab -l runs its own cat on the user's file (miscutils/crontab.c: bb_cat)."""
    host.fs.delete("/var/spool/cron/crontabs/root")
    assert host.shell("crontab -l") == "cat: can't open 'root': No such file or directory\n"
    host.fs.mkdir("/var/spool/cron/crontabs/root")
    assert host.shell("crontab -l") == "cat: read error: Is a directory\n"
    assert host.advance(hours=1)[-1].details["cron_runs"] == 0


def _fill_tmp(h: es.Host) -> None:
    h.fs.write("/tmp/fill", b"\0" * h.snapshot().ramdisk("tmp").free)
    assert h.snapshot().ramdisk("tmp").free == 0


def test_reboot_with_tmp_full_still_saves_and_reboots(host):
    """A full /tmp cannot stop a shutdown: backup.sh's `echo $$ > /tmp/bootbank.lck` fails and the script goes on
    (as with its counter, F18), so the edit is in state.tgz and survives the reboot (F13)."""
    host.fs.write("/etc/hosts", "10.0.0.6 lab\n")
    _fill_tmp(host)
    assert host.shell("reboot") == ""
    assert host.powered_on and host.fs.read_text("/etc/hosts") == "10.0.0.6 lab\n"
    backup = next(e for e in reversed(host.history) if e.kind == "backup")
    assert "lock: sh: can't create /tmp/bootbank.lck: No space left on device" in backup.details["steps"]


def test_backup_sh_with_tmp_full_saves(host):
    host.fs.write("/etc/hosts", "10.0.0.7 lab\n")
    _fill_tmp(host)
    out = host.shell("backup.sh 0")
    assert out.startswith("Saving current state in /bootbank")
    host.power_loss()
    host.boot()
    assert host.fs.read_text("/etc/hosts") == "10.0.0.7 lab\n"


@pytest.mark.parametrize(
    "hours, minutes, words",
    [
        (float("nan"), 0, "finite"),
        (float("inf"), 0, "finite"),
        (0, float("-inf"), "finite"),
        ("1", 0, "must be a number"),
        (None, 0, "must be a number"),
        (True, 0, "must be a number"),
        (-1, 0, "only moves forward"),
        (0, -0.5, "only moves forward"),
        (10**9, 0, "year 9999"),
    ],
)
def test_advance_refuses_what_is_not_a_duration(host, hours, minutes, words):
    refused(host, lambda: host.advance(hours=hours, minutes=minutes), errors.InvalidValue, words)


def test_advance_takes_fractions(host):
    host.advance(hours=0.5, minutes=1.5)
    assert host.clock == datetime(2026, 1, 12, 9, 31, 30)


@pytest.mark.parametrize(
    "action, words",
    [
        (lambda h: h.install_vib("lab-motd"), "give a VIB"),
        (lambda h: h.install_vib(None), "give a VIB"),
        (lambda h: h.install_vib(es.Vib.build("lab", "1.0", {"/opt/l/x": "x"}), live="yes"), "True or False"),
        (lambda h: h.install_vib(es.Vib.build("lab", "1.0", {"/opt/l/x": "x"}), power_loss_after=3), "text"),
        (lambda h: h.shell(None), "give text"),
        (lambda h: h.shell(b"ls"), "not bytes"),
        (lambda h: h.shell(["ls"]), "not list"),
        (lambda h: h.upgrade(7), "not int"),
        (lambda h: h.upgrade([]), "not list"),
        (lambda h: h.upgrade(None), "not NoneType"),
        (lambda h: h.restore_config("configBundle.tgz"), "bytes of a configBundle.tgz"),
        (lambda h: h.restore_config(None), "bytes of a configBundle.tgz"),
        (lambda h: h.restore_config(b"", force="yes"), "True or False"),
        (lambda h: h.remove_vib(None), "not NoneType"),
        (lambda h: h.remove_vib(["esx-ui"]), "not list"),
        (lambda h: h.backup(power_loss_after=["lock"]), "not list"),
        (lambda h: h.configure(["hostname"], "x"), "no setting"),
        (lambda h: h.reboot(rollback="no"), "True or False"),
        (lambda h: h.fs.write(None, "x"), "not NoneType"),
        (lambda h: h.fs.read(b"/etc/hosts"), "not bytes"),
        (lambda h: h.fs.listdir(42), "not int"),
        (lambda h: h.fs.write("/etc/x", "x", append=1), "True or False"),
        (lambda h: h.fs.write("/etc/x", "\udcff"), "lone surrogate"),
        (lambda h: h.fs.mkdir("/etc/" + "x" * 256), "255 bytes"),
        (lambda h: h.fs.read("/" + "x/" * 2100), "4096 bytes"),
    ],
)
def test_a_wrong_type_is_a_typed_error_and_changes_nothing(host, action, words):
    err = refused(host, lambda: action(host), errors.EsxiStateError, words)
    assert not isinstance(err, errors.InternalError)


def test_a_name_too_long_is_enametoolong_in_the_shell(host):
    assert host.shell("touch /tmp/" + "x" * 256) == f"touch: /tmp/{'x' * 256}: File name too long\n"


# -- smaller ------------------------------------------------------------------------------------------------------


@pytest.mark.exe("graphviz-pure")
@pytest.mark.parametrize("name", ["a\\G", "b\\N", "c\\l", "d\\"])
def test_dot_escapes_in_a_path_stay_characters_in_the_drawing(name):
    """graphviz-pure reads \\G (graph name), \\N (node name) and \\l (left-justify) inside labels; a path that holds
    them must still be drawn as itself, in the subtitle, the ramdisk table and the branch arrow."""
    from esxistate.render import svg

    h = es.Host.demo("6.7")
    h.boot()
    h.install_vib(es.Vib.build("lab-esc", "1.0", {f"/etc/{name}": "x"}))
    h.fs.write(f"/etc/{name}", "y")  # branched from the VIB's tardisk onto the etc ramdisk
    drawn = svg.display_bundle(es.render.layer_stack(h, f"/etc/{name}"))["image/svg+xml"]
    texts = [_unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", drawn)]
    shown = [t for t in texts if "/etc/" in t]
    assert any(f"/etc/{name} is served by the etc ramdisk" in t for t in shown), shown
    assert any(f"branched: /etc/{name} was" in t for t in shown), shown
    assert not any("layer_stack" in t or "/etc/" + name[0] + "ramdisks" in t for t in shown), shown


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_the_dashboards_path_box_shows_a_path_it_cannot_use():
    pytest.importorskip("ipywidgets")
    from esxistate.render.widgets import Dashboard

    h = es.Host.demo()
    h.boot()
    board = Dashboard(h)
    board.path.value = "etc/hosts"  # the observer runs here: it must not raise
    assert "is not a usable path: paths must be absolute" in board.message.value
    assert "Layer stack" in board.diagram.value or "<svg" in board.diagram.value
    board.path.value = "/etc/hosts"
    assert "127.0.0.1" in board.content.value


def test_a_ramdisk_refuses_a_file_past_its_maximum_inodes(host):
    """S4/F29: every ramdisk has a maximum number of inodes (epd: 1024 on 7.0); past it, a new file fails with
    hostd's file-table event text (F28) and ENOSPC in the shell. Nothing is written."""
    limit = host.snapshot().ramdisk("epd").max_inodes
    assert limit == 1024
    for i in range(limit - 1):  # the mount point itself takes one inode
        host.fs.write(f"/epd/f{i}", "")
    before = host.snapshot()
    err = refused_with_log(host, lambda: host.fs.write("/epd/one-more", ""), errors.RamdiskInodesFull)
    assert str(err).startswith(
        "The file table of the ramdisk 'epd' is full.  As a result, the file /epd/one-more could not be created."
    )
    assert err.errno_text == "No space left on device"
    assert host.shell("touch /epd/x; mkdir /epd/d") == (
        "touch: /epd/x: No space left on device\nmkdir: can't create directory '/epd/d': No space left on device\n"
    )
    host.fs.write("/epd/f0", "an existing file can still change")
    host.fs.delete("/epd/f1")
    host.fs.write("/epd/one-more", "")  # a freed inode is used again
    assert host.snapshot().ramdisk("epd").used_inodes == limit
    assert before.ramdisk("epd").used_inodes == limit


def refused_with_log(h: es.Host, action, error: type[errors.EsxiStateError]) -> errors.EsxiStateError:
    """Like `refused`, but hostd logs a full ramdisk (F28): the snapshot is unchanged and one event is added."""
    before = h.snapshot()
    logged = len(h.history)
    with pytest.raises(error) as info:
        action()
    assert h.snapshot() == before and len(h.history) == logged + 1
    assert h.history[-1].kind == "ramdisk-full"
    return info.value


def test_a_state_tgz_whose_files_do_not_fit_still_boots(host):
    """A local.tgz holding a path no file system stores (a 300-byte name) does not stop the boot: the restore is
    refused and named in the event, and the host boots with the image's /etc (a simplification: tar would skip
    only that member)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("etc/hosts", b"10.0.0.8 lab\n"), ("etc/" + "x" * 300, b"too long a name\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o1644
            tar.addfile(info, io.BytesIO(data))
    local = buf.getvalue()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("local.tgz")
        info.size = len(local)
        tar.addfile(info, io.BytesIO(local))
    host.power_loss()
    host._banks[0] = host._banks[0].replace_files({"state.tgz": buf.getvalue()})
    events = host.boot()
    restore = next(e for e in events if e.kind == "restore")
    # The archive reader refuses a name past NAME_MAX (esxistate.limits) before any member is written, so the boot
    # goes on with the image's /etc and says why; the host runs and answers.
    assert "could not be read" in restore.summary and "255" in restore.summary
    assert host.powered_on and "localhost" in host.fs.read_text("/etc/hosts")


# -- the cron jump equals the minute-by-minute walk ---------------------------------------------------------------


def _minute_walk(schedule, after: datetime, end: datetime) -> list[datetime]:
    """The reference: every minute from after+1 to end, kept when a line matches (the engine's old loop)."""
    out = []
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t <= end:
        if any(_match(f, t) for f in schedule):
            out.append(t)
        t += timedelta(minutes=1)
    return out


def _match(fields, t: datetime) -> bool:
    values = (t.minute, t.hour, t.day, t.month, (t.weekday() + 1) % 7)
    return all(_field(spec, v) for spec, v in zip(fields, values, strict=True))


def _field(spec: str, value: int) -> bool:
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step_s = part.split("/", 1)
            if not re.fullmatch("[0-9]+", step_s):
                continue
            step = max(int(step_s), 1)
        if part == "*":
            lo, hi = 0, 10_000
        elif "-" in part:
            a, b = part.split("-", 1)
            if not (re.fullmatch("[0-9]+", a) and re.fullmatch("[0-9]+", b)):
                continue
            lo, hi = int(a), int(b)
        elif re.fullmatch("[0-9]+", part):
            lo = hi = int(part)
        else:
            continue
        if lo <= value <= hi and (value - lo) % step == 0:
            return True
    return False


_SPECS = ["*", "1", "0", "*/5", "*/7", "1-5", "10-20/3", "1,31", "2", "29", "*/0", "x", "\u00b2", "*/\u00b9", "0-59/15"]


_FIELDS = st.tuples(*(st.sampled_from(_SPECS) for _ in range(5)))


@given(
    schedule=st.lists(_FIELDS, min_size=1, max_size=3),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1)),
    minutes=st.integers(min_value=0, max_value=3 * 24 * 60),
)
def test_the_cron_jump_finds_the_runs_the_minute_walk_finds(schedule, start, minutes):
    end = start + timedelta(minutes=minutes)
    expected = _minute_walk(schedule, start, end)
    got = []
    t = start
    while (t := cron.next_run(schedule, t, end)) is not None:
        got.append(t)
    assert got == expected
    assert cron.count_runs(schedule, start, end) == len(expected)
