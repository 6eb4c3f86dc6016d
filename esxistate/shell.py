"""An ESXi shell over a simulated host: the busybox commands and esxcli namespaces a student types first.

`Shell(host).run("vdf -h")` returns the text a real ESXi shell prints, errors included (`cat: can't open 'x': No
such file or directory`, `sh: foo: not found`); it never raises. The shell only parses: every effect is a call into
the engine (`host.fs`, `host.backup()`, `host.install_vib()`, ...), so the rules live in one place.

This module is the shell itself: it splits a line at `;` and `|`, reads quotes and `>`/`>>`, finds the command
and runs it, undoing a command that fails with a bug. The commands live in modules named for what they hold:
esxistate.filecmds (ls, cat, echo, rm, chmod, ...), busybox (cp, mv, du, find, grep, ...), tarcmd, visorfscmd
(vdf and the VisorFS tables), esxcli and vibcmd, backupcmd (auto-backup.sh, backup.sh, crontab, reboot), vimcmd,
sysinfo (uname, date, df, ...); what several of them print alike is in esxistate.shelltext.

Formats: busybox's `ls -l` and `tar tv` lines, `vdf -h` and the esxcli tables of ESXI-FACTS.md samples S3-S7.
Where a format is background knowledge rather than a verified sample (the esxcli error words, auto-backup.sh's
messages), the docstring of the command says so.
"""

from __future__ import annotations

import functools
import posixpath
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import backupcmd, busybox, esxcli, filecmds, sysinfo, tarcmd, unsimulated, vimcmd, visorfscmd
from .boundary import SHELL_LINE_MAX, printable
from .errors import EsxiStateError, HostPoweredOff, InternalError
from .shelltext import BUSYBOX, BadOption, Usage, columns, usage, without_fact_ids

if TYPE_CHECKING:
    from .host import Host

__all__ = ["BUSYBOX", "Shell"]

Command = Callable[["Shell", list[str]], str]


def _commands() -> dict[str, Command]:
    """Every command the shell runs, by the word a student types, and the module that holds it."""
    return {
        "ls": filecmds.ls,
        "cat": filecmds.cat,
        "echo": filecmds.echo,
        "touch": filecmds.touch,
        "mkdir": filecmds.mkdir,
        "rm": filecmds.rm,
        "rmdir": filecmds.rmdir,
        "chmod": filecmds.chmod,
        "cd": filecmds.cd,
        "pwd": filecmds.pwd,
        "vdf": visorfscmd.vdf,
        "esxcli": esxcli.command,
        "localcli": esxcli.localcli,
        "auto-backup.sh": backupcmd.auto_backup,
        "backup.sh": backupcmd.backup_sh,
        "tar": tarcmd.tar,
        "vim-cmd": vimcmd.vim_cmd,
        "crontab": backupcmd.crontab,
        "date": sysinfo.date,
        "hostname": sysinfo.hostname,
        "uname": sysinfo.uname,
        "uptime": sysinfo.uptime,
        "ps": sysinfo.ps,
        "id": sysinfo.idcmd,
        "df": sysinfo.df,
        "reboot": backupcmd.reboot,
        "poweroff": backupcmd.poweroff,
        "help": Shell._help,
        **busybox.commands(),  # du, stat, find, diff, grep, head, tail, wc, cp, mv
        "vmware": sysinfo.vmware,
    }


