"""hostd's side of the host: settings changed through it, maintenance mode, and the configuration bundles.

A change made through hostd (vSphere Client, esxcli, PowerCLI) rewrites the /etc files hostd owns and starts a
backup right away, at most 6 an hour (F21, F44c). `vim-cmd hostsvc/firmware/backup_config` and `restore_config`
run bin/firmwareConfig.sh (F43).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import backup, bootdevice, boundary, configstore, image
from .clock import epoch
from .configbundle import ConfigBundle, build_bundle, release_level, restore_onto
from .entry import FILE
from .errors import EsxiStateError, InvalidValue, MismatchedBundle, StatelessHost, UnknownSetting
from .events import Event
from .statearchive import StateArchive
from .visorfs import VisorFS

if TYPE_CHECKING:
    from .host import Host

__all__ = [
    "SETTINGS",
    "backup_config",
    "check_hostname",
    "configure",
    "hostname",
    "restore_config",
    "set_maintenance_mode",
    "setting_edits",
    "uuid",
]

SETTINGS = ("hostname", "root-password", "ntp-server", "dns-server")
ESX_CONF = "/etc/vmware/esx.conf"
RAW = ("utf-8", "surrogateescape")  # file bytes as text and back, unchanged even when they are not UTF-8


def hostname(host: Host) -> str:
    """`Host.hostname`: /adv/Misc/HostName in esx.conf, running or (host off) in the next boot's state.tgz."""
    m = re.search(rb'^/adv/Misc/HostName = "([^"]*)"', _esx_conf(host) or b"", re.M)
    # esx.conf is bytes anyone may write: a name that is not UTF-8 shows with U+FFFD marks
    return m.group(1).decode("utf-8", "replace") if m else "localhost"


def uuid(host: Host) -> str:
    """`Host.uuid`: /system/uuid in the running host's esx.conf ("" when it has none)."""
    fs = host._require_on("read its UUID")
    hit = fs.lookup(ESX_CONF)
    m = re.search(rb'^/system/uuid = "([^"]*)"', hit.data if hit is not None else b"", re.M)
    return m.group(1).decode("utf-8", "replace") if m else ""


def _esx_conf(host: Host) -> bytes | None:
    """esx.conf of the running host, or while it is off, as the default bank's state.tgz holds it (None: no bank,
    no state.tgz, an encrypted one, or one that cannot be read)."""
    if host._fs is not None:
        hit = host._fs.lookup(ESX_CONF)
        return hit.data if hit is not None else None
    bank = host._next_bank()
    if bank is None or "state.tgz" not in bank.files:
        return None
    try:
        saved = StateArchive.from_bytes(bank.files["state.tgz"])
        if saved.encrypted:
            return None
        entry = saved.files.get(ESX_CONF.lstrip("/"))
    except EsxiStateError:
        return None
    return entry.data if entry is not None else None


