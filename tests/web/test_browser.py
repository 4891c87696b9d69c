"""Must 1 and 4: a therapist's course of care in a real browser (Playwright driving Debian's
Chromium against ``groundup serve``), on SQLite and PostgreSQL; and the audit trail holds an
entry for every view, create, change, export and delete done on the way.

Sign in, create a patient, start a visit, upload a real recording from the lab sample (C3D),
fill the exam (a wrong unit first: the CLI's message appears beside the field), watch the
analysis progress, open the report, download the PDF, change the plan, record a second visit
with better questionnaire scores and see the progress chart change. Screenshots are kept in
tests/web/artefacts/<backend>/ (git-ignored).
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.store_fixtures import SAMPLE_C3D
from tests.web.browser import browser_page, check_page, shot, worker_paused
from tests.web.conftest import ARTEFACTS

PASSWORD = "walk-the-chain-2026"
ANALYSIS_TIMEOUT_MS = 900_000


def sqlite_file(web_store: Any) -> Path | None:
    from groundup.store.setup import SQLITE_NAME

    return None if web_store.database_url else web_store.data_dir / SQLITE_NAME


def pdf_text(path: Any) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True)
    return " ".join(out.stdout.split())


def sign_in(page: Any, base: str) -> None:
    page.goto(base)
    assert "/login/" in page.url
    page.fill("#id_username", "therapist")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base)


def fill_exam(page: Any, *, pain_now: str, odi_answer: str, wrong_unit_first: bool) -> None:
    from groundup.exam.catalogue import load_catalogue

    page.click("text=Fill in the exam")
    check_page(page)
    page.fill("#f-exam_date", time.strftime("%Y-%m-%d"))
    page.fill("#f-patient-age_y", "46")
    page.select_option("#f-patient-sex", "female")
    page.fill("#f-patient-mass_kg", "71.5")
    page.fill("#f-patient-height_cm", "167")
    for flag in load_catalogue().screening["red_flags"]["flags"]:
        page.check(f"#f-screening-red_flags-{flag}-no")
    page.check("#f-screening-warning_signs-back_tension_after_standing_or_walking-yes")
    page.fill("#f-tests-navicular_drop-drop_mm-left", "12")
    page.fill("#f-tests-navicular_drop-drop_mm-right", "1.2 cm" if wrong_unit_first else "7")
    page.fill("#f-tests-single_leg_stance-eyes_open_s-left", "28")
    page.fill("#f-tests-single_leg_stance-eyes_open_s-right", "45")
    page.fill("#f-questionnaires-pain_nrs-current", pain_now)
    page.fill("#f-questionnaires-pain_nrs-worst_24h", "7")
    for section in ("pain_intensity", "personal_care", "lifting", "walking", "sitting",
                    "standing", "sleeping", "social_life", "travelling"):
        page.select_option(f"#f-questionnaires-odi-answers-{section}", odi_answer)
    page.click("text=Save the exam")


def upload(page: Any, path: Any) -> None:
    page.set_input_files("#recordings", str(path))
    page.click("button:has-text('Upload')")
    page.wait_for_load_state()


def start_analysis(page: Any) -> None:
    """Start the analysis and wait until the job page shows it running, with a stage."""
    page.click("button:has-text('Start the analysis')")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    check_page(page)
    page.wait_for_function(RUNNING_JS, timeout=ANALYSIS_TIMEOUT_MS)


# The job page, as its script updates it: running (or already past it), with a stage named.
RUNNING_JS = """() => ['running', 'done', 'failed', 'cancelled'].includes(
  document.getElementById('job-state').textContent) &&
  document.getElementById('job-stage').textContent.trim().length > 0"""
# The stage and frames per second, once the page shows frames per second.
FPS_SHOWN_JS = """() => { const fps = document.getElementById('job-fps').textContent;
  return fps ? [document.getElementById('job-stage').textContent, fps] : false; }"""


def watch_analysis(page: Any, folder: Any, name: str) -> dict[str, Any]:
    """Read the live progress the page shows (its own script polls) until the job ends."""
    seen: dict[str, Any] = {"states": set(), "stages": [], "percents": [], "fps": [],
                            "frame_stages": 0}
    mid_shot = False
    deadline = time.monotonic() + ANALYSIS_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        state = page.inner_text("#job-state")
        stage = page.inner_text("#job-stage")
        fps = page.inner_text("#job-fps")
        seen["states"].add(state)
        assert stage.strip(), "the page shows no stage"
        if not seen["stages"] or seen["stages"][-1] != stage:
            seen["stages"].append(stage)
        seen["percents"].append(int(page.inner_text("#job-percent").split()[0]))
        if "frames)" in stage:
            seen["frame_stages"] += 1
        if fps:
            seen["fps"].append(float(fps.split()[0]))
        if state == "running" and not mid_shot and (fps or seen["percents"][-1] > 0):
            shot(page, folder, f"{name}_progress")
            mid_shot = True
        if state in ("done", "failed", "cancelled"):
            break
        page.wait_for_timeout(500)  # the page's script polls the server; this reads the page
    assert state == "done", (state, page.inner_text("#job-message"))
    page.wait_for_selector("#job-report-link", state="visible")
    return seen


@pytest.mark.slow
def test_course_of_care_in_the_browser(server, web_store):
    from groundup.store.models import AuditEntry

    folder = ARTEFACTS / web_store.backend
    base = server.url
    with browser_page() as page:
        # Sign in (a wrong password first: refused with a message).
        page.goto(base + "login/")
        check_page(page)
        page.fill("#id_username", "therapist")
        page.fill("#id_password", "not-the-password")
        page.click("button[type=submit]")
        assert "not right" in page.inner_text("main")
        sign_in(page, base)
        shot(page, folder, "01_patients_empty")

        # Create a patient.
        page.click("main >> text=New patient")
        check_page(page)
        page.fill("#full_name", "Greta Example")
        page.fill("#birth_date", "14/03/1979")
        page.click("button:has-text('Add patient')")
        page.wait_for_url(re.compile(r"/patients/GU-[A-Z0-9]{8}/$"))
        pseudonym = page.url.rstrip("/").rsplit("/", 1)[1]
        assert "Born 14 Mar 1979" in page.inner_text("main")
        assert "Greta" not in page.url
        check_page(page)
        shot(page, folder, "02_patient_new")

        # Start a visit; a file that is no recording is refused; upload the real C3D twice
        # and remove one (a delete).
        page.click("button:has-text('Start a new visit')")
        page.wait_for_url(re.compile(r"/drafts/[0-9a-f-]+/$"))
        check_page(page)
        page.set_input_files("#recordings", files=[{
            "name": "notes.mp4", "mimeType": "video/mp4", "buffer": b"not a video at all" * 50}])
        page.click("button:has-text('Upload')")
        assert "A file was refused" in page.inner_text(".messages")
        upload(page, SAMPLE_C3D)
        upload(page, SAMPLE_C3D)
        assert page.locator("li.upload").count() == 2
        page.locator("button:has-text('Remove')").first.click()
        page.wait_for_load_state()
        assert page.locator("li.upload").count() == 1
        shot(page, folder, "03_visit_upload")

        # The analysis starts; its live progress shows; the exam is filled in while it runs
        # (the worker held still meanwhile, so that the exam comes in the middle of the
        # analysis on any machine). A value in the wrong unit gets the CLI's message beside
        # the field.
        start_analysis(page)
        assert page.inner_text("#job-state") == "running"
        shot(page, folder, "04_progress_before_exam")
        with worker_paused(server.worker_pids(), sqlite_file(web_store)):
            fill_exam(page, pain_now="6", odi_answer="3", wrong_unit_first=True)
            error = page.inner_text("#f-tests-navicular_drop-drop_mm-right-err")
            assert "1.2 cm = 12 mm" in error, error
            shot(page, folder, "04_exam_error")
            page.fill("#f-tests-navicular_drop-drop_mm-right", "7")
            page.click("text=Save the exam")
            page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
            assert "Exam saved" in page.inner_text(".messages")
            assert page.inner_text("#job-state") == "running"
        progress = watch_analysis(page, folder, "05")
        assert "running" in progress["states"]
        assert len(progress["stages"]) >= 3, progress["stages"]
        assert any("with the exam saved during the analysis" in st
                   for st in progress["stages"]), progress["stages"]
        assert max(progress["percents"]) == 100
        shot(page, folder, "05_done")

        # The report: numbers, plan, PDF download.
        page.click("#job-report-link")
        page.wait_for_url(re.compile(r"/visits/[0-9a-f]{16}/$"))
        check_page(page)
        assert "Visit 1" in page.inner_text("h1")
        assert "Exam findings" in page.inner_text("main")  # the exam filled in during the run
        with page.expect_download() as dl:
            page.click("#report-pdf")
        pdf = dl.value.path().read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
        assert "Plan changed by the therapist" not in pdf_text(dl.value.path())
        assert dl.value.suggested_filename == "visit1_report.pdf"
        shot(page, folder, "06_report")

        # The therapist changes the plan: fewer sets for the first exercise.
        page.click("text=Change the plan")
        check_page(page)
        page.fill("[id='ex0.sets']", "2")
        page.fill("#note", "Patient tires quickly; start with two sets.")
        page.click("button:has-text('Save the change')")
        edited = page.inner_text("#plan-edited")
        assert "therapist therapist" in edited and "two sets" in edited
        assert re.search(r"Glute bridge: sets \d+ → 2|: sets \d+ → 2", page.inner_text("main"))
        shot(page, folder, "07_plan_changed")
        # The report written again shows the plan as the therapist's.
        with page.expect_download() as dl:
            page.click("#report-pdf")
        assert dl.value.suggested_filename == "visit1_report.pdf"
        text = pdf_text(dl.value.path())
        assert "Plan changed by the therapist therapist" in text, text[:2000]
        assert "start with two sets" in text

        # Patient page: the visit in the timeline, progress with one visit.
        page.goto(base + f"patients/{pseudonym}/")
        first_table = page.inner_text("#progress-table")
        chart_1 = page.request.get(base + f"patients/{pseudonym}/progress.png").body()
        assert chart_1.startswith(b"\x89PNG")
        shot(page, folder, "08_patient_one_visit")

        # A second visit: better pain and ODI; the chart and table change.
        page.click("button:has-text('Start a new visit')")
        page.wait_for_url(re.compile(r"/drafts/[0-9a-f-]+/$"))
        upload(page, SAMPLE_C3D)
        fill_exam(page, pain_now="2", odi_answer="1", wrong_unit_first=False)
        assert "Exam saved" in page.inner_text(".messages")
        start_analysis(page)
        watch_analysis(page, folder, "09")
        page.goto(base + f"patients/{pseudonym}/")
        check_page(page)
        second_table = page.inner_text("#progress-table")
        chart_2 = page.request.get(base + f"patients/{pseudonym}/progress.png").body()
        shot(page, folder, "10_patient_two_visits")
        assert second_table != first_table
        assert "Visit 2" in second_table and "Visit 2" not in first_table
        pain_row = next(r for r in second_table.splitlines() if "NRS" in r or "pain" in r.lower())
        assert "improved" in pain_row, pain_row
        assert chart_2 != chart_1

        # A clinic admin deletes a patient added by mistake.
        page.goto(base + "patients/new/")
        page.fill("#full_name", "Mistake Example")
        page.click("button:has-text('Add patient')")
        page.wait_for_url(re.compile(r"/patients/GU-[A-Z0-9]{8}/$"))
        mistake = page.url.rstrip("/").rsplit("/", 1)[1]
        page.fill("#confirm", mistake)
        page.click("button:has-text('Delete patient')")
        assert "deleted" in page.inner_text(".messages")

        # Search by name (sent by POST: the name is not in the URL).
        page.fill("#q", "Greta")
        page.click("button:has-text('Search')")
        assert "Greta Example" in page.inner_text("table")
        assert "Greta" not in page.url

        page.click("button:has-text('Sign out')")
        page.wait_for_url(re.compile(r"/login/"))
        page.goto(base + f"patients/{pseudonym}/")
        assert "/login/" in page.url

    # Must 4: the audit trail holds an entry for each view, create, change, export and
    # delete done above, by this user.
    entries = list(AuditEntry.objects.filter(actor="therapist"))
    done = {(e.action, e.object_type) for e in entries}
    expected = {
        ("view", "patient_list"), ("create", "patient"), ("view", "patient"),
        ("view", "progress"), ("view", "progress_chart"), ("create", "visit_draft"),
        ("view", "visit_draft"), ("create", "upload"), ("delete", "upload"),
        ("view", "exam_input"), ("create", "exam_input"), ("create", "analysis_job"),
        ("view", "analysis_job"), ("create", "visit"), ("view", "visit_report"),
        ("export", "report_pdf"), ("view", "plan"), ("change", "plan"),
        ("delete", "patient"),
    }
    assert expected <= done, expected - done
    assert {e.action for e in entries} == {"view", "create", "change", "export", "delete"}
    assert all(e.patient_ref in ("", pseudonym, mistake) for e in entries)
    # No names in the trail.
    assert not any("Greta" in str(e.detail) or "Greta" in e.object_ref for e in entries)
    two_visits = [e for e in entries if (e.action, e.object_type) == ("create", "visit")]
    assert len(two_visits) == 2
    print(f"audit entries of the browser session: {len(entries)}; kinds: {sorted(done)}")


FOCUSED_JS = """() => { const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName, text: (el.innerText || el.value || el.id || '').trim(),
          id: el.id, outline: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth)}; }"""


def tab_to(page: Any, text: str, limit: int = 40) -> dict[str, Any]:
    """Press Tab until the focused element shows ``text`` (or has it as id); return it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if text in (focused["text"], focused["id"]) or focused["text"].startswith(text):
            assert focused["outline"] != "none" and focused["outlineWidth"] >= 2, focused
            return focused
    raise AssertionError(f"{text!r} cannot be reached with the Tab key")


