"""An ESXi shell over a simulated host: the busybox commands and esxcli namespaces a student types first.

`Shell(host).run("vdf -h")` returns the text a real ESXi shell prints, errors included (`cat: can't open 'x': No
such file or directory`, `sh: foo: not found`); it never raises. The shell only parses: every effect is a call into
the engine (`host.fs`, `host.backup()`, `host.install_vib()`, ...), so the rules live in one place.

Formats: busybox's `ls -l` and `tar tv` lines, `vdf -h` and the esxcli tables of ESXI-FACTS.md samples S3-S7.
Where a format is background knowledge rather than a verified sample (the esxcli error words, auto-backup.sh's
messages), the docstring of the command says so.
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
import re
import shlex
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from . import autobackup, busybox, esxcli, sizes, sysinfo, tarcmd, unsimulated, vimcmd
from .boundary import SHELL_LINE_MAX, printable
from .entry import DIR, LINK, STICKY, FileEntry, mode_string
from .errors import (
    CorruptArchive,
    EsxiStateError,
    HostPoweredOff,
    InternalError,
    IsADirectory,
    NoSuchFile,
    RamdiskFull,
    UnsafeArchive,
    VibConflict,
    VibError,
    VibNotInstalled,
)
from .vib import Vib

if TYPE_CHECKING:
    from .host import Host

__all__ = ["COMMANDS", "Shell"]

_REFER = " Please refer to the log file for more details.\n"
BUSYBOX = "BusyBox v1.29.3 (2019-01-29 15:36:05 PST) multi-call binary."


class _Usage(Exception):
    """A command was called wrongly: print its usage, as busybox does."""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: set[int]) -> str:
    """An esxcli table: columns as wide as their widest cell, two spaces apart, dashes under the headers;
    text columns left-aligned, the rest right-aligned (samples S4-S6)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str], align: bool = True) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.ljust(widths[i]) if (i in left or not align) else cell.rjust(widths[i]))
        return "  ".join(out).rstrip()

    text = [line(headers, align=False), "  ".join("-" * w for w in widths)]
    text += [line(r) for r in rows]
    return "\n".join(text) + "\n"


