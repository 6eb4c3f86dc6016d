"""backup.sh and auto-backup.sh: which files ESXi saves, how local.tgz and state.tgz are built, and how they reach
the boot bank without ever leaving a half-written archive.

What real ESXi does (ESXI-FACTS.md):
- Selection (F16): every regular file under /etc whose `.#` twin exists is saved; nothing else (7.0 adds the
  ConfigStore database, stored as var/lib/vmware/configstore/backup/current-store-1, F35). Twins are not saved.
- Archive (F17): `local.tgz` holds those files as relative `etc/...` members; `state.tgz` holds exactly one member,
  `local.tgz` (7.0 U2+: `local.tgz.ve` + `encryption.info`, F36). ESXi 4.0 Embedded wrote local.tgz to the bank
  without the state.tgz wrapper (F24); 6.7 and 7.0, the versions simulated here, always wrap it.
- Installed VIBs are never saved: they live on the boot bank as modules, not in state.tgz (F32).
- Crash safety (F17): everything is written under a temporary name and renamed over state.tgz at the end, so a
  power loss at any moment leaves the old or the new complete state.tgz (plus leftovers the next run deletes).
- auto-backup.sh (F14) calls backup.sh only when a file to save differs from the copy in /bootbank/state.tgz, or
  when there is no state.tgz; the shutdown path runs backup.sh unconditionally (F13, F22).
- Target (F15): /bootbank, or /altbootbank after a live VIB install staged a new image there.

The second half of this module runs the scripts on a host (`auto_backup`, `backup_sh`): who started them, the
target, hostd's limit of 6 an hour (F21), the counter (F18), the steps, and the shutdown's save into a staged image
(F20). A missing boot device (F47) is esxistate.bootdevice's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from . import statearchive
from .bootbank import BankState, BootBank, staged_is_newer
from .clock import date_line, epoch
from .entry import FILE, FileEntry
from .errors import CorruptArchive, EncryptedConfig, EsxiStateError, RamdiskFull, UnsafeArchive
from .layers import is_twin, twin_of
from .visorfs import VisorFS

if TYPE_CHECKING:
    from .host import Host

__all__ = [
    "CONFIGSTORE_BACKUP",
    "CONFIGSTORE_RUNTIME",
    "HOSTD_BACKUPS_PER_HOUR",
    "SKIP_CAUSES",
    "STEPS",
    "UPDATE_MARKER",
    "BackupResult",
    "archived_files",
    "auto_backup",
    "backup_sh",
    "bank_steps",
    "choose_target",
    "count_run",
    "files_to_save",
    "fresh_state",
    "local_members",
    "needs_backup",
    "skip",
    "target",
    "wrap_state",
]

STEPS: tuple[str, ...] = (
    "lock",  # delete leftovers of an interrupted run, take /tmp/<bank>.lck (F17a-b, F19)
    "tar_local_tmp",  # tar czf <bank>/local.tgz.<pid> -C / <files> (F17c)
    "unlock",  # release the lock (F17d)
    "wrap_state_tmp",  # mkdir <bank>/state.<pid>/, move local.tgz in, tar czf <bank>/state.tgz.<pid> (F17e)
    "rename_state",  # mv -f <bank>/state.tgz.<pid> <bank>/state.tgz: the new state is complete from here (F17e)
    "sync",  # flush the bank's file system
    "cleanup",  # remove <bank>/state.<pid>/
    "update_bootcfg",  # make sure modules= ends with ' --- state.tgz' (F18), via a temp file + rename
    "update_useropts",  # regenerate useropts.gz only if the kernel options changed (F18): never, here
)

SKIP_CAUSES: tuple[str, ...] = (
    "stateless",  # a PXE-booted host has no /bootbank (F41)
    "hostd-limit",  # hostd already started its backups for this hour (F21)
    "nothing-to-save",  # no /etc file has a .# twin (F16)
    "tmp-full",  # auto-backup.sh cannot unpack state.tgz into /tmp (F14)
    "unchanged",  # every file to save matches its copy in state.tgz (F14)
    "no-bootbank",  # the boot device is lost: /bootbank is not a directory (F47)
    "write-failed",  # /bootbank points to a full /tmp: state.tgz could not be written (F47)
)

COUNTER_FILE = "/etc/vmware/.backup.counter"
UPDATE_MARKER = "/var/run/update_altbootbank"  # dropped by a live VIB install: backups go to /altbootbank (F15, F33)
HOSTD_BACKUPS_PER_HOUR = 6  # F21
CONFIGSTORE_RUNTIME = "/etc/vmware/configstore/current-store-1"
CONFIGSTORE_BACKUP = "/var/lib/vmware/configstore/backup/current-store-1"


@dataclass(frozen=True, slots=True)
class BackupResult:
    """What one backup did. `skipped` with a `reason` when nothing was written; `interrupted_after` names the step
    after which power was lost (fault injection)."""

    trigger: str  # "manual" | "cron" | "shutdown" | "hostd"
    skipped: bool
    reason: str
    target: str | None = None  # "/bootbank" or "/altbootbank"
    bank: str | None = None  # "BOOTBANK1"
    files: tuple[str, ...] = ()  # absolute paths saved, e.g. "/etc/hosts"
    local_size: int = 0
    state_size: int = 0
    steps_done: tuple[str, ...] = ()
    interrupted_after: str | None = None
    also: tuple[str, ...] = ()  # other banks refreshed too (F20)
    cause: str = ""  # why nothing was written, as data: one of SKIP_CAUSES ("" when the run wrote)

    @property
    def complete(self) -> bool:
        return not self.skipped and self.interrupted_after is None

    def __repr__(self) -> str:
        if self.skipped:
            return f"BackupResult({self.trigger}: skipped, {self.reason})"
        cut = f", power lost after {self.interrupted_after}" if self.interrupted_after else ""
        return (
            f"BackupResult({self.trigger}: {len(self.files)} files -> {self.target}/state.tgz, "
            f"{self.state_size} bytes{cut})"
        )


def files_to_save(fs: VisorFS | Mapping[str, FileEntry], version: str) -> list[str]:
    """backup.sh's list (F16): `find etc -follow -type f -name '.#*'`, the `.#` stripped, kept if that plain file
    exists. On 7.0 the ConfigStore database is added (F35). Works on a live VisorFS or on any path -> entry
    mapping (a snapshot's `files`), so renderers use the same rule."""
    view = fs.visible() if isinstance(fs, VisorFS) else fs
    saved = []
    twins = (p for p, e in view.items() if "/.#" in p and p.startswith("/etc/") and e.kind == FILE and is_twin(p))
    for twin in sorted(twins):
        head, tail = twin.rsplit("/", 1)
        plain = f"{head}/{tail[2:]}"
        hit = view.get(plain)
        if hit is not None and hit.kind == FILE and twin_of(plain) == twin:
            saved.append(plain)
    if version.startswith("7") and CONFIGSTORE_RUNTIME in view:
        saved.append(CONFIGSTORE_BACKUP)
    return saved


def local_members(fs: VisorFS, paths: Sequence[str]) -> list[tuple[str, FileEntry]]:
    """The members of local.tgz, relative names as `tar -C /` writes them (`etc/hosts`)."""
    members = []
    for p in paths:
        source = CONFIGSTORE_RUNTIME if p == CONFIGSTORE_BACKUP else p
        members.append((p.lstrip("/"), fs.entry(source)))
    return members


def archived_files(state_tgz: bytes, key: bytes | None = None) -> dict[str, bytes]:
    """relative name -> bytes of every file in a state.tgz's local.tgz (decrypting our own 7.0 U2 layout)."""
    state = statearchive.StateArchive.from_bytes(state_tgz)
    if state.encrypted:
        if key is None:
            raise EncryptedConfig()
        local = statearchive.decrypt_state_for_simulation(state_tgz, key)
        members = statearchive.read_config(local, name="local.tgz")
        return {n: e.data for n, e in members.items() if e.kind == FILE}
    return {n: e.data for n, e in state.files.items()}


_UNREAD: Any = object()  # needs_backup's `saved` when the caller has not unpacked state.tgz yet


def needs_backup(
    fs: VisorFS,
    bank: BootBank,
    version: str,
    key: bytes | None = None,
    *,
    encrypt: bool = False,
    saved: Mapping[str, bytes] | None = _UNREAD,
    paths: Sequence[str] | None = None,
) -> tuple[bool, str]:
    """auto-backup.sh's decision (F14): yes when there is no state.tgz, or at the FIRST file to save whose content
    differs from the archived copy (`diff -N`: a file missing from the archive differs). A deleted file is not in
    the list, so deleting alone never triggers a backup; mode changes are not compared either.

    `encrypt`: the host saves its configuration encrypted (7.0 U2+, F36). A state.tgz still in the plain layout (the
    first boot after an update to 7.0 U3) is then saved again, so the encryption that F36 says starts at that boot
    reaches the boot bank; that this happens through the next backup is the simulator's choice.

    `saved` (state.tgz's files as `unpacked` returns them, None if it could not be unpacked) and `paths` (the
    files to save) let auto-backup.sh unpack and scan once for all its checks."""
    if "state.tgz" not in bank.files:
        return True, "there is no state.tgz yet"
    if encrypt and not _encrypted(bank.files["state.tgz"]):
        return True, "state.tgz still holds a plain local.tgz and this 7.0 U2+ host saves its configuration encrypted"
    if saved is _UNREAD:
        saved = unpacked(bank.files["state.tgz"], key)
    if saved is None:
        return True, "the current state.tgz cannot be unpacked"
    for path, entry in local_members(fs, files_to_save(fs, version) if paths is None else paths):
        old = saved.get(path)
        if old is None:
            return True, f"/{path} is not in state.tgz yet"
        if old != entry.data:
            return True, f"/{path} differs from its copy in state.tgz"
    return False, "no file to save differs from state.tgz"


_UNPACKED: dict[tuple[bytes, bytes | None], Mapping[str, bytes]] = {}  # the last archives written or read
_UNPACKED_KEPT = 4


def unpacked(state_tgz: bytes, key: bytes | None) -> Mapping[str, bytes] | None:
    """state.tgz's files as auto-backup.sh unpacks them into /tmp (F14), or None when it cannot be unpacked.

    The same bytes always hold the same files, so the last few answers are kept (keyed by the archive's bytes and
    the key): a backup that compares with the state.tgz it wrote itself an hour ago does not inflate it again."""
    hit = _UNPACKED.get((state_tgz, key))
    if hit is not None:
        return hit
    try:
        files = archived_files(state_tgz, key)
    except EsxiStateError:  # corrupt, unsafe, encrypted with another key, past a limit
        return None
    return _remember(state_tgz, key, files)


def _remember(state_tgz: bytes, key: bytes | None, files: dict[str, bytes]) -> Mapping[str, bytes]:
    view = MappingProxyType(files)
    _UNPACKED[(state_tgz, key)] = view
    while len(_UNPACKED) > _UNPACKED_KEPT:
        del _UNPACKED[next(iter(_UNPACKED))]
    return view


def _encrypted(state_tgz: bytes) -> bool:
    try:
        return statearchive.StateArchive.from_bytes(state_tgz).encrypted
    except (CorruptArchive, UnsafeArchive):
        return False


def bank_steps(bank: BootBank, local_tgz: bytes, state_tgz: bytes, pid: int) -> Iterator[tuple[str, BootBank, str]]:
    """The bank after each of backup.sh's STEPS, with a line saying what the step did (F17, F18)."""
    leftovers = {
        n: None for n in bank.files if n.startswith(("local.tgz.", "state.tgz.", "state.")) and n != "state.tgz"
    }
    bank = bank.replace_files(leftovers)
    gone = f"; removed leftovers {', '.join(sorted(leftovers))}" if leftovers else ""
    yield "lock", bank, f"took the lock{gone}"
    bank = bank.replace_files({f"local.tgz.{pid}": local_tgz})
    yield "tar_local_tmp", bank, f"wrote local.tgz.{pid} ({len(local_tgz)} bytes)"
    yield "unlock", bank, "released the lock"
    bank = bank.replace_files(
        {f"local.tgz.{pid}": None, f"state.{pid}/local.tgz": local_tgz, f"state.tgz.{pid}": state_tgz}
    )
    yield "wrap_state_tmp", bank, f"wrapped local.tgz into state.tgz.{pid} ({len(state_tgz)} bytes)"
    bank = bank.replace_files({f"state.tgz.{pid}": None, "state.tgz": state_tgz})
    yield "rename_state", bank, f"renamed state.tgz.{pid} over state.tgz"
    yield "sync", bank, "synced the boot bank"
    bank = bank.replace_files({f"state.{pid}/local.tgz": None})
    yield "cleanup", bank, f"removed state.{pid}/"
    config = bank.config
    if config is not None and "state.tgz" not in config.modules:
        bank = bank.with_config(config.with_modules([*config.modules, "state.tgz"]))
        yield "update_bootcfg", bank, "appended ' --- state.tgz' to modules= in boot.cfg"
    else:
        yield "update_bootcfg", bank, "boot.cfg already lists state.tgz"
    yield "update_useropts", bank, "useropts.gz unchanged"


def count_run(old: bytes | None, now: str) -> bytes:
    """The new text of /etc/vmware/.backup.counter after one backup.sh run (F18), as ESX67TREE bin/backup.sh writes
    it: a header line, `# CREATED:` kept from the old file (or now), `# MODIFIED: <now>` and the count plus one.
    `now` is `date`'s output. The script echoes the CREATED line unquoted, so its blanks collapse to one.

    The image does not ship this file, so backup.sh creates it without the sticky bit: it has no `.#` twin, is never
    in local.tgz, never makes auto-backup.sh see a change, and is gone after a reboot (F16, F25)."""
    lines = (old or b"").decode("utf-8", "replace").splitlines()
    count = next((ln.strip() for ln in lines if "#" not in ln and ln.strip()), "0")
    created = next((ln for ln in lines if "# CREATED:" in ln), f"# CREATED: {now}")
    number = int(count) + 1 if count.isascii() and count.isdigit() else 1  # `expr` reads ASCII digits only
    header = "# This file is owned and updated by /sbin/backup.sh"
    return f"{header}\n{' '.join(created.split())}\n# MODIFIED: {now}\n{number}\n".encode()


# -- the scripts as they run on a host ---------------------------------------------------------------------------


def wrap_state(host: Host, local: list[tuple[str, FileEntry]], mtime: int) -> bytes:
    """state.tgz around a local.tgz of `local`'s members, encrypted as local.tgz.ve on a 7.0 U2+ host (F17, F36)."""
    return _archives(host, local, mtime)[1]


def fresh_state(host: Host, fs: VisorFS, paths: Sequence[str] | None = None) -> tuple[bytes, bytes]:
    """(local.tgz, state.tgz) of the running configuration, as backup.sh builds them (F16, F17, F36)."""
    chosen = files_to_save(fs, host.version) if paths is None else paths
    return _archives(host, local_members(fs, chosen), epoch(host.clock))


def _archives(host: Host, local: list[tuple[str, FileEntry]], mtime: int) -> tuple[bytes, bytes]:
    local_tgz, state_tgz = statearchive.build_state_tgz(local, mtime=mtime)
    if host.secure_config:
        state_tgz = statearchive.build_encrypted_state_tgz(local_tgz, key=host._tpm_key, mtime=mtime)
    # remembered under the key auto-backup.sh will read it with (plain archives ignore the key)
    _remember(state_tgz, host._tpm_key, {name: entry.data for name, entry in local if entry.kind == FILE})
    return local_tgz, state_tgz


def count_this_run(host: Host, fs: VisorFS, now: int) -> None:
    """Every backup.sh run counts itself in /etc/vmware/.backup.counter before it saves (F18). The script writes it
    with `echo > file`: when that fails (a full etc ramdisk) the shell says so and the script goes on."""
    counter = fs.lookup(COUNTER_FILE)
    with contextlib.suppress(EsxiStateError):
        fs.write(COUNTER_FILE, count_run(counter and counter.data, date_line(host.clock)), now=now)


def skip(host: Host, trigger: str, reason: str, cause: str) -> BackupResult:
    """A run that saved nothing, saying why in words (`reason`) and as data (`cause`, one of SKIP_CAUSES); recorded
    in the history unless cron started it (an idle hour says nothing)."""
    assert cause in SKIP_CAUSES, cause
    result = BackupResult(trigger, True, reason, cause=cause)
    if trigger != "cron":
        who = {"hostd": "hostd did not start a backup", "shutdown": "/bin/backup.sh 1 (shutdown)"}
        summary = f"{who.get(trigger, f'auto-backup.sh ({trigger})')}: {reason}"
        host._record("backup-skipped", summary, (), {"result": result})
    return result


def choose_target(marker: bool, banks: Sequence[BootBank], booted: int) -> tuple[int, str]:
    """F15, the one place it is decided: /altbootbank when a live install left its marker (`marker`) and the
    altbootbank is VALID, else /bootbank. Returns the bank's index and the path backup.sh writes to."""
    alt = 1 - booted
    if marker and len(banks) > 1 and banks[alt].state is BankState.VALID:
        return alt, "/altbootbank"
    return booted, "/bootbank"


def target(host: Host) -> tuple[int, str]:
    """Where this host's next backup.sh run writes (F15)."""
    booted, fs = host._booted, host._fs
    assert booted is not None and fs is not None
    return choose_target(fs.exists(UPDATE_MARKER), host._banks, booted)


def auto_backup(host: Host, trigger: str, power_loss_after: str | None = None) -> BackupResult:
    """/sbin/auto-backup.sh (F14): backup.sh 0 only when a file to save differs from state.tgz or there is none.
    `power_loss_after` names a step of STEPS after which the power fails."""
    from . import bootdevice  # bootdevice builds on this module's archives

    if host.stateless:
        why = "Bootbank cannot be found at path '/bootbank' (PXE-booted hosts are not backed up, F41)"
        return skip(host, trigger, why, "stateless")
    if host.boot_device != bootdevice.OK:
        return bootdevice.auto_backup(host, trigger)  # the alert, or a "backup" into /tmp (F47)
    fs = host._fs
    bank = host.bootbank
    assert fs is not None and bank is not None
    saved: Mapping[str, bytes] | None = None
    if bank.has_state:
        # auto-backup.sh unpacks state.tgz and its local.tgz into /tmp/auto-backup.<pid> to compare (F14): once,
        # for both the free-space check and the comparison
        state = bank.files["state.tgz"]
        saved = unpacked(state, host._tpm_key)
        size = len(state) + sum(len(b) for b in saved.values()) if saved is not None else 0
        if size > fs.ramdisk("tmp").free:
            return skip(
                host, trigger, "Unable to extract system configuration.  Are you out of disk space?", "tmp-full"
            )
    paths = files_to_save(fs, host.version)
    encrypt = host.secure_config
    needed, why = needs_backup(fs, bank, host.version, host._tpm_key, encrypt=encrypt, saved=saved, paths=paths)
    if not needed:
        return skip(host, trigger, why, "unchanged")
    return backup_sh(host, trigger, is_shutdown=False, power_loss_after=power_loss_after, reason=why, paths=paths)


def _hostd_may_start(host: Host) -> bool:
    """hostd starts at most HOSTD_BACKUPS_PER_HOUR backups an hour (F21); a started one counts from now."""
    hour_ago = host.clock - timedelta(hours=1)
    host._hostd_backups = [t for t in host._hostd_backups if t > hour_ago]
    if len(host._hostd_backups) >= HOSTD_BACKUPS_PER_HOUR:
        return False
    host._hostd_backups.append(host.clock)
    return True


def backup_sh(
    host: Host,
    trigger: str,
    *,
    is_shutdown: bool,
    power_loss_after: str | None = None,
    reason: str = "",
    paths: Sequence[str] | None = None,
) -> BackupResult:
    """/sbin/backup.sh 0 (or /bin/backup.sh 1 at shutdown): save the files with a `.#` twin into the target bank's
    state.tgz through STEPS (F15-F18), and at shutdown into a staged image too (F20). `power_loss_after` cuts the
    power after that step; `trigger` says who started it ("manual", "cron", "hostd", "shutdown"); `paths`, the
    files to save when the caller has just chosen them (auto-backup.sh), saves choosing them twice."""
    from . import bootdevice  # bootdevice builds on this module's archives

    if host.stateless:
        return skip(host, trigger, "Bootbank cannot be found at path '/bootbank' (F41)", "stateless")
    if host.boot_device != bootdevice.OK:
        return bootdevice.backup_sh(host, trigger, is_shutdown=is_shutdown, reason=reason)  # F47
    fs = host._fs
    assert fs is not None and host._booted is not None
    paths = list(files_to_save(fs, host.version) if paths is None else paths)
    if trigger == "hostd" and not _hostd_may_start(host):
        why = f"hostd already started {HOSTD_BACKUPS_PER_HOUR} backups in the last hour; this change waits for the"
        return skip(host, trigger, why + " hourly cron run", "hostd-limit")
    now = epoch(host.clock)
    count_this_run(host, fs, now)
    if not paths:
        return skip(
            host, trigger, "no file under /etc has a .# twin: nothing to save, nothing written", "nothing-to-save"
        )
    local_tgz, state_tgz = fresh_state(host, fs, paths)
    index, where = target(host)
    host._pid += 1
    done, lines = _run_steps(host, fs, index, where, (local_tgz, state_tgz), power_loss_after, now)
    interrupted = power_loss_after if power_loss_after in done else None
    also = _save_into_staged(host, index, local_tgz, state_tgz) if is_shutdown and interrupted is None else ()
    result = BackupResult(
        trigger,
        False,
        reason or ("shutdown: backup.sh 1 saves unconditionally" if is_shutdown else "backup.sh 0"),
        where,
        host._banks[index].label,
        tuple(paths),
        len(local_tgz),
        len(state_tgz),
        tuple(done),
        interrupted,
        also,
    )
    host._record(
        "backup",
        _summary(result, is_shutdown),
        tuple(paths),
        {"result": result, "steps": tuple(lines), "bank": host._banks[index].label},
    )
    if interrupted:
        host.power_loss()
    return result


def _run_steps(
    host: Host, fs: VisorFS, index: int, where: str, archives: tuple[bytes, bytes], cut: str | None, now: int
) -> tuple[list[str], list[str]]:
    """Write the archives into bank `index` step by step (F17), taking and releasing the lock file in /tmp (F19);
    stop after step `cut`. Returns the steps done and a line for each."""
    pid = host._pid
    lock = f"/tmp/{where.strip('/')}.lck"
    done: list[str] = []
    lines: list[str] = []
    for step, bank, line in bank_steps(host._banks[index], *archives, pid):
        host._banks[index] = bank
        if step == "lock":
            try:
                fs.write(lock, f"{pid}\n".encode(), now=now)
            except RamdiskFull:  # a full /tmp: `echo $$ > lock` fails and the script goes on, as with F18's counter
                line = f"sh: can't create {lock}: No space left on device"
        elif step == "unlock" and fs.exists(lock):
            fs.delete(lock)
        done.append(step)
        lines.append(f"{step}: {line}")
        if step == cut:
            break
    return done, lines


def _save_into_staged(host: Host, index: int, local_tgz: bytes, state_tgz: bytes) -> tuple[str, ...]:
    """At shutdown, a staged image on the altbootbank gets the configuration too (F20); ("/altbootbank",) if so."""
    assert host._booted is not None
    alt = 1 - host._booted
    staged = host._banks[alt]
    if alt == index or not staged_is_newer(staged, host._banks[host._booted]):
        return ()
    for _step, bank, _line in bank_steps(staged, local_tgz, state_tgz, host._pid):
        staged = bank
    host._banks[alt] = staged
    return ("/altbootbank",)


def _summary(result: BackupResult, is_shutdown: bool) -> str:
    script = "/bin/backup.sh 1" if is_shutdown else "/sbin/backup.sh 0"
    who = f"{script} ({result.trigger})"
    n, where, cut = len(result.files), result.target, result.interrupted_after
    if cut and "rename_state" not in result.steps_done:
        return (
            f"{who} had chosen {n} files for local.tgz inside {where}/state.tgz; POWER LOST after step {cut}, "
            "before the rename: state.tgz is unchanged"
        )
    extra = f" and {', '.join(result.also)}" if result.also else ""
    after = f"; POWER LOST after step {cut}, after the rename" if cut else ""
    return f"{who} saved {n} files into local.tgz inside {where}/state.tgz{extra}{after}"
