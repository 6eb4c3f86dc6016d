"""The hostile corpus in tests/data/bad/ (readers `hostile-*` in cases.json): inputs that attack the readers'
resources as well as their rules. Each is refused with its typed error and a sentence a student can act on, or
accepted as real tools accept it; each is read within a generous bound on time and on peak memory (these are bounds
against hangs and memory bombs, not speed bars); and a host that meets it still lists, backs up, reboots and boots.

Limits follow esxistate.limits: Linux's PATH_MAX 4096 and NAME_MAX 255 (<linux/limits.h>) for names, and the
simulator's own caps for sizes (a configuration archive at most 32 MiB unpacked, far past a real state.tgz; F17).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import signal
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import esxistate as es
from esxistate import archive, errors, image, limits
from esxistate.configbundle import build_bundle
from esxistate.entry import FILE, WHITEOUT, FileEntry
from esxistate.visorfs import VisorFS

BAD = Path(__file__).parent / "data" / "bad"
CASES = {n: c for n, c in json.loads((BAD / "cases.json").read_text()).items() if c["reader"].startswith("hostile")}
SECONDS = 10.0  # generous: the slowest case takes well under this on a shared 2-core machine
PEAK = 100 * 2**20  # tracemalloc peak, bytes

_spec = importlib.util.spec_from_file_location("bad_corpus_make", BAD / "make.py")
assert _spec is not None and _spec.loader is not None
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

FIGURES: dict[str, tuple[float, int]] = {}  # case -> (seconds, peak bytes), printed by the last test


def load(name: str) -> bytes:
    return make.generated(name) if CASES[name].get("generated") else (BAD / name).read_bytes()


@contextlib.contextmanager
def deadline(seconds: float = SECONDS) -> Iterator[None]:
    """Fail instead of hanging: an endless Python loop is interrupted after `seconds`."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def measured(action: Callable[[], Any]) -> tuple[Any, BaseException | None, float, int]:
    """(result, error, seconds, tracemalloc peak) of `action`, interrupted after twice the time bound."""
    tracemalloc.start()
    start = time.perf_counter()
    result, error = None, None
    try:
        with deadline(2 * SECONDS):
            result = action()
    except Exception as err:
        error = err
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, error, time.perf_counter() - start, peak


def within_bounds(name: str, seconds: float, peak: int) -> None:
    FIGURES[name] = (seconds, peak)
    assert seconds < SECONDS, f"{name}: {seconds:.1f} s"
    assert peak < PEAK, f"{name}: peak {peak / 2**20:.0f} MiB"


READERS: dict[str, Callable[[bytes, str], Any]] = {
    "hostile-archive": lambda data, name: archive.read_members(data, name=name),
    "hostile-state": lambda data, name: es.StateArchive.from_bytes(data, name=name),
    "hostile-vib": lambda data, name: es.Vib.from_bytes(data, name=name),
    "hostile-bundle": lambda data, name: es.ConfigBundle.from_bytes(data, name=name),
}


def booted() -> es.Host:
    host = es.Host.demo("7.0")
    host.boot()
    return host


def bundle_for(host: es.Host, state_tgz: bytes) -> bytes:
    assert host.bootbank is not None
    return build_bundle(uuid=host.uuid, build=host.bootbank.build, state_tgz=state_tgz, mtime=0)


def still_works(host: es.Host) -> None:
    """What a student does next: list, back up, reboot, lose power, boot; nothing raises, nothing is a traceback."""
    for command in ("ls -l /etc", "ls -l /tmp", "vdf -h", "tar tzvf /bootbank/state.tgz"):
        out = host.shell(command)
        assert "Traceback" not in out and "Error" not in out.split("\n", 1)[0], (command, out[:300])
    host.backup()
    host.reboot()
    assert host.powered_on
    host.power_loss()
    host.boot()
    assert host.powered_on and host.fs.exists("/etc/hosts")


