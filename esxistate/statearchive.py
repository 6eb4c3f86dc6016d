"""StateArchive: read a state.tgz, ours or one copied off a real ESXi host, without unpacking it to disk.

A state.tgz holds exactly one member, local.tgz, whose members are the saved files as relative paths (`etc/hosts`,
F16, F17). From ESXi 7.0 Update 2 the configuration is encrypted: state.tgz then holds `local.tgz.ve` and
`encryption.info` instead (F36), and its key is sealed on the host, so the files cannot be listed elsewhere.

Simplification, said plainly: our `local.tgz.ve` reproduces that layout, not VMware's cryptography. It is the
local.tgz bytes XORed with a SHA-256 keystream, behind a short header naming the authenticated-data string
"ESXConfiguration"; it exists so a simulated 7.0 U2 host can restore its own state at boot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from . import archive, limits
from .display import DrawsItself
from .entry import FILE, FileEntry
from .errors import CorruptArchive, EncryptedConfig, NoSuchFile

__all__ = [
    "StateArchive",
    "build_encrypted_state_tgz",
    "build_state_tgz",
    "decrypt_state_for_simulation",
    "read_config",
]

_VE_MAGIC = b"ESXISTATE-SIMULATED-VE1\nAAD=ESXConfiguration\n"


@dataclass(frozen=True, slots=True)
class StateArchive(DrawsItself):
    """A state.tgz opened in memory. `files` maps `etc/...` names to entries; `encrypted` for 7.0 U2+ layouts."""

    _bundle = "statearchive_bundle"

    name: str
    members: Mapping[str, FileEntry] = field(repr=False)
    encrypted: bool
    _files: Mapping[str, FileEntry] | None = field(repr=False, default=None)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "state.tgz") -> StateArchive:
        """Read a state.tgz's bytes (CorruptArchive, UnsafeArchive). Both archives are held to the limits of a
        configuration (`limits.CONFIG_MAX_TOTAL`), far past what a real host saves."""
        if not isinstance(name, str):
            name = str(name)
        outer = read_config(data, name=name)
        files_only = {n: e for n, e in outer.items() if e.kind == FILE}
        names = set(files_only)
        if names == {"local.tgz"}:
            inner = read_config(files_only["local.tgz"].data, name="local.tgz")
            local = MappingProxyType({n: e for n, e in inner.items() if e.kind == FILE})
            return cls(name, MappingProxyType(files_only), False, local)
        info = {"encryption.info", ".#encryption.info"}
        if "local.tgz.ve" in names and names - {"local.tgz.ve"} <= info and names & info:
            return cls(name, MappingProxyType(files_only), True, None)
        shown = ", ".join(sorted(names)) or "nothing"
        raise CorruptArchive(
            f"state.tgz must hold local.tgz (or local.tgz.ve with encryption.info); this one holds: {shown}", name
        )

    @classmethod
    def open(cls, path: str | Path) -> StateArchive:
        """Read the state.tgz at `path` on this computer: a regular file of at most `limits.MAX_FILE` bytes
        (UnreadableFile otherwise: a missing path, a folder, a device such as /dev/zero)."""
        data, name = archive.read_file(path)
        return cls.from_bytes(data, name=name)

    @property
    def layout(self) -> str:
        return "local.tgz.ve" if self.encrypted else "local.tgz"

    @property
    def local_tgz(self) -> bytes:
        if self.encrypted:
            raise EncryptedConfig(self.name)
        return self.members["local.tgz"].data

    @property
    def files(self) -> Mapping[str, FileEntry]:
        if self._files is None:
            raise EncryptedConfig(self.name)
        return self._files

    def names(self) -> list[str]:
        return sorted(self.files)

    def read(self, name: str) -> bytes:
        key = name.lstrip("/")
        hit = self.files.get(key)
        if hit is None:
            raise NoSuchFile("/" + key)
        return hit.data

    def read_text(self, name: str) -> str:
        return self.read(name).decode("utf-8", "replace")

    def listing(self) -> str:
        """`tar tzvf state.tgz`, then `tar tzvf local.tgz`, as a student would type them on the host."""
        outer = archive.build_tgz(list(self.members.items()))
        text = f"[root@esxi:/tmp] tar tzvf {self.name}\n" + archive.tzvf(outer)
        if not self.encrypted:
            text += "[root@esxi:/tmp] tar tzvf local.tgz\n" + archive.tzvf(self.local_tgz)
        return text

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._files is not None and name.lstrip("/") in self._files

    def __len__(self) -> int:
        return len(self._files) if self._files is not None else 0

    def __repr__(self) -> str:
        if self.encrypted:
            return f"StateArchive({self.name!r}, encrypted: local.tgz.ve + encryption.info)"
        return f"StateArchive({self.name!r}, local.tgz with {len(self)} files)"


def read_config(data: bytes, *, name: str) -> dict[str, FileEntry]:
    """The members of a configuration archive (state.tgz, local.tgz, a configBundle), under the configuration limits."""
    return archive.read_members(
        data, name=name, max_member_size=limits.CONFIG_MAX_MEMBER, max_total_size=limits.CONFIG_MAX_TOTAL
    )


def build_state_tgz(local_members: Iterable[tuple[str, FileEntry]], *, mtime: int) -> tuple[bytes, bytes]:
    """(local.tgz, state.tgz) for these members; state.tgz's only member is local.tgz, mode 0700 (S7)."""
    local = archive.build_tgz(list(local_members))
    state = archive.build_tgz([("local.tgz", FileEntry(FILE, 0o700, local, 0, 0, mtime))])
    return local, state


def _keystream(key: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:length])


def build_encrypted_state_tgz(local_tgz: bytes, *, key: bytes, mtime: int) -> bytes:
    """A 7.0 U2+ style state.tgz: `local.tgz.ve` (simulated envelope) + `encryption.info`."""
    body = bytes(a ^ b for a, b in zip(local_tgz, _keystream(key, len(local_tgz)), strict=True))
    tag = hashlib.sha256(key + b"ESXConfiguration" + local_tgz).digest()
    envelope = _VE_MAGIC + tag + body
    info = (
        "# esxistate simulated encryption.info: the real file seals the key with the host's TPM (F36)\n"
        f"scheme=sha256-xor-simulation\nkey-id={hashlib.sha256(key).hexdigest()[:16]}\n"
    ).encode()
    return archive.build_tgz(
        [
            ("encryption.info", FileEntry(FILE, 0o600, info, 0, 0, mtime)),
            ("local.tgz.ve", FileEntry(FILE, 0o600, envelope, 0, 0, mtime)),
        ]
    )


def decrypt_state_for_simulation(state_tgz: bytes, key: bytes) -> bytes:
    """local.tgz out of our own simulated `local.tgz.ve` (CorruptArchive if the key or envelope is wrong)."""
    outer = read_config(state_tgz, name="state.tgz")
    ve = outer.get("local.tgz.ve")
    if ve is None or not ve.data.startswith(_VE_MAGIC):
        raise CorruptArchive("there is no simulated local.tgz.ve envelope to open", "state.tgz")
    rest = ve.data[len(_VE_MAGIC) :]
    tag, body = rest[:32], rest[32:]
    local = bytes(a ^ b for a, b in zip(body, _keystream(key, len(body)), strict=True))
    if hashlib.sha256(key + b"ESXConfiguration" + local).digest() != tag:
        raise CorruptArchive("local.tgz.ve does not open with this host's key", "state.tgz")
    return local
