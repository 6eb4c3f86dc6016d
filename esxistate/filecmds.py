"""The ESXi shell's everyday file commands: ls, cat, echo (with `>` and `>>`), touch, mkdir, rm, rmdir, chmod, cd
and pwd. (cp, mv, du, stat, find, diff, grep, head, tail and wc are in esxistate.busybox, tar in esxistate.tarcmd.)

Each prints busybox's own layout and error words (`cat: can't open 'x': No such file or directory`). Every effect
is a call into the engine (`host.fs`), so an `echo >` into /etc branches the file onto its ramdisk and makes its
`.#` twin exactly as any write does (F25, F27).
"""

from __future__ import annotations

import posixpath
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .entry import DIR, LINK, STICKY, FileEntry, mode_string
from .errors import EsxiStateError, IsADirectory, NoSuchFile, RamdiskFull
from .shellfs import each, make_dirs, named_entries, remove_tree
from .shelltext import Usage, columns, errno, strict_flags

if TYPE_CHECKING:
    from .shell import Shell

__all__ = ["cat", "cd", "chmod", "echo", "ls", "mkdir", "parse_mode", "pwd", "rm", "rmdir", "touch"]


# -- reading --------------------------------------------------------------------------------------------------------


def ls(sh: Shell, args: list[str]) -> str:
    """busybox ls with -l -a -A -1 -d: a listing in columns on a terminal, one name a line into a pipe."""
    flags, paths = strict_flags(args, "laA1dh", "ls", "ls [-1AaCxdLHRFplinshrSXvctu] [FILE]...")
    show_all = "a" in flags or "A" in flags
    out: list[str] = []
    errors: list[str] = []
    targets = paths or ["."]
    dirs = []
    files = []
    for target in targets:
        p = sh.absolute(target)
        try:
            # busybox follows a link named on the command line unless -l (a trailing / always follows), F47
            entry = (sh.host.fs.lstat if "l" in flags and not target.endswith("/") else sh.host.fs.stat)(p)
        except EsxiStateError:
            errors.append(f"ls: {target}: No such file or directory\n")
            continue
        if entry.kind == DIR and "d" not in flags:
            dirs.append((target, p))
        else:
            files.append((target, entry))
    for target, entry in files:
        out.append(_ls_line(sh, target, entry) if "l" in flags else target + "\n")
    for i, (target, p) in enumerate(dirs):
        names = sh.host.fs.listdir(p)
        if show_all:
            names = [".", "..", *names] if "a" in flags else names
        else:
            names = [n for n in names if not n.startswith(".")]
        if len(targets) > 1:
            out.append(("\n" if i or files else "") + f"{target}:\n")
        if "l" in flags:
            out.append(f"total {sum(-(-_entry(sh, p, n).size // 1024) for n in names if n not in ('.', '..'))}\n")
            for n in names:
                out.append(_ls_line(sh, n, _entry(sh, p, n)))
        elif "1" in flags or sh.piped:
            out += [n + "\n" for n in names]
        else:
            out.append(columns(names))
    return "".join(errors) + "".join(out)


def _entry(sh: Shell, directory: str, name: str) -> FileEntry:
    if name == ".":
        return sh.host.fs.stat(directory)
    if name == "..":
        return sh.host.fs.stat(posixpath.dirname(directory) or "/")
    return sh.host.fs.lstat(posixpath.join(directory, name))  # a link is shown as itself (F47)


def _ls_line(sh: Shell, name: str, entry: FileEntry) -> str:
    """busybox `ls -l`: mode, links, owner, group, size, date, name. VisorFS shows one link and size 512 for a
    directory (`drwxr-xr-x    1 root     root           512 ...` in published ESXi listings, FileEntry.st_size)."""
    t = datetime.fromtimestamp(entry.mtime, tz=timezone.utc)
    now = sh.host.clock.replace(tzinfo=timezone.utc)
    stamp = t.strftime("%b %e %H:%M") if abs((now - t).days) < 182 else t.strftime("%b %e  %Y")
    if entry.kind == LINK:
        name += " -> " + entry.data.decode("utf-8", "replace")
    return f"{mode_string(entry)} {1:>4} {'root':<8} {'root':<8} {entry.st_size:>9} {stamp} {name}\n"


def cat(sh: Shell, args: list[str]) -> str:
    out = []
    for arg in args:
        try:
            out.append(sh.host.fs.read(sh.absolute(arg)).decode("utf-8", "replace"))
        except IsADirectory:
            out.append("cat: read error: Is a directory\n")
        except EsxiStateError as err:
            out.append(f"cat: can't open '{arg}': {errno(err)}\n")
    return "".join(out)


def pwd(sh: Shell, args: list[str]) -> str:
    return sh.cwd + "\n"


def cd(sh: Shell, args: list[str]) -> str:
    target = args[0] if args else "/"
    p = sh.absolute(target)
    try:
        entry = sh.host.fs.stat(p)
    except EsxiStateError:
        return f"sh: cd: can't cd to {target}: No such file or directory\n"
    if entry.kind != DIR:
        return f"sh: cd: can't cd to {target}: Not a directory\n"
    sh.cwd = p
    return ""


# -- writing --------------------------------------------------------------------------------------------------------


