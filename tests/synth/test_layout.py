"""`redact synth` writes VISPR's layout plus per-label masks, reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from redactor.attributes import VISPR_IDS
from redactor.errors import UsageError
from redactor.training.datasets import vispr_source
from redactor.training.synth.dataset import SPLITS, SynthConfig, generate, parse_ratios, read_masks


def test_layout_reads_back_like_vispr(small_set):
    root, summary = small_set
    assert sum(summary["splits"].values()) == 24
    seen = set()
    for split in SPLITS:
        listed = (root / f"{split}.txt").read_text().split()
        assert len(listed) == summary["splits"][split]
        for line in listed:
            assert line.startswith(f"annotations/{split}/") and line.endswith(".json")
            entry = json.loads((root / line).read_text())
            assert set(entry) >= {"id", "image_path", "labels"}
            assert entry["image_path"] == f"images/{split}/{entry['id']}.jpg"
            assert Path(line).stem == entry["id"] and entry["id"] not in seen
            seen.add(entry["id"])
            with Image.open(root / entry["image_path"]) as image:
                assert image.format == "JPEG" and image.size == (192, 192)
            assert entry["labels"] and set(entry["labels"]) <= set(VISPR_IDS)
            # VISPR order, no repeats
            order = [VISPR_IDS.index(a) for a in entry["labels"]]
            assert order == sorted(set(order))
    # The project's own VISPR loader reads the set (train/val/test aliases included).
    for alias, split in (("train", "train2017"), ("val", "val2017"), ("test", "test2017")):
        if summary["splits"][split]:
            source = vispr_source(root, alias)
            assert len(source.records) == summary["splits"][split]
            assert all(r.labels.sum() >= 1 for r in source.records)


def test_every_label_has_a_mask_and_only_labels_do(small_set):
    root, _ = small_set
    for split in SPLITS:
        for line in (root / f"{split}.txt").read_text().split():
            entry = json.loads((root / line).read_text())
            folder = root / "masks" / split / entry["id"]
            assert sorted(p.stem for p in folder.glob("*.png")) == sorted(entry["labels"])
            masks = read_masks(root, entry)
            assert set(masks) == set(entry["labels"])
            for attribute, mask in masks.items():
                assert mask.shape == (192, 192)
                assert mask.any(), f"{entry['id']}: empty mask for {attribute}"
            if entry["labels"] == ["a0_safe"]:
                assert masks["a0_safe"].all()


@pytest.mark.slow  # a pool of worker processes
def test_same_seed_same_set_any_worker_count(tmp_path, small_set):
    root, _ = small_set
    again = tmp_path / "again"
    generate(SynthConfig(again, 24, seed=5, size=192, workers=2))
    for split in SPLITS:
        assert (again / f"{split}.txt").read_text() == (root / f"{split}.txt").read_text()
    for path in sorted((root / "annotations").rglob("*.json")):
        twin = again / path.relative_to(root)
        assert json.loads(twin.read_text()) == json.loads(path.read_text())
        entry = json.loads(path.read_text())
        a = np.asarray(Image.open(root / entry["image_path"]))
        b = np.asarray(Image.open(again / entry["image_path"]))
        assert np.array_equal(a, b)
    other = tmp_path / "other"
    generate(SynthConfig(other, 24, seed=6, size=192, workers=1))

    def labels(folder: Path) -> list[list[str]]:
        paths = sorted((folder / "annotations").rglob("*.json"))
        return [json.loads(p.read_text())["labels"] for p in paths]

    assert labels(other) != labels(root)


def test_bad_options_and_a_used_folder_are_refused(tmp_path, small_set):
    root, _ = small_set
    with pytest.raises(UsageError, match="already holds a data set"):
        generate(SynthConfig(root, 2, size=192))
    with pytest.raises(UsageError, match="--size"):
        generate(SynthConfig(tmp_path / "x", 2, size=10))
    with pytest.raises(UsageError, match="--n"):
        generate(SynthConfig(tmp_path / "y", 0))
    assert parse_ratios("7,1,2") == pytest.approx((0.7, 0.1, 0.2))
    with pytest.raises(UsageError):
        parse_ratios("0.5,0.5")
    with pytest.raises(UsageError):
        parse_ratios("a,b,c")


def test_cli_synth(tmp_path):
    from redactor.cli import app

    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(
        app,
        [
            "synth",
            "--out",
            str(out),
            "--n",
            "6",
            "--size",
            "128",
            "--seed",
            "2",
            "--split-ratio",
            "0.5,0.5,0",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "synth.json").read_text())
    assert summary["splits"] == {"train2017": 3, "val2017": 3, "test2017": 0}
    assert (out / "test2017.txt").read_text() == ""
    result = runner.invoke(app, ["synth", "--out", str(out), "--n", "2"])
    assert result.exit_code == 2 and "already holds a data set" in result.output


def test_text_weight_draws_more_personal_text_and_is_checked(tmp_path):
    """--text-weight 4 makes label sets with a text attribute about 4x as frequent in odds
    (VISPR: a full name in ~5% of images), and the generated set's labels follow."""
    import random

    from redactor.attributes import BY_ID
    from redactor.training.synth.dataset import LabelSampler

    def text_share(weight: float) -> float:
        sampler, rng = LabelSampler(text_weight=weight), random.Random(3)
        draws = [sampler.draw(rng) for _ in range(4000)]
        return sum(any(BY_ID[a].mask_type == "text" for a in d) for d in draws) / len(draws)

    plain, weighted = text_share(1.0), text_share(4.0)
    odds = (weighted / (1 - weighted)) / (plain / (1 - plain))
    assert 3.0 < odds < 5.3, (plain, weighted)

    summary = generate(SynthConfig(tmp_path / "w", 60, 1, 96, (1.0, 0.0, 0.0), 1, text_weight=4.0))
    assert summary["text_weight"] == 4.0
    names = summary["label_frequency"].get("a19_name_full", 0.0)
    assert names > 0.1, summary["label_frequency"]
    with pytest.raises(UsageError, match="text-weight"):
        generate(SynthConfig(tmp_path / "bad", 4, 0, 96, (1.0, 0.0, 0.0), 1, text_weight=0.0))
