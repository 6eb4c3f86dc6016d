"""PMap: an immutable mapping whose changed copies share almost everything with the original.

A ramdisk's files are kept in one, so that each `HostSnapshot` can hold the ramdisk as it was without copying every
file: changing one path copies only the few small nodes on the way to it (a hash array mapped trie, as Clojure's
and CPython's own `contextvars` use), so an event costs memory in proportion to what it changed, not to how many
files the ramdisk holds.

Iteration follows insertion order, as a `dict`'s does: setting a path that is already there keeps its place, and a
path removed then set again goes last. Lookups cost a few tuple indexes and one dict access.

>>> a = PMap().set("/etc/hosts", 1).set("/etc/motd", 2)
>>> b = a.set("/etc/hosts", 3).delete("/etc/motd")
>>> dict(a), dict(b)
({'/etc/hosts': 1, '/etc/motd': 2}, {'/etc/hosts': 3})
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["PMap"]

_BITS = 5
_WIDTH = 1 << _BITS
_MASK = _WIDTH - 1
_LEAF_MAX = 16  # a leaf (a small dict) splits into a branch past this many keys
_MAX_SHIFT = 64  # past 64 bits of hash two keys cannot be told apart: the leaf just grows
_EMPTY_BRANCH = (None,) * _WIDTH
_MISSING = object()

# A node is a leaf, dict key -> (sequence number, value), or a branch, a tuple of _WIDTH nodes (None when empty).


def _set(node: Any, key: Any, h: int, shift: int, item: tuple[int, Any]) -> tuple[Any, bool]:
    """(the node with key -> item, whether the key is new)."""
    if node.__class__ is dict:
        if key in node or len(node) < _LEAF_MAX or shift >= _MAX_SHIFT:
            new = dict(node)
            added = key not in node
            new[key] = item
            return new, added
        slots: list[Any] = [None] * _WIDTH  # split the full leaf into a branch of leaves one level down
        for k, it in node.items():
            i = (hash(k) >> shift) & _MASK
            leaf = slots[i]
            if leaf is None:
                slots[i] = {k: it}
            else:
                leaf[k] = it
        node = tuple(slots)
    i = (h >> shift) & _MASK
    child = node[i]
    if child is None:
        new_child, added = {key: item}, True
    else:
        new_child, added = _set(child, key, h, shift + _BITS, item)
    return (*node[:i], new_child, *node[i + 1 :]), added


def _delete(node: Any, key: Any, h: int, shift: int) -> Any:
    """The node without `key` (None when it ends empty); the caller has checked that `key` is there."""
    if node.__class__ is dict:
        new = dict(node)
        del new[key]
        return new or None
    i = (h >> shift) & _MASK
    child = _delete(node[i], key, h, shift + _BITS)
    new = (*node[:i], child, *node[i + 1 :])
    return None if new == _EMPTY_BRANCH else new


class PMap(Mapping):
    """An immutable mapping; `set` and `delete` return a new PMap that shares every untouched node with this one."""

    __slots__ = ("_len", "_next", "_root")

    def __init__(self, items: Mapping[Any, Any] | None = None) -> None:
        self._root: Any = None
        self._len = 0
        self._next = 0
        if items:
            built = PMap()
            for key, value in items.items():
                built = built.set(key, value)
            self._root, self._len, self._next = built._root, built._len, built._next

    def _find(self, key: Any) -> Any:
        node = self._root
        if node is None:
            return _MISSING
        h = hash(key)
        shift = 0
        while node.__class__ is tuple:
            node = node[(h >> shift) & _MASK]
            if node is None:
                return _MISSING
            shift += _BITS
        item = node.get(key)
        return _MISSING if item is None else item[1]

    def __getitem__(self, key: Any) -> Any:
        value = self._find(key)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        value = self._find(key)
        return default if value is _MISSING else value

    def __contains__(self, key: object) -> bool:
        return self._find(key) is not _MISSING

    def __len__(self) -> int:
        return self._len

    def _entries(self) -> list[tuple[int, Any, Any]]:
        """(sequence, key, value) of every entry, in insertion order."""
        out: list[tuple[int, Any, Any]] = []
        stack = [self._root] if self._root is not None else []
        while stack:
            node = stack.pop()
            if node.__class__ is dict:
                out.extend((seq, k, v) for k, (seq, v) in node.items())
            else:
                stack.extend(c for c in node if c is not None)
        out.sort(key=lambda e: e[0])
        return out

    def __iter__(self) -> Iterator[Any]:
        return iter([k for _s, k, _v in self._entries()])

    def items(self) -> Any:
        return [(k, v) for _s, k, v in self._entries()]

    def values(self) -> Any:
        return [v for _s, _k, v in self._entries()]

    def set(self, key: Any, value: Any) -> PMap:
        """A new PMap with key -> value (an existing key keeps its place in the order)."""
        h = hash(key)
        old = self._seq(key, h)
        seq = self._next if old is None else old
        if self._root is None:
            root, added = {key: (seq, value)}, True
        else:
            root, added = _set(self._root, key, h, 0, (seq, value))
        return self._make(root, self._len + added, self._next + added)

    def delete(self, key: Any) -> PMap:
        """A new PMap without `key`; the same PMap when `key` is not there."""
        if key not in self:
            return self
        return self._make(_delete(self._root, key, hash(key), 0), self._len - 1, self._next)

    def _seq(self, key: Any, h: int) -> int | None:
        node = self._root
        shift = 0
        while node is not None and node.__class__ is tuple:
            node = node[(h >> shift) & _MASK]
            shift += _BITS
        item = node.get(key) if node is not None else None
        return None if item is None else item[0]

    @classmethod
    def _make(cls, root: Any, length: int, nxt: int) -> PMap:
        new = cls.__new__(cls)
        new._root, new._len, new._next = root, length, nxt
        return new

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PMap) and other._root is self._root:
            return True
        if not isinstance(other, Mapping) or len(other) != self._len:
            return False
        return all(other.get(k, _MISSING) == v for k, v in self.items())

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # the trie is laid out by hash(), which differs from one Python process to the next: pickle the items
        return (PMap, (dict(self.items()),))

    def __repr__(self) -> str:
        return f"PMap({dict(self.items())!r})"
