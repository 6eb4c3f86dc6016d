"""A state.tgz opened in memory (F17, F36): its one member local.tgz and the etc/... files inside it."""

from __future__ import annotations

from esxistate.sizes import readable as _size

from ..entry import mode_string
from ..statearchive import StateArchive
from .dot import MONO, Diagram, _e, _font, _label, _new
from .palette import ARCHIVE, PAPER

__all__ = ["state_archive"]


def state_archive(sa: StateArchive) -> Diagram:
    """A state.tgz opened in memory: its one member local.tgz and the etc/... files inside (F17), or the 7.0 U2+
    encrypted layout (F36)."""
    g = _new("state_archive", sa.name, "state.tgz → local.tgz → etc/…", rankdir="LR")
    members = _e(", ".join(sorted(sa.members)))
    g.node("state.tgz", _label(f"<B>{_e(sa.name)}</B>", members), shape="box3d", style="filled", fillcolor=ARCHIVE)
    if sa.encrypted:
        g.node("inner", "local.tgz.ve: encrypted,\\nthe key is sealed in the host's TPM", shape="box", style="dashed")
        g.edge("state.tgz", "inner")
        g.rows.append(("local.tgz.ve", "encrypted"))
        return g
    rows = []
    for name, entry in sorted(sa.files.items()):
        rows.append(
            f'<TR><TD ALIGN="LEFT">{_font(_e(mode_string(entry)), face=MONO)}</TD>'
            f'<TD ALIGN="LEFT">{_font(_e(name), face=MONO)}</TD><TD ALIGN="RIGHT">{_e(_size(entry.size))}</TD></TR>'
        )
        g.rows.append((name, f"{mode_string(entry)} {_size(entry.size)}"))
    g.node(
        "local.tgz",
        f'<<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{PAPER}">'
        f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="{ARCHIVE}"><B>local.tgz</B>: {len(rows)} files</TD></TR>'
        f"{''.join(rows)}</TABLE>>",
        shape="plain",
    )
    g.edge("state.tgz", "local.tgz", label=" its one member ")
    return g
