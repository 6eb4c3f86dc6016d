"""BootConfig: read and write boot.cfg in ESXi's own grammar, without losing a byte.

boot.cfg is the small text file on each boot bank that tells the boot loader what to boot. Two parts of the loader
read the same file: "safeboot" reads only `build=`, `updated=` and `bootstate=` to choose which bank to boot (F4),
then "mboot" reads `kernel=`, `kernelopt=`, `modules=` and the rest of that bank's file to load the image (F2).
Each ignores the keys that belong to the other. The grammar (F1): one KEY=VALUE per line; blanks at either end and
around the `=` do not count; a line starting with `#` is a comment; keys match without regard to case; a key the
loader does not know is skipped, and whatever rewrites the file must keep it unchanged. `kernel=` is the only key
that must be there (F2). `modules=` lists the module files, split on three hyphens `---` (F3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .display import DrawsItself
from .errors import BadBootConfig

__all__ = ["INTEGER_KEYS", "MAX_LINE_BYTES", "BootConfig", "is_vmkernel_module"]

INTEGER_KEYS = frozenset(
    {
        # mboot (F2; ESXBOOT mboot/config.c declares these INT, `skip` among them)
        "timeout",
        "nobootif",
        "noquirks",
        "norts",
        "runtimewd",
        "runtimewdtimeout",
        "tftpblksize",
        "skip",
        "errtimeout",
        # safeboot (F4; ESXBOOT safeboot/config.c)
        "updated",
        "bootstate",
        "quickboot",
    }
)
"""Keys whose value must be a whole number; any other value is a syntax error for the loader (F2)."""

MAX_LINE_BYTES = 64 * 1024
"""Longest line we accept, in UTF-8 bytes: a guard against hostile input. Real modules= lines are a few KB."""

_BLANKS = " \t\n\v\f\r"  # C isspace(): what the loader treats as blank
_SPLIT_NAME = re.compile(r"[ \t\n\v\f\r]+")
_NUMBER = re.compile(r"-?[0-9]*")  # the loader's is_number(): an optional '-', then only digits
_INT32 = (-(2**31), 2**31 - 1)  # the loader keeps these values in a C int
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_VALUE_LINE = re.compile(r"(?P<head>[^=]*=[ \t\v\f\r]*)(?P<value>.*?)(?P<tail>[ \t\v\f\r]*)", re.DOTALL)


def _fold(key: str) -> str:
    """A key as the loader compares it: ASCII letters case-insensitive (strncasecmp), everything else as is."""
    return key.translate(_LOWER)


def _split_lines(text: str) -> list[str]:
    """Lines with their '\\n' kept. Only '\\n' ends a line, as in the loader; a '\\r' before it is a blank."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _split_eol(raw: str) -> tuple[str, str]:
    for eol in ("\r\n", "\n"):
        if raw.endswith(eol):
            return raw[: -len(eol)], eol
    return raw, ""


def _shown(body: str) -> str:
    """A line short enough to quote in an error message."""
    return body if len(body) <= 80 else body[:77] + "..."


def _parse_line(number: int, raw: str) -> tuple[str, str] | None:
    """(folded key, value) of one line, None for a comment or a blank line; BadBootConfig when it is broken."""
    body = raw[:-1] if raw.endswith("\n") else raw
    if len(body) > MAX_LINE_BYTES // 4 and len(body.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES:
        why = f"the line is longer than {MAX_LINE_BYTES} bytes; real boot.cfg lines are a few KB at most"
        raise BadBootConfig(why, number, _shown(body))
    stripped = body.strip(_BLANKS)
    if not stripped or stripped.startswith("#"):
        return None
    key, sep, value = stripped.partition("=")
    if not sep:
        raise BadBootConfig("syntax error: boot.cfg lines are KEY=VALUE, and this one has no '='", number, body)
    key = _fold(key.rstrip(_BLANKS))
    value = value.lstrip(_BLANKS)
    if not key:
        raise BadBootConfig("syntax error: there is no key before the '='", number, body)
    if key in INTEGER_KEYS and value:
        if not _NUMBER.fullmatch(value):
            raise BadBootConfig(f"syntax error: {key}= must be a whole number, not {value!r}", number, body)
        if len(value) > 11 or not _INT32[0] <= _to_int(value) <= _INT32[1]:
            raise BadBootConfig(f"{key}= is too large for the loader, which keeps it in a 32-bit int", number, body)
    return key, value


