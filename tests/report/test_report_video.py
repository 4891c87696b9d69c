"""Report of a video trial: real BlazePose landmarks of the Sports2D demo clip through the
pipeline's keypoint path (gait, sagittal curves), with key frames decoded from the clip at heel
strikes, the pipeline's skeleton drawn and the face blurred by the report.

The landmarks come from the stored BlazePose run of tests/keypoints; the full clip path
(`groundup analyze CLIP`, pose estimation included) replaces them once the video front end runs
end to end."""

from __future__ import annotations

import math
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from groundup.norms.curves import valid_variables
from groundup.pipeline.recording import RecordingOptions
from groundup.pipeline.video import analyse_keypoint_trial, draw_skeleton
from groundup.report import KeyFrame, render_visit_report
from groundup.video.annotate import FACE_POINTS
from tests.keypoints.conftest import DATA as KEYPOINT_DATA
from tests.keypoints.conftest import blazepose_trial
from tests.report.helpers import pdf_image_count, pdf_text, rendered_numbers, resolve


def _frames(clip: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    with av.open(str(clip)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                out[i] = frame.to_ndarray(format="rgb24")
            if i >= max(wanted):
                break
    return out


@pytest.mark.slow
def test_video_report_with_blurred_key_frames(shared_data: Path, tmp_path: Path) -> None:
    d = np.load(KEYPOINT_DATA / "sports2d_walker_blazepose.npz")
    xy = d["xy"]
    trial = blazepose_trial(xy, d["confidence"], float(d["fps"]), tuple(int(v) for v in d["size"]))
    analysis = analyse_keypoint_trial(trial, RecordingOptions(), age_years=None, height_m=None)
    strikes = [(i, e) for i, e in enumerate(analysis["events"]) if e["kind"] == "heel_strike"][:2]
    images = _frames(shared_data / "video" / "sports2d_demo.mp4", {e["frame"] for _, e in strikes})
    key_frames = []
    for i, event in strikes:
        image = images[event["frame"]].copy()
        draw_skeleton(image, trial, event["frame"])
        face = np.array([trial.points[name][event["frame"]] for name in FACE_POINTS])
        key_frames.append(
            KeyFrame(
                image=image,
                label=f"{event['side']} heel strike",
                side=event["side"],
                event="heel_strike",
                time_s=event["time_s"],
                time_src=f"analysis/0/events/{i}/time_s",
                face_points_px=face,
            )
        )
    files = render_visit_report(
        tmp_path, analyses=[analysis], exam=None, chain=None, plan=None, key_frames=key_frames
    )
    text = " ".join(pdf_text(files.pdf).split())
    assert "Recording 1: video, sagittal view" in text
    assert "Video measures (per cycle, mean)" in text and "Peak knee flexion swing" in text
    assert "Key frames" in text and "face blurred" in text
    assert "No patient height was given" in text
    # phase percentages from video are shown with their reference, never flagged
    html = files.html.read_text()
    assert "not compared: from video this depends on where initial contact is placed" in html
    for label in ("Stance", "Double support"):
        row = html[html.index(f"<td>{label} ") :].split("</tr>")[0]
        assert "small flag" not in row and "above the reference" not in row, row
    # the curves of a sagittal clip hold only sagittal variables, and the report says so
    curves = analysis["curves"]
    assert curves["view"] == "sagittal"
    assert set(curves["variables"]) <= set(valid_variables("sagittal"))
    assert "knee_flexion" in curves["variables"]
    assert "Joint angles over the gait cycle" in text and "Camera view: sagittal" in text
    assert "Pelvic rotation" not in text and "Foot progression" not in text
    # symmetry chart, profile, curve figure and two key frames
    assert pdf_image_count(files.pdf) >= 5
    # the face region of the written key frame holds no detail left from the original frame
    written = cv2.imread(str(tmp_path / "report_files" / "keyframe_1.jpg"))
    assert written is not None and written.shape[1] <= 640
    # numbers shown equal the stored ones
    docs = {"analysis": [analysis]}
    for path, digits, shown, missing in rendered_numbers(files.html.read_text()):
        stored = resolve(docs, path)
        if missing:
            assert stored is None
        else:
            assert math.isclose(float(shown.replace("+", "")), stored, abs_tol=0.5 * 10**-digits)
