"""The paper's metrics as pure numpy functions: privacy-score L1 error, Pearson and Spearman
correlation; per-attribute accuracy; VISPR's class-wise (macro) mean average precision; and
mask IoU accumulated over a data set for a sweep of background thresholds (WSSS practice)."""

from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.96, 0.05))


def l1_error(predicted: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(predicted, float) - np.asarray(target, float))))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; nan when either side is constant."""
    a = np.asarray(a, float) - np.mean(a)
    b = np.asarray(b, float) - np.mean(b)
    denominator = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / denominator) if denominator > 0 else float("nan")


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank (as Spearman's rho needs)."""
    values = np.asarray(values, float)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    result = np.empty(len(values), float)
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        result[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return result


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return pearson(ranks(a), ranks(b))


def attribute_accuracy(
    probabilities: np.ndarray, labels: np.ndarray, threshold: float = 0.5
) -> np.ndarray:
    """Accuracy per class [C] of thresholded probabilities [N, C] against 0/1 labels."""
    predicted = np.asarray(probabilities) >= threshold
    return np.mean(predicted == (np.asarray(labels) > 0.5), axis=0)


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the precision-recall step curve, ties handled as one threshold; nan when the
    class has no positives."""
    scores = np.asarray(scores, float)
    positive = np.asarray(labels) > 0.5
    total = int(positive.sum())
    if total == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    true_positives = np.cumsum(positive)
    # The last index of each distinct score: a threshold between ties would split them.
    last = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
    tp = true_positives[last]
    precision = tp / (last + 1)
    recall = tp / total
    previous_recall = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - previous_recall) * precision))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative, ties counting half (Mann-Whitney U); nan without both classes."""
    scores = np.asarray(scores, float)
    positive = np.asarray(labels) > 0.5
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank = ranks(scores)  # average ranks, 1-based, ties averaged
    return float((rank[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def macro_average_precision(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """(mean AP over the classes that have positives, AP per class with nan for the others):
    VISPR's class-wise mAP."""
    per_class = np.array(
        [average_precision(scores[:, c], labels[:, c]) for c in range(scores.shape[1])]
    )
    present = ~np.isnan(per_class)
    return (float(per_class[present].mean()) if present.any() else float("nan")), per_class


class BinaryIoU:
    """Per-class IoU of binary masks accumulated over a data set for several thresholds:
    prediction = normalised map >= threshold, for the classes an image has ground truth for."""

    def __init__(self, num_classes: int, thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS):
        self.thresholds = np.asarray(thresholds, float)
        self.intersection = np.zeros((len(thresholds), num_classes))
        self.union = np.zeros((len(thresholds), num_classes))
        self.seen = np.zeros(num_classes, bool)

    def add(self, maps: np.ndarray, truth: dict[int, np.ndarray]) -> None:
        """maps [C, H, W] in [0, 1]; truth {class: bool [H, W]} (same size as the maps)."""
        for c, mask in truth.items():
            mask = mask.astype(bool)
            predicted = maps[c][None] >= self.thresholds[:, None, None]  # [T, H, W]
            self.intersection[:, c] += (predicted & mask).sum(axis=(1, 2))
            self.union[:, c] += (predicted | mask).sum(axis=(1, 2))
            self.seen[c] = True

    def iou(self) -> np.ndarray:
        """[T, C]; nan for classes never seen."""
        with np.errstate(invalid="ignore", divide="ignore"):
            values = self.intersection / self.union
        values[:, ~self.seen] = np.nan
        values[np.isnan(values) & self.seen[None, :]] = 0.0  # seen but all empty: 0/0
        return values


class LabelMapIoU:
    """Semantic-segmentation mIoU (VOC): background (0) + K classes. At each threshold, a pixel
    takes the image's best-scoring present class when its map reaches the threshold, else
    background; pixels marked `ignore` (255) do not count."""

    def __init__(
        self,
        num_classes: int,
        thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
        ignore: int = 255,
    ):
        self.thresholds = np.asarray(thresholds, float)
        self.num_labels = num_classes + 1
        self.ignore = ignore
        self.confusion = np.zeros((len(thresholds), self.num_labels, self.num_labels), np.int64)

    def add(self, maps: np.ndarray, present: np.ndarray, truth: np.ndarray) -> None:
        """maps [K, H, W] in [0, 1]; present: class indices (0-based) to consider; truth [H, W]
        with 0 background, 1..K classes, `ignore`."""
        valid = truth != self.ignore
        target = truth[valid].astype(np.int64)
        if len(present) == 0:
            best = np.zeros(target.shape)
            label = np.zeros(target.shape, np.int64)
        else:
            chosen = maps[np.asarray(present)][:, valid]  # [P, V]
            best = chosen.max(axis=0)
            label = np.asarray(present)[chosen.argmax(axis=0)] + 1
        for t, threshold in enumerate(self.thresholds):
            predicted = np.where(best >= threshold, label, 0)
            np.add.at(self.confusion[t], (target, predicted), 1)

    def iou(self) -> np.ndarray:
        """[T, K+1] IoU per label (background first); nan for labels never present."""
        diagonal = np.diagonal(self.confusion, axis1=1, axis2=2).astype(float)
        union = self.confusion.sum(axis=2) + self.confusion.sum(axis=1) - diagonal
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union > 0, diagonal / union, np.nan)


def best_threshold(iou: np.ndarray, thresholds: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(best threshold, its mean IoU over non-nan classes, the IoU row at it)."""
    means = np.array([np.nanmean(row) if np.any(~np.isnan(row)) else np.nan for row in iou])
    if np.all(np.isnan(means)):
        return float("nan"), float("nan"), np.full(iou.shape[1], np.nan)
    index = int(np.nanargmax(means))
    return float(thresholds[index]), float(means[index]), iou[index]
