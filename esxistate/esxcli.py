"""esxcli: its namespace tree, usage listings, `get` commands and maintenance mode; the VisorFS tables are in
esxistate.visorfscmd and the VIB commands in esxistate.vibcmd, dispatched from here (`command`).

esxcli is a tree: `esxcli software` prints the namespace's usage (its sub-namespaces and commands, each with a
one-line description), a command prints its result, and a word that is neither prints
`Error: Unknown command or namespace <words>`. Namespaces ESXi has but the simulator does not (network, storage,
hardware, ...) print the shell's "not simulated" line (esxistate.unsimulated).

Formats (cited in the tests): the namespace listing and `system version get` from a published ESXi 5.5 capture
(`esxcli system --help`), maintenance mode from a published ESXi 5.1 walk-through, `software vib get` from
published 5.5 and 7.0 captures, `software profile get` from a published 8.0 capture, `software baseimage get` from a
published 7.0.1 capture. Descriptions of namespaces we could not find verbatim are our reconstruction.
Version words come from the host's build (esxistate.product), so every image in the catalogue reads alike. The
component and base-image namespaces exist from 7.0 on (F48: "base image" belongs to 7.0 and later).
"""

from __future__ import annotations

import posixpath
import textwrap
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from . import image, product, unsimulated
from .errors import EsxiStateError
from .shelltext import fields, option, table
from .vibcmd import vib_get, vib_install, vib_list, vib_remove
from .visorfscmd import ramdisk_list, tardisk_list, visorfs_get

if TYPE_CHECKING:
    from .host import Host
    from .shell import Shell

__all__ = ["TOP_NAMESPACES", "command", "localcli", "run"]

TOP_NAMESPACES: dict[str, str] = {
    "device": "Device manager commands",
    "esxcli": "Commands that operate on the esxcli system itself allowing users to get additional information.",
    "fcoe": "VMware FCOE commands.",
    "graphics": "VMware graphics commands.",
    "hardware": "VMKernel hardware properties and commands for configuring hardware.",
    "iscsi": "VMware iSCSI commands.",
    "network": "Operations that pertain to the maintenance of networking on an ESX host. This includes a wide "
    "variety of commands to manipulate virtual networking components (vswitch, portgroup, etc) as well as local "
    "host IP, DNS and general host networking settings.",
    "nvme": "VMware NVMe driver esxcli commands.",
    "rdma": "Operations that pertain to remote direct memory access (RDMA) protocol stack on an ESX host.",
    "sched": "VMKernel system properties and commands for configuring scheduling related functionality.",
    "software": "Manage the ESXi software image and packages",
    "storage": "VMware storage commands.",
    "system": "VMKernel system properties and commands for configuring properties of the kernel core system and "
    "related system services.",
    "vm": "A small number of operations that allow a user to Control Virtual Machine operations.",
    "vsan": "VMware vSAN commands.",
}

# path -> description, for every namespace below `software` and `system` the simulator knows (7.0-only ones flagged)
_NAMESPACES: dict[tuple[str, ...], str] = {
    ("software", "acceptance"): "Retrieve and set the host acceptance level setting.",
    ("software", "addon"): "Display the installed Addon on the host.",
    ("software", "baseimage"): "Display the installed baseimage on the host.",
    ("software", "component"): "Display and manage the installed Components on the host.",
    ("software", "profile"): "Display, install, update, and validate image profiles.",
    ("software", "sources"): "Query depot contents for VIBs and image profiles.",
    ("software", "vib"): "Install, update, remove, or display individual VIB packages.",
    ("system", "account"): "Manage local user accounts.",
    ("system", "boot"): "Operations relating to host boot that allow manipulation of VMkernel boot time configuration.",
    ("system", "coredump"): "Operations pertaining to the VMkernel Core dump configuration.",
    ("system", "hostname"): "Operations pertaining the network name of the ESX host.",
    ("system", "maintenanceMode"): "Command to manage the system's maintenance mode.",
    ("system", "module"): "Operations that allow manipulation of the VMkernel loadable modules and device drivers. "
    "Operations include load, list and setting options.",
    ("system", "process"): "Commands relating to running processes.",
    ("system", "settings"): "Operations that allow viewing and manipulation of system settings.",
    ("system", "shutdown"): "Command to shutdown the system.",
    ("system", "syslog"): "Operations relating to system logging",
    ("system", "time"): "Commands to get and set system time.",
    ("system", "uuid"): "Get the system UUID",
    ("system", "version"): "Commands to get version information.",
    ("system", "visorfs"): "Operations pertaining to the visorfs memory filesytem.",
    ("system", "visorfs", "ramdisk"): "Operations pertaining to the visorfs ramdisks.",
    ("system", "visorfs", "tardisk"): "Operations pertaining to the visorfs tardisks.",
    ("system", "welcomemsg"): "Commands to get and set the welcome banner for DCUI.",
}
_SINCE_70 = {("software", "addon"), ("software", "baseimage"), ("software", "component")}

