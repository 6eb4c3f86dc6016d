"""The lessons' toolbox: the small helpers every notebook shares, so that no lesson copies another's code.

    >>> import esxistate as es
    >>> host = es.lab.fresh_host("6.7")          # an installed ESXi 6.7 host, booted: for an experiment
    >>> es.lab.log(host.advance(hours=1))
    10:00  clock           clock advanced to 2026-01-12 10:00; cron ran auto-backup.sh 1 time(s): 09:01
                           nothing to save

Everything here reads a host through its public API, or reads archive bytes in memory; none of it changes a host
except `fresh_host`, which makes a new one. Text is printed within the lessons' 100-column column, and a log or
listing longer than 15 lines opens with a one-line summary followed by an empty line.

Importing this module imports neither ipywidgets nor graphviz: `compare` and `side_by_side` load the table renderer
only when called, as a display hook does.
"""

from __future__ import annotations

import io
import sqlite3
import tarfile
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .archive import read_members, tzvf
from .bootbank import BootBank
from .bootcfg import BootConfig, is_vmkernel_module
from .configbundle import ConfigBundle
from .entry import DIR, FileEntry
from .errors import EsxiStateError, InvalidBundle
from .events import Event
from .statearchive import StateArchive
from .text import WIDTH, wrap

if TYPE_CHECKING:
    from .host import Host
    from .render.table import Table

__all__ = [
    "LONG",
    "archive_members",
    "bank_state",
    "banks",
    "boot_cfg_summary",
    "compare",
    "files_under",
    "fresh_host",
    "log",
    "log_text",
    "look_inside",
    "module_kind",
    "one_member_tgz",
    "open_store",
    "saved_state",
    "sh",
    "side_by_side",
]

LONG = 15  # a log or listing longer than this many lines opens with a one-line summary
_INDENT = " " * 23  # where an event's summary starts in a log line: "HH:MM  kind(15) "


def fresh_host(version: str = "7.0", **options: Any) -> Host:
    """A freshly installed host, booted: a clean bench for one experiment, beside the lesson's own host.

    `version` and `options` are those of `Host.demo` (e.g. `hostname="lab02"`).

        >>> fresh_host("6.7").version, fresh_host().bootbank.label
        ('6.7', 'BOOTBANK1')
    """
    from .host import Host

    host = Host.demo(version, **options)
    host.boot()
    return host


def _event_line(event: Event) -> str:
    return wrap(f"{event.time:%H:%M}  {event.kind:15} {event.summary}", indent=_INDENT)


def _log_summary(events: list[Event]) -> str:
    """One line of at most WIDTH columns: how many events, over which minutes, of which kinds (in order)."""
    head = f"{len(events)} events, {events[0].time:%H:%M} to {events[-1].time:%H:%M}: "
    kinds = list(dict.fromkeys(event.kind for event in events))
    for shown in range(len(kinds), 0, -1):
        more = len(kinds) - shown
        line = head + ", ".join(kinds[:shown]) + (f" and {more} more" if more else "")
        if len(line) <= WIDTH:
            return line
    return head.rstrip(": ")


def log_text(events: Iterable[Event]) -> str:
    """The text `log` prints: one event a line (time, kind, summary), wrapped under the summary column; when that
    runs past LONG lines, a one-line summary of the events and an empty line come first.

        >>> host = fresh_host()
        >>> print(log_text(host.reboot()).splitlines()[0])
        8 events, 09:00 to 09:00: backup, shutdown, bootloader, vmkernel, tardisks, ramdisks and 2 more
        >>> log_text([])
        ''
    """
    events = list(events)
    if not events:
        return ""
    text = "\n".join(_event_line(event) for event in events)
    if text.count("\n") >= LONG:
        text = _log_summary(events) + "\n\n" + text
    return text


def bank_state(bank: BootBank) -> str:
    """A boot bank in a few words, as the bank selector sees it (F5): "empty", "modules, no boot.cfg" (a bank
    caught half written), or its bootstate and updated= counter.

        >>> host = fresh_host("6.7")
        >>> bank_state(host.bootbank), bank_state(host.altbootbank)
        ('VALID, updated=1', 'empty')
    """
    if not bank.files:
        return "empty"
    if "boot.cfg" not in bank.files:
        return "modules, no boot.cfg"
    state = bank.state.name if bank.state is not None else "UNDEFINED"
    return f"{state}, updated={bank.updated}"


