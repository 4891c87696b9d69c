"""Playwright driving Debian's Chromium (``/usr/bin/chromium``; never a downloaded browser),
and the page checks every browser test runs: a label on every input, no sideways scrolling at
200 % zoom."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def chromium_or_skip() -> str:
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("Debian's chromium is missing in CI (.ci/run installs it).")
    pytest.skip("browser tests need Debian's chromium (apt-get install chromium)")


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height},
                                      accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.type !== 'submit')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""

SIDEWAYS_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def check_page(page: Any) -> None:
    """Every input has a label; the page needs no sideways scrolling."""
    assert page.evaluate(UNLABELLED_JS) == [], page.url
    assert page.evaluate(SIDEWAYS_JS) <= 1, page.url


def shot(page: Any, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def worker_paused(worker_pids: list[int], sqlite_file: Path | None) -> Iterator[None]:
    """The job worker stopped (SIGSTOP) while the block runs, then let go on (SIGCONT): what
    the therapist does in the block happens while the analysis is in the middle, on a fast
    machine as on a slow one. On SQLite the worker is never left stopped while it holds the
    database's write lock (the web server could not write then)."""
    import signal
    import sqlite3
    import time

    assert worker_pids, "groundup serve runs no worker"
    for _attempt in range(200):
        for pid in worker_pids:
            os.kill(pid, signal.SIGSTOP)
        if sqlite_file is None or _write_lock_free(sqlite3, sqlite_file):
            break
        for pid in worker_pids:
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.05)
    else:
        raise AssertionError("the worker held the database's write lock at every try")
    try:
        yield
    finally:
        for pid in worker_pids:
            os.kill(pid, signal.SIGCONT)


def _write_lock_free(sqlite3: Any, path: Path) -> bool:
    conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
