"""Metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from redactor.training import metrics


def test_l1_pearson_spearman_by_hand() -> None:
    assert metrics.l1_error([0.1, 0.5], [0.2, 0.2]) == pytest.approx(0.2)
    assert metrics.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert metrics.pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # x = (1, 2, 3, 4), y = (1, 3, 2, 4): centred dot = 4, norms sqrt(5)*sqrt(5) -> 0.8.
    assert metrics.pearson([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert math.isnan(metrics.pearson([1, 1, 1], [1, 2, 3]))
    # Monotone but not linear: Spearman 1, Pearson < 1.
    assert metrics.spearman([1, 2, 3, 4], [1, 10, 100, 1000]) == pytest.approx(1.0)
    assert metrics.ranks(np.array([10.0, 20.0, 20.0, 5.0])).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_attribute_accuracy() -> None:
    probabilities = np.array([[0.9, 0.2], [0.4, 0.6], [0.6, 0.1]])
    labels = np.array([[1, 0], [1, 1], [0, 0]])
    assert metrics.attribute_accuracy(probabilities, labels).tolist() == pytest.approx([1 / 3, 1.0])


def test_average_precision_by_hand() -> None:
    # Ranked: + - + -: precision at the positives 1 and 2/3 -> AP = (1 + 2/3) / 2.
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    labels = np.array([1, 0, 1, 0])
    assert metrics.average_precision(scores, labels) == pytest.approx((1 + 2 / 3) / 2)
    # Ties count as one threshold: all tied, 1 of 2 positive -> precision 0.5 at recall 1.
    assert metrics.average_precision(np.array([0.5, 0.5]), np.array([1, 0])) == pytest.approx(0.5)
    assert math.isnan(metrics.average_precision(scores, np.zeros(4)))
    mean, per_class = metrics.macro_average_precision(
        np.stack([scores, scores], 1), np.stack([labels, np.zeros(4)], 1)
    )
    assert mean == pytest.approx((1 + 2 / 3) / 2) and math.isnan(per_class[1])


def test_binary_iou_threshold_sweep() -> None:
    acc = metrics.BinaryIoU(2, thresholds=(0.25, 0.75))
    maps = np.zeros((2, 2, 2))
    maps[0] = [[1.0, 0.5], [0.0, 0.0]]
    truth = {0: np.array([[True, True], [False, False]])}
    acc.add(maps, truth)
    iou = acc.iou()
    assert iou[0, 0] == pytest.approx(1.0) and iou[1, 0] == pytest.approx(0.5)
    assert math.isnan(iou[0, 1])  # class 1 never had ground truth
    threshold, miou, _ = metrics.best_threshold(iou, acc.thresholds)
    assert (threshold, miou) == (0.25, pytest.approx(1.0))


def test_label_map_iou_with_background_and_ignore() -> None:
    acc = metrics.LabelMapIoU(2, thresholds=(0.5,))
    maps = np.zeros((2, 2, 2))
    maps[1] = [[0.9, 0.9], [0.1, 0.1]]  # class 2 (index 1) predicted on the top row
    truth = np.array([[2, 255], [0, 2]], np.uint8)
    acc.add(maps, np.array([1]), truth)
    iou = acc.iou()[0]
    # Pixels counted: (0,0) truth 2 pred 2; (1,0) truth 0 pred 0; (1,1) truth 2 pred 0.
    assert iou[0] == pytest.approx(1 / 2)  # background: 1 hit, union {(1,0), (1,1)}
    assert iou[2] == pytest.approx(1 / 2)  # class 2: 1 hit, union {(0,0), (1,1)}
    assert math.isnan(iou[1])