# path -> description of each command (the ones the shell itself answers, and the ones below)
_COMMANDS: dict[tuple[str, ...], str] = {
    ("software", "baseimage", "get"): "Display the installed baseimage.",
    ("software", "component", "get"): "Displays detailed information about one or more installed Components",
    ("software", "component", "list"): "List the installed Components on the host.",
    ("software", "profile", "get"): "Display the installed image profile.",
    ("software", "profile", "update"): "Updates the host with VIBs from an image profile in a depot.",
    ("software", "vib", "get"): "Displays detailed information about one or more installed VIBs",
    ("software", "vib", "install"): "Installs VIB packages from a URL or depot.",
    ("software", "vib", "list"): "Lists the installed VIB packages",
    ("software", "vib", "remove"): "Removes VIB packages from the host.",
    ("system", "hostname", "get"): "Get the host, domain or fully qualified name of the ESX host.",
    ("system", "maintenanceMode", "get"): "Get the maintenance mode state of the system.",
    ("system", "maintenanceMode", "set"): "Enable or disable the maintenance mode of the system.",
    ("system", "version", "get"): "Display the product name, version and build information.",
    ("system", "visorfs", "get"): "Obtain status information on the memory filesystem as a whole.",
    ("system", "visorfs", "ramdisk", "list"): "List the RAM disks used by the host.",
    ("system", "visorfs", "tardisk", "list"): "List the tardisks used by the host.",
}

_TOP_OPTIONS = (
    "Options:\n"
    "  --formatter=FORMATTER\n"
    "                        Override the formatter to use for a given command. Available formatter: xml, csv,\n"
    "                        keyvalue\n"
    "  --debug               Enable debug or internal use options\n"
    "  --version             Display version information for the script\n"
    "  -?, --help            Display usage information for the script\n"
)


def _listing(title: str, items: dict[str, str]) -> str:
    """`  name                  description`, wrapped as esxcli wraps at its screen width."""
    out = [f"{title}:"]
    for name, text in items.items():
        lines = textwrap.wrap(text, 90) or [""]
        out.append(f"  {name:<22}{lines[0]}".rstrip())
        out += [" " * 24 + more for more in lines[1:]]
    return "\n".join(out) + "\n"


def _exists(host: Host, path: tuple[str, ...]) -> bool:
    return path not in _SINCE_70 or not host.version.startswith("6")


def _usage(host: Host, path: tuple[str, ...]) -> str:
    """What esxcli prints for a namespace: its usage line, then its namespaces and commands."""
    depth = len(path)
    spaces = {
        p[-1]: d for p, d in _NAMESPACES.items() if len(p) == depth + 1 and p[:depth] == path and _exists(host, p)
    }
    commands = {p[-1]: d for p, d in _COMMANDS.items() if len(p) == depth + 1 and p[:depth] == path}
    text = f"Usage: esxcli {' '.join(path)} {{cmd}} [cmd options]\n"
    if spaces:
        text += "\n" + _listing("Available Namespaces", dict(sorted(spaces.items())))
    if commands:
        text += "\n" + _listing("Available Commands", dict(sorted(commands.items())))
    return text


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


# -- the commands ---------------------------------------------------------------------------------------------------


def version_get(host: Host, args: list[str]) -> str:
    p = product.of(host)
    return fields(
        None,
        [
            ("Product", "VMware ESXi"),
            ("Version", p.version),
            ("Build", f"Releasebuild-{p.number}"),
            ("Update", str(p.update)),
            ("Patch", str(p.patch)),
        ],
    )