def _to_int(value: str) -> int:
    """What the loader's atoi() makes of a value is_number() accepted: '' and a lone '-' are 0."""
    return int(value) if value not in ("", "-") else 0


def _module_options(value: str) -> tuple[tuple[str, str], ...]:
    """F3: split on '---', trim each item, skip empty ones; the name ends at the first blank, options follow."""
    out = []
    for item in value.split("---"):
        item = item.strip(_BLANKS)
        if item:
            name, *options = _SPLIT_NAME.split(item, maxsplit=1)
            out.append((name, options[0] if options else ""))
    return tuple(out)


def _check_value(key: str, value: str | int) -> str:
    """`value` as it will be written after `key=`: one line, no NUL, surrounding blanks dropped (F1 ignores them)."""
    text = str(int(value)) if isinstance(value, int) else value
    if not isinstance(text, str):
        raise TypeError(f"a boot.cfg value is a str or an int, not {type(value).__name__}")
    if "\n" in text or "\x00" in text:
        raise BadBootConfig(f"the value for {key}= must fit on one line and hold no NUL byte: {_shown(text)!r}")
    return text.strip(_BLANKS)


def _modules_value(names: Iterable[str | tuple[str, str]]) -> str:
    """The value of a modules= line: items joined by ' --- ', as real files write them (F3)."""
    items = []
    for entry in names:
        item = " ".join(part for part in entry if part) if isinstance(entry, tuple) else entry
        item = _check_value("modules", item)
        if not item or "---" in item:
            raise BadBootConfig(f"{item!r} cannot be a module: a name is not empty and holds no '---' (F3)")
        items.append(item)
    return " --- ".join(items)