def test_the_hostile_corpus_is_complete_and_small():
    """Every hostile case has its file (or is generated), says what it tries and which words its error holds."""
    assert len(CASES) >= 40
    for name, case in CASES.items():
        assert case.get("generated") or (BAD / name).is_file(), name
        assert case["tries"] and (case["expect"] == "ok" or case["says"]), name
    committed = sum((BAD / n).stat().st_size for n, c in CASES.items() if not c.get("generated"))
    assert committed < 100_000


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_hostile_input_gets_its_answer_within_bounds(name):
    case = CASES[name]
    data = load(name)
    result, error, seconds, peak = measured(lambda: READERS[case["reader"]](data, name))
    if case["expect"] == "ok":
        assert error is None, f"{name}: {type(error).__name__}: {error}"
        assert result is not None
    else:
        assert isinstance(error, getattr(errors, case["expect"])), f"{name}: {type(error).__name__}: {error}"
        message = str(error)
        assert case["says"] in message and "Traceback" not in message, message
        assert len(message) < 600 and message.endswith("."), message
    within_bounds(name, seconds, peak)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["reader"] != "hostile-vib"))
def test_the_shell_lists_each_hostile_archive_in_busyboxs_words(name):
    host = booted()
    host.fs.write(f"/tmp/{name}", load(name))
    before = host.snapshot()
    with deadline():
        out = host.shell(f"tar tzvf /tmp/{name}")
    assert "Traceback" not in out
    if CASES[name]["expect"] == "ok" or CASES[name]["reader"] in ("hostile-state", "hostile-bundle"):
        assert out.startswith("tar: ") or " 0/0 " in out, out[:300]
    else:
        assert out.startswith("tar: ") and out.count("\n") == 1 and "tar: None" not in out, out[:300]
    assert host.snapshot() == before
    still_works(host)


@pytest.mark.parametrize(
    "name", sorted(n for n, c in CASES.items() if c["reader"] in ("hostile-state", "hostile-bundle"))
)
def test_restoring_each_hostile_configuration_leaves_a_host_that_works(name):
    """restore_config of the bundle (a hostile-state case is wrapped into this host's own bundle): an accepted one is
    restored and the host reboots into it (F43); a refused one is InvalidBundle and changes nothing."""
    case = CASES[name]
    host = booted()
    data = load(name)
    bundle = bundle_for(host, data) if case["reader"] == "hostile-state" else data
    before = host.snapshot()
    _, error, seconds, peak = measured(lambda: host.restore_config(bundle))
    if case["expect"] == "ok":
        assert error is None, f"{name}: {type(error).__name__}: {error}"
        assert host.powered_on and host.history[-1].kind == "boot-complete"
    else:
        assert isinstance(error, errors.InvalidBundle), f"{name}: {type(error).__name__}: {error}"
        assert case["says"] in str(error)
        assert host.snapshot() == before
    within_bounds(f"restore_config {name}", seconds, peak)
    still_works(host)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["reader"] == "hostile-vib"))
def test_installing_each_hostile_vib_from_the_shell_prints_esxclis_words(name):
    host = booted()
    host.fs.write(f"/tmp/{name}", load(name))
    before = host.snapshot()
    with deadline():
        out = host.shell(f"esxcli software vib install -v /tmp/{name}")
    assert out.startswith((" [VibFormatError]", " [InstallationError]")), out
    assert CASES[name]["says"] in out and "Traceback" not in out
    assert host.snapshot() == before
    still_works(host)


# -- the reported failures, one test each ------------------------------------------------------------------------


def test_a_584_byte_bundle_200000_directories_deep_is_refused_at_its_header():
    """It used to take over 3 GB (every parent of the path an entry: memory grows with depth squared) and leave a
    host that raised MemoryError at every boot. The GNU long name declares 400 KB, past PATH_MAX (4096)."""
    data = (BAD / "deep-path-bundle.tgz").read_bytes()
    assert len(data) < 600
    host = booted()
    before = host.snapshot()
    _, error, seconds, peak = measured(lambda: host.restore_config(data))
    assert isinstance(error, errors.InvalidBundle), error
    assert "longer than a path can be (4096)" in str(error)
    assert host.snapshot() == before
    within_bounds("deep bundle", seconds, peak)
    still_works(host)


def test_vib_build_refuses_a_path_200000_directories_deep():
    path = "/opt/" + "a/" * 200_000 + "f"
    _, error, seconds, peak = measured(lambda: es.Vib.build("deep", "1.0", {path: "x"}))
    assert isinstance(error, errors.InvalidPath) and "PATH_MAX" in str(error), error
    within_bounds("Vib.build deep", seconds, peak)


