"""The answer forms `check` accepts, one parser per kind of answer (always case-insensitive)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import image
from ..layers import norm
from .catalogue import CONFIGSTORE_MEMBER, LETTERS
from .exercise import Exercise, _Unreadable

_YES = {"yes", "y", "true", "fits", "it fits", "kept", "survives", "still there", "1"}


_NO = {"no", "n", "false", "lost", "gone", "does not fit", "doesn't fit", "0"}


def _parse_yes_no(ex: Exercise, answer: object) -> str:
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, str):
        word = re.sub(r"[\s.!]+$", "", answer.strip().lower())
        if word in _YES:
            return "yes"
        if word in _NO:
            return "no"
    raise _Unreadable(f"Answer yes or no (or True/False); {answer!r} is neither.")


def _parse_layer(ex: Exercise, answer: object) -> str:
    if answer is None:
        return "none"
    if not isinstance(answer, str) or not answer.strip():
        raise _Unreadable("Name one layer: a tardisk module such as s.v00, a ramdisk such as etc, or none.")
    text = answer.strip().lower()
    text = re.sub(r"^(the\s+)?", "", text)
    text = re.sub(r"\s+(ramdisk|tardisk|layer)$", "", text)
    text = re.sub(r"^(ramdisk|tardisk)\s+", "", text)
    text = text.removeprefix("/tardisks/")
    if text in ("none", "nothing", "no layer", "no file", "-", "missing", "gone"):
        return "none"
    if text.startswith("/"):  # a mount point: /etc -> etc, /var/run/iofilters -> iofilters
        mounts = {spec.mount: spec.name for spec in image.ramdisk_specs(ex.version)}
        return mounts.get(text.rstrip("/") or "/", text)
    return text


def _parse_names(ex: Exercise, answer: object) -> frozenset[str]:
    if isinstance(answer, str):
        items: Iterable[object] = (
            [] if answer.strip().lower() in ("none", "nothing", "") else re.split(r"[\s,;]+", answer)
        )
    elif isinstance(answer, Iterable):
        items = answer
    else:
        raise _Unreadable("Give the file names as a set or list, or as one string separated by commas.")
    names = set()
    for item in items:
        if not isinstance(item, str):
            raise _Unreadable(f"{item!r} is not a file name; give names like etc/hosts.")
        name = item.strip().strip("'\"").lstrip("/")
        if name and name != CONFIGSTORE_MEMBER:  # the 7.0 ConfigStore member is allowed, not required (F35)
            names.add(name)
    return frozenset(names)


def _parse_bank(ex: Exercise | None, answer: object) -> tuple[str | None, str | None]:
    if isinstance(answer, tuple) and all(isinstance(x, str) for x in answer):
        answer = " ".join(answer)
    if not isinstance(answer, str):
        raise _Unreadable("Answer with BOOTBANK1 or BOOTBANK2 and/or the version, 6.7, 7.0 or 7.0U3.")
    text = answer.lower()
    labels = {f"BOOTBANK{n}" for n in re.findall(r"(?<!alt)(?:boot\s*)?bank\s*([12])\b", text)}
    versions = set()
    for v, spec in image.VERSIONS.items():
        number = spec.build.rsplit(".", 1)[-1]
        if re.search(rf"(?<![\d.]){re.escape(v.lower())}(?![\du]|\.\d)", text) or number in text:
            versions.add(v)
    if len(labels) > 1 or len(versions) > 1:
        raise _Unreadable("Name one bank and one version, not both of each.")
    if not labels and not versions:
        raise _Unreadable(
            f"Answer with BOOTBANK1 or BOOTBANK2 and/or 6.7, 7.0 or 7.0U3; I found neither in {answer!r}."
        )
    return (next(iter(labels), None), next(iter(versions), None))


def _parse_letter(ex: Exercise, answer: object) -> str:
    if isinstance(answer, tuple) and answer in ex.choices:
        return LETTERS[ex.choices.index(answer)]
    if not isinstance(answer, str):
        raise _Unreadable(f"Answer with a letter, {', '.join(LETTERS[: len(ex.options)])}, or the option's text.")
    text = answer.strip()
    m = re.fullmatch(r"(?i)(?:option\s*)?\(?([a-d])\)?[.):]?", text)
    if m and LETTERS.index(m.group(1).upper()) < len(ex.options):
        return m.group(1).upper()
    squeeze = " ".join(text.lower().split())
    for letter, option in zip(LETTERS, ex.options, strict=False):
        if squeeze == " ".join(option.lower().split()):
            return letter
    raise _Unreadable(f"Answer with a letter, {', '.join(LETTERS[: len(ex.options)])}, or the option's text.")


def _parse_path(ex: Exercise, answer: object) -> str:
    if not isinstance(answer, str) or not answer.strip().strip("'\"").startswith("/"):
        raise _Unreadable("Answer with a full path that starts with /, such as /etc/hosts.")
    return norm(answer.strip().strip("'\""))


def _parse_hostname(ex: Exercise, answer: object) -> str:
    if not isinstance(answer, str) or not re.fullmatch(r"[A-Za-z0-9.-]+", answer.strip()):
        raise _Unreadable("Answer with a host name, such as esxi.")
    return answer.strip().lower()


def _show_names(given: object) -> str:
    assert isinstance(given, frozenset)
    return ", ".join(sorted(given)) or "nothing"


def _same_bank(given: object, answer: object) -> bool:
    assert isinstance(given, tuple) and isinstance(answer, str)
    label, version = given
    true_label, true_version = _parse_bank(None, answer)
    return (label is None or label == true_label) and (version is None or version == true_version)


def _show_bank(given: object) -> str:
    assert isinstance(given, tuple)
    return ", ".join(x for x in given if x is not None)
