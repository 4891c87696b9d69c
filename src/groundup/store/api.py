"""The records store's library API: what the CLI calls, and what the web app's views will call.

Every function configures the store on first use (:func:`groundup.store.setup.configure_store`)
and writes an audit entry for what it does: create, view, change, export or delete. Patients
are named by their pseudonym (``GU-...``); identity is returned only when asked for.

Recording a visit writes the media first (content-addressed, each file complete or absent), then
all rows of the visit in one transaction: a crash leaves either the whole visit or none of it,
plus at most some media without a row, which :func:`check_store` finds and removes.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from groundup.store.errors import StoreError
from groundup.store.folder import VisitFolder, content_type, read_visit_folder
from groundup.store.setup import location

ACTOR_ENV = "GROUNDUP_USER"
# Test hook: seconds to pause between the steps of recording a visit (media files, rows), so a
# crash test can kill the process inside each step rather than mostly during start-up.
PAUSE_ENV = "GROUNDUP_STORE_TEST_PAUSE_S"
DEFAULT_CLINIC = "default clinic"


def current_actor() -> str:
    """Who is acting: ``GROUNDUP_USER``, else the login name of the operating system."""
    name = os.environ.get(ACTOR_ENV)
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _pause() -> None:
    pause_s = os.environ.get(PAUSE_ENV)
    if pause_s:
        import time

        time.sleep(float(pause_s))


def _models() -> Any:
    location()  # configures the store from the environment on first use
    from groundup.store import models

    return models


def audit(
    action: str,
    object_type: str,
    object_ref: str,
    *,
    patient_ref: str = "",
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Append one audit entry (no identifying data in it: pseudonyms and counts only)."""
    m = _models()
    m.AuditEntry.objects.create(
        actor=actor or current_actor(),
        action=action,
        object_type=object_type,
        object_ref=object_ref,
        patient_ref=patient_ref,
        detail=detail or {},
    )


def _actor_user(actor: str) -> Any:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=actor[:150])
    return user


def _patient(pseudonym: str, *, for_update: bool = False) -> Any:
    m = _models()
    query = m.Patient.objects.select_related("clinic")
    if for_update:  # PostgreSQL: lock the patient row only, not its clinic
        query = query.select_for_update(of=("self",))
    try:
        return query.get(pseudonym=pseudonym.strip().upper())
    except m.Patient.DoesNotExist:
        raise StoreError(
            f"No patient {pseudonym!r} in the store.",
            "`groundup patient list` shows the patients and their ids.",
        ) from None


# ---- patients -------------------------------------------------------------------------------


@dataclass
class PatientRecord:
    """A patient as the CLI and the web show it; identity fields only when asked for."""

    pseudonym: str
    clinic: str
    created_at: str
    n_visits: int
    first_visit: str | None = None
    last_visit: str | None = None
    full_name: str | None = None
    birth_date: str | None = None
    contact: str | None = None
    visits: list[dict[str, Any]] = field(default_factory=list)


def add_patient(
    full_name: str,
    *,
    birth_date: date | None = None,
    contact: str = "",
    clinic: str | None = None,
    actor: str | None = None,
) -> str:
    """Add a patient (identity kept in its own table); return the new pseudonym."""
    from django.db import IntegrityError, transaction

    m = _models()
    if not full_name.strip():
        raise StoreError("The patient's name is empty.", "Give the name with --name.")
    actor = actor or current_actor()
    for _ in range(5):  # a pseudonym collision (40 random bits) is retried with a new one
        try:
            with transaction.atomic():
                clinic_row, _ = m.Clinic.objects.get_or_create(name=clinic or DEFAULT_CLINIC)
                m.ClinicMembership.objects.get_or_create(
                    user=_actor_user(actor), clinic=clinic_row
                )
                patient = m.Patient.objects.create(clinic=clinic_row)
                m.PatientIdentity.objects.create(
                    patient=patient,
                    full_name=full_name.strip(),
                    birth_date=birth_date,
                    contact=contact.strip(),
                )
                audit("create", "patient", patient.pseudonym, patient_ref=patient.pseudonym,
                      actor=actor)
            return patient.pseudonym
        except IntegrityError:
            continue
    raise StoreError("No free patient id could be drawn.", "Try again.")


