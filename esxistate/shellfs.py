"""How the shell's commands go through the file tree, each in one place: walk a tree (find, du, cp -r, tar c), show a
walked path under the name as typed (find, tar), remove a tree (rm -r, mv), make the directories on a path
(mkdir -p, tar x), and run a command on each named path, printing the command's error line for a path the engine
refuses and going on with the next, as busybox does (`touch: /x/y: No such file or directory`).

Every change is a call into the engine (`host.fs`), so the rules of VisorFS apply to each file (F25, F27).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .entry import DIR, FileEntry
from .errors import EsxiStateError
from .shelltext import errno

if TYPE_CHECKING:
    from .shell import Shell

__all__ = ["each", "make_dirs", "named_entries", "remove_tree", "walk", "walk_as"]


def walk(sh: Shell, path: str) -> list[tuple[str, FileEntry]]:
    """`path` and everything under it, depth first, directories before their contents (find's order). A loop
    with its own stack, not recursion, so a tree of any depth is walked."""
    out: list[tuple[str, FileEntry]] = []
    todo = [path]
    while todo:
        here = todo.pop()
        entry = sh.host.fs.stat(here)
        out.append((here, entry))
        if entry.kind == DIR:
            todo.extend(posixpath.join(here, name) for name in reversed(sh.host.fs.listdir(here)))
    return out


def remove_tree(sh: Shell, path: str) -> None:
    """rm -r: every file, then each directory once it is empty, deepest first (the walk reversed)."""
    for p, entry in reversed(walk(sh, path)):
        if entry.kind == DIR:
            sh.host.fs.rmdir(p)
        else:
            sh.host.fs.delete(p)


def make_dirs(sh: Shell, path: str) -> None:
    """`mkdir -p`: every missing directory on the way to `path`, top down."""
    parts = [p for p in path.split("/") if p]
    for i in range(1, len(parts) + 1):
        sub = "/" + "/".join(parts[:i])
        if not sh.host.fs.exists(sub):
            sh.host.fs.mkdir(sub)


def walk_as(sh: Shell, path: str, name: str) -> list[tuple[str, FileEntry, str]]:
    """`walk`, each path also as the student sees it: under `name`, the top as it was typed (`find etc`,
    `tar czf x.tgz etc` print `etc/hosts`, not `/etc/hosts`)."""
    top = path.rstrip("/")
    return [(p, entry, name if p == path else name.rstrip("/") + p[len(top) :]) for p, entry in walk(sh, path)]


def walk_or_say(sh: Shell, path: str, name: str, said: str, out: list[str]) -> list[tuple[str, FileEntry, str]]:
    """`walk_as`, or, when the engine refuses the top, the line `said` + busybox's words for why (e.g.
    "find: etc: " + "No such file or directory") added to `out` and nothing walked: find and tar c go on."""
    try:
        return walk_as(sh, path, name)
    except EsxiStateError as err:
        out.append(f"{said}{errno(err)}\n")
        return []


def named_entries(sh: Shell, names: list[str], failed: str, out: list[str]) -> Iterator[tuple[str, str, FileEntry]]:
    """(name as typed, absolute path, entry) for each name that exists; for one the engine refuses, `failed` with
    {name} and {why} filled in (busybox's words for the command) goes to `out` and the next name follows."""
    for name in names:
        p = sh.absolute(name)
        try:
            entry = sh.host.fs.stat(p)
        except EsxiStateError as err:
            out.append(failed.format(name=name, why=errno(err)))
            continue
        yield name, p, entry


def each(sh: Shell, names: list[str], action: Callable[[str], object], failed: str) -> str:
    """Run `action` on the absolute path of each name; a refusal prints `failed` with {name} and {why} filled in and
    the next name follows (busybox goes on after an error)."""
    out = []
    for name in names:
        try:
            action(sh.absolute(name))
        except EsxiStateError as err:
            out.append(failed.format(name=name, why=errno(err)))
    return "".join(out)
