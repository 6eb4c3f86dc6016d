"""BootBank: a boot bank partition (boot.cfg plus module files), and how the boot loader picks one.

An installed ESXi host has two boot banks, BOOTBANK1 (partition 5) and BOOTBANK2 (partition 6), mounted as
/bootbank (the one that booted) and /altbootbank (the other, F37). "safeboot", the part of the boot loader that
picks a bank, reads only `build=`, `updated=` and `bootstate=` from each boot.cfg (F4): a bank is bootable when
bootstate is 0 (VALID) or 2 (DIRTY), updated > 0 and build is set (F5); every boot first moves UPGRADING to DIRTY
and DIRTY to INVALID (F6); then the bootable bank with the highest `updated=` wins (F7). Shift+R (rollback) marks
the default bank INVALID and boots the other (F8), except from 7.x back to 6.x, which the 6.x -> 7.0 upgrade made
impossible by re-laying the boot device's partitions (F45, KB 1033604): that is refused with RollbackNotPossible.

The words are esx-boot's own where its source has them (safeboot/bootbank.c: "BANK5: system has failed to
upgrade.", "Installed hypervisors:", "(Default)", "(Upgrading...)", "No alternate hypervisor to roll back to.");
the Shift+R question is the one KB 1033604 quotes (F45).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from types import MappingProxyType

from .bootcfg import BootConfig
from .errors import BadBootConfig, NoBootableBank, NoSuchFile, RollbackNotPossible
from .image import major
from .vib import Vib, VibIndex

__all__ = [
    "BankFiles",
    "BankState",
    "BootBank",
    "BootChoice",
    "Deferred",
    "choose_bank",
    "raw_files",
    "safeboot",
    "staged_is_newer",
]


class Deferred:
    """A file whose bytes are made when first read, then kept: imgdb.tgz describes every VIB of its bank (F31),
    so writing it costs in proportion to the whole VIB list however small the change. Whoever makes one checks
    beforehand what could fail, so reading it never raises. Reading gives the bytes an eager write would have."""

    __slots__ = ("_args", "_data", "_make")

    def __init__(self, make: Callable[..., bytes], *args: object) -> None:
        self._make: Callable[..., bytes] | None = make  # a module's function and its arguments: it pickles
        self._args = args
        self._data = b""

    def get(self) -> bytes:
        if self._make is not None:
            self._data, self._make, self._args = self._make(*self._args), None, ()
        return self._data


class BankFiles(Mapping):
    """A boot bank's files, name -> bytes, read-only like the `MappingProxyType` it replaces; a file may be
    `Deferred` and is made on first read. A changed copy (`BootBank.replace_files`) copies the table of names,
    never the bytes, and leaves a deferred file unread."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, bytes | Deferred]) -> None:
        self._raw = raw  # owned: nobody changes it after this

    def __getitem__(self, name: str) -> bytes:
        data = self._raw[name]
        return data.get() if data.__class__ is Deferred else data  # type: ignore[union-attr,return-value]

    def get(self, name: str, default=None):  # type: ignore[override]
        data = self._raw.get(name, default)
        return data.get() if data.__class__ is Deferred else data

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def keys(self):  # type: ignore[override]
        return self._raw.keys()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BankFiles) and other._raw is self._raw:
            return True
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # as a mappingproxy of a dict: not hashable

    def __repr__(self) -> str:
        return f"BankFiles({sorted(self._raw)})"


def raw_files(files: Mapping[str, bytes]) -> Mapping[str, bytes | Deferred]:
    """The table behind a bank's files, deferred files left unread (a plain mapping is its own table)."""
    return files._raw if isinstance(files, BankFiles) else files


class BankState(IntEnum):
    """The value of `bootstate=` (F5)."""

    VALID = 0
    UPGRADING = 1
    DIRTY = 2
    INVALID = 3


