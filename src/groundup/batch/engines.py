"""Where the tasks run: a local process pool, or a Dask distributed cluster.

Both are ``concurrent.futures`` executors (Dask's through ``Client.get_executor``), so the batch
submits tasks and collects results the same way on both; the pool or Dask does all scheduling.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from groundup.batch.task import prepare_worker
from groundup.errors import GroundUpError

# One thread per numerical library in each worker process: the workers are the parallelism,
# and N workers each starting N BLAS threads would only contend for the same cores.
_THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
    "OPENCV_FOR_THREADS_NUM",  # OpenCV's own thread pool (image resizing in the video path)
)


def default_workers() -> int:
    """The number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# Imported once in the fork server, before it forks the workers: each worker starts with the
# gait engine loaded instead of importing it again (about 1 CPU-second per worker). Video
# modules are left out: they start threads, which a fork must not copy.
PRELOAD = (
    "groundup.batch.task",
    "groundup.pipeline",
    "groundup.gait.analysis",
    "groundup.io.c3d",
    "groundup.kinematics.cgm1",
    "groundup.norms.curves",
    "groundup.plan",
    "groundup.exam.scoring",
)


def _worker_context() -> multiprocessing.context.BaseContext:
    """ "forkserver" with the gait engine preloaded where available, else "spawn": fresh
    processes either way (no state copied from this process, safe beside the progress bar's
    thread). The workers' environment gets one thread per numerical library."""
    for name in _THREAD_ENV:
        os.environ.setdefault(name, "1")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def start_local_workers_early() -> None:
    """Start the fork server now, so that it imports the gait engine (about a CPU-second, once
    per command) while this process still reads the inputs and the run manifest, instead of
    after them with every worker waiting for it."""
    if _worker_context().get_start_method() == "forkserver":
        import multiprocessing.forkserver

        multiprocessing.forkserver.ensure_running()


@contextmanager
def local_pool(workers: int) -> Iterator[Executor]:
    """A pool of ``workers`` processes; each ends when this process does."""
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=_worker_context(), initializer=prepare_worker
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask_cluster(address: str, timeout_s: float = 30.0) -> Iterator[Executor]:
    """The executor of a running Dask distributed cluster reached at ``address``."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise GroundUpError(
            "Running on a Dask cluster needs the 'distributed' package.",
            "Install it: pip install 'dask[distributed]'.",
        ) from exc
    try:
        client = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise GroundUpError(
            f"Cannot reach the Dask scheduler at {address} ({type(exc).__name__}).",
            "Check the address (e.g. tcp://10.0.0.5:8786), that `dask scheduler` runs there "
            "and that this machine may connect to it.",
        ) from exc
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()


def engine_name(scheduler: str | None, workers: int) -> str:
    return f"dask:{scheduler}" if scheduler else f"local:{workers}"
