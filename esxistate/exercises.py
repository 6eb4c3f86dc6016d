"""Exercises in the OSTEP homework style: seeded questions about an ESXi host, answered by the engine itself.

Each exercise starts from a freshly booted demo host (`Host.demo(version)`, ESXi 6.7 or 7.0), shows a few steps as
the shell lines a student would type on that host (`[root@esxi:~] /sbin/auto-backup.sh`) or in words ("the power
fails"), and asks one question about the outcome. No answer is stored anywhere: `solve()` replays the steps on a
new host and reads the result off it, and `check(answer)` says whether an answer is right and explains why, step
by step, citing the facts of ESXI-FACTS.md (F14, F16, ...). As in OSTEP's simulators, the seed is the exercise:
the same seed always gives the same question, so a class can share "exercise 1234".

    >>> from esxistate import exercises
    >>> ex = exercises.generate(8, kind="survives")
    >>> print(ex.question)
    Exercise 8 (survives). An ESXi 7.0 host has just booted from BOOTBANK1 (BOOTBANK2 is empty); it is 09:00. ...
    <BLANKLINE>
      [root@esxi:~] echo "10.0.0.5 nas.lab.local nas" >> /etc/hosts
      [root@esxi:~] /sbin/auto-backup.sh
      (the power fails; when it comes back, the host boots again)
    <BLANKLINE>
    Afterwards, is the line "10.0.0.5 nas.lab.local nas" still in /etc/hosts? Answer yes or no.
    >>> ex.solve()
    'yes'
    >>> feedback = ex.check("no")
    >>> feedback.correct
    False
    >>> print(feedback)
    Not quite. You answered no; the answer is yes: a backup saved the change into ...
    The step that decides it: 2. /sbin/auto-backup.sh: ...
    Why, step by step:
    ...

The step that decides the answer comes first: the engine replays the set-up without each step in turn, and the
last step whose absence changes the answer is the one that decides it. Printed feedback and questions wrap at 100
columns (`wrap`).

`print(ex.question)` shows the set-up and the question; `ex.options` holds the choices of multiple-choice kinds.
The kinds (`KINDS`), and the answers `check` accepts (always case-insensitive):

- "layer": which layer serves a path after the steps? A tardisk module (`s.v00`), a ramdisk name (`etc`, or its
  mount point `/etc`), or `none` when nothing serves it.
- "survives": after the steps, which end with a reboot or a power failure, is the change still there?
  `yes`/`no` (also `y`/`n`, `True`/`False`).
- "state": which `etc/...` files does local.tgz inside /bootbank/state.tgz hold now? A set or list of names, or one
  string separated by commas, spaces or new lines; `/etc/hosts` and `etc/hosts` both count.
- "bank": which boot bank boots, and which ESXi version? `BOOTBANK1`/`BOOTBANK2` and/or `6.7`/`7.0` (or the build);
  when you give both, both must be right.
- "fits": does the last write fit on its ramdisk? `yes`/`no`.
- "bootdevice": the host boots with a slow boot device (/bootbank points to /tmp, KB 301134) or loses its boot
  device while running (KB 318611); after the steps, is the change still there? `yes`/`no` (F47).
- "reverse": OSTEP's `-r` mode: the outcome is shown, which sequence of steps produced it? A letter (`B`) or the
  option's text. Exactly one option gives the outcome shown: the generator ran every option to make sure.

The troubleshooting labs of lesson 11 (`LAB_KINDS`) are asked for by name: `generate(seed, kind="reboot-f")`.
Each starts from a symptom an administrator meets, and `ex.host()` hands over the live host in that state, to
investigate with `host.shell(...)` or `%%esxi`; `solve()` and `check()` replay the set-up on a host of their own,
then the `then` steps the question asks about ("if the power failed now", "after reboot -f"):

- "bootbank-tmp": /bootbank points into /tmp (KB 301134); does the change survive a power failure? `yes`/`no`.
- "bootbank-lost": the boot device vanished (F47); is the change there after the restart? `yes`/`no`.
- "shift-r": does Shift+R bring back the version from before the upgrade (F45, KB 1033604)? `yes`/`no`.
- "reboot-f": after `reboot -f` (or `reboot`), is the change still there (F13, F23)? `yes`/`no`.
- "ramdisk-full": which file fills the ramdisk that refused a write (F28, F29)? A full path.
- "vib-conflict": two VIBs claim one file (F30); which option lets the new one install? A letter.
- "restore-file": does state.tgz still hold the good copy of an overwritten file (KB 342062)? `yes`/`no`.
- "config-bundle": after restore_config of another host's bundle, what is the hostname (F43)? A name.

Teachers can build their own exercise from steps: `Exercise.from_steps("survives", (Step.append("/etc/hosts",
"10.0.0.5 nas"), Step.power_loss()), subject="/etc/hosts", probe="10.0.0.5 nas")`.

Simplifications, said plainly: every exercise starts from the demo image's fresh install (its state.tgz holds
what the installer saved); the `dd` lines and a lab's pktcap-uw captures are files of zeros written by
`host.fs.write`, so a ramdisk is charged file bytes only (F28's numbers, not real page accounting); `esxcli` lines
are carried out by `host.configure`, `host.install_vib` and `host.upgrade`, not by the shell; VIB files and
configuration bundles reach /tmp by the engine's hand (the scp is not simulated).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache

from . import bootdevice, image
from .errors import EsxiStateError, MismatchedBundle, RamdiskFull, RollbackNotPossible, VibConflict
from .events import Event, HostSnapshot
from .host import DEFAULT_CLOCK, Host
from .layers import norm, owner_of, twin_of
from .statearchive import StateArchive
from .text import wrap
from .vib import Vib

__all__ = ["KINDS", "LAB_KINDS", "Exercise", "Feedback", "Step", "generate"]

KINDS: tuple[str, ...] = ("layer", "survives", "state", "bank", "fits", "reverse", "bootdevice")
# The troubleshooting labs of lesson 11: a live host in a fault state (`Exercise.host()`), asked about by name only,
# so that `generate(seed)` keeps drawing from KINDS and every earlier seed stays the same exercise.
LAB_KINDS: tuple[str, ...] = (
    "bootbank-tmp",
    "bootbank-lost",
    "shift-r",
    "reboot-f",
    "ramdisk-full",
    "vib-conflict",
    "restore-file",
    "config-bundle",
)
VERSIONS: tuple[str, ...] = ("6.7", "7.0")
MIB = 1024 * 1024
LETTERS = "ABCD"
CONFIGSTORE_MEMBER = "var/lib/vmware/configstore/backup/current-store-1"  # local.tgz's 7.0 extra (F35)

# What a student appends to (or writes into) each file in the set-ups: realistic lines, no `$` and no `'`.
_EDITS: dict[str, tuple[str, str]] = {
    "/etc/hosts": ("append", "10.0.0.5 nas.lab.local nas"),
    "/etc/ntp.conf": ("append", "server ntp.lab.local"),
    "/etc/resolv.conf": ("append", "nameserver 10.0.0.53"),
    "/etc/ssh/sshd_config": ("append", "ClientAliveInterval 300"),
    "/etc/ssh/keys-root/authorized_keys": ("append", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlab student@lab"),
    "/etc/rc.local.d/local.sh": ("append", "# lab: point syslog at 10.0.0.9 at every boot"),
    "/etc/shadow": ("append", "labuser:*:19000:0:99999:7:::"),
    "/etc/vmware/esx.conf": ("append", '/adv/UserVars/SuppressShellWarning = "1"'),
    "/etc/pam.d/system-auth": ("append", "auth required pam_tally2.so deny=5 unlock_time=900"),
    "/etc/motd": ("write", "Lab host: ask before you reboot it"),
    "/etc/profile": ("append", "export EDITOR=vi"),
    "/var/spool/cron/crontabs/root": ("append", "*/15 * * * * /vmfs/volumes/datastore1/scripts/check.sh"),
    "/etc/lab.conf": ("write", "lab=1"),
    "/opt/notes.txt": ("write", "back up before you reboot"),
    "/tmp/notes.txt": ("write", "scratch notes"),
    "/var/run/iofilters/filter.conf": ("write", "cache=on"),
}
_INSTALLED = ("/etc/hosts", "/etc/shadow", "/etc/vmware/esx.conf")  # what the demo installer saved
_STICKY = ("/etc/ntp.conf", "/etc/resolv.conf", "/etc/ssh/sshd_config", "/etc/ssh/keys-root/authorized_keys")
_PLAIN = ("/etc/pam.d/system-auth", "/etc/motd", "/etc/profile")
_CRONTAB = "/var/spool/cron/crontabs/root"
_NEW = ("/etc/lab.conf", "/opt/notes.txt", "/tmp/notes.txt", "/var/run/iofilters/filter.conf")
_SETTINGS = {"hostname": "lab01", "dns-server": "10.0.0.53", "root-password": "Lab-Passw0rd"}
_SETTING_FILES = {
    "hostname": ("/etc/vmware/esx.conf", "/etc/hosts"),
    "dns-server": ("/etc/resolv.conf",),
    "root-password": ("/etc/shadow",),
}
# The lab VIBs of the set-ups: name -> (version, files, overlay). Each allows live install (Vib.build's default).
_VIBS: dict[str, tuple[str, tuple[tuple[str, str], ...], bool]] = {
    "lab-tool": ("1.0", (("/opt/lab/tool.sh", "#!/bin/sh\necho lab tool\n"),), False),
    "lab-motd": ("1.0", (("/etc/motd", "Welcome to the lab\n"),), True),
    "lab-drv": ("1.0", (("/usr/lib/vmware/vmkmod/lab_drv", "vmkernel module lab-drv (stand-in)\n"),), False),
    # two pairs that claim one file (the vib-conflict lab): neither is flagged overlay
    "lab-agent": ("1.0", (("/opt/lab/bin/agent", "#!/bin/sh\necho lab agent 1.0\n"),), False),
    "lab-monitor": (
        "2.1",
        (("/opt/lab/bin/agent", "#!/bin/sh\necho monitor agent 2.1\n"), ("/opt/lab/bin/monitor", "#!/bin/sh\n")),
        False,
    ),
    "oem-drv": ("1.2", (("/usr/lib/vmware/vmkmod/lab_drv", "vmkernel module oem-drv (stand-in)\n"),), False),
}
_TPM_TOOL = "/usr/lib/vmware/tpm/tpm2-util"  # shipped by tpm.v00, which only the 7.0 image has


# -- steps -----------------------------------------------------------------------------------------------------------


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


# -- playing a set-up on the engine ----------------------------------------------------------------------------------


@dataclass
class _Played:
    host: Host
    boot: tuple[Event, ...]  # the first boot, before any step
    trace: list[tuple[Step, tuple[Event, ...], EsxiStateError | None]]


# What the last step of a set-up may meet and still be a story worth asking about: a full ramdisk (F28), Shift+R
# refused after a 6.x -> 7.0 upgrade (F45), two VIBs claiming one file (F30), a bundle of another host (F43).
_REFUSALS = (RamdiskFull, RollbackNotPossible, VibConflict, MismatchedBundle)


def _play(version: str, start_minute: int, steps: Iterable[Step], *, last_may_fail: bool = False) -> _Played:
    """Run `steps` on a fresh, booted demo host. Only the last step may be refused, and only when `last_may_fail`:
    a fits question's write (RamdiskFull) or a lab's last command (`_REFUSALS`); the host is then as before it."""
    host = Host.demo(version, clock=DEFAULT_CLOCK + timedelta(minutes=start_minute))
    boot = tuple(host.boot())
    steps = list(steps)
    trace = []
    for i, step in enumerate(steps):
        start = len(host.history)
        error = None
        try:
            step.apply(host)
        except _REFUSALS as err:
            if not (last_may_fail and i == len(steps) - 1):
                raise
            error = err
        trace.append((step, tuple(host.history[start:]), error))
    return _Played(host, boot, trace)


@lru_cache(maxsize=4)
def _installed_state(version: str) -> tuple[str, ...]:
    """What the demo installer left in local.tgz, read off a fresh host's boot bank."""
    bank = Host.demo(version).bootbank
    assert bank is not None
    return tuple(StateArchive.from_bytes(bank.read("state.tgz")).names())


