"""The catalogue of demo ESXi images: which versions exist (6.7 GA, 7.0b, 7.0 Update 3g), their builds, boot
options and module lists, which VIB each module belongs to, and how versions compare.

Module lists and their order are those of the installed hosts in ESXI-FACTS.md samples S1 and S2 (every module kept,
none trimmed); 7.0 U3g's list is its installer ISO's, trimmed the way S2 trims 7.0b's (see `_S3G`). `VERSIONS` is
keyed by the names a student types ("6.7", "7.0", "7.0U3"); `version_key` orders them (F45: an update within 7.0 and
the major upgrade from 6.x are different things). 8.0 is not simulated: we found its module list (a public PXE
how-to quotes 8.0 U2's installer boot.cfg) but no source for its ramdisk set. esxistate.image builds the images.

>>> sorted(VERSIONS, key=version_key), major("7.0.3-0.55.20328353"), newer_than("7.0")
(['6.7', '7.0', '7.0U3'], 7, ('7.0U3',))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UnsupportedVersion

__all__ = [
    "BASE_VIBS",
    "DESCRIPTORS_67",
    "VERSIONS",
    "VIB_OF_MODULE",
    "ImageSpec",
    "encrypts_config",
    "major",
    "newer_than",
    "version_key",
]


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


VIB_OF_MODULE = {
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
        raise UnsupportedVersion(version, tuple(VERSIONS))
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
DESCRIPTORS_67: dict[str, dict] = {
    "esx-ui": {
        "version": "1.25.0-7872652",
        "summary": "VMware Host Client",
        "live_install": True,
        "live_remove": True,
        "maintenance_mode": False,
        "base": False,
    }
}