def test_visorfs_restore_refuses_a_path_200000_directories_deep():
    fs = VisorFS(image.ramdisk_specs("7.0"))
    path = "/etc/" + "a/" * 200_000 + "f"
    _, error, seconds, peak = measured(lambda: fs.restore(path, FileEntry(FILE, 0o644, b"x"), twin_data=None))
    assert isinstance(error, errors.InvalidPath) and "PATH_MAX" in str(error), error
    within_bounds("VisorFS.restore deep", seconds, peak)
    assert not fs.exists("/etc/a")
    held = len(fs.ramdisk("etc").files)
    fs.restore("/etc/" + "a/" * 2000 + "f", FileEntry(FILE, 0o644, b"x"), twin_data=None)  # 4,006 bytes: fine
    assert fs.exists("/etc/a/a") and len(fs.ramdisk("etc").files) == held + 2000 + 1


def test_a_name_is_measured_in_bytes_not_characters():
    """NAME_MAX counts bytes: 100 three-byte characters are 300 bytes, one name too long."""
    name = b"etc/" + "\u20ac".encode() * 100
    data = make.gz(make.tar(make.pax(make.pax_record(b"path", name)), make.member(b"x", b"x")))
    with pytest.raises(errors.UnsafeArchive, match="300 bytes long"):
        archive.read_members(data)


def test_parents_are_made_once_not_once_per_member():
    """1,000 files in one directory 50 levels down: 50 parents made, once each, in the archive's tardisk."""
    top = "/".join(["d"] * 50)
    members = [(f"{top}/f{i}", FileEntry(FILE, 0o644, b"x")) for i in range(1000)]
    tardisk = es.Tardisk.from_bytes("lab.v00", archive.build_tgz(members), cache=False)
    assert len(tardisk.members) == 1000 + 50
    assert limits.new_parents(["a/b/c/f", "a/b/c/g", "a/b/x"], set()) == ["a/b/c", "a/b", "a"]


def test_half_a_million_gzip_members_cost_linear_time_in_every_reader():
    """A state.tgz followed by 500,000 empty gzip members (10 MB): each member used to re-copy the rest of the input,
    and reading ran past a minute in every reader, restore_config and the shell's tar tzvf. Now gunzip inflates them
    in linear time, and the tar readers stop at the archive's end-of-archive blocks, as tar does."""
    data = make.generated("gzip-members.tgz")
    assert len(data) > 9_000_000
    host = booted()
    host.fs.write("/tmp/state.tgz", data)
    with deadline():  # gunzip inflates every member: timed without tracemalloc, whose bookkeeping is the cost here
        start = time.perf_counter()
        assert len(archive.gunzip(data)) == len(archive.gunzip(data[: -20 * 500_000]))
        within_bounds("500,000 gzip members: gunzip, untraced", time.perf_counter() - start, 0)
    for what, action in (
        ("read_members", lambda: archive.read_members(data)),
        ("StateArchive", lambda: es.StateArchive.from_bytes(data).names()),
        ("tar tzvf", lambda: host.shell("tar tzvf /tmp/state.tgz")),
        ("restore_config", lambda: host.restore_config(bundle_for(host, data))),
    ):
        result, error, seconds, peak = measured(action)
        assert error is None, f"{what}: {error}"
        within_bounds(f"500,000 gzip members: {what}", seconds, peak)
    assert result and host.fs.read("/etc/hosts") == make.HOSTS
    still_works(host)


def test_a_vib_whose_ar_header_has_a_negative_size_is_refused_not_looped_on():
    data = (BAD / "vib-negative-size.vib").read_bytes()
    _, error, seconds, _ = measured(lambda: es.Vib.from_bytes(data))
    assert isinstance(error, errors.CorruptArchive) and "damaged" in str(error), error
    assert seconds < SECONDS
    host = booted()
    host.fs.write("/tmp/neg.vib", data)
    with deadline():
        out = host.shell("esxcli software vib install -v /tmp/neg.vib")
    assert out.startswith(" [VibFormatError]\n") and "its size is not a number of bytes" in out


