"""Run a guideline vignette (tests/vignettes/cases/*.yaml) and check its expectations.

A vignette is data: the exam answers that differ from a healthy adult at the norm means
(``_healthy_exam.yaml``), optional command-line precautions, an optional previous vignette (a
follow-up visit), and ``must`` / ``should`` expectations with the guideline ``sources`` they come
from. ``check`` returns the expectations that failed, as readable sentences.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from groundup.exam.scoring import score_exam
from groundup.plan.build import plan_visit
from groundup.plan.library import exercise

HERE = Path(__file__).parent
CASES = HERE / "cases"


def merge(base: Any, over: Any) -> Any:
    """Deep merge; a key set to None in ``over`` removes that entry."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return copy.deepcopy(over)
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(out.get(key), value) if key in out else copy.deepcopy(value)
    return out


def names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.yaml"))


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))


def healthy_exam() -> dict[str, Any]:
    return yaml.safe_load((HERE / "_healthy_exam.yaml").read_text(encoding="utf-8"))


@cache
def run(name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(exam.json, chain.json, plan.json) of a vignette."""
    v = load(name)
    exam = score_exam(merge(healthy_exam(), v.get("exam") or {}))
    previous = run(v["previous"])[2] if v.get("previous") else None
    chain, plan = plan_visit(v.get("analysis"), exam, previous, v.get("precautions", []))
    return exam, chain, plan


def _home(plan: dict[str, Any]) -> list[str]:
    return [e["id"] for e in plan["exercises"]]


def _problems(chain: dict[str, Any]) -> list[str]:
    return [p["problem"] for p in chain["problems"]]


def _positions(plan: dict[str, Any]) -> set[str]:
    return {pos for ex_id in _home(plan) for pos in (exercise(ex_id) or {}).get("positions", [])}


Check = Callable[[dict[str, Any], dict[str, Any], dict[str, Any], Any], str | None]


def _fail(ok: bool, text: str) -> str | None:
    return None if ok else text


CHECKS: dict[str, Check] = {
    "pathway": lambda e, c, p, v: _fail(
        c["pathway"]["decision"] == v, f"pathway {c['pathway']['decision']!r}, expected {v!r}"
    ),
    "urgency": lambda e, c, p, v: _fail(
        e["pathway"]["urgency"] == v, f"urgency {e['pathway']['urgency']!r}, expected {v!r}"
    ),
    "plan_status": lambda e, c, p, v: _fail(
        p["status"] == v, f"plan status {p['status']!r}, expected {v!r}"
    ),
    "no_chain": lambda e, c, p, v: _fail(
        (c["chains"] == []) == bool(v), f"chains {[x['title'] for x in c['chains']]}"
    ),
    "summary_excludes": lambda e, c, p, v: _fail(
        all(w not in c["summary"] for w in v), f"chain summary mentions {v}: {c['summary']!r}"
    ),
    "first_problem": lambda e, c, p, v: _fail(
        bool(_problems(c)) and _problems(c)[0] == v, f"problems {_problems(c)}, first {v!r}"
    ),
    "top_problems_include": lambda e, c, p, v: _fail(
        set(v) <= set(_problems(c)[:3]), f"top problems {_problems(c)[:3]}, expected {v}"
    ),
    "problems_include": lambda e, c, p, v: _fail(
        set(v) <= set(_problems(c)), f"problems {_problems(c)}, expected {v}"
    ),
    "ranked_before": lambda e, c, p, v: _fail(
        all(a in _problems(c) and b in _problems(c) for a, b in v)
        and all(_problems(c).index(a) < _problems(c).index(b) for a, b in v),
        f"problems {_problems(c)}, expected the first of each pair before the second: {v}",
    ),
    "problems_exclude": lambda e, c, p, v: _fail(
        not set(v) & set(_problems(c)), f"problems {_problems(c)} include one of {v}"
    ),
    "no_problems": lambda e, c, p, v: _fail(
        (c["problems"] == []) == bool(v), f"problems {_problems(c)}"
    ),
    "exercises_include": lambda e, c, p, v: _fail(
        set(v) <= set(_home(p)), f"exercises {_home(p)}, expected {v}"
    ),
    "exercises_exclude": lambda e, c, p, v: _fail(
        not set(v) & set(_home(p)), f"exercises {_home(p)} include one of {v}"
    ),
    "no_exercises": lambda e, c, p, v: _fail(
        (p["exercises"] == []) == bool(v), f"exercises {_home(p)}"
    ),
    "positions_exclude": lambda e, c, p, v: _fail(
        not set(v) & _positions(p), f"exercise positions {sorted(_positions(p))} include {v}"
    ),
    "max_level": lambda e, c, p, v: _fail(
        all(
            any(x["id"] == k and x["level"] <= top for x in p["exercises"]) for k, top in v.items()
        ),
        f"levels {[(x['id'], x['level']) for x in p['exercises']]}, at most {v}",
    ),
    "left_out_contraindicated": lambda e, c, p, v: _fail(
        all(
            any(x["id"] == k and x["reason"].startswith("contraindicated") for x in p["left_out"])
            for k in v
        ),
        f"left out {[(x['id'], x['reason'][:40]) for x in p['left_out']]}, expected {v}",
    ),
    "advice_include": lambda e, c, p, v: _fail(
        set(v) <= {a["id"] for a in p["advice"]},
        f"advice {[a['id'] for a in p['advice']]}, expected {v}",
    ),
    "advice_exclude": lambda e, c, p, v: _fail(
        not set(v) & {a["id"] for a in p["advice"]},
        f"advice {[a['id'] for a in p['advice']]} include one of {v}",
    ),
    "precautions_include": lambda e, c, p, v: _fail(
        set(v) <= set(p["precautions"]), f"precautions {p['precautions']}, expected {v}"
    ),
    "precautions_exclude": lambda e, c, p, v: _fail(
        not set(v) & set(p["precautions"]), f"precautions {p['precautions']} include {v}"
    ),
    "falls_risk": lambda e, c, p, v: _fail(
        e["safety"]["falls"]["risk"] == v, f"falls risk {e['safety']['falls']['risk']!r}"
    ),
    "n_exercises": lambda e, c, p, v: _fail(
        v[0] <= len(_home(p)) <= v[1], f"{len(_home(p))} exercises, expected {v}"
    ),
    "decisions": lambda e, c, p, v: _fail(
        all(any(x["id"] == k and x["decision"] == d for x in p["exercises"]) for k, d in v.items()),
        f"decisions {[(x['id'], x['decision'], x['decision_reason']) for x in p['exercises']]}",
    ),
    "outcome_judgement": lambda e, c, p, v: _fail(
        all(
            any(
                o["outcome"] == k and w in o["judgement"]
                for o in (p["progress"] or {}).get("outcome_changes", [])
            )
            for k, w in v.items()
        ),
        f"outcomes {(p['progress'] or {}).get('outcome_changes')}",
    ),
    "max_confidence": lambda e, c, p, v: _fail(
        all(
            ["very low", "low", "moderate", "high"].index(ch["confidence"]["label"])
            <= ["very low", "low", "moderate", "high"].index(v)
            for ch in c["chains"]
        ),
        f"chain confidences {[ch['confidence']['label'] for ch in c['chains']]}, at most {v}",
    ),
    "links_absent": lambda e, c, p, v: _fail(
        not {tuple(x) for x in v}
        & {(lk["side"], lk["from"], lk["to"]) for ch in c["chains"] for lk in ch["links"]},
        f"links {[ch['title'] for ch in c['chains']]}",
    ),
    "exam_errors_fields": lambda e, c, p, v: _fail(
        set(v) <= {err["field"] for err in e["errors"]},
        f"errors {[err['field'] for err in e['errors']]}, expected {v}",
    ),
}


def check(name: str, level: str) -> list[str]:
    """The failed expectations of one level (``must`` or ``should``) of a vignette."""
    v = load(name)
    exam, chain, plan = run(name)
    failed = []
    for key, value in (v.get(level) or {}).items():
        problem = CHECKS[key](exam, chain, plan, value)
        if problem:
            failed.append(f"{level} {key}: {problem}")
    return failed
