"""The batch's progress bar (Rich): done, failed, remaining, recordings per minute and the
estimated time left. It shows counts and recording ids only, never a file name."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class RichBatchProgress:
    """A :class:`groundup.batch.run.BatchProgress` drawn with Rich."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("[bold]Batch[/]"),
            BarColumn(bar_width=20),
            TextColumn(
                "done [green]{task.fields[done]}[/] failed [red]{task.fields[failed]}[/] "
                "remaining {task.fields[remaining]} | {task.fields[rate]} | "
                "ETA {task.fields[eta]}"
            ),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("batch", total=1, visible=False, done=0, failed=0,
                                           remaining=0, rate="- rec/min", eta="-")  # fmt: skip
        self.total = self.done = self.failed = self.finished_here = 0
        self.started = time.perf_counter()

    def __enter__(self) -> RichBatchProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def start(self, total: int, done: int, failed: int) -> None:
        self.total, self.done, self.failed = total, done, failed
        self.started = time.perf_counter()
        self._draw()
        self.progress.update(self.task, visible=True)

    def finished(self, recording_id: str, ok: bool) -> None:
        self.finished_here += 1
        if ok:
            self.done += 1
        else:
            self.failed += 1
            self.progress.console.print(f"[red]{recording_id} failed[/] (see failures.csv)")
        self._draw()

    def _draw(self) -> None:
        remaining = self.total - self.done - self.failed
        elapsed_min = (time.perf_counter() - self.started) / 60.0
        per_min = self.finished_here / elapsed_min if self.finished_here and elapsed_min else None
        rate = f"{per_min:.1f} rec/min" if per_min else "- rec/min"
        eta = _duration(60.0 * remaining / per_min) if per_min and remaining else "-"
        self.progress.update(
            self.task, total=max(self.total, 1), completed=self.done + self.failed,
            done=self.done, failed=self.failed, remaining=remaining, rate=rate, eta=eta,
        )  # fmt: skip


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
