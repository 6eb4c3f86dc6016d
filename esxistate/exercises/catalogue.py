"""What the set-ups are made of: the kinds, the files students edit and how, the lab VIBs."""

from __future__ import annotations

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
