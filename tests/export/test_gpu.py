"""GPU checks (marked `gpu`; skipped with a reason where torch sees no CUDA device): the fast
torch paths (half precision, CUDA graphs, torch.compile) against the CPU fp32 model, the
detector on CUDA, and the benchmark's device-synchronised timing.

Runs under pytest (`pytest -m gpu tests/export/test_gpu.py`) or, on a GPU machine without
pytest, as `python tests/export/test_gpu.py` (benchmarks/gpu_check.sh picks whichever works).
Imports neither typer nor rich: the lent GPU machines have torch, onnx and onnxruntime only.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

if __name__ == "__main__":  # run as a script: make `tests` and `redactor` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from redactor.exporters.parity import compare, torch_reference  # noqa: E402
from redactor.runtime import open_model  # noqa: E402
from tests.export.tiny_model import SIZE, make_checkpoint  # noqa: E402

try:
    import pytest
except ImportError:  # script mode on a machine without pytest
    pytest = None  # type: ignore[assignment]

HAS_CUDA = torch.cuda.is_available()
if pytest is not None:
    pytestmark = [
        pytest.mark.gpu,
        pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU visible to torch"),
    ]

    @pytest.fixture(scope="module")
    def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return make_checkpoint(tmp_path_factory.mktemp("gpu") / "tiny.pt")


class Skipped(Exception):
    """A check that cannot run here (script mode's pytest.skip)."""


def skip(reason: str) -> None:
    if pytest is not None:
        pytest.skip(reason)
    raise Skipped(reason)


def reference_of(checkpoint: Path):
    from redactor.exporters.onnx_export import load_inference_module

    module, _ = load_inference_module(checkpoint)
    return torch_reference(module)


def test_torch_cuda_fp32_and_fp16_match_the_cpu_model(checkpoint: Path) -> None:
    reference = reference_of(checkpoint)
    for backend, tolerance in (("torch", "tf32"), ("torch-fp16", "fp16")):
        model = open_model(checkpoint, backend, device="cuda")
        assert model.device == "cuda"
        report = compare(reference, model, precision=tolerance)
        assert report.ok, "\n".join(report.lines())


def test_cuda_graphs_replay_new_inputs_at_each_batch_size(checkpoint: Path) -> None:
    eager = open_model(checkpoint, "torch", device="cuda")
    graphs = open_model(checkpoint, "torch-cudagraph", device="cuda")
    rng = np.random.default_rng(1)
    for batch in (1, 4, 1):
        images = rng.standard_normal((batch, 3, SIZE, SIZE)).astype(np.float32)
        got, expected = graphs(images), eager(images)
        for name in ("score", "attributes", "cams"):
            np.testing.assert_allclose(got[name], expected[name], atol=1e-5)
    assert sorted(graphs._graphs) == [(1, 3, SIZE, SIZE), (4, 3, SIZE, SIZE)]  # one graph per shape
    report = compare(reference_of(checkpoint), graphs, precision="tf32")
    assert report.ok, "\n".join(report.lines())


def test_torch_compile_matches_eager(checkpoint: Path) -> None:
    compiled = open_model(checkpoint, "torch-compile", device="cuda", precision="fp16")
    report = compare(reference_of(checkpoint), compiled, precision="fp16")
    assert report.ok, "\n".join(report.lines())


def test_detector_on_cuda_finds_what_onnx_runtime_finds(checkpoint: Path, tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("PIL") is None:
        skip("Pillow is not installed (the detector resizes images with it)")
    from redactor.exporters.onnx_export import export_onnx
    from redactor.detectors import Context
    from redactor.detectors.model import ModelDetector

    onnx_path = export_onnx(checkpoint, tmp_path / "tiny.onnx").path
    image = (np.random.default_rng(2).random((240, 320, 3)) * 255).astype(np.uint8)
    on_gpu, on_cpu = (
        ModelDetector(checkpoint, device="cuda"),
        ModelDetector(onnx_path, device="cpu"),
    )
    assert on_gpu.runtime.device == "cuda"
    gpu_regions = {r.attributes[0]: r.box for r in on_gpu.detect(image, Context(image))}
    cpu_regions = {r.attributes[0]: r.box for r in on_cpu.detect(image, Context(image))}
    assert gpu_regions.keys() == cpu_regions.keys() and gpu_regions
    for key, box in gpu_regions.items():
        assert np.abs(np.subtract(box, cpu_regions[key])).max() <= 2


def test_bench_on_cuda_times_device_resident_batches(checkpoint: Path) -> None:
    from redactor.exporters.bench import BenchSettings, run_bench

    settings = BenchSettings(
        batches=(1, 8),
        precisions=("fp32", "fp16"),
        device="cuda",
        warmup=2,
        runs=5,
        max_seconds=2.0,
        device_io=True,
    )
    result = run_bench([checkpoint], ["torch", "torch-cudagraph"], settings)
    assert result.environment["gpu"]
    assert all(r.error is None and r.p50_ms > 0 and r.speedup for r in result.rows), result.rows
    assert len(result.rows) == 2 * 2 * 2


def _run_as_script() -> int:
    """Every test above, without pytest. Exit status 1 when one fails."""
    if not HAS_CUDA:
        print("SKIPPED: no CUDA GPU visible to torch")
        return 0
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = make_checkpoint(Path(folder) / "tiny.pt")
        for name, test in list(globals().items()):
            if not name.startswith("test_"):
                continue
            arguments = {"checkpoint": checkpoint}
            if "tmp_path" in test.__code__.co_varnames[: test.__code__.co_argcount]:
                arguments["tmp_path"] = Path(tempfile.mkdtemp(dir=folder))
            try:
                test(**arguments)
                print(f"PASSED {name}")
            except Skipped as reason:
                print(f"SKIPPED {name}: {reason}")
            except Exception as error:  # noqa: BLE001 - reported, then counted
                failed += 1
                print(f"FAILED {name}: {type(error).__name__}: {str(error)[:2000]}")
    print(f"{failed} failed" if failed else "all GPU checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_run_as_script())
