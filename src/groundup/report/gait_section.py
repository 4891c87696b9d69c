"""The gait part of the clinician report, one block per analysis.json (C3D, video, COP)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from groundup.report import plots
from groundup.report.curves_section import curves_block
from groundup.report.labels import field_label
from groundup.report.norms import NormChoice, choose_norm, load_spatiotemporal_norms, norm_source
from groundup.report.numbers import join_path, num

KIND_TEXT = {
    "c3d": "motion capture (C3D)",
    "trc": "motion capture (TRC)",
    "video": "video",
    "keypoints": "video keypoints",
    "cop": "force-plate balance recording (COP)",
}

# Rows of the spatiotemporal table: (analysis.json key, decimals, sided, overall)
SPATIOTEMPORAL_ROWS: tuple[tuple[str, int, bool, bool], ...] = (
    ("walking_speed_m_s", 2, True, True),
    ("cadence_steps_per_min", 1, False, True),
    ("stride_time_s", 3, True, True),
    ("step_time_s", 3, True, True),
    ("stance_pct", 1, True, True),
    ("swing_pct", 1, True, False),
    ("double_support_pct", 1, True, True),
    ("step_length_m", 3, True, True),
    ("stride_length_m", 3, True, True),
    ("step_width_m", 3, False, True),
    ("step_time_asymmetry_pct", 1, False, True),
)

COMPARISON_TEXT = {
    "within": "within the reference (mean ± 2 SD)",
    "below": "below the reference",
    "above": "above the reference",
    "below the mean": "below the group mean",
    "at or above the mean": "at or above the group mean",
    "": "",
}

# Phase percentages from video are shown with their reference but never flagged: they move by
# about 3 % of the cycle per frame of initial-contact timing, and on the reference walkers the
# initial contacts that match the hand annotations read stance about 10 and double support about
# 20 percentage points above a force-plate-calibrated contact rule (docs/video-gait.md).
VIDEO_UNFLAGGED = frozenset({"stance_pct", "swing_pct", "double_support_pct"})
VIDEO_UNFLAGGED_TEXT = (
    "not compared: from video this depends on where initial contact is placed (one frame moves "
    "it by about 3 % of the cycle); read it as approximate"
)

SWAY_ROWS: tuple[tuple[str, int], ...] = (
    ("duration_s", 1),
    ("mean_velocity_mm_s", 1),
    ("ellipse95_area_mm2", 0),
    ("rms_distance_mm", 2),
    ("range_mm", 1),
    ("mean_frequency_hz", 3),
)

KeyFramesBySource = dict[int, list[dict[str, Any]]]


def recording_title(index: int, analysis: dict[str, Any], deidentify: bool) -> str:
    source = analysis.get("source", {})
    kind = KIND_TEXT.get(source.get("kind", ""), source.get("kind", "recording"))
    view = (analysis.get("video") or {}).get("view") or source.get("view")
    if isinstance(view, str):
        view = view.replace("_", " ")
    text = f"Recording {index + 1}: {kind}"
    if view:
        text += f", {view} view"
    if not deidentify and source.get("path"):
        text += f" – {Path(source['path']).name}"
    return text


def _source_facts(index: int, analysis: dict[str, Any]) -> list[Markup]:
    source = analysis.get("source", {})
    base = join_path("analysis", index, "source")
    facts = []
    if source.get("rate_hz") is not None:
        facts.append(
            Markup("{} frames per second").format(num(source["rate_hz"], f"{base}/rate_hz", 0))
        )
    if source.get("duration_s") is not None:
        facts.append(
            Markup("{} recorded").format(num(source["duration_s"], f"{base}/duration_s", 2, "s"))
        )
    walking = analysis.get("walking") or {}
    if walking.get("walking_duration_s") is not None:
        facts.append(
            Markup("{} walking").format(
                num(
                    walking["walking_duration_s"],
                    join_path("analysis", index, "walking", "walking_duration_s"),
                    2,
                    "s",
                )
            )
        )
    events = analysis.get("events")
    if events:
        methods = (analysis.get("event_detection") or {}).get("methods_used") or {}
        method_text = ", ".join(
            Markup("{} {}").format(
                method.replace("_", " "),
                num(
                    count,
                    join_path("analysis", index, "event_detection", "methods_used", method),
                    0,
                ),
            )
            for method, count in methods.items()
        )
        facts.append(Markup("{} gait events ({})").format(len(events), Markup(method_text)))
    return facts


SPEED_MATCHED_SOURCE = {
    "key": "fukuchi2018",
    "citation": (
        "Fukuchi CA, Fukuchi RK, Duarte M. A public data set of overground and treadmill walking "
        "kinematics and kinetics in healthy individuals. PeerJ 2018;6:e4640 (treadmill at six "
        "speeds, 22 young and 21 older adults; tabulated by BMClab, h2a_age_spt)."
    ),
    "doi": "10.7717/peerj.4640",
    "evidence": "verified",
}


def _speed_matched_norm(key: str, spatio: dict[str, Any], age_y: float | None) -> NormChoice | None:
    """Cadence and step length of healthy adults at the patient's own walking speed (WBDS,
    groundup.norms.spatiotemporal), for adults (or unknown age) whose speed is known in m/s;
    compared with mean ± the table's band_sd SD."""
    from groundup.norms.reference import ADULT_AGE_YEARS
    from groundup.norms.spatiotemporal import adult_value_at_speed

    if age_y is not None and age_y < ADULT_AGE_YEARS:
        return None
    value, speed = spatio.get(key), spatio.get("walking_speed_m_s")
    norm = adult_value_at_speed(key, speed, age_y)
    if norm is None:
        return None
    _label, unit = field_label(key)
    digits = 1 if key == "cadence_steps_per_min" else 2
    band = float(load_spatiotemporal_norms()["band_sd"]) * norm.sd
    comparison = ""
    if value is not None:
        low, high = norm.mean - band, norm.mean + band
        comparison = "below" if value < low else "above" if value > high else "within"
    return NormChoice(
        text=norm.describe(unit, digits),
        comparison=comparison,
        source_key=SPEED_MATCHED_SOURCE["key"],
        exact_match=True,
    )


