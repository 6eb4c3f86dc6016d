"""Vib: an ESXi software package, whose vgz/tgz payloads are the tardisks the boot loader mounts.

A real VIB is a signed archive holding a descriptor (name, version, vendor, acceptance level, flags, file list) and
payloads (F10, F30). Boot payloads (`b`, `k`, `procfs`, microcode) are loaded by the boot loader into the VMkernel
and never appear as files; vgz/tgz payloads are tardisks. On the boot bank each payload becomes a module file with
an 8.3 name: the payload name cut to 8 characters, dashes as underscores, `.v00` counting up on collisions (F11).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from xml.etree import ElementTree

from . import archive
from .entry import DIR, FILE, FileEntry
from .errors import CorruptArchive, InvalidPath
from .layers import norm, parent_of

__all__ = ["ACCEPTANCE_LEVELS", "Payload", "Vib", "module_file_name"]

ACCEPTANCE_LEVELS = ("VMwareCertified", "VMwareAccepted", "PartnerSupported", "CommunitySupported")
_XML_ACCEPTANCE = {
    "VMwareCertified": "certified",
    "VMwareAccepted": "accepted",
    "PartnerSupported": "partner",
    "CommunitySupported": "community",
}
_EXT = {"boot": "b", "vgz": "v", "tgz": "t"}
DEFAULT_MTIME = 1_522_790_481  # 2018-04-03 21:21:21 UTC, the 6.7 GA release date


def module_file_name(payload: str, kind: str, taken: Iterable[str]) -> str:
    """The boot bank file name of a payload (F11): ``esx-ui`` -> ``esx_ui.v00``; collisions count up."""
    base = payload[:8].replace("-", "_")
    used = set(taken)
    letter = _EXT[kind]
    for n in range(100):
        candidate = f"{base}.{letter}{n:02d}"
        if candidate not in used:
            return candidate
    raise ValueError(f"no free module name for payload {payload}")


@dataclass(frozen=True, slots=True)
class Payload:
    """One payload of a VIB. `kind` is "boot" (VMkernel side, not a file system), "vgz" or "tgz" (tardisks)."""

    name: str
    kind: str
    data: bytes = field(repr=False)
    vfat_name: str | None = None  # explicit bank file name (jumpstrt.gz, useropts.gz, features.gz, imgdb.tgz)

    @property
    def is_tardisk(self) -> bool:
        return self.kind in ("vgz", "tgz")


@dataclass(frozen=True, slots=True)
class Vib:
    """An ESXi package (F30). `files` lists the absolute paths its tardisk payloads ship; `modules` records the boot
    bank file that holds each payload once it is installed (what imgdb.tgz records, F31)."""

    name: str
    version: str
    vendor: str = "VMware"
    acceptance: str = "VMwareCertified"
    summary: str = ""
    overlay: bool = False
    live_install: bool = False
    live_remove: bool = False
    maintenance_mode: bool = True
    base: bool = False  # a core VIB that cannot be removed (7.0+: the base image; 6.x: others depend on it, F48)
    payloads: tuple[Payload, ...] = field(default=(), repr=False)
    files: tuple[str, ...] = field(default=(), repr=False)
    modules: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (payload name, bank file name)
    install_date: str = ""

    @property
    def id(self) -> str:
        """The VIB id ESXi prints: ``<vendor>_bootbank_<name>_<version>`` (F30)."""
        return f"{self.vendor}_bootbank_{self.name}_{self.version}"

    @classmethod
    def build(
        cls,
        name: str,
        version: str,
        files: Mapping[str, bytes | str | FileEntry],
        *,
        vendor: str = "ESXiStateLab",
        acceptance: str = "CommunitySupported",
        summary: str = "",
        overlay: bool = False,
        live_install: bool = True,
        live_remove: bool | None = None,
        modes: Mapping[str, int] | None = None,
        mtime: int = DEFAULT_MTIME,
    ) -> Vib:
        """Build a VIB with one tardisk payload named after the VIB, holding `files` ({"/opt/x/README": b"..."}).

        `modes` sets permission bits per path (default 0644; 01644 marks a sticky, persisted /etc file, F26).
        `overlay=True` lets it replace files another VIB owns (F30); `live_install` says whether it may be mounted
        into a running host without a reboot (F33).
        """
        if acceptance not in ACCEPTANCE_LEVELS:
            raise ValueError(f"acceptance must be one of {', '.join(ACCEPTANCE_LEVELS)}")
        if not name or not version:
            raise ValueError("a VIB needs a name and a version")
        payload = tardisk_payload(name, files, modes=modes, mtime=mtime)
        return cls(
            name=name,
            version=version,
            vendor=vendor,
            acceptance=acceptance,
            summary=summary or f"{name} {version}",
            overlay=overlay,
            live_install=live_install,
            live_remove=live_install if live_remove is None else live_remove,
            maintenance_mode=not live_install,
            payloads=(payload,),
            files=tuple(sorted(_norm_files(files))),
        )

    @property
    def tardisk_payloads(self) -> tuple[Payload, ...]:
        return tuple(p for p in self.payloads if p.is_tardisk)

    def with_modules(self, taken: Iterable[str], install_date: str) -> Vib:
        """This VIB with a bank file name chosen for every payload, avoiding `taken` (F11)."""
        used = set(taken)
        chosen = []
        for p in self.payloads:
            fname = p.vfat_name or module_file_name(p.name, p.kind, used)
            used.add(fname)
            chosen.append((p.name, fname))
        return replace(self, modules=tuple(chosen), install_date=install_date)

    def module_of(self, payload: str) -> str:
        return dict(self.modules)[payload]

    def descriptor_xml(self) -> str:
        """The descriptor esximage keeps in /var/db/esximg/vibs/ (F31), trimmed to the fields we simulate."""
        files = "".join(f"<file>{escape(p.lstrip('/'))}</file>" for p in self.files)
        payloads = "".join(
            f'<payload name="{escape(p.name)}" type="{p.kind}" size="{len(p.data)}">'
            f'<checksum checksum-type="sha-256">{hashlib.sha256(p.data).hexdigest()}</checksum></payload>'
            for p in self.payloads
        )
        flags = (
            f"<live-install-allowed>{str(self.live_install).lower()}</live-install-allowed>"
            f"<live-remove-allowed>{str(self.live_remove).lower()}</live-remove-allowed>"
            f"<maintenance-mode>{str(self.maintenance_mode).lower()}</maintenance-mode>"
            f"<stateless-ready>true</stateless-ready><overlay>{str(self.overlay).lower()}</overlay>"
        )
        return (
            f'<vib version="5.0"><type>bootbank</type><name>{escape(self.name)}</name>'
            f"<version>{escape(self.version)}</version><vendor>{escape(self.vendor)}</vendor>"
            f"<summary>{escape(self.summary)}</summary>"
            f"<acceptance-level>{_XML_ACCEPTANCE[self.acceptance]}</acceptance-level>"
            f"<system-requires>{flags}</system-requires><file-list>{files}</file-list>"
            f"<payloads>{payloads}</payloads></vib>\n"
        )

    def to_bytes(self) -> bytes:
        """The .vib file: an `ar` archive holding descriptor.xml, sig.pkcs7 and one member per payload, as real VIBs
        are (simplification: our sig.pkcs7 is empty, nothing is signed)."""
        members = [("descriptor.xml", self.descriptor_xml().encode()), ("sig.pkcs7", b"")]
        members += [(p.name, p.data) for p in self.payloads]
        out = [b"!<arch>\n"]
        for name, data in members:
            header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
            out += [header, data, b"\n" if len(data) % 2 else b""]
        return b"".join(out)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "VIB") -> Vib:
        """Read a .vib file written by `to_bytes` (CorruptArchive when it is not one)."""
        if not data.startswith(b"!<arch>\n"):
            raise CorruptArchive("it is not a VIB (a VIB is an ar archive starting with !<arch>)", name)
        pos, members = 8, {}
        while pos + 60 <= len(data):
            header = data[pos : pos + 60]
            try:
                size = int(header[48:58].decode().strip())
            except ValueError:
                raise CorruptArchive("a member header of the VIB is damaged", name) from None
            member = header[:16].decode("utf-8", "replace").strip().rstrip("/")
            members[member] = data[pos + 60 : pos + 60 + size]
            pos += 60 + size + (size % 2)
        xml = members.get("descriptor.xml")
        if xml is None:
            raise CorruptArchive("the VIB has no descriptor.xml", name)
        try:
            root = ElementTree.fromstring(xml.decode())
        except ElementTree.ParseError as err:
            raise CorruptArchive(f"its descriptor.xml is not valid XML ({err})", name) from None

        def text(tag: str, default: str = "") -> str:
            node = root.find(tag)
            return node.text or default if node is not None else default

        def flag(tag: str) -> bool:
            return text(f"system-requires/{tag}") == "true"

        levels = {v: k for k, v in _XML_ACCEPTANCE.items()}
        payloads = []
        for node in root.findall("payloads/payload"):
            pname, kind = node.get("name", ""), node.get("type", "vgz")
            if pname not in members or kind not in _EXT:
                raise CorruptArchive(f"payload {pname!r} is missing or of an unknown type", name)
            payloads.append(Payload(pname, kind, members[pname]))
        return cls(
            name=text("name"),
            version=text("version"),
            vendor=text("vendor"),
            acceptance=levels.get(text("acceptance-level"), "CommunitySupported"),
            summary=text("summary"),
            overlay=flag("overlay"),
            live_install=flag("live-install-allowed"),
            live_remove=flag("live-remove-allowed"),
            maintenance_mode=flag("maintenance-mode"),
            payloads=tuple(payloads),
            files=tuple("/" + (f.text or "") for f in root.findall("file-list/file")),
        )

    def __repr__(self) -> str:
        flags = [f for f, on in (("overlay", self.overlay), ("live", self.live_install)) if on]
        extra = f", {', '.join(flags)}" if flags else ""
        return f"Vib({self.name!r}, {self.version!r}, {self.vendor}{extra})"


def escape(text: str) -> str:
    """XML-escape text (xml.sax.saxutils would pull urllib into `import esxistate`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _norm_files(files: Mapping[str, object]) -> list[str]:
    return [norm(p) for p in files]


def tardisk_payload(
    name: str,
    files: Mapping[str, bytes | str | FileEntry],
    *,
    modes: Mapping[str, int] | None = None,
    mtime: int = DEFAULT_MTIME,
    kind: str = "vgz",
) -> Payload:
    """A vgz payload: a real gzip'd tar of `files`, with a directory member for every parent."""
    return Payload(name, kind, archive.build_tgz(tree_members(files, modes=modes, mtime=mtime)))


def tree_members(
    files: Mapping[str, bytes | str | FileEntry], *, modes: Mapping[str, int] | None = None, mtime: int
) -> list[tuple[str, FileEntry]]:
    """Relative tar members for `files` (absolute paths), parents first, then files in path order."""
    modes = modes or {}
    entries: dict[str, FileEntry] = {}
    for path, value in files.items():
        p = norm(path)
        if p == "/":
            raise InvalidPath(path, "a VIB file needs a name: '/' is the root directory itself")
        if isinstance(value, FileEntry):
            entry = value
        else:
            data = value.encode() if isinstance(value, str) else bytes(value)
            entry = FileEntry(FILE, modes.get(path, modes.get(p, 0o644)), data, 0, 0, mtime)
        entries[p] = entry
    dirs: dict[str, FileEntry] = {}
    for p in entries:
        parent = parent_of(p)
        while parent != "/" and parent not in dirs and parent not in entries:
            dirs[parent] = FileEntry(DIR, 0o755, b"", 0, 0, mtime)
            parent = parent_of(parent)
    ordered = sorted(dirs.items()) + sorted(entries.items())
    return [(p.lstrip("/"), e) for p, e in ordered]
