"""Progress across visits: every outcome and key gait number, its change, and whether the change
is real (beyond the published MCID / MDC): "improved", "no real change" or "worse".

The measures and their thresholds are data (``knowledge/store/progress_measures.yaml``); the
questionnaires' MCIDs and MDCs are those of the exam catalogue (Ostelo et al. 2008 for ODI,
RMDQ and NRS; Childs et al. 2005 for the NRS MDC; Stratford et al. 1995 and Maughan & Lewis
2010 for the PSFS). A change counts as improvement when it reaches an MCID (absolute, or
relative to the first visit) and, where an MDC is published, the MDC too; as worse when it goes
the other way by at least the absolute MCID (and MDC). A measure with no published threshold
gets "not judged".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from groundup.yaml_files import parse_yaml

IMPROVED, NO_REAL_CHANGE, WORSE, NOT_JUDGED = "improved", "no real change", "worse", "not judged"


@cache
def progress_measures() -> dict[str, Any]:
    text = (files("groundup") / "knowledge" / "store" / "progress_measures.yaml").read_text(
        encoding="utf-8"
    )
    return parse_yaml(text)


def _dig(doc: dict[str, Any] | None, path: str) -> float | None:
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


@dataclass(frozen=True)
class Threshold:
    """One MCID or MDC: ``unit`` is the measure's unit, or ``pct_of_baseline``."""

    kind: str  # "mcid" or "mdc"
    id: str
    value: float
    unit: str
    text: str
    source: str

    def limit(self, baseline: float) -> float:
        if self.unit == "pct_of_baseline":
            return abs(baseline) * self.value / 100.0
        return self.value


def thresholds_of(measure: dict[str, Any]) -> list[Threshold]:
    spec = measure.get("thresholds") or {}
    out: list[Threshold] = []
    if "catalogue" in spec:
        from groundup.exam.catalogue import load_catalogue

        cat = load_catalogue()
        entry = cat.entry(spec["catalogue"])
        use = spec.get("use")
        for kind in ("mcid", "mdc"):
            for item in entry.items_of(kind):
                if use is not None and item["id"] not in use:
                    continue
                citation = cat.cite(item)
                out.append(Threshold(kind, item["id"], float(item["value"]), item["unit"],
                                     item.get("text", ""), citation.get("citation", "")))
    sources = progress_measures().get("sources", {})
    for kind in ("mcid", "mdc"):
        for item in spec.get(kind, []):
            src = sources[item["source"]]["citation"]
            out.append(Threshold(kind, item["id"], float(item["value"]), item["unit"],
                                 item.get("text", ""), " ".join(src.split())))
    return out


def verdict(
    measure: dict[str, Any], baseline: float, value: float
) -> tuple[str, float | None]:
    """The verdict of ``value`` against ``baseline`` and the absolute band half-width used."""
    thresholds = thresholds_of(measure)
    direction = measure.get("direction")
    if not thresholds or direction not in ("lower_is_better", "higher_is_better"):
        return NOT_JUDGED, None
    sign = -1.0 if direction == "lower_is_better" else 1.0
    improvement = sign * (value - baseline)
    mcids = [t for t in thresholds if t.kind == "mcid"]
    mdc = max((t.limit(baseline) for t in thresholds if t.kind == "mdc"), default=0.0)
    absolute = [t.limit(baseline) for t in mcids if t.unit != "pct_of_baseline"]
    band = max(min(absolute, default=mdc), mdc) if (absolute or mdc) else None
    eps = 1e-9
    # With only an MDC published, a real change is one beyond it.
    reaches_mcid = any(improvement >= t.limit(baseline) - eps for t in mcids) if mcids else True
    if improvement > 0 and reaches_mcid and improvement >= mdc - eps:
        return IMPROVED, band
    if band is not None and -improvement >= band - eps:
        return WORSE, band
    return NO_REAL_CHANGE, band


@dataclass
class MeasureProgress:
    id: str
    label: str
    unit: str
    direction: str | None
    values: list[float | None]
    change_from_first: float | None
    change_from_previous: float | None
    verdict: str
    band: float | None
    verdicts: list[str | None] = field(default_factory=list)  # each visit against the first
    thresholds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Progress:
    pseudonym: str
    visits: list[dict[str, Any]]  # number, date
    measures: list[MeasureProgress]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "groundup.progress/1",
            "patient": self.pseudonym,
            "visits": self.visits,
            "measures": [m.__dict__ for m in self.measures],
        }


