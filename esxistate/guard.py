"""The boundary of every public host operation: it succeeds, or raises a typed error and leaves the host as it was.

`operation` wraps a call that changes the host in the host's all-or-nothing guard (`Host._atomic`); `query` wraps a
call that only reads. Either way an unexpected exception surfaces as `InternalError`, never as a raw one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import EsxiStateError, InternalError

__all__ = ["operation", "query"]

_F = TypeVar("_F", bound=Callable[..., Any])


def operation(what: str) -> Callable[[_F], _F]:
    """The boundary of a public operation that changes the host: it runs inside the host's all-or-nothing guard
    (Host._atomic), so it succeeds, or raises a typed error with the host as it was (InternalError for a bug). The
    method belongs to a Host or to an object that keeps its host as `_host` (HostFS)."""

    def wrap(method: _F) -> _F:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            host = getattr(self, "_host", self)
            with host._atomic(what):
                return method(self, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return wrap


def query(what: str) -> Callable[[_F], _F]:
    """The boundary of a public operation that only reads: no checkpoint is needed, but an unexpected exception
    still surfaces as InternalError, never as a raw one."""

    def wrap(method: _F) -> _F:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except EsxiStateError:
                raise
            except Exception as err:
                raise InternalError(what, err) from err

        return guarded  # type: ignore[return-value]

    return wrap
