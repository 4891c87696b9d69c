"""Nothing lost: a failed, refused or killed visit leaves the earlier results in the output
folder byte-identical, or a complete new set replaces them; never a mix, never temporary files.

The earlier visit is a complete one (C3D trial, exam, report); every failure kind then runs a new
visit into the same folder: a bad option, a bad exam, a bad previous plan, an unknown precaution,
a report that fails part-way (a full disk at the handout, and a bug), a full disk (a file-size
limit on the process, so the operating system refuses the write) and kill -9 at random points.
"""

from __future__ import annotations

import errno
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from groundup.errors import GroundUpError
from tests.robustness.helpers import (
    EXAM,
    SAMPLE_C3D,
    assert_user_message,
    folder_state,
    run_main,
)

OLD_MTIME_S = 1_000_000_000.0  # 2001: every file of the earlier visit carries this time
USERS_OWN = "notes.txt"


@pytest.fixture(scope="module")
def earlier_visit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete visit with its report, plus a file of the user's own."""
    from groundup.pipeline import RecordingOptions, run_visit

    folder = tmp_path_factory.mktemp("earlier") / "visit"
    run_visit([SAMPLE_C3D], folder, exam_path=EXAM, options=RecordingOptions())
    (folder / USERS_OWN).write_text("my own notes", encoding="utf-8")
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (OLD_MTIME_S, OLD_MTIME_S))
    return folder


@pytest.fixture
def visit(earlier_visit: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "visit"
    shutil.copytree(earlier_visit, folder, copy_function=shutil.copy2)
    return folder


def _leftovers(folder: Path) -> list[str]:
    inside = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    beside = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]
    return inside + beside


def _assert_untouched(folder: Path, before: dict[str, str]) -> None:
    assert folder_state(folder) == before
    assert _leftovers(folder) == []