@dataclass(frozen=True, slots=True)
class BootConfig(DrawsItself):
    """One boot.cfg file: its lines kept verbatim, so `dumps()` gives back the exact text, with the keys indexed.

    Build one with `BootConfig.parse(text)` or `BootConfig.new(...)` (the constructor trusts its arguments).
    It is immutable: `with_value`, `with_modules`, `with_bootstate`, ... return a changed copy. Two configs are
    equal when their text is equal.

    When a key is written twice, the last line wins, as in the loader, which simply overwrites the value each time
    it meets the key again. Where we simplify: the loader also squeezes runs of blanks inside a value into one space;
    we return values as written (only the blanks at either end removed).
    """

    _bundle = "bootconfig_bundle"

    lines: tuple[str, ...]  # each line verbatim, with its own end of line ("\n", "\r\n", or none on the last)
    _index: dict[str, tuple[int, str]] = field(repr=False, compare=False)  # folded key -> (line, value); last wins
    _modules: tuple[tuple[str, str], ...] = field(repr=False, compare=False)

    # -- reading and writing text ----------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> BootConfig:
        """Read boot.cfg text, or raise `BadBootConfig` naming the line the loader would refuse.

        Refused: a line that is not blank, not a `#` comment and has no `=`; an integer key (`INTEGER_KEYS`) whose
        value is not a whole number (F2); a file without `kernel=` or with an empty one ("kernel=<FILEPATH> must
        be set", mboot's own words). An empty value is allowed (the loader reads it as "not set" for a text key
        and as 0 for a number). `bootstate` outside 0..3 is accepted: safeboot counts such a bank as undefined
        and skips it (F5).

        Where we are stricter than ESXi: mboot skips a line without `=` (we refuse it, it is almost always a typo)
        and lets a NUL byte end a line early (we refuse text holding one); we also refuse lines over 64 KiB.
        """
        if not isinstance(text, str):
            raise TypeError(f"BootConfig.parse takes text (str), not {type(text).__name__}; decode bytes first")
        nul = text.find("\x00")
        if nul >= 0:
            raise BadBootConfig("the text holds a NUL byte, so it is not a text file", text.count("\n", 0, nul) + 1)
        lines = _split_lines(text)
        index: dict[str, tuple[int, str]] = {}
        for number, raw in enumerate(lines, start=1):
            parsed = _parse_line(number, raw)
            if parsed is not None:  # a repeated key keeps its first place in keys() and takes the later value
                index[parsed[0]] = (number - 1, parsed[1])
        if not index.get("kernel", (0, ""))[1]:
            raise BadBootConfig("kernel=<FILEPATH> must be set: mboot needs the file of the kernel it boots (F2)")
        return cls(tuple(lines), index, _module_options(index.get("modules", (0, ""))[1]))

    @classmethod
    def new(
        cls,
        *,
        kernel: str,
        modules: Iterable[str | tuple[str, str]],
        build: str = "",
        updated: int = 0,
        bootstate: int = 0,
        kernelopt: str = "",
        title: str = "Loading VMware ESXi",
        timeout: int = 5,
        prefix: str = "",
    ) -> BootConfig:
        """A fresh boot.cfg as an installed host has it: the keys in the order of samples S1 and S2.

        `modules` are file names in load order (the kernel is not one of them: it is module 0, F3); an item may be
        a (name, options) pair. The text ends with a newline; `prefix=` stays empty, meaning "the directory that
        holds boot.cfg" (F1).
        """
        values = {
            "bootstate": bootstate,
            "title": title,
            "timeout": timeout,
            "prefix": prefix,
            "kernel": kernel,
            "kernelopt": kernelopt,
            "modules": _modules_value(modules),
            "build": build,
            "updated": updated,
        }
        return cls.parse("".join(f"{key}={_check_value(key, value)}\n" for key, value in values.items()))

    def dumps(self) -> str:
        """The file's text, byte for byte as it was parsed (plus any changes made with the `with_*` methods)."""
        return "".join(self.lines)

    def __str__(self) -> str:
        return self.dumps()

    def __repr__(self) -> str:
        count = len(self._modules)
        return (
            f"BootConfig(kernel={self.kernel!r}, {count} module{'' if count == 1 else 's'}, build={self.build!r}, "
            f"updated={self.updated}, bootstate={self.bootstate})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BootConfig):
            return NotImplemented
        return self.dumps() == other.dumps()

    def __hash__(self) -> int:
        return hash(self.dumps())

    # -- values ----------------------------------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value written for `key` (any case; the last line wins), or `default` when no line sets it.

        A key written with nothing after the `=` gives "" (not `default`).
        """
        found = self._index.get(_fold(key))
        return found[1] if found is not None else default

    def keys(self) -> tuple[str, ...]:
        """Every key the file sets, lower-case, in the order each first appears (unknown keys included)."""
        return tuple(self._index)

    def _int(self, key: str, default: int) -> int:
        value = self.get(key)
        return default if value is None else _to_int(value)

    @property
    def kernel(self) -> str:
        """The kernel file, module 0 (F2, F3): `b.b00` on an installed host."""
        return self.get("kernel", "") or ""

    @property
    def kernelopt(self) -> str:
        """Options mboot appends to the kernel command line (F2); "" when there are none."""
        return self.get("kernelopt", "") or ""

    @property
    def modules(self) -> tuple[str, ...]:
        """The module file names in load order, after the kernel (F3). Boot modules (`.b00`), tardisks and the
        option archives alike: `jumpstrt.gz`, ..., `imgdb.tgz`, `state.tgz` on an installed host (S1, S2)."""
        return tuple(name for name, _options in self._modules)

    @property
    def module_options(self) -> tuple[tuple[str, str], ...]:
        """(file name, options) for each module, in order; options are "" when none follow the name (F3).

        Real files almost never give a module options. We split on every `---` and drop the empty items; the
        loader's own scanner has a quirk or two with odd spacing (such as `------`) that we do not copy.
        """
        return self._modules

    @property
    def title(self) -> str:
        """The banner the loader shows while it loads ("Loading VMware ESXi")."""
        return self.get("title", "") or ""

    @property
    def prefix(self) -> str:
        """Directory for relative module names; "" (also `prefix=` with no value) means the directory holding
        boot.cfg, the boot bank itself (F1, F2)."""
        return self.get("prefix", "") or ""

    @property
    def timeout(self) -> int:
        """Seconds the loader waits before it boots (5 when the key is absent; `timeout=` with no value is 0, as the
        loader reads an empty number)."""
        return self._int("timeout", 5)

    @property
    def build(self) -> str:
        """The image build, e.g. `7.0.0-1.25.16324942`; safeboot will not boot a bank whose build is empty (F5)."""
        return self.get("build", "") or ""

    @property
    def updated(self) -> int:
        """The bank's update counter: safeboot boots the eligible bank with the highest one (F7). Default 0."""
        return self._int("updated", 0)

    @property
    def bootstate(self) -> int:
        """Safeboot's state of this bank (F5): 0 VALID, 1 UPGRADING, 2 DIRTY, 3 INVALID; any other number is
        returned as written, and safeboot treats it as undefined. Default 0."""
        return self._int("bootstate", 0)

    # -- changed copies --------------------------------------------------------------------------------------------

    def with_value(self, key: str, value: str | int) -> BootConfig:
        """A copy with `key` set to `value`.

        The last line that sets `key` is rewritten in place: its spelling of the key, its blanks and its end of line
        stay, only the value changes. So changing `bootstate=0` to 1 changes exactly one character, as safeboot
        does when it rewrites the digit in place (F6). When no line sets `key`, `key=value` is appended on a line of
        its own, ended the way the file's lines are ended. Raises `BadBootConfig` if the result would not parse.
        """
        folded = _fold(key.strip(_BLANKS)) if isinstance(key, str) else ""
        if not folded or any(c in folded for c in "=#\x00" + _BLANKS):
            raise BadBootConfig(f"{key!r} is not a boot.cfg key: a key is a single word with no '=' or '#'")
        text = _check_value(folded, value)
        lines = list(self.lines)
        found = self._index.get(folded)
        if found is not None:
            body, eol = _split_eol(lines[found[0]])
            match = _VALUE_LINE.fullmatch(body)
            assert match is not None  # every indexed line holds an '='
            lines[found[0]] = f"{match['head']}{text}{match['tail']}{eol}"
        else:
            eol = next((e for e in (_split_eol(raw)[1] for raw in lines) if e), "\n")
            if lines and not _split_eol(lines[-1])[1]:
                lines[-1] += eol
            lines.append(f"{key.strip(_BLANKS)}={text}{eol}")
        return BootConfig.parse("".join(lines))

    def with_modules(self, names: Iterable[str | tuple[str, str]]) -> BootConfig:
        """A copy whose modules= line lists `names` in that order, written with ' --- ' between them (F3).

        An item may be a (name, options) pair, as `module_options` gives them, so options can be kept.
        """
        return self.with_value("modules", _modules_value(names))

    def with_bootstate(self, state: int) -> BootConfig:
        """A copy with `bootstate=` set (F5: 0 VALID, 1 UPGRADING, 2 DIRTY, 3 INVALID)."""
        return self.with_value("bootstate", int(state))

    def with_updated(self, updated: int) -> BootConfig:
        """A copy with the `updated=` counter set (F7)."""
        return self.with_value("updated", int(updated))

    def with_build(self, build: str) -> BootConfig:
        """A copy with `build=` set, e.g. after an upgrade wrote a new image to the bank."""
        return self.with_value("build", build)


_VMKERNEL_SIDE = re.compile(r"(\.gz|\.b\d\d)$")


def is_vmkernel_module(name: str) -> bool:
    """True for modules the boot loader hands to the VMkernel (kernel-side `.b00` payloads and the `.gz` option
    files, F10, F11); every other module of boot.cfg is a tardisk that VisorFS mounts."""
    return bool(_VMKERNEL_SIDE.search(name))
