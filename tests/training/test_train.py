"""Training end to end: a tiny model learns the synthetic task, resume is exact, VOC trains and
evaluates, the CLI commands work, the ablation switches select the losses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from redactor.cli import app
from redactor.errors import UsageError
from redactor.model import load_checkpoint, read_checkpoint
from tests.training.fixtures import write_shapes, write_voc
from redactor.training.config import make_config
from redactor.training.datasets import open_source
from redactor.training.evaluate import evaluate_checkpoint
from redactor.training.step import Batch, compute_losses
from redactor.training.targets import score_function, truth_of
from redactor.training.trainer import build_model, resume_config, train

TINY = [
    "backbone=tiny",
    "pretrained=none",
    "image_size=64",
    "crop_size=40",
    "num_crops=2",
    "batch_size=8",
    "num_workers=0",
    "optimizer=adamw",
    "lr=0.003",
    "lr_decay_epochs=100",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shapes(
        tmp_path_factory.mktemp("shapes"), {"train2017": 160, "val2017": 16, "test2017": 80}, seed=1
    )


@pytest.fixture(scope="module")
def trained(shapes: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = make_config(overrides=[*TINY, "epochs=6", "eval_every=3"])
    result = train(shapes, config, tmp_path_factory.mktemp("run"))
    return result.checkpoint


@pytest.mark.slow  # the `trained` fixture: a training run
def test_tiny_model_beats_trivial_baselines(shapes: Path, trained: Path) -> None:
    result = evaluate_checkpoint(trained, shapes, "test")
    train_labels = open_source(shapes, "train").label_matrix()
    test_source = open_source(shapes, "test")
    test_labels = test_source.label_matrix()
    present = test_labels.sum(0) > 0
    # Trivial attribute baseline: each attribute's majority answer in the training split.
    majority = (train_labels.mean(0) >= 0.5).astype(float)
    baseline_accuracy = float((majority[None] == test_labels).mean(0)[present].mean())
    accuracy = result["attributes"]["accuracy_mean"]
    assert accuracy >= baseline_accuracy + 0.15, (accuracy, baseline_accuracy)
    # Trivial score baseline: a constant has no correlation at all.
    assert result["score"]["pearson"] > 0.5 and result["score"]["spearman"] > 0.5, result["score"]
    scores = score_function()
    targets = np.array([scores(r.labels) for r in test_source.records])
    assert result["score"]["l1"] < np.abs(targets - targets.mean()).mean()  # beats the mean
    # Masks beat marking the whole image for every present attribute.
    whole_image = {}
    for record in test_source.records:
        truth = truth_of(test_source, record)
        if truth is not None:
            for c, mask in truth[1].items():
                inter, union = whole_image.get(c, (0, 0))
                whole_image[c] = (inter + mask.sum(), union + mask.size)
    baseline_iou = np.mean([i / u for i, u in whole_image.values()])
    assert result["masks"]["miou"] > baseline_iou + 0.1, (result["masks"]["miou"], baseline_iou)
    assert set(result["masks"]["per_group"]) == {"Documents", "Personal Description"}


@pytest.mark.slow  # the `trained` fixture: a training run
def test_checkpoint_and_metrics_files(trained: Path) -> None:
    folder = trained.parent
    lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == list(range(1, 7))
    assert lines[-1]["loss"] < lines[0]["loss"]
    assert "val" in lines[2] and "val" not in lines[0]  # eval_every=3
    assert set(lines[0]["losses"]) == {"cam", "img", "cr", "priv", "att"}
    _, meta = load_checkpoint(trained)
    assert meta.epoch == 6 and meta.backbone == "tiny" and meta.input_size == (64, 64)
    assert read_checkpoint(folder / "last.pt")["optimizer"] is not None
    assert read_checkpoint(trained)["config"]["epochs"] == 6


def test_resume_continues_exactly(shapes: Path, tmp_path: Path) -> None:
    small = [*TINY, "max_train_images=32", "eval_every=0"]
    straight = train(shapes, make_config(overrides=[*small, "epochs=2"]), tmp_path / "straight")
    train(shapes, make_config(overrides=[*small, "epochs=1"]), tmp_path / "split")
    config = resume_config(tmp_path / "split" / "last.pt", None, ["epochs=2"])
    resumed = train(shapes, config, tmp_path / "split", resume=tmp_path / "split" / "last.pt")
    assert [r["epoch"] for r in resumed.history] == [2]
    a, _ = load_checkpoint(straight.checkpoint)
    b, _ = load_checkpoint(resumed.checkpoint)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(x.float(), y.float(), atol=1e-6), name
    assert len((tmp_path / "split" / "metrics.jsonl").read_text().splitlines()) == 2


def test_voc_trains_and_evaluates_miou(tmp_path: Path) -> None:
    root = write_voc(tmp_path / "voc", count=8)
    with pytest.raises(UsageError, match="use_priv=false"):
        train(root, make_config(overrides=[*TINY, "epochs=1"]), tmp_path / "run")
    config = make_config(overrides=[*TINY, "epochs=1", "use_priv=false", "eval_every=0"])
    result = train(root, config, tmp_path / "run")
    metrics = evaluate_checkpoint(result.checkpoint, root, "val")
    assert metrics["kind"] == "voc" and "score" not in metrics
    assert 0.0 <= metrics["masks"]["miou"] <= 1.0
    assert {"background", "cat", "person"} <= set(metrics["masks"]["per_attribute"])


def test_ablation_switches_select_the_losses(shapes: Path) -> None:
    source = open_source(shapes, "val")
    batch = Batch(
        torch.randn(2, 3, 64, 64),
        torch.from_numpy(source.label_matrix()[:2]),
        torch.tensor([0.5, 0.2]),
    )
    rows = {  # the paper's Table 4
        "Attention (Image)": (["use_cropped=false", "use_priv=false", "use_attr=false"], {"cam"}),
        "+ Priv": (["use_cropped=false", "use_attr=false"], {"cam", "priv"}),
        "+ Attr": (["use_cropped=false", "use_priv=false"], {"cam", "att"}),
        "+ Priv + Attr": (["use_cropped=false"], {"cam", "priv", "att"}),
        "+ Cropped": ([], {"cam", "img", "cr", "priv", "att"}),
        "paper's four terms": (["lambda_cam=0"], {"img", "cr", "priv", "att"}),
    }
    for name, (overrides, expected) in rows.items():
        config = make_config(overrides=[*TINY, *overrides])
        model = build_model(config, source)
        total, parts = compute_losses(model, batch, config, model.stride)
        assert set(parts) == expected, name
        weights = {"cam": config.lambda_cam, "img": 10.0, "cr": 1.0, "priv": 1.0, "att": 1.0}
        assert total.item() == pytest.approx(sum(weights[k] * v.item() for k, v in parts.items()))
        total.backward()
        assert (model.cropped is not None) == config.use_cropped, name


@pytest.mark.slow  # the `trained` fixture: a training run
def test_cli_train_and_evaluate(shapes: Path, trained: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    args = ["train", "--data", str(shapes), "--out", str(out), "--seed", "3"]
    for item in [*TINY, "epochs=1", "max_train_images=16", "eval_every=0"]:
        args += ["--set", item]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "model.pt").is_file() and read_checkpoint(out / "model.pt")["config"]["seed"] == 3
    bad = runner.invoke(app, ["train", "--data", str(shapes), "--set", "nope=1"])
    assert bad.exit_code == 2 and "unknown config key" in bad.output
    json_path = tmp_path / "metrics.json"
    result = runner.invoke(
        app,
        ["evaluate", "--checkpoint", str(trained), "--data", str(shapes), "--json", str(json_path)],
    )
    assert result.exit_code == 0, result.output
    assert "Pearson" in result.output and "mIoU" in result.output
    saved = json.loads(json_path.read_text())
    assert saved["images"] == 80 and saved["score"]["pearson"] is not None
    missing = runner.invoke(
        app, ["evaluate", "--checkpoint", str(tmp_path / "x.pt"), "--data", str(shapes)]
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_class_bias_starts_at_the_label_prior(shapes: Path) -> None:
    source = open_source(shapes, "train")
    model = build_model(make_config(overrides=TINY), source)
    frequency = np.clip(source.label_matrix().mean(0), 1e-3, 1 - 1e-3)
    expected = torch.from_numpy(np.log(frequency / (1 - frequency))).float()
    assert torch.allclose(model.image.class_bias, expected, atol=1e-5)
    assert torch.allclose(model.image.attribute_head[-1].bias, expected, atol=1e-5)
    # A class never seen starts near p = 0.001, not 0.5.
    assert torch.sigmoid(model.image.class_bias).min() < 0.002
