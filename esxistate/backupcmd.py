"""The ESXi shell's commands that save the configuration or end the session: /sbin/auto-backup.sh, /sbin/backup.sh,
`crontab -l` (the hourly auto-backup.sh line), reboot and poweroff (both run `backup.sh 1` on the way down, F13).

Every effect is the engine's (`host.backup()`, `host.reboot()`, ...); this module prints what the scripts print
(ESX67TREE bin/auto-backup.sh and bin/backup.sh, F14, F15, F48).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from . import autobackup
from .errors import EsxiStateError, IsADirectory, NoSuchFile
from .shelltext import BadOption, Usage, without_fact_ids

if TYPE_CHECKING:
    from .backup import BackupResult
    from .shell import Shell

__all__ = ["auto_backup", "backup_sh", "crontab", "poweroff", "reboot", "skipped_line"]


def _saved(sh: Shell, target: str) -> str:
    t = sh.host.clock
    return f"Saving current state in {target}\nClock updated.\nTime: {t:%H:%M:%S}   Date: {t:%m/%d/%Y}   UTC\n"


def skipped_line(result: BackupResult) -> str:
    """What backup.sh prints when it saved nothing: the missing boot bank's alert, else nothing at all."""
    if result.skipped and result.cause in ("stateless", "no-bootbank"):
        return without_fact_ids(result.reason) + "\n"
    return ""


def auto_backup(sh: Shell, args: list[str]) -> str:
    """/sbin/auto-backup.sh. Run by hand it prints the `diff -N` of the first file to save that differs from
    its copy in state.tgz (the script runs `diff -N "${file}" "${tmp_backup_dir}/${file}"`, ESX67TREE
    bin/auto-backup.sh, F14, F48), then backup.sh's lines; nothing when nothing changed."""
    shown = autobackup.first_difference(sh.host)
    result = sh.host.backup()
    if result.skipped:
        if result.cause in ("stateless", "no-bootbank"):
            return "Bootbank cannot be found at path '/bootbank'\n"
        if result.cause == "tmp-full":
            return result.reason + "\n"
        return ""
    return shown + _saved(sh, result.target or "/bootbank")


def backup_sh(sh: Shell, args: list[str]) -> str:
    """/sbin/backup.sh IsShutdown [PATH_NAME]: without an argument it prints its usage with its own path ($0),
    with a bad one `Invalid parameter for is_shutdown: <value>` (ESX67TREE bin/backup.sh, F15, F48)."""
    if not args:
        program = sh.program if "/" in sh.program else f"/sbin/{sh.program}"
        return f"Usage: {program} IsShutdown [PATH_NAME]\n"
    if args[0] not in ("0", "1"):
        return f"Invalid parameter for is_shutdown: {args[0]}\n"
    result = sh.host._backup_sh("manual", is_shutdown=args[0] == "1")  # backup.sh itself: no change check
    if result.skipped:
        return skipped_line(result)
    return _saved(sh, result.target or "/bootbank")


def crontab(sh: Shell, args: list[str]) -> str:
    """`crontab -l`: busybox's crontab changes to /var/spool/cron/crontabs and runs its own cat on the file named
    after the user (miscutils/crontab.c: `bb_cat(args)` with args = {"root"}), so its errors are cat's."""
    if args[:1] != ["-l"]:
        raise Usage("crontab [-c DIR] [-u USER] [-ler]|[FILE]")
    try:
        return sh.host.fs.read_text("/var/spool/cron/crontabs/root")
    except NoSuchFile:
        return "cat: can't open 'root': No such file or directory\n"
    except IsADirectory:
        return "cat: read error: Is a directory\n"


_HALT_USAGE = "[-d DELAY] [-n] [-f]"


