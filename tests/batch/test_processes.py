"""Issue 15 point 4: the CPU threads workers and ONNX Runtime sessions get come from the CPUs this
process may use (its affinity), not from os.cpu_count(). Each check runs in a child process whose
affinity is cut to one CPU and whose os.cpu_count() says 64, as in a 1-CPU container on a 64-core
host (the bug: each of 2 batch workers got 64 // 2 = 32 threads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]

ONE_CPU_BIG_HOST = """
import json, os
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
os.cpu_count = lambda: 64  # what a container on a 64-core host reports
"""


def in_one_cpu_child(body: str) -> dict:
    script = ONE_CPU_BIG_HOST + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker_threads() -> dict:
    from redactor.detectors.faces import FaceDetector
    from redactor.processes import cpu_threads

    session = FaceDetector()._session
    return {"cpu_threads": cpu_threads(),
            "faces": session.get_session_options().intra_op_num_threads}  # fmt: skip


def _fail_first(index: int) -> int:
    if index == 0:
        raise ValueError("the first task fails")
    time.sleep(0.2)
    return index


def test_an_error_drops_the_work_not_yet_started():
    from redactor.processes import process_pool

    start = time.perf_counter()
    with pytest.raises(ValueError, match="the first task fails"):
        with process_pool(2, start="spawn", threads=1) as pool:
            for _ in pool.map(_fail_first, range(200)):
                pass
    assert time.perf_counter() - start < 15  # all 200 tasks: 20 s on 2 workers


def test_sessions_in_this_process_use_the_affinity_not_cpu_count():
    got = in_one_cpu_child("""
        from redactor.detectors.faces import FaceDetector
        from redactor.detectors.ocr import OcrEngine
        from redactor.processes import cpu_threads, thread_share
        ocr = OcrEngine()
        print(json.dumps({
            "cpu_threads": cpu_threads(), "share": thread_share(2),
            "faces": FaceDetector()._session.get_session_options().intra_op_num_threads,
            "ocr": [s.get_session_options().intra_op_num_threads for s in (ocr.det, ocr.rec)],
        }))
    """)
    assert got == {"cpu_threads": 1, "share": 1, "faces": 1, "ocr": [1, 1]}


def test_each_pool_worker_gets_its_share_of_the_affinity():
    got = in_one_cpu_child("""
        from redactor.processes import process_pool
        from tests.batch.test_processes import _worker_threads
        with process_pool(2, start="spawn") as pool:
            print(json.dumps([pool.submit(_worker_threads).result() for _ in range(2)]))
    """)
    assert got == [{"cpu_threads": 1, "faces": 1}] * 2


@pytest.mark.slow  # two spawned workers, each loading the detectors
def test_batch_workers_split_the_affinity_not_cpu_count(tmp_path: Path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.full((48, 64, 3), 40 * i, np.uint8)).save(folder / f"{i}.png")
    got = in_one_cpu_child(f"""
        from redactor import batch
        from redactor.pipeline import RedactOptions
        seen = []
        real_pool = batch.process_pool
        def recording_pool(workers, **kwargs):
            seen.append({{"workers": workers, "threads": kwargs["threads"],
                         "engine": kwargs["initargs"][0].threads}})
            return real_pool(workers, **kwargs)
        batch.process_pool = recording_pool
        summary = batch.redact(
            batch.BatchRequest(({str(folder)!r},), out={str(tmp_path / "out")!r}),
            RedactOptions(hide=("face",)), batch.LocalRunner(batch.RedactorSetup(), workers=2),
        )
        print(json.dumps({{"pools": seen, "images": summary.images, "failed": summary.failed}}))
    """)
    assert got["pools"] == [{"workers": 2, "threads": 1, "engine": 1}]
    assert got["images"] == 2 and got["failed"] == 0
    assert (tmp_path / "out" / "0.png").is_file() and (tmp_path / "out" / "1.png").is_file()


def _config(session, key: str) -> str | None:
    try:
        return session.get_session_options().get_session_config_entry(key)
    except RuntimeError:  # not set
        return None


def test_the_one_session_factory_keeps_each_callers_settings():
    from redactor.detectors.faces import FaceDetector
    from redactor.detectors.ocr import OcrEngine, OcrSettings

    faces = FaceDetector(threads=3)._session
    ocr = OcrEngine(OcrSettings(threads=2))
    for session, threads, denormal in ((faces, 3, None), (ocr.det, 2, "1"), (ocr.rec, 2, "1")):
        options = session.get_session_options()
        assert options.intra_op_num_threads == threads and options.inter_op_num_threads == 1
        assert not options.enable_mem_pattern and options.enable_cpu_mem_arena
        assert options.graph_optimization_level.name == "ORT_ENABLE_ALL"
        assert options.execution_mode.name == "ORT_SEQUENTIAL"
        assert _config(session, "session.intra_op.allow_spinning") == "0"
        assert _config(session, "session.set_denormal_as_zero") == denormal
        assert session.get_providers() == ["CPUExecutionProvider"]


@pytest.mark.slow  # starts Ray
def test_a_local_ray_cluster_counts_the_cpus_this_process_may_use():
    pytest.importorskip("ray", reason="the `ray` extra is not installed")
    got = in_one_cpu_child("""
        import ray
        from redactor.engines.ray_engine import RayCluster, _connect
        _connect(ray, RayCluster())
        try:
            print(json.dumps({"cpus": ray.cluster_resources()["CPU"]}))
        finally:
            ray.shutdown()
    """)
    assert got == {"cpus": 1.0}