def _record(patient: Any, identified: bool, with_visits: bool = False) -> PatientRecord:
    visits = list(patient.visits.order_by("number"))
    rec = PatientRecord(
        pseudonym=patient.pseudonym,
        clinic=patient.clinic.name,
        created_at=patient.created_at.date().isoformat(),
        n_visits=len(visits),
        first_visit=visits[0].visit_date.isoformat() if visits else None,
        last_visit=visits[-1].visit_date.isoformat() if visits else None,
    )
    if identified and hasattr(patient, "identity"):
        ident = patient.identity
        rec.full_name = ident.full_name
        rec.birth_date = ident.birth_date.isoformat() if ident.birth_date else None
        rec.contact = ident.contact
    if with_visits:
        for v in visits:
            rec.visits.append(
                {
                    "number": v.number,
                    "uid": v.uid,
                    "date": v.visit_date.isoformat(),
                    "recorded_by": v.recorded_by,
                    "analyses": v.analyses.count(),
                    "exam": hasattr(v, "exam"),
                    "plan": hasattr(v, "plan"),
                    "media": [f"{mf.role}: {mf.name}" for mf in v.media.all()],
                }
            )
    return rec


def list_patients(*, identified: bool = False, actor: str | None = None) -> list[PatientRecord]:
    """Every patient, oldest first."""
    m = _models()
    patients = m.Patient.objects.select_related("clinic", "identity").order_by("created_at")
    out = [_record(p, identified) for p in patients]
    audit("view", "patient_list", "all", detail={"n": len(out), "identified": identified},
          actor=actor)
    return out


def show_patient(
    pseudonym: str, *, identified: bool = False, actor: str | None = None
) -> PatientRecord:
    """One patient with their visits."""
    patient = _patient(pseudonym)
    rec = _record(patient, identified, with_visits=True)
    audit("view", "patient", patient.pseudonym, patient_ref=patient.pseudonym,
          detail={"identified": identified}, actor=actor)
    return rec


def change_patient_identity(
    pseudonym: str,
    *,
    full_name: str | None = None,
    birth_date: date | None = None,
    contact: str | None = None,
    actor: str | None = None,
) -> None:
    """Correct the patient's name, birth date or contact (the audit names the fields only)."""
    from django.db import transaction

    _models()
    changed = []
    with transaction.atomic():
        patient = _patient(pseudonym, for_update=True)
        ident = patient.identity
        for name, value in (("full_name", full_name), ("birth_date", birth_date),
                            ("contact", contact)):
            if value is not None and getattr(ident, name) != value:
                setattr(ident, name, value)
                changed.append(name)
        if changed:
            ident.save(update_fields=changed)
            audit("change", "patient_identity", patient.pseudonym,
                  patient_ref=patient.pseudonym, detail={"fields": changed}, actor=actor)


# ---- visits ---------------------------------------------------------------------------------


@dataclass
class RecordedVisit:
    pseudonym: str
    number: int
    uid: str
    visit_date: str
    n_analyses: int
    media: list[str]


def record_visit(
    pseudonym: str,
    folder: Path,
    *,
    recordings: list[Path] | None = None,
    actor: str | None = None,
) -> RecordedVisit:
    """Record a ``groundup analyze`` output folder as the patient's next visit.

    The folder is read and checked first; then its media go to the media folder; then every
    row (visit, documents, media rows, report, audit entry) is written in one transaction.
    """
    from django.db import transaction

    from groundup.store.media import media_lock, put_file

    visit_folder = read_visit_folder(folder, recordings)
    _patient(pseudonym)  # a clear message before any media is written
    actor = actor or current_actor()
    with media_lock():
        stored = []
        for role, name, path in visit_folder.media:
            stored.append((role, name, *put_file(path)))
            _pause()
        with transaction.atomic():
            return _write_visit_rows(pseudonym, visit_folder, stored, actor)