def check_hostname(value: object) -> str:
    """InvalidValue unless `value` is a host name hostd accepts: ASCII letters, digits and dashes, at most 63, not
    starting with a dash (the DNS label rule, RFC 1123)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})", value):
        raise InvalidValue("hostname", value, "a host name has letters, digits and dashes, at most 63")
    return value


def configure(host: Host, setting: str, value: str) -> backup.BackupResult:
    """What `Host.configure` does (see there): check the value, rewrite the files hostd owns, then hostd's own backup
    (F21)."""
    if not isinstance(setting, str) or setting not in SETTINGS:
        raise UnknownSetting(setting, SETTINGS)
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise InvalidValue(setting, value, "give one non-empty line")
    if setting == "hostname":
        check_hostname(value)
    if setting in ("ntp-server", "dns-server") and not re.fullmatch(r"[A-Za-z0-9.:-]+", value):
        raise InvalidValue(setting, value, "give a host name or an IP address")
    fs = host._require_on(f"change {setting}")
    with host._atomic():
        for path, body in setting_edits(host, fs, setting, value):
            host.fs.write(path, body)
        host._record(
            "configure",
            f"hostd changed {setting} to {value if setting != 'root-password' else '***'}",
            (),
            {"setting": setting},
        )
        result = backup.backup_sh(host, "hostd", is_shutdown=False, reason=f"hostd saved the {setting} change")
    return result


def setting_edits(host: Host, fs: VisorFS, setting: str, value: str) -> list[tuple[str, bytes]]:
    """(path, new bytes) of every file hostd rewrites for the setting: esx.conf and /etc/hosts for the host name,
    /etc/shadow, ntp.conf or resolv.conf, and on 7.0 the ConfigStore database where it holds the setting (F35)."""

    def text(path: str) -> str:  # bytes that are not UTF-8 pass through unchanged (surrogateescape, below)
        hit = fs.lookup(path)
        return hit.data.decode(*RAW) if hit is not None and hit.kind == FILE else ""

    now = epoch(host._clock)
    edits: list[tuple[str, bytes]] = []
    store_change: tuple[str, str, str, str, dict] | None
    if setting == "hostname":
        conf = re.sub(
            r'^/adv/Misc/HostName = ".*"$',
            f'/adv/Misc/HostName = "{value}"',
            text(ESX_CONF),
            flags=re.M,
        )
        edits.append((ESX_CONF, conf.encode(*RAW)))
        old = host.hostname
        hosts = "".join(
            re.sub(rf"\b{re.escape(old)}\b", value, line) if not line.startswith(("#", "127.", "::1")) else line
            for line in text("/etc/hosts").splitlines(keepends=True)
        )
        edits.append(("/etc/hosts", hosts.encode(*RAW)))
        store_change = None  # before 8.0 the host name and addresses live in esx.conf, not ConfigStore (F35)
    elif setting == "root-password":
        edits.append(("/etc/shadow", image.set_root_hash(text("/etc/shadow"), value).encode(*RAW)))
        store_change = (
            "esx",
            "authentication",
            "user_accounts",
            "root",
            {"name": "root", "password_hash": image.shadow_hash(value)},
        )
    elif setting == "ntp-server":
        lines = [ln for ln in text("/etc/ntp.conf").splitlines() if not ln.startswith("server ")]
        edits.append(("/etc/ntp.conf", ("\n".join([*lines, f"server {value}"]) + "\n").encode(*RAW)))
        store_change = ("esx", "time", "ntp", "", {"server": [value]})
    else:
        lines = [ln for ln in text("/etc/resolv.conf").splitlines() if not ln.startswith("nameserver ")]
        edits.append(("/etc/resolv.conf", ("\n".join([*lines, f"nameserver {value}"]) + "\n").encode(*RAW)))
        store_change = None  # network settings: esx.conf and resolv.conf on 7.0 (F35)
    if store_change and host._version.startswith("7") and fs.exists(backup.CONFIGSTORE_RUNTIME):
        store = configstore.set_value(fs.read(backup.CONFIGSTORE_RUNTIME), *store_change, now)
        edits.append((backup.CONFIGSTORE_RUNTIME, store))
    return edits


def set_maintenance_mode(host: Host, enabled: bool) -> Event | None:
    """What `Host.set_maintenance_mode` does (see there)."""
    if not isinstance(enabled, bool):
        raise InvalidValue("maintenance mode", enabled, "give True (enter) or False (exit)")
    host._require_on("change maintenance mode")
    if enabled == host._maintenance:
        return None
    host._maintenance = enabled
    return host._record(
        "maintenance-mode",
        "the host entered maintenance mode" if enabled else "the host exited maintenance mode",
        (),
        {"enabled": enabled},
    )


def backup_config(host: Host) -> str:
    """What `Host.backup_config` does (see there): firmwareConfig.sh --backup (F43)."""
    fs = host._require_on("back up its configuration")
    if host._stateless:
        raise StatelessHost("it keeps no state.tgz to bundle (F41)")
    bootdevice.require_device(host, "back up the configuration")
    with host._atomic():
        now = epoch(host._clock)
        paths = backup.files_to_save(fs, host._version)
        backup.count_this_run(host, fs, now)
        state = backup.fresh_state(host, fs, paths)[1] if paths else None
        bank = host.bootbank
        assert bank is not None
        data = build_bundle(
            uuid=host.uuid,
            build=bank.build,
            state_tgz=state,
            mtime=now,
            kernelopt=bank.boot_config().kernelopt,
            jumpstrt=bank.files.get("jumpstrt.gz"),
        )
        folder = f"/scratch/downloads/{host.uuid}"
        for d in ("/scratch", "/scratch/downloads", folder):
            if not host.fs.exists(d):
                host.fs.mkdir(d)
        path = f"{folder}/configBundle-{host.hostname}.tgz"
        host.fs.write(path, data)
        host._record(
            "backup-config",
            f"firmwareConfig.sh --backup: backup.sh 0 saved {len(paths)} files into a staging directory, not "
            f"/bootbank; Manifest.txt and state.tgz packed as {path}",
            tuple(paths),
        )
    return path


def restore_config(host: Host, bundle: bytes, *, force: bool = False) -> list[Event]:
    """What `Host.restore_config` does (see there): firmwareConfig.sh --restore, then `reboot -f` (F43)."""
    bundle = boundary.check_bundle(bundle)
    boundary.check_bool("force", force)
    host._require_on("restore a configuration")
    bootdevice.require_device(host, "restore a configuration")
    parsed = ConfigBundle.from_bytes(bundle)
    bank = host.bootbank
    assert bank is not None and host._booted is not None
    if parsed.release_level != release_level(bank.build):
        raise MismatchedBundle("release level", parsed.release_level, release_level(bank.build))
    if parsed.uuid != host.uuid and not force:
        raise MismatchedBundle("UUID", parsed.uuid, host.uuid)
    start = len(host._history)
    with host._atomic():
        host._banks[host._booted] = restore_onto(bank, parsed)
        host._record(
            "restore-config",
            f"configuration bundle restored into {bank.label}: state.tgz, kernelopt=, useropts.gz; reboot -f",
        )
        host._power_off("reboot", "rebooting to apply the restored configuration (no shutdown backup)")
        host.boot()
    return host._history[start:]
