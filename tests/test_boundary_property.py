"""Property: every public operation of a Host, given anything at all, either succeeds or raises an EsxiStateError,
and an operation that raises leaves `host.snapshot()` and the history exactly as they were.

Two errors are allowed to leave a mark, because ESXi leaves one: RamdiskFull adds hostd's ramdisk-full event (F28)
with the snapshot unchanged, and BootFailed leaves the new bank DIRTY (F6). An InternalError (a bug caught at the
boundary) fails the property too: the boundary must have caught the bad input first.

The example count comes from the hypothesis profile (tests/conftest.py): 100 by default, 300 in CI, 10,000 with
HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import esxistate as es
from esxistate import errors
from esxistate.backup import STEPS
from esxistate.host import STAGE_STEPS


class _Big(bytes):
    """Bytes with a short repr, so a failing example that holds 29 MiB prints in one line."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"


_PATHS = st.one_of(
    st.sampled_from(
        [
            "/etc/hosts",
            "/etc/vmware/esx.conf",
            "/etc/.#hosts",
            "/etc/rc.local.d/local.sh",
            "/etc",
            "/",
            "/tmp",
            "/tmp/x",
            "/tmp/x/y",
            "/opt/lab",
            "/epd/f",
            "/var/spool/cron/crontabs/root",
            "/bootbank/state.tgz",
            "/altbootbank",
            "/tardisks/s.v00",
            "/vmfs/volumes",
            "etc/hosts",
            "",
            "/etc/hosts/",
            "/tmp/\x00",
            "/tmp/\udcff",
            "/tmp/" + "x" * 256,
            "/" + "d/" * 2100,
            "/tmp/a\\G",
        ]
    ),
    st.text(max_size=12),
    st.text(max_size=12).map(lambda t: "/tmp/" + t),
    st.integers(),
    st.none(),
    st.binary(max_size=8),
)
_DATA = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from([b"\xff\xfe\x00", "\udcff"]),
    st.just(_Big(b"\0" * (29 * 1024 * 1024))),  # more than the etc ramdisk holds: RamdiskFull
    st.integers(),
    st.none(),
    st.lists(st.integers(0, 255), max_size=3),
)
_MODES = st.one_of(
    st.sampled_from([0o644, 0o1644, 0o755, 0o7777, 0o10000, -1, 0]), st.integers(), st.text(max_size=4), st.none()
)
_BOOLS = st.one_of(st.booleans(), st.sampled_from([0, 1, "yes", None, 1.0]))
_NUMBERS = st.one_of(
    st.integers(-3, 50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10**9, 0.5, "1", None, True, []]),
)
_STEPS = st.one_of(st.none(), st.sampled_from([*STEPS, *STAGE_STEPS, "mount_tardisk", "write_marker", "nope"]))
_STEPS_ANY = st.one_of(_STEPS, st.integers(), st.lists(st.text(max_size=3), max_size=2))
_NAMES = st.sampled_from(["lab-motd", "a b", "x---y", "caf\u00e9", "", "esx-ui", "esx-base", "lab\tvib", "ok.name"])
_VIBS = st.one_of(
    st.builds(
        lambda name, path, body, overlay, live: _vib(name, path, body, overlay, live),
        _NAMES,
        st.sampled_from(["/etc/motd", "/opt/lab/x", "/etc/hosts", "/tmp/\udcff", "/epd/v"]),
        st.text(max_size=20),
        st.booleans(),
        st.booleans(),
    ),
    st.text(max_size=8),
    st.none(),
    st.integers(),
)
_VERSIONS = st.one_of(st.sampled_from(["6.7", "7.0", "7.0U3", "8.0", "", "7"]), st.integers(), st.none(), st.text())
_SETTINGS = st.one_of(st.sampled_from(["hostname", "root-password", "ntp-server", "dns-server", "nope"]), st.none())
_VALUES = st.one_of(st.sampled_from(["lab01", "", "bad name", "10.0.0.1", "a\nb", "x" * 70]), st.text(), st.none())
_BUNDLES = st.one_of(st.binary(max_size=60), st.text(max_size=10), st.none(), st.just(b"\x1f\x8b" + b"\0" * 20))
_LINES = st.one_of(
    st.sampled_from(
        [
            "ls -l /etc",
            "rm -rf /tmp",
            "echo x > /etc/hosts",
            "reboot",
            "reboot -f",
            "backup.sh 0",
            "auto-backup.sh",
            "crontab -l",
            "esxcli software vib list",
            "vim-cmd hostsvc/firmware/backup_config",
            "touch /epd/a; mkdir /epd/b",
        ]
    ),
    st.text(max_size=30),
    st.none(),
    st.binary(max_size=5),
)


