"""VisorFS as the ESXi shell shows it: `vdf -h` and `esxcli system visorfs ramdisk list | tardisk list | get`.

Formats: `vdf -h` is sample S3 of ESXI-FACTS.md, the ramdisk list S4, the tardisk list S5. Sizes with units go
through esxistate.sizes; the esxcli lists print whole KiB, as ESXi does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import sizes
from .shelltext import fields, table

if TYPE_CHECKING:
    from .host import Host
    from .shell import Shell

__all__ = ["ramdisk_list", "tardisk_list", "vdf", "visorfs_get"]


def _kib(n: int) -> str:
    """vdf without -h: whole KiB, rounded down."""
    return str(n // 1024)


def vdf(sh: Shell, args: list[str]) -> str:
    """`vdf -h` as on ESXi 6.x/7.0 (sample S3): tardisks with their sizes, then ramdisks with use."""
    size = sizes.vdf if "-h" in args else _kib
    lines = [f"{'Tardisk':<20}{'Space':>10}{'Used':>10}"]
    for td in sh.host.tardisks:
        lines.append(f"{td.name:<20}{size(td.size):>10}{size(td.used):>10}")
    lines.append("-----")
    lines.append(f"{'Ramdisk':<20}{'Size':>10}{'Used':>10}{'Available':>10}{'Use%':>5} Mounted on")
    for rd in sh.host.ramdisks:
        pct = rd.used * 100 // rd.capacity if rd.capacity else 0
        lines.append(f"{rd.name:<20}{size(rd.capacity):>10}{size(rd.used):>10}{size(rd.free):>10}{f'{pct}%':>5} --")
    return "\n".join(lines) + "\n"


_RAMDISK_HEADERS = (
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
)


def ramdisk_list(sh: Shell, args: list[str]) -> str:
    """`esxcli system visorfs ramdisk list`, sample S4. Simplification: Allocated Inodes is shown as the used count
    rounded up to a power of two."""
    rows = []
    for rd in sh.host.ramdisks:
        kib = rd.capacity // 1024
        used = -(-rd.used // 1024)
        peak = -(-rd.peak // 1024)
        reserved = rd.reserved // 1024
        free = (kib - used) * 100 // kib if kib else 0
        rfree = max(reserved - used, 0) * 100 // reserved if reserved else 0
        inodes = rd.used_inodes
        allocated = max(32, 1 << max(inodes - 1, 1).bit_length())
        rows.append(
            [
                rd.name,
                str(rd.system).lower(),
                str(rd.in_coredumps).lower(),
                f"{reserved} KiB",
                f"{kib} KiB",
                f"{used} KiB",
                f"{peak} KiB",
                f"{free} %",
                f"{rfree} %",
                str(rd.max_inodes),
                str(min(allocated, rd.max_inodes)),
                str(inodes),
                rd.mount,
            ]
        )
    return table(_RAMDISK_HEADERS, rows, left={0, 12})


def tardisk_list(sh: Shell, args: list[str]) -> str:
    """`esxcli system visorfs tardisk list`, sample S5 (its column layout is background knowledge, not a verified
    capture)."""
    rows = [[td.name, str(td.system).lower(), str(td.size), "true"] for td in sh.host.tardisks]
    return table(["Name", "System", "Size", "Mounted"], rows, left={0})


def visorfs_get(host: Host, args: list[str]) -> str:
    """`esxcli system visorfs get`: inode counts of the whole VisorFS. Our reconstruction: no public capture found;
    the total is the root file system's file table (524288) and "used" counts the files and directories visible
    now."""
    used = sum(r.used_inodes for r in host.ramdisks) + sum(len(t.members) for t in host.tardisks)
    total = 524288
    free = (total - used) * 100 // total
    return fields(
        None,
        [
            ("Total Inodes", str(total)),
            ("Used Inodes", str(used)),
            ("Unlinked Inodes", "0"),
            ("Reserved Inodes", "0"),
            ("Peak Used Inodes", str(used)),
            ("Peak Unlinked Inodes", "0"),
            ("Peak Reserved Inodes", "0"),
            ("Free Inode Percent", str(free)),
            ("Lowest Free Inode Percent", str(free)),
        ],
    )