def _write_visit_rows(
    pseudonym: str, folder: VisitFolder, stored: list[tuple[str, str, str, int]], actor: str
) -> RecordedVisit:
    from django.db.models import Max

    m = _models()
    patient = _patient(pseudonym, for_update=True)  # one recorder per patient at a time
    number = (patient.visits.aggregate(n=Max("number"))["n"] or 0) + 1
    episode = patient.episodes.filter(status="active").order_by("-started_on").first()
    if episode is None:
        episode = m.EpisodeOfCare.objects.create(patient=patient, started_on=folder.visit_date)
    visit = m.Visit.objects.create(
        patient=patient,
        episode=episode,
        number=number,
        visit_date=folder.visit_date,
        recorded_by=actor,
    )
    _pause()
    media_rows = {}
    for role, name, sha, size in stored:
        media_rows[name] = m.MediaFile.objects.create(
            visit=visit, role=role, sha256=sha, size_bytes=size, name=name,
            content_type=content_type(name),
        )
    _pause()
    recordings = [media_rows[n] for r, n, _s, _z in stored if r == "recording"]
    for k, (file_name, doc) in enumerate(folder.analyses):
        m.Analysis.objects.create(
            visit=visit, index=k, schema=doc["schema"], document=doc, file_name=file_name,
            recording=recordings[k] if k < len(recordings) else None,
        )
    _pause()
    if folder.exam is not None:
        exam_date = folder.exam.get("exam_date")
        m.Exam.objects.create(
            visit=visit, schema=folder.exam["schema"], document=folder.exam,
            file_name="exam.json",
            exam_date=date.fromisoformat(exam_date) if isinstance(exam_date, str) else None,
        )
    for model, doc, name in ((m.Chain, folder.chain, "chain.json"),
                             (m.Plan, folder.plan, "plan.json")):
        if doc is not None:
            model.objects.create(visit=visit, schema=doc["schema"], document=doc,
                                 file_name=name)
    _pause()
    if "report.pdf" in media_rows:
        m.Report.objects.create(
            visit=visit, report_pdf=media_rows["report.pdf"],
            handout_pdf=media_rows.get("handout.pdf"),
        )
    audit("create", "visit", visit.uid, patient_ref=patient.pseudonym, actor=actor,
          detail={"number": number, "analyses": len(folder.analyses),
                  "media": len(stored), "exam": folder.exam is not None})
    return RecordedVisit(
        pseudonym=patient.pseudonym, number=number, uid=visit.uid,
        visit_date=visit.visit_date.isoformat(), n_analyses=len(folder.analyses),
        media=[f"{role}: {name}" for role, name, _s, _z in stored],
    )


def visit_documents(pseudonym: str) -> list[dict[str, Any]]:
    """Every visit of the patient, oldest first, with its documents (no audit: internal)."""
    patient = _patient(pseudonym)
    out = []
    visits = patient.visits.order_by("visit_date", "number").prefetch_related("analyses")
    for v in visits:
        out.append(
            {
                "number": v.number,
                "uid": v.uid,
                "date": v.visit_date.isoformat(),
                "analyses": [a.document for a in v.analyses.all()],
                "exam": v.exam.document if hasattr(v, "exam") else None,
                "chain": v.chain.document if hasattr(v, "chain") else None,
                "plan": v.plan.document if hasattr(v, "plan") else None,
            }
        )
    return out


def previous_plan(pseudonym: str, *, actor: str | None = None) -> dict[str, Any] | None:
    """The plan of the patient's last visit (the follow-up starts from it), or None."""
    patient = _patient(pseudonym)
    last = (
        patient.visits.filter(plan__isnull=False).order_by("-visit_date", "-number").first()
    )
    if last is None:
        return None
    audit("view", "plan", last.uid, patient_ref=patient.pseudonym,
          detail={"visit": last.number, "purpose": "follow-up"}, actor=actor)
    return last.plan.document


