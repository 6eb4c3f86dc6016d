"""The files the demo ESXi images ship: esx-base's /etc (the sticky files ESXi persists and the plain ones it does
not, F26, F44), root's crontab and /etc/inittab verbatim, stand-ins for programs, a driver VIB's files, and the
/etc/shadow hash the installer writes.

Payloads are small but sit at real ESXi paths. Simplifications, said plainly: binaries are short text stand-ins;
drivers share one version scheme; /sbin is a real directory here (on ESXi it is a link to /bin, and our archive
reader refuses links).
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .imagecatalog import ImageSpec

__all__ = ["crontab", "esx_base", "generic_files", "set_root_hash", "shadow_hash"]


# Root's crontab, verbatim (F12, F48). 6.7: ESX67TREE var/spool/cron/crontabs/root. 7.0 runs auto-backup.sh with
# `++group=host/vim/vmvisor/backup.sh` and adds `crx-cli gc` every 10 minutes: a published 7.0.3 capture
# (`cat /var/spool/cron/crontabs/root` in the README of github.com/ChenWenBrian/esxi_trial_reset, the same lines in
# a second public 7.0.3 capture). The engine's cron finds the auto-backup.sh line in either form.
_CRONTAB_67 = """#min hour day mon dow command
1    1    *   *   *   /sbin/tmpwatch.py
1    *    *   *   *   /sbin/auto-backup.sh
0    *    *   *   *   /usr/lib/vmware/vmksummary/log-heartbeat.py
*/5  *    *   *   *   /bin/hostd-probe.sh ++group=host/vim/vmvisor/hostd-probe/stats/sh
00   1    *   *   *   localcli storage core device purge
"""
_CRONTAB_70 = """#min hour day mon dow command
1    1    *   *   *   /sbin/tmpwatch.py
1    *    *   *   *   /sbin/auto-backup.sh ++group=host/vim/vmvisor/backup.sh
0    *    *   *   *   /usr/lib/vmware/vmksummary/log-heartbeat.py
*/5  *    *   *   *   /bin/hostd-probe.sh ++group=host/vim/vmvisor/hostd-probe/stats/sh
00   1    *   *   *   localcli storage core device purge
*/10 *    *   *   *   /bin/crx-cli gc
"""


def crontab(version: str) -> str:
    """Root's crontab as the image ships it (F12; 7.0 and later per F48)."""
    return _CRONTAB_67 if version.startswith("6") else _CRONTAB_70


# /etc/inittab verbatim from ESX67TREE etc/inittab (F13, F48): `::sysinit:` and `::wait:` lines at boot
# (services.sh start, then /etc/rc.local, which runs the /etc/rc.local.d scripts), and at shutdown `/bin/backup.sh 1`
# after the services stop, which is the engine's orderly shutdown backup; a `reboot -f` skips these lines (F23).
# Simplification: 7.0 ships it too; we found no published 7.0 inittab.
_INITTAB = """::sysinit:/usr/lib/vmware/secureboot/bin/secureBoot.py
::sysinit:/usr/lib/vmware/firstboot/bin/firstboot.py -e
::sysinit:/usr/lib/vmware/rp/bin/configRP init
#
::sysinit:/bin/init-launcher
::wait:/usr/lib/vmware/firstboot/bin/firstboot.py ++group=host/vim/vmvisor/boot -l
::wait:/bin/services.sh start
::wait:/usr/lib/vmware/misc/bin/ucode_workarounds.py
::wait:/bin/apply-host-profiles
::wait:/usr/lib/vmware/secureboot/bin/secureBoot.py ++group=host/vim/vmvisor/boot -a
::wait:/usr/lib/vmware/vmksummary/log-bootstop.sh boot
::wait:/usr/lib/vmware/coredump/collect-coredump-at-boot.sh
::wait:/bin/vmdumper -g 'Boot Successful'
::wait:/bin/sh ++min=0,group=host/vim/vimuser/terminal/shell /etc/rc.local
::wait:/bin/esxcfg-init --set-boot-progress done
::wait:/bin/vmware-autostart.sh start
tty1::respawn:/bin/initterm.sh tty1 /bin/techsupport.sh
tty2::respawn:-/bin/initterm.sh tty2 /bin/dcuiweasel
::restart:/bin/init
::shutdown:/usr/lib/vmware/vmksummary/log-bootstop.sh stop
::shutdown:/bin/shutdown.sh
::shutdown:/usr/lib/vmware/random-seed/bin/storeRandomSeed.sh
::shutdown:/bin/vmware-autostart.sh stop
::shutdown:/bin/services.sh stop
::shutdown:/bin/backup.sh 1
#This call sets up the next fast boot, but does not perform a reboot,
#and must be called after backup.sh
::shutdown:/usr/lib/vmware/loadesx/bin/loadESXShutdown.sh prepare
#No logging after this point
::shutdown:/usr/lib/vmware/vmsyslog/bin/shutdown.sh
"""

