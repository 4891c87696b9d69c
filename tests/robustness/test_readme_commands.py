"""The README's "Using it" list documents only commands and options that exist."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from groundup.cli import app
from tests.robustness.helpers import REPO

runner = CliRunner()


def _using_it() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Using it") : text.index("## Documentation")]


def test_every_documented_command_and_option_exists() -> None:
    commands = re.findall(r"`(groundup [^`]+)`", _using_it())
    assert len(commands) >= 8
    checked = 0
    for command in commands:
        words = command.split()[1:]
        path = [w for w in words[:2] if re.fullmatch(r"[a-z][a-z-]*", w)]
        if path and path[0] == "analyze":
            path = ["analyze"]
        result = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (command, result.output)
        help_text = " ".join(result.output.split())
        for option in re.findall(r"(--[a-z][a-z-]*)", command):
            assert option in help_text, (command, option)
            checked += 1
    assert checked >= 10


def test_the_set_up_commands_are_unchanged() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert (
        "pip install -e . && groundup sample-clip --out samples && groundup analyze "
        "samples/sports2d_demo.mp4 --exam docs/examples/exam_example.yaml --out groundup-output"
    ) in readme
    assert 'pip install -e ".[test]" && python -m pytest' in readme
