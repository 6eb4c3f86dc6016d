"""vim-cmd, hostd's command-line client, for what the shell does not answer itself (configuration bundles are in
esxistate.shell): `hostsvc/firmware/sync_config`, `hostsvc/maintenance_mode_enter|exit`, the top-level listing,
and one "not simulated" line for the other namespaces (vmsvc/, vimsvc/, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import unsimulated

if TYPE_CHECKING:
    from .host import Host

__all__ = ["run"]

_INVALID_STATE = (
    "(vim.fault.InvalidState) {\n   faultCause = (vmodl.MethodFault) null, \n"
    "   faultMessage = <unset>\n"
    '   msg = "The operation is not allowed in the current state."\n}\n'
)


def run(host: Host, args: list[str]) -> str:
    """`hostsvc/firmware/sync_config` (hostd's SyncFirmwareConfiguration: save the configuration now, as
    backup.sh 0 does) and `hostsvc/maintenance_mode_enter|exit` print nothing when they succeed; a second enter
    or exit prints vim-cmd's InvalidState fault (its layout is background knowledge, no capture found)."""
    from .shell import _columns, _without_fact_ids

    if args[:1] == ["hostsvc/firmware/sync_config"]:
        result = host._backup_sh("manual", is_shutdown=False, reason="vim-cmd hostsvc/firmware/sync_config")
        return _without_fact_ids(result.reason) + "\n" if result.skipped and "Bootbank" in result.reason else ""
    if args[:1] in (["hostsvc/maintenance_mode_enter"], ["hostsvc/maintenance_mode_exit"]):
        if host.set_maintenance_mode(args[0].endswith("enter")) is None:
            return _INVALID_STATE
        return ""
    if not args:
        return "Commands available under /:\n" + _columns([*unsimulated.VIM_CMD_NAMESPACES, "help"], width=56)
    if args[0].startswith(unsimulated.VIM_CMD_NAMESPACES):
        return unsimulated.line(f"vim-cmd {args[0]}")
    return f"Unknown command: '{' '.join(args)}'\n"
