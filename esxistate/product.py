"""The running host's product identity, as `vmware -v`, `uname -a`, esxcli and the image profile name show it.

Everything is read from the host's build string (boot.cfg's `build=`, e.g. `6.7.0-0.0.8169922` or
`7.0.3-0.0.18644231`), never hard-coded, so every image in `esxistate.image.VERSIONS` is described alike.
A build string is `<major>.<minor>.<update>-<quarter>.<patch>.<build number>` (Broadcom KB 395110's scheme); on
6.x the update sits after the dash instead (6.0 U3 = `6.0.0-3.57.5050593`, as a published 6.0 capture shows).

Simplification: a patch release's letter (7.0b, 7.0 U3c) cannot be read from the build string, so the image
profile name is `ESXi-7.0U3-<build>-standard` style, without the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from . import image

if TYPE_CHECKING:
    from .host import Host

__all__ = ["BUILD_TIMES", "Product", "of"]

# build number -> the kernel build time `uname -a` shows, from published captures of `uname -a` on that build
BUILD_TIMES: dict[str, str] = {
    "8169922": "Apr  3 2018 14:48:22",  # 6.7 GA
    "16324942": "Jun  2 2020 10:08:07",  # 7.0b
    "20328353": "Sep 27 2023 19:41:06",  # 7.0 U3g (as captured)
    "22348816": "Aug 30 2023 04:36:58",  # 7.0 U3o
    "22380479": "Sep  4 2023 15:00:49",  # 8.0 U2
}


@dataclass(frozen=True, slots=True)
class Product:
    """`full` = `6.7.0-0.0.8169922`; `version` = `6.7.0`; `update` = 0; `patch` = 0; `number` = `8169922`."""

    full: str
    released: int  # the image's release time (epoch), used as the kernel's build date

    @property
    def version(self) -> str:
        return self.full.split("-", 1)[0]

    @property
    def number(self) -> str:
        return self.full.rsplit(".", 1)[-1]

    @property
    def update(self) -> int:
        """6.x keeps the update in the first field after the dash (6.0 U3 is 6.0.0-3.57.5050593: `Update: 3`,
        `Patch: 57`); from 7.0 it is the version's third number (7.0 U3 is 7.0.3-0.0.18644231)."""
        parts = self.version.split(".")
        if parts[0].isdecimal() and int(parts[0]) < 7:
            tail = self.full.split("-", 1)[1].split(".") if "-" in self.full else []
            return int(tail[0]) if len(tail) == 3 and tail[0].isdecimal() else 0
        return int(parts[2]) if len(parts) > 2 and parts[2].isdecimal() else 0

    @property
    def patch(self) -> int:
        tail = self.full.split("-", 1)[1] if "-" in self.full else ""
        parts = tail.split(".")
        return int(parts[1]) if len(parts) == 3 and parts[1].isdecimal() else 0

    @property
    def major_minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def level(self) -> str:
        """The release level: `GA` or `Update 3`."""
        return f"Update {self.update}" if self.update else "GA"

    @property
    def release(self) -> str:
        """`vmware -l`'s line after "VMware ESXi": 6.x names the full version (`6.7.0 Update 3`), 7.0 and later
        only major.minor (`7.0 GA`, `7.0 Update 3`), as published captures show."""
        head = self.version if self.version.split(".")[0] in ("5", "6") else self.major_minor
        return f"{head} {self.level}"

    @property
    def compiled(self) -> str:
        """The kernel's build time as `uname -a` prints it (`Apr  3 2018 14:48:22`): from published `uname -a`
        captures where we have one for the build, else the image's release time."""
        known = BUILD_TIMES.get(self.number)
        if known:
            return known
        return datetime.fromtimestamp(self.released, tz=timezone.utc).strftime("%b %e %Y %H:%M:%S")

    @property
    def profile(self) -> str:
        """The image profile name, e.g. `ESXi-6.7.0-8169922-standard`, `ESXi-7.0U3-18644231-standard`."""
        label = f"{self.major_minor}U{self.update}" if self.update else self.version
        return f"ESXi-{label}-{self.number}-standard"


def of(host: Host) -> Product:
    """The product of the running system: the build of the bank it booted (the host's version when it has none)."""
    spec = image.VERSIONS.get(host.version)
    build = host.snapshot().build
    bank = host.bootbank
    if bank is not None and host.powered_on and bank.build:
        build = bank.build
    return Product(build, spec.released if spec is not None else 0)