def _state_names(host: Host) -> tuple[str, ...]:
    bank = host.bootbank
    if bank is None or "state.tgz" not in bank.files:
        return ()
    return tuple(StateArchive.from_bytes(bank.read("state.tgz")).names())


# -- explaining what happened, from the engine's own events ----------------------------------------------------------


def _rel(paths: Iterable[str]) -> str:
    names = [p.lstrip("/") for p in paths]
    return ", ".join(names) if names else "nothing"


def _fate_of_write(event: Event, path: str, created: bool) -> str:
    """Why a written file will or will not be saved by backups (F16, F25, F26)."""
    snap = event.snapshot
    if not path.startswith("/etc/"):
        return f"{path} is outside /etc, and backup.sh never saves anything outside /etc (F16)"
    twin = twin_of(path)
    if event.details.get("twin"):
        return f"{path} has the sticky bit, so VisorFS kept the original as {twin}: backups now save it (F25, F16)"
    if snap.exists(twin):
        return f"its twin {twin} already exists, so backups save {path} (F16, F25)"
    if created:
        return f"a file you create has no .# twin, so no backup ever saves {path} (F16, F25)"
    return f"{path} has no sticky bit, so it gets no .# twin and no backup ever saves it (F16, F26)"


def _boot_messages(messages: Iterable[str]) -> str:
    said = []
    for m in messages:
        if "UPGRADING -> DIRTY" in m or "DIRTY -> INVALID" in m:
            said.append(f"{m} (F6)")
        elif "Shift+R" in m or "No alternate hypervisor" in m or "marked INVALID" in m:
            said.append(f"{m} (F8)")
        elif m.startswith("Current hypervisor will permanently be replaced"):
            said.append(f"{m} (F45)")
        elif m.startswith("Booting"):
            said.append(f"{m}: the bootable bank with the highest updated= wins (F5, F7)")
        else:
            said.append(m)
    return "the boot loader: " + "; ".join(said)


def _restore_sentence(event: Event, focus: Iterable[str], *, again: bool = False) -> str:
    """What the boot restored. `again`: the full sentence was already said once (at the first boot), so a later
    boot is told in a few words."""
    files = tuple(event.details.get("files", ()))
    if not files:
        return "the boot found no state.tgz to restore: /etc is the image's own (F38)"
    bank = event.snapshot.bootbank
    where = f"{bank.label}'s state.tgz" if bank is not None else "state.tgz"
    if again:
        said = f"at boot, {where} was restored as at the first boot: {_rel(files)} came back (F38)"
    else:
        said = (
            f"at boot, local.tgz from {where} was unpacked onto the fresh ramdisks: {_rel(files)} came back, each "
            "/etc file with its .# twin; everything else is the image's copy again (F38, F25)"
        )
    for p in focus:
        if p in files:
            continue
        if event.snapshot.exists(p):
            said += f"; {p} is not in state.tgz, so tardisk {event.snapshot.resolve(p).layer} serves it"
        else:
            said += f"; {p} is not in state.tgz and no tardisk ships it, so it does not exist now"
    return said


def _backup_sentence(event: Event) -> str:
    result = event.details["result"]
    saved = f"local.tgz in {result.target}/state.tgz now holds {_rel(result.files)}"
    if result.target == "/altbootbank":
        saved += " (a live VIB install left /var/run/update_altbootbank, so backups go to the staged bank, F15)"
    if result.also:
        saved += f"; the same state.tgz went to {', '.join(result.also)} too, where an upgrade waits (F20)"
    if result.trigger == "shutdown":
        return f"the orderly shutdown ran /bin/backup.sh 1, which saves without comparing: {saved} (F13, F22, F16)"
    if result.trigger == "cron":
        return f"at {event.time:%H:%M} cron ran auto-backup.sh (F12); {result.reason}, so backup.sh ran: {saved} (F14)"
    if result.trigger == "hostd":
        return f"hostd started a backup right after the change (F21): {saved}"
    return f"auto-backup.sh compared the files to save with state.tgz: {result.reason}, so backup.sh ran: {saved} (F14)"


def _skip_sentence(event: Event) -> str:
    result = event.details["result"]
    if result.trigger == "hostd":
        return f"hostd did not back up: {result.reason} (F21)"
    if result.trigger == "shutdown":
        return f"the shutdown backup wrote nothing: {result.reason} (F17)"
    return f"auto-backup.sh saved nothing: {result.reason} (F14)"


def _narrate(played: _Played, focus: Iterable[str] = ()) -> list[str]:
    """One numbered paragraph per step saying what the engine did, in ESXi's terms and with fact ids."""
    focus = tuple(focus)
    restore = next(e for e in played.boot if e.kind == "restore")
    bank = played.boot[-1].snapshot.bootbank
    last_label = bank.label if bank is not None else None
    out = [f"0. The first boot: {_restore_sentence(restore, ())}."]
    for n, (step, events, error) in enumerate(played.trace, 1):
        said: list[str] = []
        if step.op in ("put_vib", "put_bundle"):
            out.append(f"{n}. {step.command()}: the file now sits on the tmp ramdisk.")
            continue
        if error is not None and not isinstance(error, RamdiskFull):
            out.append(f"{n}. {step.command()}: refused, and the host is left as it was: {error}")
            continue
        if step.op == "configure":
            rewritten = [e.paths[0] for e in events if e.kind in ("write", "branch") and e.paths]
            said.append(f"hostd changed {step.args[0]}: it rewrote {', '.join(rewritten)} (F44)")
        for e in events:
            kind = e.kind
            if kind in ("branch", "write") and step.op != "configure":
                p = e.paths[0]
                created = kind == "write" and "created" in e.summary
                if step.op == "fill":
                    what = f"{p} ({step.args[1]} MiB) was {'created' if created else 'rewritten'} on the "
                    said.append(what + f"{e.details['ramdisk']} ramdisk")
                elif kind == "branch":
                    said.append(
                        f"{p} was branched from tardisk {e.details['from']} onto the {e.details['ramdisk']} ramdisk: "
                        "only that one file is copied (F27); " + _fate_of_write(e, p, False)
                    )
                else:
                    verb = "created" if created else "changed"
                    said.append(
                        f"{p} was {verb} on the {e.details['ramdisk']} ramdisk; " + _fate_of_write(e, p, created)
                    )
            elif kind == "delete":
                p = e.paths[0]
                if e.snapshot.exists(twin_of(p)):
                    said.append(
                        f"{p} was deleted; its twin {twin_of(p)} stays, but backup.sh saves only files that exist, "
                        "and a deletion alone never makes auto-backup.sh save (F14, F16)"
                    )
                else:
                    said.append(f"{p} was deleted from the {e.details['ramdisk']} ramdisk")
            elif kind == "ramdisk-full":
                said.append(f"the write was refused (F28): {e.summary}")
            elif kind == "backup":
                said.append(_backup_sentence(e))
            elif kind == "backup-skipped":
                said.append(_skip_sentence(e))
            elif kind == "clock":
                runs = e.details.get("cron", ())
                idle = [r.split()[0] for r in runs if "nothing" in r]
                if not runs:
                    said.append(
                        f"the clock reached {e.time:%H:%M} without passing minute 1 of an hour, so cron did not run "
                        "auto-backup.sh (F12)"
                    )
                elif idle:
                    said.append(
                        f"cron ran auto-backup.sh at {', '.join(idle)} and found nothing new to save (F12, F14)"
                    )
            elif kind == "vib-install":
                mods = ", ".join(m for _p, m in e.details["modules"])
                if e.details["live"]:
                    said.append(
                        f"the VIB was installed live: its tardisk {mods} is mounted on top of the stack at once (F33, "
                        "F39); the new image went to /altbootbank with bootstate=0 and a higher updated=, and "
                        "/var/run/update_altbootbank now sends backups there (F15, F33)"
                    )
                else:
                    said.append(
                        f"the new image with {mods} was staged on /altbootbank with bootstate=1 (UPGRADING): "
                        "nothing is mounted until the next boot (F33)"
                    )
            elif kind == "upgrade":
                bank = e.snapshot.altbootbank
                said.append(
                    f"the ESXi {e.details['build']} image was written to /altbootbank ({e.details['bank']}) with "
                    f"bootstate=1 and updated={bank.updated if bank else '?'}, and /sbin/backup.sh 0 /altbootbank "
                    "saved the running configuration into it (F33, F49)"
                )
            elif kind == "shutdown":
                said.append("then the host powered off and its ramdisks were released")
            elif kind == "power-loss" and step.op == "reboot_f":
                said.append(
                    "reboot -f restarts at once, without init: the inittab's shutdown lines, /bin/backup.sh 1 among "
                    "them, never ran, and everything on the ramdisks was lost (F13, F23)"
                )
            elif kind == "power-loss":
                said.append("the power failed: no backup ran, and everything on the ramdisks was lost (F23)")
            elif kind == "restore-config":
                said.append(
                    "firmwareConfig.sh wrote the bundle's state.tgz, kernelopt= and useropts.gz into "
                    f"{e.snapshot.bootbank.label if e.snapshot.bootbank else 'the boot bank'} and rebooted at once "
                    "with reboot -f, so no shutdown backup could overwrite them (F43)"
                )
            elif kind == "vib-remove":
                said.append(f"{e.summary} (F33)")
            elif kind == "bootloader":
                label = e.details.get("bank")
                messages = e.details.get("messages", ())
                if len(messages) > 1 or label != last_label:
                    said.append(_boot_messages(messages))
                last_label = label
            elif kind == "restore":
                said.append(_restore_sentence(e, focus, again=True))
            elif kind == "slow-boot-device":
                said.append(
                    "the boot device was claimed late: /bootbank and /altbootbank point to /tmp, the tmp ramdisk (F47)"
                )
            elif kind == "backup-to-memory":
                who = "the shutdown's backup.sh 1" if e.details["result"].trigger == "shutdown" else "backup.sh"
                said.append(
                    f"{who} wrote state.tgz into /bootbank, which is /tmp: the archive sits in memory and the boot "
                    "device's state.tgz is unchanged (F47)"
                )
            elif kind == "bootbank-alert":
                said.append(f"{e.summary.split(': ALERT')[0]} raised ALERT: {bootdevice.ALERT} and saved nothing (F47)")
            elif kind == "boot-device-lost":
                said.append("the boot device stopped answering: /bootbank leads nowhere now (F47)")
            elif kind == "bootbanks-restored":
                said.append(
                    "/bootbank and /altbootbank point to the boot bank volumes again, so backups reach the "
                    "boot device (F47)"
                )
            elif kind == "boot-complete" and "DIRTY -> VALID" in e.summary:
                said.append("the new image came up, so its bank is confirmed (bootstate DIRTY -> VALID, F5, F6)")
            elif kind == "relayout":
                said.append(
                    f"the 6.x -> 7.0 upgrade re-laid the boot device's partitions: {e.details['bank']} no longer holds "
                    f"ESXi {e.details['removed_build']}, so Shift+R can never go back to 6.x (F45)"
                )
        text = "; ".join(said) if said else "nothing that matters here changed"
        out.append(f"{n}. {step.command()}: {text}" + ("" if text.endswith(".") else "."))
    return out


