"""The store's commands end to end in their own processes: output a therapist reads, clear
messages (never a traceback) for wrong input, identity shown only when asked for."""

from __future__ import annotations

import json
import re

from tests.store.conftest import Store


def test_patient_commands_and_audit(store: Store, c3d_visit_dir, tmp_path):
    added = store.cli("patient", "add", "--name", "Kai Example", "--birth-date", "1980-02-29",
                      "--contact", "kai@example.org")
    p = re.search(r"GU-[A-Z0-9]{8}", added.stdout).group(0)
    listed = store.cli("patient", "list").stdout
    assert p in listed and "Kai" not in listed
    assert "Kai Example" in store.cli("patient", "list", "--identified").stdout
    store.cli("patient", "edit", p, "--contact", "kai@example.net")
    store.cli("visit", "record", p, "--from", str(c3d_visit_dir))
    shown = store.cli("patient", "show", p, "--identified").stdout
    assert "kai@example.net" in shown and "2025-03-14" in shown
    exported = store.cli("patient", "export", p, "--out", str(tmp_path / "export")).stdout
    assert "fhir_bundle.json" in exported and "1 Patient" in exported
    bundle = json.loads((tmp_path / "export" / "fhir_bundle.json").read_text())
    assert "Kai" not in json.dumps(bundle)
    store.cli("visit", "record", p, "--from", str(c3d_visit_dir))
    one = store.cli("patient", "export", p, "--visit", "2", "--out", str(tmp_path / "v2"))
    assert "1 Encounter" in one.stdout
    assert sorted(x.name for x in (tmp_path / "v2").iterdir()) == ["fhir_bundle.json",
                                                                    "visit_2"]
    missing = store.cli("patient", "export", p, "--visit", "7", "--out", str(tmp_path / "v7"),
                        check=False)
    assert missing.returncode == 2 and "has no visit 7" in missing.stderr
    deleted = store.cli("patient", "delete", p, "--yes").stdout
    assert "2 visit(s)" in deleted
    audit = store.cli("store", "audit", p).stdout
    for action in ("create", "view", "change", "export", "delete"):
        assert action in audit
    assert "test-therapist" in audit and "Kai" not in audit


def test_wrong_input_gets_a_message_not_a_traceback(store: Store, tmp_path):
    for args, problem in [
        (("patient", "show", "GU-NOSUCH22"), "No patient 'GU-NOSUCH22'"),
        (("patient", "add", "--name", "Lea", "--birth-date", "29.02.1980"), "is not a date"),
        (("visit", "record", "GU-NOSUCH22"), "Nothing to record"),
        (("visit", "record", "GU-NOSUCH22", "--from", str(tmp_path)), "holds no analysis"),
    ]:
        result = store.cli(*args, check=False)
        assert result.returncode == 2, args
        assert problem in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert "What to do:" in result.stderr


def test_database_url_that_is_not_postgresql_is_refused(store: Store):
    env = {**store.env, "GROUNDUP_DATABASE_URL": "mysql://user:secret@localhost/groundup"}
    store.env = env
    result = store.cli("patient", "list", check=False)
    assert result.returncode == 2 and "does not support" in result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.stderr