def _bad_exam(tmp_path: Path) -> Path:
    text = EXAM.read_text(encoding="utf-8").replace("drop_mm: {left: 12", "drop_mm: {left: 99")
    path = tmp_path / "exam_bad_value.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_earlier_visit_is_complete(earlier_visit: Path) -> None:
    names = {p.name for p in earlier_visit.iterdir()}
    assert {"analysis.json", "exam.json", "chain.json", "plan.json", "report.html",
            "report.pdf", "handout.pdf", "report_files", USERS_OWN} <= names  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind",
    ["bad_option", "impossible_date", "exam_value_error", "previous_not_a_plan",
     "previous_truncated", "unknown_precaution", "missing_recording"],
)  # fmt: skip
def test_refused_visit_leaves_earlier_results(
    visit: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    before = folder_state(visit)
    args = ["analyze", str(SAMPLE_C3D), "--exam", str(EXAM), "--out", str(visit)]
    if kind == "bad_option":
        args += ["--cutoff-hz", "0.2"]
    elif kind == "impossible_date":
        bad = tmp_path / "exam_date.yaml"
        bad.write_text(EXAM.read_text().replace("2025-03-14", "2025-02-30"), encoding="utf-8")
        args[3] = str(bad)
    elif kind == "exam_value_error":
        args[3] = str(_bad_exam(tmp_path))
    elif kind == "previous_not_a_plan":
        args += ["--previous", str(visit / "exam.json")]
    elif kind == "previous_truncated":
        cut = tmp_path / "plan.json"
        cut.write_text((visit / "plan.json").read_text()[:500], encoding="utf-8")
        args += ["--previous", str(cut)]
    elif kind == "unknown_precaution":
        args += ["--precaution", "flying"]
    else:
        args[1] = str(tmp_path / "missing.c3d")
    code, text = run_main(capsys, *args)
    assert_user_message(code, text)
    _assert_untouched(visit, before)


@pytest.mark.slow
def test_exam_errors_are_all_printed(
    visit: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAM.read_text(encoding="utf-8")
    for old, new in [("drop_mm: {left: 12", "drop_mm: {left: 99"), ("age_y: 46", "age_y: 460"),
                     ("count: {left: 17", "count: {left: -3")]:  # fmt: skip
        text = text.replace(old, new)
    exam = tmp_path / "three_errors.yaml"
    exam.write_text(text, encoding="utf-8")
    code, out = run_main(capsys, "analyze", "--exam", str(exam), "--out", str(visit))
    assert_user_message(code, out)
    assert out.count("Exam error:") == 3, out
    for field in ("navicular_drop.drop_mm.left", "patient.age_y", "heel_raise.count.left"):
        assert field in out


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["disk_full_at_handout", "bug_at_handout"])
def test_report_failing_part_way_leaves_earlier_results(
    visit: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    import groundup.report.pdf as pdf

    before = folder_state(visit)

    class FailingHandoutPrinter(pdf.PdfInAnotherProcess):
        """The report's PDF prints as usual; the handout's fails when it is awaited."""

        def start(self, html: str, base_dir: Path, path: Path, images_later: bool = False) -> None:
            self.failing = path.name == "handout.pdf"
            if not self.failing:
                super().start(html, base_dir, path, images_later)

        def wait(self) -> None:
            if not self.failing:
                super().wait()
                return
            if failure == "disk_full_at_handout":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "handout.pdf")
            raise RuntimeError("a bug in the handout")

    monkeypatch.setattr(pdf, "PdfInAnotherProcess", FailingHandoutPrinter)
    code, text = run_main(capsys, "analyze", str(SAMPLE_C3D), "--exam", str(EXAM), "--out",
                          str(visit))  # fmt: skip
    if failure == "disk_full_at_handout":
        assert_user_message(code, text)
        assert code == 1 and "disk is full" in text
    else:
        assert code == 3 and "internal error" in text
    assert "Nothing was written; earlier results were left as they were" in text
    _assert_untouched(visit, before)


def _limit_file_size(max_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@pytest.mark.slow
def test_full_disk_leaves_earlier_results(visit: Path) -> None:
    """The operating system refuses to write beyond 64 kB (analysis.json is larger)."""
    before = folder_state(visit)
    result = subprocess.run(
        [sys.executable, "-c", "from groundup.cli import main; main()", "analyze",
         str(SAMPLE_C3D), "--exam", str(EXAM), "--out", str(visit), "--no-report"],
        capture_output=True, text=True, preexec_fn=lambda: _limit_file_size(64_000),
        timeout=600,
    )  # fmt: skip
    text = " ".join((result.stdout + result.stderr).split())
    assert_user_message(result.returncode, text)
    assert result.returncode == 1
    _assert_untouched(visit, before)


NEW_VISIT = {"analysis.json", "chain.json", "plan.json", USERS_OWN}


def _new_visit_command(folder: Path) -> list[str]:
    """A visit whose complete set differs from the earlier one: no exam, no report."""
    return [sys.executable, "-c", "from groundup.cli import main; main()", "analyze",
            str(SAMPLE_C3D), "--out", str(folder), "--no-report"]  # fmt: skip


def _classify(folder: Path, before: dict[str, str], started_s: float) -> str:
    """ "earlier" (byte-identical), "new" (a complete new set) or "mixed"."""
    state = folder_state(folder)
    if state == before:
        return "earlier"
    names = {p.name for p in folder.iterdir()}
    ours = [p for p in folder.iterdir() if p.name != USERS_OWN]
    if (
        names == NEW_VISIT
        and all(p.stat().st_mtime >= started_s - 1 for p in ours)
        and state[USERS_OWN] == before[USERS_OWN]
    ):
        for p in ours:
            json.loads(p.read_text(encoding="utf-8"))  # complete documents
        return "new"
    return "mixed"


@pytest.mark.slow
def test_kill_9_at_random_points_never_mixes_two_visits(visit: Path) -> None:
    rng = random.Random(20)
    # How long a complete new visit takes here (the kill points are spread over it).
    probe = visit.parent / "probe"
    shutil.copytree(visit, probe, copy_function=shutil.copy2)
    t0 = time.monotonic()
    subprocess.run(_new_visit_command(probe), check=True, capture_output=True, timeout=600)
    duration_s = time.monotonic() - t0
    before = folder_state(visit)
    outcomes: list[str] = []
    for _ in range(12):
        if outcomes and outcomes[-1] == "new":  # start again from the earlier visit
            shutil.rmtree(visit)
            shutil.copytree(probe.parent / "visit_earlier", visit, copy_function=shutil.copy2)
        if not (visit.parent / "visit_earlier").exists():
            shutil.copytree(visit, visit.parent / "visit_earlier", copy_function=shutil.copy2)
        started = time.time()
        process = subprocess.Popen(
            _new_visit_command(visit), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.2, 1.1) * duration_s)
        process.send_signal(signal.SIGKILL)
        process.wait()
        outcome = _classify(visit, before, started)
        assert outcome != "mixed", sorted(p.name for p in visit.iterdir())
        assert not [p.name for p in visit.iterdir() if p.name.startswith(".")]
        outcomes.append(outcome)
    print(f"kill -9 outcomes ({duration_s:.1f} s visit): {outcomes}")
    # The next run into the folder removes what the killed runs left beside it.
    subprocess.run(_new_visit_command(visit), check=True, capture_output=True, timeout=600)
    assert _classify(visit, before, 0.0) == "new"
    assert _leftovers(visit) == []
    assert "earlier" in outcomes  # killed before the swap: the earlier visit, byte-identical


def test_staged_folder_keeps_users_files_and_restricts_modes(tmp_path: Path) -> None:
    from groundup.output import staged_folder

    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    (out / "old.json").write_text("old")
    with staged_folder(out, lambda name: name.endswith(".json")) as folder:
        (folder / "new.json").write_text("new")
        (folder / "sub").mkdir()
        (folder / "sub" / "x.png").write_bytes(b"png")
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "new.json", "sub"]
    assert (out / "new.json").stat().st_mode & 0o777 == 0o600
    assert (out / "sub").stat().st_mode & 0o777 == 0o700
    assert (out / "sub" / "x.png").stat().st_mode & 0o777 == 0o600
    with pytest.raises(GroundUpError), staged_folder(out, lambda n: True) as folder:
        (folder / "half.json").write_text("{")
        raise GroundUpError("stopped", "")
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "new.json", "sub"]
    assert _leftovers(out) == []