# /etc/rc.local: inittab runs it at the end of boot and it runs the /etc/rc.local.d scripts (F44, F48). Its body is
# our reconstruction: the 6.7 tree we read does not hold it and we found no published copy.
_RC_LOCAL = """#!/bin/sh
# run the scripts in /etc/rc.local.d (a stand-in; the simulator does not run scripts)
"""

_LOCAL_SH = """#!/bin/sh

# local configuration options

# Note: modify at your own risk!  If you do/use anything in this
# script that is not part of a stable API (relying on files to be in
# specific places, specific tools, specific output, etc) there is a
# possibility you will end up with a broken system after patching or
# upgrading.  Changes are not supported unless under direction of
# VMware support.

# Note: This script will not be run when UEFI secure boot is enabled.

exit 0
"""

_HOSTS = """# Do not remove the following line, or various programs
# that require network functionality will fail.
127.0.0.1\tlocalhost.localdomain localhost
::1\tlocalhost.localdomain localhost
"""

# /etc/passwd verbatim from ESX67TREE etc/passwd (F48): vpxuser cannot log in (/sbin/nologin)
_PASSWD = """root:x:0:0:Administrator:/:/bin/sh
daemon:x:2:2:System daemons:/:/sbin/nologin
nfsnobody:x:65534:65534:Anonymous NFS User:/:/sbin/nologin
dcui:x:100:100:DCUI User:/:/sbin/nologin
vpxuser:x:500:100:VMware VirtualCenter administration account:/:/sbin/nologin
"""

_SHADOW = """root:*:13358:0:99999:7:::
daemon:*:13358:0:99999:7:::
nfsnobody:*:13358:0:99999:7:::
dcui:*:13358:0:99999:7:::
vpxuser:*:13358:0:99999:7:::
"""

_ESX_CONF = """/adv/Misc/HostName = "localhost"
/adv/Misc/HostIPAddr = "0.0.0.0"
/adv/UserVars/SuppressShellWarning = "0"
/resourceGroups/version = "{version}"
/system/uuid = "00000000-0000-0000-0000-000000000000"
/net/pnic/child[0000]/name = "vmnic0"
/net/pnic/child[0000]/mac = "00:50:56:00:00:01"
/net/vmkernelnic/child[0000]/name = "vmk0"
/net/vmkernelnic/child[0000]/portgroup = "Management Network"
/net/vswitch/child[0000]/name = "vSwitch0"
/net/vswitch/child[0000]/uplinks/child[0000]/pnic = "vmnic0"
"""