def test_keyboard_only_and_200_percent_zoom(server, web_store):
    """Sign in, add a patient and start a visit with the keyboard alone, every focus visible;
    then the pages at 200 % zoom (a 1280-pixel window shows 640 CSS pixels) need no sideways
    scrolling and every input has its label."""
    folder = ARTEFACTS / web_store.backend
    base = server.url
    with browser_page() as page:
        page.goto(base + "login/")
        # The user name field takes the focus by itself (autofocus): waited for, not assumed
        # (on a loaded machine the typing could come before the focus).
        page.wait_for_function("document.activeElement?.id === 'id_username'")
        page.keyboard.type("therapist")
        tab_to(page, "id_password")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(base)
        tab_to(page, "Skip to content")
        tab_to(page, "New patient")
        page.keyboard.press("Enter")
        page.wait_for_url(base + "patients/new/")
        tab_to(page, "full_name")
        page.keyboard.type("Kira Example")
        tab_to(page, "birth_date")
        page.keyboard.type("02/11/1985")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/patients/GU-[A-Z0-9]{8}/$"))
        assert "Born 2 Nov 1985" in page.inner_text("main")
        patient_url = page.url
        tab_to(page, "Start a new visit")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/drafts/[0-9a-f-]+/$"))
        draft_url = page.url
        tab_to(page, "recordings")  # the file chooser is reached too
        tab_to(page, "Fill in the exam")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/exam/$"))
        tab_to(page, "f-exam_date")

    with browser_page(width=640, height=450) as page:  # 1280 x 900 at 200 %
        page.goto(base + "login/")
        check_page(page)
        page.fill("#id_username", "therapist")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base)
        for k, url in enumerate((base, base + "patients/new/", patient_url, draft_url,
                                 draft_url + "exam/", base + "staff/")):
            page.goto(url)
            check_page(page)
            shot(page, folder, f"zoom200_{k}")


