"""The demo ESXi images (6.7 GA, 7.0b and 7.0 Update 3g): their VIBs, payloads and boot.cfg, built once and cached.

Which versions exist and their module lists are in esxistate.imagecatalog (samples S1 and S2 of ESXI-FACTS.md), the
files the images ship in esxistate.imagefiles; this module puts them together: each module becomes a payload of its
VIB (a tardisk, or a boot module the boot loader keeps), the VIBs get their descriptors, and the installer's first
local.tgz is written. The names of both other modules stay importable from here. Payloads are small but sit at real
ESXi paths, and the sticky bit marks the /etc files real ESXi persists (F26, F44).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from . import archive
from .bootcfg import BootConfig
from .entry import FileEntry
from .errors import UnsupportedVersion
from .imagecatalog import (
    BASE_VIBS,
    DESCRIPTORS_67,
    VERSIONS,
    VIB_OF_MODULE,
    ImageSpec,
    encrypts_config,
    major,
    newer_than,
    version_key,
)
from .imagefiles import _INITTAB as _INITTAB  # /etc/inittab verbatim (F13), read by tests as image._INITTAB
from .imagefiles import crontab, esx_base, generic_files, set_root_hash, shadow_hash
from .layers import RamdiskSpec
from .vib import Payload, Vib, tardisk_payload, tree_members

__all__ = [
    "BASE_VIBS",
    "VERSIONS",
    "Image",
    "ImageSpec",
    "check_imgdb_entry",
    "crontab",
    "demo_image",
    "encrypts_config",
    "imgdb_tgz",
    "install_state",
    "major",
    "newer_than",
    "ramdisk_specs",
    "set_root_hash",
    "shadow_hash",
    "version_key",
]


@dataclass(frozen=True, slots=True)
class Image:
    """A complete ESXi image: its VIBs (modules assigned) and the module files of a boot bank, in boot order."""

    spec: ImageSpec
    vibs: tuple[Vib, ...]
    modules: tuple[str, ...]
    files: MappingProxyType  # module file -> bytes

    @property
    def version(self) -> str:
        return self.spec.version

    def boot_config(self, *, updated: int, bootstate: int, with_state: bool = True) -> BootConfig:
        mods = [m for m in self.modules if m != "b.b00"] + ["imgdb.tgz"] + (["state.tgz"] if with_state else [])
        return BootConfig.new(
            kernel="b.b00",
            kernelopt=self.spec.kernelopt,
            modules=mods,
            build=self.spec.build,
            updated=updated,
            bootstate=bootstate,
        )


def _boot_module(name: str, mtime: int) -> bytes:
    body = f"VMkernel-side boot module {name}: loaded by the boot loader, never a file in VisorFS (stand-in).\n"
    return gzip.compress(body.encode(), mtime=mtime)


def demo_image(version: str) -> Image:
    """The image of a version key ("6.7", "7.0", "7.0U3"), built once; UnsupportedVersion for any other.

    >>> demo_image("6.7").modules[:3], demo_image("6.7") is demo_image("6.7")
    (('b.b00', 'jumpstrt.gz', 'useropts.gz'), True)
    """
    if not isinstance(version, str) or version not in VERSIONS:
        raise UnsupportedVersion(str(version), tuple(VERSIONS))
    return _build(VERSIONS[version])


@lru_cache(maxsize=4)
def _build(spec: ImageSpec) -> Image:
    """Each module a payload of its VIB (a tardisk, or a boot module), then the VIBs with their descriptors."""
    base_files = esx_base(spec)
    order = ["b.b00", *spec.modules.split()]
    per_vib: dict[str, list[tuple[Payload, str]]] = {}
    files: dict[str, bytes] = {}
    for module in order:
        stem, ext = module.rsplit(".", 1)
        vib = VIB_OF_MODULE.get(module, "esx-base" if module == "b.b00" else stem.replace("_", "-"))
        payload_name = stem
        if ext == "gz" or ext.startswith("b"):
            data = _boot_module(module, spec.released)
            payload = Payload(payload_name, "boot", data, module if ext == "gz" else None)
        else:
            kind = "tgz" if ext.startswith("t") else "vgz"
            body = base_files.get(stem) if vib == "esx-base" else None
            content = body if body is not None else generic_files(vib, stem)
            payload = tardisk_payload(
                payload_name,
                {p: b for p, (b, _m) in content.items()},
                modes={p: m for p, (_b, m) in content.items()},
                mtime=spec.released,
                kind=kind,
            )
        files[module] = payload.data
        per_vib.setdefault(vib, []).append((payload, module))
    vibs = [_vib(name, parts, spec) for name, parts in per_vib.items()]
    return Image(spec, tuple(vibs), tuple(order), MappingProxyType(files))


def _vib(name: str, parts: list[tuple[Payload, str]], spec: ImageSpec) -> Vib:
    """One VIB of the image: its payloads with their modules, the files its tardisks hold, VMware's or a partner's
    vendor and version scheme, and (on 6.7) the descriptor fields read from the real image."""
    paths: list[str] = []
    for payload, _module in parts:
        if payload.is_tardisk:
            paths += ["/" + n for n, e in archive.read_members(payload.data).items() if e.kind == "file"]
    vendor = (
        "VMware"
        if name in BASE_VIBS
        or name in ("bmcal", "trx", "gc")  # 7.0 U3's VMware VIBs with short names
        or name.startswith(("esx", "vsan", "lsu", "native", "vmware", "crx", "loadesx", "vdfs", "tpm"))
        else "VMW"
    )
    release_digits = spec.build.split("-", 1)[0].replace(".", "")  # 7.0.3-... -> 703, as in 1vmw.703
    version_str = (
        spec.build if vendor == "VMware" else f"1.0.0-1vmw.{release_digits}.0.0.{spec.build.rsplit('.', 1)[-1]}"
    )
    fields: dict = {
        "version": version_str,
        "summary": f"{name} (ESXi {spec.version} demo image)",
        "live_install": False,
        "live_remove": False,
        "maintenance_mode": True,
        "base": name in BASE_VIBS,
    }
    if spec.version.startswith("6"):
        fields.update(DESCRIPTORS_67.get(name, {}))
    return Vib(
        name=name,
        vendor=vendor,
        acceptance="VMwareCertified",
        payloads=tuple(p for p, _m in parts),
        files=tuple(sorted(paths)),
        modules=tuple((p.name, m) for p, m in parts),
        install_date=spec.install_date,
        **fields,
    )


def imgdb_tgz(vibs: tuple[Vib, ...], *, build: str, mtime: int) -> bytes:
    """imgdb.tgz: the image database (F31), a gzip'd tar of var/db/esximg/ with one descriptor per VIB."""
    entries: dict[str, str | bytes] = {}
    for vib in vibs:
        entries[f"/var/db/esximg/vibs/{vib.name}.xml"] = _descriptor(vib)
    profile = "".join(f"<vibID>{v.id}</vibID>" for v in vibs)
    entries["/var/db/esximg/profiles/ESXi-" + build] = (
        f"<imageprofile><name>ESXi-{build}</name>{profile}</imageprofile>\n"
    )
    return archive.build_tgz(tree_members(entries, mtime=mtime))


