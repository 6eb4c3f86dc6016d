"""Boot: what happens from power-on to a running host, and where the state a boot restores comes from.

safeboot picks a bank (F5-F8), mboot loads boot.cfg's modules in order (F2, F10), the tardisks are mounted read-only
in that order (F39), the ramdisks are made (F29), and state.tgz's local.tgz is unpacked over /etc with its `.#` twins
(F38, F25). A new image's first boot is confirmed at the end (DIRTY -> VALID, F6), and a confirmed 6.x -> 7.0 upgrade
re-lays the boot device (F45). A stateless host boots its image from the network instead (F41).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from . import archive, backup, bootdevice, boundary, configstore, image, statearchive
from .bootbank import BankState, BootBank, BootChoice, safeboot
from .bootcfg import is_vmkernel_module
from .clock import epoch
from .entry import DIR, FILE, FileEntry
from .errors import BootFailed, CorruptArchive, EsxiStateError, IsADirectory, NoSuchFile, UnsafeArchive
from .layers import Tardisk, norm
from .visorfs import VisorFS

if TYPE_CHECKING:
    from .host import Host, _Checkpoint

__all__ = ["from_bank", "power_on", "stateless", "version_of"]


def power_on(host: Host, *, rollback: bool, slow_boot_device: bool) -> None:
    """The boot of `host.boot()`: from a bank, or over the network when the host is stateless; with a slow boot
    device the bank links are made to /tmp afterwards (F47)."""
    if host.stateless:
        stateless(host)
    else:
        from_bank(host, rollback)
    if slow_boot_device:
        bootdevice.claim_late(host)


def from_bank(host: Host, rollback: bool) -> None:
    """Boot from the bank safeboot picks (Shift+R when `rollback`). A new image's first try that fails leaves the
    host off with that bank DIRTY (BootFailed); any other failure leaves it as it was."""
    choice = safeboot(host._banks, rollback=rollback)
    first_try = host._banks[choice.index].state is BankState.UPGRADING  # safeboot just wrote DIRTY (F6)
    if not first_try:
        _load_bank(host, choice)
        return
    checkpoint = host._checkpoint()
    try:
        _load_bank(host, choice)
    except Exception as err:
        _fail_first_try(host, checkpoint, choice, err)


def _fail_first_try(host: Host, checkpoint: _Checkpoint, choice: BootChoice, err: Exception) -> None:
    """The new image could not be loaded on its first try. Safeboot wrote bootstate=2 (DIRTY) before it loaded
    anything, and a failed load cannot take that back: the host stays off with the mark on disk, so the next boot
    turns DIRTY into INVALID and falls back to the other bank (F6)."""
    host._rollback(checkpoint, None)
    host._banks = list(choice.banks)
    bank = host._banks[choice.index]
    why_text = str(err) if isinstance(err, EsxiStateError) else f"{type(err).__name__}: {err}"
    why_text = boundary.printable(why_text).rstrip(".")
    try:
        nxt = safeboot(host._banks)
        fallback = nxt.banks[nxt.index].label if nxt.index != choice.index else None
    except EsxiStateError:
        fallback = None
    host._record(
        "boot-failed",
        f"the boot loader could not load {bank.label} on its first try ({why_text}); {bank.label} stays DIRTY, "
        "so the next boot marks it INVALID" + (f" and boots {fallback}" if fallback else ""),
        (),
        {"bank": bank.label, "fallback": fallback},
    )
    raise BootFailed(bank.label, why_text, fallback) from err


def _load_bank(host: Host, choice: BootChoice) -> None:
    """mboot reads the chosen bank's boot.cfg and modules, then the system starts from them."""
    bank = choice.banks[choice.index]
    config = bank.boot_config()  # mboot: BadBootConfig if it cannot boot from this boot.cfg (F2)
    missing = [m for m in [config.kernel, *config.modules] if m not in bank.files]
    if missing:
        raise NoSuchFile(f"/{bank.label.lower()}/{missing[0]}")
    tardisks = []
    for module in config.modules:
        if is_vmkernel_module(module):
            continue
        try:
            tardisks.append(Tardisk.from_bytes(module, bank.files[module], system=module != "state.tgz"))
        except UnsafeArchive as err:
            if err.archive or err.member is None:
                raise
            raise UnsafeArchive(err.member, err.why, f"module {module} on {bank.label}") from None
    host._banks = list(choice.banks)
    host._booted = choice.index
    host._version = version_of(bank.build)
    # F36: the first boot of a 7.0 U2+ image encrypts the configuration; a rollback to an older image reads and
    # writes the plain local.tgz its bank holds.
    host._secure = host._secure_asked or image.encrypts_config(host._version)
    host._record(
        "bootloader",
        _sentences(choice.messages),
        (),
        {
            "bank": bank.label,
            "rolled_back": choice.rolled_back,
            "messages": choice.messages,
            "transitions": choice.transitions,
        },
    )
    _start_system(host, config.kernel, list(config.modules), tardisks, bank)