# -- exercises and feedback ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feedback:
    """What `Exercise.check` says: right or not, and why, in terms of the facts (F-numbers of ESXI-FACTS.md)."""

    correct: bool
    explanation: str
    marked: bool = True  # False when the answer could not be read: nothing was marked, right or wrong

    def __str__(self) -> str:
        if not self.marked:
            return wrap(self.explanation)
        return wrap(("Correct. " if self.correct else "Not quite. ") + self.explanation)


class _Unreadable(ValueError):
    """An answer that is not in a form the exercise understands; the message says what is expected."""


@dataclass(frozen=True)
class _Worked:
    """A worked solution: the answer, how a student reads it, and the reasoning."""

    answer: object
    shown: str
    steps: tuple[str, ...]
    conclusion: str
    notes: tuple[tuple[str, str], ...] = ()  # kind-specific: (key, sentence) pairs for wrong-answer hints
    heading: str = "Why, step by step:"

    def note(self, key: str) -> str | None:
        return dict(self.notes).get(key)

    def why(self) -> str:
        parts = [self.heading, *self.steps] if self.steps else []
        return "\n".join([*parts, self.conclusion])


@dataclass(frozen=True, slots=True)
class Exercise:
    """One question: its seed and kind, the text a student reads, the set-up steps, and the choices (if any).

    `solve()` replays the set-up on a fresh `Host.demo(version)` and reads the answer off the engine; `check(answer)`
    returns a `Feedback`. `subject` is the path asked about, `probe` the line looked for (survives); a reverse
    exercise keeps its candidate sequences in `choices` and the outcome it shows in `shown`.
    """

    seed: int
    kind: str
    question: str
    setup: tuple[Step, ...]
    options: tuple[str, ...] = ()
    version: str = "7.0"
    subject: str = ""
    probe: str = ""
    start_minute: int = 0
    choices: tuple[tuple[Step, ...], ...] = field(default=(), repr=False)
    shown: tuple[str, ...] = field(default=(), repr=False)
    then: tuple[Step, ...] = ()  # a lab's "what if": played by solve() after the set-up, never on `host()`
    symptom: str = ""  # what a lab's administrator sees

    @classmethod
    def from_steps(
        cls,
        kind: str,
        setup: Iterable[Step] = (),
        *,
        version: str = "7.0",
        subject: str = "",
        probe: str = "",
        start_minute: int = 0,
        choices: Iterable[Iterable[Step]] = (),
        truth: int = 0,
        seed: int = -1,
        then: Iterable[Step] = (),
        symptom: str = "",
    ) -> Exercise:
        """An exercise of `kind` built from your own steps (the question text is written for you). For "fits", the
        last step is the write asked about; for "reverse", give `choices` and the index of the true one. A lab
        (LAB_KINDS) takes the `symptom` its administrator sees and, for the kinds that ask "what if", the `then`
        steps asked about."""
        if kind not in KINDS and kind not in LAB_KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS + LAB_KINDS)}")
        steps = tuple(setup)
        picked = tuple(tuple(c) for c in choices)
        shown: tuple[str, ...] = ()
        if kind == "reverse":
            if not 0 <= truth < len(picked):
                raise ValueError("truth must index one of the choices")
            shown = _observe(version, start_minute, picked[truth], _probes_of(picked))
        if kind == "fits" and (not steps or steps[-1].op not in ("fill", "write", "append")):
            raise ValueError("a fits exercise ends with the write it asks about")
        if kind == "vib-conflict" and not picked:
            raise ValueError("a vib-conflict lab needs the choices it asks between")
        if kind == "ramdisk-full" and (not then or tuple(then)[-1].op not in ("fill", "write", "append")):
            raise ValueError("a ramdisk-full lab's then step is the write the full ramdisk refuses")
        draft = cls(seed, kind, "", steps, (), version, subject, probe, start_minute, picked, shown)
        draft = replace(draft, then=tuple(then), symptom=symptom)
        return _with_text(draft)

    def host(self) -> Host:
        """A live host in the state the set-up leaves: a fresh `Host.demo(version)`, booted, with every set-up step
        played on it (a lab's `then` steps are not). Investigate it with `host.shell(...)` or, after `es.use(host)`,
        in `%%esxi` cells; change it as you like: `solve()` and `check()` replay the set-up on a host of their own."""
        return _play(self.version, self.start_minute, self.setup).host

    def solve(self) -> object:
        """The answer, computed by running the set-up on the engine (never stored)."""
        return _work(self).answer

    def check(self, answer: object) -> Feedback:
        """Is `answer` right? The explanation says why, step by step, citing the facts."""
        worked = _work(self)
        spec = _SPECS[self.kind]
        try:
            given = spec.parse(self, answer)
        except _Unreadable as problem:
            return Feedback(False, f"{problem} Your answer could not be read, so nothing was marked: try again.", False)
        why = worked.why()
        decides = _deciding(self)
        if decides is not None:  # that step first, in full; in the list below it points back up
            step = worked.steps[decides]
            number, _, rest = step.partition(": ")
            why = f"The step that decides it: {step}\n" + why.replace(step, f"{number}: {_short_step(rest)}")
        if spec.same(given, worked.answer):
            return Feedback(True, self._fit(f"The answer is {worked.shown}.\n{why}"))
        hint = spec.hint(self, worked, given)
        head = f"You answered {spec.show(given)}; the answer is {worked.shown}: {hint}"
        return Feedback(False, self._fit(f"{head}\n{why}"))

    def _fit(self, text: str) -> str:
        """A lab's explanation wrapped to 96 columns with room for Feedback's "Not quite. " in front (lesson
        outputs stay narrow); other kinds as they were."""
        if self.kind not in LAB_KINDS:
            return text
        first, _, rest = text.partition("\n")
        return _wrap(first, 85) + "\n" + _wrap(rest)

    def __str__(self) -> str:
        return wrap(self.question)

    def __repr__(self) -> str:
        return f"Exercise(seed={self.seed}, kind={self.kind!r}, version={self.version!r}, steps={len(self.setup)})"


@lru_cache(maxsize=256)
def _work(ex: Exercise) -> _Worked:
    return _SPECS[ex.kind].work(ex)


def _short_step(text: str) -> str:
    """A step already told in full above: its first clause, then a pointer back."""
    first = text.split("; ")[0].split(": ")[0]
    return f"{first} ... (the deciding step, above)"


_REPLAYED = ("layer", "survives", "state", "bank", "bootdevice")  # kinds whose answer comes from their set-up


@lru_cache(maxsize=256)
def _deciding(ex: Exercise) -> int | None:
    """The step that decides the answer: the last one without which the set-up gives another answer (the engine
    replays the set-up once without each step, from the last). Its index in the worked steps ("0." is the first
    boot, so step n is n), or None when no single step does (or for kinds whose answer is not a replay)."""
    if ex.kind not in _REPLAYED:
        return None
    work = _SPECS[ex.kind].work
    truth = _work(ex).answer
    for i in reversed(range(len(ex.setup))):
        without = replace(ex, setup=ex.setup[:i] + ex.setup[i + 1 :])
        try:
            other = work(without).answer
        except (EsxiStateError, RuntimeError, ValueError):
            continue  # without this step the rest cannot even run: it does not decide on its own
        if other != truth:
            return i + 1
    return None


# -- answer forms ----------------------------------------------------------------------------------------------------

_YES = {"yes", "y", "true", "fits", "it fits", "kept", "survives", "still there", "1"}
_NO = {"no", "n", "false", "lost", "gone", "does not fit", "doesn't fit", "0"}


def _parse_yes_no(ex: Exercise, answer: object) -> str:
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, str):
        word = re.sub(r"[\s.!]+$", "", answer.strip().lower())
        if word in _YES:
            return "yes"
        if word in _NO:
            return "no"
    raise _Unreadable(f"Answer yes or no (or True/False); {answer!r} is neither.")


def _parse_layer(ex: Exercise, answer: object) -> str:
    if answer is None:
        return "none"
    if not isinstance(answer, str) or not answer.strip():
        raise _Unreadable("Name one layer: a tardisk module such as s.v00, a ramdisk such as etc, or none.")
    text = answer.strip().lower()
    text = re.sub(r"^(the\s+)?", "", text)
    text = re.sub(r"\s+(ramdisk|tardisk|layer)$", "", text)
    text = re.sub(r"^(ramdisk|tardisk)\s+", "", text)
    text = text.removeprefix("/tardisks/")
    if text in ("none", "nothing", "no layer", "no file", "-", "missing", "gone"):
        return "none"
    if text.startswith("/"):  # a mount point: /etc -> etc, /var/run/iofilters -> iofilters
        mounts = {spec.mount: spec.name for spec in image.ramdisk_specs(ex.version)}
        return mounts.get(text.rstrip("/") or "/", text)
    return text


def _parse_names(ex: Exercise, answer: object) -> frozenset[str]:
    if isinstance(answer, str):
        items: Iterable[object] = (
            [] if answer.strip().lower() in ("none", "nothing", "") else re.split(r"[\s,;]+", answer)
        )
    elif isinstance(answer, Iterable):
        items = answer
    else:
        raise _Unreadable("Give the file names as a set or list, or as one string separated by commas.")
    names = set()
    for item in items:
        if not isinstance(item, str):
            raise _Unreadable(f"{item!r} is not a file name; give names like etc/hosts.")
        name = item.strip().strip("'\"").lstrip("/")
        if name and name != CONFIGSTORE_MEMBER:  # the 7.0 ConfigStore member is allowed, not required (F35)
            names.add(name)
    return frozenset(names)


def _parse_bank(ex: Exercise | None, answer: object) -> tuple[str | None, str | None]:
    if isinstance(answer, tuple) and all(isinstance(x, str) for x in answer):
        answer = " ".join(answer)
    if not isinstance(answer, str):
        raise _Unreadable("Answer with BOOTBANK1 or BOOTBANK2 and/or the version, 6.7, 7.0 or 7.0U3.")
    text = answer.lower()
    labels = {f"BOOTBANK{n}" for n in re.findall(r"(?<!alt)(?:boot\s*)?bank\s*([12])\b", text)}
    versions = set()
    for v, spec in image.VERSIONS.items():
        number = spec.build.rsplit(".", 1)[-1]
        if re.search(rf"(?<![\d.]){re.escape(v.lower())}(?![\du]|\.\d)", text) or number in text:
            versions.add(v)
    if len(labels) > 1 or len(versions) > 1:
        raise _Unreadable("Name one bank and one version, not both of each.")
    if not labels and not versions:
        raise _Unreadable(
            f"Answer with BOOTBANK1 or BOOTBANK2 and/or 6.7, 7.0 or 7.0U3; I found neither in {answer!r}."
        )
    return (next(iter(labels), None), next(iter(versions), None))


def _parse_letter(ex: Exercise, answer: object) -> str:
    if isinstance(answer, tuple) and answer in ex.choices:
        return LETTERS[ex.choices.index(answer)]
    if not isinstance(answer, str):
        raise _Unreadable(f"Answer with a letter, {', '.join(LETTERS[: len(ex.options)])}, or the option's text.")
    text = answer.strip()
    m = re.fullmatch(r"(?i)(?:option\s*)?\(?([a-d])\)?[.):]?", text)
    if m and LETTERS.index(m.group(1).upper()) < len(ex.options):
        return m.group(1).upper()
    squeeze = " ".join(text.lower().split())
    for letter, option in zip(LETTERS, ex.options, strict=False):
        if squeeze == " ".join(option.lower().split()):
            return letter
    raise _Unreadable(f"Answer with a letter, {', '.join(LETTERS[: len(ex.options)])}, or the option's text.")


