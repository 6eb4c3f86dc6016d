"""`esxcli software vib list | get | install | remove`: the VIBs of a host as esxcli shows and changes them.

Formats: the list is sample S6 (F34); `vib get` follows published 5.5 and 7.0 captures. Installing and removing
are the engine's (`host.install_vib`, `host.remove_vib`); this module only prints the result or esxcli's error
block, whose words ([NoMatchError], [FileConflictError], ...) are esximage's exception names as esxcli prints
them: background knowledge, not verified captures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import CorruptArchive, EsxiStateError, NoSuchFile, UnsafeArchive, VibConflict, VibError, VibNotInstalled
from .shelltext import esxcli_error, fields, option, table, without_fact_ids
from .vib import Vib

if TYPE_CHECKING:
    from .host import Host
    from .shell import Shell

__all__ = ["no_match", "vib_get", "vib_install", "vib_list", "vib_remove"]


def no_match(name: str | None) -> str:
    """esxcli's error for a VIB name no installed VIB has (esximage's NoMatchError as esxcli prints it)."""
    return esxcli_error("NoMatchError", f"No VIB matching VIB search specification '{name}'.")


def vib_list(sh: Shell, args: list[str]) -> str:
    """Sample S6 (F34): Name, Version, Vendor, Acceptance Level, Install Date; sorted by name as esxcli does."""
    rows = [
        [v.name, v.version, v.vendor, v.acceptance, v.install_date] for v in sorted(sh.host.vibs, key=lambda v: v.name)
    ]
    return table(["Name", "Version", "Vendor", "Acceptance Level", "Install Date"], rows, left={0, 1, 2, 3, 4})


def _yes(flag: bool) -> str:
    return "True" if flag else "False"


def vib_get(host: Host, args: list[str]) -> str:
    """One block per VIB (all of them without -n), in the 5.5/7.0 captures' layout."""
    name = option(args, "-n", "--vibname")
    vibs = sorted(host.vibs, key=lambda v: v.name)
    if name is not None:
        vibs = [v for v in vibs if v.name == name or v.id == name]
        if not vibs:
            return no_match(name)
    blocks = []
    for v in vibs:
        blocks.append(
            fields(
                v.id,
                [
                    ("Name", v.name),
                    ("Version", v.version),
                    ("Type", "bootbank"),
                    ("Vendor", v.vendor),
                    ("Acceptance Level", v.acceptance),
                    ("Summary", v.summary),
                    ("Description", v.summary),
                    ("ReferenceURLs", ""),
                    ("Creation Date", v.install_date),
                    ("Depends", ""),
                    ("Conflicts", ""),
                    ("Replaces", ""),
                    ("Provides", ""),
                    ("Maintenance Mode Required", _yes(v.maintenance_mode)),
                    ("Hardware Platforms Required", ""),
                    ("Live Install Allowed", _yes(v.live_install)),
                    ("Live Remove Allowed", _yes(v.live_remove)),
                    ("Stateless Ready", "True"),
                    ("Overlay", _yes(v.overlay)),
                    ("Tags", ""),
                    ("Payloads", ", ".join(p.name for p in v.payloads)),
                ],
            )
        )
    return "".join(blocks)


def vib_install(sh: Shell, args: list[str]) -> str:
    """`esxcli software vib install -v PATH [--no-live-install]`: a VIB that cannot go live is staged for the next
    boot, as esxcli does."""
    path = option(args, "-v", "--viburl")
    if path is None:
        return "Error: Missing required parameter -v|--viburl or -d|--depot\n"
    try:
        vib = Vib.from_bytes(sh.host.fs.read(sh.absolute(path)), name=path)
    except NoSuchFile:
        return esxcli_error("VibDownloadError", f"{path}: No such file or directory")
    except (CorruptArchive, UnsafeArchive) as err:
        return esxcli_error("VibFormatError", str(err))
    live = "--no-live-install" not in args and vib.live_install
    return _result(lambda: sh.host.install_vib(vib, live=live))


def vib_remove(sh: Shell, args: list[str]) -> str:
    """`esxcli software vib remove -n NAME [--no-live-install]`: a VIB that cannot be removed live is staged."""
    name = option(args, "-n", "--vibname")
    if name is None:
        return "Error: Missing required parameter -n|--vibname\n"
    installed = next((v for v in sh.host.vibs if v.name == name), None)
    live = "--no-live-install" not in args and (installed is None or installed.live_remove)
    return _result(lambda: sh.host.remove_vib(name, live=live), name)


# our error classes under the names of the esximage errors esxcli prints in brackets
_ESXCLI_NAMES = {
    "BaseImageVib": "DependencyError",
    "LiveInstallNotAllowed": "LiveInstallationError",
    "StatelessHost": "InstallationError",
}


def _result(action: Callable[[], object], name: str | None = None) -> str:
    """esxcli's result or error text. Fact ids (F30) belong to explanations, not to what esxcli prints."""
    try:
        text = str(action())
    except VibNotInstalled:
        text = no_match(name)
    except VibConflict as err:
        text = esxcli_error("FileConflictError", *str(err).splitlines())  # one line per file (F30)
    except VibError as err:
        kind = type(err).__name__
        text = esxcli_error(_ESXCLI_NAMES.get(kind, kind), str(err))
    except EsxiStateError as err:
        text = esxcli_error("InstallationError", str(err))
    return without_fact_ids(text)
