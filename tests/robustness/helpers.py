"""Running the real ``groundup`` entry point (``groundup.cli.main``) in tests."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAM = REPO / "docs" / "examples" / "exam_example.yaml"
SAMPLE_C3D = REPO / "samples" / "smk_overground.c3d"


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Exit code and everything printed, as a user sees them from `groundup ARGS`."""
    from groundup import cli

    argv, sys.argv = sys.argv, ["groundup", *args]
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return code, " ".join((captured.out + " " + captured.err).split())


def run_process(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """`groundup ARGS` in its own process (for kill -9 and resource limits)."""
    code = "from groundup.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, **kwargs
    )


def assert_user_message(code: int, text: str) -> None:
    """Exit 1 or 2 with a problem and what to do; never an internal error or a traceback."""
    assert code in (1, 2), text
    assert "internal error" not in text.lower(), text
    assert "Traceback" not in text, text
    assert "What to do" in text, text


def folder_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative name -> SHA-256)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