def delete_patient(pseudonym: str, *, actor: str | None = None) -> dict[str, int]:
    """Delete the patient, identity, visits, documents and their media files.

    Rows go first (one transaction); then each media file no row refers to any more. A crash
    in between leaves only orphan media, which ``check_store`` removes.
    """
    from django.db import transaction

    from groundup.store.media import media_lock, remove_blob

    m = _models()
    with media_lock(exclusive=True):
        with transaction.atomic():
            patient = _patient(pseudonym, for_update=True)
            shas = set(
                m.MediaFile.objects.filter(visit__patient=patient).values_list("sha256", flat=True)
            )
            n_visits = patient.visits.count()
            ref = patient.pseudonym
            patient.delete()
            audit("delete", "patient", ref, patient_ref=ref, actor=actor,
                  detail={"visits": n_visits, "media": len(shas)})
        still_used = set(
            m.MediaFile.objects.filter(sha256__in=shas).values_list("sha256", flat=True)
        )
        removed = sum(remove_blob(sha) for sha in shas - still_used)
    return {"visits": n_visits, "media_removed": removed}


# ---- store check and audit trail -------------------------------------------------------------


@dataclass
class StoreCheck:
    media_files: int
    media_rows: int
    orphan_media: list[str]
    unfinished_copies: int
    missing_media: list[str]
    visits_without_documents: list[str]
    removed: bool

    @property
    def ok(self) -> bool:
        return not (self.missing_media or self.visits_without_documents) and (
            self.removed or not (self.orphan_media or self.unfinished_copies)
        )


def check_store(*, remove: bool = True, actor: str | None = None) -> StoreCheck:
    """Compare the media folder with the rows: remove media no row refers to (and interrupted
    copies); report rows whose media file is missing and visits without documents."""
    from django.db.models import Q

    from groundup.store.media import media_lock, remove_blob, stored_blobs, unfinished_files

    m = _models()
    with media_lock(exclusive=True):
        referenced = set(m.MediaFile.objects.values_list("sha256", flat=True))
        blobs = dict(stored_blobs())
        orphans = sorted(set(blobs) - referenced)
        unfinished = list(unfinished_files())
        missing = [
            f"{mf.visit.patient.pseudonym} visit {mf.visit.number}: {mf.name}"
            for mf in m.MediaFile.objects.select_related("visit__patient")
            if mf.sha256 not in blobs
        ]
        empty = [
            f"{v.patient.pseudonym} visit {v.number}"
            for v in m.Visit.objects.select_related("patient").filter(
                Q(analyses__isnull=True) & Q(exam__isnull=True)
            )
        ]
        if remove:
            for sha in orphans:
                remove_blob(sha)
            for path in unfinished:
                path.unlink(missing_ok=True)
    result = StoreCheck(
        media_files=len(blobs), media_rows=m.MediaFile.objects.count(), orphan_media=orphans,
        unfinished_copies=len(unfinished), missing_media=missing,
        visits_without_documents=empty, removed=remove,
    )
    if remove and (orphans or unfinished):
        audit("delete", "orphan_media", f"{len(orphans)} files", actor=actor,
              detail={"orphans": len(orphans), "unfinished": len(unfinished)})
    else:
        audit("view", "store_check", "all", actor=actor)
    return result


def audit_trail(pseudonym: str | None = None, *, actor: str | None = None) -> list[dict[str, Any]]:
    """The audit entries (of one patient, or all), oldest first."""
    m = _models()
    query = m.AuditEntry.objects.all()
    if pseudonym:
        query = query.filter(patient_ref=pseudonym.strip().upper())
    out = [
        {"at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
         "object_type": e.object_type, "object_ref": e.object_ref,
         "patient_ref": e.patient_ref, "detail": e.detail}
        for e in query
    ]
    audit("view", "audit_trail", pseudonym or "all", patient_ref=pseudonym or "", actor=actor)
    return out


