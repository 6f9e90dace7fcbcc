"""The micro-batcher on its own: batches fill under concurrency, admission refuses beyond the
bound, a failing job fails alone, abandoned jobs are skipped, close() finishes queued work."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from redactor.microbatch import MicroBatcher, Overloaded


def doubling(calls: list[list[int]], delay: float = 0.0):
    def process(payloads):
        calls.append(list(payloads))
        time.sleep(delay)
        return [p * 2 for p in payloads]

    return process


async def _submit(batcher, key, payload, process):
    with batcher.admit():
        return await batcher.submit(key, payload, process)


def test_concurrent_jobs_share_batches_and_run_off_the_loop():
    calls: list[list[int]] = []
    loop_threads: set[int] = set()

    def process(payloads):
        loop_threads.add(threading.get_ident())
        return doubling(calls, 0.05)(payloads)

    async def main():
        batcher = MicroBatcher(workers=1, max_batch=4, window_s=0.02, max_pending=32)
        await batcher.start()
        results = await asyncio.gather(*(_submit(batcher, "k", i, process) for i in range(10)))
        await batcher.close()
        return results, batcher.stats, threading.get_ident()

    results, stats, loop_thread = asyncio.run(main())
    assert results == [i * 2 for i in range(10)]
    assert loop_thread not in loop_threads
    assert max(len(c) for c in calls) == 4  # batches fill up to max_batch
    assert sorted(p for c in calls for p in c) == list(range(10))
    assert stats.batches == len(calls) <= 4


def test_different_keys_never_share_a_batch():
    calls: list[list[int]] = []

    async def main():
        batcher = MicroBatcher(workers=2, max_batch=8, window_s=0.02, max_pending=32)
        await batcher.start()
        results = await asyncio.gather(
            *(_submit(batcher, i % 2, i, doubling(calls)) for i in range(8))
        )
        await batcher.close()
        return results

    assert asyncio.run(main()) == [i * 2 for i in range(8)]
    for call in calls:
        assert len({p % 2 for p in call}) == 1


def test_admission_refuses_beyond_max_pending_with_a_retry_hint():
    async def main():
        batcher = MicroBatcher(workers=1, max_batch=1, window_s=0, max_pending=2)
        await batcher.start()
        first, second = batcher.admit(), batcher.admit()
        with pytest.raises(Overloaded) as refused:
            batcher.admit()
        assert refused.value.retry_after >= 1
        first.release()
        first.release()  # releasing twice must not free a second slot
        third = batcher.admit()
        with pytest.raises(Overloaded):
            batcher.admit()
        second.release(), third.release()
        assert batcher.pending == 0
        await batcher.close()

    asyncio.run(main())


def test_a_failing_job_fails_alone_and_a_crashing_batch_fails_its_jobs():
    def picky(payloads):
        return [ValueError("odd") if p % 2 else p for p in payloads]

    def crashing(payloads):
        raise RuntimeError("boom")

    async def main():
        batcher = MicroBatcher(workers=1, max_batch=4, window_s=0.02, max_pending=16)
        await batcher.start()
        outcomes = await asyncio.gather(
            *(_submit(batcher, "p", i, picky) for i in range(4)), return_exceptions=True
        )
        crashed = await asyncio.gather(
            *(_submit(batcher, "c", i, crashing) for i in range(2)), return_exceptions=True
        )
        after = await _submit(batcher, "p", 2, picky)  # the batcher still works
        await batcher.close()
        return outcomes, crashed, after

    outcomes, crashed, after = asyncio.run(main())
    assert outcomes[0] == 0 and outcomes[2] == 2
    assert isinstance(outcomes[1], ValueError) and isinstance(outcomes[3], ValueError)
    assert all(isinstance(c, RuntimeError) for c in crashed)
    assert after == 2


def test_abandoned_jobs_are_skipped_and_close_finishes_queued_work():
    calls: list[list[int]] = []

    async def main():
        batcher = MicroBatcher(workers=1, max_batch=1, window_s=0, max_pending=16)
        await batcher.start()
        busy = asyncio.ensure_future(_submit(batcher, "k", 1, doubling(calls, 0.2)))
        await asyncio.sleep(0.05)  # job 1 is running
        abandoned = asyncio.ensure_future(_submit(batcher, "k", 2, doubling(calls)))
        queued = asyncio.ensure_future(_submit(batcher, "k", 3, doubling(calls)))
        await asyncio.sleep(0.01)
        abandoned.cancel()
        await batcher.close()  # must finish 1 and 3, skip 2
        return await busy, await queued, abandoned.cancelled(), batcher.pending

    first, third, was_cancelled, pending = asyncio.run(main())
    assert (first, third, was_cancelled, pending) == (2, 6, True, 0)
    assert calls == [[1], [3]]


def test_a_request_that_gives_up_keeps_its_slot_until_its_job_is_done():
    calls: list[list[int]] = []

    async def main():
        batcher = MicroBatcher(workers=1, max_batch=1, window_s=0, max_pending=1)
        await batcher.start()
        ticket = batcher.admit()
        waiting = asyncio.ensure_future(batcher.submit("k", 1, doubling(calls, 0.2), ticket))
        await asyncio.sleep(0.05)  # running now
        waiting.cancel()
        ticket.release()  # the request is gone...
        with pytest.raises(Overloaded):
            batcher.admit()  # ...but its work still occupies the daemon
        await asyncio.sleep(0.3)
        assert batcher.pending == 0
        batcher.admit().release()
        await batcher.close()

    asyncio.run(main())
