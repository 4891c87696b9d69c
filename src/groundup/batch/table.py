"""The cohort's results: one tidy table, a summary by group with a plot, and the failures.

``results.parquet`` / ``results.csv``: one row per recording and side, read from each done
recording's ``analysis.json`` (the columns are described in docs/batch.md). Rows follow the order
in which the recordings were given, left before right, so the same cohort gives the same table
whichever engine ran it. ``summary_by_group.*``: per group, side and parameter the mean, sample
SD (n - 1) and n of the recordings that have a value. ``failures.csv``: the recordings that
failed, with their messages.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from groundup.batch.inputs import Recording
from groundup.batch.outputs import recording_dir
from groundup.batch.run_manifest import RunManifest

SIDES = ("left", "right")
NO_GROUP = "(no group)"
N_KEY_DEVIATIONS = 3

# Per side, from analysis.json "spatiotemporal" -> "left" / "right".
SIDE_PARAMETERS: dict[str, pa.DataType] = {
    "n_strides": pa.int64(),
    "n_steps": pa.int64(),
    "stride_time_s": pa.float64(),
    "step_time_s": pa.float64(),
    "stance_pct": pa.float64(),
    "swing_pct": pa.float64(),
    "double_support_pct": pa.float64(),
    "step_length_m": pa.float64(),
    "stride_length_m": pa.float64(),
    "walking_speed_m_s": pa.float64(),
}
# For both sides, from analysis.json "spatiotemporal" (repeated on both rows).
RECORDING_PARAMETERS = ("cadence_steps_per_min", "step_width_m", "step_time_asymmetry_pct")
# Parameters shown in the group plot.
PLOTTED = ("walking_speed_m_s", "cadence_steps_per_min", "stance_pct", "step_length_m", "gps_deg")


@dataclass(frozen=True)
class Failure:
    recording_id: str
    subject_id: str
    group: str
    error: str


@dataclass
class ResultFiles:
    """The cohort files written, with the row count and the failures."""

    results_parquet: Path
    results_csv: Path
    summary_parquet: Path
    summary_csv: Path
    summary_plot: Path
    failures_csv: Path
    n_rows: int = 0
    failures: list[Failure] = field(default_factory=list)


def gvs_variables() -> list[str]:
    """The gait variables of the curves section (knowledge/norms/variables.yaml), in order."""
    from groundup.norms.data import variables_config

    return list(variables_config()["variables"])


def results_schema() -> pa.Schema:
    fields = [
        pa.field("recording_id", pa.string()),
        pa.field("subject_id", pa.string()),
        pa.field("group", pa.string()),
        pa.field("side", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("view", pa.string()),
        pa.field("groundup_version", pa.string()),
        *(pa.field(name, dtype) for name, dtype in SIDE_PARAMETERS.items()),
        *(pa.field(name, pa.float64()) for name in RECORDING_PARAMETERS),
        pa.field("gps_deg", pa.float64()),
        pa.field("gps_overall_deg", pa.float64()),
        *(pa.field(f"gvs_{name}_deg", pa.float64()) for name in gvs_variables()),
        pa.field("n_deviations_flagged", pa.int64()),
        pa.field("key_deviations", pa.string()),
        pa.field("n_quality_warnings", pa.int64()),
        pa.field("quality_warnings", pa.string()),
    ]
    return pa.schema(fields)


def rows_of_recording(recording: Recording, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's rows (left, right) of one analysis document; none for a recording without
    gait (a balance recording)."""
    st = doc.get("spatiotemporal")
    if not isinstance(st, dict):
        return []
    curves = doc.get("curves") or {}
    gvs = curves.get("gait_variable_scores_deg") or {}
    gps = curves.get("gait_profile_score") or {}
    warnings = list((doc.get("quality") or {}).get("warnings") or [])
    warnings += [q for q in curves.get("quality") or [] if isinstance(q, dict)]
    codes = list(dict.fromkeys(str(w.get("code", "")) for w in warnings))
    source = doc.get("source") or {}
    markers_3d = "3d" if source.get("point_units") == "m" else ""
    view = (doc.get("video") or {}).get("view") or curves.get("view") or markers_3d
    rows = []
    for side in SIDES:
        side_st = st.get(side) or {}
        flagged = [
            d for d in curves.get("deviations") or [] if d.get("side") == side and d.get("flagged")
        ]
        row: dict[str, Any] = {
            "recording_id": recording.recording_id,
            "subject_id": recording.subject_id,
            "group": recording.group,
            "side": side,
            "kind": source.get("kind", ""),
            "view": view,
            "groundup_version": (doc.get("generator") or {}).get("version", ""),
        }
        row.update({name: side_st.get(name) for name in SIDE_PARAMETERS})
        row.update({name: st.get(name) for name in RECORDING_PARAMETERS})
        row["gps_deg"] = (gps.get(side) or {}).get("value_deg")
        row["gps_overall_deg"] = (gps.get("overall") or {}).get("value_deg")
        row.update({f"gvs_{v}_deg": gvs.get(f"{side}_{v}") for v in gvs_variables()})
        row["n_deviations_flagged"] = len(flagged)
        row["key_deviations"] = "; ".join(_deviation_text(d) for d in _key(flagged))
        row["n_quality_warnings"] = len(warnings)
        row["quality_warnings"] = "; ".join(codes)
        rows.append(row)
    return rows


