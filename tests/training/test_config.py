"""Config: paper defaults, file and --set overrides, unknown keys rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redactor.errors import UsageError
from redactor.training.config import TrainConfig, make_config, parse_overrides


def test_defaults_are_the_papers() -> None:
    config = make_config()
    assert (config.optimizer, config.lr, config.weight_decay) == ("sgd", 0.002, 5e-4)
    assert config.momentum == 0.9
    assert (config.epochs, config.lr_decay_epochs) == (10, [6])
    # Departures from the paper (batch 4, no clipping), for stability: issue 13.
    assert (config.batch_size, config.grad_clip) == (8, 5.0)
    assert (config.num_crops, config.image_size, config.crop_size) == (6, 448, 320)
    assert (config.lambda_img, config.lambda_cr, config.lambda_priv, config.lambda_att) == (
        10,
        1,
        1,
        1,
    )
    assert config.use_cropped and config.use_priv and config.use_attr
    assert config.backbone == "resnet38d"


def test_file_then_set_override(tmp_path: Path) -> None:
    json_file = tmp_path / "c.json"
    json_file.write_text(json.dumps({"lr": 0.01, "use_priv": False, "lr_decay_epochs": [3, 5]}))
    config = make_config(json_file, ["lr=0.05", "epochs=3", "use_attr=no", "backbone=tiny"])
    assert config.lr == 0.05  # --set wins over the file
    assert config.use_priv is False and config.use_attr is False
    assert config.lr_decay_epochs == [3, 5] and config.epochs == 3 and config.backbone == "tiny"
    toml_file = tmp_path / "c.toml"
    toml_file.write_text('backbone = "mobilenet_v2"\nimage_size = 224\ncrop_size = 160\n')
    config = make_config(toml_file, {"lr_decay_epochs": "2,4"})
    assert (config.backbone, config.image_size, config.crop_size) == ("mobilenet_v2", 224, 160)
    assert config.lr_decay_epochs == [2, 4]


def test_unknown_keys_and_bad_values_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown config key.*learning_rate.*valid keys"):
        make_config(overrides=["learning_rate=1"])
    bad_file = tmp_path / "c.json"
    bad_file.write_text(json.dumps({"epoch": 3}))
    with pytest.raises(UsageError, match="epoch"):
        make_config(bad_file)
    with pytest.raises(UsageError, match="not a valid int"):
        make_config(overrides=["epochs=ten"])
    with pytest.raises(UsageError, match="not a valid bool"):
        make_config(overrides=["use_priv=maybe"])
    with pytest.raises(UsageError, match="crop_size"):
        make_config(overrides=["crop_size=500"])
    with pytest.raises(UsageError, match="key=value"):
        parse_overrides(["lr"])
    with pytest.raises(UsageError, match="does not exist"):
        make_config(tmp_path / "missing.toml")
    (tmp_path / "c.yaml").write_text("lr: 1")
    with pytest.raises(UsageError, match=".json or .toml"):
        make_config(tmp_path / "c.yaml")


def test_checkpoint_config_is_a_base_layer() -> None:
    base = TrainConfig(backbone="tiny", epochs=4).to_dict()
    config = make_config(overrides=["epochs=6"], base=base)
    assert config.backbone == "tiny" and config.epochs == 6
