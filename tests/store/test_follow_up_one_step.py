"""`groundup visit record PATIENT RECORDING --exam --out`: analyse and record in one step; at a
follow-up the previous plan and the questionnaire baselines come from the store."""

from __future__ import annotations

import json

import yaml

from groundup.store import api
from tests.store.conftest import REPO_ROOT

RECORDING = REPO_ROOT / "samples" / "smk_overground.c3d"
EXAMPLE_EXAM = REPO_ROOT / "docs" / "examples" / "exam_example.yaml"


def test_one_step_follow_up_uses_the_store(store, tmp_path):
    exam = yaml.safe_load(EXAMPLE_EXAM.read_text())
    for name in ("odi", "rmdq", "pain_nrs", "psfs"):  # no baselines: the store supplies them
        exam["questionnaires"][name].pop("baseline_pct", None)
        exam["questionnaires"][name].pop("baseline", None)
    first = tmp_path / "exam_1.yaml"
    first.write_text(yaml.safe_dump(exam, sort_keys=False))
    exam["exam_date"] = "2025-04-11"
    exam["questionnaires"]["pain_nrs"]["current"] = 2
    second = tmp_path / "exam_2.yaml"
    second.write_text(yaml.safe_dump(exam, sort_keys=False))

    p = api.add_patient("Jon Example")
    for k, exam_path in enumerate((first, second), start=1):
        done = store.cli("visit", "record", p, str(RECORDING), "--exam", str(exam_path),
                         "--out", str(tmp_path / f"visit_{k}"), "--no-report")
        assert f"Recorded visit {k}" in done.stdout
    plan_1 = json.loads((tmp_path / "visit_1" / "plan.json").read_text())
    plan_2 = json.loads((tmp_path / "visit_2" / "plan.json").read_text())
    assert plan_1["visit"]["kind"] == "initial"
    assert plan_2["visit"]["kind"] == "follow_up"
    assert plan_2["visit"]["previous_exam_date"] == "2025-03-14"
    pain = next(c for c in plan_2["progress"]["outcome_changes"] if c["outcome"] == "pain_nrs")
    assert (pain["before"], pain["now"], pain["improved_by_mcid"]) == (5, 2, True)
    exam_2 = json.loads((tmp_path / "visit_2" / "exam.json").read_text())
    nrs = exam_2["questionnaires"]["pain_nrs"]["results"]["change_from_baseline"]
    assert (nrs["baseline"], nrs["change"]) == (5.0, -3.0)
    exam_1 = json.loads((tmp_path / "visit_1" / "exam.json").read_text())
    assert "change_from_baseline" not in exam_1["questionnaires"]["pain_nrs"]["results"]
    assert not list(tmp_path.glob(".*with-baseline*"))  # the filled-in exam input is removed
    shown = api.show_patient(p)
    assert [v["media"] for v in shown.visits] == [["recording: recording_1.c3d"]] * 2