def echo(sh: Shell, args: list[str], redirect: tuple[str, str] | None = None) -> str:
    """echo [-n] WORDS, printed or written with `> FILE` / `>> FILE` (sh's own error words when the write fails)."""
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    text = " ".join(args) + ("\n" if newline else "")
    if redirect is None:
        return text
    mode, target = redirect
    p = sh.absolute(target)
    if target.endswith("/") and p != "/":
        p += "/"  # a file name cannot end in '/': the write reports it, as sh does
    try:
        sh.host.fs.write(p, text, append=mode == ">>")
    except RamdiskFull:
        return "sh: write error: No space left on device\n"
    except NoSuchFile:
        return f"sh: can't create {target}: nonexistent directory\n"
    except EsxiStateError as err:
        return f"sh: can't create {target}: {errno(err)}\n"
    return ""


def touch(sh: Shell, args: list[str]) -> str:
    if not args:
        raise Usage("touch [-c] [-d DATE] [-t DATE] [-r FILE] FILE...")

    def touch_one(p: str) -> None:
        if not sh.host.fs.exists(p):
            sh.host.fs.write(p, b"")
        elif sh.host.fs.stat(p).kind != DIR:
            sh.host.fs.write(p, b"", append=True)  # a new modification time, the same bytes

    return each(sh, args, touch_one, "touch: {name}: {why}\n")


def mkdir(sh: Shell, args: list[str]) -> str:
    line = "mkdir [-m MODE] [-p] DIRECTORY..."
    flags, paths = strict_flags(args, "p", "mkdir", line)
    if not paths:
        raise Usage(line)
    make = (lambda p: make_dirs(sh, p)) if "p" in flags else sh.host.fs.mkdir
    return each(sh, paths, make, "mkdir: can't create directory '{name}': {why}\n")


def rm(sh: Shell, args: list[str]) -> str:
    flags, paths = strict_flags(args, "fri", "rm", "rm [-irf] FILE...")
    if not paths:
        if "f" in flags:
            return ""
        raise Usage(
            "rm [-irf] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n"
            "\t-f\tNever prompt\n\t-R,-r\tRecurse"
        )
    out = []
    for arg in paths:
        p = sh.absolute(arg)
        try:
            entry = sh.host.fs.stat(p)
            if entry.kind == DIR:
                if "r" not in flags:
                    out.append(f"rm: '{arg}' is a directory\n")
                    continue
                remove_tree(sh, p)
            else:
                sh.host.fs.delete(p)
        except NoSuchFile:
            if "f" not in flags:
                out.append(f"rm: can't remove '{arg}': No such file or directory\n")
        except EsxiStateError as err:
            out.append(f"rm: can't remove '{arg}': {errno(err)}\n")
    return "".join(out)


def rmdir(sh: Shell, args: list[str]) -> str:
    if not args:
        raise Usage("rmdir [-p] DIRECTORY...")
    return each(sh, args, sh.host.fs.rmdir, "rmdir: '{name}': {why}\n")


def chmod(sh: Shell, args: list[str]) -> str:
    if len(args) < 2:
        raise Usage("chmod [-Rcvf] MODE[,MODE]... FILE...")
    spec, paths = args[0], args[1:]
    out: list[str] = []
    for arg, p, entry in named_entries(sh, paths, "chmod: {name}: {why}\n", out):
        mode = parse_mode(spec, entry.mode)
        if mode is None:
            return f"chmod: invalid mode '{spec}'\n"
        try:
            sh.host.fs.chmod(p, mode)
        except EsxiStateError as err:
            out.append(f"chmod: {arg}: {errno(err)}\n")
    return "".join(out)


def parse_mode(spec: str, current: int) -> int | None:
    """chmod modes: octal (644, 1644), or symbolic +t / -t / u+x style for the common cases; None if neither.

    >>> oct(parse_mode("+t", 0o644)), oct(parse_mode("go-r", 0o1644)), parse_mode("9", 0o644)
    ('0o1644', '0o1600', None)
    """
    if spec.isascii() and spec.isdigit():
        try:
            return int(spec, 8) & 0o7777
        except ValueError:  # an 8 or a 9: not an octal mode
            return None
    mode = current
    for clause in spec.split(","):
        who = ""
        i = 0
        while i < len(clause) and clause[i] in "ugoa":
            who += clause[i]
            i += 1
        if i >= len(clause) or clause[i] not in "+-=":
            return None
        op, perms = clause[i], clause[i + 1 :]
        if not perms or any(c not in "rwxst" for c in perms):
            return None
        bits = _mode_bits(who or "a", perms)
        if op == "+":
            mode |= bits
        elif op == "-":
            mode &= ~bits
        else:
            mode = bits
    return mode


def _mode_bits(who: str, perms: str) -> int:
    """The bits `perms` (rwxst) stand for, for the users in `who` (ugoa)."""
    bits = 0
    for c in perms:
        if c == "t":
            bits |= STICKY
        elif c == "s":
            bits |= (0o4000 if "u" in who or "a" in who else 0) | (0o2000 if "g" in who or "a" in who else 0)
        else:
            base = {"r": 4, "w": 2, "x": 1}[c]
            for w, shift in (("u", 6), ("g", 3), ("o", 0)):
                if w in who or "a" in who:
                    bits |= base << shift
    return bits
