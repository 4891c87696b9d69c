"""Fixtures for the clinical-examination tests.

``shared_dir`` is the read-only reference data (``../shared`` next to the repository root). Tests
that need it skip cleanly when it is absent, unless GROUNDUP_REQUIRE_SHARED=1 (then they fail).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT / ".." / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        msg = f"reference data not found at {SHARED} (expected ../shared next to the repository)"
        if os.environ.get("GROUNDUP_REQUIRE_SHARED") == "1":
            pytest.fail(msg + " and GROUNDUP_REQUIRE_SHARED=1")
        pytest.skip(msg)
    return SHARED.resolve()


@pytest.fixture(scope="session")
def cop_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "cop"
