"""Nothing leaked: no identifier outside the exam's allow-list and no absolute path in any file
GroundUp writes, nor on screen; every file written is readable by its owner only (0600)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.robustness.helpers import EXAM, SAMPLE_C3D, run_main

IDENTIFIERS = {
    "full_name": "Johanna Quirinius-Mbeki",
    "date_of_birth": "1961-07-23",
    "nhs_number": "943 476 5919",
    "address": "17 Larkspur Close",
}
PATIENT_FOLDER = "Quirinius_Johanna_visits"  # folders often name the patient


def _exam_with_identifiers(folder: Path) -> Path:
    lines = []
    for line in EXAM.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        if line.startswith("patient:"):
            lines += [f"  {k}: {v}" for k, v in IDENTIFIERS.items()]
        if line.startswith("  navicular_drop:"):
            lines.append(f"    examiner_note: {IDENTIFIERS['full_name']}")
    lines.append(f"referrer: Dr {IDENTIFIERS['full_name']}")
    path = folder / "exam_with_identifiers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _texts_of(path: Path) -> list[str]:
    """The file's bytes as text, and for a PDF its extracted text too."""
    raw = path.read_bytes()
    texts = [raw.decode("latin-1")]
    if path.suffix == ".pdf" and shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
        texts.append(out.stdout)
    return texts


def _forbidden(folder: Path) -> list[str]:
    words = [*IDENTIFIERS.values(), "Quirinius", "Johanna", PATIENT_FOLDER, str(folder.parent)]
    return [w for w in words if w]


def _grep_every_file(out: Path, forbidden: list[str]) -> list[str]:
    hits = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        for text in _texts_of(path):
            hits += [f"{path.name}: {w}" for w in forbidden if w in text]
    return hits


def test_identifiers_in_an_exam_are_refused_and_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / PATIENT_FOLDER
    folder.mkdir()
    exam = _exam_with_identifiers(folder)
    out = folder / "out"
    code, screen = run_main(capsys, "analyze", "--exam", str(exam), "--out", str(out))
    assert code == 2 and not out.exists()
    for field in ("patient.full_name", "patient.date_of_birth", "patient.nhs_number",
                  "referrer", "navicular_drop.examiner_note"):  # fmt: skip
        assert field in screen, field
    assert not [w for w in IDENTIFIERS.values() if w in screen], screen
    # `exam score` writes exam.json with the errors listed: the values are not in it.
    code, screen = run_main(capsys, "exam", "score", str(exam), "--out", str(out))
    assert code == 2
    assert not [w for w in IDENTIFIERS.values() if w in screen]
    assert _grep_every_file(out, list(IDENTIFIERS.values())) == []
    assert (out / "exam.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_a_whole_visit_writes_no_path_or_identifier_and_only_owner_readable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / PATIENT_FOLDER
    folder.mkdir()
    trial = folder / "walk_1.c3d"
    shutil.copy(SAMPLE_C3D, trial)
    exam = folder / "exam.yaml"
    shutil.copy(EXAM, exam)
    out = folder / "results"
    code, screen = run_main(capsys, "analyze", str(trial), "--exam", str(exam), "--out", str(out))
    assert code == 0, screen
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"analysis.json", "exam.json", "chain.json", "plan.json",
                                          "report.html", "report.pdf", "handout.pdf"}  # fmt: skip
    hits = _grep_every_file(out, _forbidden(folder))
    assert hits == [], hits
    # The recording is named by its file name only, and the report hides even that.
    analysis = (out / "analysis.json").read_text(encoding="utf-8")
    assert '"path": "walk_1.c3d"' in analysis
    for name in ("report.html", "report.pdf", "handout.pdf"):
        assert not [t for t in _texts_of(out / name) if "walk_1" in t], name
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in written}
    assert set(modes.values()) == {"0o600"}, modes
    folders = [out, *[p for p in out.rglob("*") if p.is_dir()]]
    assert {oct(p.stat().st_mode & 0o777) for p in folders} == {"0o700"}