def _sticky_etc(version: str) -> dict[str, tuple[str, int]]:
    """The /etc files esx-base ships with the sticky bit: the ones ESXi persists (F26, F44). path -> (body, mode)."""
    return {
        "/etc/vmware/esx.conf": (_ESX_CONF.format(version=version), 0o1644),
        "/etc/hosts": (_HOSTS, 0o1644),
        "/etc/passwd": (_PASSWD, 0o1444),
        "/etc/shadow": (_SHADOW, 0o1400),
        "/etc/inetd.conf": ("# Internet server configuration database\n", 0o1644),
        "/etc/ntp.conf": (
            "restrict default kod nomodify notrap nopeer\nrestrict 127.0.0.1\ndriftfile /etc/ntp.drift\n",
            0o1644,
        ),
        "/etc/resolv.conf": ("search localdomain\n", 0o1644),
        "/etc/chkconfig.db": ("/etc/init.d/hostd\n/etc/init.d/vpxa\n/etc/init.d/ntpd\n", 0o1644),
        "/etc/rc.local.d/local.sh": (_LOCAL_SH, 0o1755),
        "/etc/ssh/sshd_config": ("Port 22\nPermitRootLogin yes\nPasswordAuthentication yes\n", 0o1644),
        "/etc/ssh/keys-root/authorized_keys": ("", 0o1600),
        "/etc/vmware/hostd/hostsvc.xml": ("<ConfigRoot>\n  <mode>normal</mode>\n</ConfigRoot>\n", 0o1644),
        "/etc/vmware/ssl/rui.crt": (
            "-----BEGIN CERTIFICATE-----\n(simulated host certificate)\n-----END CERTIFICATE-----\n",
            0o1644,
        ),
        "/etc/vmware/ssl/rui.key": (
            "-----BEGIN PRIVATE KEY-----\n(simulated host key)\n-----END PRIVATE KEY-----\n",
            0o1400,
        ),
    }


def _plain_etc(version: str) -> dict[str, str]:
    """/etc files without the sticky bit: changes to them are lost at reboot (F26)."""
    return {
        "/etc/pam.d/system-auth": "auth required pam_unix.so\naccount required pam_unix.so\n",
        "/etc/pam.d/login": "auth include system-auth\naccount include system-auth\n",
        "/etc/pam.d/sshd": "auth include system-auth\naccount include system-auth\n",
        "/etc/pam.d/passwd": "password include system-auth\n",
        "/etc/motd": "The time and date of this login have been sent to the system logs.\n\n"
        "WARNING:\n   All commands run on the ESXi shell are logged and may be included in\n"
        "   support bundles. Do not provide passwords directly on the command line.\n"
        "   Most tools can prompt for secrets or accept them from standard input.\n\n"
        "VMware offers supported, powerful system administration tools.  Please\n"
        "see www.vmware.com/go/sysadmintools for details.\n\n"
        "The ESXi Shell can be disabled by an administrative user. See the\n"
        "vSphere Security documentation for more information.\n",
        "/etc/issue": f"VMware ESXi {version}\n",
        "/etc/profile": "export PATH=/bin:/sbin\nexport PS1='[\\u@\\h:\\w] '\n",
        "/etc/group": "root::0:root\ndaemon::2:\nnfsnobody::65534:\nvpxuser::100:\n",
        "/etc/inittab": _INITTAB,
        "/etc/vmware/config": 'libdir = "/usr/lib/vmware"\n',
        "/etc/vmware/vsphereFeatures/vsphereFeatures.cfg": "",
        "/etc/ssh/ssh_config": "Host *\n  Protocol 2\n",
    }


def _stub(what: str) -> str:
    return f"#!/bin/sh\n# {what}: a stand-in; the simulator runs its logic in Python.\n"


