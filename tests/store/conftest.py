"""Fixtures of the records-store tests: a fresh store per test, on SQLite and on PostgreSQL
(shared with the web-app tests: ``tests/store_fixtures.py``)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.store_fixtures import (
    BACKENDS,
    GROUNDUP,
    REPO_ROOT,
    analyse_sample,
    fresh_store,
    store_env,
)


@dataclass
class Store:
    """A fresh store: in this process (configured) and for subprocesses (``env``)."""

    backend: str
    data_dir: Path
    database_url: str | None
    env: dict[str, str]

    def cli(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*GROUNDUP, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
            cwd=REPO_ROOT, check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"groundup {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*GROUNDUP, *args], env=self.env, cwd=REPO_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[Store]:
    """A fresh, migrated store on each backend, configured in this process as well."""
    monkeypatch.delenv("GROUNDUP_DATABASE_URL", raising=False)
    monkeypatch.setenv("GROUNDUP_USER", "test-therapist")
    with fresh_store(request.param, tmp_path / "data", "groundup_t_") as fresh:
        env = store_env(fresh.data_dir, fresh.database_url, GROUNDUP_USER="test-therapist")
        yield Store(fresh.backend, fresh.data_dir, fresh.database_url, env)


@pytest.fixture(scope="session")
def c3d_visit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real visit folder: the lab sample (C3D) with the example exam, analysed once (no
    report, to stay fast); its recording is ``samples/smk_overground.c3d``."""
    return analyse_sample(tmp_path_factory.mktemp("c3d_visit") / "visit", report=False,
                          timeout_s=600)
