"""Issue 13: the README's training recipe (scaled down) learns, and a model whose outputs do not
depend on the image is detected, reported loudly and never written as model.pt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from redactor.cli import app
from redactor.model import load_checkpoint, save_checkpoint
from tests.training.fixtures import write_shapes
from redactor.training.collapse import (
    COLLAPSED_NAME,
    MIN_SPREAD,
    TrainingCollapsedError,
    output_spread,
)
from redactor.training.config import make_config
from redactor.training.datasets import open_source
from redactor.training.evaluate import evaluate_checkpoint
from redactor.training.synth.dataset import SynthConfig, generate
from redactor.training.trainer import SilentReporter, build_model, model_meta, train

# The README's `redact train` line (mobilenet_v2, ImageNet weights, both models, 2 crops,
# frozen_stages=7, SGD at the defaults), with its sizes and epochs scaled down.
README_RECIPE = [
    "backbone=mobilenet_v2",
    "image_size=64",
    "crop_size=48",
    "num_crops=2",
    "frozen_stages=7",
    "epochs=3",
    "lr_decay_epochs=3",
    "num_workers=0",
]


def test_spread_flags_constant_outputs_only() -> None:
    rng = np.random.default_rng(0)
    live = output_spread(rng.random(20), rng.random((20, 5)))
    assert live.problems() == []
    dead = output_spread(np.full(20, 0.31), np.tile(rng.random(5), (20, 1)))
    problems = dead.problems()
    assert len(problems) == 2 and "privacy score is constant" in problems[0]
    assert "at its prior" in problems[1]
    assert dead.score_std < MIN_SPREAD
    # Without a privacy head the score is not checked (nan); live attributes pass.
    headless = output_spread(np.full(20, np.nan), rng.random((20, 5)))
    assert headless.problems() == [] and headless.to_dict()["score_std"] is None


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "set"
    generate(SynthConfig(root, n=120, size=64, seed=3, workers=1))
    return root


def test_readme_recipe_scaled_down_learns(synth: Path, tmp_path: Path) -> None:
    config = make_config(overrides=README_RECIPE)
    assert config.use_cropped and config.pretrained == "imagenet"  # the README's branch
    result = train(synth, config, tmp_path / "run")
    assert result.checkpoint.name == "model.pt" and result.checkpoint.is_file()
    assert not (tmp_path / "run" / COLLAPSED_NAME).exists()
    final = json.loads((tmp_path / "run" / "final_check.json").read_text())
    assert final["collapsed"] == [] and final["spread"]["score_std"] > 0.02, final
    metrics = evaluate_checkpoint(result.checkpoint, synth, "test", with_iou=False)
    labels = open_source(synth, "test").label_matrix()
    present = labels.sum(0) > 0
    prevalence_map = float(labels.mean(0)[present].mean())  # what a constant model scores
    assert metrics["score"]["pearson"] > 0.4, metrics["score"]
    assert metrics["attributes"]["map"] > prevalence_map + 0.08, (
        metrics["attributes"]["map"],
        prevalence_map,
    )


def _dead_checkpoint(data: Path, path: Path) -> Path:
    """A tiny model whose heads ignore their input (last layers zeroed), as a resumable
    checkpoint at epoch 0; trained further at lr=0 it stays dead."""
    config = make_config(
        overrides=[
            "backbone=tiny",
            "pretrained=none",
            "image_size=48",
            "crop_size=32",
            "num_crops=1",
            "epochs=1",
            "num_workers=0",
            "lr=0",
        ]
    )
    source = open_source(data, config.train_split)
    model = build_model(config, source)
    with torch.no_grad():
        model.image.attribute_head[-1].weight.zero_()
        model.image.privacy_head[-1].weight.zero_()
    save_checkpoint(
        path, model, model_meta(model, config, source, False), config=config.to_dict(), epoch=0
    )
    return path


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shapes(
        tmp_path_factory.mktemp("shapes"), {"train2017": 24, "val2017": 8}, size=48, seed=2
    )


def test_forced_collapse_is_detected_and_not_written_as_model_pt(
    shapes: Path, tmp_path: Path
) -> None:
    start = _dead_checkpoint(shapes, tmp_path / "dead.pt")
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.pt").write_bytes(b"an earlier run's model")
    config = make_config(overrides=[], base=torch.load(start, weights_only=False)["config"])
    messages: list[str] = []
    reporter = SilentReporter()
    reporter.message = messages.append  # type: ignore[method-assign]
    with pytest.raises(TrainingCollapsedError, match="privacy score is constant") as caught:
        train(shapes, config, out, resume=start, reporter=reporter)
    assert any(m.startswith("WARNING epoch 1: on validation") for m in messages), messages
    assert "at its prior" in str(caught.value) and COLLAPSED_NAME in str(caught.value)
    assert not (out / "model.pt").exists()  # nothing that looks like a usable result
    kept, _ = load_checkpoint(out / COLLAPSED_NAME)  # kept for inspection, loadable
    assert kept is not None
    final = json.loads((out / "final_check.json").read_text())
    assert final["checked_on"] == "the val split" and len(final["collapsed"]) == 2


def test_cli_train_exits_3_on_collapse(shapes: Path, tmp_path: Path) -> None:
    start = _dead_checkpoint(shapes, tmp_path / "dead.pt")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--data",
            str(shapes),
            "--out",
            str(out),
            "--resume",
            str(start),
            "--set",
            "eval_every=0",
        ],  # no per-epoch validation: the final check runs its own
    )
    assert result.exit_code == 3, result.output
    assert "training collapsed" in result.output and "privacy score is constant" in result.output
    assert (out / COLLAPSED_NAME).is_file() and not (out / "model.pt").exists()
    assert json.loads((out / "final_check.json").read_text())["checked_on"] == "the val split"


def test_live_tiny_model_is_not_flagged(shapes: Path, tmp_path: Path) -> None:
    config = make_config(
        overrides=[
            "backbone=tiny",
            "pretrained=none",
            "image_size=48",
            "crop_size=32",
            "num_crops=1",
            "epochs=2",
            "num_workers=0",
            "optimizer=adamw",
            "lr=0.003",
        ]
    )
    result = train(shapes, config, tmp_path / "run")
    assert result.checkpoint.is_file() and not (tmp_path / "run" / COLLAPSED_NAME).exists()
