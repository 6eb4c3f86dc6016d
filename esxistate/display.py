"""How the engine's values show themselves in a notebook, written once.

A class that mixes in ``DrawsItself`` and names its hook (``_bundle = "host_bundle"``) is shown by that function of
``esxistate.render.graph``. The renderer is imported only when Jupyter asks for a picture, so the engine itself never
imports ipywidgets or graphviz and ``import esxistate`` stays fast.

>>> class Thing(DrawsItself):
...     _bundle = "tardisk_bundle"
>>> Thing._bundle
'tardisk_bundle'
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

__all__ = ["DrawsItself"]


class DrawsItself:
    """Mixin: ``_repr_mimebundle_`` asks ``esxistate.render.graph.<_bundle>(self, include, exclude)``."""

    _bundle: ClassVar[str]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        """Shown in a notebook as a diagram; the renderer is imported only now (the engine stays pure)."""
        hook = getattr(importlib.import_module("esxistate.render.graph"), self._bundle)
        return hook(self, include, exclude)