@dataclass(frozen=True, slots=True)
class BootBank:
    """One boot bank: its label, partition and files (`boot.cfg` among them, parsed as `config`)."""

    label: str  # "BOOTBANK1"
    partition: int  # 5 or 6
    files: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    config: BootConfig | None = field(default=None, repr=False)
    vibs: tuple[Vib, ...] = field(default=(), repr=False)  # what this bank's imgdb.tgz describes (F31)
    # the 6.x build this partition held before the 6.x -> 7.0 upgrade re-laid the boot device (F45); "" otherwise
    relaid_build: str = field(default="", repr=False)
    # `vib_index()`'s answer, kept with the bank (it describes `vibs`, and says so when they change)
    index: VibIndex | None = field(default=None, repr=False, compare=False)
    # what staging found of this bank's module list (esxistate.staging.layout), with the objects it read
    layout: tuple | None = field(default=None, repr=False, compare=False)

    @classmethod
    def empty(cls, label: str, partition: int) -> BootBank:
        return cls(label, partition, MappingProxyType({}), None)

    @classmethod
    def with_image(cls, label: str, partition: int, config: BootConfig, modules: Mapping[str, bytes]) -> BootBank:
        files = dict(raw_files(modules))
        files["boot.cfg"] = config.dumps().encode()
        return cls(label, partition, BankFiles(files), config)

    def vib_index(self) -> VibIndex:
        """The index of `vibs` (by name, by module file): kept with the bank, made here once when it has none."""
        index = VibIndex.of(self.vibs, self.index)
        if index is not self.index:
            object.__setattr__(self, "index", index)  # a cache of what `vibs` says, not a change of the bank
        return index

    def read(self, name: str) -> bytes:
        try:
            return self.files[name]
        except KeyError:
            raise NoSuchFile(f"/{self.label.lower()}/{name}") from None

    def replace_files(
        self, changes: Mapping[str, bytes | Deferred | None], *, config: BootConfig | None = None
    ) -> BootBank:
        """A copy with files written (bytes) or removed (None); `boot.cfg` keeps `config` in step: parsed from the
        new text, or `config` itself when the caller has it (its text is what is written)."""
        files = dict(raw_files(self.files))
        for name, data in changes.items():
            if data is None:
                files.pop(name, None)
            else:
                files[name] = data
        parsed = self.config
        if "boot.cfg" in changes:
            text = changes["boot.cfg"]
            if config is not None:
                parsed = config
            else:
                try:
                    parsed = BootConfig.parse(text.decode("utf-8", "replace")) if text is not None else None  # type: ignore[union-attr]
                except BadBootConfig:
                    parsed = None  # the bank holds text mboot will refuse; safeboot still reads its three keys
        return replace(self, files=BankFiles(files), config=parsed)

    def _safeboot_key(self, key: str) -> str | None:
        """What safeboot sees (F4): it reads build/updated/bootstate even when mboot would refuse the file."""
        if self.config is not None:
            return self.config.get(key)
        raw = self.files.get("boot.cfg")
        if raw is None:
            return None
        value = None
        for line in raw.decode("utf-8", "replace").splitlines():
            k, sep, v = line.strip().partition("=")
            if sep and k.strip().lower() == key:
                value = v.strip()
        return value

    def boot_config(self) -> BootConfig:
        """mboot's parse of boot.cfg: BadBootConfig when it cannot boot from it (F2)."""
        if self.config is not None:
            return self.config
        raw = self.files.get("boot.cfg")
        if raw is None:
            raise NoSuchFile(f"/{self.label.lower()}/boot.cfg")
        return BootConfig.parse(raw.decode("utf-8", "replace"))

    def with_config(self, config: BootConfig) -> BootBank:
        return self.replace_files({"boot.cfg": config.dumps().encode()}, config=config)

    @property
    def state(self) -> BankState | None:
        value = self._safeboot_key("bootstate")
        if value is None or "boot.cfg" not in self.files:
            return None
        try:
            return BankState(int(value or 0))
        except ValueError:
            return None  # missing or garbled: undefined, ignored by safeboot (F5)

    @property
    def updated(self) -> int:
        value = self._safeboot_key("updated")
        return int(value) if value and value.isascii() and value.isdigit() else 0

    @property
    def build(self) -> str:
        return self._safeboot_key("build") or ""

    @property
    def bootable(self) -> bool:
        """F5: bootstate VALID or DIRTY, updated > 0, build set."""
        return self.state in (BankState.VALID, BankState.DIRTY) and self.updated > 0 and bool(self.build)

    @property
    def has_state(self) -> bool:
        return "state.tgz" in self.files

    def __repr__(self) -> str:
        if self.config is None:
            if not self.files:
                return f"BootBank({self.label}, empty)"
            return f"BootBank({self.label}, {len(self.files)} files, no bootable boot.cfg)"
        state = self.state.name if self.state is not None else "UNDEFINED"
        return f"BootBank({self.label}, build={self.build!r}, updated={self.updated}, bootstate={state})"


@dataclass(frozen=True, slots=True)
class BootChoice:
    """What safeboot decided: the bank index to boot, the banks as rewritten, and what it printed/logged."""

    index: int
    banks: tuple[BootBank, ...]
    messages: tuple[str, ...]
    rolled_back: bool = False
    # each bootstate safeboot rewrote, as data: (bank label, before, after, why), `why` one of "first-boot"
    # (UPGRADING -> DIRTY), "never-confirmed" (DIRTY -> INVALID), "failed-upgrade" (a bank being upgraded with an
    # unusable updated= or build=), "rollback" (Shift+R gives up the default bank)
    transitions: tuple[tuple[str, BankState, BankState, str], ...] = ()


def _set_state(bank: BootBank, state: BankState) -> BootBank:
    if bank.config is not None:
        return bank.with_config(bank.config.with_bootstate(int(state)))
    raw = bank.files["boot.cfg"].decode("utf-8", "replace")  # rewrite the digit in place, as safeboot does (F6)
    lines = raw.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip().lower().startswith("bootstate"):
            lines[i] = line.replace(line.strip(), f"bootstate={int(state)}")
    return bank.replace_files({"boot.cfg": "".join(lines).encode()})


