"""Exact scoring of the back-pain outcome questionnaires.

- Oswestry Disability Index v2.1a (Fairbank & Pynsent 2000), with the skipped-section rule of the
  scoring sheet: each unanswered section lowers the denominator by 5.
- Roland-Morris Disability Questionnaire (Roland & Morris 1983): count of ticked statements.
- Keele STarT Back Screening Tool (Hill et al. 2008): total, psychosocial subscale, risk group.
- Pain numeric rating scale (Childs et al. 2005).
- Patient-Specific Functional Scale (Stratford et al. 1995): mean of the activity ratings.

Each scorer takes the questionnaire's raw mapping from the exam file, raises
:class:`~groundup.exam.fields.ExamInputError` (collected by the caller) on bad answers, and returns
an :class:`~groundup.exam.results.Outcome`. Cut-offs, bands and MCIDs come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from groundup.exam.fields import ExamInputError, parse_number
from groundup.exam.results import Context, Outcome, band_label, beyond, compare, rounded

QScorer = Callable[[str, dict[str, Any], Context], tuple[Outcome, list[ExamInputError]]]


def _check_keys(path: str, raw: dict[str, Any], allowed: tuple[str, ...]) -> list[ExamInputError]:
    return [
        ExamInputError(f"{path}.{k}", v, "one of the fields: " + ", ".join(allowed))
        for k, v in raw.items()
        if str(k) not in allowed
    ]


def _mcid(
    ctx: Context, out: Outcome, score: float, baseline: float | None, lower_is_better: bool
) -> None:
    """List the MCIDs (and MDCs) and, with a baseline, whether the change meets them."""
    entry = ctx.entry
    out.results["mcid"] = [
        {k: v for k, v in m.items() if k != "source"} | {"citation": ctx.catalogue.cite(m)}
        for m in entry.items_of("mcid")
    ]
    if entry.items_of("mdc"):
        out.results["mdc"] = [
            {k: v for k, v in m.items() if k != "source"} | {"citation": ctx.catalogue.cite(m)}
            for m in entry.items_of("mdc")
        ]
    if baseline is None:
        return
    improvement = (baseline - score) if lower_is_better else (score - baseline)
    change: dict[str, Any] = {
        "baseline": baseline,
        "change": rounded(score - baseline, 2),
        "improvement": rounded(improvement, 2),
        "meets": {},
    }
    for m in entry.items_of("mcid"):
        if m["unit"] == "pct_of_baseline":
            # A relative MCID is compared with the improvement as a percentage of baseline.
            measured = improvement / baseline * 100 if baseline > 0 else 0.0
        else:
            measured = improvement
        ok = baseline > 0 if m["unit"] == "pct_of_baseline" else True
        ok = ok and measured >= m["value"]
        change["meets"][str(m["id"])] = bool(ok)
        compare(
            ctx,
            out,
            "improvement_from_baseline",
            rounded(measured, 2),
            str(m["unit"]),
            m,
            "clinically important improvement" if ok else "below the MCID",
        )
    mdcs = [m for m in entry.items_of("mdc") if not str(m["id"]).endswith("_single")]
    if mdcs:
        mdc = max(float(m["value"]) for m in mdcs)
        beyond = abs(score - baseline) >= mdc
        change["beyond_mdc"] = beyond
        for m in mdcs:
            compare(
                ctx,
                out,
                "change_from_baseline",
                rounded(abs(score - baseline), 2),
                str(m["unit"]),
                m,
                "beyond measurement error" if beyond else "within measurement error (MDC)",
            )
    out.results["change_from_baseline"] = change


def _baseline(
    path: str, raw: dict[str, Any], lo: float, hi: float, key: str, errors: list[ExamInputError]
) -> float | None:
    if raw.get(key) is None:
        return None
    try:
        return parse_number(f"{path}.{key}", raw[key], {"min": lo, "max": hi})
    except ExamInputError as e:
        errors.append(e)
        return None


# -------------------------------------------------------------------------------------- ODI
def odi(path: str, raw: dict[str, Any], ctx: Context) -> tuple[Outcome, list[ExamInputError]]:
    """Oswestry Disability Index (Fairbank & Pynsent 2000).

    ``answers`` maps each of the 10 sections to the ticked statement scored 0 (first) to 5 (last);
    a blank (null or missing) section is skipped and the denominator falls by 5 for each one.
    """
    entry = ctx.entry
    errors = _check_keys(path, raw, ("answers", "baseline_pct"))
    sections: list[str] = list(entry.data["sections"])
    lo, hi = int(entry.data["answer_min"]), int(entry.data["answer_max"])
    answers = raw.get("answers")
    out = Outcome()
    if not isinstance(answers, dict):
        errors.append(
            ExamInputError(
                f"{path}.answers",
                answers,
                "a mapping of the 10 ODI sections to a score 0-5: " + ", ".join(sections),
            )
        )
        return out, errors
    scores: dict[str, int] = {}
    skipped: list[str] = []
    for name, v in answers.items():
        if str(name) not in sections:
            errors.append(
                ExamInputError(
                    f"{path}.answers.{name}", v, "one of the ODI sections: " + ", ".join(sections)
                )
            )
    for name in sections:
        v = answers.get(name)
        fpath = f"{path}.answers.{name}"
        if v is None:
            skipped.append(name)
            continue
        if isinstance(v, list):
            errors.append(
                ExamInputError(
                    fpath,
                    v,
                    f"one statement for this section (a score {lo}-{hi}); it was answered "
                    f"{len(v)} times",
                    "Ask the patient which single statement applies, or leave the section blank "
                    "(it is then skipped and the denominator falls by 5).",
                )
            )
            continue
        try:
            scores[name] = int(
                parse_number(fpath, v, {"min": lo, "max": hi, "unit": "points"}, integer=True)
            )
        except ExamInputError as e:
            errors.append(
                ExamInputError(
                    e.field,
                    e.value,
                    f"a whole number from {lo} (first statement) to {hi} (last statement)",
                )
            )
    if errors:
        return out, errors
    if not scores:
        errors.append(ExamInputError(f"{path}.answers", answers, "at least one answered section"))
        return out, errors
    total = sum(scores.values())
    possible = 5 * len(scores)
    pct = total / possible * 100
    band = entry.cutoff("disability_band")
    label = band_label(pct, band) or "out of range"
    out.results.update(
        {
            "score_pct": rounded(pct, 1),
            "raw_sum": total,
            "possible_sum": possible,
            "answered_sections": len(scores),
            "skipped_sections": skipped,
            "section_scores": scores,
            "band": label,
        }
    )
    compare(ctx, out, "odi_pct", pct, "pct", band, label)
    if skipped:
        out.warn(
            "odi_sections_skipped",
            f"{len(skipped)} section(s) not answered ({', '.join(skipped)}): scored out of "
            f"{possible} instead of 50.",
        )
    baseline = _baseline(path, raw, 0, 100, "baseline_pct", errors)
    _mcid(ctx, out, pct, baseline, lower_is_better=True)
    if label != band["bands"][0]["label"]:
        out.find(f"ODI {pct:.1f} %: {label}")
    return out, errors


# ------------------------------------------------------------------------------------- RMDQ
def rmdq(path: str, raw: dict[str, Any], ctx: Context) -> tuple[Outcome, list[ExamInputError]]:
    """Roland-Morris Disability Questionnaire: number of ticked statements (0-24)."""
    entry = ctx.entry
    n = int(entry.data["n_items"])
    errors = _check_keys(path, raw, ("ticked", "baseline"))
    out = Outcome()
    ticked = raw.get("ticked")
    if not isinstance(ticked, list):
        errors.append(
            ExamInputError(
                f"{path}.ticked",
                ticked,
                f"a list of the ticked statement numbers (1-{n}), [] if none",
            )
        )
        return out, errors
    seen: set[int] = set()
    for i, v in enumerate(ticked):
        fpath = f"{path}.ticked[{i + 1}]"
        try:
            item = int(parse_number(fpath, v, {"min": 1, "max": n}, integer=True))
        except ExamInputError as e:
            errors.append(ExamInputError(e.field, e.value, f"a statement number from 1 to {n}"))
            continue
        if item in seen:
            errors.append(
                ExamInputError(fpath, v, "each statement at most once (it is listed twice)")
            )
        seen.add(item)
    if errors:
        return out, errors
    score = len(seen)
    out.results.update({"score": score, "ticked": sorted(seen)})
    rec = entry.cutoff("recovered")
    compare(
        ctx,
        out,
        "rmdq_score",
        score,
        "points",
        rec,
        rec["label"] if beyond(score, rec) else "above the recovered range",
    )
    baseline = _baseline(path, raw, 0, n, "baseline", errors)
    _mcid(ctx, out, score, baseline, lower_is_better=True)
    return out, errors


# ------------------------------------------------------------------------------- STarT Back
def start_back(
    path: str, raw: dict[str, Any], ctx: Context
) -> tuple[Outcome, list[ExamInputError]]:
    """Keele STarT Back Screening Tool (Hill et al. 2008).

    Items 1-8 agree (1) / disagree (0); item 9 scores 1 only for "very much" or "extremely".
    Total = items 1-9; psychosocial subscale = items 5-9. Risk group from the catalogue rules:
    total <= 3 low; otherwise subscale >= 4 high, else medium.
    """
    data = ctx.entry.data
    errors = _check_keys(path, raw, ("answers",))
    out = Outcome()
    answers = raw.get("answers")
    if not isinstance(answers, dict):
        errors.append(
            ExamInputError(f"{path}.answers", answers, "a mapping of items 1-9 to answers")
        )
        return out, errors
    by_item: dict[int, Any] = {}
    for k, v in answers.items():
        try:
            item = int(str(k).lower().lstrip("q"))
        except ValueError:
            item = -1
        if item not in range(1, 10):
            errors.append(ExamInputError(f"{path}.answers.{k}", v, "item numbers 1 to 9"))
            continue
        by_item[item] = v
    scores: dict[int, int] = {}
    choices9 = [str(c) for c in data["bothersomeness_choices"]]
    for item in range(1, 10):
        fpath = f"{path}.answers.{item}"
        if item not in by_item or by_item[item] is None:
            errors.append(
                ExamInputError(
                    fpath,
                    None,
                    "an answer (all 9 items are needed for the risk group)",
                    "Ask the patient this item; the tool has no rule for a missing item.",
                )
            )
            continue
        v = by_item[item]
        if isinstance(v, list):
            errors.append(ExamInputError(fpath, v, "a single answer (it was answered twice)"))
            continue
        if item == int(data["bothersomeness_item"]):
            norm = str(v).strip().lower().replace(" ", "_")
            if norm not in choices9:
                errors.append(ExamInputError(fpath, v, "one of: " + ", ".join(choices9)))
                continue
            scores[item] = 1 if norm in data["bothersomeness_scoring_1"] else 0
        else:
            if isinstance(v, bool):
                scores[item] = int(v)
            elif str(v).strip().lower() in ("agree", "yes", "1"):
                scores[item] = 1
            elif str(v).strip().lower() in ("disagree", "no", "0"):
                scores[item] = 0
            else:
                errors.append(ExamInputError(fpath, v, "agree or disagree"))
    if errors:
        return out, errors
    total = sum(scores.values())
    psycho = sum(scores[i] for i in data["psychosocial_items"])
    rule = ctx.entry.cutoff("risk_group")
    group = _risk_group(total, psycho, rule["rules"])
    out.results.update(
        {
            "total": total,
            "psychosocial_subscale": psycho,
            "risk_group": group,
            "item_scores": {str(k): v for k, v in sorted(scores.items())},
        }
    )
    compare(ctx, out, "start_back_total_and_subscale", total, "points", rule, group)
    if group != "low":
        out.find(f"STarT Back {group} risk (total {total}, psychosocial {psycho})")
    return out, errors


def _risk_group(total: int, psycho: int, rules: list[dict[str, Any]]) -> str:
    for r in rules:
        if total > r.get("total_max", 99) or total < r.get("total_min", -1):
            continue
        if psycho > r.get("psychosocial_max", 99) or psycho < r.get("psychosocial_min", -1):
            continue
        return str(r["label"])
    raise ValueError(f"no STarT Back rule for total {total}, subscale {psycho}")


# -------------------------------------------------------------------------------------- NRS
def pain_nrs(path: str, raw: dict[str, Any], ctx: Context) -> tuple[Outcome, list[ExamInputError]]:
    """Pain numeric rating scale 0-10 (Childs et al. 2005)."""
    fields = ctx.entry.data["fields"]
    errors = _check_keys(path, raw, (*fields, "baseline"))
    out = Outcome()
    for name, spec in fields.items():
        if raw.get(name) is None:
            continue
        try:
            out.results[name] = parse_number(f"{path}.{name}", raw[name], spec, integer=True)
        except ExamInputError as e:
            errors.append(ExamInputError(e.field, e.value, "a whole number from 0 (no pain) to 10"))
    if "current" not in out.results and not any(e.field.endswith(".current") for e in errors):
        errors.append(ExamInputError(f"{path}.current", None, "the current pain 0-10 (required)"))
    if errors:
        return out, errors
    current = out.results["current"]
    rec = ctx.entry.cutoff("recovered")
    compare(
        ctx,
        out,
        "pain_current",
        current,
        "points",
        rec,
        rec["label"] if beyond(current, rec) else "in pain",
    )
    baseline = _baseline(path, raw, 0, 10, "baseline", errors)
    _mcid(ctx, out, current, baseline, lower_is_better=True)
    return out, errors


# ------------------------------------------------------------------------------------- PSFS
def psfs(path: str, raw: dict[str, Any], ctx: Context) -> tuple[Outcome, list[ExamInputError]]:
    """Patient-Specific Functional Scale (Stratford et al. 1995): mean of activity ratings."""
    data = ctx.entry.data
    errors = _check_keys(path, raw, ("activities", "baseline"))
    out = Outcome()
    acts = raw.get("activities")
    max_n = int(data["max_activities"])
    lo, hi = data["activity_min"], data["activity_max"]
    if not isinstance(acts, list) or not 1 <= len(acts) <= max_n:
        errors.append(
            ExamInputError(
                f"{path}.activities",
                acts,
                f"a list of 1 to {max_n} activities, each with a score {lo}-{hi}",
            )
        )
        return out, errors
    ratings: list[dict[str, Any]] = []
    for i, a in enumerate(acts):
        fpath = f"{path}.activities[{i + 1}]"
        if not isinstance(a, dict) or "score" not in a:
            errors.append(ExamInputError(fpath, a, "{activity: <text>, score: <0-10>}"))
            continue
        try:
            s = parse_number(f"{fpath}.score", a["score"], {"min": lo, "max": hi})
        except ExamInputError as e:
            errors.append(
                ExamInputError(
                    e.field, e.value, f"a number from {lo} (unable) to {hi} (as before the problem)"
                )
            )
            continue
        ratings.append({"activity": str(a.get("activity", f"activity {i + 1}")), "score": s})
    if errors:
        return out, errors
    mean = sum(r["score"] for r in ratings) / len(ratings)
    out.results.update(
        {"score": rounded(mean, 2), "n_activities": len(ratings), "activities": ratings}
    )
    baseline = _baseline(path, raw, lo, hi, "baseline", errors)
    _mcid(ctx, out, mean, baseline, lower_is_better=False)
    return out, errors


Q_SCORERS: dict[str, QScorer] = {
    "odi": odi,
    "rmdq": rmdq,
    "start_back": start_back,
    "pain_nrs": pain_nrs,
    "psfs": psfs,
}
