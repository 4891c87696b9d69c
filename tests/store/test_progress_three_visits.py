"""Must show 1: three real visits of one patient. The sample walking clip is analysed once with
the example exam; two follow-ups reuse that gait analysis with changed exam values (scored,
reasoned and planned by the library, the previous plan and the questionnaire baselines taken
from the store). `groundup patient progress` then shows each outcome with its change and its
MCID verdict, and renders the plot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from groundup.store import api
from tests.store.conftest import GROUNDUP, REPO_ROOT

EXAMPLE_EXAM = REPO_ROOT / "docs" / "examples" / "exam_example.yaml"

# Follow-up exam values: (date, ODI answers changed, RMDQ ticked, NRS current, PSFS scores,
# single-leg stance eyes open left).
FOLLOW_UPS = [
    ("2025-04-11", {"pain_intensity": 1, "walking": 1, "sitting": 1, "lifting": 2,
                    "standing": 2}, [1, 4, 7, 9, 11, 15], 3, [6, 6, 7], 35),
    ("2025-05-09", {"pain_intensity": 1, "walking": 1, "sitting": 1, "lifting": 1,
                    "standing": 1, "sleeping": 0, "travelling": 0}, [4, 9, 15], 7, [7, 8, 8],
     40),
]


@pytest.fixture(scope="session")
def sample_clip_visit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's main job on the real sample clip, run once for the session."""
    clip = REPO_ROOT / "samples" / "sports2d_demo.mp4"
    if not clip.exists():  # fetched once (pip download of the sports2d package), then cached
        subprocess.run([*GROUNDUP, "sample-clip", "--out", str(clip.parent)], check=True,
                       cwd=REPO_ROOT, timeout=900)
    out = tmp_path_factory.mktemp("sample_clip") / "visit_1"
    subprocess.run([*GROUNDUP, "analyze", str(clip), "--exam", str(EXAMPLE_EXAM), "--out",
                    str(out)], check=True, capture_output=True, cwd=REPO_ROOT, timeout=1800)
    return out


def _follow_up_exam(folder: Path, spec: tuple) -> Path:
    day, odi, rmdq, nrs, psfs, sls_left = spec
    exam = yaml.safe_load(EXAMPLE_EXAM.read_text())
    exam["exam_date"] = day
    q = exam["questionnaires"]
    q["odi"]["answers"].update(odi)
    q["rmdq"]["ticked"] = rmdq
    q["pain_nrs"]["current"] = nrs
    for activity, score in zip(q["psfs"]["activities"], psfs, strict=True):
        activity["score"] = score
    exam["tests"]["single_leg_stance"]["eyes_open_s"]["left"] = sls_left
    for name in ("odi", "rmdq", "pain_nrs", "psfs"):  # the store supplies the first visit's
        q[name].pop("baseline_pct", None)
        q[name].pop("baseline", None)
    path = folder / "exam.yaml"
    path.write_text(yaml.safe_dump(exam, sort_keys=False))
    return path


def _derive_follow_up(pseudonym: str, first: Path, folder: Path, spec: tuple) -> Path:
    """A follow-up visit folder: the first visit's gait analysis, a new exam, and chain, plan
    and report made from them with the store's previous plan and baselines."""
    from groundup.exam.scoring import score_exam_file
    from groundup.output import write_json
    from groundup.plan import plan_visit
    from groundup.report import render_visit_report

    folder.mkdir(parents=True)
    exam_input = _follow_up_exam(folder.parent, spec)
    with_baselines = api.exam_with_baselines(exam_input, api.first_visit_baselines(pseudonym),
                                             folder.parent)
    exam = score_exam_file(with_baselines)
    analysis = json.loads((first / "analysis.json").read_text())
    chain, plan = plan_visit([analysis], exam, api.previous_plan(pseudonym), [])
    write_json(analysis, folder / "analysis.json", "analysis")
    write_json(exam, folder / "exam.json", "exam")
    write_json(chain, folder / "chain.json", "chain")
    write_json(plan, folder / "plan.json", "plan")
    render_visit_report(folder, analyses=[analysis], exam=exam, chain=chain, plan=plan,
                        key_frames=[], deidentify=True)
    return folder