class Shell:
    """One shell session on a host: a working directory and the commands below. `run(line)` returns the output."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.cwd = "/"  # root's home on ESXi is /
        self._piped = False
        self._program = ""  # the command word as typed: a script's $0
        self._commands: dict[str, Callable[[list[str]], str]] = {
            "ls": self._ls,
            "cat": self._cat,
            "echo": self._echo,
            "touch": self._touch,
            "mkdir": self._mkdir,
            "rm": self._rm,
            "rmdir": self._rmdir,
            "chmod": self._chmod,
            "cd": self._cd,
            "pwd": lambda args: self.cwd + "\n",
            "vdf": self._vdf,
            "esxcli": self._esxcli,
            "localcli": self._localcli,
            "auto-backup.sh": self._auto_backup,
            "backup.sh": self._backup_sh,
            "tar": self._tar,
            "vim-cmd": self._vim_cmd,
            "crontab": self._crontab,
            "date": self._date,
            "hostname": lambda args: self.host.hostname + "\n",
            "reboot": self._reboot,
            "poweroff": self._poweroff,
            "help": self._help,
        }
        for word, fn in busybox.commands().items():  # df, du, stat, find, diff, grep, cp, mv, uname, ...
            self._commands[word] = functools.partial(fn, self)
        self._commands["vmware"] = functools.partial(sysinfo.vmware, self)

    # -- the session ------------------------------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        where = "~" if self.cwd == "/" else self.cwd  # PS1='[\u@\h:\w] ' with HOME=/
        return f"[root@{self.host.hostname}:{where}] "

    def run(self, line: str) -> str:
        """Run one command line (`;` separates commands) and return what the shell prints. A line longer than
        `boundary.SHELL_LINE_MAX` characters is not read (the simulator's limit, see there). A bug inside a command
        puts the host back as it was before that command and prints one line saying so, never a traceback."""
        if not isinstance(line, str):
            return "sh: a command line is text\n"
        if len(line) > SHELL_LINE_MAX:
            return (
                f"sh: command line too long: {len(line)} characters; this simulated shell reads at most "
                f"{SHELL_LINE_MAX}\n"
            )
        out = []
        for part in _split_semicolons(line):
            out.append(self._guarded(part))
        return printable("".join(out))

    def _guarded(self, part: str) -> str:
        host = self.host
        checkpoint = host._checkpoint()
        fs = host._fs
        try:
            return self._run_one(part)
        except Exception as err:  # a bug: undo what this command did, say so in one line
            host._rollback(checkpoint, fs)
            self._piped = False
            word = part.strip().split(None, 1)[0] if part.strip() else "sh"
            return printable(f"{posixpath.basename(word)}: {InternalError(f'run {word}', err)}") + "\n"

    def _run_one(self, line: str) -> str:
        if not line.strip() or line.strip().startswith("#"):
            return ""
        stages = _split_unquoted(line, "|")
        if len(stages) > 1:
            if any(not st.strip() for st in stages):
                return 'sh: syntax error: unexpected "|"\n'
            self._piped = True  # busybox ls prints one name a line when its output is not a terminal
            try:
                text = self._run_one(stages[0])
            finally:
                self._piped = False
            for stage in stages[1:]:
                text = _filter(stage, text)
            return text
        try:
            words = shlex.split(line, comments=False, posix=True)
        except ValueError:
            return "sh: syntax error: unterminated quoted string\n"
        words, redirect = _redirection(words)
        if not words:
            return ""
        name = posixpath.basename(words[0]) if words[0].startswith("/") else words[0]
        command = self._commands.get(name)
        if command is None and name in unsimulated.KNOWN and posixpath.dirname(words[0]) in unsimulated.PATH_DIRS:
            return unsimulated.line(name)
        if command is None or (words[0].startswith("/") and not self._on_path(words[0])):
            return f"sh: {words[0]}: not found\n"
        if not self.host.powered_on:
            return "sh: the host is powered off: boot it first\n"
        self._program = words[0]
        try:
            if redirect is not None:
                if name != "echo":
                    return f"sh: {name}: output redirection is only simulated for echo\n"
                return self._echo(words[1:], redirect)
            return command(words[1:])
        except _Usage as usage:
            return f"{BUSYBOX}\n\nUsage: {usage}\n"
        except HostPoweredOff:
            return "sh: the host is powered off: boot it first\n"
        except EsxiStateError as err:  # the engine refused: say it in one line, never a traceback
            return _without_fact_ids(f"{name}: {err}") + "\n"

    def _on_path(self, path: str) -> bool:
        try:
            return self.host.fs.exists(path)
        except EsxiStateError:
            return False

    def _abs(self, path: str) -> str:
        p = path if path.startswith("/") else posixpath.join(self.cwd, path)
        return posixpath.normpath(p) if p != "/" else "/"

    @staticmethod
    def _flags(args: list[str], allowed: str, command: str, usage: str) -> tuple[set[str], list[str]]:
        flags: set[str] = set()
        rest = []
        for arg in args:
            if arg.startswith("--") and arg != "--":
                raise _BadOption(f"{command}: unrecognized option '{arg}'", usage)
            if arg.startswith("-") and len(arg) > 1:
                for ch in arg[1:]:
                    if ch not in allowed:
                        raise _BadOption(f"{command}: invalid option -- '{ch}'", usage)
                    flags.add(ch)
            else:
                rest.append(arg)
        return flags, rest

    # -- files ------------------------------------------------------------------------------------------------------

    def _ls(self, args: list[str]) -> str:
        try:
            flags, paths = self._flags(args, "laA1dh", "ls", "ls [-1AaCxdLHRFplinshrSXvctu] [FILE]...")
        except _BadOption as bad:
            return bad.text()
        show_all = "a" in flags or "A" in flags
        out: list[str] = []
        errors: list[str] = []
        targets = paths or ["."]
        dirs = []
        files = []
        for target in targets:
            p = self._abs(target)
            try:
                # busybox follows a link named on the command line unless -l (a trailing / always follows), F47
                entry = (self.host.fs.lstat if "l" in flags and not target.endswith("/") else self.host.fs.stat)(p)
            except (NoSuchFile, EsxiStateError):
                errors.append(f"ls: {target}: No such file or directory\n")
                continue
            if entry.kind == DIR and "d" not in flags:
                dirs.append((target, p))
            else:
                files.append((target, entry))
        for target, entry in files:
            out.append(self._ls_line(target, entry) if "l" in flags else target + "\n")
        for i, (target, p) in enumerate(dirs):
            names = self.host.fs.listdir(p)
            if show_all:
                names = [".", "..", *names] if "a" in flags else names
            else:
                names = [n for n in names if not n.startswith(".")]
            if len(targets) > 1:
                out.append(("\n" if i or files else "") + f"{target}:\n")
            if "l" in flags:
                out.append(f"total {sum(-(-self._entry(p, n).size // 1024) for n in names if n not in ('.', '..'))}\n")
                for n in names:
                    entry = self._entry(p, n)
                    out.append(self._ls_line(n, entry))
            elif "1" in flags or self._piped:
                out += [n + "\n" for n in names]
            else:
                out.append(_columns(names))
        return "".join(errors) + "".join(out)

    def _entry(self, directory: str, name: str) -> FileEntry:
        if name == ".":
            return self.host.fs.stat(directory)
        if name == "..":
            return self.host.fs.stat(posixpath.dirname(directory) or "/")
        return self.host.fs.lstat(posixpath.join(directory, name))  # a link is shown as itself (F47)

    def _ls_line(self, name: str, entry: FileEntry) -> str:
        """busybox `ls -l`: mode, links, owner, group, size, date, name. VisorFS shows one link and size 512 for a
        directory (`drwxr-xr-x    1 root     root           512 ...` in published ESXi listings, FileEntry.st_size)."""
        t = datetime.fromtimestamp(entry.mtime, tz=timezone.utc)
        now = self.host.clock.replace(tzinfo=timezone.utc)
        stamp = t.strftime("%b %e %H:%M") if abs((now - t).days) < 182 else t.strftime("%b %e  %Y")
        if entry.kind == LINK:
            name += " -> " + entry.data.decode("utf-8", "replace")
        return f"{mode_string(entry)} {1:>4} {'root':<8} {'root':<8} {entry.st_size:>9} {stamp} {name}\n"

    def _cat(self, args: list[str]) -> str:
        out = []
        for arg in args:
            p = self._abs(arg)
            try:
                out.append(self.host.fs.read(p).decode("utf-8", "replace"))
            except IsADirectory:
                out.append("cat: read error: Is a directory\n")
            except EsxiStateError as err:
                out.append(f"cat: can't open '{arg}': {err.errno_text or err}\n")
        return "".join(out)

    def _echo(self, args: list[str], redirect: tuple[str, str] | None = None) -> str:
        newline = True
        if args and args[0] == "-n":
            newline, args = False, args[1:]
        text = " ".join(args) + ("\n" if newline else "")
        if redirect is None:
            return text
        mode, target = redirect
        p = self._abs(target)
        if target.endswith("/") and p != "/":
            p += "/"  # a file name cannot end in '/': the write reports it, as sh does
        try:
            self.host.fs.write(p, text, append=mode == ">>")
        except RamdiskFull:
            return "sh: write error: No space left on device\n"
        except NoSuchFile:
            return f"sh: can't create {target}: nonexistent directory\n"
        except EsxiStateError as err:
            return f"sh: can't create {target}: {err.errno_text or err}\n"
        return ""

    def _touch(self, args: list[str]) -> str:
        if not args:
            raise _Usage("touch [-c] [-d DATE] [-t DATE] [-r FILE] FILE...")
        out = []
        for arg in args:
            p = self._abs(arg)
            try:
                if self.host.fs.exists(p):
                    entry = self.host.fs.stat(p)
                    if entry.kind != DIR:
                        self.host.fs.write(p, b"", append=True)
                else:
                    self.host.fs.write(p, b"")
            except EsxiStateError as err:
                out.append(f"touch: {arg}: {err.errno_text or err}\n")
        return "".join(out)

    def _mkdir(self, args: list[str]) -> str:
        try:
            flags, paths = self._flags(args, "p", "mkdir", "mkdir [-m MODE] [-p] DIRECTORY...")
        except _BadOption as bad:
            return bad.text()
        if not paths:
            raise _Usage("mkdir [-m MODE] [-p] DIRECTORY...")
        out = []
        for arg in paths:
            p = self._abs(arg)
            try:
                if "p" in flags:
                    parts = p.strip("/").split("/")
                    for i in range(1, len(parts) + 1):
                        sub = "/" + "/".join(parts[:i])
                        if not self.host.fs.exists(sub):
                            self.host.fs.mkdir(sub)
                else:
                    self.host.fs.mkdir(p)
            except EsxiStateError as err:
                out.append(f"mkdir: can't create directory '{arg}': {err.errno_text or err}\n")
        return "".join(out)

    def _rm(self, args: list[str]) -> str:
        try:
            flags, paths = self._flags(args, "fri", "rm", "rm [-irf] FILE...")
        except _BadOption as bad:
            return bad.text()
        if not paths:
            if "f" in flags:
                return ""
            raise _Usage(
                "rm [-irf] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n"
                "\t-f\tNever prompt\n\t-R,-r\tRecurse"
            )
        out = []
        for arg in paths:
            p = self._abs(arg)
            try:
                entry = self.host.fs.stat(p)
                if entry.kind == DIR:
                    if "r" not in flags:
                        out.append(f"rm: '{arg}' is a directory\n")
                        continue
                    self._rm_tree(p)
                else:
                    self.host.fs.delete(p)
            except NoSuchFile:
                if "f" not in flags:
                    out.append(f"rm: can't remove '{arg}': No such file or directory\n")
            except EsxiStateError as err:
                out.append(f"rm: can't remove '{arg}': {err.errno_text or err}\n")
        return "".join(out)

    def _rm_tree(self, p: str) -> None:
        """rm -r: files first, then each directory once it is empty, deepest first. A loop with its own stack, not
        recursion, so a tree of any depth goes."""
        stack = [(p, False)]
        while stack:
            here, emptied = stack.pop()
            if emptied:
                self.host.fs.rmdir(here)
                continue
            stack.append((here, True))
            for name in reversed(self.host.fs.listdir(here)):
                child = posixpath.join(here, name)
                if self.host.fs.stat(child).kind == DIR:
                    stack.append((child, False))
                else:
                    self.host.fs.delete(child)

    def _rmdir(self, args: list[str]) -> str:
        if not args:
            raise _Usage("rmdir [-p] DIRECTORY...")
        out = []
        for arg in args:
            try:
                self.host.fs.rmdir(self._abs(arg))
            except EsxiStateError as err:
                out.append(f"rmdir: '{arg}': {err.errno_text or err}\n")
        return "".join(out)

    def _chmod(self, args: list[str]) -> str:
        usage = "chmod [-Rcvf] MODE[,MODE]... FILE..."
        if len(args) < 2:
            raise _Usage(usage)
        spec, paths = args[0], args[1:]
        out = []
        for arg in paths:
            p = self._abs(arg)
            try:
                current = self.host.fs.stat(p).mode
            except EsxiStateError as err:
                out.append(f"chmod: {arg}: {err.errno_text or err}\n")
                continue
            mode = _parse_mode(spec, current)
            if mode is None:
                return f"chmod: invalid mode '{spec}'\n"
            try:
                self.host.fs.chmod(p, mode)
            except EsxiStateError as err:
                out.append(f"chmod: {arg}: {err.errno_text or err}\n")
        return "".join(out)

    def _cd(self, args: list[str]) -> str:
        target = args[0] if args else "/"
        p = self._abs(target)
        try:
            entry = self.host.fs.stat(p)
        except EsxiStateError:
            return f"sh: cd: can't cd to {target}: No such file or directory\n"
        if entry.kind != DIR:
            return f"sh: cd: can't cd to {target}: Not a directory\n"
        self.cwd = p
        return ""

    # -- visorfs ------------------------------------------------------------------------------------------------------

    def _vdf(self, args: list[str]) -> str:
        """`vdf -h` as on ESXi 6.x/7.0 (sample S3): tardisks with their sizes, then ramdisks with use."""
        human = "-h" in args
        size = sizes.vdf if human else (lambda n: str(n // 1024))
        lines = [f"{'Tardisk':<20}{'Space':>10}{'Used':>10}"]
        for td in self.host.tardisks:
            lines.append(f"{td.name:<20}{size(td.size):>10}{size(td.used):>10}")
        lines.append("-----")
        lines.append(f"{'Ramdisk':<20}{'Size':>10}{'Used':>10}{'Available':>10}{'Use%':>5} Mounted on")
        for rd in self.host.ramdisks:
            pct = rd.used * 100 // rd.capacity if rd.capacity else 0
            lines.append(f"{rd.name:<20}{size(rd.capacity):>10}{size(rd.used):>10}{size(rd.free):>10}{f'{pct}%':>5} --")
        return "\n".join(lines) + "\n"

    def _esxcli(self, args: list[str]) -> str:
        words = [a for a in args if not a.startswith("-")]
        joined = " ".join(words[:4])
        if joined.startswith("system visorfs ramdisk list"):
            return self._ramdisk_list()
        if joined.startswith("system visorfs tardisk list"):
            return self._tardisk_list()
        if joined.startswith("software vib list"):
            return self._vib_list()
        if joined.startswith("software vib install"):
            return self._vib_install(args)
        if joined.startswith("software vib remove"):
            return self._vib_remove(args)
        return esxcli.run(self.host, args, posixpath.basename(self._program) or "esxcli")

    def _localcli(self, args: list[str]) -> str:
        """localcli is esxcli without hostd; with the internal plugins it also runs `boot system restore
        --bootbanks` (KB 301134, F47), carried out by the engine."""
        from .bootdevice import restore_command

        out = restore_command(self.host, args)
        return out if out is not None else self._esxcli(args)

    def _ramdisk_list(self) -> str:
        """Sample S4. Simplification: Allocated Inodes is shown as the used count rounded up to a power of two."""
        headers = [
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
        ]
        rows = []
        for rd in self.host.ramdisks:
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
        return _table(headers, rows, left={0, 12})

    def _tardisk_list(self) -> str:
        """Sample S5 (its column layout is background knowledge, not a verified capture)."""
        rows = [[td.name, str(td.system).lower(), str(td.size), "true"] for td in self.host.tardisks]
        return _table(["Name", "System", "Size", "Mounted"], rows, left={0})

    def _vib_list(self) -> str:
        """Sample S6 (F34): Name, Version, Vendor, Acceptance Level, Install Date; sorted by name as esxcli does."""
        rows = [
            [v.name, v.version, v.vendor, v.acceptance, v.install_date]
            for v in sorted(self.host.vibs, key=lambda v: v.name)
        ]
        return _table(["Name", "Version", "Vendor", "Acceptance Level", "Install Date"], rows, left={0, 1, 2, 3, 4})

    def _option(self, args: list[str], *names: str) -> str | None:
        return esxcli.option(args, *names)

    def _vib_install(self, args: list[str]) -> str:
        """`esxcli software vib install -v PATH [--no-live-install]`. Error words ([NoMatchError] and the like) are
        esximage's exception names as esxcli prints them; background knowledge, not verified captures."""
        path = self._option(args, "-v", "--viburl")
        if path is None:
            return "Error: Missing required parameter -v|--viburl or -d|--depot\n"
        p = self._abs(path)
        try:
            vib = Vib.from_bytes(self.host.fs.read(p), name=path)
        except NoSuchFile:
            return f" [VibDownloadError]\n {path}: No such file or directory\n{_REFER}"
        except (CorruptArchive, UnsafeArchive) as err:
            return f" [VibFormatError]\n {err}\n Please refer to the log file for more details.\n"
        live = "--no-live-install" not in args and vib.live_install  # esxcli stages a VIB that cannot go live
        return self._vib_result(lambda: self.host.install_vib(vib, live=live))

    def _vib_remove(self, args: list[str]) -> str:
        name = self._option(args, "-n", "--vibname")
        if name is None:
            return "Error: Missing required parameter -n|--vibname\n"
        installed = next((v for v in self.host.vibs if v.name == name), None)
        live = "--no-live-install" not in args and (installed is None or installed.live_remove)  # staged otherwise
        return self._vib_result(lambda: self.host.remove_vib(name, live=live), name)

    def _vib_result(self, action: Callable[[], object], name: str | None = None) -> str:
        """esxcli's result or error text. Fact ids (F30) belong to explanations, not to what esxcli prints."""
        return _without_fact_ids(self._vib_text(action, name))

    def _vib_text(self, action: Callable[[], object], name: str | None) -> str:
        try:
            return str(action())
        except VibNotInstalled:
            return esxcli.no_match(name)
        except VibConflict as err:
            lines = "".join(f" {line}\n" for line in str(err).splitlines())  # one line per file (F30)
            return f" [FileConflictError]\n{lines}{_REFER}"
        except VibError as err:
            kind = type(err).__name__.replace("BaseImageVib", "DependencyError")
            kind = kind.replace("LiveInstallNotAllowed", "LiveInstallationError")
            return f" [{kind}]\n {err}\n Please refer to the log file for more details.\n"
        except EsxiStateError as err:
            return f" [InstallationError]\n {err}\n Please refer to the log file for more details.\n"

    # -- backups and power ------------------------------------------------------------------------------------------

    def _auto_backup(self, args: list[str]) -> str:
        """/sbin/auto-backup.sh. Run by hand it prints the `diff -N` of the first file to save that differs from
        its copy in state.tgz (the script runs `diff -N "${file}" "${tmp_backup_dir}/${file}"`, ESX67TREE
        bin/auto-backup.sh, F14, F48), then backup.sh's lines; nothing when nothing changed."""
        shown = autobackup.first_difference(self.host)
        result = self.host.backup()
        if result.skipped:
            if "Bootbank cannot be found" in result.reason:
                return "Bootbank cannot be found at path '/bootbank'\n"
            if "Unable to extract" in result.reason:
                return result.reason + "\n"
            return ""
        return shown + self._saved(result.target or "/bootbank")

    def _backup_sh(self, args: list[str]) -> str:
        """/sbin/backup.sh IsShutdown [PATH_NAME]: without an argument it prints its usage with its own path ($0),
        with a bad one `Invalid parameter for is_shutdown: <value>` (ESX67TREE bin/backup.sh, F15, F48)."""
        if not args:
            program = self._program if "/" in self._program else f"/sbin/{self._program}"
            return f"Usage: {program} IsShutdown [PATH_NAME]\n"
        if args[0] not in ("0", "1"):
            return f"Invalid parameter for is_shutdown: {args[0]}\n"
        result = self.host._backup_sh("manual", is_shutdown=args[0] == "1")  # backup.sh itself: no change check
        if result.skipped:
            return _without_fact_ids(result.reason) + "\n" if "Bootbank" in result.reason else ""
        return self._saved(result.target or "/bootbank")

    def _saved(self, target: str) -> str:
        t = self.host.clock
        return f"Saving current state in {target}\nClock updated.\nTime: {t:%H:%M:%S}   Date: {t:%m/%d/%Y}   UTC\n"

    def _tar(self, args: list[str]) -> str:
        """busybox tar: list, extract, create (esxistate.tarcmd)."""
        if not args:
            raise _Usage("tar -[cxtzhvO] [-X FILE] [-T FILE] [-f TARFILE] [-C DIR] [FILE]...")
        return tarcmd.tar(self, args)

    def _vim_cmd(self, args: list[str]) -> str:
        """`vim-cmd hostsvc/firmware/backup_config` and `restore_config FILE` (F43). Simplification: the real
        restore also needs maintenance mode."""
        if args[:1] == ["hostsvc/firmware/backup_config"]:
            try:
                path = self.host.backup_config()
            except EsxiStateError as err:
                return f"{err}\n"
            return f"Bundle can be downloaded at : http://*/downloads/{path.split('/downloads/', 1)[1]}\n"
        if args[:1] == ["hostsvc/firmware/restore_config"]:
            if len(args) < 2:
                return "Insufficient arguments.\n"
            try:
                self.host.restore_config(self.host.fs.read(self._abs(args[1])), force="1" in args[2:3])
            except EsxiStateError as err:
                return f"{type(err).__name__}: {err}\n"
            self.cwd = "/"
            return ""
        return vimcmd.run(self.host, args)

    def _crontab(self, args: list[str]) -> str:
        """`crontab -l`: busybox's crontab changes to /var/spool/cron/crontabs and runs its own cat on the file named
        after the user (miscutils/crontab.c: `bb_cat(args)` with args = {"root"}), so its errors are cat's."""
        if args[:1] != ["-l"]:
            raise _Usage("crontab [-c DIR] [-u USER] [-ler]|[FILE]")
        try:
            return self.host.fs.read_text("/var/spool/cron/crontabs/root")
        except NoSuchFile:
            return "cat: can't open 'root': No such file or directory\n"
        except IsADirectory:
            return "cat: read error: Is a directory\n"

    def _date(self, args: list[str]) -> str:
        t = self.host.clock
        return time.strftime("%a %b %e %H:%M:%S UTC %Y", t.timetuple()) + "\n"

    def _reboot(self, args: list[str]) -> str:
        """busybox's reboot applet (the 6.7 tree has no /bin/reboot file of its own). `reboot` asks init for an
        orderly reboot: the inittab shutdown lines run, among them `/bin/backup.sh 1` (F13). `reboot -f` reboots at
        once without init: no shutdown backup, like a power cut followed by a boot (F23). Neither prints anything
        in the session, which simply ends (no capture of the console output found)."""
        if any(a not in ("-f", "-n") and not a.startswith("-d") for a in args):
            raise _Usage("reboot [-d DELAY] [-n] [-f]")
        if "-f" in args:
            self.host.power_loss()
            self.cwd = "/"
            with contextlib.suppress(EsxiStateError):  # a host that cannot boot stays off; history says why
                self.host.boot()
            return ""
        self.host.reboot()
        self.cwd = "/"
        return ""

    def _poweroff(self, args: list[str]) -> str:
        self.host.shutdown()
        self.cwd = "/"
        return ""

    def _help(self, args: list[str]) -> str:
        names = sorted(n for n in self._commands if n not in ("localcli",))
        return "Built-in commands:\n------------------\n" + _columns(names, width=79, indent="\t")


COMMANDS = (
    "ls",
    "cat",
    "echo",
    "touch",
    "mkdir",
    "rm",
    "rmdir",
    "chmod",
    "cd",
    "pwd",
    "vdf",
    "esxcli",
    "tar",
    "crontab",
    "date",
    "hostname",
    "reboot",
    "poweroff",
    "auto-backup.sh",
    "backup.sh",
    "help",
    *busybox.commands(),
    "vmware",
    "vim-cmd",
)


class _BadOption(Exception):
    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    def text(self) -> str:
        return f"{self.message}\n{BUSYBOX}\n\nUsage: {self.usage}\n"


def _without_fact_ids(text: str) -> str:
    """Fact ids (F30) belong to explanations, not to what ESXi prints."""
    return re.sub(r" \(F\d+(, F\d+)*\)", "", text)


def _split_semicolons(line: str) -> list[str]:
    return _split_unquoted(line, ";")


def _filter(stage: str, text: str) -> str:
    """The few filters a student pipes into: grep [-v] [-i] PATTERN, head/tail [-n N | -N], wc -l, sort."""
    try:
        words = shlex.split(stage)
    except ValueError:
        return "sh: syntax error: unterminated quoted string\n"
    if not words:
        return 'sh: syntax error: unexpected "|"\n'
    name, args = words[0], words[1:]
    lines = text.splitlines(keepends=True)
    if name == "grep":
        if not [a for a in args if not a.startswith("-")]:
            return f"{BUSYBOX}\n\nUsage: grep [-HhnlLoqvsriwFE] [-m N] [-A/B/C N] PATTERN/-e PATTERN.../-f FILE\n"
        found = busybox.grep_text(args, text)
        return found if found is not None else f"grep: bad regex '{args[-1]}'\n"
    if name in ("head", "tail"):
        return busybox.head_tail(name, args, text)
    if name == "wc":
        return busybox.wc_counts(args, text, None)
    if name == "sort":
        return "".join(sorted(lines))
    if name in unsimulated.KNOWN:
        return unsimulated.line(name)
    return f"sh: {name}: not found\n"


def _split_unquoted(line: str, sep: str) -> list[str]:
    parts, current, quote = [], [], ""
    for ch in line:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _redirection(words: list[str]) -> tuple[list[str], tuple[str, str] | None]:
    """Split off `> FILE` or `>> FILE` (also written `>FILE`)."""
    for i, w in enumerate(words):
        for op in (">>", ">"):
            if w == op and i + 1 < len(words):
                return words[:i] + words[i + 2 :], (op, words[i + 1])
            if w.startswith(op) and len(w) > len(op) and not w.startswith(">>>"):
                return words[:i] + words[i + 1 :], (op, w[len(op) :])
    return words, None


def _parse_mode(spec: str, current: int) -> int | None:
    """chmod modes: octal (644, 1644), or symbolic +t / -t / u+x style for the common cases."""
    if spec.isascii() and spec.isdigit():
        try:
            return int(spec, 8) & 0o7777
        except ValueError:
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
        who = who or "a"
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
        if op == "+":
            mode |= bits
        elif op == "-":
            mode &= ~bits
        else:
            mode = bits
    return mode


def _columns(names: Sequence[str], width: int = 80, indent: str = "") -> str:
    """Names in columns across a terminal, as busybox `ls` prints on a tty."""
    if not names:
        return ""
    col = max(len(n) for n in names) + 2
    per_line = max(1, (width - len(indent)) // col)
    rows = -(-len(names) // per_line)
    lines = []
    for r in range(rows):
        cells = [names[c * rows + r] for c in range(per_line) if c * rows + r < len(names)]
        lines.append(indent + "".join(n.ljust(col) for n in cells).rstrip())
    return "\n".join(lines) + "\n"