@pytest.mark.parametrize("case", ["mtime-huge.tgz", "mtime-negative.tgz"])
def test_out_of_range_mtimes_are_refused_before_ls_tar_or_listing_can_meet_them(case):
    """They used to raise OSError or OverflowError from `ls -l`, `tar tzvf` and `StateArchive.listing()`."""
    local = (BAD / case).read_bytes()
    state = make.gz(make.tar(make.member(b"local.tgz", local, mode=0o700)))
    with pytest.raises(errors.CorruptArchive, match="no date from 1970 to 9999"):
        es.StateArchive.from_bytes(state).listing()
    host = booted()
    host.fs.write("/tmp/m.tgz", local)
    assert host.shell("tar tzvf /tmp/m.tgz") == "tar: short read\n"
    assert host.shell("tar xzf /tmp/m.tgz -C /tmp") == "tar: short read\n"
    with pytest.raises(errors.InvalidBundle, match="no date"):
        host.restore_config(bundle_for(host, state))
    assert "Traceback" not in host.shell("ls -l /etc")


def test_a_far_but_valid_mtime_is_shown_by_ls_and_tar():
    """Year 9999 is the last a date can show: accepted, and listed."""
    local = make.gz(make.tar(make.member(b"etc/far", b"x\n", mtime=make.base256(limits.MAX_MTIME))))
    host = booted()
    host.fs.write("/tmp/far.tgz", local)
    assert "9999-12-31 23:59:59 etc/far" in host.shell("tar tzvf /tmp/far.tgz")
    host.restore_config(bundle_for(host, make.gz(make.tar(make.member(b"local.tgz", local, mode=0o700)))))
    assert "Dec 31  9999 /etc/far" in host.shell("ls -l /etc/far")
    still_works(host)


@pytest.mark.parametrize("opener", [es.StateArchive.open, es.ConfigBundle.open])
@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/nonexistent/state.tgz", "no such file"),
        ("/tmp", "it is a folder"),
        ("/dev/zero", "not a regular file"),
        (5, "a path is text"),
        ("bad\x00name", "Cannot read"),
    ],
)
def test_open_refuses_what_is_not_a_regular_file_and_reads_little(opener, path, words):
    """/dev/zero used to be read until MemoryError; a directory or a missing path raised OSError."""
    _, error, seconds, peak = measured(lambda: opener(path))
    assert isinstance(error, errors.UnreadableFile), error
    assert words in str(error)
    within_bounds(f"open {path!r}", seconds, peak)


def test_open_refuses_a_file_larger_than_any_such_archive(tmp_path):
    big = tmp_path / "state.tgz"
    with big.open("wb") as fh:
        fh.truncate(limits.MAX_FILE + 1)  # sparse: nothing is written
    _, error, _, peak = measured(lambda: es.StateArchive.open(big))
    assert isinstance(error, errors.UnreadableFile) and "more than 64 MiB" in str(error), error
    assert peak < 2**20


def test_open_reads_a_fifo_without_hanging(tmp_path):
    import os

    fifo = tmp_path / "pipe.tgz"
    os.mkfifo(fifo)
    with deadline(), pytest.raises(errors.UnreadableFile, match="not a regular file"):
        es.ConfigBundle.open(fifo)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: es.Vib.build("x", "1", 123), errors.InvalidValue, "dict of path"),
        (lambda: es.Vib.build("x", "1", ["/opt/x"]), errors.InvalidValue, "dict of path"),
        (lambda: es.Vib.build(None, "1", {"/opt/x": "x"}), errors.InvalidValue, "a name and a version"),
        (lambda: es.Vib.build("x", 1.0, {"/opt/x": "x"}), errors.InvalidValue, "a name and a version"),
        (lambda: es.Vib.build("x", "1", {"/opt/x": 5}), errors.InvalidValue, "text (str) or bytes"),
        (lambda: es.Vib.build("x", "1", {5: "x"}), errors.InvalidPath, "absolute"),
        (lambda: es.Vib.build("x", "1", {"opt/x": "x"}), errors.InvalidPath, "absolute"),
        (lambda: es.Vib.build("x", "1", {"/opt/x": "x"}, modes={"/opt/x": "644"}), errors.InvalidValue, "0o7777"),
        (lambda: es.Vib.build("x", "1", {"/opt/x": "x"}, modes=5), errors.InvalidValue, "permission bits"),
        (lambda: es.Vib.build("x", "1", {"/opt/x": "x"}, mtime=10**30), errors.InvalidValue, "9999"),
        (lambda: es.Vib.build("x", "1", {"/opt/x": "x"}, vendor=7), errors.InvalidValue, "text"),
        (lambda: es.Vib.build("x", "1", {"/opt/x": b"x" * 10**6}, acceptance=[1]), errors.InvalidValue, "one of"),
        (lambda: es.Vib.from_bytes("!<arch>\n"), errors.CorruptArchive, "given as str"),
        (lambda: es.Vib.from_bytes(None), errors.CorruptArchive, "given as NoneType"),
        (lambda: es.StateArchive.from_bytes(12), errors.CorruptArchive, "given as int"),
        (lambda: es.StateArchive.from_bytes("state.tgz"), errors.CorruptArchive, "given as str"),
        (lambda: es.ConfigBundle.from_bytes([1, 2]), errors.InvalidBundle, "given as list"),
        (lambda: archive.read_members(3.5), errors.CorruptArchive, "given as float"),
        (lambda: es.Tardisk.from_bytes("x.v00", 7, cache=False), errors.CorruptArchive, "given as int"),
        (lambda: es.Tardisk.from_bytes("x.v00", 10**10), errors.CorruptArchive, "given as int"),
        (lambda: es.Vib.build("x", "1", {"/opt/x": FileEntry(WHITEOUT, 0)}), errors.InvalidValue, "ships files"),
    ],
)
def test_wrong_types_are_typed_errors_with_a_readable_sentence(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value) and len(str(info.value)) < 300, str(info.value)


