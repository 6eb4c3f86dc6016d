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
    Not quite. You answered no; the answer is yes.
    A backup saved the change into ...
    The step that decides it: 2. /sbin/auto-backup.sh: ...
    Why, step by step:
    ...

Feedback longer than 15 lines opens with its verdict on a line of its own, so it shows without scrolling. The step that
decides the answer comes first: the engine replays the set-up without each step in turn, and the
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

from .catalogue import _VIBS, KINDS, LAB_KINDS, LETTERS  # noqa: F401 (LETTERS and _VIBS: lessons and tests use them)
from .exercise import Exercise, Feedback
from .registry import generate
from .steps import Step

__all__ = ["KINDS", "LAB_KINDS", "Exercise", "Feedback", "Step", "generate"]
