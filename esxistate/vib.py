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

from . import archive, limits
from .entry import DIR, FILE, FileEntry
from .errors import CorruptArchive, InvalidPath, InvalidValue, UnplacedPayload, UnsafeArchive
from .layers import Tardisk, norm

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
    from .errors import VibError

    raise VibError(
        f"No free 8.3 file name for payload {payload!r}: the boot bank already holds {base}.{letter}00 to "
        f"{base}.{letter}99. Payload names that differ in their first 8 characters get names of their own (F11)."
    )


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
        for what, value in (("the VIB name", name), ("the VIB version", version)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidValue(
                    what, value, "a VIB needs a name and a version, as text such as 'lab-motd' and '1.0'"
                )
        for what, value in (("vendor", vendor), ("summary", summary)):
            if not isinstance(value, str):
                raise InvalidValue(what, _short(value), "it is text, such as 'ESXiStateLab'")
        if acceptance not in ACCEPTANCE_LEVELS:
            raise InvalidValue("acceptance", _short(acceptance), f"it is one of {', '.join(ACCEPTANCE_LEVELS)}")
        if isinstance(mtime, bool) or not isinstance(mtime, int) or not 0 <= mtime <= limits.MAX_MTIME:
            raise InvalidValue("mtime", _short(mtime), "it is whole seconds since 1970, up to the end of year 9999")
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
        """The boot bank file that holds `payload` once the VIB is installed (F11); UnplacedPayload otherwise."""
        placed = dict(self.modules)
        if not isinstance(payload, str) or payload not in placed:
            raise UnplacedPayload(self.id, str(payload))
        return placed[payload]

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
    def from_bytes(cls, data: bytes, *, name: str = "This .vib file") -> Vib:
        """Read a .vib file written by `to_bytes` (CorruptArchive when it is not one).

        Every ar header is checked before it is used: its size is decimal digits that fit in what is left of the
        file, so a negative or huge size is a damaged header, never a loop or a giant read. descriptor.xml must be
        UTF-8 XML without a DOCTYPE (entity declarations could make it expand without end); every file it lists is
        held to PATH_MAX and NAME_MAX (limits); every tardisk payload is read with the archive reader's rules."""
        name = name if isinstance(name, str) else str(name)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise _bad_vib(f"it was given as {type(data).__name__}, not as the bytes of a file", name)
        data = bytes(data)
        if len(data) > limits.MAX_VIB:
            raise UnsafeArchive(None, f"it is larger than {limits.mib(limits.MAX_VIB)}, more than a VIB holds", name)
        members = _ar_members(data, name)
        xml = members.get("descriptor.xml")
        if xml is None:
            raise _bad_vib("the VIB has no descriptor.xml", name)
        if len(xml) > 2**20:
            raise _bad_vib(f"its descriptor.xml is {len(xml)} bytes, far more than a VIB descriptor holds", name)
        try:
            text_xml = xml.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_vib("its descriptor.xml is not UTF-8 text", name) from None
        if "<!DOCTYPE" in text_xml or "<!ENTITY" in text_xml:
            raise _bad_vib("its descriptor.xml declares a DOCTYPE or entities, which a VIB descriptor never does", name)
        try:
            root = ElementTree.fromstring(text_xml)
        except ElementTree.ParseError as err:
            raise _bad_vib(f"its descriptor.xml is not valid XML ({err})", name) from None
        if root.tag != "vib":
            raise _bad_vib(f"its descriptor.xml describes <{root.tag}>, not a <vib>", name)

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
                raise _bad_vib(f"payload {pname!r} is missing or of an unknown type", name)
            payloads.append(Payload(pname, kind, members[pname]))
        for payload in payloads:  # each tardisk payload is read now (and cached for the install), not at mount time
            if payload.is_tardisk:
                try:
                    Tardisk.from_bytes(payload.name, payload.data)
                except UnsafeArchive as err:
                    raise UnsafeArchive(err.member, err.why, f"payload {payload.name} of {name}") from None
                except CorruptArchive as err:
                    raise _bad_vib(f"its payload {payload.name} is damaged ({err.why})", name) from None
        if not text("name").strip() or not text("version").strip():
            raise _bad_vib("its descriptor.xml gives no <name> or no <version>", name)
        for node in root.findall("file-list/file"):
            problem = limits.path_problem("/" + (node.text or ""))
            if problem:
                raise _bad_vib(f"its descriptor.xml lists a file whose path is too long: {problem}", name)
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


class _Shown:
    """Stands for a value too long to print whole in an error (its repr names the type and size)."""

    def __init__(self, value: object) -> None:
        size = f" of {len(value)} items" if isinstance(value, (str, bytes, bytearray, list, tuple, dict)) else ""
        self.text = f"<a {type(value).__name__}{size}>"

    def __repr__(self) -> str:
        return self.text


def _short(value: object) -> object:
    """`value` itself when it prints short, else a stand-in, so that an error never prints megabytes."""
    if value is None or (isinstance(value, (bool, int, float)) and len(repr(value)) <= 40):
        return value
    if isinstance(value, (str, bytes)) and len(value) <= 40:
        return value
    return _Shown(value)


def _bad_vib(why: str, name: str) -> CorruptArchive:
    return CorruptArchive(why, name, kind="VIB")


def _ar_members(data: bytes, name: str) -> dict[str, bytes]:
    """The members of an ar archive (`!<arch>`, then a 60-byte header before each member, padded to even size)."""
    if not data.startswith(b"!<arch>\n"):
        raise _bad_vib("it is not a VIB (a VIB is an ar archive starting with !<arch>)", name)
    pos, end, members = 8, len(data), {}
    while pos < end:
        if data[pos:] == b"\n":  # the padding byte after an odd-sized last member
            break
        if pos + 60 > end:
            raise _bad_vib("it is truncated in the middle of a member header", name)
        header = data[pos : pos + 60]
        digits = header[48:58].rstrip(b" ")
        if header[58:60] != b"`\n" or not digits.isdigit() or not digits.isascii():
            raise _bad_vib(f"the member header at byte {pos} is damaged (its size is not a number of bytes)", name)
        size = int(digits)
        if pos + 60 + size > end:
            raise _bad_vib(
                f"it is truncated: a member says it holds {size} bytes, but only {end - pos - 60} follow", name
            )
        if len(members) >= limits.MAX_VIB_MEMBERS:
            raise UnsafeArchive(None, f"it has more than {limits.MAX_VIB_MEMBERS} members, more than a VIB holds", name)
        member = header[:16].decode("utf-8", "replace").strip().rstrip("/")
        members[member] = data[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
    return members


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
    if not isinstance(files, Mapping):
        raise InvalidValue(
            "files", files, "a VIB's files are a dict of path -> content, like {'/opt/lab/README': 'hi'}"
        )
    if modes is not None and not isinstance(modes, Mapping):
        raise InvalidValue("modes", _short(modes), "a dict of path -> permission bits: {'/etc/x': 0o1644}")
    modes = modes or {}
    entries: dict[str, FileEntry] = {}
    for path, value in files.items():
        p = norm(path)  # InvalidPath unless an absolute path
        if p == "/":
            raise InvalidPath(path, "a VIB file needs a name: '/' is the root directory itself")
        problem = limits.path_problem(p)
        if problem:
            raise InvalidPath(path[:80] + "...", problem)
        if isinstance(value, FileEntry):
            if value.kind != FILE:
                raise InvalidValue(f"the entry of {p}", value, "a VIB ships files: give a file's content or entry")
            entry = value
        elif isinstance(value, (str, bytes, bytearray, memoryview)):
            data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
            mode = modes.get(path, modes.get(p, 0o644))
            if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777:
                raise InvalidValue(f"the mode of {p}", _short(mode), "permission bits from 0 to 0o7777, like 0o644")
            entry = FileEntry(FILE, mode, data, 0, 0, mtime)
        else:
            raise InvalidValue(f"the content of {p}", _short(value), "a file's content is text (str) or bytes")
        entries[p] = entry
    try:  # each parent directory once; limits.new_parents bounds what deeply nested names cost
        parents = limits.new_parents(sorted(entries), set(entries))
    except limits.NameBudgetExceeded as err:
        raise InvalidPath(err.path[:80] + "...", "the VIB's paths are too many or too deeply nested") from None
    directory = FileEntry(DIR, 0o755, b"", 0, 0, mtime)
    ordered = sorted((p, directory) for p in parents) + sorted(entries.items())
    return [(p.lstrip("/"), e) for p, e in ordered]