def _key(flagged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The largest flagged deviations by |z| (ties: the order of the document)."""
    return sorted(flagged, key=lambda d: -abs(float(d.get("z_score") or 0.0)))[:N_KEY_DEVIATIONS]


def _deviation_text(d: dict[str, Any]) -> str:
    return (
        f"{d.get('variable')} {d.get('phase')} {float(d.get('deviation_deg') or 0.0):+.1f} deg "
        f"(z {float(d.get('z_score') or 0.0):+.1f})"
    )


def write_results(out_dir: Path, recordings: list[Recording], manifest: RunManifest) -> ResultFiles:
    """Write the tidy table, the group summary (with its plot) and the failures list for the
    recordings given, from the manifest and the recordings' folders."""
    files = ResultFiles(
        results_parquet=out_dir / "results.parquet",
        results_csv=out_dir / "results.csv",
        summary_parquet=out_dir / "summary_by_group.parquet",
        summary_csv=out_dir / "summary_by_group.csv",
        summary_plot=out_dir / "summary_by_group.png",
        failures_csv=out_dir / "failures.csv",
    )
    tasks = manifest.all()
    rows: list[dict[str, Any]] = []
    for recording in recordings:
        task = tasks.get(recording.recording_id)
        if task is None:
            continue
        if task.status == "failed":
            files.failures.append(
                Failure(recording.recording_id, recording.subject_id, recording.group,
                        task.error or "failed without a message")
            )  # fmt: skip
        elif task.status == "done":
            doc = _analysis_doc(out_dir, recording.recording_id)
            if doc is not None:
                rows.extend(rows_of_recording(recording, doc))
    table = pa.Table.from_pylist(rows, schema=results_schema())
    files.n_rows = table.num_rows
    _atomic(files.results_parquet, lambda p: pq.write_table(table, str(p)))
    _atomic(files.results_csv, lambda p: pa_csv.write_csv(table, str(p)))
    summary = summarise_by_group(table)
    _atomic(files.summary_parquet, lambda p: pq.write_table(summary, str(p)))
    _atomic(files.summary_csv, lambda p: pa_csv.write_csv(summary, str(p)))
    _atomic(files.summary_plot, lambda p: plot_summary(summary, p))
    _atomic(files.failures_csv, lambda p: _write_failures(files.failures, p))
    return files


def _analysis_doc(out_dir: Path, recording_id: str) -> dict[str, Any] | None:
    path = recording_dir(out_dir, recording_id) / "analysis.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def summary_parameters(schema: pa.Schema) -> list[str]:
    """The numeric measurement columns summarised by group (counts excluded)."""
    return [f.name for f in schema if pa.types.is_floating(f.type) and f.name != "gps_overall_deg"]


def summarise_by_group(table: pa.Table) -> pa.Table:
    """Mean, sample SD and n per group, side and parameter (tidy: one row each)."""
    groups = table.column("group").to_pylist()
    sides = table.column("side").to_pylist()
    out: list[dict[str, Any]] = []
    group_names = sorted({g or NO_GROUP for g in groups})
    params = summary_parameters(table.schema)
    columns = {name: table.column(name).to_pylist() for name in params}
    for group in group_names:
        for side in SIDES:
            idx = [i for i, (g, s) in enumerate(zip(groups, sides, strict=True))
                   if (g or NO_GROUP) == group and s == side]  # fmt: skip
            for name in params:
                values = [columns[name][i] for i in idx]
                finite = [float(v) for v in values if v is not None and math.isfinite(v)]
                n = len(finite)
                mean = sum(finite) / n if n else None
                sd = (
                    math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1))
                    if n > 1 and mean is not None
                    else None
                )
                out.append(
                    {"group": group, "side": side, "parameter": name,
                     "mean": mean, "sd": sd, "n": n}
                )  # fmt: skip
    schema = pa.schema(
        [("group", pa.string()), ("side", pa.string()), ("parameter", pa.string()),
         ("mean", pa.float64()), ("sd", pa.float64()), ("n", pa.int64())]
    )  # fmt: skip
    return pa.Table.from_pylist(out, schema=schema)


def plot_summary(summary: pa.Table, path: Path) -> None:
    """Bars of the group means per side (SD as error bars; n left/right under each group) for
    a few parameters."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary.to_pylist()
    groups = sorted({r["group"] for r in rows}) or [NO_GROUP]
    fig, axes = plt.subplots(1, len(PLOTTED), figsize=(3.2 * len(PLOTTED), 3.8), squeeze=False)
    width = 0.38
    for ax, name in zip(axes[0], PLOTTED, strict=True):
        counts: dict[str, list[int]] = {g: [] for g in groups}
        for k, side in enumerate(SIDES):
            stats = {r["group"]: r for r in rows if r["parameter"] == name and r["side"] == side}
            xs = [i + (k - 0.5) * width for i in range(len(groups))]
            means = [_or_nan(stats.get(g, {}).get("mean")) for g in groups]
            sds = [_or_nan(stats.get(g, {}).get("sd")) for g in groups]
            ax.bar(xs, means, width, yerr=sds, capsize=3, label=side,
                   color="#4C72B0" if side == "left" else "#DD8452")  # fmt: skip
            for g in groups:
                counts[g].append(int(stats.get(g, {}).get("n", 0)))
        ax.set_title(name, fontsize=9)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([f"{g}\nn={'/'.join(map(str, counts[g]))}" for g in groups], fontsize=8)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Mean and SD by group and side (n = recordings with a value, left/right)",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=110)
    plt.close(fig)


def _or_nan(value: float | None) -> float:
    """No bar (rather than a bar at zero) where a group has no value."""
    return math.nan if value is None else float(value)


def _write_failures(failures: list[Failure], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["recording_id", "subject_id", "group", "error"])
    for f in failures:
        writer.writerow([f.recording_id, f.subject_id, f.group, f.error])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: Path, write: Any) -> None:
    """Run ``write(tmp_path)`` then rename the file into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
