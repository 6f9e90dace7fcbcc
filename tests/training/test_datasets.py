"""Loaders on fixtures written in VISPR's and PASCAL VOC 2012's real layouts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from redactor.attributes import VISPR_IDS
from tests.training.fixtures import VISPR_RECORDS, write_vispr, write_voc
from redactor.training.datasets import DatasetError, ImageSet, collate, open_source
from redactor.training.targets import score_function, truth_of


def test_vispr_layout(tmp_path: Path) -> None:
    root = write_vispr(tmp_path / "vispr")
    source = open_source(root, "test")  # "test" finds test2017
    assert source.kind == "vispr" and source.split == "test2017" and source.is_vispr
    assert [r.id for r in source.records] == sorted(r[0] for r in VISPR_RECORDS)
    by_id = {r.id: r for r in source.records}
    for image_id, labels in VISPR_RECORDS:
        expected = np.zeros(len(VISPR_IDS), np.float32)
        expected[[VISPR_IDS.index(a) for a in labels]] = 1
        np.testing.assert_array_equal(by_id[image_id].labels, expected)
    scores = score_function()
    dataset = ImageSet(source, 32, (0.5,) * 3, (0.25,) * 3, train=False, score_of=scores)
    batch = collate([dataset[i] for i in range(len(dataset))])
    assert batch["image"].shape == (4, 3, 32, 32) and batch["labels"].shape == (4, 68)
    assert batch["masks"] is None
    safe = [r.id for r in source.records].index("2017_10050223")
    assert batch["score"][safe] == 0.0  # a safe image scores 0
    assert all(batch["score"][i] > 0.3 for i in range(4) if i != safe)
    assert torch.isfinite(batch["image"]).all()


def test_vispr_errors_name_the_file(tmp_path: Path) -> None:
    root = write_vispr(tmp_path / "vispr")
    with pytest.raises(DatasetError, match="splits present: test2017"):
        open_source(root, "train")
    bad = root / "annotations" / "test2017" / "2017_10050223.json"
    bad.write_text(json.dumps({"id": "x", "labels": ["a999_unknown"]}))
    with pytest.raises(DatasetError, match="unknown attributes"):
        open_source(root, "test")
    bad.write_text("{not json")
    with pytest.raises(DatasetError, match="2017_10050223.json is not a VISPR record"):
        open_source(root, "test")
    bad.write_text(json.dumps({"id": "2017_10050223", "labels": ["a0_safe"]}))
    (root / "images" / "test2017" / "2017_10050223.jpg").unlink()
    with pytest.raises(DatasetError, match="does not exist"):
        open_source(root, "test")
    with pytest.raises(DatasetError, match="neither a VISPR-layout folder"):
        open_source(tmp_path, "test")


def test_corrupt_image_is_a_clear_error(tmp_path: Path) -> None:
    root = write_vispr(tmp_path / "vispr")
    (root / "images" / "test2017" / "2017_10064870.jpg").write_bytes(b"\xff\xd8\xff garbage")
    source = open_source(root, "test")
    dataset = ImageSet(source, 32, (0.5,) * 3, (0.25,) * 3, train=False)
    index = [r.id for r in source.records].index("2017_10064870")
    with pytest.raises(DatasetError, match="cannot read image .*2017_10064870.jpg"):
        dataset[index]


def test_voc_layout(tmp_path: Path) -> None:
    root = write_voc(tmp_path / "voc", count=6)
    source = open_source(root, "train")
    assert source.kind == "voc" and source.num_classes == 20 and len(source.records) == 3
    cat, person = 7, 14
    assert source.records[0].labels[cat] == 1 and source.records[0].labels.sum() == 1
    assert source.records[1].labels[person] == 1
    assert source.mask_types[person] == "human" and source.mask_types[cat] == "none"
    kind, truth = truth_of(source, source.records[0])
    assert kind == "labelmap" and truth.dtype == np.uint8
    assert set(np.unique(truth)) == {0, 8, 255}
    with pytest.raises(DatasetError, match="train, val, trainval"):
        open_source(root, "test")
