"""Checkpoints rebuild the model from the file alone; bad files give clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from redactor.attributes import VISPR_IDS, mask_type_vector
from redactor.errors import ModelError
from redactor.model import (
    ModelArgs,
    ModelMeta,
    PrivObfNet,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)


def _model_and_meta() -> tuple[PrivObfNet, ModelMeta]:
    torch.manual_seed(1)
    args = ModelArgs("tiny", len(VISPR_IDS), tuple(mask_type_vector()), head_hidden=32)
    model = PrivObfNet(args)
    meta = ModelMeta(
        list(VISPR_IDS),
        list(mask_type_vector()),
        "tiny",
        (64, 64),
        8,
        crop_size=40,
        dataset="synthetic",
    )
    return model, meta


def test_round_trip_rebuilds_an_identical_model(tmp_path: Path) -> None:
    model, meta = _model_and_meta()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 64, 64))["image"]["score"].sum().backward()
    optimizer.step()
    path = save_checkpoint(
        tmp_path / "m.pt", model, meta, config={"lr": 0.1}, epoch=3, optimizer=optimizer
    )
    loaded, loaded_meta = load_checkpoint(path)
    assert not loaded.training
    images = torch.randn(2, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        for key, value in model.infer(images).items():
            assert torch.equal(value, loaded.infer(images)[key])
    assert loaded_meta.attribute_ids == list(VISPR_IDS) and loaded_meta.epoch == 3
    assert loaded_meta.input_size == (64, 64) and loaded_meta.backbone == "tiny"
    payload = read_checkpoint(path)
    assert payload["config"] == {"lr": 0.1} and payload["optimizer"]["state"]
    # Inference needs only Model-Image.
    image_only, _ = load_checkpoint(path, image_only=True)
    assert image_only.cropped is None
    with torch.no_grad():
        assert torch.equal(image_only.infer(images)["cams"], model.infer(images)["cams"])
    assert not list(tmp_path.glob(".m.pt.*"))  # no temporary file left behind


def test_meta_dict_is_json_and_round_trips() -> None:
    _, meta = _model_and_meta()
    data = json.loads(json.dumps(meta.to_dict()))
    again = ModelMeta.from_dict({**data, "a_future_key": 1})
    assert again == meta and again.num_classes == 68
    with pytest.raises(ModelError, match="lacks backbone"):
        ModelMeta.from_dict({k: v for k, v in data.items() if k != "backbone"})


def test_bad_files_raise_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    model, meta = _model_and_meta()
    good = save_checkpoint(tmp_path / "good.pt", model, meta)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ModelError, match="not a readable PrivObfNet checkpoint"):
        load_checkpoint(truncated)
    text = tmp_path / "text.pt"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a readable"):
        load_checkpoint(text)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(ModelError, match="not a PrivObfNet checkpoint"):
        load_checkpoint(other)
    payload = torch.load(good, weights_only=True)
    payload["model"].pop("image.cam_head.weight")
    torch.save(payload, tmp_path / "incomplete.pt")
    with pytest.raises(ModelError, match="do not fit"):
        load_checkpoint(tmp_path / "incomplete.pt")
