"""Issue 13, point 5: a model's real-image validity travels with it (checkpoint, ONNX
metadata, TensorRT sidecar) and gates its use: an attribute only the model finds is refused
unless its recorded AUC reaches the bar, and `--trust-model` overrides."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from typer.testing import CliRunner

from redactor.exporters.validity import record_validity
from redactor.cli import app
from redactor.errors import ModelError, UnvalidatedModelError
from redactor.imageio import load
from redactor.model import read_checkpoint
from redactor.model_meta import VALIDITY_BAR
from redactor.pipeline import RedactOptions, Redactor
from redactor.runtime import META_KEY, EngineSidecar, open_model, sidecar_path
from tests.export.tiny_model import ASTRONAUT, VALIDATED, make_checkpoint
from redactor.training.real_eval import validity_of
from redactor.training.metrics import roc_auc

runner = CliRunner()
NUDITY = ("nudity",)  # a12/a13: no detector but the model finds them


def weak(auc: float) -> dict:
    return {i: {**entry, "auc": auc} for i, entry in VALIDATED.items()}


@pytest.fixture()
def unmeasured(unmeasured_checkpoint: Path) -> Path:
    return unmeasured_checkpoint


def onnx_meta(path: Path) -> dict:
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return json.loads(props[META_KEY])


def test_roc_auc_counts_ties_as_half() -> None:
    assert roc_auc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0])) == 1.0
    assert roc_auc(np.array([0.1, 0.9]), np.array([1, 0])) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5]), np.array([1, 0, 0])) == 0.5
    assert np.isnan(roc_auc(np.array([0.3, 0.4]), np.array([1, 1])))


def test_model_only_attribute_without_validity_is_refused(unmeasured: Path) -> None:
    redactor = Redactor(model=unmeasured)
    assert redactor.model_only(frozenset({"a13_full_nudity", "a9_face_complete"})) == {
        "a13_full_nudity"  # the face detector covers faces: the model is not alone there
    }
    with pytest.raises(UnvalidatedModelError, match="a13_full_nudity .*never measured") as caught:
        redactor.check(RedactOptions(hide=NUDITY))
    assert "--trust-model" in str(caught.value) and str(VALIDITY_BAR) in str(caught.value)
    with pytest.raises(UnvalidatedModelError):  # refused before any work, on every path
        redactor.redact(load(ASTRONAUT), RedactOptions(hide=NUDITY))
    assert "a9_face_complete" in redactor.check(RedactOptions(hide=("face",)))  # detector-covered


def test_trust_model_overrides(unmeasured: Path) -> None:
    result = Redactor(model=unmeasured).redact(
        load(ASTRONAUT), RedactOptions(hide=NUDITY, trust_model=True)
    )
    hidden = [r for r in result.report.to_json()["regions"] if r["hidden"]]
    assert {r["attributes"][0] for r in hidden} == {"a12_semi_nudity", "a13_full_nudity"}
    assert all(r["validity"]["auc"] is None for r in hidden)  # the report says: unmeasured


def test_validity_under_the_bar_is_refused_and_above_is_used(tmp_path: Path) -> None:
    low = make_checkpoint(tmp_path / "low.pt", validity=weak(VALIDITY_BAR - 0.01))
    with pytest.raises(UnvalidatedModelError, match=r"AUC 0\.840 < 0\.85"):
        Redactor(model=low).check(RedactOptions(hide=NUDITY))
    high = make_checkpoint(tmp_path / "high.pt", validity=weak(0.9))
    result = Redactor(model=high).redact(load(ASTRONAUT), RedactOptions(hide=NUDITY))
    hidden = [r for r in result.report.to_json()["regions"] if r["hidden"]]
    assert len(hidden) == 2 and all(r["validity"]["auc"] == 0.9 for r in hidden)
    assert all(r["validity"]["dataset"] == "fixture/test" for r in hidden)


def test_cli_refuses_in_one_line_exit_2_and_trust_model_overrides(
    unmeasured: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "in" / "photo.jpg"
    photo.parent.mkdir()
    photo.write_bytes(ASTRONAUT.read_bytes())
    out = tmp_path / "out"
    args = [str(photo), "--hide", "nudity", "--model", str(unmeasured), "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2, refused.output
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "never measured" in lines[0] and "--trust-model" in lines[0]
    assert not out.exists() or not any(out.iterdir())  # no work done, nothing written
    trusted = runner.invoke(app, [*args, "--trust-model"])
    assert trusted.exit_code == 0, trusted.output
    entry = json.loads((out / "report.jsonl").read_text().splitlines()[0])
    assert entry["counts"].get("nudity", 0) == 2
    assert photo.read_bytes() == ASTRONAUT.read_bytes()  # the input is untouched


def test_onnx_without_validity_is_refused_and_recording_makes_it_usable(
    unmeasured_onnx: Path, tmp_path: Path
) -> None:
    assert onnx_meta(unmeasured_onnx)["validity"] == {}
    with pytest.raises(UnvalidatedModelError):
        Redactor(model=unmeasured_onnx).check(RedactOptions(hide=NUDITY))
    copy = tmp_path / "m.onnx"
    copy.write_bytes(unmeasured_onnx.read_bytes())
    record_validity(copy, weak(0.93))
    assert onnx_meta(copy)["validity"]["a13_full_nudity"]["auc"] == 0.93
    assert open_model(copy).meta.validated_auc("a12_semi_nudity") == 0.93
    assert Redactor(model=copy).check(RedactOptions(hide=NUDITY)) >= {"a13_full_nudity"}
    with pytest.raises(ModelError, match="lacks"):
        record_validity(copy, {"a99_unknown": VALIDATED["a13_full_nudity"]})


def test_export_carries_the_checkpoints_validity_to_onnx(tmp_path: Path) -> None:
    from redactor.exporters.onnx_export import export_onnx

    checkpoint = make_checkpoint(tmp_path / "v.pt", validity=weak(0.91))
    path = export_onnx(checkpoint, tmp_path / "v.onnx", samples=[ASTRONAUT]).path
    assert onnx_meta(path)["validity"] == weak(0.91)
    assert Redactor(model=path).check(RedactOptions(hide=NUDITY)) >= {"a12_semi_nudity"}


def test_tensorrt_sidecar_carries_validity_and_recording_updates_it(tmp_path: Path) -> None:
    # No TensorRT here: the sidecar is the metadata's carrier, written and read as the
    # exporter does, beside a stand-in engine file.
    from redactor.exporters.formats import DEFAULT_BATCH, DEFAULT_OPSET, ExportOptions
    from redactor.exporters.onnx_export import load_inference_module
    from redactor.exporters.tensorrt_build import engine_sidecar

    checkpoint = make_checkpoint(tmp_path / "v.pt", validity=weak(0.88))
    _, meta = load_inference_module(checkpoint)
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"stand-in engine bytes")
    onnx_path = tmp_path / "m.onnx"
    onnx_path.write_bytes(b"stand-in onnx")
    options = ExportOptions(opset=DEFAULT_OPSET, batch=DEFAULT_BATCH)
    engine_sidecar(engine, meta, options, onnx_path).write(engine)
    assert json.loads(sidecar_path(engine).read_text())["meta"]["validity"] == weak(0.88)
    record_validity(engine, {"a13_full_nudity": {**VALIDATED["a13_full_nudity"], "auc": 0.5}})
    meta = EngineSidecar.read(engine).meta
    assert meta.validated_auc("a13_full_nudity") == 0.5
    assert meta.validated_auc("a12_semi_nudity") == 0.88  # the others are kept


def test_evaluate_record_writes_validity_into_the_checkpoint(tmp_path: Path) -> None:
    # A labelled set in VISPR's layout (what a real validation set uses) and an untrained
    # 68-attribute tiny model: `--record` writes each attribute's measured AUC and counts.
    from redactor.model import save_checkpoint
    from tests.training.fixtures import write_vispr
    from redactor.training.config import make_config
    from redactor.training.datasets import open_source
    from redactor.training.trainer import build_model, model_meta

    records = [
        ("2017_00000001", ["a9_face_complete", "a13_full_nudity"]),
        ("2017_00000002", ["a19_name_full"]),
        ("2017_00000003", ["a0_safe"]),
        ("2017_00000004", ["a9_face_complete"]),
    ]
    data = write_vispr(tmp_path / "real", "test2017", records)
    config = make_config(
        overrides=["backbone=tiny", "pretrained=none", "image_size=48", "use_cropped=false"]
    )
    source = open_source(data, "test")
    model = build_model(config, source)
    checkpoint = save_checkpoint(tmp_path / "m.pt", model, model_meta(model, config, source, False))
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--checkpoint",
            str(checkpoint),
            "--data",
            str(data),
            "--split",
            "test",
            "--no-iou",
            "--record",
            "--json",
            str(tmp_path / "metrics.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    validity = read_checkpoint(checkpoint)["meta"]["validity"]
    # Only attributes with positives and negatives in the set get a figure.
    assert set(validity) == {"a0_safe", "a9_face_complete", "a13_full_nudity", "a19_name_full"}
    face = validity["a9_face_complete"]
    assert (face["n_pos"], face["n_neg"]) == (2, 2) and face["dataset"] == "real/test"
    assert face["measured_at"].startswith("20")
    measured = json.loads((tmp_path / "metrics.json").read_text())["attributes"]["per_attribute"]
    assert face["auc"] == pytest.approx(measured["a9_face_complete"]["auc"], abs=1e-4)
    # Recorded, yet a12 (no positives here) was never measured: nudity is still refused.
    assert "a12_semi_nudity" not in validity
    with pytest.raises(UnvalidatedModelError, match="a12_semi_nudity .*never measured"):
        Redactor(model=checkpoint).check(RedactOptions(hide=NUDITY))


def test_validity_of_skips_attributes_without_both_classes() -> None:
    result = {
        "attributes": {
            "per_attribute": {
                "a9_face_complete": {"auc": 0.97, "positives": 3, "negatives": 5},
                "a13_full_nudity": {"auc": None, "positives": 0, "negatives": 8},
            }
        }
    }
    validity = validity_of(result, "set/test", "2026-01-01T00:00:00+00:00")
    assert validity == {
        "a9_face_complete": {
            "auc": 0.97,
            "n_pos": 3,
            "n_neg": 5,
            "dataset": "set/test",
            "measured_at": "2026-01-01T00:00:00+00:00",
        }
    }