def hostname_get(host: Host, args: list[str]) -> str:
    """The domain is the one /etc/hosts gives the host's own name (`10.0.0.21 esxi.lab.local esxi`); a real host
    reads it from its network configuration (simplification)."""
    name = host.hostname
    domain = ""
    try:
        for line in host.fs.read_text("/etc/hosts").splitlines():
            words = line.split("#", 1)[0].split()
            fqdn = next((w for w in words[1:] if w.startswith(name + ".")), None)
            if fqdn and name in words[1:]:
                domain = fqdn[len(name) + 1 :]
                break
    except EsxiStateError:
        pass
    fqdn = f"{name}.{domain}" if domain else name
    return fields(None, [("Domain Name", domain), ("Fully Qualified Domain Name", fqdn), ("Host Name", name)])


def maintenance_get(host: Host, args: list[str]) -> str:
    return "Enabled\n" if host.maintenance_mode else "Disabled\n"


_SET_USAGE = (
    "Usage: esxcli system maintenanceMode set [cmd options]\n\n"
    "Description:\n"
    "  set                   Enable or disable the maintenance mode of the system.\n\n"
    "Cmd options:\n"
    "  -e|--enable=<bool>    enable maintenance mode (required)\n"
    "  -t|--timeout=<long>   Time to perform operation in seconds (default 0 seconds)\n"
    "  -m|--vsanmode=<str>   Action the VSAN service must take before the host can enter maintenance mode (default\n"
    "                        ensureObjectAccessibility).\n"
)


def maintenance_set(host: Host, args: list[str]) -> str:
    """Prints nothing when it changes the mode, "Maintenance mode is already enabled." when it does not (published
    captures). The wording for a missing or non-boolean -e is our reconstruction of esxcli's."""
    value = option(args, "-e", "--enable")
    if value is None:
        return "Error: Missing required parameter -e|--enable\n\n" + _SET_USAGE
    enable = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(value.lower())
    if enable is None:
        return f"Error: Invalid data constraint for parameter 'enable'. Expected a boolean value, got: {value}\n"
    if enable == host.maintenance_mode:
        return f"Maintenance mode is already {'enabled' if enable else 'disabled'}.\n"
    host.set_maintenance_mode(enable)
    return ""


def _image_changed(host: Host) -> bool:
    """Whether the VIB set changed since the image was installed (esxcli then shows the profile as "(Updated)").
    Simplification: a VIB installed later carries a later install date; a removed image VIB is missed."""
    spec = image.VERSIONS.get(host.version)
    return spec is not None and any(v.install_date != spec.install_date for v in host.vibs)


def profile_get(host: Host, args: list[str]) -> str:
    p = product.of(host)
    name = ("(Updated) " if _image_changed(host) else "") + p.profile
    changed = max((v.install_date for v in host.vibs), default="")
    return fields(
        name,
        [
            ("Name", name),
            ("Vendor", "VMware, Inc."),
            ("Creation Time", _when(p.released)),
            ("Modification Time", f"{changed}T00:00:00" if changed else _when(p.released)),
            ("Stateless Ready", "True"),
            ("Description", ""),
            ("VIBs", ", ".join(v.id for v in sorted(host.vibs, key=lambda v: v.name))),
        ],
    )


def baseimage_get(host: Host, args: list[str]) -> str:
    return f"ESXi:{product.of(host).full}\n"


def component_list(host: Host, args: list[str]) -> str:
    """The base image's VIBs form the component `ESXi`; every other VIB is listed as a component of its own
    (simplification: real drivers are packaged in components named by their vendors)."""
    p = product.of(host)
    base = [v for v in host.vibs if v.name in image.BASE_VIBS]
    rows = []
    if base:
        date = _us_date(base[0].install_date)
        rows.append(
            [
                "ESXi",
                "ESXi",
                p.full,
                f"{p.major_minor} {p.level} - {p.number}",
                "VMware, Inc.",
                date,
                base[0].acceptance,
            ]
        )
    for v in sorted(host.vibs, key=lambda v: v.name):
        if v.name not in image.BASE_VIBS:
            rows.append(
                [v.name, v.name, v.version, v.version.split("-")[0], v.vendor, _us_date(v.install_date), v.acceptance]
            )
    headers = ["Name", "Display Name", "Version", "Display Version", "Vendor", "Release Date", "Acceptance Level"]
    return table(headers, rows, left=set(range(7)))


