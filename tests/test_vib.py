"""Vib: a package whose payload is a real tardisk archive (F10, F11, F30, F31)."""

from __future__ import annotations

import io
import tarfile

import pytest

import esxistate as es
from esxistate.image import demo_image


def test_vib_payload_is_a_real_gzipped_tar_tardisk():
    vib = es.Vib.build(
        "lab-tool",
        "1.0-1",
        {"/opt/lab/tool.sh": "echo hi\n", "/etc/lab.conf": b"x=1\n"},
        modes={"/etc/lab.conf": 0o1644},
    )
    (payload,) = vib.payloads
    assert payload.kind == "vgz" and payload.is_tardisk
    with tarfile.open(fileobj=io.BytesIO(payload.data), mode="r:gz") as tar:
        assert tar.extractfile("opt/lab/tool.sh").read() == b"echo hi\n"
        assert tar.getmember("etc/lab.conf").mode == 0o1644
        assert tar.getmember("opt/lab").isdir()
    assert vib.files == ("/etc/lab.conf", "/opt/lab/tool.sh")


def test_vib_id_and_flags():
    vib = es.Vib.build(
        "net-lab", "2.0", {"/opt/x": "x"}, vendor="LAB", acceptance="PartnerSupported", overlay=True, live_install=False
    )
    assert vib.id == "LAB_bootbank_net-lab_2.0"
    assert vib.overlay and not vib.live_install and not vib.live_remove and vib.maintenance_mode


def test_vib_build_rejects_unknown_acceptance_level():
    with pytest.raises(es.errors.InvalidValue, match="VMwareCertified, VMwareAccepted"):
        es.Vib.build("x", "1", {"/opt/x": "x"}, acceptance="Trusted")


def test_descriptor_names_files_and_payloads():
    xml = es.Vib.build("lab-tool", "1.0", {"/opt/lab/a&b": "x"}).descriptor_xml()
    assert "<name>lab-tool</name>" in xml and "<file>opt/lab/a&amp;b</file>" in xml
    assert '<payload name="lab-tool" type="vgz"' in xml and "<live-install-allowed>true" in xml


@pytest.mark.parametrize("version", ["6.7", "7.0"])
def test_demo_image_module_names_follow_the_83_rule(version):
    img = demo_image(version)
    for vib in img.vibs:
        for payload_name, module in vib.modules:
            payload = next(p for p in vib.payloads if p.name == payload_name)
            if payload.vfat_name:
                assert module == payload.vfat_name
            else:
                stem, ext = module.rsplit(".", 1)
                assert stem == payload_name[:8].replace("-", "_")
                assert ext[0] == {"boot": "b", "vgz": "v", "tgz": "t"}[payload.kind]


def test_esx_base_has_four_tardisks_and_boot_payloads():
    base = next(v for v in demo_image("6.7").vibs if v.name == "esx-base")
    tardisks = {p.name for p in base.tardisk_payloads}
    assert {"s", "sb", "vim", "vmx"} <= tardisks  # F10
    assert {"k", "b", "procfs"} <= {p.name for p in base.payloads if p.kind == "boot"}
    assert base.base and "/etc/vmware/esx.conf" in base.files


def test_a_101st_payload_with_the_same_first_8_characters_is_refused_with_a_typed_error():
    """F11: a module file is the payload name cut to 8 characters with a two-digit number raised on collision, so
    100 names exist per prefix; the 101st install is refused and leaves the host as it was."""
    h = es.Host.demo("7.0")
    h.boot()
    for i in range(100):
        h.install_vib(es.Vib.build(f"lab-pre-{i}", "1.0", {f"/opt/p{i}/R": "x"}))
    before = h.snapshot()
    with pytest.raises(es.errors.VibError, match=r"lab_pre_\.v00 to lab_pre_\.v99"):
        h.install_vib(es.Vib.build("lab-pre-100", "1.0", {"/opt/p100/R": "x"}))
    assert h.snapshot() == before


def test_a_payload_has_a_module_file_only_once_its_vib_is_installed():
    """F11: the boot bank file name (8.3, `.v00` counting up) is chosen at install time; asking a VIB that has not
    been placed, or for a payload it does not ship, is a typed refusal, not a bare KeyError."""
    vib = es.Vib.build("lab-tool", "1.0", {"/opt/lab/tool.sh": "echo hi\n"})
    with pytest.raises(es.errors.UnplacedPayload, match="no boot bank file for payload 'lab-tool'") as info:
        vib.module_of("lab-tool")
    assert isinstance(info.value, es.errors.VibError) and isinstance(info.value, KeyError)
    placed = vib.with_modules({"lab_tool.v00"}, "2026-01-12")
    assert placed.module_of("lab-tool") == "lab_tool.v01"
    with pytest.raises(es.errors.UnplacedPayload):
        placed.module_of("esx-base")