def stateless(host: Host) -> None:
    """PXE boot from Auto Deploy (F41): the image comes over the network, with no boot bank and no state.tgz."""
    img = host._network_image
    assert img is not None
    config = img.boot_config(updated=1, bootstate=0, with_state=False)
    files = dict(img.files)
    files["imgdb.tgz"] = image.imgdb_tgz(img.vibs, build=img.spec.build, mtime=epoch(host._clock))
    tardisks = [Tardisk.from_bytes(m, files[m]) for m in config.modules if not is_vmkernel_module(m)]
    host._record(
        "bootloader",
        "PXE boot from Auto Deploy: the image comes over the network; there is no boot bank and no state.tgz (F41)",
        (),
        {"bank": None},
    )
    fake = BootBank.with_image("network", 0, config, files)
    _start_system(host, config.kernel, list(config.modules), tardisks, replace(fake, vibs=img.vibs))


def _start_system(host: Host, kernel: str, modules: list[str], tardisks: list[Tardisk], bank: BootBank) -> None:
    """The VMkernel modules load, the tardisks mount in order, the ramdisks are made, state.tgz is restored, and a
    new image's first boot is confirmed."""
    vmkernel = [kernel] + [m for m in modules if is_vmkernel_module(m)]
    fs = VisorFS()
    host._fs = fs
    host._vibs = bank.vibs
    host._reboot_required = False
    host._hostd_backups = []  # hostd starts afresh with the host
    host._record(
        "vmkernel",
        f"loaded {len(vmkernel)} VMkernel-side modules ({', '.join(vmkernel[:5])}, ...): they run in the "
        "kernel and are not files",
        (),
        {"modules": tuple(vmkernel)},
    )
    for td in tardisks:
        fs.mount(td)
    host._record(
        "tardisks",
        f"decompressed and mounted {len(tardisks)} tardisks read-only in boot.cfg order, {tardisks[0].name} "
        f"first and {tardisks[-1].name} last (a later tardisk hides an earlier one's copy of a path)",
        (),
        {"tardisks": tuple(t.name for t in tardisks)},
    )
    for spec in image.ramdisk_specs(host._version):
        fs.add_ramdisk(spec, now=epoch(host._clock))
    host._record(
        "ramdisks",
        "created ramdisks " + ", ".join(f"{r.name} ({r.mount})" for r in fs.ramdisks),
        (),
        {"ramdisks": tuple(r.name for r in fs.ramdisks)},
    )
    _restore_state(host, fs)
    if host._booted is not None:
        booted = host._banks[host._booted]
        if booted.state is BankState.DIRTY:
            host._banks[host._booted] = booted.with_config(booted.config.with_bootstate(0))
            host._record(
                "boot-complete",
                f"boot succeeded: {booted.label} confirmed (bootstate DIRTY -> VALID)",
                (),
                {"bank": booted.label},
            )
            _relayout(host, booted)
            return
    host._record("boot-complete", f"ESXi {host._version} is up", (), {})


