"""ConfigBundle: the configBundle-<host>.tgz a host's configuration backup produces, read in memory.

`vim-cmd hostsvc/firmware/backup_config` (PowerCLI: Get-VMHostFirmware -BackupConfiguration) writes
configBundle-<hostname>.tgz: a gzip'd tar holding `Manifest.txt`, naming the host's UUID and build, and the host's
`state.tgz` (F43). Restoring it (`vim-cmd hostsvc/firmware/restore_config`) refuses a bundle from another host or
build (MismatchedBundle) unless forced, and one without those contents (InvalidBundle), then reboots the host.
Simplification: the manifest's exact keys are background knowledge; ours are `uuid=`, `build=` and `hostname=`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from . import archive
from .entry import FILE, FileEntry
from .errors import CorruptArchive, InvalidBundle, UnsafeArchive
from .statearchive import StateArchive

__all__ = ["ConfigBundle", "build_bundle"]


@dataclass(frozen=True, slots=True)
class ConfigBundle:
    """A configuration bundle: its manifest fields and the state.tgz it carries."""

    name: str
    manifest: Mapping[str, str] = field(repr=False)
    state_tgz: bytes = field(repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "configBundle.tgz") -> ConfigBundle:
        try:
            members = archive.read_members(data, name=name)
        except (CorruptArchive, UnsafeArchive) as err:
            raise InvalidBundle(str(err)) from None
        files = {n: e for n, e in members.items() if e.kind == FILE}
        if "Manifest.txt" not in files or "state.tgz" not in files:
            raise InvalidBundle(f"it must hold Manifest.txt and state.tgz, and it holds {', '.join(sorted(files))}")
        manifest: dict[str, str] = {}
        for line in files["Manifest.txt"].data.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                manifest[key.strip()] = value.strip()
        for key in ("uuid", "build"):
            if not manifest.get(key):
                raise InvalidBundle(f"Manifest.txt does not name the host's {key}")
        state = files["state.tgz"].data
        try:
            StateArchive.from_bytes(state)
        except (CorruptArchive, UnsafeArchive) as err:
            raise InvalidBundle(f"its state.tgz is unreadable ({err})") from None
        return cls(name, MappingProxyType(manifest), state)

    @classmethod
    def open(cls, path: str | Path) -> ConfigBundle:
        p = Path(path)
        return cls.from_bytes(p.read_bytes(), name=p.name)

    @property
    def uuid(self) -> str:
        return self.manifest["uuid"]

    @property
    def build(self) -> str:
        return self.manifest["build"]

    @property
    def state(self) -> StateArchive:
        return StateArchive.from_bytes(self.state_tgz)

    def __repr__(self) -> str:
        return f"ConfigBundle({self.name!r}, host {self.manifest.get('hostname', '?')}, build {self.build})"


def build_bundle(*, uuid: str, build: str, hostname: str, state_tgz: bytes, mtime: int) -> bytes:
    """The bytes of configBundle-<hostname>.tgz for a host."""
    manifest = f"# configBundle manifest\nuuid={uuid}\nbuild={build}\nhostname={hostname}\n".encode()
    return archive.build_tgz(
        [
            ("Manifest.txt", FileEntry(FILE, 0o644, manifest, 0, 0, mtime)),
            ("state.tgz", FileEntry(FILE, 0o644, state_tgz, 0, 0, mtime)),
        ]
    )
