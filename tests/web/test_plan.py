"""The therapist's plan change: kept beside GroundUp's plan, in force for the report and the
next visit, recorded in the audit trail."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_plan_change_is_the_therapists_and_starts_the_follow_up(world):
    from django.contrib.auth import get_user_model

    from groundup.store.models import AuditEntry, Patient, Visit
    from groundup.web.models import PlanEdit
    from groundup.web.reports import previous_plan

    client = Client()
    client.force_login(get_user_model().objects.get(username="ana"))
    visit = Visit.objects.get(uid=world.ids["uid"])
    proposed = visit.plan.document
    first, second = proposed["exercises"][0], proposed["exercises"][1]
    url = reverse("web:plan_edit", args=[visit.uid])
    assert first["name"].encode() in client.get(url).content
    form = {"note": "Knee pain on the second exercise."}
    for k, ex in enumerate(proposed["exercises"]):
        form[f"ex{k}.keep"] = "on"
        for field, value in ex["dosage"].items():
            form[f"ex{k}.{field}"] = str(value)
    form.pop("ex1.keep")  # drop the second exercise
    form["ex0.sets"] = "0"  # out of range first
    bad = client.post(url, form)
    assert bad.status_code == 200 and b"a whole number from 1 to 10" in bad.content
    assert not PlanEdit.objects.exists()
    form["ex0.sets"] = "1"
    response = client.post(url, form)
    assert response.status_code == 302
    edit = PlanEdit.objects.get()
    assert edit.edited_by == "ana" and edit.note == "Knee pain on the second exercise."
    ids = [ex["id"] for ex in edit.plan["exercises"]]
    assert first["id"] in ids and second["id"] not in ids
    assert edit.plan["exercises"][0]["dosage"]["sets"] == 1
    assert {"id": second["id"], "name": second["name"],
            "reason": "removed by the therapist"} in edit.plan["left_out"]
    assert any("Plan changed by the therapist ana" in n for n in edit.plan["notes"])
    # GroundUp's plan stays as proposed; the next visit starts from the therapist's.
    visit.refresh_from_db()
    assert visit.plan.document == proposed
    _last, in_force = previous_plan(Patient.objects.get(pseudonym=world.ids["pseudonym"]))
    assert in_force == edit.plan
    page = client.get(reverse("web:visit", args=[visit.uid])).content.decode()
    assert "Changed by the therapist ana" in page and "removed" in page
    # The report was written again and is the visit's report now.
    assert visit.report.report_pdf.name.endswith("_therapist_1.pdf")
    actions = set(AuditEntry.objects.filter(actor="ana").values_list("action", "object_type"))
    assert {("view", "plan"), ("change", "plan"), ("create", "report_pdf")} <= actions