class Shell:
    """One shell session on a host: a working directory and the commands below. `run(line)` returns the output.

    A command (a function of the session and its words) reads `host`, `cwd`, `absolute(path)`, `program` (the
    command word as typed, a script's $0) and `piped` (True while its output goes into a pipe)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.cwd = "/"  # root's home on ESXi is /
        self.piped = False  # busybox ls prints one name a line when its output is not a terminal
        self.program = ""
        self._commands: dict[str, Callable[[list[str]], str]] = {
            word: functools.partial(fn, self) for word, fn in _commands().items()
        }

    # -- the session ------------------------------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        where = "~" if self.cwd == "/" else self.cwd  # PS1='[\u@\h:\w] ' with HOME=/
        return f"[root@{self.host.hostname}:{where}] "

    def run(self, line: str) -> str:
        """Run one command line (`;` or a newline separates commands, `#` starts a comment) and return what the
        shell prints. A line longer than `boundary.SHELL_LINE_MAX` characters is not read (the simulator's limit, see
        there). A bug inside a command puts the host back as it was before that command and prints one line saying
        so, never a traceback."""
        if not isinstance(line, str):
            return "sh: a command line is text\n"
        if len(line) > SHELL_LINE_MAX:
            return (
                f"sh: command line too long: {len(line)} characters; this simulated shell reads at most "
                f"{SHELL_LINE_MAX}\n"
            )
        out = []
        for part in _split_unquoted(_without_comment(line), ";\n"):  # a newline ends a command, as `;` does
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
            self.piped = False
            word = part.strip().split(None, 1)[0] if part.strip() else "sh"
            return printable(f"{posixpath.basename(word)}: {InternalError(f'run {word}', err)}") + "\n"

    def _run_one(self, line: str) -> str:
        if not line.strip():
            return ""
        stages = _split_unquoted(line, "|")
        if len(stages) > 1:
            if any(not st.strip() for st in stages):
                return 'sh: syntax error: unexpected "|"\n'
            self.piped = True  # busybox ls prints one name a line when its output is not a terminal
            try:
                text = self._run_one(stages[0])
            finally:
                self.piped = False
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
        self.program = words[0]
        try:
            if redirect is not None:
                if name != "echo":
                    return f"sh: {name}: output redirection is only simulated for echo\n"
                return filecmds.echo(self, words[1:], redirect)
            return command(words[1:])
        except Usage as wrong:
            return usage(str(wrong))
        except BadOption as bad:
            return bad.text()
        except HostPoweredOff:
            return "sh: the host is powered off: boot it first\n"
        except EsxiStateError as err:  # the engine refused: say it in one line, never a traceback
            return without_fact_ids(f"{name}: {err}") + "\n"

    def _on_path(self, path: str) -> bool:
        try:
            return self.host.fs.exists(path)
        except EsxiStateError:
            return False

    def absolute(self, path: str) -> str:
        """`path` as an absolute, normalised path: a relative one is taken from the working directory."""
        p = path if path.startswith("/") else posixpath.join(self.cwd, path)
        return posixpath.normpath(p) if p != "/" else "/"

    def _help(self, args: list[str]) -> str:
        names = sorted(n for n in self._commands if n not in ("localcli",))
        return "Built-in commands:\n------------------\n" + columns(names, width=79, indent="\t")


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
            return usage("grep [-HhnlLoqvsriwFE] [-m N] [-A/B/C N] PATTERN/-e PATTERN.../-f FILE")
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


def _without_comment(line: str) -> str:
    """`line` without its comments and line continuations, as busybox ash (ESXi's shell) reads it: an unquoted `#`
    that begins a word starts a comment that runs to the end of its line (POSIX Shell Command Language 2.3, rule 9),
    and a backslash before a newline, outside single quotes, joins the two lines (2.2.1). `a#b` and `a\\ #b` are
    one word each; a quoted or escaped `#` is a `#`."""
    out: list[str] = []
    quote = ""
    word_start = True  # the next character would begin a word
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and quote != "'":
            if line.startswith("\n", i + 1):  # a continuation: both characters vanish
                i += 2
                continue
            out.append(line[i : i + 2])
            i += 2
            word_start = False
            continue
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and word_start:
            end = line.find("\n", i)
            if end < 0:
                break
            i = end  # the newline itself ends the command
            continue
        out.append(ch)
        word_start = not quote and ch in " \t\n;|&<>()"
        i += 1
    return "".join(out)


def _split_unquoted(line: str, seps: str) -> list[str]:
    """`line` cut at each unquoted character of `seps`."""
    parts, current, quote = [], [], ""
    for ch in line:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch in seps:
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
