"""Names of a package imported on first use (PEP 562), for packages whose modules are heavy."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def names_from(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name in ``where`` is taken from the module
    it names, imported at the name's first use."""

    def getattr_(name: str) -> Any:
        if name in where:
            return getattr(import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return getattr_