# ---- progress and export --------------------------------------------------------------------


def patient_progress(
    pseudonym: str, *, plot_path: Path | None = None, actor: str | None = None
) -> Any:
    """Every outcome and key gait number across the patient's visits, with change and verdict
    (see :mod:`groundup.store.progress`); with ``plot_path``, the plot as PNG too."""
    from groundup.store.progress import compute_progress, plot_progress

    patient = _patient(pseudonym)
    progress = compute_progress(patient.pseudonym, visit_documents(patient.pseudonym))
    if plot_path is not None:
        plot_progress(progress, plot_path)
    audit("view", "progress", patient.pseudonym, patient_ref=patient.pseudonym,
          detail={"visits": len(progress.visits)}, actor=actor)
    return progress


def _deidentified(doc: dict[str, Any], k: int) -> dict[str, Any]:
    """An analysis document without the recording's file path (a file name can name a person)."""
    source = doc.get("source")
    if not isinstance(source, dict) or "path" not in source:
        return doc
    suffix = Path(str(source["path"])).suffix
    return {**doc, "source": {**source, "path": f"recording_{k + 1}{suffix}"}}


@dataclass
class ExportResult:
    bundle: Path
    documents: list[Path]
    n_resources: int
    resource_types: dict[str, int]


def export_patient(
    pseudonym: str,
    out: Path,
    *,
    identified: bool = False,
    visit_number: int | None = None,
    actor: str | None = None,
) -> ExportResult:
    """Write the FHIR R4 bundle (``fhir_bundle.json``) and the JSON documents of every visit
    (``visit_<n>/analysis.json, exam.json, chain.json, plan.json``) to ``out``.

    De-identified by default: the Patient resource carries the pseudonym only and recording
    paths are replaced by neutral names; ``identified=True`` adds name, birth date and contact.
    ``visit_number`` exports that visit only.
    """
    from groundup.output import write_json
    from groundup.store.fhir import build_bundle
    from groundup.store.media import blob_path

    m = _models()
    patient = _patient(pseudonym)
    visits = visit_documents(patient.pseudonym)
    if visit_number is not None:
        visits = [v for v in visits if v["number"] == visit_number]
        if not visits:
            raise StoreError(
                f"{patient.pseudonym} has no visit {visit_number}.",
                f"`groundup patient show {patient.pseudonym}` lists the visits.",
            )
    pdfs = {}
    for row in m.Report.objects.filter(visit__patient=patient).select_related(
        "visit", "report_pdf"
    ):
        if row.report_pdf is not None and blob_path(row.report_pdf.sha256).exists():
            pdfs[row.visit.uid] = blob_path(row.report_pdf.sha256).read_bytes()
    for v in visits:
        v["analyses"] = [_deidentified(d, k) for k, d in enumerate(v["analyses"])]
    identity = patient.identity if identified and hasattr(patient, "identity") else None
    bundle = build_bundle(patient.pseudonym, visits, identity=identity, report_pdfs=pdfs)
    documents = []
    for v in visits:
        folder = out / f"visit_{v['number']}"
        n = len(v["analyses"])
        for k, doc in enumerate(v["analyses"]):
            name = "analysis.json" if n == 1 else f"analysis_{k + 1}.json"
            documents.append(write_json(doc, folder / name))
        for key in ("exam", "chain", "plan"):
            if v.get(key) is not None:
                documents.append(write_json(v[key], folder / f"{key}.json"))
    bundle_path = write_json(bundle, out / "fhir_bundle.json")
    types: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        types[kind] = types.get(kind, 0) + 1
    audit("export", "patient", patient.pseudonym, patient_ref=patient.pseudonym, actor=actor,
          detail={"identified": identified, "visits": [v["number"] for v in visits],
                  "resources": len(bundle["entry"])})
    return ExportResult(bundle_path, documents, len(bundle["entry"]), types)