def spatiotemporal_rows(
    index: int,
    spatio: dict[str, Any],
    age_y: float | None,
    sex: str | None,
    from_video: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Table rows and the norm sources they cite (``from_video``: phase percentages unflagged)."""
    base = join_path("analysis", index, "spatiotemporal")
    rows = []
    sources: dict[str, dict[str, Any]] = {}
    left = spatio.get("left") or {}
    right = spatio.get("right") or {}
    si = spatio.get("symmetry_index") or {}
    for key, digits, sided, overall in SPATIOTEMPORAL_ROWS:
        values = [left.get(key), right.get(key)] if sided else []
        if overall:
            values.append(spatio.get(key))
        if all(v is None for v in values) and key not in spatio:
            continue
        label, unit = field_label(key)
        norm = _speed_matched_norm(key, spatio, age_y) if overall else None
        if norm is not None:
            sources[norm.source_key] = dict(SPEED_MATCHED_SOURCE)
        else:
            norm = choose_norm(key, spatio.get(key), age_y, sex) if overall else None
            if norm is not None:
                sources[norm.source_key] = norm_source(norm.source_key)
        unflagged = from_video and key in VIDEO_UNFLAGGED
        if norm is None:
            comparison = ""
        elif unflagged:
            comparison = VIDEO_UNFLAGGED_TEXT
        else:
            comparison = COMPARISON_TEXT.get(norm.comparison, norm.comparison)
        rows.append(
            {
                "label": label,
                "unit": unit,
                "left": num(left.get(key), f"{base}/left/{key}", digits) if sided else "",
                "right": num(right.get(key), f"{base}/right/{key}", digits) if sided else "",
                "both": num(spatio.get(key), f"{base}/{key}", digits) if overall else "",
                "si": num(
                    si[f"{key}_si_pct"], f"{base}/symmetry_index/{key}_si_pct", 1, signed=True
                )
                if f"{key}_si_pct" in si
                else "",
                "norm": norm.text if norm else "no reference value with a source",
                "comparison": comparison,
                "flag": bool(norm and not unflagged and norm.comparison in {"below", "above"}),
                "source": norm.source_key if norm else "",
            }
        )
    counts = []
    for side in ("left", "right"):
        data = spatio.get(side) or {}
        for key in ("n_strides", "n_steps"):
            if data.get(key) is not None:
                counts.append((side, key, num(data[key], f"{base}/{side}/{key}", 0)))
    if counts:
        rows.append(
            {
                "label": "Strides / steps measured",
                "unit": "",
                "left": Markup(" / ").join(c[2] for c in counts if c[0] == "left"),
                "right": Markup(" / ").join(c[2] for c in counts if c[0] == "right"),
                "both": "",
                "si": "",
                "norm": "",
                "comparison": "",
                "flag": False,
                "source": "",
            }
        )
    return rows, list(sources.values())


def symmetry_rows(index: int, spatio: dict[str, Any]) -> list[dict[str, Any]]:
    si = spatio.get("symmetry_index") or {}
    base = join_path("analysis", index, "spatiotemporal", "symmetry_index")
    rows = []
    for key, value in si.items():
        if not key.endswith("_si_pct"):
            continue
        label, _unit = field_label(key[: -len("_si_pct")])
        rows.append({"label": label, "value": num(value, f"{base}/{key}", 1, "%", signed=True)})
    return rows


def video_rows(index: int, video: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-cycle video measures per side (only those valid for the camera view are stored)."""
    per_side = (video.get("metrics") or {}).get("per_side") or {}
    base = join_path("analysis", index, "video", "metrics", "per_side")
    keys = list(dict.fromkeys([*(per_side.get("left") or {}), *(per_side.get("right") or {})]))
    rows = []
    for key in keys:
        cells = {}
        for side in ("left", "right"):
            value = (per_side.get(side) or {}).get(key)
            path = f"{base}/{side}/{key}"
            if isinstance(value, dict):
                value, path = value.get("mean"), f"{path}/mean"
            if isinstance(value, int | float | type(None)) and not isinstance(value, bool):
                cells[side] = num(value, path, 1) if key in (per_side.get(side) or {}) else ""
        if not cells:
            continue
        label, unit = field_label(key)
        rows.append(
            {
                "label": label,
                "unit": unit,
                "left": cells.get("left", ""),
                "right": cells.get("right", ""),
            }
        )
    return rows


def sway_rows(index: int, sway: dict[str, Any]) -> list[dict[str, Any]]:
    base = join_path("analysis", index, "sway")
    rows = []
    for key, digits in SWAY_ROWS:
        if key in sway:
            label, unit = field_label(key)
            rows.append({"label": label, "value": num(sway[key], f"{base}/{key}", digits, unit)})
    return rows


def gait_blocks(
    analyses: list[dict[str, Any]],
    exam: dict[str, Any] | None,
    assets_dir: Path,
    deidentify: bool,
    key_frames_by_source: KeyFramesBySource | Callable[[], KeyFramesBySource],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One block per analysis and the norm sources cited. ``key_frames_by_source`` may be a
    function: it is called once every plot is drawn (the frames are made meanwhile)."""
    patient = (exam or {}).get("patient") or {}
    age_y, sex = patient.get("age_y"), patient.get("sex")
    blocks = []
    sources: dict[str, dict[str, Any]] = {}
    for index, analysis in enumerate(analyses):
        kind = (analysis.get("source") or {}).get("kind", "")
        block: dict[str, Any] = {
            "title": recording_title(index, analysis, deidentify),
            "facts": _source_facts(index, analysis),
            "kind": kind,
            "spatiotemporal": [],
            "symmetry": [],
            "symmetry_chart": None,
            "sway": [],
            "video": [],
            "video_note": "",
            "curves": None,
            "key_frames": [],
        }
        spatio = analysis.get("spatiotemporal")
        if spatio:
            from_video = isinstance(analysis.get("video"), dict)  # any 2-D keypoint recording
            rows, cited = spatiotemporal_rows(index, spatio, age_y, sex, from_video)
            block["spatiotemporal"] = rows
            for src in cited:
                sources[src["key"]] = src
            block["symmetry"] = symmetry_rows(index, spatio)
            chart = plots.symmetry_chart(spatio, assets_dir / f"symmetry_{index + 1}.png")
            block["symmetry_chart"] = chart.name if chart else None
            block["reference_patient"] = (
                f"{sex or 'sex not given'}, {age_y:g} y" if age_y is not None else None
            )
        video = analysis.get("video")
        if isinstance(video, dict):
            block["video"] = video_rows(index, video)
            scale = video.get("scale")
            if not scale:
                block["video_note"] = Markup(
                    "No patient height was given: lengths are not converted to metres."
                )
            elif scale.get("accuracy_pct") is not None:
                block["video_note"] = Markup(
                    "Lengths scaled from the patient's height (stated accuracy about {})."
                ).format(
                    num(scale["accuracy_pct"], f"analysis/{index}/video/scale/accuracy_pct", 0, "%")
                )
            else:
                block["video_note"] = Markup("Lengths scaled from the patient's height.")
        if analysis.get("sway"):
            block["sway"] = sway_rows(index, analysis["sway"])
        if analysis.get("curves"):
            block["curves"] = curves_block(index, analysis["curves"], assets_dir)
        blocks.append(block)
    if callable(key_frames_by_source):
        key_frames_by_source = key_frames_by_source()
    attach_key_frames(blocks, len(analyses), key_frames_by_source)
    return blocks, list(sources.values())


def attach_key_frames(
    blocks: list[dict[str, Any]], n_analyses: int, key_frames_by_source: KeyFramesBySource
) -> None:
    """Put each recording's key frames into its block (``gait_blocks`` made with none);
    frames whose recording has no analysis get a block of their own."""
    for index, block in enumerate(blocks[:n_analyses]):
        block["key_frames"] = key_frames_by_source.get(index, [])
    for index in sorted(set(key_frames_by_source) - set(range(n_analyses))):
        # frames given without the analysis of their recording: still shown, under their own title
        blocks.append(
            {
                "title": f"Key frames (recording {index + 1}, no gait analysis given)",
                "facts": [],
                "kind": "frames",
                "spatiotemporal": [],
                "symmetry": [],
                "symmetry_chart": None,
                "sway": [],
                "video": [],
                "video_note": "",
                "curves": None,
                "key_frames": key_frames_by_source[index],
            }
        )
