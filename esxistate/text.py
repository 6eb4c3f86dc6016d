"""Text that fits a lesson's column: long lines wrapped at spaces, never inside a word.

A notebook shows printed text in a column about 100 characters wide; JupyterLab breaks a longer line wherever the
column ends, often inside a word. `wrap` breaks it at a space instead and indents the continuation, so a reader
sees where a line goes on. The content is unchanged apart from the line breaks (a real terminal would wrap the same
line too).

    >>> from esxistate.text import wrap
    >>> print(wrap("modules=" + " --- ".join(["k.b00"] * 20), width=40))
    modules=k.b00 --- k.b00 --- k.b00 ---
        k.b00 --- k.b00 --- k.b00 --- k.b00
        --- k.b00 --- k.b00 --- k.b00 ---
        k.b00 --- k.b00 --- k.b00 --- k.b00
        --- k.b00 --- k.b00 --- k.b00 ---
        k.b00 --- k.b00 --- k.b00
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["WIDTH", "too_wide", "wrap"]

WIDTH = 100  # a lesson's text column

_HANG = re.compile(r"\s*(?:\d+\. |[A-Z]\) |\[root@[^\]]*\] )?")


def too_wide(text: str, width: int = WIDTH) -> bool:
    return any(len(line) > width for line in text.splitlines())


def wrap(text: str, width: int = WIDTH, indent: str | None = None) -> str:
    """`text` with each line longer than `width` wrapped at spaces. The continuation is indented by `indent`, or,
    when None, under the line's text (a numbered step "3. ..." or a prompt keeps the margin to itself), else four
    spaces in from the line's own indent. Words are never cut; a word longer than `width` stays whole on its line."""
    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        if indent is None:
            lead = _HANG.match(line)
            marker = lead.group(0) if lead else ""
            hang = " " * len(marker) if marker.strip() else marker + "    "
        else:
            hang = indent
        out.append(textwrap.fill(line, width, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