@pytest.mark.slow
def test_three_real_visits_show_progress_against_mcid(store, sample_clip_visit, tmp_path):
    p = api.add_patient("Ines Example", birth_date=None)
    store.cli("visit", "record", p, "--from", str(sample_clip_visit))
    for k, spec in enumerate(FOLLOW_UPS, start=2):
        folder = _derive_follow_up(p, sample_clip_visit, tmp_path / f"visit_{k}", spec)
        store.cli("visit", "record", p, "--from", str(folder))
        plan = json.loads((folder / "plan.json").read_text())
        assert plan["visit"]["kind"] == "follow_up"  # the previous plan came from the store
        exam = json.loads((folder / "exam.json").read_text())
        odi_change = exam["questionnaires"]["odi"]["results"]["change_from_baseline"]
        assert odi_change["baseline"] == 35.6  # the first visit's ODI, from the store

    out = tmp_path / "progress"
    shown = store.cli("patient", "progress", p, "--out", str(out))
    print(shown.stdout)
    progress = json.loads((out / "progress.json").read_text())
    by_id = {m["id"]: m for m in progress["measures"]}
    assert [v["date"] for v in progress["visits"]] == ["2025-03-14", "2025-04-11", "2025-05-09"]
    expected = {
        # id: (values per visit, change from first, verdict of the last visit)
        "odi_pct": ([35.6, 24.4, 15.6], -20.0, "improved"),  # MCID 10 points (Ostelo 2008)
        "pain_nrs": ([5, 3, 7], 2, "worse"),  # MCID and MDC 2 points
        "rmdq": ([8, 6, 3], -5, "improved"),  # MCID 5 points
        "psfs": ([5.0, 6.33, 7.67], 2.67, "improved"),  # MCID 1.4, MDC of the mean 2
        "single_leg_stance_eyes_open_left_s": ([28, 35, 40], 12, "not judged"),
    }
    for key, (values, change, verdict) in expected.items():
        m = by_id[key]
        assert m["values"] == pytest.approx(values, abs=0.01), key
        assert m["change_from_first"] == pytest.approx(change, abs=0.01), key
        assert m["verdict"] == verdict, key
    # Visit 2 against visit 1: ODI -11.1 reaches the MCID; PSFS +1.33 and RMDQ -2 do not.
    assert by_id["odi_pct"]["verdicts"][1] == "improved"
    assert by_id["pain_nrs"]["verdicts"][1] == "improved"
    assert by_id["psfs"]["verdicts"][1] == "no real change"
    assert by_id["rmdq"]["verdicts"][1] == "no real change"
    # Gait numbers of the clip are followed too (the same clip: no change, no verdict).
    cadence = by_id["cadence_steps_per_min"]
    assert cadence["change_from_first"] == 0 and cadence["verdict"] == "not judged"
    assert 90 < cadence["values"][0] < 105
    for label in ("ODI (%)", "Pain NRS", "improved", "worse", "no real change"):
        assert label in shown.stdout
    plot = out / "progress.png"
    assert plot.stat().st_size > 20_000

    # The export of the three visits: the report PDF of each visit attached, all valid.
    from fhir.resources.R4B.bundle import Bundle

    export = api.export_patient(p, tmp_path / "export")
    bundle = json.loads(export.bundle.read_text())
    Bundle.model_validate(bundle)
    reports = [e["resource"] for e in bundle["entry"]
               if e["resource"]["resourceType"] == "DiagnosticReport"]
    assert len(reports) == 3
    assert all(r["presentedForm"][0]["contentType"] == "application/pdf" for r in reports)
