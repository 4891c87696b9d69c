"""Reading GroundUp's YAML data files (catalogues, norms, rules, label maps).

LibYAML's C parser is used where PyYAML was built with it (the PyPI wheels are): it reads the
packaged knowledge files several times faster than the pure-Python parser, with the same safe
subset of YAML (no arbitrary Python objects).
"""

from __future__ import annotations

from functools import cache
from typing import IO, Any

import yaml

_SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(source: str | bytes | IO[str] | IO[bytes]) -> Any:
    """Parse YAML text (or an open file) with the safe loader."""
    return yaml.load(source, Loader=_SAFE_LOADER)


@cache
def load_knowledge(*parts: str) -> Any:
    """A packaged knowledge file, e.g. ``load_knowledge("plausibility.yaml")``."""
    from importlib.resources import files

    node = files("groundup") / "knowledge"
    for part in parts:
        node = node / part
    return parse_yaml(node.read_text(encoding="utf-8"))


def plausibility(section: str, name: str) -> float:
    """A plausibility limit of ``knowledge/plausibility.yaml`` (its ``value``)."""
    return float(load_knowledge("plausibility.yaml")[section][name]["value"])