def _halt_options(name: str, args: list[str]) -> tuple[set[str], int] | str:
    """busybox halt.c's options, parsed as its `getopt32(argv, "d:+nfwi", &delay)` does: `-d SEC` (a number, also
    `-dSEC`), `-n`, `-f`, `-w`, `-i`, letters grouped (`-fn`), `--` ends the options and other words are ignored.
    Returns (flags, delay), or xatoi_positive's line for a delay that is not a number in 0..INT_MAX (libbb/
    xatonum_template.c: `invalid number` for no digits, a sign or a value past UINT_MAX, the range line otherwise);
    an unknown option raises BadOption (getopt's line and the usage). Either way busybox prints it on stderr and
    exits with status 1 before doing anything."""
    flags: set[str] = set()
    delay = 0
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if arg.startswith("--"):
            raise BadOption(f"{name}: unrecognized option '{arg}'", f"{name} {_HALT_USAGE}")
        if not arg.startswith("-") or arg == "-":
            continue
        for j, letter in enumerate(arg[1:], start=1):
            if letter == "d":
                value = arg[j + 1 :]
                if not value:
                    if i == len(args):
                        raise BadOption(f"{name}: option requires an argument -- 'd'", f"{name} {_HALT_USAGE}")
                    value = args[i]
                    i += 1
                number = int(value) if value.isascii() and value.isdecimal() else -1
                if not 0 <= number <= 2**32 - 1:
                    # bb_strtoui sets ERANGE past UINT_MAX, which xstrtou_range_sfx reports as an invalid number
                    return f"{name}: invalid number '{value}'\n"
                if number > 2**31 - 1:
                    return f"{name}: number {value} is not in 0..{2**31 - 1} range\n"
                delay = number
                break
            if letter not in "nfwi":
                raise BadOption(f"{name}: invalid option -- '{letter}'", f"{name} {_HALT_USAGE}")
            flags.add(letter)
    return flags, delay


def _halt(sh: Shell, name: str, args: list[str]) -> str:
    """What busybox's halt_main does for `reboot` and `poweroff` (init/halt.c of the busybox 1.29 line, the
    `BusyBox v1.29.3` of ESXi 6.7/7.0): sleep DELAY seconds, then with `-w` only write a wtmp record and stop;
    without `-f` signal init, which runs the inittab's shutdown lines, `/bin/backup.sh 1` among them (F13); with
    `-f` call reboot(2) at once, so no shutdown line runs and nothing is saved (F23). `-n` (do not sync the disks)
    and `-i` (ignored by busybox) change nothing here. On success halt.c prints nothing, and init/init.c writes its
    shutdown messages to the console, not to the session, which simply ends; no public capture of an ESXi session
    printing anything for `reboot` was found, so this output is inferred from busybox's source."""
    parsed = _halt_options(name, args)
    if isinstance(parsed, str):
        return parsed
    flags, delay = parsed
    if delay:
        sh.host.advance(minutes=delay / 60)  # the sleep: crond keeps running meanwhile (F12)
    if "w" in flags:
        return ""
    if "f" in flags:
        sh.host.power_loss()
        if name == "reboot":
            with contextlib.suppress(EsxiStateError):  # a host that cannot boot stays off; history says why
                sh.host.boot()
    elif name == "reboot":
        sh.host.reboot()
    else:
        sh.host.shutdown()
    sh.cwd = "/"
    return ""


def reboot(sh: Shell, args: list[str]) -> str:
    """busybox's reboot applet (the 6.7 tree has no /bin/reboot file of its own). `reboot` asks init for an
    orderly reboot, with the shutdown backup (F13); `reboot -f` reboots at once without init: no shutdown backup,
    like a power cut followed by a boot (F23). Prints nothing on success (see `_halt`)."""
    return _halt(sh, "reboot", args)


def poweroff(sh: Shell, args: list[str]) -> str:
    """busybox's poweroff applet: `poweroff` shuts down through init, with the shutdown backup (F13), and the host
    stays off; `poweroff -f` cuts the power at once and saves nothing (F23). Prints nothing on success."""
    return _halt(sh, "poweroff", args)
