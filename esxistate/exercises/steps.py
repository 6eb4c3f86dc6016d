"""Step: one thing done to the host in a set-up, and how a student sees it (a shell line, or words)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from .. import bootdevice, image
from ..host import Host
from ..layers import norm
from ..vib import Vib
from .catalogue import _EDITS, _VIBS, MIB


@dataclass(frozen=True, slots=True)
class Step:
    """One thing done to the host in a set-up: `op` names the engine call, `args` its arguments.

    `apply(host)` does it; `command()` and `lines(hostname, clock)` are what a student sees: the shell line they
    would type, or words for what no command does (a power failure, time passing). Build steps with the named
    constructors below.
    """

    op: str
    args: tuple = ()

    # -- constructors --------------------------------------------------------------------------------------------

    @classmethod
    def write(cls, path: str, text: str) -> Step:
        """`echo "text" > path`"""
        return cls("write", (norm(path), text))

    @classmethod
    def append(cls, path: str, text: str) -> Step:
        """`echo "text" >> path`"""
        return cls("append", (norm(path), text))

    @classmethod
    def fill(cls, path: str, mib: int) -> Step:
        """`dd if=/dev/zero of=path bs=1M count=mib`: a file of `mib` MiB of zeros."""
        return cls("fill", (norm(path), int(mib)))

    @classmethod
    def delete(cls, path: str) -> Step:
        """`rm path`"""
        return cls("delete", (norm(path),))

    @classmethod
    def backup(cls) -> Step:
        """`/sbin/auto-backup.sh` (F14)."""
        return cls("backup")

    @classmethod
    def wait(cls, minutes: int) -> Step:
        """Time passes; cron runs auto-backup.sh at minute 1 of every hour (F12)."""
        return cls("wait", (int(minutes),))

    @classmethod
    def reboot(cls) -> Step:
        """`reboot`: orderly, so the shutdown backup runs (F13)."""
        return cls("reboot")

    @classmethod
    def rollback(cls) -> Step:
        """`reboot`, then Shift+R at the boot loader (F8). Never after a 6.x -> 7.0 upgrade: that is refused (F45)."""
        return cls("rollback")

    @classmethod
    def power_loss(cls) -> Step:
        """The power fails (no backup, F23); when it comes back the host boots again."""
        return cls("power_loss")

    @classmethod
    def configure(cls, setting: str, value: str) -> Step:
        """A change made through hostd (esxcli): hostd backs it up at once (F21)."""
        return cls("configure", (setting, value))

    @classmethod
    def install_vib(cls, name: str, *, live: bool = True) -> Step:
        """`esxcli software vib install` of one of the lab VIBs (lab-tool, lab-motd, lab-drv, ...)."""
        return cls("install_vib", (_known_vib(name), bool(live)))

    @classmethod
    def upgrade(cls, version: str = "7.0") -> Step:
        """`esxcli software profile update` to a newer image ("7.0" from 6.7, "7.0U3" from 7.0), staged on the
        altbootbank with a fresh backup of the configuration (F33, F49)."""
        return cls("upgrade", (version,))

    @classmethod
    def slow_reboot(cls) -> Step:
        """`reboot`, and the boot device is claimed late: /bootbank and /altbootbank point to /tmp (F47)."""
        return cls("slow_reboot")

    @classmethod
    def restore_bootbanks(cls) -> Step:
        """`localcli --plugin-dir=/usr/lib/vmware/esxcli/int/ boot system restore --bootbanks` (F47)."""
        return cls("restore_bootbanks")

    @classmethod
    def lose_boot_device(cls) -> Step:
        """The boot device stops answering while the host runs (F47)."""
        return cls("lose_device")

    @classmethod
    def reboot_f(cls) -> Step:
        """`reboot -f`: a restart without init, so the inittab's `/bin/backup.sh 1` never runs (F13, F23)."""
        return cls("reboot_f")

    @classmethod
    def capture(cls, path: str, size: int) -> Step:
        """`pktcap-uw --uplink vmnic0 -o path`, left running until the capture file is `size` bytes."""
        return cls("capture", (norm(path), int(size)))

    @classmethod
    def put_vib(cls, name: str) -> Step:
        """A lab VIB file copied to /tmp (with scp, from outside the host)."""
        return cls("put_vib", (_known_vib(name),))

    @classmethod
    def install_file(cls, name: str, *, live: bool = True) -> Step:
        """`esxcli software vib install -v /tmp/<name>-<version>.vib [--no-live-install]`."""
        return cls("install_file", (_known_vib(name), bool(live)))

    @classmethod
    def remove_vib(cls, name: str) -> Step:
        """`esxcli software vib remove -n name` (live: the lab VIBs allow it)."""
        return cls("remove_vib", (name,))

    @classmethod
    def put_bundle(cls, hostname: str, version: str) -> Step:
        """The configBundle that `vim-cmd hostsvc/firmware/backup_config` made on another host, copied to /tmp."""
        return cls("put_bundle", (hostname, version))

    @classmethod
    def restore_config(cls, hostname: str, *, force: bool = False) -> Step:
        """`vim-cmd hostsvc/firmware/restore_config /tmp/configBundle-<hostname>.tgz [1]` (F43)."""
        return cls("restore_config", (hostname, bool(force)))

    # -- doing and showing ------------------------------------------------------------------------------------------

    @property
    def path(self) -> str | None:
        return self.args[0] if self.op in ("write", "append", "fill", "delete") else None

    def apply(self, host: Host) -> None:
        op, a = self.op, self.args
        if op in ("write", "append"):
            host.fs.write(a[0], a[1] + "\n", append=op == "append")
        elif op == "fill":
            host.fs.write(a[0], bytes(a[1] * MIB))
        elif op == "delete":
            host.fs.delete(a[0])
        elif op == "backup":
            host.backup()
        elif op == "wait":
            host.advance(minutes=a[0])
        elif op in ("reboot", "rollback"):
            host.reboot(rollback=op == "rollback")
        elif op == "power_loss":
            host.power_loss()
            host.boot()
        elif op == "configure":
            host.configure(a[0], a[1])
        elif op == "install_vib":
            version, files, overlay = _VIBS[a[0]]
            host.install_vib(Vib.build(a[0], version, dict(files), overlay=overlay), live=a[1])
        elif op == "upgrade":
            host.upgrade(a[0])
        elif op == "slow_reboot":
            host.reboot(slow_boot_device=True)
        elif op == "restore_bootbanks":
            host.restore_bootbanks()
        elif op == "lose_device":
            host.lose_boot_device()
        elif op == "reboot_f":
            host.power_loss()  # what the shell's `reboot -f` does: no init, no shutdown backup
            host.boot()
        elif op == "capture":
            host.fs.write(a[0], bytes(a[1]))
        elif op == "put_vib":
            host.fs.write(_vib_file(a[0]), _lab_vib(a[0]).to_bytes())
        elif op == "install_file":
            vib = Vib.from_bytes(host.fs.read(_vib_file(a[0])), name=_vib_file(a[0]))
            host.install_vib(vib, live=a[1] and vib.live_install)
        elif op == "remove_vib":
            host.remove_vib(a[0], live=True)
        elif op == "put_bundle":
            host.fs.write(_bundle_file(a[0]), _other_hosts_bundle(a[0], a[1]))
        elif op == "restore_config":
            host.restore_config(host.fs.read(_bundle_file(a[0])), force=a[1])
        else:
            raise ValueError(f"unknown step {op!r}")

    def command(self) -> str:
        """The shell command (without prompt), or the words in brackets for what no command does."""
        op, a = self.op, self.args
        if op == "write":
            return f"echo {_quote(a[1])} > {a[0]}"
        if op == "append":
            return f"echo {_quote(a[1])} >> {a[0]}"
        if op == "fill":
            return f"dd if=/dev/zero of={a[0]} bs=1M count={a[1]}"
        if op == "delete":
            return f"rm {a[0]}"
        if op == "backup":
            return "/sbin/auto-backup.sh"
        if op == "wait":
            return f"({a[0]} minutes pass)"
        if op == "reboot":
            return "reboot"
        if op == "rollback":
            return "reboot, then Shift+R at the boot loader"
        if op == "power_loss":
            return "(the power fails; when it comes back, the host boots again)"
        if op == "configure":
            setting, value = a
            if setting == "hostname":
                return f"esxcli system hostname set --host={value}"
            if setting == "dns-server":
                return f"esxcli network ip dns server add --server={value}"
            return f"esxcli system account set --id=root --password='{value}' --password-confirmation='{value}'"
        if op == "install_vib":
            name, live = a
            flag = "" if live else " --no-live-install"
            return f"esxcli software vib install -v /vmfs/volumes/datastore1/{name}-{_VIBS[name][0]}.vib{flag}"
        if op == "upgrade":
            spec = image.VERSIONS[a[0]]
            return f"esxcli software profile update -d /vmfs/volumes/datastore1/{spec.depot} -p {spec.profile}"
        if op == "slow_reboot":
            return "reboot"
        if op == "restore_bootbanks":
            return bootdevice.RESTORE_COMMAND
        if op == "lose_device":
            return f"(the boot device {bootdevice.DEVICE} stops answering)"
        if op == "reboot_f":
            return "reboot -f"
        if op == "capture":
            return f"pktcap-uw --uplink vmnic0 -o {a[0]}"
        if op == "put_vib":
            return f"(you copy {_vib_file(a[0]).rsplit('/', 1)[1]} to /tmp with scp)"
        if op == "install_file":
            return f"esxcli software vib install -v {_vib_file(a[0])}" + ("" if a[1] else " --no-live-install")
        if op == "remove_vib":
            return f"esxcli software vib remove -n {a[0]}"
        if op == "put_bundle":
            return f"(you copy {_bundle_file(a[0]).rsplit('/', 1)[1]}, made on {a[0]} (ESXi {a[1]}), to /tmp with scp)"
        if op == "restore_config":
            return f"vim-cmd hostsvc/firmware/restore_config {_bundle_file(a[0])}" + (" 1" if a[1] else "")
        raise ValueError(f"unknown step {op!r}")

    def lines(self, hostname: str, clock: datetime) -> list[str]:
        """What the student sees for this step, as lines (prompt included)."""
        prompt = f"[root@{hostname}:~] "
        if self.op == "wait":
            end = clock + timedelta(minutes=self.args[0])
            return [f"({self.args[0]} minutes pass: the clock goes from {clock:%H:%M} to {end:%H:%M})"]
        if self.op in ("power_loss", "lose_device", "put_vib", "put_bundle"):
            return [self.command()]
        if self.op == "capture":
            return [prompt + self.command(), f"(left running, the capture grows to {self.args[1]:,} bytes)"]
        if self.op == "slow_reboot":
            return [
                prompt + "reboot",
                "(the boot device is claimed late this time: the boot loader reads the bank, but `ls -l /` now shows "
                "bootbank -> /tmp and altbootbank -> /tmp)",
            ]
        if self.op == "rollback":
            return [prompt + "reboot", "(at the boot loader you press Shift+R and confirm the rollback)"]
        if self.op == "install_vib":
            name = self.args[0]
            version, files, overlay = _VIBS[name]
            what = f"({name}-{version}.vib ships {', '.join(p for p, _ in files)}"
            what += "; it is flagged overlay" if overlay else ""
            return [prompt + self.command(), what + ")"]
        return [prompt + self.command()]


