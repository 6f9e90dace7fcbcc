"""TensorRT: the sidecar and the calibration stream are tested here without TensorRT; building
and running engines needs TensorRT and an NVIDIA GPU, and is skipped with that reason."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from redactor.exporters.formats import ExportOptions
from redactor.exporters.tensorrt_build import CalibrationImages, engine_sidecar
from redactor.errors import ModelError
from redactor.model import load_checkpoint
from redactor.runtime import EngineSidecar, open_model, sidecar_path
from tests.export.tiny_model import SAMPLES, SIZE

HAS_TENSORRT = importlib.util.find_spec("tensorrt") is not None
needs_tensorrt = pytest.mark.skipif(
    not HAS_TENSORRT,
    reason="tensorrt is not installed (NVIDIA's " "index only; not installable on this machine)",
)


@pytest.fixture
def fake_engine(tmp_path: Path, tiny_checkpoint: Path, tiny_onnx: Path) -> Path:
    """Bytes standing in for an engine, with the sidecar `redact export` writes beside it."""
    engine = tmp_path / "model.engine"
    engine.write_bytes(b"serialized engine bytes")
    _, meta = load_checkpoint(tiny_checkpoint)
    options = ExportOptions(fp16=True, batch=(1, 4, 16))
    engine_sidecar(engine, meta, options, tiny_onnx).write(engine)
    return engine


def test_sidecar_round_trip(fake_engine: Path, tiny_checkpoint: Path) -> None:
    _, meta = load_checkpoint(tiny_checkpoint)
    path = sidecar_path(fake_engine)
    assert path.name == "model.engine.json"
    data = json.loads(path.read_text())
    assert data["format"] == "redactor.tensorrt-sidecar"
    assert data["engine"]["precision"] == "fp16" and data["engine"]["batch"] == [1, 4, 16]
    assert data["engine"]["input"] == "images" and data["engine"]["outputs"] == [
        "score",
        "attributes",
        "cams",
    ]
    sidecar = EngineSidecar.read(fake_engine)
    assert sidecar.meta.to_dict() == meta.to_dict()
    assert sidecar.batch == (1, 4, 16) and sidecar.precision == "fp16"
    assert fake_engine.read_bytes() == b"serialized engine bytes"  # nothing written into the engine


def test_sidecar_of_another_engine_is_refused(fake_engine: Path) -> None:
    fake_engine.write_bytes(b"a different engine")
    with pytest.raises(ModelError, match="describes another engine"):
        EngineSidecar.read(fake_engine)
    assert EngineSidecar.read(fake_engine, verify=False).precision == "fp16"


def test_missing_or_malformed_sidecar(fake_engine: Path) -> None:
    path = sidecar_path(fake_engine)
    data = json.loads(path.read_text())
    data["engine"]["batch"] = [8, 1, 4]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="bad batch profile"):
        EngineSidecar.read(fake_engine)
    path.write_text('{"format": "something else"}')
    with pytest.raises(ModelError, match="not a redactor engine sidecar"):
        EngineSidecar.read(fake_engine)
    path.unlink()
    with pytest.raises(ModelError, match="no metadata sidecar model.engine.json"):
        open_model(fake_engine)


@pytest.mark.skipif(HAS_TENSORRT, reason="checks the message shown where TensorRT is absent")
def test_engine_without_tensorrt_says_what_to_install(
    fake_engine: Path, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="needs TensorRT"):
        open_model(fake_engine)
    from redactor.exporters.export import export

    with pytest.raises(ModelError, match="needs TensorRT"):
        export(tiny_checkpoint, "tensorrt", tmp_path / "new.engine", ExportOptions(fp16=True))
    assert not (tmp_path / "new.engine").exists()


def test_engines_never_run_on_cpu(fake_engine: Path) -> None:
    from redactor.errors import UsageError

    with pytest.raises(UsageError, match="CUDA GPU only"):
        open_model(fake_engine, device="cpu")


def test_calibration_images_come_in_full_preprocessed_batches(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    _, meta = load_checkpoint(tiny_checkpoint)
    folder = tmp_path / "calib"
    folder.mkdir()
    for name in ("astronaut.jpg", "id_card.png", "letter.jpg", "chat.png", "badge_photo.jpg"):
        shutil.copy(SAMPLES / name, folder / name)
    (folder / "notes.txt").write_text("not an image")
    batches = list(CalibrationImages(folder, meta, batch_size=2))
    assert len(batches) == 2  # 5 images: two full batches, the tail dropped
    assert all(b.shape == (2, 3, SIZE, SIZE) and b.dtype == np.float32 for b in batches)
    assert batches[0].std() > 0.1  # real pixels, normalised
    few = list(CalibrationImages(folder, meta, batch_size=8))
    assert len(few) == 1 and few[0].shape[0] == 8  # fewer images than a batch: repeated to fill
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="holds no images"):
        CalibrationImages(tmp_path / "empty", meta, batch_size=2)


@needs_tensorrt
@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_tensorrt_export_reopens_and_matches_torch(
    tiny_checkpoint: Path, tmp_path: Path, precision: str
) -> None:
    from redactor.exporters.export import export

    options = ExportOptions(fp16=precision == "fp16", batch=(1, 2, 4), given=frozenset({"batch"}))
    result = export(
        tiny_checkpoint,
        "tensorrt",
        tmp_path / "tiny.engine",
        options,
        samples=[SAMPLES / "astronaut.jpg"],
    )
    assert result.parity.ok and result.sidecar == tmp_path / "tiny.engine.json"
    model = open_model(result.path)
    out = model(np.zeros((6, 3, SIZE, SIZE), np.float32))  # beyond the profile's max: chunked
    assert out["cams"].shape[0] == 6 and model.precision == precision
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.engine", "tiny.engine.json"]
