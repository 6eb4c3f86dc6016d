"""The ESXi shell's system commands: vmware -v, uname, hostname, date, uptime, ps, id and df, read from the host
(esxistate.product for the build, the history for the boot time, the boot banks for df).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from . import bootdevice, product, unsimulated
from .busybox import _split_flags
from .clock import date_line
from .sizes import busybox as _human

if TYPE_CHECKING:
    from .shell import Shell

__all__ = ["date", "df", "hostname", "idcmd", "ps", "uname", "uptime", "vmware"]


def uname(sh: Shell, args: list[str]) -> str:
    """`uname -a` on ESXi: `VMkernel <host> <version> #1 SMP Release build-<n> <build date> x86_64 x86_64 x86_64
    ESXi`, as published 6.5, 6.7 and 7.0 captures show; the build time is the kernel's (esxistate.product)."""
    flags, _values, _rest = _split_flags(args)
    p = product.of(sh.host)
    fields = {
        "s": "VMkernel",
        "n": sh.host.hostname,
        "r": p.version,
        "v": f"#1 SMP Release build-{p.number} {p.compiled}",
        "m": "x86_64",
        "p": "x86_64",
        "i": "x86_64",
        "o": "ESXi",
    }
    order = "snrvmpio" if "a" in flags else "".join(c for c in "snrvmpio" if c in flags) or "s"
    return " ".join(fields[c] for c in order) + "\n"


def hostname(sh: Shell, args: list[str]) -> str:
    return sh.host.hostname + "\n"


def date(sh: Shell, args: list[str]) -> str:
    """busybox date: `Tue Jun 23 10:00:00 UTC 2020` (the host's clock; ESXi keeps UTC)."""
    return date_line(sh.host.clock) + "\n"


def _booted_at(sh: Shell) -> datetime:
    for event in reversed(sh.host.history):
        if event.kind == "boot-complete":
            return event.time
    return sh.host.clock


def uptime(sh: Shell, args: list[str]) -> str:
    """busybox uptime: ` HH:MM:SS up [N days, ]H:MM,  load average: a, b, c` (layout of busybox's uptime.c; the
    simulator runs no load, so the averages are 0.00)."""
    now = sh.host.clock
    seconds = int((now - _booted_at(sh)).total_seconds())
    days, rem = divmod(seconds, 86400)
    hours, minutes = rem // 3600, (rem % 3600) // 60
    up = f"{days} day{'s' if days != 1 else ''}, " if days else ""
    up += f"{hours:2}:{minutes:02}" if hours else f"{minutes} min"
    return f" {now:%H:%M:%S} up {up},  load average: 0.00, 0.00, 0.00\n"


_WORLDS = ("init", "vmkeventd", "vmkiscsid", "hostd", "vpxa", "crond", "sfcbd", "ntpd", "sshd", "dcui")


def ps(sh: Shell, args: list[str]) -> str:
    """ESXi's own `ps` (not busybox's): world id, cartel id, world name; `-c` adds the command. Our
    reconstruction: no public capture found; the world list is a few daemons every host runs, plus this shell."""
    base = 2_097_700
    rows = [(base + i * 11, base + i * 11, w) for i, w in enumerate(_WORLDS)]
    rows.append((base + 900, base + 900, "sh"))
    rows.append((base + 901, base + 901, "ps"))
    command = "-c" in args
    header = f"{'WID':<8}{'CID':<8}{'World Name':<32}" + ("Command" if command else "")
    lines = [header.rstrip()]
    for wid, cid, name in rows:
        cmd = f"/bin/{name}" if command else ""
        lines.append(f"{wid:<8}{cid:<8}{name:<32}{cmd}".rstrip())
    return "\n".join(lines) + "\n"


def idcmd(sh: Shell, args: list[str]) -> str:
    """busybox id for root: `uid=0(root) gid=0(root) groups=0(root)`."""
    if "-u" in args:
        return "0\n"
    if "-un" in args or args == ["-u", "-n"] or args == ["-n", "-u"]:
        return "root\n"
    return "uid=0(root) gid=0(root) groups=0(root)\n"


_DF_SIZE = {"6": 261_853_184, "7": 4_293_918_720}  # a 6.x bank is 250 MB (249.7M), 7.0's are 4 GB (F37)
_FAT_OVERHEAD = 8192  # an empty boot bank shows 8.0K used


def df(sh: Shell, args: list[str]) -> str:
    """ESXi's df (a VMware program, ESX67TREE bin/df): the mounted VMFS and FAT volumes, here the two boot banks,
    mounted at `/vmfs/volumes/<uuid>` on 6.x and `/vmfs/volumes/BOOTBANK1|2` on 7.0 (layout, sizes and the 8.0K
    of an empty bank from published `df -h` captures of 5.x, 6.x and 7.0 hosts). Simplification: the scratch,
    diagnostic, OSDATA and datastore volumes a real host also lists are not modelled. Tardisks and ramdisks are
    not volumes: `vdf -h` shows those."""
    human = "-h" in args
    host = sh.host
    size = _DF_SIZE.get(host.version[:1], _DF_SIZE["6"])
    rows = []
    for bank in (host.bootbank, host.altbootbank):
        if bank is None:
            continue
        used = _FAT_OVERHEAD + sum(len(b) for b in bank.files.values())
        seven = not host.version.startswith(("5", "6"))
        mount = f"/vmfs/volumes/{bank.label if seven else bootdevice.volume_uuid(bank.label)}"
        pct = f"{(used * 100 + size // 2) // size}%"
        if human:
            rows.append(f"{'vfat':<10}{_human(size):>7}{_human(used):>7}{_human(size - used):>10}{pct:>5} {mount}")
        else:
            rows.append(f"{'vfat':<10}{size:>14}{used:>13}{size - used:>13}{pct:>5} {mount}")
    if human:
        header = f"{'Filesystem':<10}{'Size':>7}{'Used':>7}{'Available':>10}{'Use%':>5} Mounted on"
    else:
        header = f"{'Filesystem':<10}{'Bytes':>14}{'Used':>13}{'Available':>13}{'Use%':>5} Mounted on"
    return "\n".join([header, *rows]) + "\n"


def vmware(sh: Shell, args: list[str]) -> str:
    """`vmware -v` (`VMware ESXi 7.0.0 build-16324942`), `-l` (`VMware ESXi 7.0 GA` for that build, `VMware ESXi
    6.7.0 Update 3` on 6.7 U3) and `-vl` (both lines), as published captures show."""
    p = product.of(sh.host)
    lines = {"v": f"VMware ESXi {p.version} build-{p.number}", "l": f"VMware ESXi {p.release}"}
    wanted = "".join(a.lstrip("-") for a in args)
    if not wanted or any(c not in "vl" for c in wanted):
        return unsimulated.line(f"vmware {' '.join(args)}".rstrip())
    return "".join(lines[c] + "\n" for c in "vl" if c in wanted)
