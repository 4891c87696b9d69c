"""The sample clip's annotated video and key frames show no recognisable face, and a --view
that contradicts the clip is not obeyed blindly.

The sample (Sports2D demo: a woman walks across, a man exercises on a box behind her) is run
through pose estimation once; the whole visit (annotated video, report with key frames) then
reuses that pose. In every written frame the head of every person the person detector tracked
is compared with the same region of the original frame (sharpness: variance of the Laplacian),
and face detectors independent of the one GroundUp uses (OpenCV's Haar cascades; MediaPipe's
short-range face model) look for faces before and after.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.privacy.test_no_identifiers_in_outputs import _grep_every_file
from tests.robustness.helpers import EXAM

pytestmark = pytest.mark.slow

# Head regions must lose this share of their detail at least (Laplacian variance).
MAX_SHARPNESS_KEPT = 0.35
# The compared core of a head region (its middle 40 %) must be at least this wide and tall: a
# head box under about 20 px in the written frame is a sliver at the picture edge.
MIN_CORE_PX = 8


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> Path:
    return shared_data / "video" / "sports2d_demo.mp4"


@pytest.fixture(scope="module")
def pose(clip: Path):
    from groundup.video.pose_run import run_video_pose

    return run_video_pose(clip)


@pytest.fixture(scope="module")
def visit(clip: Path, pose, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole visit on the sample clip (pose estimation not repeated)."""
    import groundup.video.pose_run as pose_run
    from groundup.pipeline import run_visit

    out = tmp_path_factory.mktemp("sample") / "visit"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pose_run, "run_video_pose", lambda *_a, **_k: pose)
        run_visit([clip], out, exam_path=EXAM)
    return out


def _frames(path: Path) -> dict[int, np.ndarray]:
    from groundup.video.decode import iter_frames, probe_video

    return {vf.index: vf.image for vf in iter_frames(path, probe_video(path))}


def _sharpness(image: np.ndarray) -> float:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var()) if gray.size else 0.0


def _core(box: tuple[int, int, int, int], shrink: float = 0.25) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    dx, dy = shrink * (x1 - x0), shrink * (y1 - y0)
    return int(x0 + dx), int(y0 + dy), int(x1 - dx), int(y1 - dy)


