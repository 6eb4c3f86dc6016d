"""The busybox file utilities of the ESXi shell: du, stat, find, diff, grep/head/tail/wc, cp and mv (tar is in
esxistate.tarcmd, uname/uptime/ps/id/df in esxistate.sysinfo).

ESXi's shell is busybox (`BusyBox v1.29.3` on 6.7/7.0); each command here prints busybox's own layout and error
words (`cp: can't stat 'x': No such file or directory`). Every effect is a call into the engine (`host.fs`), so a
file copied into /etc branches and gets its `.#` twin exactly as an `echo >` would (F25, F27).

Sources for the formats are cited in the tests. Where no capture of an ESXi host was found the docstring of the
command says the layout is busybox's (from its source) or our reconstruction. Simplifications: no symbolic links,
owners are always root, block counts are file sizes rounded up to 4 KiB.
"""

from __future__ import annotations

import difflib
import fnmatch
import posixpath
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import sizes
from .entry import DIR, FILE, FileEntry, mode_string
from .errors import EsxiStateError, IsADirectory, NoSuchFile, RamdiskFull
from .shellfs import named_entries, remove_tree, walk, walk_or_say
from .shelltext import errno, usage

if TYPE_CHECKING:
    from .shell import Shell

__all__ = ["commands", "grep_text", "head_tail", "unified_diff", "wc_counts"]


def _split_flags(args: list[str], with_value: str = "") -> tuple[set[str], dict[str, str], list[str]]:
    """Single-letter flags (`-lv`), flags taking a value (`-n 5`, `-C dir`) and the remaining words."""
    flags: set[str] = set()
    values: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and len(a) > 1 and a != "--" and not a[1:].isdecimal():
            for j, ch in enumerate(a[1:]):
                if ch in with_value:
                    tail = a[j + 2 :]
                    if tail:
                        values[ch] = tail
                    elif i + 1 < len(args):
                        i += 1
                        values[ch] = args[i]
                    break
                flags.add(ch)
        else:
            rest.append(a)
        i += 1
    return flags, values, rest


def _all_values(args: list[str], flag: str) -> list[str]:
    """Every value given to a repeatable flag (`grep -e A -e B`), in order; `_split_flags` keeps only the last."""
    found: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        if a.startswith("-") and len(a) > 1 and not a[1:].isdecimal():
            at = a.find(flag, 1)
            if at > 0 and all(ch.isalpha() for ch in a[1:at]):
                if a[at + 1 :]:
                    found.append(a[at + 1 :])
                elif i + 1 < len(args):
                    i += 1
                    found.append(args[i])
        i += 1
    return found


def _read_file(sh: Shell, cmd: str, name: str) -> tuple[str | None, str]:
    """(text, error line)."""
    try:
        return sh.host.fs.read(sh.absolute(name)).decode("utf-8", "replace"), ""
    except IsADirectory:
        return None, f"{cmd}: read error: Is a directory\n"
    except EsxiStateError as err:
        return None, f"{cmd}: {name}: {errno(err)}\n"


# -- reading files --------------------------------------------------------------------------------------------------


def grep_text(args: list[str], text: str, name: str | None = None, many: bool = False) -> str | None:
    """busybox grep over one text: -v -i -n -c -l -q -w -F; None when the pattern is not a valid regex."""
    flags, _values, words = _split_flags(args, "e")
    patterns = _all_values(args, "e") or [words[0] if words else ""]
    try:
        # each -e PATTERN is one alternative: a line matches when any of them does
        parts = [re.escape(p) if "F" in flags else p for p in patterns]
        for part in parts:
            re.compile(part)
        rx = re.compile("|".join(f"(?:{p})" for p in parts), re.I if "i" in flags else 0)
    except re.error:
        return None
    out = []
    count = 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        body = line.rstrip("\n")
        hit = bool(rx.search(body)) if "w" not in flags else bool(re.search(rf"\b{rx.pattern}\b", body, rx.flags))
        if hit != ("v" in flags):
            count += 1
            prefix = (f"{name}:" if many and name else "") + (f"{n}:" if "n" in flags else "")
            out.append(prefix + body + "\n")
    if "q" in flags:
        return ""
    if "l" in flags:
        return f"{name or '(standard input)'}\n" if count else ""
    if "c" in flags:
        return (f"{name}:" if many and name else "") + f"{count}\n"
    return "".join(out)


