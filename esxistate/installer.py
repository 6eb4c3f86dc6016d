"""What the ESXi installer leaves on the boot device: BOOTBANK1 with the image and a first state.tgz, BOOTBANK2 empty.

The first state.tgz holds the configuration the installer wrote (esx.conf with the host name and system UUID, the
sticky /etc files of the image, and on 7.0 the ConfigStore database, F35), dated the day before the story starts.
Simplified: a real installer also writes the other partitions (the scratch and core dump areas); only the two boot
banks are simulated here.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from . import backup, configstore, image
from .bootbank import BootBank
from .clock import epoch
from .entry import FILE, FileEntry

if TYPE_CHECKING:
    from .host import Host

__all__ = ["install"]


def install(host: Host, img: image.Image, *, hostname: str, when: datetime) -> list[BootBank]:
    """The two boot banks of `host` right after installing `img` at `when`: BOOTBANK1 with updated=1 and
    bootstate=0 (VALID), holding the image's modules, imgdb.tgz and state.tgz (encrypted when the host keeps its
    configuration encrypted, F36); BOOTBANK2 empty."""
    mtime = epoch(when)
    uuid = "5ff2a1c4-" + hashlib.sha256(hostname.encode()).hexdigest()[:4] + "-b1e2-0c29-000c29a1b2c3"
    local = image.install_state(img, hostname=hostname, uuid=uuid, mtime=mtime)
    if img.spec.version.startswith("7"):
        store = configstore.initial_store(hostname=hostname, mtime=mtime)
        local.append((backup.CONFIGSTORE_BACKUP.lstrip("/"), FileEntry(FILE, 0o644, store, 0, 0, mtime)))
    modules = {m: img.files[m] for m in img.modules}
    modules["imgdb.tgz"] = image.imgdb_tgz(img.vibs, build=img.spec.build, mtime=mtime)
    modules["state.tgz"] = backup.wrap_state(host, local, mtime)
    bank1 = BootBank.with_image("BOOTBANK1", 5, img.boot_config(updated=1, bootstate=0), modules)
    return [replace(bank1, vibs=img.vibs), BootBank.empty("BOOTBANK2", 6)]