def test_a_gzip_bomb_is_refused_for_almost_nothing():
    """300 MiB of zeros in one member used to cost +515 MB before it was refused; its header declares the size,
    which is refused before any of the member is inflated."""
    data = (BAD / "gzip-bomb.tgz").read_bytes()
    for reader in (archive.read_members, es.StateArchive.from_bytes):
        _, error, seconds, peak = measured(lambda reader=reader: reader(data))
        assert isinstance(error, errors.UnsafeArchive) and "larger than" in str(error), error
        assert peak < 4 * 2**20, peak
        within_bounds(f"gzip bomb {reader.__name__}", seconds, peak)


def test_a_bomb_of_many_members_stops_at_the_configuration_limit():
    data = make.generated("many-member-bomb.tgz")
    assert len(data) < 200_000
    _, error, seconds, peak = measured(lambda: es.StateArchive.from_bytes(data))
    assert isinstance(error, errors.UnsafeArchive), error
    assert peak < 2 * limits.CONFIG_MAX_TOTAL
    within_bounds("many-member bomb", seconds, peak)


def test_accepted_hostile_states_say_what_they_hold():
    """The accepted cases are read as tar would: the later duplicate wins, names are joined and cleaned."""
    read = {
        n: es.StateArchive.from_bytes(load(n))
        for n, c in CASES.items()
        if c["reader"] == "hostile-state" and c["expect"] == "ok" and not c.get("generated")
    }
    for name in ("duplicate-members.tgz", "normalised-duplicate.tgz", "base256-size.tgz"):
        assert read[name].read("etc/hosts") == make.HOSTS, name
    assert read["ustar-prefix.tgz"].read("etc/vmware/" + "p" * 120 + "/config.xml") == b"<x/>\n"
    assert any(n.startswith("etc/dddd") and n.endswith("/conf") for n in read["gnu-longname.tgz"].names())
    assert "etc/caf\ufffd.conf" in read["non-utf8-name.tgz"].names()
    assert read["non-utf8-content.tgz"].read("etc/motd") == b"\xff\xfe\xe9t\xe9\n"
    deep = max(read["deep-but-legal.tgz"].names(), key=len)
    assert deep.count("/") == 2001 and len(deep) < limits.PATH_MAX


def test_zz_report_the_figures(capsys):
    """Prints the corpus size, the slowest case and the highest peak (run with -s to see them)."""
    if not FIGURES:
        pytest.skip("no measured case ran in this session")
    slowest = max(FIGURES.items(), key=lambda kv: kv[1][0])
    highest = max(FIGURES.items(), key=lambda kv: kv[1][1])
    with capsys.disabled():
        print(
            f"\nhostile corpus: {len(CASES)} cases; slowest {slowest[0]} {slowest[1][0]:.2f} s; "
            f"highest peak {highest[0]} {highest[1][1] / 2**20:.1f} MiB"
        )
    assert slowest[1][0] < SECONDS and highest[1][1] < PEAK