def grep(sh: Shell, args: list[str]) -> str:
    _flags, values, words = _split_flags(args, "e")
    files = words if "e" in values else words[1:]
    if not words and "e" not in values:
        return usage("grep [-HhnlLoqvsriwFE] [-m N] [-A/B/C N] PATTERN/-e PATTERN.../-f FILE [FILE]...")
    out = []
    for name in files:
        text, error = _read_file(sh, "grep", name)
        if text is None:
            out.append(error)
            continue
        found = grep_text(args, text, name, many=len(files) > 1)
        if found is None:
            return f"grep: bad regex '{values.get('e', words[0])}'\n"
        out.append(found)
    return "".join(out)


def _count(args: list[str]) -> int:
    _flags, values, _words = _split_flags(args, "n")
    n = values.get("n", next((a[1:] for a in args if a[1:].isdecimal() and a.startswith("-")), "10"))
    return int(n) if n.lstrip("+").isdecimal() else 10


def head_tail(which: str, args: list[str], text: str) -> str:
    n = _count(args)
    lines = text.splitlines(keepends=True)
    return "".join(lines[:n] if which == "head" else (lines[-n:] if n else []))


def _head_tail_files(which: str) -> Callable[[Shell, list[str]], str]:
    def command(sh: Shell, args: list[str]) -> str:
        _flags, _values, words = _split_flags(args, "n")
        files = [w for w in words if not (w.startswith("-") and w[1:].isdecimal())]  # `tail -1 FILE`
        out = []
        for i, name in enumerate(files):
            text, error = _read_file(sh, which, name)
            if text is None:
                out.append(error.replace(f"{which}: {name}:", f"{which}: can't open '{name}':"))
                continue
            if len(files) > 1:
                out.append(("\n" if i else "") + f"==> {name} <==\n")
            out.append(head_tail(which, args, text))
        return "".join(out)

    return command


def wc_counts(args: list[str], text: str, name: str | None) -> str:
    """busybox wc: lines, words, bytes; `%9u` columns with the file name, a bare number for one count on stdin."""
    flags, _values, _words = _split_flags(args)
    wanted = [c for c in "lwc" if c in flags] or ["l", "w", "c"]
    counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode())}
    if name is None and len(wanted) == 1:
        return f"{counts[wanted[0]]}\n"
    return " ".join(f"{counts[c]:>9}" for c in wanted) + (f" {name}" if name else "") + "\n"


def wc(sh: Shell, args: list[str]) -> str:
    _flags, _values, files = _split_flags(args)
    out = []
    total = ""
    for name in files:
        text, error = _read_file(sh, "wc", name)
        if text is None:
            out.append(error)
            continue
        total += text
        out.append(wc_counts(args, text, name))
    if len(files) > 1:
        out.append(wc_counts(args, total, "total"))
    return "".join(out)


# -- diff -----------------------------------------------------------------------------------------------------------


def unified_diff(old: bytes, new: bytes, label_old: str, label_new: str) -> str:
    """busybox `diff` output (it prints only the unified format): `--- A`, `+++ B` (busybox prints no timestamps),
    then @@ hunks with 3 lines of context; '' when equal; "Binary files A and B differ" for non-text data."""
    if old == new:
        return ""
    if b"\x00" in old or b"\x00" in new:
        return f"Binary files {label_old} and {label_new} differ\n"
    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    out = [f"--- {label_old}\n", f"+++ {label_new}\n"]
    for line in list(difflib.unified_diff(a, b, n=3))[2:]:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def diff(sh: Shell, args: list[str]) -> str:
    """`diff [-N] [-u] FILE1 FILE2`; with -N a missing file counts as empty (auto-backup.sh's `diff -N`)."""
    flags, _values, files = _split_flags(args)
    if len(files) != 2:
        return usage("diff [-abBdiNqrTstw] [-L LABEL] [-S FILE] [-U LINES] FILE1 FILE2")
    data = []
    for name in files:
        try:
            data.append(sh.host.fs.read(sh.absolute(name)))
        except NoSuchFile:
            if "N" not in flags:
                return f"diff: can't stat '{name}': No such file or directory\n"
            data.append(b"")
        except EsxiStateError as err:
            return f"diff: {name}: {errno(err)}\n"
    if "q" in flags:
        return f"Files {files[0]} and {files[1]} differ\n" if data[0] != data[1] else ""
    return unified_diff(data[0], data[1], files[0], files[1])


# -- file information -----------------------------------------------------------------------------------------------


