"""The bad-input corpus in tests/data/bad/ (see cases.json for what each file tries): every file gets its typed
error with a clear message, or is accepted as real ESXi accepts it, and a host that meets it stays unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import esxistate as es
from esxistate import archive, errors

BAD = Path(__file__).parent / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text())


def booted() -> es.Host:
    h = es.Host.demo("7.0")
    h.boot()
    return h


def test_every_corpus_file_has_a_case_and_every_case_a_file():
    files = {p.name for p in BAD.iterdir() if p.name not in ("cases.json", "make.py", "__pycache__")}
    assert files == {name for name, case in CASES.items() if not case.get("generated")}  # large ones: built in tests


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["reader"] == "archive"))
def test_bad_archives_raise_their_typed_error_and_the_shell_reports_it(name):
    case = CASES[name]
    data = (BAD / name).read_bytes()
    expected = getattr(errors, case["expect"])
    with pytest.raises(expected) as err:
        archive.read_members(data, name=name)
    assert name in str(err.value) or getattr(err.value, "member", "") in str(err.value)
    assert "Traceback" not in str(err.value)
    host = booted()
    host.fs.write(f"/tmp/{name}", data)
    before = host.snapshot()
    out = host.shell(f"tar tzvf /tmp/{name}")
    assert out.startswith("tar: ") and "Traceback" not in out
    assert host.snapshot() == before
    with pytest.raises((errors.CorruptArchive, errors.UnsafeArchive)):
        es.StateArchive.from_bytes(data)


def test_a_state_tgz_with_extra_members_is_refused():
    with pytest.raises(errors.CorruptArchive, match=r"must hold local\.tgz"):
        es.StateArchive.from_bytes((BAD / "state-two-members.tgz").read_bytes())


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["reader"] == "bootcfg"))
def test_boot_cfg_corpus(name):
    text = (BAD / name).read_bytes().decode()
    if CASES[name]["expect"] == "ok":
        cfg = es.BootConfig.parse(text)
        assert cfg.dumps() == text and cfg.kernel == "b.b00"
        return
    with pytest.raises(errors.BadBootConfig) as err:
        es.BootConfig.parse(text)
    assert str(err.value).startswith("boot.cfg")


@pytest.mark.parametrize("name", ["boot-no-kernel.cfg", "boot-bad-updated.cfg", "boot-huge-line.cfg"])
def test_a_host_whose_bank_holds_a_bad_boot_cfg_does_not_boot_and_is_unchanged(name):
    h = es.Host.demo("7.0")
    h._banks[0] = h._banks[0].replace_files({"boot.cfg": (BAD / name).read_bytes()})
    before = h.snapshot()
    with pytest.raises((errors.BadBootConfig, errors.NoBootableBank)):
        h.boot()
    assert h.snapshot() == before and not h.powered_on


def test_colliding_vib_payloads():
    h = booted()
    a = es.Vib.from_bytes((BAD / "vib-collide-a.vib").read_bytes())
    b = es.Vib.from_bytes((BAD / "vib-collide-b.vib").read_bytes())
    h.install_vib(a)
    before = h.snapshot()
    with pytest.raises(errors.VibConflict) as err:
        h.install_vib(b)
    assert "/opt/lab/shared.conf" in str(err.value) and "lab-a" in str(err.value)
    assert h.snapshot() == before
    h.fs.write("/tmp/b.vib", (BAD / "vib-collide-b.vib").read_bytes())
    assert h.shell("esxcli software vib install -v /tmp/b.vib").startswith(" [FileConflictError]")
