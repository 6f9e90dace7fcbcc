"""ONNX export: reopened through the runtime and compared with torch; metadata inside; a bad
export is refused and leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from typer.testing import CliRunner

import redactor.exporters.onnx_export as onnx_export
from redactor.exporters.parity import TOLERANCES, ParityError
from redactor.cli import app
from redactor.model import load_checkpoint
from redactor.runtime import META_KEY, open_model, preprocess
from tests.export.tiny_model import ASTRONAUT, IDS, SIZE

runner = CliRunner()


def test_export_reopens_and_matches_torch_on_random_and_real_images(tiny_export) -> None:
    report = tiny_export.parity
    assert report.ok and report.real_images == ["astronaut.jpg", "id_card.png"]
    seen = {(row.output, row.inputs) for row in report.rows}
    assert seen == {(o, i) for o in ("score", "attributes", "cams") for i in ("random", "real")}
    for row in report.rows:
        assert row.max_abs <= TOLERANCES["fp32"].of(row.output)[0]
    assert "max abs" in "\n".join(report.lines())


@pytest.mark.parametrize("batch", [1, 5])
def test_dynamic_batch_matches_torch(tiny_checkpoint: Path, tiny_onnx: Path, batch: int) -> None:
    runtime = open_model(tiny_onnx)
    model, _ = load_checkpoint(tiny_checkpoint, image_only=True)
    images = np.random.default_rng(batch).standard_normal((batch, 3, SIZE, SIZE)).astype(np.float32)
    got = runtime(images)
    with torch.inference_mode():
        expected = model.infer(torch.from_numpy(images))
    assert got["score"].shape == (batch,)
    assert got["attributes"].shape == (batch, len(IDS))
    assert got["cams"].shape == (batch, len(IDS), SIZE // 8, SIZE // 8)
    for name in ("score", "attributes", "cams"):
        np.testing.assert_allclose(got[name], expected[name].numpy(), atol=1e-4)


def test_metadata_round_trip(tiny_checkpoint: Path, tiny_onnx: Path) -> None:
    _, meta = load_checkpoint(tiny_checkpoint)
    assert open_model(tiny_onnx).meta.to_dict() == meta.to_dict()
    props = {p.key: p.value for p in onnx.load(str(tiny_onnx)).metadata_props}
    assert json.loads(props[META_KEY])["attribute_ids"] == IDS
    assert props["attribute_ids"] == ",".join(IDS)
    assert props["input_size"] == f"{SIZE}x{SIZE}"
    assert props["mean"] == "0.485,0.456,0.406" and props["std"] == "0.229,0.224,0.225"
    assert props["version"] == meta.version
    graph = onnx.load(str(tiny_onnx)).graph
    batch_dim = graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param == "batch" and not batch_dim.HasField("dim_value")


def test_preprocess_matches_the_training_transform(tiny_onnx: Path) -> None:
    from PIL import Image

    meta = open_model(tiny_onnx).meta
    rgb = np.asarray(Image.open(ASTRONAUT).convert("RGB"))
    batch = preprocess([rgb, rgb[:100, :50]], meta)
    assert batch.shape == (2, 3, SIZE, SIZE) and batch.dtype == np.float32
    resized = (
        np.asarray(Image.fromarray(rgb).resize((SIZE, SIZE), Image.BILINEAR), np.float32) / 255
    )
    expected = (resized - np.array(meta.mean)) / np.array(meta.std)
    np.testing.assert_allclose(batch[0], expected.transpose(2, 0, 1), atol=1e-5)


def _perturbing(real_write):
    """write_onnx, then one weight of the written file nudged: the kind of silent corruption a
    broken exporter or optimiser produces."""

    def write(module, meta, path, opset=17):
        real_write(module, meta, path, opset)
        proto = onnx.load(str(path))
        biggest = max(proto.graph.initializer, key=lambda t: np.prod(t.dims))
        array = onnx.numpy_helper.to_array(biggest).copy()
        array += 0.05 * np.abs(array).max()
        biggest.CopyFrom(onnx.numpy_helper.from_array(array, biggest.name))
        onnx.save(proto, str(path))
        return path

    return write


def test_out_of_tolerance_export_fails_and_leaves_no_file(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_export, "write_onnx", _perturbing(onnx_export.write_onnx))
    out = tmp_path / "bad.onnx"
    with pytest.raises(ParityError, match="beyond the fp32 tolerance") as caught:
        onnx_export.export_onnx(tiny_checkpoint, out, samples=[ASTRONAUT])
    assert not caught.value.report.ok
    assert "OUT OF TOLERANCE" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary


def test_cli_out_of_tolerance_exits_non_zero_and_keeps_the_previous_file(
    tiny_checkpoint: Path, tiny_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "model.onnx"
    out.write_bytes(tiny_onnx.read_bytes())  # a good earlier export
    before = out.read_bytes()
    monkeypatch.setattr(onnx_export, "write_onnx", _perturbing(onnx_export.write_onnx))
    result = runner.invoke(
        app,
        [
            "export",
            "--checkpoint",
            str(tiny_checkpoint),
            "--format",
            "onnx",
            "--out",
            str(out),
            "--samples",
            str(ASTRONAUT),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "OUT OF TOLERANCE" in result.output and "not kept" in result.output
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_cli_export_prints_the_differences_and_writes_json(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    out, report = tmp_path / "sub" / "m.onnx", tmp_path / "parity.json"
    result = runner.invoke(
        app,
        [
            "export",
            "--checkpoint",
            str(tiny_checkpoint),
            "--format",
            "onnx",
            "--opset",
            "18",
            "--out",
            str(out),
            "--samples",
            str(ASTRONAUT),
            "--json",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "max abs" in result.output and f"wrote {out}" in result.output
    parity = json.loads(report.read_text())["parity"]
    assert parity["ok"] and len(parity["rows"]) == 6
    assert onnx.load(str(out)).opset_import[0].version == 18
    assert (out.stat().st_mode & 0o777) != 0o600  # not mkstemp's private mode


def test_missing_and_foreign_checkpoints_are_clear_errors(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "export",
            "--checkpoint",
            str(tmp_path / "none.pt"),
            "--format",
            "onnx",
            "--out",
            str(tmp_path / "m.onnx"),
        ],
    )
    assert result.exit_code == 2 and "does not exist" in result.output
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    result = runner.invoke(
        app,
        [
            "export",
            "--checkpoint",
            str(junk),
            "--format",
            "onnx",
            "--out",
            str(tmp_path / "m.onnx"),
        ],
    )
    assert result.exit_code == 2 and "checkpoint" in result.output
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("rule", ["max", "noisy_or", "mix"])
def test_headless_models_export_too(tmp_path: Path, rule: str) -> None:
    """Without privacy and attribute heads (the paper's ablations): the score comes from the
    privacy profile over the attention probabilities, and exports the same."""
    from redactor.model import ModelArgs, ModelMeta, PrivObfNet, save_checkpoint

    torch.manual_seed(1)
    kinds = ("human", "text", "none")
    args = ModelArgs(
        backbone="tiny",
        num_classes=3,
        mask_types=kinds,
        use_cropped=False,
        privacy_head=False,
        attribute_head=False,
        score_sensitivity=(0.9, 0.5, 0.2),
        score_rule=rule,
    )
    meta = ModelMeta(
        attribute_ids=["a9_face_complete", "a19_name_full", "a38_ticket"],
        mask_types=list(kinds),
        backbone="tiny",
        input_size=(64, 96),
        stride=8,
        score_source="attributes",
        attribute_source="attention",
    )
    checkpoint = save_checkpoint(tmp_path / "headless.pt", PrivObfNet(args), meta)
    result = onnx_export.export_onnx(checkpoint, tmp_path / "headless.onnx")
    assert result.parity.ok
    out = open_model(result.path)(np.zeros((2, 3, 64, 96), np.float32))
    assert out["cams"].shape == (2, 3, 8, 12) and 0 <= out["score"].min() <= out["score"].max() <= 1
