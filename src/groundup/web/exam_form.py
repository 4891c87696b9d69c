"""The clinical exam as a web form, generated from the exam catalogue.

Every field comes from the catalogue (``knowledge/exam/*.yaml``): the screening sections and
their yes/no items, every test's inputs (sided fields as a left and a right input, with the
unit from the catalogue), and the questionnaires. A field added to the catalogue appears here
without a change to this module. The posted form is turned into the same exam input the CLI
reads (``groundup.exam-input/1``) and checked by the same scorer
(:func:`groundup.exam.scoring.score_exam`): the same validation and the same messages, each
shown beside its field.

A form field's name is the dotted path of the value in the exam input
(``tests.navicular_drop.drop_mm.left``), which is also the path the scorer's messages name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from groundup.exam.catalogue import Catalogue, load_catalogue
from groundup.exam.scoring import INPUT_FORMAT, score_exam

SIDES = ("left", "right")
# Units written as clinicians write them.
UNIT_TEXT = {"deg": "°", "s": "s", "mm": "mm", "cm": "cm", "m": "m", "N": "N", "Hz": "Hz",
             "kg": "kg", "years": "years", "points": "points", "repetitions": "reps"}


@dataclass
class FormField:
    name: str  # dotted path in the exam input
    label: str
    kind: str  # number, integer, choice, yesno, text, list, trials, date, checkbox
    unit: str = ""
    help: str = ""
    choices: list[str] = field(default_factory=list)
    value: str = ""
    error: str = ""

    @property
    def html_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)


@dataclass
class FormGroup:
    """A fieldset: one test, questionnaire or screening section."""

    key: str
    title: str
    help: str = ""
    fields: list[FormField] = field(default_factory=list)
    note: str = ""


@dataclass
class FormSection:
    title: str
    groups: list[FormGroup] = field(default_factory=list)


def _words(key: str) -> str:
    return key.replace("_", " ")


def _label_of(name: str, spec: dict[str, Any]) -> tuple[str, str]:
    """(label, unit) of a catalogue input: ``drop_mm`` -> ("drop", "mm")."""
    unit = str(spec.get("unit", ""))
    label = name
    if unit and name.lower().endswith("_" + unit.lower()):
        label = name[: -len(unit) - 1]
    return _words(label), UNIT_TEXT.get(unit, unit)


def _range_help(spec: dict[str, Any]) -> str:
    lo, hi = spec.get("min"), spec.get("max")
    return f"{lo} to {hi}" if lo is not None and hi is not None else ""


def _input_fields(path: str, name: str, spec: dict[str, Any]) -> list[FormField]:
    kind = spec.get("type", "number")
    label, unit = _label_of(name, spec)
    extra = [str(spec["help"])] if spec.get("help") else []
    if kind in ("number", "integer"):
        help_text = "; ".join([_range_help(spec), *extra]).strip("; ")
    elif kind == "integer_list":
        kind = "list"
        help_text = (f"{spec['length']} scores from {spec['min']} to {spec['max']}, separated "
                     "by spaces or commas")
    elif kind == "number_or_trials":
        kind = "trials"
        help_text = (f"{_range_help(spec)}; one value, or the trials separated by spaces "
                     "(the best is used)")
    elif kind == "boolean":
        kind, help_text = "yesno", "; ".join(extra)
    elif kind == "choice":
        help_text = "; ".join(extra)
    else:
        return []  # a file path (a COP or keypoint recording): given with the CLI
    sides = SIDES if spec.get("sided") else (None,)
    out = []
    for side in sides:
        fname = f"{path}.{name}" + (f".{side}" if side else "")
        shown = f"{label}, {side}" if side else label
        out.append(FormField(fname, shown, kind, unit, help_text,
                             [str(c) for c in spec.get("choices", [])]))
    return out


def _screening_groups(cat: Catalogue) -> list[FormGroup]:
    """Every screening section that lists items (each a mapping with a ``text``): yes/no, or
    the input its ``type`` names (a number, a choice ...)."""
    groups = []
    for section_key, section in cat.screening.items():
        if not isinstance(section, dict):
            continue
        for body in section.values():
            if isinstance(body, dict) and body and all(
                isinstance(v, dict) and "text" in v for v in body.values()
            ):
                group = FormGroup(section_key, _words(section_key).capitalize())
                for item, spec in body.items():
                    text = " ".join(str(spec["text"]).split())
                    if spec.get("type") not in (None, "boolean"):  # a typed item: its input
                        fields = _input_fields(f"screening.{section_key}", item, spec)
                        for f in fields:
                            f.label = text + f.label[len(_label_of(item, spec)[0]):]
                        group.fields += fields
                        continue
                    group.fields.append(FormField(f"screening.{section_key}.{item}", text,
                                                  "yesno"))
                groups.append(group)
    return groups


def _questionnaire_group(key: str, entry: Any) -> FormGroup:
    data = entry.data
    path = f"questionnaires.{key}"
    group = FormGroup(key, entry.title, " ".join(str(data.get("interpretation", "")).split()))
    if key == "odi":
        choices = [str(k) for k in range(int(data["answer_min"]), int(data["answer_max"]) + 1)]
        group.help = "Score of the ticked statement in each section: 0 = first ... 5 = last."
        for section in data["sections"]:
            group.fields.append(FormField(f"{path}.answers.{section}", _words(section),
                                          "choice", choices=choices))
    elif key == "rmdq":
        group.help = "Tick the statements the patient ticked."
        for i in range(1, int(data["n_items"]) + 1):
            group.fields.append(FormField(f"{path}.ticked.{i}", f"statement {i}", "checkbox"))
    elif key == "start_back":
        bother = str(data.get("bothersomeness_item", ""))
        for i, text in data["items"].items():
            choices = (["agree", "disagree"] if str(i) != bother
                       else [str(c) for c in data["bothersomeness_choices"]])
            group.fields.append(FormField(f"{path}.answers.{i}", f"{i}. {text}", "choice",
                                          choices=choices))
    elif key == "pain_nrs":
        for name, spec in data["fields"].items():
            group.fields.append(FormField(f"{path}.{name}", _words(name).replace("24h", "24 h"),
                                          "integer", "", _range_help(spec)))
    elif key == "psfs":
        lo, hi = data.get("activity_min", 0), data.get("activity_max", 10)
        for i in range(1, int(data["max_activities"]) + 1):
            group.fields.append(FormField(f"{path}.activities.{i}.activity",
                                          f"activity {i}", "text"))
            group.fields.append(FormField(f"{path}.activities.{i}.score",
                                          f"activity {i}: score", "integer", "",
                                          f"{lo} (unable) to {hi} (as before)"))
    else:  # a questionnaire added to the catalogue with plain inputs
        for name, spec in (data.get("inputs") or {}).items():
            group.fields += _input_fields(path, name, spec)
    return group


# Entry kinds laid out like tests, each under its own exam section (the kind's name); the
# follow-up report is laid out per exercise of the previous plan; the rest are tests and
# questionnaires.
PER_EXERCISE_KINDS = ("follow_up",)
OWN_LAYOUT_KINDS = ("test", "questionnaire", *PER_EXERCISE_KINDS)


def _entry_group(path: str, entry: Any, title: str | None = None) -> FormGroup:
    group = FormGroup(path.replace(".", "-"), title or entry.title,
                      " ".join(str(entry.data.get("protocol", "")).split()))
    for name, spec in entry.inputs.items():
        if spec.get("type") == "path":
            group.note = (f"The {_words(name)} file of this test is given with the "
                          "command line (groundup exam score).")
        group.fields += _input_fields(path, name, spec)
    return group


def build_form(cat: Catalogue | None = None,
               previous_exercises: list[tuple[str, str]] | None = None) -> list[FormSection]:
    """The whole exam form, in the order of the exam template.

    ``previous_exercises`` ((id, name) of the last plan's home exercises) adds the patient's
    report per exercise at a follow-up visit, when the catalogue has such an entry.
    """
    cat = cat or load_catalogue()
    visit = FormGroup("patient", "Visit and patient", "No names here: the exam is kept "
                      "without identifying data.")
    visit.fields = [
        FormField("exam_date", "exam date", "date"),
        FormField("patient.age_y", "age", "integer", "years", "needed for age norms"),
        FormField("patient.sex", "sex", "choice", help="needed for sex-specific norms",
                  choices=["female", "male"]),
        FormField("patient.mass_kg", "body mass", "number", "kg", "needed to normalise strength"),
        FormField("patient.height_cm", "height", "number", "cm"),
    ]
    sections = [FormSection("Visit", [visit]),
                FormSection("Screening", _screening_groups(cat))]
    other_kinds: dict[str, FormSection] = {}
    for key, entry in cat.entries.items():
        if entry.kind in OWN_LAYOUT_KINDS:
            continue
        group = _entry_group(f"{entry.kind}.{key}", entry)
        if group.fields:
            other_kinds.setdefault(entry.kind, FormSection(_words(entry.kind).capitalize())
                                   ).groups.append(group)
    sections += list(other_kinds.values())
    domain_sections: dict[str, FormSection] = {}
    for key, entry in cat.tests().items():
        section = domain_sections.setdefault(
            entry.domain, FormSection("Tests: " + _words(entry.domain).replace("hip core",
                                                                                 "hip, core"))
        )
        group = _entry_group(f"tests.{key}", entry)
        if group.fields:
            section.groups.append(group)
    sections += list(domain_sections.values())
    for key, entry in cat.entries.items():
        if entry.kind in PER_EXERCISE_KINDS and previous_exercises:
            sections.append(FormSection(entry.title, [
                _entry_group(f"{key}.{ex_id}", entry, f"{entry.title}: {name}")
                for ex_id, name in previous_exercises
            ]))
    sections.append(FormSection("Questionnaires", [
        _questionnaire_group(k, e) for k, e in cat.questionnaires().items()
    ]))
    return sections


def all_fields(sections: list[FormSection]) -> list[FormField]:
    return [f for s in sections for g in s.groups for f in g.fields]


# ---- posted form -> exam input ----------------------------------------------------------------


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    node = doc
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value


def _typed(f: FormField, raw: str) -> Any:
    """The text as the exam file would hold it: numbers stay text (the scorer parses them,
    with units), lists and trials become lists, yes/no stays yes/no."""
    text = raw.strip()
    if f.kind in ("list", "trials"):
        parts = [p for p in re.split(r"[\s;,]+", text) if p]
        if f.kind == "trials" and len(parts) == 1:
            return parts[0]
        return parts
    return text


def exam_input_from_post(post: Any, sections: list[FormSection]) -> dict[str, Any]:
    """The exam input (as the CLI reads from YAML) of a posted form; blank fields are left out."""
    doc: dict[str, Any] = {"format": INPUT_FORMAT}
    ticked: dict[str, list[int]] = {}
    activities: dict[str, dict[int, dict[str, str]]] = {}
    for f in all_fields(sections):
        raw = str(post.get(f.name, "") or "")
        if f.kind == "checkbox":
            if raw:
                base, _, number = f.name.rpartition(".")
                ticked.setdefault(base, []).append(int(number))
            continue
        if not raw.strip():
            continue
        m = re.match(r"^(questionnaires\.\w+\.activities)\.(\d+)\.(\w+)$", f.name)
        if m:
            activities.setdefault(m.group(1), {}).setdefault(int(m.group(2)), {})[
                m.group(3)] = raw.strip()
            continue
        _set(doc, f.name, _typed(f, raw))
    for base, numbers in ticked.items():
        _set(doc, base, sorted(numbers))
    for base, rows in activities.items():
        _set(doc, base, [rows[k] for k in sorted(rows)])
    # A questionnaire shown on the form but not filled is "not done", not "nothing ticked".
    return doc


def fill(sections: list[FormSection], exam_input: dict[str, Any] | None) -> None:
    """Put the values of a saved exam input back into the form."""
    if not exam_input:
        return
    for f in all_fields(sections):
        node: Any = exam_input
        parts = f.name.split(".")
        if f.kind == "checkbox":
            ticked = _dig(exam_input, ".".join(parts[:-1])) or []
            f.value = "on" if int(parts[-1]) in ticked else ""
            continue
        m = re.match(r"^(questionnaires\.\w+\.activities)\.(\d+)\.(\w+)$", f.name)
        if m:
            rows = _dig(exam_input, m.group(1)) or []
            k = int(m.group(2)) - 1
            f.value = str(rows[k].get(m.group(3), "")) if k < len(rows) else ""
            continue
        node = _dig(exam_input, f.name)
        if isinstance(node, list):
            f.value = " ".join(map(str, node))
        elif node is not None:
            f.value = str(node)


def _dig(doc: Any, path: str) -> Any:
    node = doc
    for k in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(k, node.get(int(k)) if k.isdigit() else None)
    return node


@dataclass
class ExamCheck:
    exam_input: dict[str, Any]
    errors: list[dict[str, Any]]  # the scorer's messages: field, value, expected, message
    general: list[str]  # messages that name no field of the form


def check_exam(exam_input: dict[str, Any], sections: list[FormSection]) -> ExamCheck:
    """Score the exam input as the CLI does and attach each message to its form field."""
    scored = score_exam(exam_input)
    by_name = {f.name: f for f in all_fields(sections)}
    general = []
    for err in scored["errors"]:
        target = _field_for(err["field"], by_name)
        if target is not None:
            target.error = (target.error + " " if target.error else "") + err["message"]
        else:
            general.append(err["message"])
    return ExamCheck(exam_input, scored["errors"], general)


def _field_for(path: str, by_name: dict[str, FormField]) -> FormField | None:
    """The form field a scorer message names (``...items.left[3]`` -> ``...items.left``; a
    group-level message goes to the group's first field)."""
    path = re.sub(r"\[\d+\]$", "", path)
    if path in by_name:
        return by_name[path]
    for name, f in by_name.items():
        if name.startswith(path + "."):
            return f
    return None
