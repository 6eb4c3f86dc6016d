"""BootConfig: parse and write boot.cfg in ESXi's own grammar, losslessly.

boot.cfg sits on each boot bank and tells the boot loader what to load. Two parts of the loader read the same
file: "safeboot" reads `build=`, `updated=` and `bootstate=` to pick a bank (F4), then "mboot" reads `kernel=`,
`kernelopt=`, `modules=` and the rest to load the image (F2). The grammar (F1): one KEY=VALUE per line, blanks
around the `=` and at either end ignored, `#` lines are comments, keys match case-insensitively, unknown keys are
ignored by the loader and must be kept verbatim by anything that rewrites the file. `modules=` separates file names
with `---` (F3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import BadBootConfig

__all__ = ["INTEGER_KEYS", "BootConfig"]

INTEGER_KEYS = frozenset(
    {
        "timeout",
        "updated",
        "bootstate",
        "quickboot",
        "nobootif",
        "noquirks",
        "norts",
        "runtimewd",
        "runtimewdtimeout",
        "tftpblksize",
        "errtimeout",
    }
)
MAX_LINE = 64 * 1024  # a guard against hostile input; real modules= lines are a few KB
_NEWLINES = ("\r\n", "\n", "\r")


def _split_eol(line: str) -> tuple[str, str]:
    for eol in _NEWLINES:
        if line.endswith(eol):
            return line[: -len(eol)], eol
    return line, ""


@dataclass(frozen=True, slots=True)
class _Line:
    raw: str  # the line with its end-of-line, verbatim
    key: str | None  # lower-cased key, None for comments and blank lines
    value: str = ""


@dataclass(frozen=True, slots=True)
class BootConfig:
    """A boot.cfg file: its lines kept verbatim (so `dumps()` gives back the exact text), with the keys parsed.

    When a key appears twice the last one wins, as in the loader's parser. Equality is equality of the text.
    """

    lines: tuple[_Line, ...] = field(repr=False)

    # -- reading text ---------------------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> BootConfig:
        """Parse boot.cfg text; BadBootConfig (naming the line) when the loader would refuse it."""
        if not isinstance(text, str):
            raise BadBootConfig("boot.cfg must be text")
        if "\x00" in text:
            raise BadBootConfig("the file contains a NUL byte: it is not a text file")
        lines: list[_Line] = []
        for number, raw in enumerate(text.splitlines(keepends=True), start=1):
            body, _eol = _split_eol(raw)
            if len(body) > MAX_LINE:
                raise BadBootConfig(f"the line is longer than {MAX_LINE} characters", number, body[:40] + "...")
            stripped = body.strip()
            if not stripped or stripped.startswith("#"):
                lines.append(_Line(raw, None))
                continue
            if "=" not in stripped:
                raise BadBootConfig("syntax error: expected KEY=VALUE", number, body)
            key, value = stripped.split("=", 1)
            key = key.strip().lower()
            value = value.strip()
            if not key:
                raise BadBootConfig("syntax error: a line starts with '='", number, body)
            if key in INTEGER_KEYS and value and not _is_int(value):
                raise BadBootConfig(f"{key}= must be a number", number, body)
            lines.append(_Line(raw, key, value))
        config = cls(tuple(lines))
        if not config.get("kernel"):
            raise BadBootConfig("kernel=<FILEPATH> must be set")
        return config

    def dumps(self) -> str:
        return "".join(line.raw for line in self.lines)

    def __str__(self) -> str:
        return self.dumps()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BootConfig) and self.dumps() == other.dumps()

    def __hash__(self) -> int:
        return hash(self.dumps())

    # -- values ---------------------------------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        """The raw value of `key` (case-insensitive; the last occurrence wins), or `default`."""
        k = key.lower()
        for line in reversed(self.lines):
            if line.key == k:
                return line.value
        return default

    def keys(self) -> list[str]:
        seen: list[str] = []
        for line in self.lines:
            if line.key is not None and line.key not in seen:
                seen.append(line.key)
        return seen

    def _int(self, key: str, default: int) -> int:
        value = self.get(key)
        return int(value) if value not in (None, "") else default

    @property
    def kernel(self) -> str:
        return self.get("kernel") or ""

    @property
    def kernelopt(self) -> str:
        return self.get("kernelopt", "") or ""

    @property
    def title(self) -> str:
        return self.get("title", "") or ""

    @property
    def prefix(self) -> str:
        """The directory for relative names; empty means "the directory that holds boot.cfg" (F1)."""
        return self.get("prefix", "") or ""

    @property
    def timeout(self) -> int:
        return self._int("timeout", 5)

    @property
    def build(self) -> str:
        return self.get("build", "") or ""

    @property
    def updated(self) -> int:
        return self._int("updated", 0)

    @property
    def bootstate(self) -> int:
        return self._int("bootstate", 0)

    @property
    def module_options(self) -> tuple[tuple[str, str], ...]:
        """(file name, options) for each module, in order (F3: split on `---`, trim, skip empty items)."""
        out = []
        for item in (self.get("modules", "") or "").split("---"):
            item = item.strip()
            if not item:
                continue
            name, _, options = item.partition(" ")
            if "\t" in name:
                name, _, rest = name.partition("\t")
                options = (rest + " " + options).strip()
            out.append((name, options.strip()))
        return tuple(out)

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.module_options)

    # -- changed copies -------------------------------------------------------------------------------------------

    def with_value(self, key: str, value: object) -> BootConfig:
        """A copy with `key` set: its last line rewritten in place (keeping the key's spelling), else appended."""
        k = key.lower()
        text = str(value)
        if "\n" in text or "\r" in text:
            raise BadBootConfig(f"a value for {key}= cannot span lines")
        if k in INTEGER_KEYS and text and not _is_int(text):
            raise BadBootConfig(f"{key}= must be a number")
        lines = list(self.lines)
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].key == k:
                body, eol = _split_eol(lines[i].raw)
                written_key = body.split("=", 1)[0]
                lines[i] = _Line(f"{written_key}={text}{eol}", k, text.strip())
                return BootConfig(tuple(lines))
        if lines and not _split_eol(lines[-1].raw)[1]:
            last = lines[-1]
            lines[-1] = _Line(last.raw + "\n", last.key, last.value)
        lines.append(_Line(f"{key}={text}\n", k, text.strip()))
        return BootConfig(tuple(lines))

    def with_modules(self, names: Iterable[str]) -> BootConfig:
        """A copy whose modules= line lists `names`, written with ' --- ' between them (F3)."""
        return self.with_value("modules", " --- ".join(names))

    def with_bootstate(self, state: int) -> BootConfig:
        return self.with_value("bootstate", int(state))

    def with_updated(self, updated: int) -> BootConfig:
        return self.with_value("updated", int(updated))

    def with_build(self, build: str) -> BootConfig:
        return self.with_value("build", build)

    @classmethod
    def new(
        cls,
        *,
        kernel: str,
        modules: Iterable[str],
        build: str = "",
        updated: int = 0,
        bootstate: int = 0,
        kernelopt: str = "",
        title: str = "Loading VMware ESXi",
        timeout: int = 5,
        prefix: str = "",
    ) -> BootConfig:
        """A fresh boot.cfg with the key order of installed hosts (samples S1, S2)."""
        text = (
            f"bootstate={bootstate}\ntitle={title}\ntimeout={timeout}\nprefix={prefix}\nkernel={kernel}\n"
            f"kernelopt={kernelopt}\nmodules={' --- '.join(modules)}\nbuild={build}\nupdated={updated}\n"
        )
        return cls.parse(text)

    def __repr__(self) -> str:
        return (
            f"BootConfig(kernel={self.kernel!r}, {len(self.modules)} modules, build={self.build!r}, "
            f"updated={self.updated}, bootstate={self.bootstate})"
        )


def _is_int(value: str) -> bool:
    v = value.strip()
    if v.startswith(("-", "+")):
        v = v[1:]
    return v.isdigit() and v.isascii()
