"""The boot banks a sequence of VIB changes leaves, byte for byte: every file of both banks (imgdb.tgz and boot.cfg
among them), the results, the refusals and the history's summaries after each of 30 VIB changes and the reboots,
upgrades and power cuts between them, compared with a recording (tests/data/staging_sequence.json).

The recording was made from the engine as it wrote each bank from scratch (every module list, every imgdb.tgz
descriptor, every bank file copied per change); the engine now keeps indexes and writes only what a change touches.
Both must write the same bytes: what a student sees on the banks (`tar tzvf /bootbank/imgdb.tgz`, `cat boot.cfg`)
does not depend on how the engine gets there. The facts behind each step (F5, F11, F15, F20, F30, F31, F33, F49)
are checked by test_host, test_vib and test_fault_injection; this test only says nothing moved.

Run this file as a script to write the recording again (only when the banks are meant to change):
`PYTHONPATH=$PWD python3 tests/test_staging_bytes.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import esxistate as es

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "staging_sequence.json")


def _banks(host: es.Host) -> dict[str, dict[str, str]]:
    """Every file of both banks as its sha-256, boot.cfg as its text."""
    out = {}
    for bank in host.banks:
        listing = {}
        for name in sorted(bank.files):
            data = bank.files[name]
            listing[name] = data.decode() if name == "boot.cfg" else hashlib.sha256(data).hexdigest()
        out[bank.label] = listing
    return out


def _vib(name: str, version: str = "1.0", path: str | None = None, **kw) -> es.Vib:
    return es.Vib.build(name, version, {path or f"/opt/{name}/README": f"{name} {version}\n"}, **kw)


def _steps(h: es.Host):
    """(what, action) pairs: 30 VIB installs and removals, live and not, with what happens around them."""
    yield "boot", lambda: h.boot()
    for i in range(6):  # one 8.3 stem for all six: lab_pre_.v00 .. v05 (F11)
        yield f"install lab-pre-{i}", lambda i=i: h.install_vib(_vib(f"lab-pre-{i}"))
    yield "install overlay motd", lambda: h.install_vib(_vib("lab-motd", path="/etc/motd", overlay=True))
    yield "conflict on /opt/lab-pre-1/README", lambda: h.install_vib(_vib("clash", path="/opt/lab-pre-1/README"))
    yield "second overlay of /etc/motd", lambda: h.install_vib(_vib("lab-motd2", path="/etc/motd", overlay=True))
    yield "edit /etc/hosts", lambda: h.fs.write("/etc/hosts", "10.0.0.9 edited\n", append=True)
    yield "install lab-pre-2 2.0 (a new version)", lambda: h.install_vib(_vib("lab-pre-2", "2.0"))
    yield "install lab-pre-2 2.0 again", lambda: h.install_vib(_vib("lab-pre-2", "2.0"))
    yield "advance an hour (cron backup into the altbootbank)", lambda: h.advance(hours=1)
    yield "remove lab-pre-0 live", lambda: h.remove_vib("lab-pre-0")
    yield "remove esx-base", lambda: h.remove_vib("esx-base")
    yield "reboot", lambda: h.reboot()
    for i in range(3):
        yield f"install drv-{i} not live", lambda i=i: h.install_vib(_vib(f"drv-{i}", live_install=False), live=False)
    yield "live install while staged", lambda: h.install_vib(_vib("lab-late"))
    yield "remove lab-pre-3 not live", lambda: h.remove_vib("lab-pre-3", live=False)
    yield "reboot", lambda: h.reboot()
    yield "install lab-x cut after write_imgdb", lambda: h.install_vib(_vib("lab-x"), power_loss_after="write_imgdb")
    yield "boot", lambda: h.boot()
    yield (
        "install lab-x cut after backup_altbootbank",
        lambda: h.install_vib(_vib("lab-x"), power_loss_after="backup_altbootbank"),
    )
    yield "boot", lambda: h.boot()
    yield "install lab-x", lambda: h.install_vib(_vib("lab-x"))
    yield "install lab-y cut after mount", lambda: h.install_vib(_vib("lab-y"), power_loss_after="mount_tardisk")
    yield "boot", lambda: h.boot()
    for i in range(4):
        yield f"install lab-more-{i}", lambda i=i: h.install_vib(_vib(f"lab-more-{i}"))
    yield "remove lab-motd live", lambda: h.remove_vib("lab-motd")
    yield "upgrade to 7.0U3", lambda: h.upgrade("7.0U3")
    yield (
        "install reboot-only drv-9 on the staged upgrade",
        lambda: h.install_vib(_vib("drv-9", live_install=False), live=False),
    )
    yield "reboot into 7.0U3", lambda: h.reboot()
    for i in range(4):
        yield f"install u3-lab-{i}", lambda i=i: h.install_vib(_vib(f"u3-lab-{i}"))
    yield "install u3-lab-1 1.1 not live", lambda: h.install_vib(_vib("u3-lab-1", "1.1"), live=False)
    yield "remove u3-lab-0 not live", lambda: h.remove_vib("u3-lab-0", live=False)
    yield "reboot", lambda: h.reboot()
    yield "Shift+R", lambda: h.reboot(rollback=True)


def _steps_67(h: es.Host):
    """6.7: no base image, so removing a core VIB fails the dependency check (F48)."""
    yield "boot", lambda: h.boot()
    yield "install lab-67", lambda: h.install_vib(_vib("lab-67"))
    yield "remove esx-ui", lambda: h.remove_vib("esx-ui")
    yield "remove esx-base", lambda: h.remove_vib("esx-base")
    yield "install lab-67 2.0 not live", lambda: h.install_vib(_vib("lab-67", "2.0"), live=False)
    yield "reboot", lambda: h.reboot()


def record() -> dict:
    """What each step returned or refused, the banks after it (as one digest) and the history's summaries, for a
    7.0 host and a 6.7 host; the last banks of each listed file by file."""
    out: dict = {}
    for version, steps in (("7.0", _steps), ("6.7", _steps_67)):
        h = es.Host.demo(version)
        rows = []
        for what, action in steps(h):
            try:
                result = action()
                said = str(result) if isinstance(result, (es.VibResult, str)) else type(result).__name__
            except es.errors.EsxiStateError as err:
                said = f"{type(err).__name__}: {err}"
            banks = _banks(h)
            digest = hashlib.sha256(json.dumps(banks, sort_keys=True).encode()).hexdigest()
            vibs = hashlib.sha256(" ".join(v.id for v in h.vibs).encode()).hexdigest()
            rows.append({"step": what, "said": said, "banks": digest, "vibs": vibs})
        out[version] = {
            "steps": rows,
            "history": [f"{e.kind}: {e.summary}" for e in h.history],
            "banks": _banks(h),
            "vibs": [v.id for v in h.vibs],
        }
    return out


def test_a_sequence_of_vib_changes_writes_the_recorded_banks():
    with open(DATA, encoding="utf-8") as f:
        expected = json.load(f)
    got = record()
    for version in expected:
        want, have = expected[version], got[version]
        for i, (a, b) in enumerate(zip(want["steps"], have["steps"], strict=True)):
            assert b == a, f"{version}, step {i} ({a['step']}) differs"
        assert have["history"] == want["history"]
        assert have["banks"] == want["banks"]
        assert have["vibs"] == want["vibs"]


if __name__ == "__main__":
    with open(DATA, "w", encoding="utf-8") as f:
        json.dump(record(), f, indent=1, sort_keys=True)
        f.write("\n")
    sys.exit(0)