def saved_state(where: Host | BootBank) -> StateArchive:
    """The state.tgz a host's /bootbank holds (or a given bank's), opened in memory: what the next boot restores.

    >>> saved_state(fresh_host("6.7")).names()
    ['etc/hosts', 'etc/shadow', 'etc/vmware/esx.conf']
    """
    bank = where if isinstance(where, BootBank) else where.bootbank
    return StateArchive.from_bytes(bank.read("state.tgz"))


def log(events: Iterable[Event]) -> None:
    """Print events one a line: time, kind, summary (see `log_text`)."""
    text = log_text(events)
    if text:
        print(text)


def banks(host: Host) -> None:
    """Print both boot banks of `host` by mount point: /bootbank first, then /altbootbank.

    >>> banks(fresh_host("6.7"))
    /bootbank    BootBank(BOOTBANK1, build='6.7.0-0.0.8169922', updated=1, bootstate=VALID)
    /altbootbank BootBank(BOOTBANK2, empty)
    """
    for mount, bank in (("/bootbank", host.bootbank), ("/altbootbank", host.altbootbank)):
        print(f"{mount:13}{bank!r}")


def files_under(host: Host, directory: str) -> Iterator[tuple[str, FileEntry]]:
    """Every file below `directory` of the running host, depth first in listing order: (path, FileEntry).

    >>> host = fresh_host()
    >>> [path for path, entry in files_under(host, "/etc/rc.local.d")]
    ['/etc/rc.local.d/local.sh']
    """
    for name in host.fs.listdir(directory):
        path = f"{directory.rstrip('/')}/{name}"
        entry = host.fs.stat(path)
        if entry.kind == DIR:
            yield from files_under(host, path)
        else:
            yield path, entry


def archive_members(data: bytes, *, name: str = "archive") -> dict[str, bytes]:
    """Every file of a gzip'd tar, read in memory by the package's safe reader, and the files of any .tgz inside it
    under `outer.tgz/inner/path`: name -> bytes. Nothing is written to disk; a hostile archive raises UnsafeArchive.

        >>> host = fresh_host("6.7")
        >>> list(archive_members(host.bootbank.read("state.tgz")))[:2]
        ['local.tgz', 'local.tgz/etc/hosts']
    """
    found: dict[str, bytes] = {}
    for member, entry in read_members(data, name=name).items():
        if entry.kind == DIR:
            continue
        found[member] = entry.data
        if member.endswith(".tgz"):
            inner = archive_members(entry.data, name=member)
            found.update({f"{member}/{path}": body for path, body in inner.items()})
    return found


def module_kind(module: str) -> str:
    """What the boot loader does with a module named in boot.cfg: hand it to the VMkernel (the `.b00` payloads and
    the `.gz` option files, F10, F11) or mount it as a tardisk (everything else, imgdb.tgz and state.tgz included).

        >>> [module_kind(m) for m in ("k.b00", "useropts.gz", "s.v00", "btldr.t00", "imgdb.tgz", "state.tgz")]
        ['VMkernel side', 'VMkernel side', 'tardisk', 'tardisk', 'tardisk: the image database', \
'tardisk: the saved configuration']
    """
    if is_vmkernel_module(module):
        return "VMkernel side"
    return {
        "imgdb.tgz": "tardisk: the image database",
        "state.tgz": "tardisk: the saved configuration",
    }.get(module, "tardisk")


def boot_cfg_summary(config: BootConfig) -> str:
    """One line that sums up a boot.cfg: its kernel, how its modules divide, and the bank selector's keys.

    >>> print(boot_cfg_summary(fresh_host("6.7").bootbank.config))
    boot.cfg: kernel b.b00 + 55 modules (9 VMkernel side, 46 tardisks), build=6.7.0-0.0.8169922
    """
    kernel_side = sum(module_kind(m) == "VMkernel side" for m in config.modules)
    tardisks = len(config.modules) - kernel_side
    return (
        f"boot.cfg: kernel {config.kernel} + {len(config.modules)} modules ({kernel_side} VMkernel side, "
        f"{tardisks} tardisks), build={config.build}"
    )


def look_inside(path: str | Path) -> None:
    """Open a state.tgz or a configBundle-*.tgz in memory and print what it holds: a one-line summary, an empty
    line, then `tar tzvf` of the file and of the state.tgz and local.tgz inside, and an empty line to part it from
    the next file. Nothing is written to disk; an archive the safe reader refuses is named with its error."""
    path = Path(path).expanduser()
    data = path.read_bytes()
    summary, body = _inside(path.name, data)
    print(f"{path.name}: {len(data)} bytes, {summary}")
    print()
    print(body)
    print()


