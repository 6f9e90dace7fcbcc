"""On the project's own synthetic generator (`redact synth`): a small model trained for a few
seconds (ImageNet MobileNetV2, frozen, with trained heads) beats trivial baselines on held-out
images, and every generated annotation and mask reads back through the loaders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from redactor.training.config import make_config
from redactor.training.datasets import open_source
from redactor.training.evaluate import evaluate_checkpoint
from redactor.training.synth.dataset import SynthConfig, generate
from redactor.training.targets import score_function, truth_of
from redactor.training.trainer import train


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "set"
    generate(SynthConfig(root, n=180, size=96, seed=5, workers=2))
    return root


def test_generated_set_reads_back(generated: Path) -> None:
    source = open_source(generated, "test")
    assert source.is_vispr and len(source.records) == 36
    for record in source.records:
        truth = truth_of(source, record)
        assert truth is not None and truth[0] == "binary"
        # Every label has a mask and every mask a label.
        assert sorted(truth[1]) == sorted(np.nonzero(record.labels)[0].tolist())


def test_small_model_beats_trivial_baselines(generated: Path, tmp_path: Path) -> None:
    config = make_config(
        overrides=[
            "backbone=mobilenet_v2",
            "pretrained=imagenet",
            "frozen_stages=-1",
            "image_size=96",
            "use_cropped=false",
            "epochs=5",
            "batch_size=8",
            "optimizer=adamw",
            "lr=0.001",
            "lr_decay_epochs=100",
            "num_workers=0",
            "eval_every=0",
        ]
    )
    result = train(generated, config, tmp_path / "run")
    metrics = evaluate_checkpoint(result.checkpoint, generated, "test")
    train_labels = open_source(generated, "train").label_matrix()
    test = open_source(generated, "test")
    labels = test.label_matrix()
    present = labels.sum(0) > 0
    # Trivial baselines: each attribute's majority answer from the training split; a constant
    # score (no correlation; its best L1 is the median's, under the mean's used here).
    majority = train_labels.mean(0) >= 0.5
    baseline_accuracy = float((majority[None] == (labels > 0.5)).mean(0)[present].mean())
    baseline_map = float(labels.mean(0)[present].mean())  # constant scores: AP = prevalence
    targets = np.array([score_function()(r.labels) for r in test.records])
    baseline_l1 = float(np.abs(targets - np.median(targets)).mean())
    score, attributes = metrics["score"], metrics["attributes"]
    assert score["pearson"] > 0.4 and score["spearman"] > 0.4, score
    assert score["l1"] < baseline_l1, (score["l1"], baseline_l1)
    assert attributes["accuracy_mean"] > baseline_accuracy + 0.02, (
        attributes["accuracy_mean"],
        baseline_accuracy,
    )
    assert attributes["map"] > baseline_map + 0.15, (attributes["map"], baseline_map)
