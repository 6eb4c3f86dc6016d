"""The demo ESXi images (6.7 GA, 7.0b and 7.0 Update 3g): their VIBs, payloads and boot.cfg, built once and cached.

Module lists and their order are those of the installed hosts in ESXI-FACTS.md samples S1 and S2 (every module kept,
none trimmed); 7.0 U3g's list is its installer ISO's, trimmed the way S2 trims 7.0b's (see `_S3G`). `VERSIONS` is
keyed by the names a student types ("6.7", "7.0", "7.0U3"); `version_key` orders them (F45: an update within 7.0 and
the major upgrade from 6.x are different things). 8.0 is not simulated: we found its module list (a public PXE
how-to quotes 8.0 U2's installer boot.cfg) but no source for its ramdisk set. Payloads are small but sit at real ESXi
paths, and the sticky bit marks the /etc files real ESXi persists (F26, F44). Simplifications, said plainly:
binaries are short text stand-ins; drivers share one version scheme; /sbin is a real directory here (on ESXi it is a
link to /bin, and our archive reader refuses links).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from . import archive
from .bootcfg import BootConfig
from .entry import FileEntry
from .layers import RamdiskSpec
from .vib import Payload, Vib, tardisk_payload, tree_members

__all__ = ["VERSIONS", "Image", "crontab", "demo_image", "major", "newer_than", "ramdisk_specs", "version_key"]


@dataclass(frozen=True, slots=True)
class ImageSpec:
    version: str
    build: str
    kernelopt: str
    released: int  # mtime of image files
    install_date: str
    modules: str  # S1/S2 module list, "file:vib:payload" (vib/payload default to the file's stem)
    release: str = ""  # VMware's name of the release, as in its ISO and depot names ("7.0b", "7.0U3g")

    @property
    def profile(self) -> str:
        """The standard image profile, e.g. ESXi-7.0U3g-20328353-standard."""
        return f"ESXi-{self.release or self.version}-{self.build.rsplit('.', 1)[-1]}-standard"

    @property
    def depot(self) -> str:
        """The offline bundle it ships in, e.g. VMware-ESXi-7.0U3g-20328353-depot.zip."""
        return f"VMware-ESXi-{self.release or self.version}-{self.build.rsplit('.', 1)[-1]}-depot.zip"


_VIB_OF_67 = {
    # jumpstrt.gz, useropts.gz and features.gz: tiny gzip text modules listed first (F42)
    "jumpstrt.gz": "esx-base",
    "useropts.gz": "esx-base",
    "features.gz": "esx-base",
    "k.b00": "esx-base",
    "chardevs.b00": "esx-base",
    "user.b00": "esx-base",
    "procfs.b00": "esx-base",
    "uc_intel.b00": "cpu-microcode",
    "uc_amd.b00": "cpu-microcode",
    "uc_hygon.b00": "cpu-microcode",
    "vmx.v00": "esx-base",
    "vim.v00": "esx-base",
    "tpm.v00": "esx-base",
    "sb.v00": "esx-base",
    "s.v00": "esx-base",
    "btldr.t00": "esx-base",
    "btldr.v00": "esx-base",
    "ata_liba.v00": "ata-libata-92",
    "ata_pata.v00": "ata-pata-amd",
    "lsi_mr3.v00": "lsi-mr3",
    "lsi_msgp.v00": "lsi-msgpt2",
    "lsi_msgp.v01": "lsi-msgpt35",
    "lsi_msgp.v02": "lsi-msgpt3",
    "net_e100.v00": "net-e1000",
    "net_e100.v01": "net-e1000e",
    "nmlx5_co.v00": "nmlx5-core",
    "nmlx5_rd.v00": "nmlx5-rdma",
    "nmlx4_co.v00": "nmlx4-core",
    "nmlx4_en.v00": "nmlx4-en",
    "nmlx4_rd.v00": "nmlx4-rdma",
    "nvme_pci.v00": "nvme-pcie",
    "nvmxnet3.v01": "nvmxnet3-ens",
    "mtip32xx.v00": "mtip32xx-native",
    "sata_ahc.v00": "sata-ahci",
    "vmw_ahci.v00": "vmw-ahci",
    "elx_esx_.v00": "elx-esx-libelxima.so",
    "esx_dvfi.v00": "esx-dvfilter-generic-fastpath",
    "esx_ui.v00": "esx-ui",
    "esxupdt.v00": "esx-update",
    "tpmesxup.v00": "esx-update",
    "lsu_hp_h.v00": "lsu-hp-hpsa-plugin",
    "lsu_lsi_.v00": "lsu-lsi-lsi-mr3-plugin",
    "lsuv2_hp.v00": "lsuv2-hpv2-hpsa-plugin",
    "lsuv2_in.v00": "lsuv2-intelv2-nvme-vmd-plugin",
    "lsuv2_ls.v00": "lsuv2-lsiv2-drivers-plugin",
    "lsuv2_nv.v00": "lsuv2-nvme-pcie-plugin",
    "lsuv2_oe.v00": "lsuv2-oem-dell-plugin",
    "lsuv2_oe.v01": "lsuv2-oem-hp-plugin",
    "lsuv2_oe.v02": "lsuv2-oem-lenovo-plugin",
    "lsuv2_sm.v00": "lsuv2-smartpqiv2-plugin",
    "native_m.v00": "native-misc-drivers",
    "qlnative.v00": "qlnativefc",
    "vmware_e.v00": "vmware-esx-esxcli-nvme-plugin",
    "vsanheal.v00": "vsanhealth",
    "vsanmgmt.v00": "vsan",
    "xorg.v00": "esx-xserver",
    "esxio_co.v00": "esxio-combiner",
}

_S1 = (
    "jumpstrt.gz useropts.gz features.gz k.b00 chardevs.b00 user.b00 procfs.b00 uc_intel.b00 uc_amd.b00 vmx.v00 "
    "vim.v00 sb.v00 s.v00 ata_liba.v00 ata_pata.v00 bnxtnet.v00 elxnet.v00 i40en.v00 igbn.v00 ixgben.v00 lpfc.v00 "
    "lsi_mr3.v00 lsi_msgp.v00 lsi_msgp.v01 lsi_msgp.v02 ne1000.v00 net_e100.v00 net_e100.v01 nhpsa.v00 "
    "nmlx5_co.v00 ntg3.v00 nvme.v00 nvmxnet3.v00 pvscsi.v00 qfle3.v00 sata_ahc.v00 smartpqi.v00 vmkusb.v00 "
    "vmw_ahci.v00 elx_esx_.v00 btldr.t00 esx_dvfi.v00 esx_ui.v00 esxupdt.v00 lsu_hp_h.v00 lsu_lsi_.v00 "
    "native_m.v00 qlnative.v00 vmware_e.v00 vsan.v00 vsanheal.v00 vsanmgmt.v00 xorg.v00"
)
_S2 = (
    "jumpstrt.gz useropts.gz features.gz k.b00 uc_intel.b00 uc_amd.b00 uc_hygon.b00 procfs.b00 vmx.v00 vim.v00 "
    "tpm.v00 sb.v00 s.v00 bnxtnet.v00 bnxtroce.v00 brcmfcoe.v00 brcmnvme.v00 elxiscsi.v00 elxnet.v00 i40en.v00 "
    "i40iwn.v00 iavmd.v00 igbn.v00 iser.v00 ixgben.v00 lpfc.v00 lpnic.v00 lsi_mr3.v00 lsi_msgp.v00 lsi_msgp.v01 "
    "lsi_msgp.v02 mtip32xx.v00 ne1000.v00 nenic.v00 nfnic.v00 nhpsa.v00 nmlx4_co.v00 nmlx4_en.v00 nmlx4_rd.v00 "
    "nmlx5_co.v00 nmlx5_rd.v00 ntg3.v00 nvme_pci.v00 nvmerdma.v00 nvmxnet3.v00 nvmxnet3.v01 pvscsi.v00 qcnic.v00 "
    "qedentv.v00 qedrntv.v00 qfle3.v00 qfle3f.v00 qfle3i.v00 qflge.v00 rste.v00 sfvmk.v00 smartpqi.v00 "
    "vmkata.v00 vmkfcoe.v00 vmkusb.v00 vmw_ahci.v00 crx.v00 elx_esx_.v00 btldr.v00 esx_dvfi.v00 esx_ui.v00 "
    "esxupdt.v00 tpmesxup.v00 loadesx.v00 lsuv2_hp.v00 lsuv2_in.v00 lsuv2_ls.v00 lsuv2_nv.v00 lsuv2_oe.v00 "
    "lsuv2_oe.v01 lsuv2_oe.v02 lsuv2_sm.v00 native_m.v00 qlnative.v00 vdfs.v00 vmware_e.v00 vsan.v00 "
    "vsanheal.v00 vsanmgmt.v00 xorg.v00"
)

# ESXi 7.0 Update 3g, build 20328353 (VMware-VMvisor-Installer-7.0U3g-20328353.x86_64.iso, image profile
# ESXi-7.0U3g-20328353-standard). Its installer boot.cfg, quoted in a public PXE how-to, has build=7.0.3-0.55.20328353
# and the module list below plus weaselin.v00, tools.t00, imgdb.tgz, basemisc.tgz, resvibs.tgz and imgpayld.tgz. As
# for S2, the installed host's list drops the installer-only modules (weaselin, tools.t00, basemisc, resvibs,
# imgpayld) and ends with imgdb.tgz and state.tgz [inf, as S2]. New since 7.0b: atlantic, icen, ionic_en, irdman,
# nvmetcp, bmcal, esxio_co, trx, gc; gone: brcmnvme, i40iwn.
_S3G = (
    "jumpstrt.gz useropts.gz features.gz k.b00 uc_intel.b00 uc_amd.b00 uc_hygon.b00 procfs.b00 vmx.v00 vim.v00 "
    "tpm.v00 sb.v00 s.v00 atlantic.v00 bnxtnet.v00 bnxtroce.v00 brcmfcoe.v00 elxiscsi.v00 elxnet.v00 i40en.v00 "
    "iavmd.v00 icen.v00 igbn.v00 ionic_en.v00 irdman.v00 iser.v00 ixgben.v00 lpfc.v00 lpnic.v00 lsi_mr3.v00 "
    "lsi_msgp.v00 lsi_msgp.v01 lsi_msgp.v02 mtip32xx.v00 ne1000.v00 nenic.v00 nfnic.v00 nhpsa.v00 nmlx4_co.v00 "
    "nmlx4_en.v00 nmlx4_rd.v00 nmlx5_co.v00 nmlx5_rd.v00 ntg3.v00 nvme_pci.v00 nvmerdma.v00 nvmetcp.v00 "
    "nvmxnet3.v00 nvmxnet3.v01 pvscsi.v00 qcnic.v00 qedentv.v00 qedrntv.v00 qfle3.v00 qfle3f.v00 qfle3i.v00 "
    "qflge.v00 rste.v00 sfvmk.v00 smartpqi.v00 vmkata.v00 vmkfcoe.v00 vmkusb.v00 vmw_ahci.v00 bmcal.v00 crx.v00 "
    "elx_esx_.v00 btldr.v00 esx_dvfi.v00 esx_ui.v00 esxupdt.v00 tpmesxup.v00 esxio_co.v00 loadesx.v00 "
    "lsuv2_hp.v00 lsuv2_in.v00 lsuv2_ls.v00 lsuv2_nv.v00 lsuv2_oe.v00 lsuv2_oe.v01 lsuv2_oe.v02 lsuv2_sm.v00 "
    "native_m.v00 qlnative.v00 trx.v00 vdfs.v00 vmware_e.v00 vsan.v00 vsanheal.v00 vsanmgmt.v00 xorg.v00 gc.v00"
)

VERSIONS: dict[str, ImageSpec] = {
    "6.7": ImageSpec(
        "6.7",
        "6.7.0-0.0.8169922",
        "installerDiskDumpSlotSize=2560 no-auto-partition",
        1_522_790_481,
        "2018-04-17",
        _S1,
        "6.7.0",
    ),
    "7.0": ImageSpec("7.0", "7.0.0-1.25.16324942", "autoPartition=FALSE", 1_591_000_000, "2020-06-23", _S2, "7.0b"),
    "7.0U3": ImageSpec(
        "7.0U3", "7.0.3-0.55.20328353", "autoPartition=FALSE", 1_661_990_400, "2022-09-01", _S3G, "7.0U3g"
    ),
}


def version_key(version: str) -> tuple[int, int, int]:
    """(major, minor, update) of a version key: 6.7 < 7.0 < 7.0U3. (float("7.0U3") would not even parse.)"""
    m = re.fullmatch(r"(\d+)\.(\d+)(?:U(\d+))?", version)
    if m is None:
        raise ValueError(f"not an ESXi version key: {version!r}")
    return int(m[1]), int(m[2]), int(m[3] or 0)


def encrypts_config(version: str) -> bool:
    """F36: from 7.0 Update 2 every host encrypts its archived configuration (state.tgz holds local.tgz.ve and
    encryption.info), with no manual step, from the first boot of such an image on."""
    return version_key(version) >= (7, 0, 2)


def newer_than(version: str) -> tuple[str, ...]:
    """The simulated versions an upgrade or update can go to from `version`, oldest first."""
    return tuple(v for v in sorted(VERSIONS, key=version_key) if version_key(v) > version_key(version))


def major(version_or_build: str) -> int:
    """The major release of a version key ("7.0U3") or a boot.cfg build= string ("7.0.3-0.55.20328353"); 0 if none.
    6.x -> 7.0 is the upgrade that re-lays the boot device's partitions (F45)."""
    head = version_or_build.split(".", 1)[0]
    return int(head) if head.isdecimal() else 0


