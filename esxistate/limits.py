"""How much the readers take from outside (archives, VIBs, files), and why each limit has its value.

Every limit follows what the input means, not how many bytes it has: a path is no longer than a file system can
hold, a configuration archive no larger than the ramdisks it was saved from, a tardisk no larger than a real one.
Input past a limit is refused with a typed error as soon as it is seen (a tar header's declared size is checked
before any of the member is inflated), so a few hundred bytes can never cost gigabytes or minutes.

Path limits are Linux's, from <linux/limits.h>: PATH_MAX 4096 bytes for a whole path with its terminating NUL, and
NAME_MAX 255 bytes for one name; POSIX tar's own fields hold less (100 + 155 bytes). We found no published limit of
VisorFS itself, so using Linux's values is the simulator's choice. The other numbers are the simulator's choices too,
each set well above anything a real host produces and said so below.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CONFIG_MAX_MEMBER",
    "CONFIG_MAX_TOTAL",
    "MAX_FILE",
    "MAX_ID",
    "MAX_MEMBER",
    "MAX_MEMBERS",
    "MAX_MTIME",
    "MAX_NAME_BYTES",
    "MAX_PAX",
    "MAX_TOTAL",
    "MAX_VIB",
    "MAX_VIB_MEMBERS",
    "NAME_MAX",
    "PATH_MAX",
    "TARDISK_MAX_MEMBER",
    "TARDISK_MAX_TOTAL",
    "NameBudgetExceeded",
    "mib",
    "new_parents",
    "path_problem",
]

MiB = 2**20

PATH_MAX = 4096  # <linux/limits.h>: a path's bytes, its terminating NUL included, so at most 4095 bytes of name
NAME_MAX = 255  # <linux/limits.h>: the bytes of one file name

# Archives read in general (`tar` in the shell, the defaults of archive.read_members): the /tmp ramdisk that such a
# file sits on holds 256 MiB (S3/S4); 64 MiB unpacked is more than any lab archive holds and keeps a refused bomb cheap.
MAX_MEMBER = 32 * MiB
MAX_TOTAL = 64 * MiB
MAX_MEMBERS = 200_000  # headers with data; a real tardisk holds a few thousand (s.v00 about 5,000)

# Boot modules: a tardisk is as large as its payload (vdf shows sb.v00 at 151M, S3), so these limits are larger.
TARDISK_MAX_MEMBER = 64 * MiB
TARDISK_MAX_TOTAL = 256 * MiB

# state.tgz, local.tgz, configBundle-*.tgz: the files they carry come from the etc ramdisk (28 MiB, S4) and one
# ConfigStore copy; a real state.tgz holds tens of KB. 32 MiB unpacked is far past any of them.
CONFIG_MAX_MEMBER = 16 * MiB
CONFIG_MAX_TOTAL = 32 * MiB

MAX_PAX = 64 * 1024  # a PAX header carries a path and a few numbers; 64 KiB is room for all of them many times
MAX_NAME_BYTES = 32 * MiB  # bytes of path names one archive may add to an index, implied parent directories included

MAX_MTIME = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last second a date (and `ls -l`) can show
MAX_ID = 2**32 - 1  # uid_t and gid_t are 32-bit

MAX_FILE = 64 * MiB  # the most StateArchive.open / ConfigBundle.open read from a disk (a state.tgz is KB)
MAX_VIB = 256 * MiB  # a .vib file: its payloads are tardisks, so as large as TARDISK_MAX_TOTAL
MAX_VIB_MEMBERS = 1_000  # ar members of a .vib: descriptor, signature and payloads (esx-base has a dozen)


def mib(n: int) -> str:
    """A limit in words: ``64 MiB`` (exact multiples) or the byte count."""
    return f"{n // MiB} MiB" if n % MiB == 0 else f"{n} bytes"


def path_problem(path: str) -> str | None:
    """Why `path` (absolute or relative) is longer than a file system can hold, or None when it is not."""
    size = len(path.encode("utf-8", "surrogatepass"))
    if size >= PATH_MAX:
        return f"its name is {size} bytes long; a path holds at most {PATH_MAX - 1} (PATH_MAX is {PATH_MAX})"
    if size > NAME_MAX:
        for part in path.split("/"):
            part_size = len(part.encode("utf-8", "surrogatepass"))
            if part_size > NAME_MAX:
                return f"one of its names is {part_size} bytes long; a file name holds at most {NAME_MAX} (NAME_MAX)"
    return None


class NameBudgetExceeded(Exception):
    """Raised by `new_parents` when the names would pass their budget; each caller turns it into its typed error."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def new_parents(paths: Iterable[str], known: set[str], *, budget: int = MAX_NAME_BYTES) -> list[str]:
    """The parent directories of `paths` not in `known`, each once, deepest first per path; `known` grows with them.

    A path's parents are made by walking up only until a known directory, so each directory is made once however
    many members lie below it. Their names still cost memory (a path n names deep has n parents, whose names add up
    to about n * n / 2 bytes), so the bytes of the paths and of the parents made are charged to `budget`;
    NameBudgetExceeded names the path that passed it. "" and "/" end the walk (relative and absolute roots).
    """
    spent = 0
    made: list[str] = []
    for path in paths:
        spent += len(path)
        cut = path.rfind("/")
        while cut > 0:
            parent = path[:cut]
            if parent in known:
                break
            known.add(parent)
            made.append(parent)
            spent += cut
            if spent > budget:
                raise NameBudgetExceeded(path)
            cut = path.rfind("/", 0, cut)
        if spent > budget:
            raise NameBudgetExceeded(path)
    return made
