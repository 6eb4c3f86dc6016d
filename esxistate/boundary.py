"""The edge of the engine: every public operation checks its arguments here before it touches the host.

A wrong type, a number out of range or text that cannot be stored raises a typed error from esxistate.errors with
a sentence a student can act on. `Host` wraps each operation in its all-or-nothing guard (`Host._atomic`): any
exception inside, not only an EsxiStateError, puts the host back as it was, and an unexpected one surfaces as
`InternalError`. So a caller sees either success or a typed error, never a half-changed host.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from .errors import InvalidPath, InvalidValue, NameTooLong

__all__ = [
    "NAME_MAX",
    "PATH_MAX",
    "SHELL_LINE_MAX",
    "check_bool",
    "check_bundle",
    "check_duration",
    "check_mode",
    "check_path",
    "check_shell_line",
    "check_step",
    "check_text",
    "printable",
]

PATH_MAX = 4096  # Linux's limits.h, which busybox on ESXi is built against: a path of 4096 bytes or more is refused
NAME_MAX = 255  # ... and so is one component longer than 255 bytes (ENAMETOOLONG, "File name too long")
SHELL_LINE_MAX = 65_536
"""The simulator's own cap on one shell line, in characters. Real ESXi has no single figure to copy: busybox ash
reads a line of any length, and the kernel refuses an exec whose one argument passes 128 KiB ("Argument list too
long"). We stop at 64 KiB so that no line can stall a lesson; the shell says so in its own words."""


def check_path(path: Any) -> str:
    """`path` as given, once it is text a file system can store: a str, valid Unicode (no lone surrogates, which
    cannot be written as UTF-8), within PATH_MAX and NAME_MAX. Absolute form and NUL are checked by `layers.norm`."""
    if not isinstance(path, str):
        raise InvalidPath(printable(repr(path)), f"a path is text, like '/etc/hosts', not {type(path).__name__}")
    try:
        raw = path.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidPath(
            printable(path), "it holds a character that cannot be written as UTF-8 (a lone surrogate)"
        ) from None
    if len(raw) >= PATH_MAX:
        raise NameTooLong(printable(path[:60]) + "...", f"a path must be shorter than {PATH_MAX} bytes")
    if len(raw) > NAME_MAX and max(map(len, raw.split(b"/"))) > NAME_MAX:
        raise NameTooLong(printable(path[:60]) + "...", f"one name in a path may have at most {NAME_MAX} bytes")
    return path


def check_mode(mode: Any, *, optional: bool = False) -> int | None:
    """Permission bits as an int from 0 to 0o7777 (sticky bit included), as chmod(2) takes them."""
    if mode is None and optional:
        return None
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777:
        raise InvalidValue(
            "a file mode", mode, "give the permission bits as a number from 0 to 0o7777, like 0o644 or 0o1644"
        )
    return mode


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(name, value, "give True or False")
    return value


def check_text(name: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidValue(name, value, f"give text (a str), not {type(value).__name__}")
    return value


def check_step(value: Any) -> str | None:
    """A fault-injection step: None or the name of a step."""
    return check_text("power_loss_after", value, optional=True)


def check_bundle(value: Any) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise InvalidValue(
            "a configuration bundle",
            value,
            "give the bytes of a configBundle.tgz, e.g. host.fs.read(path) or open(path, 'rb').read()",
        )
    return bytes(value)


def check_duration(clock: datetime, hours: Any, minutes: Any) -> timedelta:
    """How far `advance` moves the clock: finite, non-negative numbers of hours and minutes that keep the clock
    before the year 10000 (Python's datetime ends there)."""
    for name, value in (("hours", hours), ("minutes", minutes)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidValue("advance", value, f"{name} must be a number, like 1 or 0.5")
        if not math.isfinite(value):
            raise InvalidValue("advance", value, f"{name} must be a finite number")
        if value < 0:
            raise InvalidValue("advance", f"{hours}h{minutes}m", "the clock only moves forward")
    try:
        step = timedelta(hours=hours, minutes=minutes)
        clock + step
    except OverflowError:
        raise InvalidValue("advance", f"{hours}h{minutes}m", "the clock cannot go past the year 9999") from None
    return step


def check_shell_line(line: Any) -> str:
    if not isinstance(line, str):
        raise InvalidValue("a shell command line", line, f"give text (a str), not {type(line).__name__}")
    return line


def printable(text: str) -> str:
    """`text` with anything UTF-8 cannot carry (lone surrogates from undecodable bytes) shown as a \\udcxx escape,
    so it can be printed, written to a file or put in a diagram."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
