"""ConfigBundle: the configBundle-<host>.tgz a host's configuration backup produces, read in memory.

`vim-cmd hostsvc/firmware/backup_config` (PowerCLI: Get-VMHostFirmware -BackupConfiguration) writes
configBundle-<hostname>.tgz (F43). What is in it, and what a restore rewrites, is ESX67TREE bin/firmwareConfig.sh:

- backup: `backup.sh 0 <staging dir>` writes a fresh state.tgz there (not into /bootbank), and because the target is
  not /bootbank, backup.sh also copies /bootbank/jumpstrt.gz into it (F18); then `Manifest.txt` gets four lines,
  `RELEASELEVEL=$(vmware -l)`, `UUID=$(esxcfg-info -u)`, `KERNELOPTS=` (boot.cfg's kernelopt) and
  `USEROPTS=$(esxcfg-info -c)`, and `tar czf` packs the directory's members.
- restore: no Manifest.txt -> "Invalid Bundle: Missing Manifest File"; a RELEASELEVEL other than the host's ->
  "Mismatched Bundle: Host release level: ... Bundle release level: ..." (force does not help); another host's UUID
  -> "Mismatched Bundle: Host UUID: ... Bundle UUID: ..." unless forced. Then it copies state.tgz over
  /bootbank/state.tgz (temp name, then rename), rewrites boot.cfg's kernelopt= with KERNELOPTS, writes USEROPTS
  into /bootbank/useropts.gz, appends ` --- state.tgz` to modules= if boot.cfg lacks it, and runs `reboot -f`, so no
  shutdown backup overwrites what it restored. The release level, not the build number, is compared: a bundle from
  another patch of the same release is accepted (which is what thedxt.ca 2023 reports of real hosts).

Simplification: the simulator keeps no user kernel options (useropts.gz is a stand-in), so USEROPTS is empty.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from . import archive
from .bootbank import BootBank
from .entry import FILE, FileEntry
from .errors import CorruptArchive, InvalidBundle, UnsafeArchive
from .statearchive import StateArchive, read_config

__all__ = ["MANIFEST_KEYS", "ConfigBundle", "build_bundle", "release_level", "restore_onto"]

MANIFEST_KEYS = ("RELEASELEVEL", "UUID", "KERNELOPTS", "USEROPTS")  # ESX67TREE bin/firmwareConfig.sh (F43)


def release_level(build: str) -> str:
    """What `vmware -l` prints for a build, which firmwareConfig.sh stores as RELEASELEVEL (F43). Published samples:
    "VMware ESXi 7.0 GA" for 7.0.0 build-16324942 (7.0b), "VMware ESXi 7.0 Update 3", "VMware ESXi 6.7.0 Update 3";
    6.x names the update in the build's release field (6.7.0-3.x), 7.0 and later in the version (7.0.3). "VMware
    ESXi 6.7.0 GA" for 6.7 GA follows the 6.7 form; no public capture of that line was found."""
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)-(\d+)\..*", build)
    if m is None:
        return f"VMware ESXi {build}"
    major, minor, micro, release = (int(g) for g in m.groups())
    if major < 7:
        return f"VMware ESXi {major}.{minor}.{micro} " + (f"Update {release}" if release else "GA")
    return f"VMware ESXi {major}.{minor} " + (f"Update {micro}" if micro else "GA")


