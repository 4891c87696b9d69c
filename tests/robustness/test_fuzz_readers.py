"""Fuzzing the readers of user files: the exam loader (with scoring), the COP and TRC readers.

Whatever bytes a file holds, a reader either returns its result or raises a GroundUpError (a
message saying what is wrong and what to do); any other exception would reach the user as
"internal error". The budget is fixed (``derandomize``: the same examples on every run, in CI
too); each test draws from structured near-valid files and from raw bytes.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundup.errors import GroundUpError
from groundup.exam.scoring import score_exam_file
from groundup.exam.sway import analyze_cop_recording
from groundup.io.cop import read_cop
from groundup.io.trc import read_trc

BUDGET = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REPO = Path(__file__).resolve().parents[2]
EXAMPLE_EXAM = (REPO / "docs" / "examples" / "exam_example.yaml").read_text(encoding="utf-8")

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["2025-02-30", "yes", "left", "12 mm", "1e999", "-.inf", "~", "[", "&a", "*a"]),
)
_keys = st.one_of(
    st.sampled_from(
        ["patient", "tests", "questionnaires", "screening", "exam_date", "format", "age_y",
         "left", "right", "navicular_drop", "drop_mm", "odi", "answers", "red_flags", "full_name",
         "cop_sway", "recording", "rate_hz", "items", "psfs", "activities"]
    ),
    st.text(max_size=8),
    st.integers(min_value=-3, max_value=12),
)  # fmt: skip
_documents = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(_keys, children, max_size=5)
    ),
    max_leaves=30,
)


def _score(path: Path) -> None:
    with contextlib.suppress(GroundUpError):
        score_exam_file(path)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@BUDGET
@given(doc=st.dictionaries(_keys, _documents, max_size=6))
def test_exam_documents_never_escape(tmp_path: Path, suffix: str, doc: dict) -> None:
    path = tmp_path / f"exam{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    else:
        import yaml

        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _score(path)


@BUDGET
@given(
    cut=st.integers(min_value=0, max_value=len(EXAMPLE_EXAM)),
    noise=st.binary(max_size=40),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]),
)
def test_damaged_exam_files_never_escape(
    tmp_path: Path, cut: int, noise: bytes, encoding: str
) -> None:
    text = EXAMPLE_EXAM[:cut]
    raw = (
        text.encode(encoding, errors="replace")
        + noise
        + EXAMPLE_EXAM[cut:].encode(encoding, errors="replace")
    )
    path = tmp_path / "exam.yaml"
    path.write_bytes(raw)
    _score(path)


_COP_HEADERS = [
    "time_s,cop_ap_mm,cop_ml_mm",
    "cop_ap_cm;cop_ml_cm",
    "Time[s]\tFz[N]\tCOPx[cm]\tCOPy[cm]",
    "Time\tGRFNET_Y\tCOPNET_X\tCOPNET_Z",
    "time_s,cop_ap_m,cop_ml_m,force_vertical_n",
]
_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.sampled_from(["", "nan", "1e300", "-1e300", "0", "x", "1,5", " "]),
)


@BUDGET
@given(header=st.sampled_from(_COP_HEADERS), rows=st.lists(st.lists(_cells, max_size=5),
       max_size=60), regular=st.booleans())  # fmt: skip
def test_cop_tables_never_escape(tmp_path: Path, header: str, rows: list, regular: bool) -> None:
    sep = "\t" if "\t" in header else ";" if ";" in header else ","
    n_cols = len(header.split(sep))
    lines = [header]
    for i, row in enumerate(rows):
        cells = row[:n_cols]
        if regular and "ime" in header.split(sep)[0]:
            cells = [f"{i * 0.01:.2f}", *cells[1:]]
        lines.append(sep.join(cells))
    path = tmp_path / "cop.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with contextlib.suppress(GroundUpError):
        analyze_cop_recording(path, rate_hz=100.0 if "ime" not in header else None)


@BUDGET
@given(
    scale_exp=st.integers(min_value=-320, max_value=308),
    offset=st.sampled_from([0.0, 1e3, -1e6, 1e300]),
    constant=st.booleans(),
    nan_every=st.sampled_from([0, 7, 500]),
    unit=st.sampled_from(["mm", "cm", "m"]),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_cop_recordings_of_any_magnitude_never_escape(
    tmp_path: Path,
    scale_exp: int,
    offset: float,
    constant: bool,
    nan_every: int,
    unit: str,
    seed: int,
) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 2000  # 20 s at 100 Hz
    with np.errstate(over="ignore", invalid="ignore"):
        walk = np.zeros((n, 2)) if constant else np.cumsum(rng.normal(size=(n, 2)), axis=0)
        values = offset + walk * 10.0**scale_exp
    if nan_every:
        values[::nan_every] = np.nan
    lines = [f"time_s,cop_ap_{unit},cop_ml_{unit}"]
    lines += [f"{i / 100:.2f},{a!r},{b!r}" for i, (a, b) in enumerate(values)]
    path = tmp_path / "cop.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with contextlib.suppress(GroundUpError):
        analyze_cop_recording(path)


@BUDGET
@given(raw=st.binary(max_size=400))
def test_cop_bytes_never_escape(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "cop.txt"
    path.write_bytes(raw)
    with contextlib.suppress(GroundUpError):
        read_cop(path, rate_hz=100.0)


def _trc_text(rate: str, units: str, n_frames: str, markers: list[str], rows: list) -> str:
    n = len(markers)
    coords = "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(n))
    lines = [
        "PathFileType\t4\t(X/Y/Z)\tfuzz.trc",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame"
        "\tOrigNumFrames",
        f"{rate}\t{rate}\t{n_frames}\t{n}\t{units}\t{rate}\t1\t{n_frames}",
        "Frame#\tTime\t" + "\t\t\t".join(markers),
        coords,
        "",
    ]
    for i, row in enumerate(rows):
        lines.append("\t".join([str(i + 1), *row]))
    return "\n".join(lines) + "\n"


@BUDGET
@given(
    rate=st.sampled_from(["100", "0", "-5", "nan", "1e400", "abc", "30", ""]),
    units=st.sampled_from(["mm", "m", "cm", "px", "furlong", ""]),
    n_frames=st.sampled_from(["3", "0", "-1", "x", "99999999999"]),
    markers=st.lists(st.sampled_from(["LHEE", "RHEE", "LTOE", "RTOE", "LASI", "RASI", "", "X"]),
                     max_size=5),
    rows=st.lists(st.lists(_cells, max_size=17), max_size=12),
)  # fmt: skip
def test_trc_files_never_escape(
    tmp_path: Path, rate: str, units: str, n_frames: str, markers: list, rows: list
) -> None:
    path = tmp_path / "fuzz.trc"
    path.write_text(_trc_text(rate, units, n_frames, markers, rows), encoding="utf-8")
    with contextlib.suppress(GroundUpError):
        read_trc(path)


@BUDGET
@given(raw=st.binary(max_size=400))
def test_trc_bytes_never_escape(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.trc"
    path.write_bytes(b"PathFileType\t4\t(X/Y/Z)\tf.trc\n" + raw)
    with contextlib.suppress(GroundUpError):
        read_trc(path)