def staged_is_newer(alt: BootBank, boot: BootBank) -> bool:
    """Whether `alt` holds a staged image that the next boot takes over `boot`: a boot.cfg mboot can read, `updated=`
    higher than boot's and bootstate VALID (a live install) or UPGRADING (a reboot-only change or an upgrade), F20,
    F33. A new change then starts from that image, and the shutdown backup saves the configuration into it too."""
    return alt.config is not None and alt.updated > boot.updated and alt.state in (BankState.VALID, BankState.UPGRADING)


def safeboot(banks: Sequence[BootBank], *, rollback: bool = False) -> BootChoice:
    """Safeboot at power-on: F6 transitions on every bank, then F7 (highest updated wins, ties to the first
    scanned), then F8 when Shift+R was pressed. NoBootableBank when no bank can boot; RollbackNotPossible when
    Shift+R would go from 7.x back to 6.x (F45).

    As esx-boot's bank_scan (safeboot/bootbank.c) does: a DIRTY bank (tried once, never confirmed) quietly becomes
    INVALID; only a bank being upgraded (UPGRADING or DIRTY) whose updated= or build= is unusable makes safeboot log
    "BANKn: system has failed to upgrade." (n is the partition number). Simplified: real safeboot may briefly see a
    third bank and honours quickboot= (F9); here there are always exactly two banks and quickboot= is kept as an
    unknown key."""
    scanned: list[BootBank] = []
    upgrading: set[int] = set()
    messages: list[str] = []
    moves: list[tuple[str, BankState, BankState, str]] = []
    for i, bank in enumerate(banks):
        state = bank.state
        usable = bank.updated > 0 and bool(bank.build)
        if state in (BankState.UPGRADING, BankState.DIRTY):
            upgrading.add(i)
        if state in (BankState.UPGRADING, BankState.DIRTY) and not usable:
            bank = _set_state(bank, BankState.INVALID)
            bad = "invalid update counter." if bank.updated <= 0 else "invalid build number."
            messages.append(
                f"BANK{bank.partition}: {bad} BANK{bank.partition}: system has failed to upgrade. "
                f"({bank.label}: bootstate {state.name} -> INVALID)"
            )
            moves.append((bank.label, state, BankState.INVALID, "failed-upgrade"))
        elif state is BankState.UPGRADING:
            bank = _set_state(bank, BankState.DIRTY)
            messages.append(f"{bank.label}: first boot of the new image (bootstate UPGRADING -> DIRTY)")
            moves.append((bank.label, state, BankState.DIRTY, "first-boot"))
        elif state is BankState.DIRTY:
            bank = _set_state(bank, BankState.INVALID)
            messages.append(
                f"{bank.label}: its new image was tried at the last boot and never confirmed, so safeboot drops it "
                "(bootstate DIRTY -> INVALID)"
            )
            moves.append((bank.label, state, BankState.INVALID, "never-confirmed"))
        scanned.append(bank)
    eligible = [i for i, b in enumerate(scanned) if b.bootable]
    if not eligible:
        raise NoBootableBank("neither boot bank holds a bootable image (bootstate 0 or 2, updated > 0, build set)")
    default = max(eligible, key=lambda i: (scanned[i].updated, -i))
    rolled = False
    if rollback:
        others = [i for i in eligible if i != default]
        refusal = _rollback_refusal(scanned, default, others)
        if refusal is not None:
            raise refusal
        listed = ", ".join(
            f"BANK{scanned[i].partition}: {scanned[i].build}"
            + (" (Upgrading...)" if i in upgrading else " (Default)" if i == default else "")
            for i in eligible
        )
        messages.append(f"Shift+R: Installed hypervisors: {listed}")
        if not others:
            messages.append("No alternate hypervisor to roll back to.")
        else:
            other = others[0]
            messages.append(
                f"Current hypervisor will permanently be replaced with build: {scanned[other].build}. "
                "Are you sure? [y/n] y"
            )
            moves.append((scanned[default].label, scanned[default].state, BankState.INVALID, "rollback"))
            scanned[default] = _set_state(scanned[default], BankState.INVALID)
            messages.append(f"{scanned[default].label} is marked INVALID (bootstate=3) for good")
            default, rolled = other, True
    chosen = scanned[default]
    messages.append(f"Booting {chosen.label}: build {chosen.build}, updated={chosen.updated}")
    return BootChoice(default, tuple(scanned), tuple(messages), rolled, tuple(moves))


choose_bank = safeboot  # the earlier name, kept while callers move to safeboot


def _rollback_refusal(banks: Sequence[BootBank], default: int, others: Sequence[int]) -> RollbackNotPossible | None:
    """F45 (KB 1033604): from a 7.x default bank, Shift+R never reaches 6.x, whether the other bank still holds the
    6.x image (before the new one is confirmed) or the re-laid boot device no longer has it."""
    current = banks[default].build
    if major(current) < 7:
        return None
    for i in others:
        if 0 < major(banks[i].build) < 7:
            return RollbackNotPossible(current, banks[i].build)
    relaid = next((b.relaid_build for b in banks if b.relaid_build), "")
    if not others and relaid:
        return RollbackNotPossible(current, relaid)
    return None
