"""A module that loads the first time something is asked of it.

pandas takes a third of a second to import, and most commands that reach a module using it never
call the function that does: `voc account` reads figures computed when data arrived. Modules
whose pandas work is a fraction of what they offer name it through `lazy_module("pandas")`, and
type checkers see the real module:

    if TYPE_CHECKING:
        import pandas as pd
    else:
        pd = lazy_module("pandas")
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for module `name`; the first attribute asked for imports it (under Python's import
    lock, so threads asking at once load it once)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, loaded on first use>"


def lazy_module(name: str) -> Any:
    """Module `name`, imported when first used rather than now."""
    return LazyModule(name)