def _inside(name: str, data: bytes) -> tuple[str, str]:
    """(what the file is, in a few words; the listings) for `look_inside`."""
    try:
        members = read_members(data, name=name)
        lines = [tzvf(data, name=name).rstrip("\n")]
        state_bytes, what = data, "a state.tgz"
        if "Manifest.txt" in members:
            try:
                bundle = ConfigBundle.from_bytes(data, name=name)
                what = f"a bundle of {bundle.release_level}"
                lines.append(f"configuration bundle: {bundle.release_level}, host UUID {bundle.uuid}")
            except InvalidBundle as err:
                what = "an archive with a Manifest.txt that is not a configuration bundle"
                lines += [f"(es.ConfigBundle: {err})", members["Manifest.txt"].data.decode("utf-8", "replace")]
            if "state.tgz" not in members:
                return f"{what}, with no state.tgz", "\n".join([*lines, "no state.tgz in this bundle"])
            state_bytes = members["state.tgz"].data
        state = StateArchive.from_bytes(state_bytes)
        if state.encrypted:
            lines.append("state.tgz is encrypted (7.0 U2 or later): only its host can read local.tgz.ve (F36)")
            return f"{what}, encrypted (7.0 U2 or later)", "\n".join(lines)
        lines.append(state.listing().rstrip("\n"))
        return f"{what}; its local.tgz holds {len(state)} files", "\n".join(lines)
    except EsxiStateError as err:
        return f"refused: {type(err).__name__}", wrap(f"{type(err).__name__}: {err}")


def one_member_tgz(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "") -> bytes:
    """A gzip'd tar with one member, built in memory with fixed times, so the same arguments give the same bytes:
    the raw material for trying what a safe reader refuses (a `..` name, a link, a device).

        >>> import esxistate as es
        >>> es.StateArchive.from_bytes(one_member_tgz("etc/../../x", data=b"hi"))
        Traceback (most recent call last):
        esxistate.errors.UnsafeArchive: ...
        >>> one_member_tgz("a") == one_member_tgz("a")
        True
    """
    import gzip

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.mtime = kind, link, 0
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return gzip.compress(raw.getvalue(), mtime=0)


def open_store(data: bytes) -> sqlite3.Connection:
    """An in-memory SQLite connection over the bytes of a ConfigStore database file (ESXi 7.0, F35); the bytes are
    copied, so nothing on the host changes.

        >>> host = fresh_host("7.0")
        >>> store = open_store(host.fs.read("/etc/vmware/configstore/current-store-1"))
        >>> [name for (name,) in store.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        ['Config']
    """
    con = sqlite3.connect(":memory:")
    con.deserialize(data)
    return con


def sh(host: Host, command: str) -> None:
    """Print one shell command the way `%%esxi` prints it, its prompt first, long lines folded to fit the page (a
    long command is cut with a backslash, as you may type it).

        >>> sh(fresh_host(), "ls /etc/rc.local.d")
        [root@esxi:~] ls /etc/rc.local.d
        local.sh
    """
    lines = textwrap.wrap(f"[root@{host.hostname}:~] {command}", WIDTH - 6, break_on_hyphens=False)
    print(" \\\n    ".join(lines))
    for line in host.shell(command).splitlines():
        print(textwrap.fill(line, WIDTH - 4, subsequent_indent="    ", break_on_hyphens=False) if line else "")


def side_by_side(left: str, right: str, titles: tuple[str, str] = ("ESXi 6.7", "ESXi 7.0")) -> Table:
    """Two texts in two columns, line by line: a table, since two listings side by side are wider than the page.

    >>> print(side_by_side("a\\nb", "c", titles=("left", "right")))
    left  right
    a     c
    b
    """
    from .render.table import Table

    a, b = left.splitlines(), right.splitlines()
    rows = [(a[i] if i < len(a) else "", b[i] if i < len(b) else "") for i in range(max(len(a), len(b)))]
    return Table.of(titles, rows)


def compare(command: str, *hosts: Host) -> Table:
    """Run one shell command on two hosts and show the answers side by side, each column named after its ESXi.

    >>> print(compare("ls /etc/rc.local.d", fresh_host("6.7"), fresh_host("7.0")))
    ESXi 6.7  ESXi 7.0
    local.sh  local.sh
    """
    one, other = hosts
    return side_by_side(
        one.shell(command), other.shell(command), titles=(f"ESXi {one.version}", f"ESXi {other.version}")
    )