def _vib(name: str, path: str, body: str, overlay: bool, live: bool) -> Any:
    try:
        return es.Vib.build(name, "1.0", {path: body}, overlay=overlay, live_install=live)
    except errors.EsxiStateError:  # Vib.build refuses a bad name, version or path with a typed error
        return name  # install_vib then gets a str, which it must refuse too


def _op(name: str, *args: st.SearchStrategy, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    """(name, args, kwargs) for one call: `fs.write` is host.fs.write, `advance` is host.advance."""
    return st.tuples(st.just(name), st.tuples(*args), st.fixed_dictionaries(kwargs))


_OPS = st.one_of(
    *(_op(f"fs.{n}", _PATHS) for n in ("read", "read_text", "exists", "stat", "lstat", "listdir", "resolve", "owner")),
    _op("fs.write", _PATHS, _DATA, append=_BOOLS, mode=st.one_of(st.none(), _MODES)),
    _op("fs.delete", _PATHS),
    _op("fs.mkdir", _PATHS, _MODES),
    _op("fs.rmdir", _PATHS),
    _op("fs.chmod", _PATHS, _MODES),
    _op("advance", hours=_NUMBERS, minutes=_NUMBERS),
    _op("backup", power_loss_after=_STEPS_ANY),
    _op("configure", _SETTINGS, _VALUES),
    _op("set_maintenance_mode", _BOOLS),
    _op("backup_config"),
    _op("restore_config", _BUNDLES, force=_BOOLS),
    _op("install_vib", _VIBS, live=_BOOLS, power_loss_after=_STEPS_ANY),
    _op("remove_vib", st.one_of(_NAMES, _NUMBERS), live=_BOOLS),
    _op("upgrade", _VERSIONS, power_loss_after=_STEPS_ANY),
    _op("lose_boot_device"),
    _op("restore_bootbanks"),
    _op("boot", rollback=_BOOLS, slow_boot_device=_BOOLS),
    _op("shutdown"),
    _op("reboot", rollback=_BOOLS),
    _op("power_loss"),
    _op("shell", _LINES),
    _op("explain", _PATHS),
)


def _call(host: es.Host, name: str, args: tuple, kwargs: dict) -> Any:
    target: Any = host.fs if name.startswith("fs.") else host
    return getattr(target, name.removeprefix("fs."))(*args, **kwargs)


@given(
    version=st.sampled_from(["6.7", "7.0"]),
    powered=st.booleans(),
    ops=st.lists(_OPS, min_size=1, max_size=6),
)
def test_an_operation_that_raises_leaves_the_host_as_it_was(version, powered, ops):
    host = es.Host.demo(version)
    if powered:
        host.boot()
    for name, args, kwargs in ops:
        before = host.snapshot()
        logged = len(host.history)
        try:
            _call(host, name, args, kwargs)
        except errors.EsxiStateError as err:
            assert not isinstance(err, errors.InternalError), f"{name}: {err}"
            if isinstance(err, errors.BootFailed):
                assert not host.powered_on
                continue
            assert host.snapshot() == before, name
            grew = 1 if isinstance(err, errors.RamdiskFull) else 0
            assert len(host.history) == logged + grew, name
            assert str(err), name
        # anything else (TypeError, ValueError, RecursionError, ...) escapes and fails the property