def _haar_faces(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
    found = []
    for name in ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml"):
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
        for flipped in (False, True):
            img = cv2.flip(gray, 1) if flipped else gray
            for x, y, w, h in cascade.detectMultiScale(img, 1.1, 5, minSize=(20, 20)):
                x = gray.shape[1] - x - w if flipped else x
                found.append((int(x), int(y), int(x + w), int(y + h)))
    return found


@cache
def _short_range_detector():
    from mediapipe.python.solutions.face_detection import FaceDetection

    return FaceDetection(min_detection_confidence=0.5, model_selection=0)


def _mediapipe_short_range_faces(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    result = _short_range_detector().process(np.ascontiguousarray(image))
    h, w = image.shape[:2]
    boxes = []
    for d in result.detections or []:
        b = d.location_data.relative_bounding_box
        boxes.append((int(b.xmin * w), int(b.ymin * h), int((b.xmin + b.width) * w),
                      int((b.ymin + b.height) * h)))  # fmt: skip
    return boxes


def _overlaps(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def test_every_tracked_head_is_blurred_in_every_frame(visit: Path, clip: Path, pose) -> None:
    from groundup.privacy import face_box_px
    from groundup.video.annotate import face_regions

    before, after = _frames(clip), _frames(visit / "annotated.mp4")
    assert len(after) == len(before) == pose.trial.n_frames
    kept: list[float] = []
    n_people_frames = 0
    for index, original in before.items():
        written = after[index]
        scale = written.shape[1] / original.shape[1]
        small = cv2.resize(original, (written.shape[1], written.shape[0]), cv2.INTER_LINEAR)
        regions = face_regions(pose.trial, index, pose.track_boxes_px, pose.track_faces_px,
                               pose.subject_track_id)  # fmt: skip
        n_people_frames += len(regions)
        for points in regions:
            x0, y0, x1, y1 = _core(face_box_px(points * scale, written.shape), 0.3)
            if x1 - x0 < MIN_CORE_PX or y1 - y0 < MIN_CORE_PX:
                continue  # a head cut by the picture edge: a sliver, nothing to recognise
            sharp_before = _sharpness(small[y0:y1, x0:x1])
            if sharp_before < 20:  # a flat patch (sky, wall): nothing to recognise
                continue
            kept.append(_sharpness(written[y0:y1, x0:x1]) / sharp_before)
    kept_arr = np.array(kept)
    print(f"head regions compared: {kept_arr.size} in {len(before)} frames "
          f"({n_people_frames} person-frames); detail kept: median {np.median(kept_arr):.3f}, "
          f"max {kept_arr.max():.3f}")  # fmt: skip
    assert kept_arr.size > len(before)  # the walker and the bystander, in most frames
    assert np.all(kept_arr <= MAX_SHARPNESS_KEPT)


def test_face_detectors_find_faces_before_and_none_after(visit: Path, clip: Path) -> None:
    before, after = _frames(clip), _frames(visit / "annotated.mp4")
    found_before = found_after = frames_with_faces = 0
    for index in range(0, len(before), 6):
        written = after[index]
        small = cv2.resize(before[index], (written.shape[1], written.shape[0]), cv2.INTER_AREA)
        faces = _haar_faces(small) + _mediapipe_short_range_faces(small)
        if not faces:
            continue
        frames_with_faces += 1
        found_before += len(faces)
        still = _haar_faces(written) + _mediapipe_short_range_faces(written)
        found_after += sum(any(_overlaps(f, g) or _overlaps(g, f) for g in still) for f in faces)
    print(f"frames with a face found before blurring: {frames_with_faces}; faces before "
          f"{found_before}, found again after: {found_after}")  # fmt: skip
    assert frames_with_faces >= 5
    assert found_after == 0


def test_key_frames_show_no_face(visit: Path, clip: Path) -> None:
    import json

    key_frames = sorted((visit / "report_files").glob("keyframe_*.png"))
    assert key_frames, "the report has key frames"
    doc = json.loads((visit / "analysis.json").read_text(encoding="utf-8"))
    frames = _frames(clip)
    event_frames = sorted({int(e["frame"]) for e in doc["events"]})
    originals_with_faces = sum(bool(_haar_faces(frames[i]) + _mediapipe_short_range_faces(
        frames[i])) for i in event_frames)  # fmt: skip
    for path in key_frames:
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        assert _haar_faces(image) + _mediapipe_short_range_faces(image) == [], path.name
    print(f"key frames: {len(key_frames)}; event frames with a face before blurring: "
          f"{originals_with_faces} of {len(event_frames)}")  # fmt: skip


def test_sample_visit_outputs_hold_no_path_and_are_owner_only(visit: Path) -> None:
    assert _grep_every_file(visit, [str(visit.parent), "/tmp/", "/home/", "/work/"]) == []
    modes = {oct(p.stat().st_mode & 0o777) for p in visit.rglob("*") if p.is_file()}
    assert modes == {"0o600"}


def test_a_view_that_contradicts_the_clip_is_overruled(pose) -> None:
    """--view frontal_posterior on the side-view sample: the campaign got a 23 deg pelvic drop,
    hip-abductor weakness and exercises from it."""
    from groundup.pipeline import RecordingOptions
    from groundup.pipeline.video import analyse_keypoint_trial
    from groundup.plan import plan_visit

    doc = analyse_keypoint_trial(
        pose.trial, RecordingOptions(view="frontal_posterior"), age_years=None, height_m=1.65
    )
    assert doc["video"]["view"] == "sagittal"
    codes = [w["code"] for w in doc["quality"]["warnings"]]
    assert codes[0] == "view_contradicted"
    assert "pelvic_drop" not in str(doc.get("video", {}).get("metrics", {}))
    chain, _plan = plan_visit([doc], None, None, [])
    assert "pelvic_drop" not in str(chain) and "hip_abductor" not in str(chain)
