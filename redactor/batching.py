"""Micro-batching for the daemon: concurrent requests that need the same work are gathered into
one call, run off the event loop, with a bound on the work the daemon accepts.

A request first takes an admission ticket (`admit()`); when `max_pending` tickets are out the
request is refused at once with `Overloaded` (the server answers 503 + Retry-After) instead of
queueing without end. Admitted jobs wait in arrival order. The dispatcher waits for a free
worker, takes the oldest job and every queued job with the same key (same options) up to
`max_batch`, and when that batch is not yet full it waits up to `window_s` after the oldest
arrival for more. Under load the workers are busy, jobs pile up meanwhile, and batches fill
without any extra wait; when idle, a lone request waits at most `window_s`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

P = TypeVar("P")  # a job's input (encoded image bytes)
R = TypeVar("R")  # a job's outcome

# Runs in a worker thread: one outcome per payload, in order; an exception in the list fails
# only its own job.
BatchFunction = Callable[[Sequence[P]], Sequence["R | BaseException"]]


class Overloaded(Exception):
    """More work is admitted than the daemon accepts; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int, pending: int):
        super().__init__(f"the daemon is busy with {pending} images; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Job(Generic[P, R]):
    key: Hashable
    payload: P
    process: BatchFunction
    future: asyncio.Future
    arrived: float
    ticket: Ticket | None


@dataclass
class BatchStats:
    batches: int = 0
    jobs: int = 0
    largest_batch: int = 0
    busy_seconds: float = 0.0
    sizes: dict[int, int] = field(default_factory=dict)  # batch size -> how many batches


class Ticket:
    """An admission slot; released when the request is done, however it ends. A request that
    gives up (timeout, client gone) while its job runs keeps the slot until the job is done:
    the bound is on work in the daemon, not on requests waiting for it."""

    def __init__(self, batcher: MicroBatcher):
        self._batcher = batcher
        self._released = False
        self._running = False
        self._release_after_run = False

    def release(self) -> None:
        if self._running:
            self._release_after_run = True
            return
        if not self._released:
            self._released = True
            self._batcher._pending -= 1

    def _started(self) -> None:
        self._running = True

    def _finished(self) -> None:
        self._running = False
        if self._release_after_run:
            self.release()

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class MicroBatcher:
    def __init__(self, *, workers: int, max_batch: int, window_s: float, max_pending: int):
        if workers < 1 or max_batch < 1 or max_pending < 1 or window_s < 0:
            raise ValueError("workers, max_batch and max_pending must be >= 1, window_s >= 0")
        self.workers = workers
        self.max_batch = max_batch
        self.window_s = window_s
        self.max_pending = max_pending
        self.stats = BatchStats()
        self._pending = 0  # admitted and not finished (reading body, queued or running)
        self._running = 0  # jobs inside a worker now
        self._queue: list[_Job] = []
        self._seconds_per_job = 0.5  # running estimate for Retry-After
        self._executor: ThreadPoolExecutor | None = None
        self._dispatcher: asyncio.Task | None = None
        self._arrived: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task] = set()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="redactor-worker")
        self._arrived = asyncio.Event()
        self._slots = asyncio.Semaphore(self.workers)
        self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())

    async def run_in_worker(self, function: Callable[[], R]) -> R:
        """Run one-off work (model warm-up) on the worker pool."""
        assert self._executor is not None, "start() first"
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    async def close(self) -> None:
        """Finish every queued and running job, then stop the workers."""
        while self._queue or self._tasks:
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            else:
                await asyncio.sleep(0.005)
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            try:
                await self._dispatcher
            except asyncio.CancelledError:
                pass
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    # -- admission and submission ------------------------------------------------------------
    @property
    def pending(self) -> int:
        return self._pending

    @property
    def running(self) -> int:
        return self._running

    @property
    def queued(self) -> int:
        return sum(1 for job in self._queue if not job.future.done())

    def retry_after(self) -> int:
        backlog = self._pending * self._seconds_per_job / self.workers
        return int(min(60, max(1, math.ceil(backlog))))

    def admit(self) -> Ticket:
        if self._pending >= self.max_pending:
            raise Overloaded(self.retry_after(), self._pending)
        self._pending += 1
        return Ticket(self)

    async def submit(
        self, key: Hashable, payload: P, process: BatchFunction, ticket: Ticket | None = None
    ) -> R:
        """Queue one job under its admission `ticket`; jobs with equal keys may share a batch
        and must share `process`. Cancelling the awaiting task drops the job if it has not
        started; a started one finishes and only then frees the ticket."""
        assert self._arrived is not None, "start() first"
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(key, payload, process, future, time.monotonic(), ticket))
        self._arrived.set()
        return await future

    # -- dispatcher ----------------------------------------------------------------------------
    def _drop_abandoned(self) -> None:
        self._queue = [job for job in self._queue if not job.future.done()]

    def _same_key(self, key: Hashable) -> list[_Job]:
        return [job for job in self._queue if job.key == key][: self.max_batch]

    async def _dispatch(self) -> None:
        assert self._arrived is not None and self._slots is not None
        while True:
            self._drop_abandoned()
            if not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            await self._slots.acquire()
            self._drop_abandoned()
            if not self._queue:
                self._slots.release()
                continue
            key = self._queue[0].key
            deadline = self._queue[0].arrived + self.window_s
            while len(self._same_key(key)) < self.max_batch:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.clear()
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except asyncio.TimeoutError:
                    break
                self._drop_abandoned()
            batch = self._same_key(key)
            if not batch:
                self._slots.release()
                continue
            taken = {id(job) for job in batch}
            self._queue = [job for job in self._queue if id(job) not in taken]
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[_Job]) -> None:
        assert self._executor is not None and self._slots is not None
        self._running += len(batch)
        for job in batch:
            if job.ticket is not None:
                job.ticket._started()
        started = time.perf_counter()
        try:
            process = batch[0].process
            payloads = [job.payload for job in batch]
            try:
                outcomes: Sequence[Any] = await asyncio.get_running_loop().run_in_executor(
                    self._executor, process, payloads
                )
                if len(outcomes) != len(batch):
                    raise RuntimeError("a batch function returned the wrong number of outcomes")
            except Exception as error:  # noqa: BLE001 - the whole batch failed: tell every job
                outcomes = [error] * len(batch)
            for job, outcome in zip(batch, outcomes):
                if job.future.done():  # the request gave up (timeout, client gone)
                    continue
                if isinstance(outcome, BaseException):
                    job.future.set_exception(outcome)
                else:
                    job.future.set_result(outcome)
        finally:
            elapsed = time.perf_counter() - started
            for job in batch:
                if job.ticket is not None:
                    job.ticket._finished()
            self._running -= len(batch)
            self._slots.release()
            stats = self.stats
            stats.batches += 1
            stats.jobs += len(batch)
            stats.largest_batch = max(stats.largest_batch, len(batch))
            stats.busy_seconds += elapsed
            stats.sizes[len(batch)] = stats.sizes.get(len(batch), 0) + 1
            self._seconds_per_job = 0.8 * self._seconds_per_job + 0.2 * (elapsed / len(batch))
