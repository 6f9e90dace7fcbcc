"""open_model: one call, the same outputs, whatever the file; clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from redactor.errors import ModelError, UsageError
from redactor.processes import cpu_threads
from redactor.runtime import BACKENDS, onnx_providers, open_model
from tests.export.tiny_model import ASTRONAUT, SIZE


@pytest.mark.parametrize("backend", ["torch", "torch-fp16"])
def test_torch_backends_match_onnx_runtime(
    tiny_checkpoint: Path, tiny_onnx: Path, backend: str
) -> None:
    from PIL import Image

    reference = open_model(tiny_onnx)
    model = open_model(tiny_checkpoint, backend, device="cpu")
    assert model.meta.to_dict() == reference.meta.to_dict()
    rgb = np.asarray(Image.open(ASTRONAUT).convert("RGB"))
    got, expected = model.predict([rgb, rgb[::2]]), reference.predict([rgb, rgb[::2]])
    tolerance = 1e-4 if backend == "torch" else 2e-2
    for name in ("score", "attributes", "cams"):
        assert got[name].dtype == np.float32 and got[name].shape == expected[name].shape
        assert np.abs(got[name] - expected[name]).max() < (
            tolerance if name != "cams" else 10 * tolerance
        )
    assert model.precision == ("fp16" if backend == "torch-fp16" else "fp32")


def test_providers_are_explicit_and_cpu_last() -> None:
    providers = onnx_providers("cpu")
    assert providers == ["CPUExecutionProvider"]
    assert onnx_providers("auto")[-1] == "CPUExecutionProvider"
    assert "AzureExecutionProvider" not in [
        p if isinstance(p, str) else p[0] for p in onnx_providers("auto")
    ]


def test_onnx_session_runs_on_the_chosen_provider(tiny_onnx: Path) -> None:
    model = open_model(tiny_onnx, device="cpu", threads=1)
    assert model.session.get_providers() == ["CPUExecutionProvider"]
    assert model.describe() == "onnxruntime CPUExecutionProvider (cpu)"
    options = model.session.get_session_options()
    assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1
    # Inputs are always the model's input size: memory patterns stay on (detectors turn them off).
    assert options.enable_mem_pattern and options.graph_optimization_level.name == "ORT_ENABLE_ALL"
    default = open_model(tiny_onnx, device="cpu").session.get_session_options()
    assert default.intra_op_num_threads == cpu_threads()  # the affinity, not os.cpu_count()


def test_wrong_inputs_are_usage_errors(tiny_onnx: Path) -> None:
    model = open_model(tiny_onnx)
    with pytest.raises(UsageError, match=rf"float32 \[B, 3, {SIZE}, {SIZE}\].*preprocess"):
        model(np.zeros((1, 3, 64, 64), np.float32))
    with pytest.raises(UsageError, match="empty batch"):
        model(np.zeros((0, 3, SIZE, SIZE), np.float32))
    with pytest.raises(UsageError, match="RGB uint8"):
        model.predict([np.zeros((10, 10), np.uint8)])
    assert model(np.zeros((1, 3, SIZE, SIZE), np.float64))["score"].dtype == np.float32


def test_file_errors(tmp_path: Path, tiny_checkpoint: Path, tiny_onnx: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        open_model(tmp_path / "none.onnx")
    other = tmp_path / "model.tflite"
    other.write_bytes(b"x")
    with pytest.raises(ModelError, match="unknown model file type '.tflite'"):
        open_model(other)
    with pytest.raises(UsageError, match="backend onnxruntime reads .onnx files, not .pt"):
        open_model(tiny_checkpoint, "onnxruntime")
    with pytest.raises(UsageError, match="unknown backend 'tvm'"):
        open_model(tiny_checkpoint, "tvm")
    with pytest.raises(UsageError, match="torch-cudagraph needs a CUDA device"):
        open_model(tiny_checkpoint, "torch-cudagraph", device="cpu")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(tiny_onnx.read_bytes()[:2000])
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        open_model(broken)
    bare = onnx.load(str(tiny_onnx))
    del bare.metadata_props[:]
    plain = tmp_path / "plain.onnx"
    onnx.save(bare, str(plain))
    with pytest.raises(ModelError, match="carries no redactor metadata.*redact export"):
        open_model(plain)


def test_every_backend_names_the_file_type_it_reads() -> None:
    assert {spec.suffix for spec in BACKENDS.values()} == {".pt", ".onnx", ".engine"}
    assert BACKENDS["torch-fp16"].precision == "fp16" and BACKENDS["torch-compile"].compile
