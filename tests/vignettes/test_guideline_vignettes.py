"""Guideline vignettes (tests/vignettes/cases): must and should expectations with sources."""

from __future__ import annotations

import pytest

from groundup.chain.knowledge import sources as chain_sources
from groundup.exam.catalogue import load_catalogue
from groundup.output import validate
from tests.vignettes.runner import check, load, names, run


def test_at_least_fifteen_vignettes() -> None:
    assert len(names()) >= 15


@pytest.mark.parametrize("name", names())
def test_vignette_cites_its_guidelines(name: str) -> None:
    v = load(name)
    known = set(chain_sources()) | set(load_catalogue().sources)
    assert v["sources"] and set(v["sources"]) <= known, v["sources"]
    assert v["must"] and v["story"] and v["title"]


@pytest.mark.parametrize("name", names())
def test_vignette_must(name: str) -> None:
    exam, chain, plan = run(name)
    validate(exam, "exam")
    validate(chain, "chain")
    validate(plan, "plan")
    assert check(name, "must") == []


@pytest.mark.parametrize("name", [n for n in names() if load(n).get("should")])
def test_vignette_should(name: str) -> None:
    assert check(name, "should") == []
