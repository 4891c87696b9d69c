"""Map marker labels from any common scheme to GroundUp's canonical landmark names.

The map is data (``knowledge/marker_labels.yaml``, documented in docs/marker-labels.md) and users
extend it with a YAML file of the same shape. Matching ignores case, a subject prefix before ``:``,
and the separators space, ``.``, ``_`` and ``-``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import yaml

from groundup.errors import InputError
from groundup.yaml_files import parse_yaml

_SEPARATORS = re.compile(r"[\s._\-]+")


def normalise_label(label: str) -> str:
    """``"IS070607:L.Heel"`` -> ``"lheel"``."""
    text = label.strip()
    if ":" in text:
        text = text.rsplit(":", 1)[1]
    return _SEPARATORS.sub("", text).lower()


@dataclass(frozen=True)
class LabelMap:
    """Canonical landmark name -> ordered aliases (already normalised)."""

    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def default(cls) -> LabelMap:
        text = (files("groundup") / "knowledge" / "marker_labels.yaml").read_text(encoding="utf-8")
        return cls.from_mapping(parse_yaml(text)["landmarks"])

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, list[str]]) -> LabelMap:
        return cls(
            {name: tuple(normalise_label(str(a)) for a in al) for name, al in mapping.items()}
        )

    @classmethod
    def load(cls, extra_path: Path | None = None) -> LabelMap:
        """The default map, extended by a user's YAML file whose aliases are tried first."""
        base = cls.default()
        if extra_path is None:
            return base
        try:
            data = parse_yaml(Path(extra_path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(
                f"The label map {extra_path} could not be read ({exc}).",
                "Give a YAML file shaped like docs/marker-labels.md shows "
                "(landmarks: {left_heel: [MYHEEL, ...]}).",
            ) from exc
        landmarks = data.get("landmarks") if isinstance(data, dict) else None
        if not isinstance(landmarks, dict) or not all(
            isinstance(v, list) for v in landmarks.values()
        ):
            raise InputError(
                f"The label map {extra_path} has no 'landmarks' mapping of names to label lists.",
                "Write it as: landmarks: {left_heel: [MYHEEL], right_heel: [MYRHEEL]}.",
            )
        extra = cls.from_mapping(landmarks)
        merged = dict(base.aliases)
        for name, al in extra.aliases.items():
            merged[name] = al + tuple(a for a in merged.get(name, ()) if a not in al)
        return cls(merged)

    def assign(
        self, labels: list[str], valid_frames: list[int]
    ) -> tuple[dict[str, int], list[str]]:
        """Choose, for each canonical name, the index of the label that holds it.

        Among the labels matching a name, the first alias in the map's order that has data wins;
        duplicates of the same label keep the copy with the most valid frames. Returns the mapping
        canonical name -> label index, and notes on choices a user may want to know about.
        """
        normalised = [normalise_label(lbl) for lbl in labels]
        chosen: dict[str, int] = {}
        notes: list[str] = []
        for name, aliases in self.aliases.items():
            candidates: list[tuple[int, int, int]] = []  # (alias rank, -valid, index)
            for idx, norm in enumerate(normalised):
                if norm in aliases:
                    candidates.append((aliases.index(norm), -valid_frames[idx], idx))
            if not candidates:
                continue
            with_data = [c for c in candidates if -c[1] > 0]
            best = min(with_data or candidates)
            chosen[name] = best[2]
            same_label = [c for c in candidates if normalised[c[2]] == normalised[best[2]]]
            if len(same_label) > 1:
                notes.append(
                    f"Label {labels[best[2]]!r} appears {len(same_label)} times; the copy with "
                    f"the most valid frames ({-best[1]}) is used as {name}."
                )
        return chosen, notes


def valid_frame_counts(positions: np.ndarray) -> list[int]:
    """Finite frames per point for an array shaped ``(n_points, n_frames, n_dims)``."""
    return [int(np.isfinite(p).all(axis=1).sum()) for p in positions]