class _Killed(BaseException):
    """Stands for kill -9 between two moves (nothing of the process runs after it)."""


@pytest.mark.parametrize("moves_before_kill", [0, 1, 2])
def test_out_as_current_folder_killed_during_the_moves_is_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moves_before_kill: int
) -> None:
    """Where the output folder is the current folder, the new set is moved in one entry at a
    time; a kill between two moves leaves a committed list that the next run finishes, so the
    folder ends with the whole new set (never the earlier run's files beside the new ones)."""
    import groundup.output as output

    out = tmp_path / "visit"
    out.mkdir()
    (out / USERS_OWN).write_text("my own notes", encoding="utf-8")
    (out / "analysis.json").write_text("earlier")
    (out / "plan.json").write_text("earlier")
    (out / "report_files").mkdir()
    (out / "report_files" / "old.png").write_bytes(b"earlier")
    monkeypatch.chdir(out)
    real_replace = os.replace
    calls = {"n": 0}

    def replace_then_die(src: object, dst: object) -> None:
        if calls["n"] == moves_before_kill:
            raise _Killed
        calls["n"] += 1
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(output.os, "replace", replace_then_die)
    claimed = {"analysis.json", "plan.json", "exam.json", "report_files"}
    with pytest.raises(_Killed), output.staged_folder(out, lambda n: n in claimed) as folder:
        (folder / "analysis.json").write_text("new")
        (folder / "exam.json").write_text("new")
        (folder / "report_files").mkdir()
        (folder / "report_files" / "new.png").write_bytes(b"new")
    monkeypatch.setattr(output.os, "replace", real_replace)
    monkeypatch.setattr(output, "_pid_alive", lambda pid: False)  # the killed process is gone
    output.recover_interrupted(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "analysis.json", "exam.json", USERS_OWN, "report_files",
    ]  # fmt: skip
    assert (out / "analysis.json").read_text() == "new"
    assert (out / "exam.json").read_text() == "new"
    assert [p.name for p in (out / "report_files").iterdir()] == ["new.png"]
    assert (out / USERS_OWN).read_text(encoding="utf-8") == "my own notes"