BASE_VIBS = frozenset({"esx-base", "cpu-microcode", "esx-update", "vsan", "esx-ui"})

# VIBs of the 6.7 image whose descriptor we read (ESX67TREE var/db/esximg/vibs/esx-ui-232411025.xml, F30, F48): the
# Host Client 1.25.0-7872652, live-install-allowed and live-remove-allowed true, maintenance-mode false. 6.7 has no
# base image (that word belongs to 7.0 and later), so the Host Client is an ordinary VIB that can be removed live.
_DESCRIPTORS_67: dict[str, dict] = {
    "esx-ui": {
        "version": "1.25.0-7872652",
        "summary": "VMware Host Client",
        "live_install": True,
        "live_remove": True,
        "maintenance_mode": False,
        "base": False,
    }
}

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


def _esx_base(spec: ImageSpec) -> dict[str, dict[str, tuple[str, int]]]:
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


def _generic_files(vib: str, payload: str) -> dict[str, tuple[str, int]]:
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


@lru_cache(maxsize=4)
def demo_image(version: str) -> Image:
    spec = VERSIONS[version]
    base_files = _esx_base(spec)
    order = ["b.b00", *spec.modules.split()]
    per_vib: dict[str, list[tuple[Payload, str]]] = {}
    files: dict[str, bytes] = {}
    for module in order:
        stem, ext = module.rsplit(".", 1)
        vib = _VIB_OF_67.get(module, "esx-base" if module == "b.b00" else stem.replace("_", "-"))
        payload_name = stem
        if ext == "gz" or ext.startswith("b"):
            data = _boot_module(module, spec.released)
            payload = Payload(payload_name, "boot", data, module if ext == "gz" else None)
        else:
            kind = "tgz" if ext.startswith("t") else "vgz"
            body = base_files.get(stem) if vib == "esx-base" else None
            content = body if body is not None else _generic_files(vib, stem)
            payload = tardisk_payload(
                payload_name,
                {p: b for p, (b, _m) in content.items()},
                modes={p: m for p, (_b, m) in content.items()},
                mtime=spec.released,
                kind=kind,
            )
        files[module] = payload.data
        per_vib.setdefault(vib, []).append((payload, module))
    vibs = []
    for name, parts in per_vib.items():
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
            fields.update(_DESCRIPTORS_67.get(name, {}))
        vibs.append(
            Vib(
                name=name,
                vendor=vendor,
                acceptance="VMwareCertified",
                payloads=tuple(p for p, _m in parts),
                files=tuple(sorted(paths)),
                modules=tuple((p.name, m) for p, m in parts),
                install_date=spec.install_date,
                **fields,
            )
        )
    return Image(spec, tuple(vibs), tuple(order), MappingProxyType(files))


def imgdb_tgz(vibs: tuple[Vib, ...], *, build: str, mtime: int) -> bytes:
    """imgdb.tgz: the image database (F31), a gzip'd tar of var/db/esximg/ with one descriptor per VIB."""
    entries: dict[str, str | bytes] = {}
    for vib in vibs:
        entries[f"/var/db/esximg/vibs/{vib.name}.xml"] = vib.descriptor_xml()
    profile = "".join(f"<vibID>{v.id}</vibID>" for v in vibs)
    entries["/var/db/esximg/profiles/ESXi-" + build] = (
        f"<imageprofile><name>ESXi-{build}</name>{profile}</imageprofile>\n"
    )
    return archive.build_tgz(tree_members(entries, mtime=mtime))


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


def install_state(image: Image, *, hostname: str, uuid: str, mtime: int) -> list[tuple[str, FileEntry]]:
    """What the installer leaves in the first local.tgz: esx.conf with the host's name and UUID, and the root
    password in /etc/shadow (a fresh install asks for it)."""
    base = _esx_base(image.spec)["s"]
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
