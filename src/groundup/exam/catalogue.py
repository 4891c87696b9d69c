"""The clinical-examination test catalogue, kept as YAML data in ``knowledge/exam/``.

Every norm, cut-off and MCID lives in the YAML files with a ``source`` key that names an entry of
``sources.yaml``; scoring code reads them from here and never holds clinical numbers itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

from groundup.errors import GroundUpError
from groundup.yaml_files import parse_yaml

CATALOGUE_FILES = (
    "screening.yaml",
    "history.yaml",
    "foot.yaml",
    "balance.yaml",
    "pelvis_core.yaml",
    "neuro.yaml",
    "outcomes.yaml",
    "follow_up.yaml",
)
SOURCES_FILE = "sources.yaml"
SAFETY_FILE = "safety.yaml"
#: (kind, YAML group) of catalogue entries: tests and questionnaires, the history section
#: (precautions) and the per-exercise follow-up report.
GROUPS = (
    ("test", "tests"),
    ("questionnaire", "questionnaires"),
    ("history", "history"),
    ("follow_up", "follow_up"),
)
#: Lists in an entry whose items are clinical numbers and must each carry a ``source``.
CITED_LISTS = ("norms", "cutoffs", "mcid", "mdc", "worked_examples")


class CatalogueError(GroundUpError):
    """The packaged catalogue is broken (a developer error, not a user error)."""


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    evidence: str = "verified"
    doi: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "citation": self.citation,
            "evidence": self.evidence,
        }
        if self.doi:
            out["doi"] = self.doi
        return out


@dataclass(frozen=True)
class Entry:
    """One test or questionnaire of the catalogue, as read from YAML."""

    key: str
    domain: str
    kind: str  # "test", "questionnaire", "history" or "follow_up"
    data: dict[str, Any] = field(repr=False)

    @property
    def title(self) -> str:
        return str(self.data.get("title", self.key))

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("inputs", {}))

    @property
    def citations(self) -> list[str]:
        return list(self.data.get("citations", []))

    def item(self, list_name: str, item_id: str) -> dict[str, Any]:
        """The norm/cut-off/MCID with ``id`` ``item_id`` from list ``list_name``."""
        for it in self.data.get(list_name, []):
            if it.get("id") == item_id:
                return dict(it)
        raise CatalogueError(
            f"The catalogue entry {self.key!r} has no {list_name} item {item_id!r}.",
            "This is a packaging bug: check knowledge/exam/*.yaml.",
        )

    def norm(self, item_id: str) -> dict[str, Any]:
        return self.item("norms", item_id)

    def cutoff(self, item_id: str) -> dict[str, Any]:
        return self.item("cutoffs", item_id)

    def items_of(self, list_name: str) -> list[dict[str, Any]]:
        return [dict(it) for it in self.data.get(list_name, [])]


@dataclass(frozen=True)
class Catalogue:
    entries: dict[str, Entry]
    sources: dict[str, Source]
    screening: dict[str, Any]
    safety: dict[str, Any] = field(default_factory=dict)

    def entry(self, key: str) -> Entry:
        try:
            return self.entries[key]
        except KeyError:
            raise CatalogueError(f"No catalogue entry {key!r}.", "Packaging bug.") from None

    def tests(self) -> dict[str, Entry]:
        return {k: e for k, e in self.entries.items() if e.kind == "test"}

    def questionnaires(self) -> dict[str, Entry]:
        return {k: e for k, e in self.entries.items() if e.kind == "questionnaire"}

    def history(self) -> dict[str, Entry]:
        """Entries of the exam's ``history`` section (pregnancy, bone health, falls, ...)."""
        return {k: e for k, e in self.entries.items() if e.kind == "history"}

    def follow_up(self) -> dict[str, Entry]:
        """The per-exercise report entry of the exam's ``exercise_report`` section."""
        return {k: e for k, e in self.entries.items() if e.kind == "follow_up"}

    def source(self, key: str) -> Source:
        try:
            return self.sources[key]
        except KeyError:
            raise CatalogueError(
                f"The catalogue cites an unknown source {key!r}.", "Add it to sources.yaml."
            ) from None

    def cite(self, item: dict[str, Any]) -> dict[str, Any]:
        """The citation object of a cited catalogue item (norm, cut-off, MCID)."""
        return self.source(str(item["source"])).to_json()


def _read_yaml(name: str) -> dict[str, Any]:
    text = (files("groundup") / "knowledge" / "exam" / name).read_text(encoding="utf-8")
    data = parse_yaml(text)
    if not isinstance(data, dict):
        raise CatalogueError(f"knowledge/exam/{name} is not a mapping.", "Packaging bug.")
    return data


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Read and cross-check the packaged catalogue (cached)."""
    raw_sources = _read_yaml(SOURCES_FILE)["sources"]
    sources = {
        k: Source(
            k, " ".join(str(v["citation"]).split()), v.get("evidence", "verified"), v.get("doi")
        )
        for k, v in raw_sources.items()
    }
    entries: dict[str, Entry] = {}
    screening: dict[str, Any] = {}
    for name in CATALOGUE_FILES:
        data = _read_yaml(name)
        domain = str(data["domain"])
        if domain == "screening":
            screening = data
            continue
        for kind, group in GROUPS:
            for key, body in (data.get(group) or {}).items():
                if key in entries:
                    raise CatalogueError(
                        f"Catalogue key {key!r} is defined twice.", "Packaging bug."
                    )
                entries[key] = Entry(key=key, domain=domain, kind=kind, data=body)
    cat = Catalogue(
        entries=entries, sources=sources, screening=screening, safety=_read_yaml(SAFETY_FILE)
    )
    missing = uncited_items(cat)
    if missing:
        raise CatalogueError(
            "Catalogue items without a known source: " + ", ".join(missing) + ".",
            "Every norm, cut-off and MCID needs a `source` key listed in sources.yaml.",
        )
    return cat


def uncited_items(cat: Catalogue) -> list[str]:
    """Paths of catalogue numbers (norms, cut-offs, MCIDs, red flags) whose source is missing."""
    bad: list[str] = []
    for key, entry in cat.entries.items():
        for list_name in CITED_LISTS:
            for i, it in enumerate(entry.data.get(list_name, []) or []):
                src = it.get("source") if isinstance(it, dict) else None
                if not src or src not in cat.sources:
                    bad.append(f"{key}.{list_name}[{i}]")
        for c in entry.citations:
            if c not in cat.sources:
                bad.append(f"{key}.citations:{c}")
    for flag, body in (cat.screening.get("red_flags", {}).get("flags", {}) or {}).items():
        if body.get("source") not in cat.sources:
            bad.append(f"red_flags.{flag}")
    for group in ("precautions", "referrals"):
        for rule_id, body in (cat.safety.get(group) or {}).items():
            if body.get("source") not in cat.sources:
                bad.append(f"safety.{group}.{rule_id}")
    return bad
