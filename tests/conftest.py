"""Shared fixtures: where the real reference recordings live.

Real-data tests read ``../shared/data`` beside the repository. On a machine without it they skip,
except when ``GROUNDUP_REQUIRE_SHARED=1`` (set by CI), where a missing folder is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _require_shared() -> Path:
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if os.environ.get("GROUNDUP_REQUIRE_SHARED") == "1":
        pytest.fail(f"Reference data folder {SHARED_DATA} is missing (GROUNDUP_REQUIRE_SHARED=1).")
    pytest.skip("reference data (../shared/data) not available on this machine")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``shared/data`` folder with the real reference recordings."""
    return _require_shared()


@pytest.fixture(scope="session")
def c3d_dir(shared_data: Path) -> Path:
    return shared_data / "c3d"


@pytest.fixture(scope="session")
def c3d_extra_dir(shared_data: Path) -> Path:
    return shared_data / "c3d_extra"
