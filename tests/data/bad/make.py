"""Writes the bad-input corpus next to this file. Run it again only to change the corpus: `python make.py`.

Each file tries one thing (see cases.json for what, and what must happen); the files are committed so tests read
exactly these bytes. The hostile part (readers named `hostile-*`) attacks the readers' resources as well as their
rules: deep paths, gzip members by the hundred thousand, declared sizes and numbers out of range, malformed VIBs,
bundles with bad content. Its large files are not committed: `GENERATED` builds them when a test asks
(`generated(name)`), and cases.json marks them `"generated": true`.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zlib
from pathlib import Path

HERE = Path(__file__).parent


def tgz(*members: tuple[str, bytes, bytes, str]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, data, link in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mtime = kind, link, 1_600_000_000
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return gzip.compress(raw.getvalue(), mtime=0)


def bomb() -> bytes:
    """One tar member of 300 MiB of zeros: a 300 KB file that would fill memory if unpacked blindly."""
    size = 300 * 2**20
    info = tarfile.TarInfo("etc/zeros")
    info.size = size
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [comp.compress(header)]
    chunk = b"\0" * 2**20
    out += [comp.compress(chunk) for _ in range(size // 2**20)]
    out.append(comp.flush())
    return b"".join(out)


KERNEL_OK = "bootstate=0\nkernel=b.b00\nmodules=k.b00 --- s.v00\nbuild=7.0.0-1.25.16324942\nupdated=1\n"
R = tarfile.REGTYPE
FILES: dict[str, tuple[bytes, str, str, str]] = {
    # name: (bytes, reader, expected error or "ok", what it tries)
    "tar-slip.tgz": (
        tgz(("../../etc/passwd", R, b"x", "")),
        "archive",
        "UnsafeArchive",
        "a member climbing out of the target directory with ../",
    ),
    "absolute-path.tgz": (
        tgz(("/etc/shadow", R, b"x", "")),
        "archive",
        "UnsafeArchive",
        "an absolute member name that would overwrite /etc/shadow",
    ),
    "symlink.tgz": (
        tgz(("etc/passwd", tarfile.SYMTYPE, b"", "/etc/shadow")),
        "archive",
        "UnsafeArchive",
        "a symbolic link member pointing outside",
    ),
    "hardlink.tgz": (
        tgz(("etc/hosts", R, b"x", ""), ("etc/h2", tarfile.LNKTYPE, b"", "etc/hosts")),
        "archive",
        "UnsafeArchive",
        "a hard link member",
    ),
    "device.tgz": (tgz(("dev/sda", tarfile.BLKTYPE, b"", "")), "archive", "UnsafeArchive", "a block device node"),
    "chardev.tgz": (tgz(("dev/mem", tarfile.CHRTYPE, b"", "")), "archive", "UnsafeArchive", "a character device node"),
    "gzip-bomb.tgz": (bomb(), "archive", "UnsafeArchive", "300 MiB of zeros in a 300 KB file"),
    "truncated.tgz": (
        tgz(("etc/hosts", R, b"127.0.0.1 localhost\n" * 50, ""))[:-40],
        "archive",
        "CorruptArchive",
        "a gzip stream cut short, as a copy interrupted by a power loss would be",
    ),
    "not-gzip.tgz": (
        b"This is a text file with a .tgz name.\n",
        "archive",
        "CorruptArchive",
        "a file that is not gzip-compressed at all",
    ),
    "empty.tgz": (b"", "archive", "CorruptArchive", "an empty file"),
    "state-two-members.tgz": (
        tgz(("local.tgz", R, b"x", ""), ("extra.sh", R, b"rm -rf /\n", "")),
        "state",
        "CorruptArchive",
        "a state.tgz with a member besides local.tgz",
    ),
    "boot-no-kernel.cfg": (
        KERNEL_OK.replace("kernel=b.b00\n", "").encode(),
        "bootcfg",
        "BadBootConfig",
        "boot.cfg without kernel=: mboot says kernel=<FILEPATH> must be set",
    ),
    "boot-unknown-keys.cfg": (
        (KERNEL_OK + "quickboot=0\nfrobnicate=yes\n# keep me\n").encode(),
        "bootcfg",
        "ok",
        "unknown keys and comments: the loader ignores them; a rewrite keeps them verbatim",
    ),
    "boot-bad-updated.cfg": (
        KERNEL_OK.replace("updated=1", "updated=yesterday").encode(),
        "bootcfg",
        "BadBootConfig",
        "a non-numeric updated= counter",
    ),
    "boot-crlf.cfg": (
        KERNEL_OK.replace("\n", "\r\n").encode(),
        "bootcfg",
        "ok",
        "Windows line ends: the loader treats \\r as a blank, and the text round-trips",
    ),
    "boot-huge-line.cfg": (
        (KERNEL_OK + "kernelopt=" + "x" * 70_000 + "\n").encode(),
        "bootcfg",
        "BadBootConfig",
        "a 70 KB line, far past any real boot.cfg",
    ),
}


def vib(name: str, files: dict[str, bytes]) -> bytes:
    import sys

    sys.path.insert(0, str(HERE.parents[2]))
    from esxistate.vib import Vib

    return Vib.build(name, "1.0", files).to_bytes()


# -- the hostile corpus -------------------------------------------------------------------------------------------

MTIME = 1_600_000_000


def _field(value: int | bytes, width: int) -> bytes:
    """A numeric tar field: an int as octal digits and a NUL, or raw bytes (base-256, garbage) as given."""
    if isinstance(value, bytes):
        return value.ljust(width, b"\x00")[:width]
    digits = b"%0*o" % (width - 1, value)
    assert len(digits) == width - 1, f"{value} does not fit in {width - 1} octal digits: give it in base-256"
    return digits + b"\x00"


def hdr(
    name: bytes,
    *,
    size: int | bytes = 0,
    typeflag: bytes = b"0",
    mode: int | bytes = 0o644,
    uid: int | bytes = 0,
    mtime: int | bytes = MTIME,
    prefix: bytes = b"",
) -> bytes:
    """One ustar header block, any field set by hand, with a correct checksum."""
    h = bytearray(512)
    h[0:100] = name[:100].ljust(100, b"\x00")
    h[100:108] = _field(mode, 8)
    h[108:116] = _field(uid, 8)
    h[116:124] = _field(0, 8)
    h[124:136] = _field(size, 12)
    h[136:148] = _field(mtime, 12)
    h[156:157] = typeflag
    h[257:265] = b"ustar\x0000"
    h[345:500] = prefix[:155].ljust(155, b"\x00")
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\x00 " % sum(h)
    return bytes(h)


def pad(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 512)


def member(name: bytes, data: bytes = b"", **fields: int | bytes) -> bytes:
    return hdr(name, size=len(data), **fields) + pad(data)


def tar(*parts: bytes) -> bytes:
    return b"".join(parts) + b"\x00" * 1024


def gz(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


def gz_with_header(
    raw: bytes,
    *,
    extra: bytes = b"",
    fname: bytes = b"",
    comment: bytes = b"",
    hcrc: int | None = None,
    use_hcrc: bool = False,
) -> bytes:
    """A gzip member with the optional header fields of RFC 1952 (FEXTRA, FNAME, FCOMMENT, FHCRC)."""
    flags = (4 if extra else 0) | (8 if fname else 0) | (16 if comment else 0) | (2 if use_hcrc else 0)
    head = b"\x1f\x8b\x08" + bytes([flags]) + b"\x00\x00\x00\x00\x00\x03"
    if extra:
        head += len(extra).to_bytes(2, "little") + extra
    if fname:
        head += fname + b"\x00"
    if comment:
        head += comment + b"\x00"
    if use_hcrc:
        crc = zlib.crc32(head) & 0xFFFF if hcrc is None else hcrc
        head += crc.to_bytes(2, "little")
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = comp.compress(raw) + comp.flush()
    return head + body + zlib.crc32(raw).to_bytes(4, "little") + (len(raw) & 0xFFFFFFFF).to_bytes(4, "little")


HOSTS = b"127.0.0.1 localhost\n10.0.0.5 lab01\n"


def state_of(*parts: bytes) -> bytes:
    """A state.tgz whose local.tgz holds `parts` (tar members)."""
    return gz(tar(member(b"local.tgz", gz(tar(*parts)), mode=0o700)))


def good_local() -> bytes:
    return member(b"etc/hosts", HOSTS, mode=0o1644)


def bundle_of(state_tgz: bytes, *, uuid: str, release: str) -> bytes:
    manifest = f"RELEASELEVEL={release}\nUUID={uuid}\nKERNELOPTS=\nUSEROPTS=\n".encode()
    return gz(tar(member(b"Manifest.txt", manifest), member(b"state.tgz", state_tgz)))


def pax(*records: bytes) -> bytes:
    body = b"".join(records)
    return hdr(b"PaxHeader", size=len(body), typeflag=b"x") + pad(body)


def pax_record(key: bytes, value: bytes) -> bytes:
    text = b" " + key + b"=" + value + b"\n"
    n = len(text) + 1
    while len(str(n).encode()) + len(text) != n:
        n += 1
    return str(n).encode() + text


def base256(value: int, width: int = 12) -> bytes:
    """GNU base-256: the first byte 0x80 (or 0xff for a negative number), then big-endian two's complement."""
    raw = value.to_bytes(width, "big", signed=True)
    return (b"\xff" if value < 0 else b"\x80") + raw[1:]