@lru_cache(maxsize=4096)
def _descriptor(vib: Vib) -> str:
    """A VIB's descriptor, written once: every imgdb.tgz of a bank that keeps the VIB holds the same text."""
    return vib.descriptor_xml()


def check_imgdb_entry(vib: Vib, *, mtime: int) -> None:
    """Raise now what writing `vib` into an imgdb.tgz would raise (a descriptor path past NAME_MAX, text that UTF-8
    cannot carry), so that an imgdb.tgz written later (bootbank.Deferred) holds only entries checked this way."""
    tree_members({f"/var/db/esximg/vibs/{vib.name}.xml": _descriptor(vib)}, mtime=mtime)


def ramdisk_specs(version: str) -> tuple[RamdiskSpec, ...]:
    """The ramdisks a booted host has (sample S4; 7.0 adds ConfigStore and service ramdisks, F35, S3 note).
    Sizes in KiB. The 7.0-only mount points are background knowledge, not verified."""
    specs = [
        RamdiskSpec("root", "/", 32768, 32768, 8192),
        RamdiskSpec("etc", "/etc", 28672, 28672, 4096),
        RamdiskSpec("opt", "/opt", 32768, 0, 8192),
        RamdiskSpec("var", "/var", 49152, 5120, 8192),
        RamdiskSpec("tmp", "/tmp", 262144, 2048, 8192, permissions=0o1777, system=False, in_coredumps=False),
        RamdiskSpec("iofilters", "/var/run/iofilters", 32768, 0, 10240, system=False, in_coredumps=False),
        RamdiskSpec("hostdstats", "/var/lib/vmware/hostd/stats", 1846272, 0, 8192, system=False, in_coredumps=False),
    ]
    if version.startswith("7"):
        specs += [
            RamdiskSpec("configstore", "/etc/vmware/configstore", 32768, 0, 1024),
            RamdiskSpec("configstorebkp", "/var/lib/vmware/configstore/backup", 32768, 0, 1024),
            RamdiskSpec("shm", "/dev/shm", 1048576, 0, 8192, permissions=0o1777, system=False),
            RamdiskSpec("crx", "/var/run/crx", 1048576, 0, 1024, system=False),
            RamdiskSpec("vsantraces", "/vsantraces", 307200, 0, 1024, system=False, in_coredumps=False),
            RamdiskSpec("epd", "/epd", 51200, 0, 1024, system=False, in_coredumps=False),
        ]
    return tuple(specs)


def install_state(image: Image, *, hostname: str, uuid: str, mtime: int) -> list[tuple[str, FileEntry]]:
    """What the installer leaves in the first local.tgz: esx.conf with the host's name and UUID, and the root
    password in /etc/shadow (a fresh install asks for it)."""
    base = esx_base(image.spec)["s"]
    conf_body, conf_mode = base["/etc/vmware/esx.conf"]
    conf = conf_body.replace('"localhost"', f'"{hostname}"').replace("00000000-0000-0000-0000-000000000000", uuid)
    shadow_body, shadow_mode = base["/etc/shadow"]
    shadow = set_root_hash(shadow_body, "VMware1!")
    hosts_body, hosts_mode = base["/etc/hosts"]
    hosts = hosts_body + f"10.0.0.21\t{hostname}.lab.local {hostname}\n"
    return [
        ("etc/hosts", FileEntry("file", hosts_mode, hosts.encode(), 0, 0, mtime)),
        ("etc/shadow", FileEntry("file", shadow_mode, shadow.encode(), 0, 0, mtime)),
        ("etc/vmware/esx.conf", FileEntry("file", conf_mode, conf.encode(), 0, 0, mtime)),
    ]