def _known_vib(name: str) -> str:
    if name not in _VIBS:
        raise ValueError(f"lab VIBs are {', '.join(_VIBS)}")
    return name


def _quote(text: str) -> str:
    """Quote `text` for the shell line the student sees: double quotes, or single ones if it holds a double."""
    return f"'{text}'" if '"' in text else f'"{text}"'


def _render(steps: Iterable[Step], start: datetime, indent: str = "  ") -> str:
    """The set-up as a student sees it: prompts follow the host name, time notes follow the clock."""
    hostname, clock, out = "esxi", start, []
    for step in steps:
        out += [indent + line for line in step.lines(hostname, clock)]
        if step.op == "wait":
            clock += timedelta(minutes=step.args[0])
        if step.op == "configure" and step.args[0] == "hostname":
            hostname = step.args[1]
    return "\n".join(out)


def _short(steps: Iterable[Step]) -> str:
    """A sequence on one line, for multiple-choice options."""
    return "; ".join(s.command() for s in steps)


def _edit(path: str) -> Step:
    op, text = _EDITS[path]
    return Step.write(path, text) if op == "write" else Step.append(path, text)


def _vib_file(name: str) -> str:
    return f"/tmp/{name}-{_VIBS[name][0]}.vib"


def _lab_vib(name: str) -> Vib:
    version, files, overlay = _VIBS[name]
    return Vib.build(name, version, dict(files), overlay=overlay)


def _bundle_file(hostname: str) -> str:
    return f"/tmp/configBundle-{hostname}.tgz"


@lru_cache(maxsize=8)
def _other_hosts_bundle(hostname: str, version: str) -> bytes:
    """What `vim-cmd hostsvc/firmware/backup_config` writes on another demo host, named `hostname` (F43)."""
    other = Host.demo(version, hostname=hostname)
    other.boot()
    return other.fs.read(other.backup_config())
