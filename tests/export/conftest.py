"""The tiny checkpoint (tests/export/tiny_model.py) and its ONNX export, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.export.tiny_model import ASTRONAUT, SAMPLES, make_checkpoint
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse fixture)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("tiny") / "tiny.pt")


@pytest.fixture(scope="session")
def tiny_export(tiny_checkpoint: Path):
    """The ExportResult of the tiny checkpoint's ONNX export (parity on random + real images)."""
    from redactor.exporters.onnx_export import export_onnx

    return export_onnx(
        tiny_checkpoint,
        tiny_checkpoint.with_suffix(".onnx"),
        samples=[ASTRONAUT, SAMPLES / "id_card.png"],
    )


@pytest.fixture(scope="session")
def tiny_onnx(tiny_export) -> Path:
    return tiny_export.path


@pytest.fixture(scope="session")
def unmeasured_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny checkpoint with no recorded real-image validity (issue 13's gate refuses it)."""
    return make_checkpoint(tmp_path_factory.mktemp("bare") / "bare.pt", validity={})


@pytest.fixture(scope="session")
def unmeasured_onnx(unmeasured_checkpoint: Path) -> Path:
    from redactor.exporters.onnx_export import export_onnx

    return export_onnx(
        unmeasured_checkpoint, unmeasured_checkpoint.with_suffix(".onnx"), samples=[ASTRONAUT]
    ).path