# -- kind: layer -----------------------------------------------------------------------------------------------------


def _work_layer(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    res = played.host.fs.resolve(ex.subject)
    answer = res.layer or "none"
    if res.layer is None and res.deleted:
        end = (
            f"So nothing serves {ex.subject}: the ramdisk holds a whiteout of the deleted file, which hides the copy "
            f"in {', '.join(res.shadowed)} until the next boot."
        )
    elif res.layer is None:
        end = f"So no layer holds {ex.subject}: no mounted tardisk ships it and no ramdisk has a copy."
    elif res.kind == "ramdisk":
        hidden = f", which hides the copy in {', '.join(res.shadowed)} (F27, F39)" if res.shadowed else " (F27)"
        end = f"So {ex.subject} is served by the {res.layer} ramdisk{hidden}."
    else:
        hidden = f"; it hides the copy in {', '.join(res.shadowed)}" if res.shadowed else ""
        end = (
            f"So no ramdisk holds a copy of {ex.subject}, and the last-mounted tardisk that ships it, {res.layer}, "
            f"serves it (F39){hidden}."
        )
    notes = (("shadowed", ", ".join(res.shadowed)), ("kind", res.kind or ""))
    return _Worked(answer, answer, tuple(_narrate(played, (ex.subject,))), end, notes)


def _hint_layer(ex: Exercise, worked: _Worked, given: object) -> str:
    shadowed = (worked.note("shadowed") or "").split(", ")
    if given in shadowed:
        return f"{given} still holds {ex.subject}, but a layer above it hides that copy (F27, F39)."
    if given == "none":
        return f"{ex.subject} is there: {worked.answer} serves it."
    if worked.answer == "none":
        return f"nothing serves {ex.subject} any more."
    names = {spec.name for spec in image.ramdisk_specs(ex.version)}
    if given in names and worked.note("kind") == "tardisk":
        return "no ramdisk holds a copy: what was on the ramdisks is gone, and tardisks serve the rest (F27, F39)."
    return f"{worked.answer} is the topmost layer holding it (F39)."


def _gen_layer(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    role = rng.choice(("installed", "sticky", "plain", "crontab", "new", "overlay", "vib", "tpm"))
    steps: list[Step] = []
    if role == "tpm":
        version = "6.7"
        path = _TPM_TOOL
        steps = [Step.upgrade("7.0"), rng.choice([Step.reboot(), Step.power_loss()])]  # no Shift+R to 6.x (F45)
        steps = steps[: rng.randint(1, 2)]
    elif role in ("overlay", "vib"):
        name = "lab-motd" if role == "overlay" else rng.choice(("lab-tool", "lab-drv"))
        path = _VIBS[name][1][0][0]
        live = name != "lab-drv" and rng.random() < 0.6
        steps = [Step.install_vib(name, live=live)]
        after = [Step.reboot(), Step.power_loss(), Step.rollback()]
        if role == "overlay":
            after.append(_edit(path))
        steps += rng.sample(after, rng.randint(0, 2))
    else:
        pool = {
            "installed": _INSTALLED,
            "sticky": _STICKY,
            "plain": _PLAIN,
            "crontab": (_CRONTAB,),
            "new": _NEW,
        }[role]
        path = rng.choice(pool)
        shipped = role != "new"
        steps = _random_file_steps(rng, path, shipped, rng.randint(1 if role != "installed" else 0, 3))
    start = rng.choice((0, 10, 30))
    question = ""
    return _with_text(
        Exercise(seed, "layer", question, tuple(steps), version=version, subject=path, start_minute=start)
    )


def _edit(path: str) -> Step:
    op, text = _EDITS[path]
    return Step.write(path, text) if op == "write" else Step.append(path, text)


def _random_file_steps(rng: random.Random, path: str, shipped: bool, count: int) -> list[Step]:
    """Edits, deletions, backups and power events on one file; a deletion only while the file exists."""
    steps: list[Step] = []
    exists = shipped
    if not shipped:
        steps.append(_edit(path))
        exists = True
    while len(steps) < count:
        menu = ["edit", "edit", "backup", "wait", "reboot", "power_loss"] + (["delete"] if exists else [])
        pick = rng.choice(menu)
        if pick == "edit":
            steps.append(_edit(path))
            exists = True
        elif pick == "delete":
            steps.append(Step.delete(path))
            exists = False
        elif pick == "backup":
            steps.append(Step.backup())
        elif pick == "wait":
            steps.append(Step.wait(rng.choice((20, 45, 70))))
        else:
            steps.append(Step.reboot() if pick == "reboot" else Step.power_loss())
            exists = shipped
    return steps


# -- kind: survives --------------------------------------------------------------------------------------------------


def _line_there(host: Host, path: str, line: str) -> bool:
    return host.fs.exists(path) and line in host.fs.read_text(path).splitlines()


def _work_survives(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then)
    host = played.host
    there = _line_there(host, ex.subject, ex.probe)
    answer = "yes" if there else "no"
    if there:
        end = f'So the line "{ex.probe}" is still in {ex.subject}.'
    elif host.fs.exists(ex.subject):
        layer = host.fs.resolve(ex.subject).layer
        end = f'So {ex.subject} no longer has the line "{ex.probe}": what you read now comes from {layer}.'
    else:
        end = f"So {ex.subject} does not even exist any more: the change is gone."
    saved_into: set[str] = set()  # the banks whose state.tgz got the file with the line in it
    for _step, events, _error in played.trace:
        for e in events:
            if e.kind != "backup" or ex.subject not in e.details["result"].files:
                continue
            if ex.probe in e.snapshot.read_text(ex.subject).splitlines():
                result = e.details["result"]
                saved_into.add(result.bank)
                if result.also:
                    saved_into.update(b.label for b in e.snapshot.banks if b.label != result.bank)
    edits = [
        e for _s, evs, _e in played.trace for e in evs if e.kind in ("write", "branch") and e.paths[:1] == (ex.subject,)
    ]
    twinned = any(e.snapshot.exists(twin_of(ex.subject)) for e in edits)
    shipped = any(ex.subject in t.members for t in host.tardisks)
    bank = host.bootbank
    notes = (
        ("saved_into", ", ".join(sorted(saved_into))),
        ("booted", bank.label if bank else ""),
        ("twinned", "yes" if twinned else "no"),
        ("shipped", "yes" if shipped else "no"),
    )
    return _Worked(answer, answer, tuple(_narrate(played, (ex.subject,))), end, notes)


def _hint_survives(ex: Exercise, worked: _Worked, given: object) -> str:
    saved_into, booted = worked.note("saved_into"), worked.note("booted")
    if worked.answer == "yes":
        return f"a backup saved the change into {booted}'s state.tgz before the ramdisks went; boot restored it (F38)."
    if saved_into and booted not in saved_into.split(", "):
        return (
            f"a backup did save the change, but into {saved_into}'s state.tgz; the host then booted {booted}, whose "
            "state.tgz is a copy made before the change (F7, F20, F33)."
        )
    if saved_into:
        return "the change was saved once, but a later step removed it and that was saved too (F14, F16)."
    if not ex.subject.startswith("/etc/"):
        return (
            f"{ex.subject} is outside /etc, and backup.sh saves nothing outside /etc: it dies with its ramdisk (F16)."
        )
    if worked.note("twinned") != "yes":
        if worked.note("shipped") == "yes":
            return f"{ex.subject} has no sticky bit, so it gets no .# twin and no backup ever saves it (F16, F26)."
        return f"you created {ex.subject}: a new file has no .# twin, so no backup ever saves it (F16, F25)."
    return "no backup saved the change between the edit and the moment the host went down (F14, F23)."


def _gen_survives(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    pool = _INSTALLED + _STICKY * 2 + _PLAIN + (_CRONTAB, "/etc/rc.local.d/local.sh", "/etc/lab.conf", "/opt/notes.txt")
    path = rng.choice(pool)
    others = [p for p in _STICKY + _PLAIN if p != path]
    middle_menu = ["backup", "wait", "configure", "other", "delete", "vib"] + (["upgrade"] if version == "6.7" else [])
    picks = rng.sample(middle_menu, rng.randint(0, 3))
    if "upgrade" in picks and "vib" in picks:  # no live install on top of a staged upgrade: keep set-ups plain
        picks.remove("vib")
    steps = [_edit(path)]
    for pick in picks:
        if pick == "backup":
            steps.append(Step.backup())
        elif pick == "wait":
            steps.append(Step.wait(rng.choice((20, 45, 70))))
        elif pick == "configure":
            setting = rng.choice([s for s, files in _SETTING_FILES.items() if path not in files])
            steps.append(Step.configure(setting, _SETTINGS[setting]))
        elif pick == "other":
            steps.append(_edit(rng.choice(others)))
        elif pick == "delete":
            steps.append(Step.delete(path))
        elif pick == "vib":
            steps.append(Step.install_vib("lab-tool", live=True))
        else:
            steps.append(Step.upgrade("7.0"))
    head, rest = steps[0], steps[1:]
    rng.shuffle(rest)
    if any(s.op == "delete" for s in rest):  # delete right after the edit it undoes, or the file may not exist
        rest = [s for s in rest if s.op != "delete"]
        rest.insert(0, Step.delete(path))
    steps = [head, *rest, rng.choice((Step.reboot(), Step.power_loss()))]
    _, text = _EDITS[path]
    start = rng.choice((0, 10, 30, 50))
    ex = Exercise(seed, "survives", "", tuple(steps), version=version, subject=path, probe=text, start_minute=start)
    return _with_text(ex)


# -- kind: bootdevice (F47) -----------------------------------------------------------------------------------------


def _gen_bootdevice(rng: random.Random, seed: int) -> Exercise:
    """A persisted /etc file is edited around a boot-device fault: a reboot with a slow boot device (then backups,
    perhaps the localcli fix) or a device lost while running (a backup before or only after the loss)."""
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED + _STICKY)
    if rng.random() < 0.5:
        middle = [Step.backup(), rng.choice((Step.backup(), Step.wait(rng.choice((20, 70)))))]
        if rng.random() < 0.5:
            middle.insert(rng.randint(0, len(middle)), Step.restore_bootbanks())
        steps = [Step.slow_reboot(), _edit(path), *middle]
    else:
        before = [Step.backup()] if rng.random() < 0.5 else []
        steps = [_edit(path), *before, Step.lose_boot_device(), rng.choice((Step.backup(), Step.wait(70)))]
    steps.append(rng.choice((Step.reboot(), Step.power_loss())))
    _, text = _EDITS[path]
    start = rng.choice((0, 10, 30, 50))
    ex = Exercise(seed, "bootdevice", "", tuple(steps), version=version, subject=path, probe=text, start_minute=start)
    return _with_text(ex)


def _hint_bootdevice(ex: Exercise, worked: _Worked, given: object) -> str:
    ops = [s.op for s in ex.setup]
    if "lose_device" in ops:
        if worked.answer == "yes":
            return (
                "a backup saved the change before the boot device was lost; the power cycle brings the device back as "
                "it was then, and boot restores that state.tgz (F47, F38)."
            )
        return (
            f"no backup saved the change before the device was lost; after that every backup, the shutdown's too, "
            f"raised ALERT: {bootdevice.ALERT} and saved nothing (F47, F14)."
        )
    if worked.answer == "yes":
        return (
            "after localcli's restore --bootbanks the links lead to the boot bank again, so a later backup saved the "
            f"change into {worked.note('booted')}'s state.tgz (F47, F14)."
        )
    return (
        "/bootbank pointed to /tmp: every backup after the edit wrote state.tgz into memory, so the boot device's "
        "state.tgz never got the change (F47)."
    )


# -- kind: state -----------------------------------------------------------------------------------------------------


def _etc_names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n for n in names if n != CONFIGSTORE_MEMBER)


def _work_state(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    answer = _etc_names(_state_names(played.host))
    touched = [s.path for s in ex.setup if s.path]
    considered = sorted({*(p.lstrip("/") for p in touched), *answer, *_etc_names(_installed_state(ex.version))})
    events = [e for _step, evs, _error in played.trace for e in evs]
    backups = [i for i, e in enumerate(events) if e.kind == "backup"]
    last_i = backups[-1] if backups else -1
    final = played.host.snapshot()
    notes = [(name, _state_reason("/" + name, name in answer, events, last_i, final)) for name in considered]
    listed = ", ".join(sorted(answer))
    lines = [f"- {name}: {'in' if name in answer else 'not in'} state.tgz: {why}" for name, why in notes]
    end = "So local.tgz in /bootbank/state.tgz holds: " + listed + ".\n" + "\n".join(lines)
    if ex.version.startswith("7"):
        end += f"\n(On 7.0 it also holds {CONFIGSTORE_MEMBER}, the ConfigStore database, F35.)"
    return _Worked(answer, listed, tuple(_narrate(played, tuple(touched))), end, tuple(notes))


def _state_reason(path: str, saved: bool, events: list[Event], last_i: int, final: HostSnapshot) -> str:
    """Why `path` is or is not in state.tgz, from the events of the set-up (F14, F16, F23, F25, F26)."""
    edits = [i for i, e in enumerate(events) if e.kind in ("write", "branch") and e.paths[:1] == (path,)]
    if saved:
        if last_i < 0:
            return "the installer saved it, and no backup has rewritten state.tgz since (F14, F23)"
        trigger = events[last_i].details["result"].trigger
        if any(i < last_i for i in edits):
            return f"it was changed, so it had a .# twin, and the last backup ({trigger}) saved it (F16, F25)"
        return "it came back from state.tgz at boot with its .# twin, so every backup saves it again (F38, F25, F16)"
    if not path.startswith("/etc/"):
        return "it is outside /etc, and backup.sh saves nothing outside /etc (F16)"
    shipped = next((t.members[path] for t in reversed(final.tardisks) if path in t.members), None)
    if shipped is None:
        return "you created it, and a file you create has no .# twin, so backups skip it (F16, F25)"
    if not shipped.sticky:
        return "it has no sticky bit, so it has no .# twin and backups skip it (F16, F26)"
    if last_i < 0:
        return "no backup has rewritten state.tgz since the install, so no change reached it (F14, F23)"
    if not events[last_i].snapshot.exists(path):
        return "it did not exist when the last backup ran, and backup.sh saves only files that exist (F14, F16)"
    if any(i > last_i for i in edits):
        return "it was changed only after the last backup ran, and nothing has saved it since (F14, F23)"
    if edits:
        return (
            "its change was lost to a power failure before a backup saved it (F23); unchanged, it has no .# twin (F25)"
        )
    return "it was never changed, and only a changed sticky file gets a .# twin (F25)"


def _hint_state(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, frozenset) and isinstance(worked.answer, frozenset)
    said = []
    for name in sorted(given - worked.answer):
        why = worked.note(name) or "no backup put it there; backup.sh saves only /etc files with a .# twin (F16)"
        said.append(f"{name} is not in it: {why}")
    for name in sorted(worked.answer - given):
        said.append(f"{name} is in it: {worked.note(name)}")
    return "; ".join(said) + "."


def _gen_state(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    pool = [*_STICKY, *_PLAIN, _CRONTAB, "/etc/lab.conf", "/opt/notes.txt", *_INSTALLED[:1]]
    edits = [_edit(p) for p in rng.sample(pool, rng.randint(1, 3))]
    if rng.random() < 0.3:
        edits.append(Step.delete("/etc/hosts") if all(s.path != "/etc/hosts" for s in edits) else Step.backup())
    triggers = []
    menu = ("backup", "backup", "wait", "wait", "reboot", "reboot", "power_loss", "configure")
    for pick in rng.sample(menu, rng.randint(1, 2)):
        if pick == "wait":
            triggers.append(Step.wait(rng.choice((20, 70))))
        elif pick == "configure":
            setting = rng.choice(("hostname", "dns-server"))
            triggers.append(Step.configure(setting, _SETTINGS[setting]))
        else:
            triggers.append({"backup": Step.backup(), "reboot": Step.reboot(), "power_loss": Step.power_loss()}[pick])
    steps = list(edits)
    for trigger in triggers:  # each trigger goes after some of the edits, most often after all of them
        steps.insert(len(steps) if rng.random() < 0.5 else rng.randint(1, len(steps)), trigger)
    steps = _drop_orphan_deletes(steps)
    start = rng.choice((0, 10, 30, 50))
    return _with_text(Exercise(seed, "state", "", tuple(steps), version=version, start_minute=start))


def _drop_orphan_deletes(steps: list[Step]) -> list[Step]:
    """Keep a deletion only when its file is certain to exist then (the edit came first and no boot since)."""
    kept, alive = [], set()
    for step in steps:
        if step.op in ("reboot", "power_loss", "rollback"):
            alive = set()
        if step.op == "delete" and step.path not in alive and step.path not in _INSTALLED:
            continue
        if step.op == "delete":
            alive.discard(step.path)
        elif step.path:
            alive.add(step.path)
        kept.append(step)
    return kept


# -- kind: bank ------------------------------------------------------------------------------------------------------


def _work_bank(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    host = played.host
    bank = host.bootbank
    assert bank is not None
    shown = f"{bank.label}, ESXi {host.version} (build {bank.build})"
    answer = shown
    banks = "; ".join(repr(b) for b in host.banks)
    end = f"So the host runs from {bank.label}: ESXi {host.version}, build {bank.build}. The banks now: {banks}."
    return _Worked(answer, shown, tuple(_narrate(played)), end)


def _same_bank(given: object, answer: object) -> bool:
    assert isinstance(given, tuple) and isinstance(answer, str)
    label, version = given
    true_label, true_version = _parse_bank(None, answer)
    return (label is None or label == true_label) and (version is None or version == true_version)


def _hint_bank(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, tuple)
    label, version = given
    true_label, true_version = _parse_bank(ex, worked.answer)
    parts = []
    if label is not None and label != true_label:
        parts.append(
            f"{label} is not the bank that boots: every image change is written to the other bank with a higher "
            "updated=, the boot loader boots the bootable bank with the highest updated= (F7, F33), and Shift+R "
            "marks that bank INVALID for good and boots the other one, which holds only the previous image: each "
            "image change overwrites it (F8, F45)"
        )
    if version is not None and version != true_version:
        parts.append(f"ESXi {version} is not what runs: the version is the build of the bank that boots (F4, F7)")
    return "; ".join(parts) + "."


def _show_bank(given: object) -> str:
    assert isinstance(given, tuple)
    return ", ".join(x for x in given if x is not None)


def _gen_bank(rng: random.Random, seed: int) -> Exercise:
    # 7.0 updates to 7.0U3, and Shift+R can undo that; 6.7 upgrades to 7.0, which Shift+R can never undo (F45), so
    # after that upgrade no rollback step is drawn
    version = "7.0" if rng.random() < 0.6 else "6.7"
    target = "7.0U3" if version == "7.0" else "7.0"
    boots = [Step.reboot(), Step.reboot(), Step.power_loss(), Step.rollback()]
    steps: list[Step] = []
    upgraded, vib = False, False
    for _ in range(rng.randint(2, 4)):
        if not steps or (steps[-1].op in ("reboot", "power_loss", "rollback") and rng.random() < 0.4):
            pick = rng.choice(["vib", "upgrade", "upgrade"])
            if pick == "upgrade" and not upgraded:
                steps.append(Step.upgrade(target))
                upgraded = True
                continue
            if not vib:
                steps.append(Step.install_vib(rng.choice(("lab-drv", "lab-tool")), live=False))
                vib = True
                continue
        major_upgrade = upgraded and image.major(target) > image.major(version)
        steps.append(rng.choice(boots[:3] if major_upgrade else boots))
    if steps[-1].op not in ("reboot", "power_loss", "rollback"):
        major_upgrade = upgraded and image.major(target) > image.major(version)
        steps.append(rng.choice(boots[:3] if major_upgrade else boots))
    return _with_text(Exercise(seed, "bank", "", tuple(steps), version=version))


# -- kind: fits ------------------------------------------------------------------------------------------------------

# ramdisk -> (a path on it, another path on it); both parents exist on a fresh host
_FILL_PATHS = {
    "etc": ("/etc/lab-a.bin", "/etc/lab-b.bin"),
    "iofilters": ("/var/run/iofilters/cache-a.bin", "/var/run/iofilters/cache-b.bin"),
    "opt": ("/opt/lab-a.tar", "/opt/lab-b.tar"),
    "root": ("/usr/lib/vmware/lab-a.bin", "/usr/lib/vmware/lab-b.bin"),
    "configstore": ("/etc/vmware/configstore/lab-a.db", "/etc/vmware/configstore/lab-b.db"),
    "var": ("/var/run/lab-a.bin", "/var/run/lab-b.bin"),
}
_MAX_FILL = 33  # MiB: with the 16 MiB written first, a fits exercise never holds more than ~50 MiB
_NEIGHBOURS = {"etc": "configstore", "configstore": "etc", "iofilters": "var", "opt": "root", "root": "opt"}


def _work_fits(ex: Exercise) -> _Worked:
    last = ex.setup[-1]
    played = _play(ex.version, ex.start_minute, ex.setup, last_may_fail=True)
    failed = played.trace[-1][2] is not None
    before = played.trace[-2][1][-1].snapshot if len(played.trace) > 1 else played.boot[-1].snapshot
    disk = before.ramdisk(owner_of(last.args[0], before.ramdisks))
    old = disk.files.get(last.args[0])
    need = last.args[1] * MIB - (old.size if old is not None else 0)
    answer = "no" if failed else "yes"
    mount = (
        f"{disk.mount} is the longest mount point above it" if disk.mount != "/" else "no other mount point holds it"
    )
    over = (
        f"replaces the {old.size // MIB} MiB file already there, so it needs {need} more bytes"
        if old
        else (f"needs {need} bytes")
    )
    end = (
        f"So: {last.args[0]} is on the {disk.name} ramdisk ({mount}), whose maximum is {disk.capacity // MIB} MiB "
        f"= {disk.capacity} bytes (F29). Before the last command {disk.used} bytes were used, so {disk.free} were "
        f"free; the write {over}: {'it does not fit, and nothing is written (F28)' if failed else 'it fits'}."
    )
    notes = (("ramdisk", disk.name), ("mount", disk.mount))
    earlier = tuple(s.args[0] for s in ex.setup[:-1] if s.op == "fill")
    return _Worked(answer, answer, tuple(_narrate(played, earlier)), end, notes)


def _hint_fits(ex: Exercise, worked: _Worked, given: object) -> str:
    disk = worked.note("ramdisk")
    return (
        f"a write is charged to the ramdisk that holds its path, here {disk} (mounted on {worked.note('mount')}), "
        "and fits only if that ramdisk's free space covers it; files written earlier on it count, deleted files and "
        "a reboot give the space back (F27, F28, F29)."
    )


def _gen_fits(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    names = ["etc", "iofilters", "opt", "root"] + (["configstore"] if version == "7.0" else [])
    target = rng.choice(names)
    variant = rng.choice(("same", "same", "freed", "other", "overwrite", "fresh"))
    a_path, b_path = _FILL_PATHS[target]
    first = rng.choice((8, 12, 16))
    steps: list[Step] = []
    if variant in ("same", "freed", "overwrite"):
        steps.append(Step.fill(a_path, first))
        if variant == "freed":
            steps.append(rng.choice((Step.delete(a_path), Step.reboot(), Step.power_loss())))
        if variant == "overwrite":
            b_path = a_path
    elif variant == "other":
        other = _NEIGHBOURS[target] if _NEIGHBOURS[target] in names or _NEIGHBOURS[target] == "var" else "opt"
        steps.append(Step.fill(_FILL_PATHS[other][0], first))
    played = _play(version, 0, steps)
    disk = next(r for r in played.host.ramdisks if r.name == target)
    old = disk.files.get(b_path)
    room = disk.free + (old.size if old is not None else 0)  # what a new file of that name may take
    fits_max = (room - MIB) // MIB  # at least 1 MiB to spare
    over_min = -(-(room + MIB) // MIB)  # at least 1 MiB too much
    want_yes = rng.random() < 0.5
    if fits_max < 1:
        want_yes = False
    if over_min > _MAX_FILL:
        want_yes = True
    size = (
        rng.randint(max(1, fits_max - 6), fits_max) if want_yes else rng.randint(over_min, min(_MAX_FILL, over_min + 3))
    )
    steps.append(Step.fill(b_path, size))
    return _with_text(Exercise(seed, "fits", "", tuple(steps), version=version, subject=b_path))


# -- kind: reverse ---------------------------------------------------------------------------------------------------


def _probes_of(choices: Iterable[Iterable[Step]]) -> tuple[tuple[str, str], ...]:
    """The (file, line) pairs a reverse exercise greps for: every edit of any option, in first-seen order."""
    seen: dict[str, str] = {}
    for steps in choices:
        for s in steps:
            if s.op in ("write", "append"):
                seen.setdefault(s.args[0], s.args[1])
    return tuple(sorted(seen.items()))


@lru_cache(maxsize=512)
def _observe(version: str, start_minute: int, steps: tuple[Step, ...], probes: tuple[tuple[str, str], ...]) -> tuple:
    """What a student sees afterwards: grep of each edited line, and the member list of local.tgz."""
    return _observe_and_tell(version, start_minute, steps, probes)[0]


@lru_cache(maxsize=512)
def _observe_and_tell(
    version: str, start_minute: int, steps: tuple[Step, ...], probes: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The outcome of a sequence (see `_observe`) and the story of how it came about (`_narrate`)."""
    played = _play(version, start_minute, steps)
    host = played.host
    lines = [f"{path}: {line}" if _line_there(host, path, line) else f"{path}: -" for path, line in probes]
    outcome = (*lines, "state.tgz: " + ", ".join(_state_names(host)))
    return outcome, tuple(_narrate(played, tuple(p for p, _ in probes)))


def _transcript(probes: Iterable[tuple[str, str]], shown: tuple[str, ...]) -> str:
    out = []
    for (path, line), seen in zip(probes, shown, strict=False):
        out.append(f"  [root@esxi:~] grep {_quote(line)} {path}")
        out.append(f"  {line}" if not seen.endswith(": -") else "  (no output: the line is not there)")
    out.append("  [root@esxi:~] cd /tmp && tar xzf /bootbank/state.tgz && tar tzf local.tgz")
    names = shown[-1].split(": ", 1)[1].split(", ")
    out += [f"  {n}" for n in names if n]
    return "\n".join(out)


def _describe(outcome: tuple[str, ...]) -> str:
    """An outcome in words: which lines are still there, and what state.tgz holds."""
    said = []
    for item in outcome[:-1]:
        path, line = item.split(": ", 1)
        said.append(f"the line in {path} {'gone' if line == '-' else 'still there'}")
    said.append("local.tgz holding " + (outcome[-1].split(": ", 1)[1] or "nothing"))
    return ", ".join(said)


def _work_reverse(ex: Exercise) -> _Worked:
    probes = _probes_of(ex.choices)
    told = [_observe_and_tell(ex.version, ex.start_minute, c, probes) for c in ex.choices]
    matching = [LETTERS[i] for i, (outcome, _story) in enumerate(told) if outcome == ex.shown]
    if len(matching) != 1:
        raise RuntimeError(f"exercise {ex.seed}: {len(matching)} options give the outcome shown, not exactly one")
    answer = matching[0]
    index = LETTERS.index(answer)
    notes = []
    for i, (outcome, story) in enumerate(told):
        notes.append((LETTERS[i], _describe(outcome)))
        notes.append((LETTERS[i] + "-story", "\n".join(story[1:])))
    end = f"So option {answer} ({ex.options[index]}) is the one that leaves exactly this: {_describe(ex.shown)}."
    heading = f"What option {answer} does, step by step:"
    return _Worked(answer, answer, told[index][1], end, tuple(notes), heading)


def _hint_reverse(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, str)
    return (
        f"option {given} would leave {worked.note(given)}.\n"
        f"What option {given} does, step by step:\n{worked.note(given + '-story')}"
    )


def _gen_reverse(rng: random.Random, seed: int) -> Exercise:
    for _attempt in range(20):
        version = rng.choice(VERSIONS)
        start = rng.choice((0, 10, 30, 50))
        sticky = rng.choice(_INSTALLED[:1] + _STICKY)
        other = rng.choice((*_PLAIN, _CRONTAB)) if rng.random() < 0.5 else None
        truth = _random_story(rng, sticky, other)
        probes = _probes_of([truth])
        shown = _observe(version, start, truth, probes)
        distractors: list[tuple[Step, ...]] = []
        seen = {shown}
        wanted = rng.choice((2, 3))
        for _try in range(10):
            if len(distractors) == wanted:
                break
            candidate = _mutate(rng, truth, sticky, other)
            if candidate == truth or candidate in distractors or _probes_of([candidate]) != probes:
                continue
            outcome = _observe(version, start, candidate, probes)
            if outcome != shown:
                distractors.append(candidate)
                seen.add(outcome)
        if len(distractors) < 2:
            continue
        choices = [truth, *distractors]
        rng.shuffle(choices)
        ex = Exercise(seed, "reverse", "", (), version=version, start_minute=start, choices=tuple(choices), shown=shown)
        return _with_text(ex)
    raise RuntimeError(f"no reverse exercise for seed {seed}")  # pragma: no cover - never seen in practice


_TRIGGERS = ("backup", "wait_short", "wait_long", "configure", "none")


def _trigger(rng: random.Random, pick: str) -> list[Step]:
    if pick == "backup":
        return [Step.backup()]
    if pick == "wait_short":
        return [Step.wait(5)]
    if pick == "wait_long":
        return [Step.wait(70)]
    if pick == "configure":
        return [Step.configure("hostname", _SETTINGS["hostname"])]
    return []


def _random_story(rng: random.Random, sticky: str, other: str | None) -> tuple[Step, ...]:
    steps = [_edit(sticky), *_trigger(rng, rng.choice(_TRIGGERS))]
    if other is not None:
        steps.insert(rng.randint(0, len(steps)), _edit(other))
    if rng.random() < 0.5:
        steps.append(rng.choice((Step.reboot(), Step.power_loss())))
        steps += _trigger(rng, rng.choice(("backup", "none", "none")))
    steps.append(rng.choice((Step.reboot(), Step.power_loss())))
    return tuple(steps)


def _mutate(rng: random.Random, steps: tuple[Step, ...], sticky: str, other: str | None) -> tuple[Step, ...]:
    """A nearby sequence: a trigger swapped, a boot turned into a power failure (or back), or two steps swapped."""
    out = list(steps)
    for _ in range(rng.randint(1, 2)):
        how = rng.choice(("boot", "trigger", "swap"))
        if how == "boot":
            i = rng.choice([k for k, s in enumerate(out) if s.op in ("reboot", "power_loss")])
            out[i] = Step.power_loss() if out[i].op == "reboot" else Step.reboot()
        elif how == "trigger":
            spots = [k for k, s in enumerate(out) if s.op in ("backup", "wait", "configure")]
            new = _trigger(rng, rng.choice(_TRIGGERS))
            if spots:
                i = rng.choice(spots)
                out[i : i + 1] = new
            elif new:
                out.insert(rng.randint(1, len(out) - 1), new[0])
        elif len(out) > 2:
            i = rng.randrange(len(out) - 2)  # never move the final boot
            out[i], out[i + 1] = out[i + 1], out[i]
    return tuple(out)


# -- troubleshooting labs (lesson 11) ---------------------------------------------------------------------------------
#
# A lab is an exercise whose set-up leaves a host in a fault state a student meets in real life. `ex.host()` hands
# over that host live, to investigate with the shell; `ex.then` holds what the question asks about ("if the power
# failed now", "after reboot -f"), which only `solve()` and `check()` play, on a host of their own.


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


@lru_cache(maxsize=8)
def _free_after_boot(version: str, ramdisk: str) -> int:
    host = Host.demo(version)
    host.boot()
    return next(r.free for r in host.ramdisks if r.name == ramdisk)


def _wrap(text: str, width: int = 96) -> str:
    """Lab text wrapped to `width` columns (esxistate.text.wrap: at spaces, continuations under their text)."""
    return wrap(text, width)


def _lab(
    seed: int,
    kind: str,
    version: str,
    setup: Iterable[Step],
    then: Iterable[Step] = (),
    *,
    symptom: str,
    subject: str = "",
    probe: str = "",
    start: int = 0,
    choices: Iterable[Iterable[Step]] = (),
) -> Exercise:
    ex = Exercise(
        seed,
        kind,
        "",
        tuple(setup),
        version=version,
        subject=subject,
        probe=probe,
        start_minute=start,
        choices=tuple(tuple(c) for c in choices),
        then=tuple(then),
        symptom=symptom,
    )
    return _with_text(ex)


def _lab_ask(ex: Exercise) -> str:
    then = ex.then[0].command() if ex.then else ""
    if ex.kind == "bootbank-tmp":
        return (
            f'If the power failed now, would the line "{ex.probe}" still be in {ex.subject} once the host is back? '
            "Answer yes or no."
        )
    if ex.kind in ("bootbank-lost", "reboot-f"):
        how = "The power fails" if then.startswith("(") else f"The host is restarted with `{then}`"
        return f'{how}. Once the host is back, is the line "{ex.probe}" still in {ex.subject}? Answer yes or no.'
    if ex.kind == "shift-r":
        return (
            f"Does the host come back running ESXi {ex.version}, the version it ran before the upgrade? "
            "Answer yes or no."
        )
    if ex.kind == "ramdisk-full":
        return "Which file fills the ramdisk that refused the write? Answer with its full path."
    if ex.kind == "restore-file":
        return (
            f'Does /bootbank/state.tgz still hold {ex.subject} with the line "{ex.probe}", so that you can copy it '
            "back from there? Answer yes or no."
        )
    if ex.kind == "config-bundle":
        return f"After `{then}`, what is this host's hostname? Answer with the name."
    return f"Which of these makes {ex.subject} install? Answer with a letter."


def _lab_text(ex: Exercise) -> Exercise:
    start = DEFAULT_CLOCK + timedelta(minutes=ex.start_minute)
    head = _wrap(f"Lab {ex.seed} ({ex.kind}). {ex.symptom}")
    story = f"What was done on this ESXi {ex.version} host, booted from BOOTBANK1 at {start:%H:%M}:\n" + _wrap(
        _render(ex.setup, start)
    )
    live = "The host is live in that state: .host() on this lab gives it; look around with its shell or %%esxi."
    ask = _wrap(_lab_ask(ex))
    options = tuple(_short(c) for c in ex.choices)
    if options:
        ask += "\n" + "\n".join(_wrap(f"  {LETTERS[i]}) {text}") for i, text in enumerate(options))
    return _replace_text(ex, f"{head}\n\n{story}\n\n{live}\n{ask}", options)


# lab: /bootbank points into /tmp (F47 a, KB 301134)


def _gen_bootbank_tmp(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED[:1] + _STICKY)
    steps = [Step.slow_reboot(), _edit(path), Step.backup()]
    variant = rng.choice(("as-is", "as-is", "restored", "restored-saved"))
    if variant == "restored":
        steps.append(Step.restore_bootbanks())
    elif variant == "restored-saved":
        steps += [Step.restore_bootbanks(), Step.backup()]
    elif rng.random() < 0.5:
        steps.append(Step.wait(70))
    symptom = (
        "Every configuration change made on this host is gone after a reboot, although auto-backup.sh says "
        "'Saving current state in /bootbank' each time."
    )
    start = rng.choice((0, 10, 30))
    return _lab(
        seed,
        "bootbank-tmp",
        version,
        steps,
        (Step.power_loss(),),
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=start,
    )


def _hint_bootbank_tmp(ex: Exercise, worked: _Worked, given: object) -> str:
    ops = [s.op for s in ex.setup]
    if worked.answer == "yes":
        return (
            "after localcli's restore --bootbanks the links lead to the boot device again, and the backup after it "
            f"saved the change into {worked.note('booted')}'s state.tgz (F47, F14)."
        )
    if "restore_bootbanks" in ops:
        return (
            "localcli re-pointed /bootbank to the boot device, but no backup has run since, so the boot device's "
            "state.tgz still lacks the change: run /sbin/auto-backup.sh after the fix (F47, F14, F23)."
        )
    return (
        "/bootbank points to /tmp: every backup since that boot wrote state.tgz into memory, and the boot "
        "device's state.tgz never got the change (F47, KB 301134)."
    )


# lab: the boot device vanished (F47 b)


def _gen_bootbank_lost(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED[:1] + _STICKY)
    variant = rng.choice(("saved", "unsaved", "after"))
    if variant == "saved":
        steps = [_edit(path), Step.backup(), Step.lose_boot_device(), Step.backup()]
    elif variant == "unsaved":
        steps = [_edit(path), Step.lose_boot_device(), Step.backup()]
    else:
        steps = [Step.lose_boot_device(), _edit(path), Step.wait(70)]
    symptom = f'vmkwarning logs "ALERT: {bootdevice.ALERT}", and auto-backup.sh prints the same line.'
    return _lab(
        seed,
        "bootbank-lost",
        version,
        steps,
        (rng.choice((Step.reboot(), Step.power_loss())),),
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=rng.choice((0, 10, 30)),
    )


# lab: Shift+R after an upgrade (F8, F45, KB 1033604)


def _gen_shift_r(rng: random.Random, seed: int) -> Exercise:
    version = "6.7" if rng.random() < 0.6 else "7.0"
    target = "7.0" if version == "6.7" else "7.0U3"
    steps = [Step.upgrade(target), Step.reboot()]
    if rng.random() < 0.4:
        steps.append(Step.reboot())
    symptom = (
        f"This host was upgraded from ESXi {version} to {image.VERSIONS[target].release}. A colleague wants the "
        f"old version back: at the next reboot they will press Shift+R at the boot loader and confirm."
    )
    return _lab(seed, "shift-r", version, steps, (Step.rollback(),), symptom=symptom)


def _work_shift_r(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then, last_may_fail=True)
    host, error = played.host, played.trace[-1][2]
    answer = "yes" if host.version == ex.version else "no"
    bank = host.bootbank
    assert bank is not None
    if error is not None:
        end = (
            f"So Shift+R cannot help: the boot loader refuses it, as step {len(played.trace)} says, and the host "
            f"keeps running ESXi {host.version} from {bank.label} (F45, KB 1033604)."
        )
    else:
        end = (
            f"So the host runs ESXi {host.version} again, from {bank.label}: the update kept the previous image on "
            "the other bank, and Shift+R marked the updated bank INVALID for good (F8, F45)."
        )
    notes = (("refused", "yes" if error is not None else "no"),)
    return _Worked(answer, answer, tuple(_narrate(played)), end, notes)


def _hint_shift_r(ex: Exercise, worked: _Worked, given: object) -> str:
    if worked.note("refused") == "yes":
        return (
            "the 6.x -> 7.0 upgrade re-laid the boot device's partitions once 7.0's first boot was confirmed, so "
            "no 6.x image is left to boot; only a reinstall or a copy of the boot device brings 6.7 back (F45, "
            "KB 1033604)."
        )
    return "an update within 7.0 keeps the previous image on the altbootbank, and Shift+R boots it for good (F8, F45)."


# lab: reboot -f versus reboot (F13, F23)


def _gen_reboot_f(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(_INSTALLED[:1] + _STICKY + ("/etc/rc.local.d/local.sh",))
    steps = [_edit(path)]
    middle = rng.choice(("none", "none", "none", "wait", "backup", "configure"))
    if middle == "wait":
        steps.append(Step.wait(rng.choice((5, 20, 45))))
    elif middle == "backup":
        steps.append(Step.backup())
    elif middle == "configure":
        setting = "dns-server" if path != "/etc/resolv.conf" else "root-password"
        steps.append(Step.configure(setting, _SETTINGS[setting]))
    then = rng.choice((Step.reboot_f(), Step.reboot_f(), Step.reboot()))
    symptom = (
        f"You changed {path} and the host must restart now; the runbook on the wall says `reboot -f` "
        "because it is quicker."
    )
    return _lab(
        seed,
        "reboot-f",
        version,
        steps,
        (then,),
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=rng.choice((0, 10, 30, 50)),
    )


def _hint_reboot_f(ex: Exercise, worked: _Worked, given: object) -> str:
    forced = ex.then[0].op == "reboot_f"
    if worked.answer == "yes" and not forced:
        return (
            "`reboot` is orderly: init runs the inittab's shutdown lines, among them /bin/backup.sh 1, which saves "
            "every persisted /etc file without comparing (F13, F22)."
        )
    if worked.answer == "yes":
        return (
            "reboot -f skips the shutdown backup, but a backup had already saved the change into "
            f"{worked.note('saved_into')}'s state.tgz before it (F12, F14, F21)."
        )
    return "reboot -f restarts without init, so /bin/backup.sh 1 never ran, and no backup had saved the change (F23)."


# lab: a full ramdisk (F28, F29)

_CAPTURES = {
    "etc": ("/etc/vmware/pktcap-vmk0.pcap", "/etc/ssh/pktcap-vmnic0.pcap", "/etc/pktcap.pcap"),
    "opt": ("/opt/pktcap-vmk0.pcap", "/opt/pktcap-vmnic0.pcap"),
}


def _gen_ramdisk_full(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    target = rng.choice(("etc", "etc", "opt"))
    culprit = rng.choice(_CAPTURES[target])
    decoy = Step.capture("/tmp/pktcap-vmnic1.pcap", rng.choice((4, 6, 8)) * MIB)  # big, but on the roomy tmp ramdisk
    spare = rng.randint(4, 16)  # bytes left: fewer than the failing write needs
    fill = Step.capture(culprit, _free_after_boot(version, target) - spare)
    steps = [decoy, fill] if rng.random() < 0.5 else [fill, decoy]
    failing = _edit("/etc/hosts") if target == "etc" else _edit("/opt/notes.txt")
    symptom = f"`{failing.command()}` fails: 'sh: write error: No space left on device'."
    return _lab(seed, "ramdisk-full", version, steps, (failing,), symptom=symptom, subject=failing.path or "")


def _work_ramdisk_full(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then, last_may_fail=True)
    host, error = played.host, played.trace[-1][2]
    if not isinstance(error, RamdiskFull):
        raise RuntimeError(f"lab {ex.seed}: the last write fitted, so nothing is full")
    disk = next(r for r in host.ramdisks if r.name == error.ramdisk)
    biggest, entry = max(disk.files.items(), key=lambda item: item[1].size)
    end = (
        f"So {ex.subject} lives on the {disk.name} ramdisk (mounted on {disk.mount}: the longest mount point above "
        f"a path decides, F29). Its biggest file is {biggest}, {entry.size:,} bytes of the {disk.capacity:,} the "
        f"ramdisk may hold; {disk.free} bytes are left and the write needed {error.needed}, so it was refused and "
        f"nothing was written (F28). `rm {biggest}` gives the room back at once."
    )
    big = [f"{p}={r.name}" for r in host.ramdisks for p, e in r.files.items() if e.size >= MIB]
    notes = (("ramdisk", disk.name), ("big", ";".join(big)))
    return _Worked(biggest, biggest, tuple(_narrate(played)), end, notes)


def _parse_path(ex: Exercise, answer: object) -> str:
    if not isinstance(answer, str) or not answer.strip().strip("'\"").startswith("/"):
        raise _Unreadable("Answer with a full path that starts with /, such as /etc/hosts.")
    return norm(answer.strip().strip("'\""))


def _hint_ramdisk_full(ex: Exercise, worked: _Worked, given: object) -> str:
    big = dict(item.split("=", 1) for item in (worked.note("big") or "").split(";") if item)
    disk = worked.note("ramdisk")
    if isinstance(given, str) and given in big and big[given] != disk:
        return (
            f"{given} is big, but it is on the {big[given]} ramdisk; {ex.subject} is on the {disk} ramdisk, and each "
            "ramdisk has its own maximum (F29). `vdf -h` shows which one is full."
        )
    return f"`vdf -h` shows the {disk} ramdisk full, and `du -h` on its mount point leads to the file (F28, F29)."


# lab: two VIBs claim one file (F30)

_CONFLICTS = (("lab-agent", "lab-monitor"), ("lab-drv", "oem-drv"))


def _gen_vib_conflict(rng: random.Random, seed: int) -> Exercise:
    installed, new = rng.choice(_CONFLICTS)
    if rng.random() < 0.5:
        installed, new = new, installed
    version = rng.choice(VERSIONS)
    setup = [Step.put_vib(installed), Step.install_file(installed), Step.put_vib(new)]
    choices = [
        (Step.install_file(new, live=False),),
        (Step.reboot(), Step.put_vib(new), Step.install_file(new)),  # /tmp is a ramdisk: copy the file again
        (Step.remove_vib(installed), Step.install_file(new)),
    ]
    rng.shuffle(choices)
    paths = sorted(set(dict(_VIBS[installed][1])) & set(dict(_VIBS[new][1])))
    words = str(VibConflict(_lab_vib(new).id, _lab_vib(installed).id, paths))
    symptom = (
        f"`esxcli software vib install -v {_vib_file(new)}` fails:\n [FileConflictError]\n {words}\n"
        " Please refer to the log file for more details."
    )
    return _lab(seed, "vib-conflict", version, setup, symptom=symptom, subject=new, choices=choices)


def _work_vib_conflict(ex: Exercise) -> _Worked:
    runs = [_play(ex.version, ex.start_minute, ex.setup + c, last_may_fail=True) for c in ex.choices]
    ok = [LETTERS[i] for i, p in enumerate(runs) if p.trace[-1][2] is None]
    if len(ok) != 1:
        raise RuntimeError(f"lab {ex.seed}: {len(ok)} options install the VIB, not exactly one")
    answer = ok[0]
    notes = tuple(
        (LETTERS[i], f"refused again: {p.trace[-1][2]}" if p.trace[-1][2] else "it installs")
        for i, p in enumerate(runs)
    )
    installed = ex.setup[1].args[0]
    end = (
        f"So option {answer}: esximage lets no two non-overlay VIBs ship one path (F30), live or staged, before "
        f"or after a reboot; {installed} keeps the file until it is removed (or one of the two is rebuilt as an "
        "overlay VIB, which may replace another VIB's files)."
    )
    return _Worked(answer, answer, tuple(_narrate(runs[LETTERS.index(answer)])), end, notes)


def _hint_vib_conflict(ex: Exercise, worked: _Worked, given: object) -> str:
    assert isinstance(given, str)
    return f"option {given}: {worked.note(given)}."


# lab: restore one /etc file from state.tgz (KB 342062, F38)

_BROKEN = {
    "/etc/hosts": "127.0.0.1 localhost",
    "/etc/ntp.conf": "server 0.pool.ntp.org",
    "/etc/resolv.conf": "search lab.local",
}


def _gen_restore_file(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    path = rng.choice(tuple(_BROKEN))
    other = rng.choice([p for p in _STICKY if p != path and p not in _BROKEN])
    save = rng.choice((Step.backup(), Step.wait(70)))
    steps = [_edit(path), save, Step.write(path, _BROKEN[path]), _edit(other)]
    if rng.random() < 0.4:
        steps.append(Step.wait(rng.choice((20, 70))))
    symptom = (
        f"Someone typed > instead of >> and overwrote {path}. Other changes made since the last backup must "
        "not be lost."
    )
    return _lab(
        seed,
        "restore-file",
        version,
        steps,
        symptom=symptom,
        subject=path,
        probe=_EDITS[path][1],
        start=rng.choice((0, 10, 30)),
    )


def _work_restore_file(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup)
    bank = played.host.bootbank
    assert bank is not None
    saved = StateArchive.from_bytes(bank.read("state.tgz")).read_text(ex.subject.lstrip("/"))
    answer = "yes" if ex.probe in saved.splitlines() else "no"
    if answer == "yes":
        end = (
            f"So state.tgz still holds the good {ex.subject}. KB 342062's steps, for one file: cd /tmp; tar xzf "
            f"/bootbank/state.tgz; tar xzf local.tgz; cp /tmp{ex.subject} {ex.subject}; then /sbin/auto-backup.sh "
            "saves it with the other changes (F38, F14). Rebooting instead would not do: an orderly reboot saves "
            "the broken file first (F13), a power cut loses the other changes (F23)."
        )
    else:
        end = (
            f"So a backup ran after the overwrite and saved the broken {ex.subject}: state.tgz keeps one copy only, "
            "and the good line is gone from it (F14, F16). Another copy exists only where one was made before: a "
            "configBundle, or the altbootbank's state.tgz after an image change (F43, F49)."
        )
    return _Worked(answer, answer, tuple(_narrate(played, (ex.subject,))), end)


def _hint_restore_file(ex: Exercise, worked: _Worked, given: object) -> str:
    if worked.answer == "yes":
        return "the last backup ran before the file was overwritten, and none has run since (F14, F12)."
    return "a backup ran after the overwrite: cron at minute 1 of the hour saves whatever differs (F12, F14)."


# lab: a configuration bundle from another host (F43)


def _gen_config_bundle(rng: random.Random, seed: int) -> Exercise:
    version = rng.choice(VERSIONS)
    other = rng.choice(("esxi-b", "esxi02", "lab-esx2"))
    other_version = version if rng.random() < 0.75 else ("7.0" if version == "6.7" else "6.7")
    force = rng.random() < 0.6
    symptom = (
        f"A colleague wants this host set up like {other}, and hands you the configuration bundle that "
        f"vim-cmd hostsvc/firmware/backup_config made there."
    )
    return _lab(
        seed,
        "config-bundle",
        version,
        (Step.put_bundle(other, other_version),),
        (Step.restore_config(other, force=force),),
        symptom=symptom,
        subject=other,
    )


def _work_config_bundle(ex: Exercise) -> _Worked:
    played = _play(ex.version, ex.start_minute, ex.setup + ex.then, last_may_fail=True)
    host, error = played.host, played.trace[-1][2]
    answer = host.hostname
    if error is not None:
        end = f"So nothing was restored and the host is still {answer}: {error}"
        why = getattr(error, "field", "")
    else:
        end = (
            f"So the host rebooted into {ex.subject}'s configuration and is {answer} now: the bundle's state.tgz "
            f"replaced its own, so esx.conf carries {ex.subject}'s /system/uuid ({host.uuid}) and hostname, "
            "and /etc/hosts and /etc/shadow are its too; kernelopt= and useropts.gz came from the bundle (F43, F38)."
        )
        why = "restored"
    return _Worked(answer, answer, tuple(_narrate(played)), end, (("why", why),))


def _parse_hostname(ex: Exercise, answer: object) -> str:
    if not isinstance(answer, str) or not re.fullmatch(r"[A-Za-z0-9.-]+", answer.strip()):
        raise _Unreadable("Answer with a host name, such as esxi.")
    return answer.strip().lower()


def _hint_config_bundle(ex: Exercise, worked: _Worked, given: object) -> str:
    why = worked.note("why")
    if why == "UUID":
        return (
            "the bundle's Manifest.txt names another host's UUID, and without the force flag restore_config "
            "refuses it (F43)."
        )
    if why == "release level":
        return "a bundle restores only onto the release it was made on, even when forced (F43)."
    return "forced, the restore writes the other host's state.tgz and reboots: /etc comes from it now (F43, F38)."


# -- the kinds, together -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    make: Callable[[random.Random, int], Exercise]
    work: Callable[[Exercise], _Worked]
    parse: Callable[[Exercise, object], object]
    hint: Callable[[Exercise, _Worked, object], str]
    same: Callable[[object, object], bool] = lambda given, answer: given == answer
    show: Callable[[object], str] = lambda given: str(given)


def _show_names(given: object) -> str:
    assert isinstance(given, frozenset)
    return ", ".join(sorted(given)) or "nothing"


_SPECS: Mapping[str, _Spec] = {
    "layer": _Spec(_gen_layer, _work_layer, _parse_layer, _hint_layer),
    "survives": _Spec(_gen_survives, _work_survives, _parse_yes_no, _hint_survives),
    "state": _Spec(_gen_state, _work_state, _parse_names, _hint_state, show=_show_names),
    "bank": _Spec(_gen_bank, _work_bank, _parse_bank, _hint_bank, _same_bank, _show_bank),
    "fits": _Spec(_gen_fits, _work_fits, _parse_yes_no, _hint_fits),
    "reverse": _Spec(_gen_reverse, _work_reverse, _parse_letter, _hint_reverse),
    "bootdevice": _Spec(_gen_bootdevice, _work_survives, _parse_yes_no, _hint_bootdevice),
    "bootbank-tmp": _Spec(_gen_bootbank_tmp, _work_survives, _parse_yes_no, _hint_bootbank_tmp),
    "bootbank-lost": _Spec(_gen_bootbank_lost, _work_survives, _parse_yes_no, _hint_bootdevice),
    "shift-r": _Spec(_gen_shift_r, _work_shift_r, _parse_yes_no, _hint_shift_r),
    "reboot-f": _Spec(_gen_reboot_f, _work_survives, _parse_yes_no, _hint_reboot_f),
    "ramdisk-full": _Spec(_gen_ramdisk_full, _work_ramdisk_full, _parse_path, _hint_ramdisk_full),
    "vib-conflict": _Spec(_gen_vib_conflict, _work_vib_conflict, _parse_letter, _hint_vib_conflict),
    "restore-file": _Spec(_gen_restore_file, _work_restore_file, _parse_yes_no, _hint_restore_file),
    "config-bundle": _Spec(_gen_config_bundle, _work_config_bundle, _parse_hostname, _hint_config_bundle),
}


def _with_text(ex: Exercise) -> Exercise:
    """The exercise with its question written out: the set-up as shell lines, then what is asked."""
    if ex.kind in LAB_KINDS:
        return _lab_text(ex)
    start = DEFAULT_CLOCK + timedelta(minutes=ex.start_minute)
    saved = ", ".join(_installed_state(ex.version))
    head = (
        f"Exercise {ex.seed} ({ex.kind}). An ESXi {ex.version} host has just booted from BOOTBANK1 (BOOTBANK2 is "
        f"empty); it is {start:%H:%M}. Its state.tgz holds what the installer saved: {saved}."
    )
    setup = _render(ex.setup, start)
    options: tuple[str, ...] = ()
    if ex.kind == "layer":
        ask = (
            f"Which layer serves {ex.subject} now? Answer with a tardisk module name (such as s.v00), a ramdisk name "
            "(such as etc), or none."
        )
    elif ex.kind in ("survives", "bootdevice"):
        ask = f'Afterwards, is the line "{ex.probe}" still in {ex.subject}? Answer yes or no.'
    elif ex.kind == "state":
        ask = (
            "Which /etc files does local.tgz inside /bootbank/state.tgz hold now? Answer with their names as tar "
            "lists them (etc/hosts, ...)."
        )
    elif ex.kind == "bank":
        ask = (
            "Which boot bank is the host running from now, and which ESXi version? (BOOTBANK1/BOOTBANK2, 6.7/7.0/7.0U3)"
        )
    elif ex.kind == "fits":
        sizes = ", ".join(
            f"{spec.name} {spec.max_kib // 1024}M on {spec.mount}"
            for spec in image.ramdisk_specs(ex.version)
            if spec.max_kib <= 65536
        )
        ask = (
            f"The smaller ramdisks of this host are: {sizes}. Does the last command fit, or does it fail with "
            "'No space left on device'? Answer yes (it fits) or no."
        )
    else:
        options = tuple(_short(c) for c in ex.choices)
        listed = "\n".join(f"  {LETTERS[i]}) {text}" for i, text in enumerate(options))
        ask = (
            "One of these sequences was run on it; afterwards the host shows this:\n"
            f"{_transcript(_probes_of(ex.choices), ex.shown)}\n"
            f"Which sequence was it?\n{listed}"
        )
        return _replace_text(ex, f"{head}\n\n{ask}", options)
    body = f"{head}\n\n{setup}\n\n{ask}" if setup else f"{head}\nNothing else happens.\n\n{ask}"
    return _replace_text(ex, body, options)


def _replace_text(ex: Exercise, question: str, options: tuple[str, ...]) -> Exercise:
    return replace(ex, question=question, options=options)


def generate(seed: int, kind: str | None = None) -> Exercise:
    """The exercise of `seed` (any int). `kind` is one of KINDS or LAB_KINDS; None lets the seed choose one of KINDS.

    The same seed and kind always give the same exercise, and `generate(s)` equals `generate(s, generate(s).kind)`.
    Every set-up is run once here, so an exercise that comes back is one the engine can play.
    """
    if kind is None:
        kind = random.Random(seed).choice(KINDS)
    if kind not in KINDS and kind not in LAB_KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS + LAB_KINDS)}, not {kind!r}")
    rng = random.Random(f"esxistate-exercise:{seed}:{kind}")
    ex = _SPECS[kind].make(rng, seed)
    _work(ex)  # plays the set-up once: a generator bug shows here, not in front of a student
    return ex