def esx_base(spec: ImageSpec) -> dict[str, dict[str, tuple[str, int]]]:
    """Files of esx-base's four tardisks (s, sb, vim, vmx): payload -> path -> (body, mode)."""
    s: dict[str, tuple[str, int]] = {}
    s.update(_sticky_etc(spec.version))
    s.update({p: (b, 0o644) for p, b in _plain_etc(spec.version).items()})
    for applet in (
        "sh",
        "ash",
        "ls",
        "cat",
        "cp",
        "mv",
        "rm",
        "mkdir",
        "chmod",
        "touch",
        "echo",
        "vi",
        "tar",
        "gzip",
        "date",
        "crond",
        "vdf",
        "vdu",
        "esxcli",
        "localcli",
        "vim-cmd",
        "passwd",
        "reboot",
        "poweroff",
        "hostd",
        "services.sh",
        "shutdown.sh",
    ):
        s[f"/bin/{applet}"] = (_stub(f"/bin/{applet}"), 0o755)
    s["/sbin/auto-backup.sh"] = (_stub("/sbin/auto-backup.sh (F14)"), 0o755)
    s["/sbin/backup.sh"] = (_stub("/sbin/backup.sh (F15-F18)"), 0o755)
    s["/sbin/tmpwatch.py"] = (_stub("/sbin/tmpwatch.py"), 0o755)
    s["/var/spool/cron/crontabs/root"] = (crontab(spec.version), 0o600)
    s["/etc/rc.local"] = (_RC_LOCAL, 0o755)
    s["/usr/lib/vmware/vmksummary/log-heartbeat.py"] = (_stub("log-heartbeat.py"), 0o755)
    s["/usr/lib/vmware/hostd/hostd-version"] = (f"{spec.build}\n", 0o444)
    s["/tardisks.noauto/README"] = ("tardisks that are not mounted automatically\n", 0o444)
    sb = {
        "/usr/lib/vmware/lib64/libvmkctl.so": (_stub("libvmkctl.so"), 0o755),
        "/usr/lib/vmware/vob/catalog/vob.vmsg": (
            "esx.problem.visorfs.ramdisk.full = The ramdisk '{1}' is full.  "
            "As a result, the file {2} could not be written.\n",
            0o444,
        ),
    }
    vim = {"/usr/lib/vmware/hostd/docroot/index.html": ("<html><body>VMware ESXi</body></html>\n", 0o444)}
    vmx = {"/bin/vmx": (_stub("/bin/vmx, the virtual machine executable"), 0o755)}
    parts = {"s": s, "sb": sb, "vim": vim, "vmx": vmx}
    if spec.version.startswith("7"):
        parts["tpm"] = {"/usr/lib/vmware/tpm/tpm2-util": (_stub("tpm2-util"), 0o755)}
    return parts


def generic_files(vib: str, payload: str) -> dict[str, tuple[str, int]]:
    """A driver or tool VIB's files: a vmkernel module and its map file, or a tool under /usr/lib/vmware."""
    if vib in ("esx-ui",):
        return {
            "/usr/lib/vmware/hostd/docroot/ui/index.html": ("<html><body>VMware Host Client</body></html>\n", 0o444)
        }
    if vib.startswith(("lsu", "vmware-esx", "esx-", "native", "vsan", "elx", "loadesx", "crx", "vdfs")):
        return {f"/usr/lib/vmware/{vib}/{payload}.info": (f"{vib} payload {payload}\n", 0o444)}
    return {
        f"/usr/lib/vmware/vmkmod/{vib.replace('-', '_')}": (f"vmkernel module {vib} (stand-in)\n", 0o444),
        f"/etc/vmware/default.map.d/{vib}.map": (f"regtype=native,bus=pci,driver={vib}\n", 0o444),
    }


def shadow_hash(password: str, salt: str = "esxistate") -> str:
    """A SHA-512 `$6$salt$...` style hash for /etc/shadow. Simplification: real ESXi uses crypt(3)'s sha512-crypt
    (5,000 rounds); this is one round of SHA-512, enough to show that the file holds a hash, not the password."""
    digest = hashlib.sha512((salt + password).encode()).digest()
    return f"$6${salt}${base64.b64encode(digest, altchars=b'./').decode().rstrip('=')}"


def set_root_hash(shadow: str, password: str) -> str:
    lines = shadow.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("root:"):
            fields = line.rstrip("\n").split(":")
            fields[1] = shadow_hash(password)
            lines[i] = ":".join(fields) + "\n"
    return "".join(lines)