@pytest.mark.slow
def test_a_video_clip_in_the_browser(server, web_store, shared_data):
    """A real phone clip: while the pose runs the page shows its stage with the frame count and
    the frames per second (whatever the rhythm in which the pose run reports its frames); the
    report plays the annotated video (faces blurred) through the app."""
    clip = shared_data / "video" / "sagittal_indoor_two_walkers.mp4"
    folder = ARTEFACTS / web_store.backend
    base = server.url
    with browser_page() as page:
        sign_in(page, base)
        page.goto(base + "patients/new/")
        page.fill("#full_name", "Vera Example")
        page.click("button:has-text('Add patient')")
        page.wait_for_url(re.compile(r"/patients/GU-[A-Z0-9]{8}/$"))
        page.click("button:has-text('Start a new visit')")
        page.wait_for_url(re.compile(r"/drafts/[0-9a-f-]+/$"))
        upload(page, clip)
        assert "Video clip uploaded" in page.inner_text(".messages")
        start_analysis(page)
        # The pose stage shows up with its frame count and, with it, the frames per second.
        stage, fps = page.wait_for_function(FPS_SHOWN_JS, timeout=ANALYSIS_TIMEOUT_MS
                                            ).json_value()
        assert "frames)" in stage, stage
        shot(page, folder, "video_progress_fps")
        seen = watch_analysis(page, folder, "video")
        fps_shown = [float(fps.split()[0]), *seen["fps"]]
        assert all(0 < f < 1000 for f in fps_shown), fps_shown
        assert any("Pose in recording 1" in st for st in seen["stages"]), seen["stages"]
        assert not any(".mp4" in st for st in seen["stages"]), seen["stages"]  # stored names
        page.click("#job-report-link")
        page.wait_for_url(re.compile(r"/visits/[0-9a-f]{16}/$"))
        check_page(page)
        src = page.get_attribute("video", "src")
        assert src and src.startswith("/visits/")
        video = page.request.get(base.rstrip("/") + src)
        assert video.headers["content-type"] == "video/mp4"
        assert video.body()[4:8] == b"ftyp"
        page.wait_for_function("document.querySelector('video').readyState >= 1")
        assert page.evaluate("document.querySelector('video').duration") > 1.0
        shot(page, folder, "video_report")
    print(f"stages shown: {seen['stages'][:6]} ...; frames per second shown: {fps_shown[:3]}"
          f" ... {fps_shown[-3:]}")
