"""Work in a forked child at a lower CPU priority: results and errors come back as raised."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from groundup.errors import GroundUpError, InputError, MissingMarkersError
from groundup.pipeline.low_priority import LOWER_PRIORITY_BY, ForkedJobs
from groundup.pipeline.visit import _AnnotatedVideos

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


def test_results_come_back_in_order_from_a_lower_priority_child() -> None:
    parent_niceness = os.getpriority(os.PRIO_PROCESS, 0)
    jobs = ForkedJobs(
        [lambda: os.getpid(), lambda: os.getpriority(os.PRIO_PROCESS, 0)], "test-child"
    )
    pid, niceness = jobs.result() or [None, None]
    assert pid is not None and pid != os.getpid()
    assert niceness == min(19, parent_niceness + LOWER_PRIORITY_BY)


def test_files_written_by_the_child_are_there(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"

    def write() -> Path:
        target.write_text("made in the child", encoding="utf-8")
        return target

    assert ForkedJobs([write], "test-child").result() == [target]
    assert target.read_text(encoding="utf-8") == "made in the child"


def test_a_user_error_is_raised_here_with_the_same_message() -> None:
    def fail() -> None:
        raise MissingMarkersError("Zeni", ["LHEE", "RHEE"], ["velocity"])

    with pytest.raises(MissingMarkersError) as raised:
        ForkedJobs([fail], "test-child").result()
    expected = MissingMarkersError("Zeni", ["LHEE", "RHEE"], ["velocity"])
    assert (raised.value.problem, raised.value.fix) == (expected.problem, expected.fix)
    assert raised.value.missing == ["LHEE", "RHEE"] and str(raised.value) == str(expected)


def test_an_os_error_keeps_its_number_and_file() -> None:
    def fail() -> None:
        raise OSError(28, "No space left on device", "annotated.mp4")

    with pytest.raises(OSError) as raised:
        ForkedJobs([fail], "test-child").result()
    assert raised.value.errno == 28 and raised.value.filename == "annotated.mp4"


class _UnpicklableError(Exception):
    def __init__(self) -> None:
        super().__init__("cannot travel")
        self.handle = lambda: None  # a lambda cannot be pickled


def test_an_error_that_cannot_come_back_or_a_lost_child_means_run_it_here() -> None:
    def unpicklable() -> None:
        raise _UnpicklableError()

    assert ForkedJobs([unpicklable], "test-child").result() is None

    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    assert ForkedJobs([killed], "test-child").result() is None


def test_annotated_videos_give_the_same_error_as_in_this_process(tmp_path: Path) -> None:
    def fail() -> Path:
        raise InputError("The annotated video could not be created.", "Choose a folder.")

    with pytest.raises(GroundUpError, match="could not be created"):
        _AnnotatedVideos([fail]).wait()


def test_annotated_videos_run_here_when_the_child_is_lost(tmp_path: Path) -> None:
    target = tmp_path / "annotated.mp4"
    parent = os.getpid()

    def job() -> Path:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # the child dies without an answer
        target.write_bytes(b"video")
        return target

    assert _AnnotatedVideos([job]).wait() == [target]
    assert target.read_bytes() == b"video"


def test_a_failed_visit_stops_the_child_before_it_writes(tmp_path: Path) -> None:
    target = tmp_path / "late.mp4"

    def slow() -> Path:
        import time

        time.sleep(30)  # stopped long before: not a timing assertion
        target.write_bytes(b"late")
        return target

    videos = _AnnotatedVideos([slow])
    videos.stop()
    assert not videos.pending and not target.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's parent-death signal")
def test_the_child_dies_with_a_killed_parent() -> None:
    code = (
        "import os, time\n"
        "from groundup.pipeline.low_priority import ForkedJobs\n"
        "jobs = ForkedJobs([lambda: time.sleep(60)], 'test-child')\n"
        "print(jobs._process.pid, flush=True)\n"
        "time.sleep(0.5)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    pid = int(run.stdout.split()[0])
    for _ in range(100):  # polled, no time bound asserted: gone, or dead and not yet reaped
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except (FileNotFoundError, ProcessLookupError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.1)
    pytest.fail(f"the child is still running (state {state})")


def test_key_frames_child_gives_its_value_or_error_or_runs_here() -> None:
    from groundup.pipeline.visit import _InBackground

    assert _InBackground(lambda: [1, 2, 3], "test-frames", in_child=True).result() == [1, 2, 3]

    def fail() -> None:
        raise InputError("No frame could be decoded.", "Check the clip.")

    with pytest.raises(InputError, match="No frame could be decoded"):
        _InBackground(fail, "test-frames", in_child=True).result()
    parent = os.getpid()

    def lost() -> str:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "made here"

    assert _InBackground(lost, "test-frames", in_child=True).result() == "made here"