def deep(depth: int, first: bytes = b"a") -> bytes:
    return first + b"/a" * (depth - 1) + b"/f"


def ar(*members: tuple[bytes, bytes], size_text: dict[int, bytes] | None = None) -> bytes:
    """An ar archive (a .vib); `size_text` replaces the size field of member i by raw text."""
    out = [b"!<arch>\n"]
    for i, (name, data) in enumerate(members):
        size = (size_text or {}).get(i, str(len(data)).encode())
        out.append(
            name.ljust(16)
            + b"0".ljust(12)
            + b"0".ljust(6)
            + b"0".ljust(6)
            + b"100644".ljust(8)
            + size.ljust(10)
            + b"`\n"
            + data
            + (b"\n" if len(data) % 2 else b"")
        )
    return b"".join(out)


DESCRIPTOR = (
    b'<vib version="5.0"><type>bootbank</type><name>lab-x</name><version>1.0</version><vendor>LAB</vendor>'
    b"<summary>x</summary><acceptance-level>community</acceptance-level><system-requires>"
    b"<live-install-allowed>true</live-install-allowed><live-remove-allowed>true</live-remove-allowed>"
    b"<maintenance-mode>false</maintenance-mode><overlay>false</overlay></system-requires>"
    b"<file-list><file>opt/lab/x</file></file-list>"
    b'<payloads><payload name="lab-x" type="vgz" size="0"></payload></payloads></vib>'
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE vib [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    b"<vib><name>&d;</name><version>1</version></vib>"
)
PAYLOAD = gz(tar(member(b"opt/lab/x", b"x\n")))


def _host_ids() -> tuple[str, str]:
    import sys

    sys.path.insert(0, str(HERE.parents[2]))
    import esxistate as es
    from esxistate.configbundle import release_level

    host = es.Host.demo("7.0")
    host.boot()
    return host.uuid, release_level(host.bootbank.build)


def hostile() -> dict[str, tuple[bytes, str, str, str, str]]:
    """name: (bytes, reader, expected error or "ok", words the message holds, what it tries)."""
    uuid, release = _host_ids()
    ok_state = state_of(good_local())

    def bundle(*parts: bytes) -> bytes:
        return bundle_of(state_of(*parts), uuid=uuid, release=release)

    long_ok = b"etc/" + b"/".join([b"d" * 200] * 3) + b"/conf"  # 612 bytes: no name over NAME_MAX
    return {
        "deep-path-bundle.tgz": (
            bundle(member(b"././@LongLink", deep(200_000) + b"\x00", typeflag=b"L") + member(b"x", b"x")),
            "hostile-bundle",
            "InvalidBundle",
            "longer than a path can be",
            "a configBundle whose local.tgz holds one member 200,000 directories deep (a GNU long name of 400 KB)",
        ),
        "deep-path-pax.tgz": (
            gz(tar(pax(pax_record(b"path", deep(3000))), member(b"x", b"x"))),
            "hostile-archive",
            "UnsafeArchive",
            "PATH_MAX",
            "a PAX path 3,000 directories deep (6 KB)",
        ),
        "deep-but-legal.tgz": (
            state_of(
                good_local(),
                member(b"././@LongLink", b"etc/" + deep(2000) + b"\x00", typeflag=b"L") + member(b"x", b"deep\n"),
            ),
            "hostile-state",
            "ok",
            "",
            "a state.tgz with a file 2,000 directories deep, under PATH_MAX: accepted",
        ),
        "many-deep-members.tgz": (
            gz(
                tar(
                    *(
                        member(b"././@LongLink", deep(2040, b"%d" % i) + b"\x00", typeflag=b"L") + member(b"x", b"")
                        for i in range(40)
                    )
                )
            ),
            "hostile-archive",
            "UnsafeArchive",
            "too many or too deeply nested",
            "40 members each 2,040 directories deep, every one under its own top directory: their parents would "
            "fill 160 MB of names",
        ),
        "long-name-component.tgz": (
            gz(tar(pax(pax_record(b"path", b"etc/" + b"n" * 300)), member(b"x", b"x"))),
            "hostile-archive",
            "UnsafeArchive",
            "NAME_MAX",
            "one file name of 300 bytes (NAME_MAX is 255)",
        ),
        "gnu-longname.tgz": (
            state_of(good_local(), member(b"././@LongLink", long_ok + b"\x00", typeflag=b"L") + member(b"x", b"ok\n")),
            "hostile-state",
            "ok",
            "",
            "a GNU long name of 612 bytes, as GNU tar writes past 100 bytes: accepted",
        ),
        "gnu-longname-huge.tgz": (
            gz(tar(hdr(b"././@LongLink", size=10 * 2**20, typeflag=b"L"))),
            "hostile-archive",
            "UnsafeArchive",
            "longer than a path can be",
            "a GNU long-name header declaring 10 MiB: refused from the header, before any of it is read",
        ),
        "ustar-prefix.tgz": (
            state_of(good_local(), member(b"config.xml", b"<x/>\n", prefix=b"etc/vmware/" + b"p" * 120)),
            "hostile-state",
            "ok",
            "",
            "a ustar name split into prefix and name fields (135 + 10 bytes): accepted",
        ),
        "trailing-garbage.tgz": (
            ok_state + b"PK\x03\x04 garbage after the gzip stream",
            "hostile-state",
            "ok",
            "",
            "garbage after a complete gzip member, which gzip -d ignores with a warning",
        ),
        "trailing-zeros.tgz": (
            ok_state + b"\x00" * 5000,
            "hostile-state",
            "ok",
            "",
            "zero padding after the gzip stream, as tape leaves",
        ),
        "gzip-header-fields.tgz": (
            gz_with_header(
                tar(member(b"local.tgz", gz(tar(good_local())), mode=0o700)),
                extra=b"AB\x04\x00data",
                fname=b"state.tgz",
                comment=b"saved by hand",
                use_hcrc=True,
            ),
            "hostile-state",
            "ok",
            "",
            "a gzip header with FEXTRA, FNAME, FCOMMENT and a correct FHCRC: accepted",
        ),
        "gzip-bad-hcrc.tgz": (
            gz_with_header(
                tar(member(b"local.tgz", gz(tar(good_local())), mode=0o700)),
                fname=b"state.tgz",
                use_hcrc=True,
                hcrc=0x1234,
            ),
            "hostile-state",
            "CorruptArchive",
            "gzip data is damaged",
            "a gzip header whose FHCRC does not match",
        ),
        "gzip-fname-unterminated.tgz": (
            b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03" + b"n" * 3000,
            "hostile-archive",
            "CorruptArchive",
            "truncated",
            "a gzip FNAME field that never ends",
        ),
        "pax-size-garbage.tgz": (
            gz(tar(pax(pax_record(b"size", b"12abc")), member(b"x", b"x"))),
            "hostile-archive",
            "CorruptArchive",
            "PAX size is not a number",
            "a PAX size that is not a number",
        ),
        "pax-size-huge.tgz": (
            gz(tar(pax(pax_record(b"size", b"99999999999")), member(b"x", b"x"))),
            "hostile-archive",
            "UnsafeArchive",
            "larger than",
            "a PAX size of 100 GB over a 1-byte member",
        ),
        "pax-record-garbage.tgz": (
            gz(tar(pax(b"99999 path=x\n"), member(b"x", b"x"))),
            "hostile-archive",
            "CorruptArchive",
            "PAX header is malformed",
            "a PAX record whose length is a lie",
        ),
        "pax-header-huge.tgz": (
            gz(tar(hdr(b"PaxHeader", size=200 * 2**20, typeflag=b"x"))),
            "hostile-archive",
            "UnsafeArchive",
            "PAX header",
            "a PAX header declaring 200 MiB, refused unread",
        ),
        "fifo.tgz": (
            gz(tar(member(b"etc/pipe", typeflag=b"6"))),
            "hostile-archive",
            "UnsafeArchive",
            "FIFO",
            "a FIFO member",
        ),
        "sparse.tgz": (
            gz(tar(member(b"etc/hosts", b"x", typeflag=b"S"))),
            "hostile-archive",
            "UnsafeArchive",
            "sparse",
            "a GNU sparse file member",
        ),
        "unknown-type.tgz": (
            gz(tar(member(b"etc/hosts", b"x", typeflag=b"Z"))),
            "hostile-archive",
            "UnsafeArchive",
            "unknown tar type 'Z'",
            "a member of a type no tar defines",
        ),
        "duplicate-members.tgz": (
            state_of(member(b"etc/hosts", b"first\n", mode=0o1644), member(b"etc/hosts", HOSTS, mode=0o1644)),
            "hostile-state",
            "ok",
            "",
            "the same member twice: the later one wins, as tar extraction overwrites",
        ),
        "normalised-duplicate.tgz": (
            state_of(member(b"etc/hosts", b"first\n", mode=0o1644), member(b"./etc//hosts", HOSTS, mode=0o1644)),
            "hostile-state",
            "ok",
            "",
            "etc/hosts and ./etc//hosts: one path once normalised; the later one wins",
        ),
        "base256-size.tgz": (
            state_of(hdr(b"etc/hosts", size=base256(len(HOSTS)), mode=0o1644) + pad(HOSTS)),
            "hostile-state",
            "ok",
            "",
            "a size in GNU base-256, as GNU tar writes sizes past 8 GiB: accepted",
        ),
        "base256-negative-size.tgz": (
            gz(tar(hdr(b"etc/hosts", size=base256(-5)))),
            "hostile-archive",
            "CorruptArchive",
            "bad size field",
            "a negative size in base-256",
        ),
        "base256-huge-size.tgz": (
            gz(tar(hdr(b"etc/hosts", size=base256(2**80)))),
            "hostile-archive",
            "UnsafeArchive",
            "larger than",
            "a size of 2**80 bytes in base-256",
        ),
        "mtime-huge.tgz": (
            gz(tar(member(b"etc/hosts", HOSTS, mtime=base256(2**62)))),
            "hostile-archive",
            "CorruptArchive",
            "no date from 1970 to 9999",
            "a modification time 146 billion years away (no date ls -l can show)",
        ),
        "mtime-negative.tgz": (
            gz(tar(member(b"etc/hosts", HOSTS, mtime=base256(-(2**40))))),
            "hostile-archive",
            "CorruptArchive",
            "no date from 1970 to 9999",
            "a modification time 35,000 years before 1970",
        ),
        "uid-huge.tgz": (
            gz(tar(member(b"etc/hosts", HOSTS, uid=base256(2**40, 8)))),
            "hostile-archive",
            "CorruptArchive",
            "owner id",
            "an owner id past 32 bits",
        ),
        "octal-garbage.tgz": (
            gz(tar(member(b"etc/hosts", HOSTS, mode=b"0o-+_9\x00"))),
            "hostile-archive",
            "CorruptArchive",
            "bad mode field",
            "a mode field that is not octal digits",
        ),
        "non-utf8-name.tgz": (
            state_of(good_local(), member(b"etc/caf\xe9.conf", b"x=1\n")),
            "hostile-state",
            "ok",
            "",
            "a Latin-1 file name: read with U+FFFD for the bad byte",
        ),
        "non-utf8-content.tgz": (
            state_of(good_local(), member(b"etc/motd", b"\xff\xfe\xe9t\xe9\n")),
            "hostile-state",
            "ok",
            "",
            "file contents that are not UTF-8 (bytes stay bytes)",
        ),
        "vib-negative-size.vib": (
            ar((b"descriptor.xml/", DESCRIPTOR), size_text={0: b"-60"}),
            "hostile-vib",
            "CorruptArchive",
            "header at byte 8 is damaged",
            "an ar header with a negative size (it used to loop for ever)",
        ),
        "vib-huge-size.vib": (
            ar((b"descriptor.xml/", DESCRIPTOR), size_text={0: b"9999999999"}),
            "hostile-vib",
            "CorruptArchive",
            "truncated",
            "an ar header claiming 10 GB",
        ),
        "vib-truncated.vib": (
            ar((b"descriptor.xml/", DESCRIPTOR), (b"lab-x/", PAYLOAD))[:-40],
            "hostile-vib",
            "CorruptArchive",
            "truncated",
            "a .vib cut short inside its payload",
        ),
        "vib-descriptor-not-utf8.vib": (
            ar((b"descriptor.xml/", DESCRIPTOR.replace(b"<summary>x", b"<summary>\xff")), (b"lab-x/", PAYLOAD)),
            "hostile-vib",
            "CorruptArchive",
            "not UTF-8",
            "a descriptor.xml in Latin-1",
        ),
        "vib-entity-bomb.vib": (
            ar((b"descriptor.xml/", LAUGHS)),
            "hostile-vib",
            "CorruptArchive",
            "DOCTYPE",
            "a descriptor.xml whose entities expand without end (billion laughs)",
        ),
        "vib-no-name.vib": (
            ar((b"descriptor.xml/", DESCRIPTOR.replace(b"<name>lab-x</name>", b"")), (b"lab-x/", PAYLOAD)),
            "hostile-vib",
            "CorruptArchive",
            "no <name>",
            "a descriptor.xml without a name",
        ),
        "vib-bad-payload.vib": (
            ar((b"descriptor.xml/", DESCRIPTOR), (b"lab-x/", gz(tar(member(b"../../etc/shadow", b"x"))))),
            "hostile-vib",
            "UnsafeArchive",
            "'..'",
            "a well-formed VIB whose payload climbs out with ../",
        ),
        "bundle-files-outside-etc.tgz": (
            bundle(good_local(), member(b"bin/sh", b"#!/bin/sh\necho owned\n", mode=0o755)),
            "hostile-bundle",
            "ok",
            "",
            "a valid local.tgz that also carries /bin/sh: restored onto the root ramdisk, "
            "gone at the next boot without a backup",
        ),
        "bundle-twin-name.tgz": (
            bundle(good_local(), member(b"etc/.#passwd", b"root::0:0::/:/bin/sh\n")),
            "hostile-bundle",
            "ok",
            "",
            "a local.tgz carrying a .# twin itself: restored as a plain file",
        ),
        "bundle-dir-for-file.tgz": (
            bundle(good_local(), member(b"etc/vmware/esx.conf/", typeflag=b"5", mode=0o755)),
            "hostile-bundle",
            "ok",
            "",
            "esx.conf as a directory: only files are restored, the image's esx.conf stays",
        ),
        "bundle-etc-too-big.tgz": (
            bundle(good_local(), member(b"etc/big.bin", b"\x00" * (12 * 2**20))),
            "hostile-bundle",
            "ok",
            "",
            "a 12 MiB file in /etc: within the limits, restored onto the etc ramdisk",
        ),
        "bundle-state-too-big.tgz": (
            bundle_of(gz(tar(member(b"local.tgz", b"\x00" * (17 * 2**20), mode=0o700))), uuid=uuid, release=release),
            "hostile-bundle",
            "InvalidBundle",
            "larger than",
            "a state.tgz whose local.tgz is 17 MiB, past what a configuration holds (16 MiB)",
        ),
    }


def gzip_members_state(count: int = 500_000) -> bytes:
    """A good state.tgz followed by `count` empty gzip members (about 20 bytes each)."""
    return state_of(good_local()) + gz(b"") * count


def many_member_bomb(members: int = 12, size: int = 8 * 2**20) -> bytes:
    """A state.tgz whose local.tgz holds `members` files of `size` zeros: small declared sizes, a large total."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\x00" * size
    parts = []
    for i in range(members):
        parts.append(comp.compress(hdr(b"etc/z%d" % i, size=size)))
        parts.append(comp.compress(zeros))
    parts.append(comp.compress(b"\x00" * 1024) + comp.flush())
    return gz(tar(member(b"local.tgz", b"".join(parts), mode=0o700)))


GENERATED = {  # large inputs, built at test time rather than committed
    "gzip-members.tgz": (
        gzip_members_state,
        "hostile-state",
        "ok",
        "",
        "a state.tgz followed by 500,000 empty gzip members (10 MB): valid gzip, read in linear time",
    ),
    "many-member-bomb.tgz": (
        many_member_bomb,
        "hostile-state",
        "UnsafeArchive",
        "unpacks to more than",
        "a local.tgz of twelve 8 MiB files of zeros (100 KB compressed): refused when the total passes 32 MiB",
    ),
}


def generated(name: str) -> bytes:
    return GENERATED[name][0]()


def main() -> None:
    cases = {}
    for name, (data, reader, expect, note) in FILES.items():
        (HERE / name).write_bytes(data)
        cases[name] = {"reader": reader, "expect": expect, "tries": note}
    for name, (data, reader, expect, says, note) in hostile().items():
        (HERE / name).write_bytes(data)
        cases[name] = {"reader": reader, "expect": expect, "says": says, "tries": note}
    for name, (_build, reader, expect, says, note) in GENERATED.items():
        cases[name] = {"reader": reader, "expect": expect, "says": says, "tries": note, "generated": True}
    for name, who in (("vib-collide-a.vib", "lab-a"), ("vib-collide-b.vib", "lab-b")):
        (HERE / name).write_bytes(vib(who, {"/opt/lab/shared.conf": f"from {who}\n".encode()}))
    cases["vib-collide-b.vib"] = {
        "reader": "vib-after:vib-collide-a.vib",
        "expect": "VibConflict",
        "tries": "a second VIB shipping /opt/lab/shared.conf, which lab-a already owns",
    }
    cases["vib-collide-a.vib"] = {"reader": "vib", "expect": "ok", "tries": "the first of two colliding VIBs"}
    (HERE / "cases.json").write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
