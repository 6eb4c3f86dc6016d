"""What the ESXi shell's commands print alike: busybox's banner and usage block, its option errors, the errno words
of a refused call, ls's columns, esxcli's tables, structures and error blocks, and the rule that fact ids stay out
of ESXi's own words. Defined here once so every command prints them the same way.

>>> print(table(["Name", "Size"], [["s.v00", "1024"], ["vmx.v00", "88"]], left={0}), end="")
Name     Size
-------  ----
s.v00    1024
vmx.v00    88
>>> without_fact_ids("VIB esx-ui cannot be removed live (F30)")
'VIB esx-ui cannot be removed live'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import EsxiStateError

__all__ = [
    "BUSYBOX",
    "BadOption",
    "Usage",
    "columns",
    "errno",
    "esxcli_error",
    "fields",
    "option",
    "strict_flags",
    "table",
    "usage",
    "without_fact_ids",
]

BUSYBOX = "BusyBox v1.29.3 (2019-01-29 15:36:05 PST) multi-call binary."
_REFER = " Please refer to the log file for more details.\n"


class Usage(Exception):
    """A command was called wrongly: the shell prints its usage, as busybox does (`usage(text)`)."""


def usage(text: str) -> str:
    """busybox's answer to a wrong call: its banner, a blank line, `Usage: ...`."""
    return f"{BUSYBOX}\n\nUsage: {text}\n"


class BadOption(Exception):
    """An option the command does not know: busybox names it, then prints the usage."""

    def __init__(self, message: str, usage_line: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage_line

    def text(self) -> str:
        return f"{self.message}\n{usage(self.usage)}"


def strict_flags(args: list[str], allowed: str, command: str, usage_line: str) -> tuple[set[str], list[str]]:
    """Single-letter flags from `allowed` and the other words; any other option raises `BadOption` with busybox's
    words (`ls: invalid option -- 'z'`, `ls: unrecognized option '--x'`)."""
    flags: set[str] = set()
    rest = []
    for arg in args:
        if arg.startswith("--") and arg != "--":
            raise BadOption(f"{command}: unrecognized option '{arg}'", usage_line)
        if arg.startswith("-") and len(arg) > 1:
            for ch in arg[1:]:
                if ch not in allowed:
                    raise BadOption(f"{command}: invalid option -- '{ch}'", usage_line)
                flags.add(ch)
        else:
            rest.append(arg)
    return flags, rest


def errno(err: EsxiStateError) -> str:
    """The errno words a shell prints for a refused call (`No such file or directory`), else the error's sentence."""
    return err.errno_text or str(err)


def without_fact_ids(text: str) -> str:
    """Fact ids (F30) belong to explanations, not to what ESXi prints."""
    return re.sub(r" \(F\d+(, F\d+)*\)", "", text)


def columns(names: Sequence[str], width: int = 80, indent: str = "") -> str:
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


# -- esxcli ---------------------------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: set[int]) -> str:
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


def fields(header: str | None, pairs: list[tuple[str, str]]) -> str:
    """esxcli's structure output: an optional header line, then `   Key: value` lines."""
    lines = [header] if header is not None else []
    lines += [f"   {k}: {v}" for k, v in pairs]
    return "\n".join(lines) + "\n"


def option(args: list[str], *names: str) -> str | None:
    """The value of `-n X`, `--name X` or `--name=X`."""
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


def esxcli_error(kind: str, *lines: str) -> str:
    """esxcli's error block for a failed software command: ` [Kind]`, each line indented by one space, then the
    pointer to the log (esximage's exception names as esxcli prints them; background knowledge, not verified
    captures).

    >>> print(esxcli_error("NoMatchError", "No VIB matching VIB search specification 'x'."), end="")
     [NoMatchError]
     No VIB matching VIB search specification 'x'.
     Please refer to the log file for more details.
    """
    return f" [{kind}]\n" + "".join(f" {line}\n" for line in lines) + _REFER
