"""Micro-batching for the daemon: concurrent requests that need the same work are gathered into
one call, run off the event loop, with a bound on the work the daemon accepts.

A request first takes an admission ticket (`admit()`); when `max_pending` tickets are out the
request is refused at once with `Overloaded` (the server answers 503 + Retry-After) instead of
queueing without end. The ticket then reserves the image's decoded pixels from a daemon-wide
budget (`reserve_pixels`): memory grows with pixels, not with requests, so a burst of large
images waits for the budget (and gets `Overloaded` after `wait_s`) instead of being decoded at
once. Admitted jobs wait in arrival order. The dispatcher waits for a free
worker, takes the oldest job and every queued job with the same key (same options) up to
`max_batch`, and when that batch is not yet full it waits up to `window_s` after the oldest
arrival for more. Under load the workers are busy, jobs pile up meanwhile, and batches fill
without any extra wait; when idle, a lone request waits at most `window_s`.
"""

from __future__ import annotations

import asyncio
import collections
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
        self.pixels = 0  # reserved from the batcher's pixel budget

    def release(self) -> None:
        if self._running:
            self._release_after_run = True
            return
        if not self._released:
            self._released = True
            self._batcher._pending -= 1
            self._batcher.pixels.release(self.pixels)
            self.pixels = 0

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


class PixelBudget:
    """Decoded pixels the daemon holds at once. Reservations are granted in arrival order (a
    large image is not starved by a stream of small ones)."""

    def __init__(self, total: int):
        self.total = total
        self.used = 0
        self.peak = 0
        self._waiters: collections.deque[tuple[int, asyncio.Future]] = collections.deque()

    @property
    def waiting(self) -> int:
        return sum(1 for _, future in self._waiters if not future.done())

    async def acquire(self, amount: int, wait_s: float) -> bool:
        """Reserve `amount` (at most the total); False when not granted within `wait_s`."""
        amount = min(amount, self.total)
        if not self._waiters and self.used + amount <= self.total:
            self._take(amount)
            return True
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        entry = (amount, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(future), wait_s)
            return True
        except BaseException as error:  # the wait timed out, or the request was cancelled
            self._withdraw(entry)
            if isinstance(error, TimeoutError):
                return False
            raise

    def _withdraw(self, entry: tuple[int, asyncio.Future]) -> None:
        amount, future = entry
        if future.done() and not future.cancelled():
            self.release(amount)  # granted just as the wait ended
            return
        future.cancel()
        if entry in self._waiters:
            self._waiters.remove(entry)
        self._grant()  # a large waiter leaving may unblock smaller ones behind it

    def release(self, amount: int) -> None:
        self.used -= amount
        self._grant()

    def _take(self, amount: int) -> None:
        self.used += amount
        self.peak = max(self.peak, self.used)

    def _grant(self) -> None:
        while self._waiters:
            amount, future = self._waiters[0]
            if future.done():
                self._waiters.popleft()
                continue
            if self.used + amount > self.total:
                return
            self._waiters.popleft()
            self._take(amount)
            future.set_result(None)


class MicroBatcher:
    def __init__(
        self, *, workers: int, max_batch: int, window_s: float, max_pending: int,
        pixel_budget: int = 2**62, budget_wait_s: float = 30.0,
    ):  # fmt: skip
        if workers < 1 or max_batch < 1 or max_pending < 1 or window_s < 0:
            raise ValueError("workers, max_batch and max_pending must be >= 1, window_s >= 0")
        self.pixels = PixelBudget(pixel_budget)
        self.budget_wait_s = budget_wait_s
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

    async def reserve_pixels(self, ticket: Ticket, amount: int) -> None:
        """Hold `amount` decoded pixels under `ticket` until it is released; `Overloaded` when
        the budget stays full for `budget_wait_s`."""
        if not await self.pixels.acquire(amount, self.budget_wait_s):
            raise Overloaded(self.retry_after(), self._pending)
        ticket.pixels = min(amount, self.pixels.total)

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
