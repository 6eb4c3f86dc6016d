"""The worked solution's story: one numbered paragraph per step, from the engine's own events and snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .. import bootdevice, persistence
from ..bootbank import BankState, BootBank
from ..errors import RamdiskFull
from ..events import Event
from ..layers import twin_of
from .play import _Played


def _rel(paths: Iterable[str]) -> str:
    names = [p.lstrip("/") for p in paths]
    return ", ".join(names) if names else "nothing"


def _fate_of_write(event: Event, path: str, created: bool) -> str:
    """Why a written file will or will not be saved by backups (F16, F25, F26): `persistence.reason` decides."""
    why = persistence.reason(event.snapshot, path, twin_made=event.details.get("twin"), created=created)
    twin = twin_of(path)
    if why == persistence.OUTSIDE_ETC:
        return f"{path} is outside /etc, and backup.sh never saves anything outside /etc (F16)"
    if why == persistence.TWIN_MADE:
        return f"{path} has the sticky bit, so VisorFS kept the original as {twin}: backups now save it (F25, F16)"
    if why == persistence.TWIN:
        return f"its twin {twin} already exists, so backups save {path} (F16, F25)"
    if why == persistence.CREATED:
        return f"a file you create has no .# twin, so no backup ever saves {path} (F16, F25)"
    return f"{path} has no sticky bit, so it gets no .# twin and no backup ever saves it (F16, F26)"


def _boot_messages(messages: Sequence[str], before: Sequence[BootBank]) -> str:
    """The boot loader's lines, each with the facts behind it, told apart by the banks as they were before the boot
    (`before`), not by their words: safeboot's scan writes one line per bank that was UPGRADING or DIRTY, in bank
    order (F6); Shift+R's lines follow (F8), the third of three being its "replaced with build" prompt (F45); the
    last line names the bank booted (F5, F7)."""
    scanned = sum(1 for bank in before if bank.state in (BankState.UPGRADING, BankState.DIRTY))
    shift_r = messages[scanned:-1]
    said = [f"{m} (F6)" for m in messages[:scanned]]
    said += [f"{m} (F45)" if (i, len(shift_r)) == (1, 3) else f"{m} (F8)" for i, m in enumerate(shift_r)]
    said.append(f"{messages[-1]}: the bootable bank with the highest updated= wins (F5, F7)")
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
    before = played.boot[-1].snapshot  # the host as it was before the event being told
    for n, (step, events, error) in enumerate(played.trace, 1):
        said: list[str] = []
        previous, before = before, events[-1].snapshot if events else before
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
                created = kind == "write" and e.details["change"].created
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
                if persistence.twin_left(e.snapshot, p):
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
                runs = tuple(zip(e.details.get("cron_times", ()), e.details.get("cron_outcomes", ()), strict=True))
                idle = [f"{at:%H:%M}" for at, outcome in runs if outcome == "nothing to save"]
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
                    said.append(_boot_messages(messages, previous.banks))
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
                trigger = e.details["trigger"]
                script = "/bin/backup.sh 1" if trigger == "shutdown" else "/sbin/auto-backup.sh"
                said.append(f"{script} ({trigger}) raised ALERT: {bootdevice.ALERT} and saved nothing (F47)")
            elif kind == "boot-device-lost":
                said.append("the boot device stopped answering: /bootbank leads nowhere now (F47)")
            elif kind == "bootbanks-restored":
                said.append(
                    "/bootbank and /altbootbank point to the boot bank volumes again, so backups reach the "
                    "boot device (F47)"
                )
            elif kind == "boot-complete" and e.details.get("bank"):  # only a confirmed first boot names its bank
                said.append("the new image came up, so its bank is confirmed (bootstate DIRTY -> VALID, F5, F6)")
            elif kind == "relayout":
                said.append(
                    f"the 6.x -> 7.0 upgrade re-laid the boot device's partitions: {e.details['bank']} no longer holds "
                    f"ESXi {e.details['removed_build']}, so Shift+R can never go back to 6.x (F45)"
                )
            previous = e.snapshot
        text = "; ".join(said) if said else "nothing that matters here changed"
        out.append(f"{n}. {step.command()}: {text}" + ("" if text.endswith(".") else "."))
    return out