def _us_date(iso: str) -> str:
    parts = iso.split("-")
    return f"{parts[1]}-{parts[2]}-{parts[0]}" if len(parts) == 3 else iso


_HANDLERS: dict[tuple[str, ...], Callable[[Host, list[str]], str]] = {
    ("system", "version", "get"): version_get,
    ("system", "hostname", "get"): hostname_get,
    ("system", "maintenanceMode", "get"): maintenance_get,
    ("system", "maintenanceMode", "set"): maintenance_set,
    ("system", "visorfs", "get"): visorfs_get,
    ("software", "vib", "get"): vib_get,
    ("software", "profile", "get"): profile_get,
    ("software", "baseimage", "get"): baseimage_get,
    ("software", "component", "list"): component_list,
}


# answered before the namespace tree is walked, by their first whole words: these need the shell (its working
# directory for a VIB's path) or print the tables of samples S4-S6
_SHELL_FIRST: tuple[tuple[str, Callable[[Shell, list[str]], str]], ...] = (
    ("system visorfs ramdisk list", ramdisk_list),
    ("system visorfs tardisk list", tardisk_list),
    ("software vib list", vib_list),
    ("software vib install", vib_install),
    ("software vib remove", vib_remove),
)


def command(sh: Shell, args: list[str]) -> str:
    """esxcli as the shell runs it: the VisorFS and VIB tables and VIB changes first, then `run`."""
    words = [a for a in args if not a.startswith("-")]
    for prefix, handler in _SHELL_FIRST:
        if words[: len(prefix.split())] == prefix.split():  # whole words: `vib listx` is not `vib list`
            return handler(sh, args)
    return run(sh.host, args, posixpath.basename(sh.program) or "esxcli")


def localcli(sh: Shell, args: list[str]) -> str:
    """localcli is esxcli without hostd; with the internal plugins it also runs `boot system restore
    --bootbanks` (KB 301134, F47), carried out by the engine."""
    from .bootdevice import restore_command

    out = restore_command(sh.host, args)
    return out if out is not None else command(sh, args)


def run(host: Host, args: list[str], program: str = "esxcli") -> str:
    """Everything of esxcli the shell's own branches did not answer: usage listings, the commands above, and the
    errors esxcli prints for an unknown word."""
    words = [a for a in args if not a.startswith("-")]
    if not words and "--version" in args:  # `Script 'esxcli' version: 7.0.0` on a 7.0.1 host (published capture)
        return f"Script '{program}' version: {product.of(host).major_minor}.0\n"
    helping = any(a in ("--help", "-?") for a in args)
    if not words:
        top = "\n" + _listing("Available Namespaces", TOP_NAMESPACES)
        return f"Usage: {program} [options] {{namespace}}+ {{cmd}} [cmd options]\n\n" + _TOP_OPTIONS + top
    if words[0] not in TOP_NAMESPACES:
        return f"Error: Unknown command or namespace {' '.join(words)}\n"
    if words[0] not in ("software", "system"):
        return unsimulated.line(f"{program} {' '.join(words)}")
    path: tuple[str, ...] = (words[0],)
    for word in words[1:]:
        candidate = (*path, word)
        if (candidate in _NAMESPACES and _exists(host, candidate)) or candidate in _COMMANDS:
            path = candidate
            if candidate in _COMMANDS:
                break
            continue
        return f"Error: Unknown command or namespace {' '.join(words)}\n"
    if path in _COMMANDS and helping:
        return f"Usage: {program} {' '.join(path)} [cmd options]\n\n" + _listing(
            "Description", {path[-1]: _COMMANDS[path]}
        )
    if path in _HANDLERS:
        return _HANDLERS[path](host, args)
    if path in _COMMANDS:
        return unsimulated.line(f"{program} {' '.join(path)}")
    return _usage(host, path)