@dataclass(frozen=True, slots=True)
class ConfigBundle:
    """A configuration bundle: its Manifest.txt keys and the state.tgz it carries."""

    name: str
    manifest: Mapping[str, str] = field(repr=False)
    state_tgz: bytes = field(repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "configBundle.tgz") -> ConfigBundle:
        if not isinstance(name, str):
            name = str(name)
        try:
            members = read_config(data, name=name)
        except (CorruptArchive, UnsafeArchive) as err:
            raise InvalidBundle(str(err)) from None
        files = {n: e for n, e in members.items() if e.kind == FILE}
        if "Manifest.txt" not in files:
            held = ", ".join(sorted(files)) or "nothing"
            raise InvalidBundle(f"Invalid Bundle: Missing Manifest File (it holds {held})")
        if "state.tgz" not in files:
            raise InvalidBundle("it holds no state.tgz to restore")
        manifest: dict[str, str] = {}
        for line in files["Manifest.txt"].data.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition("=")
            if sep and key in MANIFEST_KEYS and key not in manifest:
                manifest[key] = value
        for key in ("RELEASELEVEL", "UUID"):
            if not manifest.get(key):
                raise InvalidBundle(f"Manifest.txt has no {key}= line")
        state = files["state.tgz"].data
        try:
            StateArchive.from_bytes(state)
        except (CorruptArchive, UnsafeArchive) as err:
            raise InvalidBundle(f"its state.tgz is unreadable ({err})") from None
        return cls(name, MappingProxyType(manifest), state)

    @classmethod
    def open(cls, path: str | Path) -> ConfigBundle:
        """Read the configBundle-*.tgz at `path` on this computer: a regular file of at most `limits.MAX_FILE`
        bytes (UnreadableFile otherwise: a missing path, a folder, a device such as /dev/zero)."""
        data, name = archive.read_file(path)
        return cls.from_bytes(data, name=name)

    @property
    def uuid(self) -> str:
        return self.manifest["UUID"]

    @property
    def release_level(self) -> str:
        """RELEASELEVEL, what `vmware -l` printed on the host that made the bundle."""
        return self.manifest["RELEASELEVEL"]

    @property
    def build(self) -> str:
        """The manifest carries no build number, only the release level (F43); this is `release_level`."""
        return self.release_level

    @property
    def kernelopts(self) -> str:
        return self.manifest.get("KERNELOPTS", "")

    @property
    def useropts(self) -> str:
        return self.manifest.get("USEROPTS", "")

    @property
    def state(self) -> StateArchive:
        return StateArchive.from_bytes(self.state_tgz)

    def __repr__(self) -> str:
        return f"ConfigBundle({self.name!r}, {self.release_level}, UUID {self.uuid})"


def build_bundle(
    *,
    uuid: str,
    build: str,
    state_tgz: bytes | None,
    mtime: int,
    kernelopt: str = "",
    jumpstrt: bytes | None = None,
    hostname: str = "",
) -> bytes:
    """The bytes of configBundle-<hostname>.tgz: Manifest.txt, jumpstrt.gz (when the boot bank has one) and state.tgz
    (when backup.sh had files to save), as firmwareConfig.sh's `tar czf ... *` packs them, in name order."""
    del hostname  # the bundle names the host only in its file name
    manifest = f"RELEASELEVEL={release_level(build)}\nUUID={uuid}\nKERNELOPTS={kernelopt}\nUSEROPTS=\n".encode()
    members = [("Manifest.txt", manifest), ("jumpstrt.gz", jumpstrt), ("state.tgz", state_tgz)]
    return archive.build_tgz([(n, FileEntry(FILE, 0o644, d, 0, 0, mtime)) for n, d in members if d is not None])


def restore_onto(bank: BootBank, bundle: ConfigBundle) -> BootBank:
    """The boot bank after firmwareConfig.sh's RestoreConfiguration wrote it (F43): state.tgz from the bundle (copied
    under a temporary name, then renamed), kernelopt= set to KERNELOPTS, useropts.gz holding USEROPTS (`echo | gzip`,
    so with a newline), and ` --- state.tgz` appended to modules= when boot.cfg does not name state.tgz. Nothing else
    (jumpstrt.gz, features.gz, the other modules) is touched."""
    config = bank.boot_config().with_value("kernelopt", bundle.kernelopts)
    if "state.tgz" not in config.dumps():
        config = config.with_modules([*config.module_options, ("state.tgz", "")])
    useropts = gzip.compress((bundle.useropts + "\n").encode(), mtime=0)
    return bank.replace_files({"state.tgz": bundle.state_tgz, "useropts.gz": useropts}).with_config(config)