# ---- follow-up visits: analyse and record in one step -----------------------------------------

# Where the exam input takes an earlier score ("baseline") and where the scored exam holds it.
# The store fills a baseline the therapist left out with the patient's first visit, so the
# exam's change-from-baseline (and the report's MCID marks) compare with the start of care.
BASELINE_FIELDS = {
    "odi": ("baseline_pct", "questionnaires.odi.results.score_pct"),
    "rmdq": ("baseline", "questionnaires.rmdq.results.score"),
    "pain_nrs": ("baseline", "questionnaires.pain_nrs.results.current"),
    "psfs": ("baseline", "questionnaires.psfs.results.score"),
}


def first_visit_baselines(pseudonym: str) -> dict[str, float]:
    """The questionnaire scores of the patient's first visit that has them."""
    from groundup.store.progress import _dig

    out: dict[str, float] = {}
    for v in visit_documents(pseudonym):
        for name, (_field, path) in BASELINE_FIELDS.items():
            value = _dig(v.get("exam"), path)
            if name not in out and value is not None:
                out[name] = value
    return out


def exam_with_baselines(exam_path: Path, baselines: dict[str, float], tmp_dir: Path) -> Path:
    """The exam input, with the first visit's scores as baselines where none were given.

    Written beside the original when possible (relative recording paths in the exam, e.g. a COP
    recording, keep working), else into ``tmp_dir``."""
    import yaml

    from groundup.exam.loader import load_exam_file

    exam = load_exam_file(exam_path)
    questionnaires = exam.get("questionnaires") or {}
    added = False
    for name, value in baselines.items():
        answers = questionnaires.get(name)
        key = BASELINE_FIELDS[name][0]
        if isinstance(answers, dict) and answers.get(key) is None:
            answers[key] = value
            added = True
    if not added:
        return exam_path
    text = yaml.safe_dump(exam, sort_keys=False, allow_unicode=True)
    for folder in (exam_path.resolve().parent, tmp_dir):
        target = folder / f".{exam_path.stem}.with-baseline.{os.getpid()}.yaml"
        try:
            target.write_text(text, encoding="utf-8")
            return target
        except OSError:
            continue
    return exam_path


def analyze_and_record(
    pseudonym: str,
    recordings: list[Path],
    out: Path,
    *,
    exam_path: Path | None = None,
    precautions: tuple[str, ...] = (),
    options: Any = None,
    make_report: bool = True,
    progress: Any = None,
    actor: str | None = None,
) -> RecordedVisit:
    """Run the whole visit (``groundup analyze``) and record it as the patient's next visit.

    The two hooks into the visit pipeline, both through its existing inputs: the previous plan
    is the plan of the patient's last visit in the store (``run_visit(previous_plan_path=)``),
    and questionnaire baselines left out of the exam are the first visit's scores (the exam
    input's ``baseline`` fields).
    """
    import json
    import tempfile

    from groundup.pipeline import run_visit

    _patient(pseudonym)
    with tempfile.TemporaryDirectory(prefix="groundup-followup-") as tmp:
        tmp_dir = Path(tmp)
        previous = previous_plan(pseudonym, actor=actor)
        previous_path = None
        if previous is not None:
            previous_path = tmp_dir / "previous_plan.json"
            previous_path.write_text(json.dumps(previous), encoding="utf-8")
        exam_used = exam_path
        if exam_path is not None and exam_path.exists():
            exam_used = exam_with_baselines(exam_path, first_visit_baselines(pseudonym), tmp_dir)
        try:
            run_visit(
                list(recordings), out, exam_path=exam_used, previous_plan_path=previous_path,
                precautions=precautions, options=options, make_report=make_report,
                progress=progress,
            )
        finally:
            if exam_used is not None and exam_used != exam_path:
                exam_used.unlink(missing_ok=True)
    return record_visit(pseudonym, out, recordings=list(recordings), actor=actor)
