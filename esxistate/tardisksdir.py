"""/tardisks: every mounted tardisk, as a read-only file named after its boot bank module (F46).

What real ESXi does: the boot loader decompresses each module as it loads it (esx-boot mboot gunzips the module and
checks it), so a tardisk lives in memory as an uncompressed tar archive, and VisorFS shows each mounted one under
/tardisks by module name: /tardisks/s.v00, /tardisks/imgdb.tgz, /tardisks/state.tgz. Published traces: a script
that re-gzips `/tardisks/esxiimg.tgz` "because bootloader decompressed it"; a driver how-to that copies
`/tardisks/lsi_mr3.v00`; a live VIB install that mounts by moving its payload to `/tardisks/esxcli_n.t00`; a live
removal failing with "can't remove '/tardisks/datrium_.v00': Device or resource busy". So a live install's tardisk
appears there at once, and a live removal makes it disappear.

A file here is the decompressed module: `ls -l /tardisks` shows its uncompressed size, `cat` gives the tar bytes.
Simplifications: the mode (-r--r--r--) and the time (when the tardisk was mounted) are our reconstruction, no public
`ls -l /tardisks` sample was found; a module whose bytes no boot bank holds any more (an older state.tgz, after a
backup replaced it) is shown as the tar of its members, rebuilt.
"""

from __future__ import annotations

from datetime import timezone
from typing import TYPE_CHECKING

from . import archive
from .entry import DIR, FILE, FileEntry
from .layers import Tardisk, norm

if TYPE_CHECKING:
    from .host import Host

__all__ = ["MOUNT", "entry", "names"]

MOUNT = "/tardisks"


def names(host: Host) -> list[str]:
    """The mounted tardisks, by module name, sorted as `ls` sorts them."""
    return sorted({t.name for t in host.tardisks})


def entry(host: Host, path: str) -> FileEntry | None:
    """The entry at `path` when it is /tardisks or a file in it; None for any other path. Raises nothing."""
    if not isinstance(path, str) or not path.startswith(MOUNT):
        return None
    try:
        p = norm(path)
    except Exception:  # a path the file system refuses is not ours to judge
        return None
    if p == MOUNT:
        return FileEntry(DIR, 0o755, mtime=_mounted_at(host, None))
    head, _, name = p.rpartition("/")
    if head != MOUNT:
        return None
    tardisk = next((t for t in reversed(host.tardisks) if t.name == name), None)
    if tardisk is None:
        return None
    return FileEntry(FILE, 0o444, _decompressed(host, tardisk), 0, 0, _mounted_at(host, name))


def _decompressed(host: Host, tardisk: Tardisk) -> bytes:
    """The module as the boot loader left it in memory: gunzipped (F46)."""
    for bank in (host.bootbank, host.altbootbank):
        data = bank.files.get(tardisk.name) if bank is not None else None
        if data is not None and len(data) == tardisk.compressed_size:
            return archive.gunzip(data, name=tardisk.name)
    rel = {p.lstrip("/"): e for p, e in tardisk.members.items()}
    return archive.gunzip(archive.build_tgz(sorted(rel.items())), name=tardisk.name)


def _mounted_at(host: Host, name: str | None) -> int:
    """When the tardisk was mounted: at the last boot, or by the live install that mounted it."""
    for event in reversed(host.history):
        details = event.details
        live = event.kind == "vib-install" and details.get("live")
        if (live and name in {m for _p, m in details.get("modules", ())}) or event.kind == "tardisks":
            return int(event.time.replace(tzinfo=timezone.utc).timestamp())
    return 0