def _value(visit: dict[str, Any], measure: dict[str, Any]) -> float | None:
    if measure["from"] == "exam":
        return _dig(visit.get("exam"), measure["path"])
    for doc in visit.get("analyses") or []:
        value = _dig(doc, measure["path"])
        if value is not None:
            return value
    return None


def compute_progress(pseudonym: str, visits: list[dict[str, Any]]) -> Progress:
    """Progress of every measure over ``visits`` (oldest first, as ``api.visit_documents``)."""
    out = []
    for measure in progress_measures()["measures"]:
        values = [_value(v, measure) for v in visits]
        present = [(k, x) for k, x in enumerate(values) if x is not None]
        if not present:
            continue
        first_k, first = present[0]
        last_k, last = present[-1]
        previous = present[-2][1] if len(present) > 1 else None
        per_visit: list[str | None] = []
        for k, x in enumerate(values):
            per_visit.append(None if x is None or k <= first_k else verdict(measure, first, x)[0])
        overall, band = (
            verdict(measure, first, last) if last_k > first_k else (NOT_JUDGED, None)
        )
        if last_k == first_k:
            overall = "first measurement"
            band = verdict(measure, first, first)[1]
        out.append(
            MeasureProgress(
                id=measure["id"], label=measure["label"], unit=measure["unit"],
                direction=measure.get("direction"), values=values,
                change_from_first=round(last - first, 4) if last_k > first_k else None,
                change_from_previous=round(last - previous, 4) if previous is not None else None,
                verdict=overall, band=band, verdicts=per_visit,
                thresholds=[t.__dict__ for t in thresholds_of(measure)],
            )
        )
    return Progress(
        pseudonym=pseudonym,
        visits=[{"number": v["number"], "date": v["date"]} for v in visits],
        measures=out,
    )


VERDICT_COLOURS = {
    IMPROVED: "#2e8b57",
    NO_REAL_CHANGE: "#7f7f7f",
    WORSE: "#c0392b",
    NOT_JUDGED: "#4a6fa5",
}


def plot_progress(progress: Progress, path: Path) -> Path:
    """One small panel per measure: values per visit, the band around the first visit inside
    which a change is not real (the MCID/MDC), dots coloured by verdict. Written as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measures = progress.measures
    n_cols = 3
    n_rows = max(1, -(-len(measures) // n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 2.6 * n_rows), squeeze=False)
    x_labels = [f"{v['number']}\n{v['date']}" for v in progress.visits]
    for ax, m in zip(axes.flat, measures, strict=False):
        xs = [k for k, v in enumerate(m.values) if v is not None]
        ys = [m.values[k] for k in xs]
        ax.plot(xs, ys, color="#333333", lw=1.2, zorder=2)
        first = ys[0]
        if m.band is not None:
            ax.axhspan(first - m.band, first + m.band, color="#d9d9d9", alpha=0.7, zorder=1,
                       label="no real change (MCID/MDC)")
        for k, y in zip(xs, ys, strict=True):
            v = m.verdicts[k]
            colour = VERDICT_COLOURS.get(v or "", "#333333") if v else "#333333"
            ax.scatter([k], [y], color=colour, s=36, zorder=3)
        ax.set_title(f"{m.label}: {m.verdict}", fontsize=9,
                     color=VERDICT_COLOURS.get(m.verdict, "#333333"))
        low, high = min(ys + ([first - m.band] if m.band else [])), max(
            ys + ([first + m.band] if m.band else [])
        )
        pad = (high - low) * 0.12 or max(abs(first) * 0.2, 1.0)
        ax.set_ylim(low - pad, high + pad)
        ax.set_xticks(range(len(x_labels)))
        ax.set_xticklabels(x_labels, fontsize=7)
        ax.set_xlim(-0.3, len(x_labels) - 0.7)
        ax.tick_params(axis="y", labelsize=7)
        if m.direction in ("lower_is_better", "higher_is_better"):
            ax.set_ylabel("better ↓" if m.direction == "lower_is_better" else "better ↑",
                          fontsize=7, color="#555555")
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    fig.suptitle(
        f"Progress of {progress.pseudonym}: grey band = change within the MCID/MDC of the "
        "first visit; dots: green improved, grey no real change, red worse, blue not judged "
        "(no published threshold)",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