def _relayout(host: Host, booted: BootBank) -> None:
    """F45 (KB 1033604): the 6.x -> 7.0 upgrade re-lays the boot device's partitions. Modelled when the 7.x image
    is confirmed: the other bank's 6.x image is gone (the bank is empty and remembers the build it held)."""
    assert host._booted is not None
    other = host._banks[1 - host._booted]
    if not (image.major(booted.build) >= 7 and 0 < image.major(other.build) < 7):
        return
    host._banks[1 - host._booted] = replace(BootBank.empty(other.label, other.partition), relaid_build=other.build)
    host._record(
        "relayout",
        f"the 6.x -> 7.0 upgrade re-laid the boot device's partitions: {other.label} no longer holds ESXi "
        f"{other.build}, so Shift+R can never go back to 6.x (KB 1033604)",
        (),
        {"bank": other.label, "removed_build": other.build},
    )


def _restore_state(host: Host, fs: VisorFS) -> None:
    """Unpack state.tgz's local.tgz (decrypting local.tgz.ve on 7.0 U2+, F36) over the image, each /etc file with its
    `.#` twin (F38, F25); a member that cannot be written is skipped, as tar goes on past it."""
    state_td = next((t for t in fs.tardisks if t.name == "state.tgz"), None)
    if state_td is None:
        host._record("restore", "no state.tgz among the modules: /etc is the image's own (nothing restored)")
        return
    try:
        if "/local.tgz.ve" in state_td.members:
            state_bytes = host._banks[host._booted].files["state.tgz"] if host._booted is not None else b""
            local_tgz = statearchive.decrypt_state_for_simulation(state_bytes, host._tpm_key)
            source = "local.tgz.ve (decrypted with the key sealed by the TPM)"
        else:
            local_tgz = state_td.members["/local.tgz"].data
            source = "local.tgz"
        members = archive.read_members(local_tgz, name="local.tgz")
    except (KeyError, CorruptArchive, UnsafeArchive) as err:
        host._record("restore", f"state.tgz could not be read ({err}); booting with the image's /etc")
        return
    restored = []
    skipped: list[str] = []
    for rel, entry in members.items():
        if entry.kind != FILE:
            continue
        path = "/" + rel
        try:
            boundary.check_path(path)
            below = fs.lookup(norm(path))
            if below is not None and below.kind == DIR:
                raise IsADirectory(norm(path))
            old = below.data if below is not None and below.kind == FILE else b""
            twin = old if rel.startswith("etc/") else None
            fs.restore(path, entry, twin_data=twin)
        except EsxiStateError as err:  # tar goes on past a member it cannot write, and so does the boot
            skipped.append(f"{boundary.printable(path)} ({err.errno_text or err})")
            continue
        restored.append(path)
    if host._version.startswith("7") and fs.exists(backup.CONFIGSTORE_BACKUP):
        store = fs.entry(backup.CONFIGSTORE_BACKUP)
        fs.restore(backup.CONFIGSTORE_RUNTIME, store, twin_data=None)
    elif host._version.startswith("7"):
        data = configstore.initial_store(hostname=host.hostname, mtime=epoch(host._clock))
        fs.restore(backup.CONFIGSTORE_RUNTIME, FileEntry(FILE, 0o644, data, 0, 0, epoch(host._clock)), twin_data=None)
    not_written = f"; {len(skipped)} could not be written: {', '.join(skipped[:5])}" if skipped else ""
    host._record(
        "restore",
        f"unpacked {source} from state.tgz: {len(restored)} files restored onto the ramdisks, each /etc file "
        f"with its .# twin so it stays persisted{not_written}",
        tuple(restored),
        {"files": tuple(restored), "encrypted": "local.tgz.ve" in source, "skipped": tuple(skipped)},
    )


def version_of(build: str) -> str:
    """The simulated version ("7.0") of a build number, or the build's first two fields for one we do not simulate."""
    for v, spec in image.VERSIONS.items():
        if spec.build == build:
            return v
    return build.split(".")[0] + "." + build.split(".")[1] if build.count(".") >= 1 else build


def _sentences(messages: Sequence[str]) -> str:
    """Loader messages on one line: "; " between fragments, a space after one that already ends a sentence."""
    out = ""
    for message in messages:
        out += ((" " if out.endswith(".") else "; ") + message) if out else message
    return out
