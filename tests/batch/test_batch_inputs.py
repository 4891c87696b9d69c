"""What a batch runs: folders, globs and manifest CSVs become recordings with stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundup.batch.inputs import collect_recordings, default_recording_id
from groundup.errors import InputError

from .helpers import write_manifest


def test_folder_and_glob_give_every_trial_once(c3d_dir: Path) -> None:
    trials = sorted(c3d_dir.glob("*.c3d"))
    from_folder = collect_recordings([str(c3d_dir)])
    assert [r.path for r in from_folder] == trials
    # A glob naming the same files again adds nothing.
    both = collect_recordings([str(c3d_dir), str(c3d_dir / "*.c3d")])
    assert [r.path for r in both] == trials
    # Ids are stable, distinct and say nothing about the file.
    ids = [r.recording_id for r in from_folder]
    assert ids == [default_recording_id(p) for p in trials]
    assert len(set(ids)) == len(ids)
    assert all(r.recording_id.startswith("rec-") and "btk" not in r.recording_id
               for r in from_folder)  # fmt: skip


def test_manifest_rows_carry_subject_group_view_height_and_exam(
    c3d_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "exam.yaml").write_text("patient: {}\n", encoding="utf-8")
    manifest = write_manifest(
        tmp_path / "cohort.csv",
        [
            {"path": str(c3d_dir / "smk_overground.c3d"), "subject_id": "S01",
             "group": "child", "height_m": "1.32", "exam": "exam.yaml"},
            {"path": str(c3d_dir / "btk_coda_demo.c3d"), "subject_id": "S02",
             "group": "adult", "view": "auto"},
        ],
    )  # fmt: skip
    first, second = collect_recordings([str(manifest)])
    assert (first.subject_id, first.group, first.height_m) == ("S01", "child", 1.32)
    assert first.exam == tmp_path / "exam.yaml"  # relative to the manifest's folder
    assert (second.group, second.view, second.exam) == ("adult", None, None)


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("path,patient_name", "a.c3d,x", "unknown column"),
        ("subject_id,group", "S1,g", "no 'path' column"),
        ("path,height_m", "a.c3d,172", "not a height in metres"),
        ("path,height_m", "a.c3d,tall", "is not a number"),
        ("path,view", "a.c3d,top", "unknown view"),
        ("path,recording_id", "a.c3d,../x", "may hold only"),
    ],
)
def test_bad_manifests_are_refused_with_the_line(
    tmp_path: Path, header: str, row: str, expected: str
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        collect_recordings([str(manifest)])
    assert expected in info.value.problem
    assert info.value.fix


def test_nothing_to_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no recording"):
        collect_recordings([str(tmp_path)])
    with pytest.raises(InputError, match="Nothing found"):
        collect_recordings([str(tmp_path / "missing.c3d")])
    with pytest.raises(InputError, match="No recordings given"):
        collect_recordings([])


def test_two_recordings_may_not_share_an_id(c3d_dir: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        f"path,recording_id\n{c3d_dir / 'smk_overground.c3d'},r1\n"
        f"{c3d_dir / 'btk_coda_demo.c3d'},r1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="two different recordings"):
        collect_recordings([str(manifest)])


def test_hidden_folders_inside_the_input_are_left_out_not_above_it(
    c3d_dir: Path, tmp_path: Path
) -> None:
    trials = tmp_path / ".project" / "trials"
    (trials / ".cache").mkdir(parents=True)
    (trials / "a.c3d").symlink_to(c3d_dir / "smk_overground.c3d")
    (trials / ".cache" / "b.c3d").symlink_to(c3d_dir / "btk_coda_demo.c3d")
    (trials / "notes.txt").write_text("not a recording\n", encoding="utf-8")
    assert [r.path.name for r in collect_recordings([str(trials)])] == ["a.c3d"]
    # A glob takes what it names.
    found = collect_recordings([str(trials / "**" / "*.c3d")])
    assert sorted(r.path.name for r in found) == ["a.c3d"]
    found = collect_recordings([str(trials / ".cache" / "*.c3d")])
    assert [r.path.name for r in found] == ["b.c3d"]
