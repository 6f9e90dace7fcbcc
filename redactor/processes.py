"""Worker processes and the CPUs they share: the one pool maker of the batch runner, the mask
cache and the synthetic generator, and the one count of CPU threads a process may use."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable

# Set in a pool worker: its share of the parent's CPUs (what cpu_threads() answers there).
_SHARE: int | None = None


def cpu_threads() -> int:
    """CPU threads this process should use: in a pool worker its share, else the CPUs its
    affinity allows. Not os.cpu_count(): a 2-CPU container on a 64-core host has 2."""
    if _SHARE is not None:
        return _SHARE
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows: no affinity call
        return max(1, os.cpu_count() or 1)


def thread_share(workers: int) -> int:
    """CPU threads each of `workers` processes gets when they split this process's CPUs."""
    return max(1, cpu_threads() // max(1, workers))


def process_pool(
    workers: int,
    *,
    start: str,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    threads: int | None = None,
) -> ProcessPoolExecutor:
    """A pool of `workers` processes started with `start` ("spawn": a clean interpreter, for
    workers that hold detector threads; "fork": a copy of this one, cheap, where it exists).
    Each worker runs `initializer(*initargs)` once; there cpu_threads() answers `threads`
    (default: an equal share of this process's CPUs)."""
    if start not in multiprocessing.get_all_start_methods():
        start = "spawn"  # fork is POSIX only
    share = threads if threads is not None else thread_share(workers)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(start),
        initializer=_start_worker,
        initargs=(share, initializer, initargs),
    )


def _start_worker(share: int, initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    global _SHARE
    _SHARE = share
    if initializer is not None:
        initializer(*initargs)


__all__ = ["cpu_threads", "process_pool", "thread_share"]
