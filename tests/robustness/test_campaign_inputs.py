"""The bad-input campaign as tests: every input ends with exit 1 or 2 and a message saying what
is wrong and what to do, never "internal error" (exit 3) or a traceback."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.robustness.helpers import EXAM, SAMPLE_C3D, assert_user_message, run_main

EXAM_TEXT = EXAM.read_text(encoding="utf-8")


def _write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- exam files that must be read as the same exam --------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"]
)
def test_exam_in_other_encodings_scores_like_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    # Windows Notepad saves "Unicode" as UTF-16 with a BOM; older editors Latin-1 / cp1252.
    text = EXAM_TEXT.replace("# GroundUp example exam", "# GroundUp example exam (Müller, Straße)")
    reference = _write(tmp_path / "utf8.yaml", text)
    other = _write(tmp_path / "other.yaml", text.encode(encoding))
    code_ref, _ = run_main(capsys, "exam", "score", str(reference), "--out", str(tmp_path / "a"))
    code, out = run_main(capsys, "exam", "score", str(other), "--out", str(tmp_path / "b"))
    assert (code, code_ref) == (0, 0), out
    a = json.loads((tmp_path / "a" / "exam.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b" / "exam.json").read_text(encoding="utf-8"))
    assert a["tests"] == b["tests"] and a["patient"] == b["patient"]


# --- exam files that must be refused with a message -------------------------------------------

_DEEP_YAML = "patient: " + "[" * 500 + "]" * 500 + "\n"
_DEEP_JSON = '{"patient": ' + "[" * 5000 + "]" * 5000 + "}"
_ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

BAD_EXAMS: dict[str, tuple[str, str | bytes]] = {
    "impossible_date": ("exam.yaml", EXAM_TEXT.replace("2025-03-14", "2025-02-30")),
    "month_13": ("exam.yaml", EXAM_TEXT.replace("2025-03-14", "2025-13-01")),
    "list_as_key": ("exam.yaml", "format: groundup.exam-input/1\n? [a, b]\n: 1\n"),
    "mapping_as_key": ("exam.yaml", "patient:\n  ? {a: 1}\n  : 2\n"),
    "deep_yaml": ("exam.yaml", _DEEP_YAML),
    "deep_json": ("exam.json", _DEEP_JSON),
    "huge_int_yaml": ("exam.yaml", "patient:\n  age_y: " + "9" * 5000 + "\n"),
    "huge_int_json": ("exam.json", '{"patient": {"age_y": ' + "9" * 5000 + "}}"),
    "inf_float": ("exam.yaml", "patient:\n  age_y: .inf\n"),
    "overflow_json": ("exam.json", '{"patient": {"age_y": 1e999}}'),
    "nan_json": ("exam.json", '{"patient": {"age_y": NaN}}'),
    "alias_bomb": ("exam.yaml", _ALIAS_BOMB),
    "python_tag": ("exam.yaml", "patient: !!python/object/apply:os.system ['true']\n"),
    "binary": ("exam.yaml", bytes(range(256)) * 4),
    "empty": ("exam.yaml", ""),
    "scalar": ("exam.yaml", "just text\n"),
    "list_document": ("exam.yaml", "- 1\n- 2\n"),
    "bad_syntax": ("exam.yaml", "patient: [unclosed\n"),
    "bad_json": ("exam.json", '{"patient": }'),
    "too_large": ("exam.yaml", "# " + "x" * 1_200_000 + "\n"),
}


@pytest.mark.parametrize("case", sorted(BAD_EXAMS))
def test_bad_exam_files_get_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    name, data = BAD_EXAMS[case]
    exam = _write(tmp_path / name, data)
    for args in (
        ["exam", "score", str(exam), "--out", str(tmp_path / "score")],
        ["analyze", "--exam", str(exam), "--out", str(tmp_path / "visit"), "--no-report"],
    ):
        code, text = run_main(capsys, *args)
        assert_user_message(code, text)
    assert not (tmp_path / "visit").exists()


def test_exam_that_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run_main(capsys, "analyze", "--exam", str(tmp_path), "--out", str(tmp_path / "o"))
    assert_user_message(code, text)


# --- balance (COP) recordings ------------------------------------------------------------------


def _cop_csv(path: Path, ap: np.ndarray, ml: np.ndarray, unit: str = "mm") -> Path:
    lines = [f"time_s,cop_ap_{unit},cop_ml_{unit}"]
    lines += [f"{i / 100:.2f},{a!r},{b!r}" for i, (a, b) in enumerate(zip(ap, ml, strict=True))]
    return _write(path, "\n".join(lines) + "\n")


def _bds_as_mm(shared_data: Path, path: Path) -> Path:
    """A real BDS recording (COP in cm) re-exported with millimetre headers but cm values."""
    rows = (shared_data / "cop" / "BDS00001.txt").read_text().splitlines()
    header = rows[0].split("\t")
    i_ap, i_ml = header.index("COPx[cm]"), header.index("COPy[cm]")
    lines = ["time_s,cop_ap_mm,cop_ml_mm"]
    for row in rows[1:]:
        cells = row.split("\t")
        lines.append(f"{cells[0]},{cells[i_ap]},{cells[i_ml]}")
    return _write(path, "\n".join(lines) + "\n")


@pytest.mark.parametrize("case", ["all_zero", "all_1e300", "alternating_1e300", "one_row",
                                  "no_time_column", "nan_only", "text_cells"])  # fmt: skip
def test_bad_balance_files_get_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    n = 3000
    path = tmp_path / "balance.csv"
    if case == "all_zero":
        _cop_csv(path, np.zeros(n), np.zeros(n))
    elif case == "all_1e300":
        _cop_csv(path, np.full(n, 1e300), np.full(n, 1e300))
    elif case == "alternating_1e300":
        _cop_csv(path, np.tile([1e300, -1e300], n // 2), np.zeros(n))
    elif case == "one_row":
        _write(path, "time_s,cop_ap_mm,cop_ml_mm\n0,1,1\n")
    elif case == "no_time_column":
        _write(path, "cop_ap_mm,cop_ml_mm\n" + "1.0,2.0\n" * n)
    elif case == "nan_only":
        _cop_csv(path, np.full(n, np.nan), np.full(n, np.nan))
    else:
        _write(path, "time_s,cop_ap_mm,cop_ml_mm\n0,a,b\n0.01,c,d\n0.02,e,f\n")
    code, text = run_main(capsys, "analyze", str(path), "--kind", "cop", "--out",
                          str(tmp_path / "o"), "--no-report")  # fmt: skip
    assert_user_message(code, text)
    if case == "no_time_column":
        assert "--rate-hz" not in text  # no option that does not exist
        assert "time_s" in text


def test_balance_in_cm_under_mm_headers_is_refused(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bds_as_mm(shared_data, tmp_path / "bds_cm_as_mm.csv")
    code, text = run_main(capsys, "analyze", str(path), "--kind", "cop", "--out",
                          str(tmp_path / "o"), "--no-report")  # fmt: skip
    assert_user_message(code, text)
    assert "centimetres" in text
    assert not (tmp_path / "o").exists()


# --- options and the output folder --------------------------------------------------------------

BAD_OPTIONS = {
    "cutoff_too_low": ["--cutoff-hz", "0.2"],
    "cutoff_negative": ["--cutoff-hz", "-6"],
    "cutoff_nan": ["--cutoff-hz", "nan"],
    "cutoff_too_high": ["--cutoff-hz", "400"],
    "max_gap_negative": ["--max-gap-s", "-1"],
    "max_gap_huge": ["--max-gap-s", "1e300"],
    "height_zero": ["--height-m", "0"],
    "height_cm_given": ["--height-m", "172"],
    "fps_zero": ["--fps", "0"],
    "subject_text": ["--subject", "left"],
    "subject_negative": ["--subject", "-5,10"],
    "unknown_precaution": ["--precaution", "flying"],
    "labels_missing": ["--labels", "no_such_labels.yaml"],
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_options_get_a_message_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    out = tmp_path / "o"
    code, text = run_main(capsys, "analyze", str(SAMPLE_C3D), "--out", str(out),
                          *BAD_OPTIONS[case])  # fmt: skip
    assert_user_message(code, text)
    assert not out.exists()


def test_out_naming_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = _write(tmp_path / "results.txt", "mine")
    code, text = run_main(capsys, "analyze", str(SAMPLE_C3D), "--out", str(existing))
    assert_user_message(code, text)
    assert code == 1 and existing.read_text() == "mine"
    code, text = run_main(capsys, "analyze", str(SAMPLE_C3D), "--out", str(existing / "sub"))
    assert_user_message(code, text)


@pytest.mark.parametrize(
    ("err", "words"),
    [(errno.EACCES, "permission"), (errno.EROFS, "read-only"), (errno.ENOSPC, "disk is full")],
)
def test_computer_refusals_are_the_users_to_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    err: int,
    words: str,
) -> None:
    """A read-only folder, a read-only disk, a full disk: exit 1, what to do, and the truth
    about what was written (a real read-only folder cannot be made for root, so the system call
    that creates the new output folder is made to fail as the system would)."""
    import tempfile

    def refuse(*_a: object, **_k: object) -> str:
        raise OSError(err, os.strerror(err), str(tmp_path / "o"))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    code, text = run_main(capsys, "analyze", str(SAMPLE_C3D), "--out", str(tmp_path / "o"),
                          "--no-report")  # fmt: skip
    assert_user_message(code, text)
    assert code == 1 and words in text
    assert "Please report" not in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        code, text = run_main(capsys, "analyze", str(SAMPLE_C3D), "--out", str(out))
    finally:
        out.chmod(0o755)
    assert_user_message(code, text)


# --- clips ------------------------------------------------------------------------------------


def test_annotated_video_of_a_clip_with_uneven_frame_timing(tmp_path: Path) -> None:
    """33/67 ms steps (phones in low light) used to crash the annotated-video writer."""
    from fractions import Fraction

    import av

    from groundup.trial import Trial
    from groundup.video.annotate import write_annotated_video
    from groundup.video.decode import iter_frames, probe_video

    clip = tmp_path / "uneven.mp4"
    container = av.open(str(clip), "w")
    stream = container.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
    stream.time_base = Fraction(1, 1000)
    t_ms = 0
    for i in range(40):
        frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 6 * i, np.uint8), "rgb24")
        frame.pts, frame.time_base = t_ms, Fraction(1, 1000)
        t_ms += 33 if i % 2 == 0 else 67
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    trial = Trial(points={"nose": np.full((40, 2), 100.0)}, point_rate_hz=20.0, point_units="px")
    out = write_annotated_video(clip, tmp_path / "annotated.mp4", trial, [], {}, 0)
    times = [vf.time_s for vf in iter_frames(out, probe_video(out))]
    assert len(times) == 40
    steps_ms = np.round(np.diff(times) * 1000)
    assert set(steps_ms.tolist()) <= {33.0, 34.0, 66.0, 67.0}  # the source's timing is kept
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --- what analyze --exam prints ----------------------------------------------------------------


def test_red_flag_referral_is_printed_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flagged = EXAM_TEXT.replace("cauda_equina_symptoms: no", "cauda_equina_symptoms: yes")
    exam = _write(tmp_path / "flag.yaml", flagged)
    code, text = run_main(capsys, "analyze", "--exam", str(exam), "--out", str(tmp_path / "o"),
                          "--no-report")  # fmt: skip
    assert code == 0, text
    assert text.startswith("REFER:"), text
    assert "cauda_equina_symptoms" in text


def test_every_exam_error_is_printed_after_the_referral(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAM_TEXT.replace("cauda_equina_symptoms: no", "cauda_equina_symptoms: yes")
    for old, new in [("drop_mm: {left: 12", "drop_mm: {left: 99"), ("age_y: 46", "age_y: 460"),
                     ("count: {left: 17", "count: {left: -3"), ("sex: female", "sex: unknown"),
                     ("eyes_open_s: {left: 28", "eyes_open_s: {left: 99"),
                     ("incline_10deg: no", "incline_10deg: maybe")]:  # fmt: skip
        assert old in text
        text = text.replace(old, new)
    exam = _write(tmp_path / "six_errors.yaml", text)
    code, out = run_main(capsys, "analyze", "--exam", str(exam), "--out", str(tmp_path / "o"))
    assert_user_message(code, out)
    assert out.count("Exam error:") == 6, out
    assert out.index("REFER:") < out.index("Exam error:")
    assert not (tmp_path / "o").exists()