def _blocks(entry: FileEntry) -> int:
    """512-byte blocks, counted in whole 4 KiB pages (simplification)."""
    return -(-entry.size // 4096) * 8 if entry.kind == FILE else 8


def stat(sh: Shell, args: list[str]) -> str:
    """busybox `stat FILE`: the layout of busybox's stat.c; device and inode numbers are made up (stable per path)."""
    _flags, _values, files = _split_flags(args, "c")
    if not files:
        return usage("stat [OPTIONS] FILE...")
    out: list[str] = []
    for name, p, e in named_entries(sh, files, "stat: can't stat '{name}': {why}\n", out):
        kind = "directory" if e.kind == DIR else ("regular file" if e.size else "regular empty file")
        when = time.strftime("%Y-%m-%d %H:%M:%S.000000000", time.gmtime(e.mtime))
        inode = sum(ord(c) * 31**i for i, c in enumerate(p)) % 900_000 + 1000
        out.append(
            f"  File: '{name}'\n"
            f"  Size: {e.st_size:<10}\tBlocks: {_blocks(e):<10} IO Block: 4096   {kind}\n"
            f"Device: 1h/1d\tInode: {inode:<10}  Links: {1:<5}\n"
            f"Access: ({e.mode & 0o7777:04o}/{mode_string(e)})  Uid: (    0/    root)   Gid: (    0/    root)\n"
            f"Access: {when}\nModify: {when}\nChange: {when}\n"
        )
    return "".join(out)


def du(sh: Shell, args: list[str]) -> str:
    """busybox du: KiB used by each directory (with -a each file too), children before their directory, the
    argument last; -s only the total, -h human sizes."""
    flags, _values, paths = _split_flags(args)
    out: list[str] = []
    for name, p, entry in named_entries(sh, paths or ["."], "du: {name}: {why}\n", out):
        size = _du_tree(sh, p, entry, name, flags, out)
        if "s" in flags:
            out.append(f"{sizes.busybox(size * 1024) if 'h' in flags else size}\t{name}\n")
    return "".join(out)


def _du_tree(sh: Shell, top: str, entry: FileEntry, name: str, flags: set[str], out: list[str]) -> int:
    """du's walk: children before their directory, each line with the KiB under it. A loop with its own stack,
    not recursion, so a tree of any depth is measured."""
    totals: dict[str, int] = {}
    stack: list[tuple[str, FileEntry, str, bool]] = [(top, entry, name, False)]
    while stack:
        path, here, shown, expanded = stack.pop()
        if here.kind == DIR and not expanded:
            stack.append((path, here, shown, True))
            children = sh.host.fs.listdir(path)
            for child in reversed(children):
                sub = posixpath.join(path, child)
                stack.append((sub, sh.host.fs.stat(sub), posixpath.join(shown, child), False))
            totals[path] = _blocks(here) // 2
            continue
        total = totals.pop(path, _blocks(here) // 2)
        if "s" not in flags and (here.kind == DIR or "a" in flags or path == top):
            out.append(f"{sizes.busybox(total * 1024) if 'h' in flags else total}\t{shown}\n")
        if path != top:
            totals[posixpath.dirname(path) or "/"] += total
        else:
            return total
    return 0


def find(sh: Shell, args: list[str]) -> str:
    """`find [PATH...] [-name PATTERN] [-type f|d] [-maxdepth N]`: paths as busybox prints them."""
    paths: list[str] = []
    i = 0
    while i < len(args) and not args[i].startswith("-"):
        paths.append(args[i])
        i += 1
    tests: list[tuple[str, str]] = []
    while i < len(args):
        if args[i] in ("-name", "-iname", "-type", "-maxdepth") and i + 1 < len(args):
            tests.append((args[i], args[i + 1]))
            i += 2
        elif args[i] in ("-print", "-follow"):
            i += 1
        else:
            return f"find: unrecognized: {args[i]}\n" + usage("find [-HL] [PATH]... [OPTIONS] [ACTIONS]")
    out = []
    for name in paths or ["."]:
        base = sh.absolute(name)
        for path, entry, shown in walk_or_say(sh, base, name, f"find: {name}: ", out):
            depth = 0 if path == base else path[len(base.rstrip("/")) :].count("/")
            if all(_find_test(t, v, path, entry, depth) for t, v in tests):
                out.append(shown + "\n")
    return "".join(out)


def _find_test(test: str, value: str, path: str, entry: FileEntry, depth: int) -> bool:
    base = posixpath.basename(path) or "/"
    if test == "-name":
        return fnmatch.fnmatchcase(base, value)
    if test == "-iname":
        return fnmatch.fnmatchcase(base.lower(), value.lower())
    if test == "-type":
        return (entry.kind == DIR) == (value == "d")
    return not value.isdecimal() or depth <= int(value)


# -- changing files -------------------------------------------------------------------------------------------------


def _copy_entry(sh: Shell, src: FileEntry, dest: str, keep_mode: bool) -> None:
    if sh.host.fs.exists(dest):
        sh.host.fs.write(dest, src.data, mode=src.mode if keep_mode else None)
    else:
        sh.host.fs.write(dest, src.data, mode=src.mode if keep_mode else src.mode & 0o755)


def _target(sh: Shell, source: str, dest: str, many: bool) -> str:
    d = sh.absolute(dest)
    try:
        into = sh.host.fs.stat(d).kind == DIR
    except EsxiStateError:
        into = False
    return posixpath.join(d, posixpath.basename(sh.absolute(source))) if (into or many) else d


def _moves(sh: Shell, words: list[str], missing: str, out: list[str]) -> list[tuple[str, str, FileEntry, str]]:
    """cp's and mv's SOURCE... DEST: (source as typed, its path, its entry, where it goes); a missing source adds
    `missing` (with {name} for its name) to `out`."""
    *sources, dest = words
    many = len(sources) > 1
    return [
        (source, p, entry, _target(sh, source, dest, many))
        for source, p, entry in named_entries(sh, sources, missing, out)
    ]


def cp(sh: Shell, args: list[str]) -> str:
    """`cp [-r] [-p] [-f] SRC... DEST`. A new file gets the source's mode less the umask 022 (and no sticky bit);
    an existing file keeps its mode, so copying back over a persisted /etc file keeps it persisted (F25)."""
    flags, _values, words = _split_flags(args)
    if len(words) < 2:
        return usage("cp [OPTIONS] SOURCE... DEST")
    dest = words[-1]
    out: list[str] = []
    for source, p, entry, target in _moves(sh, words, "cp: can't stat '{name}': No such file or directory\n", out):
        if target == p:
            out.append(f"cp: '{source}' and '{dest}' are the same file\n")
            continue
        try:
            if entry.kind == DIR:
                if not ({"r", "R", "a"} & flags):
                    out.append(f"cp: omitting directory '{source}'\n")
                    continue
                _copy_tree(sh, p, target, keep_mode="p" in flags or "a" in flags)
            else:
                _copy_entry(sh, entry, target, keep_mode="p" in flags or "a" in flags)
        except RamdiskFull:
            out.append("cp: write error: No space left on device\n")
        except NoSuchFile:
            out.append(f"cp: can't create '{dest}': No such file or directory\n")
        except EsxiStateError as err:
            out.append(f"cp: can't create '{dest}': {errno(err)}\n")
    return "".join(out)


def _copy_tree(sh: Shell, src: str, dest: str, keep_mode: bool) -> None:
    for path, entry in walk(sh, src):
        target = dest + path[len(src) :]
        if entry.kind == DIR:
            if not sh.host.fs.exists(target):
                sh.host.fs.mkdir(target, mode=entry.mode & 0o7777)
        else:
            _copy_entry(sh, entry, target, keep_mode)


def mv(sh: Shell, args: list[str]) -> str:
    """`mv SRC... DEST`: a copy keeping the mode, then the source is removed (VisorFS moves no bytes anyway)."""
    _flags, _values, words = _split_flags(args)
    if len(words) < 2:
        return usage("mv [-fin] SOURCE DEST\nor: mv [-fin] SOURCE... DIRECTORY")
    out: list[str] = []
    for source, p, entry, target in _moves(sh, words, "mv: can't rename '{name}': No such file or directory\n", out):
        if target == p:
            continue
        if (target + "/").startswith(p + "/"):
            out.append(f"mv: can't rename '{source}': Invalid argument\n")
            continue
        try:
            if entry.kind == DIR:
                _copy_tree(sh, p, target, keep_mode=True)
                remove_tree(sh, p)
            else:
                _copy_entry(sh, entry, target, keep_mode=True)
                sh.host.fs.delete(p)
        except RamdiskFull:
            out.append("mv: write error: No space left on device\n")
        except EsxiStateError as err:
            out.append(f"mv: can't rename '{source}': {errno(err)}\n")
    return "".join(out)


def commands() -> dict[str, Callable[[Shell, list[str]], str]]:
    """The commands of this module, by name (the shell dispatches to them)."""
    return {
        "du": du,
        "stat": stat,
        "find": find,
        "diff": diff,
        "grep": grep,
        "head": _head_tail_files("head"),
        "tail": _head_tail_files("tail"),
        "wc": wc,
        "cp": cp,
        "mv": mv,
    }
