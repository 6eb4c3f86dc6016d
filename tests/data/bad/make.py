"""Writes the bad-input corpus next to this file. Run it again only to change the corpus: `python make.py`.

Each file tries one thing (see cases.json for what, and what must happen); the files are committed so tests read
exactly these bytes.
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


def main() -> None:
    cases = {}
    for name, (data, reader, expect, note) in FILES.items():
        (HERE / name).write_bytes(data)
        cases[name] = {"reader": reader, "expect": expect, "tries": note}
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
