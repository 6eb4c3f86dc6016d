"""vim-cmd, hostd's command-line client: configuration bundles (`hostsvc/firmware/backup_config` and
`restore_config`, F43), `hostsvc/firmware/sync_config`, `hostsvc/maintenance_mode_enter|exit`, the top-level
listing, and one "not simulated" line for the other namespaces (vmsvc/, vimsvc/, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import unsimulated
from .backupcmd import skipped_line
from .errors import EsxiStateError
from .shelltext import columns

if TYPE_CHECKING:
    from .host import Host
    from .shell import Shell

__all__ = ["run", "vim_cmd"]

_INVALID_STATE = (
    "(vim.fault.InvalidState) {\n   faultCause = (vmodl.MethodFault) null, \n"
    "   faultMessage = <unset>\n"
    '   msg = "The operation is not allowed in the current state."\n}\n'
)


def vim_cmd(sh: Shell, args: list[str]) -> str:
    """`vim-cmd hostsvc/firmware/backup_config` and `restore_config FILE` (F43), then the rest (`run`).
    Simplification: the real restore also needs maintenance mode."""
    host = sh.host
    if args[:1] == ["hostsvc/firmware/backup_config"]:
        try:
            path = host.backup_config()
        except EsxiStateError as err:
            return f"{err}\n"
        return f"Bundle can be downloaded at : http://*/downloads/{path.split('/downloads/', 1)[1]}\n"
    if args[:1] == ["hostsvc/firmware/restore_config"]:
        if len(args) < 2:
            return "Insufficient arguments.\n"
        try:
            host.restore_config(host.fs.read(sh.absolute(args[1])), force="1" in args[2:3])
        except EsxiStateError as err:
            return f"{type(err).__name__}: {err}\n"
        sh.cwd = "/"
        return ""
    return run(host, args)


def run(host: Host, args: list[str]) -> str:
    """`hostsvc/firmware/sync_config` (hostd's SyncFirmwareConfiguration: save the configuration now, as
    backup.sh 0 does) and `hostsvc/maintenance_mode_enter|exit` print nothing when they succeed; a second enter
    or exit prints vim-cmd's InvalidState fault (its layout is background knowledge, no capture found)."""
    if args[:1] == ["hostsvc/firmware/sync_config"]:
        return skipped_line(host._backup_sh("manual", is_shutdown=False, reason="vim-cmd hostsvc/firmware/sync_config"))
    if args[:1] in (["hostsvc/maintenance_mode_enter"], ["hostsvc/maintenance_mode_exit"]):
        if host.set_maintenance_mode(args[0].endswith("enter")) is None:
            return _INVALID_STATE
        return ""
    if not args:
        return "Commands available under /:\n" + columns([*unsimulated.VIM_CMD_NAMESPACES, "help"], width=56)
    if args[0].startswith(unsimulated.VIM_CMD_NAMESPACES):
        return unsimulated.line(f"vim-cmd {args[0]}")
    return f"Unknown command: '{' '.join(args)}'\n"
