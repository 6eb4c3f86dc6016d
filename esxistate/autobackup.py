"""What /sbin/auto-backup.sh prints when an administrator runs it by hand (F14, F48).

The script (ESX67TREE bin/auto-backup.sh) unpacks /bootbank/state.tgz and its local.tgz into
/tmp/auto-backup.<pid>, then for each /etc file to save runs `diff -N "${file}" "${tmp_backup_dir}/${file}"`: diff's
output goes to the terminal, and at the first difference the script runs `/sbin/backup.sh 0` and stops comparing.
The decision itself (whether to back up) is the engine's (`esxistate.backup.needs_backup`); this module only
renders the diff the script prints on the way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import backup, busybox
from .errors import EsxiStateError

if TYPE_CHECKING:
    from .host import Host

__all__ = ["first_difference"]


def first_difference(host: Host) -> str:
    """busybox's `diff -N` output for the first /etc file to save that differs from its copy in state.tgz; ''
    when none differs or there is no state.tgz (the script then runs backup.sh straight away and diffs nothing).
    The labels are the script's arguments: `/etc/hosts` and `/tmp/auto-backup.<pid>//etc/hosts`."""
    if host.stateless or not host.powered_on or host.boot_device == "lost":
        return ""  # no /bootbank: the script raises its alert before comparing anything (F47)
    try:
        # through the /bootbank link: with a late-claimed boot device it points into /tmp (F47)
        saved = backup.archived_files(host.fs.read("/bootbank/state.tgz"), host._tpm_key)
    except EsxiStateError:
        return ""
    view = host.snapshot().files
    tmp = f"/tmp/auto-backup.{host._pid + 1}"
    for path in backup.files_to_save(view, host.version):
        if not path.startswith("/etc/"):
            continue  # the script's list is `find /etc ...`
        old = view[path].data
        new = saved.get(path.lstrip("/"), b"")
        if old != new:
            return busybox.unified_diff(old, new, path, f"{tmp}/{path}")
    return ""
