"""The sample clip is fetched once, verified by checksum, and then used from the cache."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from groundup import sample_clip
from groundup.errors import InputError


def test_cached_clip_is_used_without_download(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shared copy is byte-identical to the clip inside the sports2d wheel.
    shutil.copy(shared_data / "video" / "sports2d_demo.mp4", tmp_path / sample_clip.FILE_NAME)

    def no_download(*_a: object, **_k: object) -> None:
        raise AssertionError("the cached clip must be used")

    monkeypatch.setattr(subprocess, "run", no_download)
    assert sample_clip.fetch_sample_clip(tmp_path) == tmp_path / sample_clip.FILE_NAME


def test_failed_download_explains_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*_a: object, **_k: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(subprocess, "run", failing)
    with pytest.raises(InputError) as info:
        sample_clip.fetch_sample_clip(tmp_path)
    assert "No matching distribution" in info.value.problem
    assert "registry" in info.value.fix
    assert not (tmp_path / sample_clip.FILE_NAME).exists()


def test_a_damaged_cached_clip_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / sample_clip.FILE_NAME).write_bytes(b"not the clip")
    calls: list[object] = []

    def failing(*a: object, **_k: object) -> subprocess.CompletedProcess[str]:
        calls.append(a)
        return subprocess.CompletedProcess([], 1, "", "offline")

    monkeypatch.setattr(subprocess, "run", failing)
    with pytest.raises(InputError):
        sample_clip.fetch_sample_clip(tmp_path)
    assert calls, "a clip with the wrong checksum must be fetched again"
