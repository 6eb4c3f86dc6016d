"""busybox tar in the ESXi shell: list (`tar tzvf`), extract (`tar xzf ... -C DIR`) and create (`tar czf`).

Everything goes through the engine: extraction reads the archive with the archive reader's rules and writes each
member through `host.fs` (F25, F27); creation archives what `host.fs` shows. Error words are busybox's
(`tar: can't open 'x': No such file or directory`, `tar: invalid magic`, `tar: short read`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import archive
from .entry import DIR, FileEntry
from .errors import CorruptArchive, EsxiStateError, RamdiskFull, UnsafeArchive
from .shellfs import make_dirs, walk_or_say
from .shelltext import Usage, errno, usage

if TYPE_CHECKING:
    from .shell import Shell

__all__ = ["tar"]

_USAGE = "tar -[cxtzhvO] [-X FILE] [-T FILE] [-f TARFILE] [-C DIR] [FILE]..."


def _tar_options(args: list[str]) -> tuple[set[str], str | None, str | None, list[str]]:
    """busybox tar's options: the first word may be old style (`xzf`) or dashed (`-xvzf`); f and C take a value."""
    flags: set[str] = set()
    archive_name: str | None = None
    directory: str | None = None
    rest: list[str] = []
    pending: list[str] = []
    for i, a in enumerate(args):
        if pending:
            which = pending.pop(0)
            if which == "f":
                archive_name = a
            else:
                directory = a
            continue
        if (i == 0 and not a.startswith("-")) or (a.startswith("-") and len(a) > 1 and not a.startswith("--")):
            for ch in a.lstrip("-"):
                if ch in "fC":
                    pending.append(ch)
                else:
                    flags.add(ch)
        else:
            rest.append(a)
    return flags, archive_name, directory, rest


def tar(sh: Shell, args: list[str]) -> str:
    """`tar -xzf ARCHIVE [-C DIR]`, `tar -czf ARCHIVE [-C DIR] FILE...` and `tar -tzvf ARCHIVE` (busybox's
    verbose listing: mode, uid/gid, size, date, name); v lists the names.

    Extraction reads the archive with the archive reader's rules (absolute names, `..`, links and devices are
    refused: nothing at all is written, and the line says which member), then writes every member through
    `host.fs`, so an /etc file lands on its ramdisk with its `.#` twin as any write would (F25, F27).
    Simplification: busybox itself would strip a leading `/` or `../` and skip unsafe links; the simulator refuses
    such an archive outright, so no sentence of busybox exists for that refusal."""
    if not args:
        raise Usage(_USAGE)
    flags, name, directory, rest = _tar_options(args)
    if name is None:
        return "tar: no archive file given: use -f ARCHIVE\n"  # busybox would read stdin: not simulated
    base = sh.absolute(directory) if directory else sh.cwd
    if directory is not None:
        try:
            if sh.host.fs.stat(base).kind != DIR:
                return f"tar: can't change directory to '{directory}': Not a directory\n"
        except EsxiStateError:
            return f"tar: can't change directory to '{directory}': No such file or directory\n"
    if "c" in flags:
        return _tar_create(sh, flags, name, base, rest)
    if "t" in flags:
        listing, error = _open_archive(sh, name, archive.tzvf)
        if "v" in flags or listing is None:
            return listing or error
        return "".join(line.rsplit(" ", 1)[-1] + "\n" for line in listing.splitlines())
    if "x" not in flags:
        return usage(_USAGE)
    members, error = _open_archive(sh, name, archive.read_members)
    if members is None:
        return error
    out = []
    for rel, entry in members.items():
        target = posixpath.normpath(posixpath.join(base, rel))
        try:
            make_dirs(sh, posixpath.dirname(target))
            if entry.kind == DIR:
                make_dirs(sh, target)
            elif sh.host.fs.exists(target):
                sh.host.fs.write(target, entry.data)
            else:
                sh.host.fs.write(target, entry.data, mode=entry.mode & 0o7777)
        except EsxiStateError as err:
            return "".join(out) + _write_error(err, rel)
        if "v" in flags:
            out.append(rel + ("/" if entry.kind == DIR else "") + "\n")
    return "".join(out)


def _write_error(err: EsxiStateError, name: str) -> str:
    """busybox tar's line when a write fails: a full ramdisk is a write error, anything else names the file."""
    if isinstance(err, RamdiskFull):
        return "tar: write error: No space left on device\n"
    return f"tar: can't open '{name}': {errno(err)}\n"


def _open_archive(sh: Shell, name: str, reader: Callable[..., Any]) -> tuple[Any, str]:
    """(what `reader` makes of the archive's bytes, or None and busybox's error line)."""
    try:
        data = sh.host.fs.read(sh.absolute(name))
    except EsxiStateError as err:
        return None, f"tar: can't open '{name}': {errno(err)}\n"
    try:
        return reader(data, name=name), ""
    except CorruptArchive as err:
        return None, "tar: invalid magic\n" if "gzip" in err.why else "tar: short read\n"
    except UnsafeArchive as err:
        return None, f"tar: {err.member if err.member is not None else name}: {err.why}\n"


def _tar_create(sh: Shell, flags: set[str], name: str, base: str, names: list[str]) -> str:
    if not names:
        return "tar: empty archive\n"
    members: list[tuple[str, FileEntry]] = []
    out = []
    warned = False
    for item in names:
        rel = item
        if rel.startswith("/"):
            rel = rel.lstrip("/")
            if not warned:
                out.append("tar: removing leading '/' from member names\n")
                warned = True
        p = posixpath.normpath(posixpath.join(base, item))
        for _path, entry, member in walk_or_say(sh, p, rel, f"tar: {item}: ", out):
            members.append((member, entry))
            if "v" in flags:
                out.append(member + ("/" if entry.kind == DIR else "") + "\n")
    if not members:
        return "".join(out) + "tar: empty archive\n"
    try:
        sh.host.fs.write(sh.absolute(name), archive.build_tgz(members))
    except EsxiStateError as err:
        return "".join(out) + _write_error(err, name)
    return "".join(out)
