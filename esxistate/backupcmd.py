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
from .shelltext import Usage, without_fact_ids

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


def reboot(sh: Shell, args: list[str]) -> str:
    """busybox's reboot applet (the 6.7 tree has no /bin/reboot file of its own). `reboot` asks init for an
    orderly reboot: the inittab shutdown lines run, among them `/bin/backup.sh 1` (F13). `reboot -f` reboots at
    once without init: no shutdown backup, like a power cut followed by a boot (F23). Neither prints anything
    in the session, which simply ends (no capture of the console output found)."""
    if any(a not in ("-f", "-n") and not a.startswith("-d") for a in args):
        raise Usage("reboot [-d DELAY] [-n] [-f]")
    if "-f" in args:
        sh.host.power_loss()
        sh.cwd = "/"
        with contextlib.suppress(EsxiStateError):  # a host that cannot boot stays off; history says why
            sh.host.boot()
        return ""
    sh.host.reboot()
    sh.cwd = "/"
    return ""


def poweroff(sh: Shell, args: list[str]) -> str:
    sh.host.shutdown()
    sh.cwd = "/"
    return ""
