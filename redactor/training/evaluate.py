"""`redact evaluate`: the paper's metrics for a checkpoint on a data set split.

- privacy score: L1 error, Pearson, Spearman (VISPR-layout data, targets from the profile);
- attributes: accuracy per attribute at probability 0.5 and their mean (over all attributes
  present in the split, and over the "supported" ones with at least a tenth of the most
  frequent attribute's positives, the paper's Table 3 rule), VISPR's class-wise mAP;
- masks, where ground truth exists: the CAMs of the image's ground-truth classes, upsampled to
  the image, normalised to [0, 1], thresholded; the threshold swept and the best mean IoU
  reported (WSSS practice), per attribute, per attribute group and per mask type; once on the
  raw CAMs and once refined by the human/text masks (when cached), as inference does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from redactor.attributes import BY_ID
from redactor.model import ModelMeta, PrivObfNet, load_checkpoint, normalise_cams
from redactor.model.privobfnet import mask_weights
from redactor.training import metrics
from redactor.training.collapse import output_spread
from redactor.training.datasets import DataSource, ImageSet, MaskProvider, collate, open_source
from redactor.training.targets import mask_provider, score_function, truth_of


def _clean(value: Any) -> Any:
    """JSON-ready: nan -> None, numpy scalars -> float, recursively."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


@torch.no_grad()
def evaluate_model(
    model: PrivObfNet,
    meta: ModelMeta,
    source: DataSource,
    *,
    masks_of: MaskProvider | None = None,
    score_of: Callable[[np.ndarray], float] | None = None,
    device: torch.device | str = "cpu",
    batch_size: int = 8,
    with_iou: bool = True,
    thresholds: tuple[float, ...] = metrics.DEFAULT_THRESHOLDS,
    limit: int = 0,
    num_workers: int = 0,
) -> dict[str, Any]:
    if list(meta.attribute_ids) != list(source.class_ids):
        raise ValueError("the model's classes differ from the data set's")
    model.eval()
    device = torch.device(device)
    size = meta.input_size[0]
    dataset = ImageSet(
        source,
        size,
        meta.mean,
        meta.std,
        train=False,
        score_of=score_of,
        masks_of=masks_of,
        limit=limit,
    )
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=False, collate_fn=collate, num_workers=num_workers
    )
    num_classes = source.num_classes
    scores, raw_scores, probabilities, targets = [], [], [], []
    binary = metrics.BinaryIoU(num_classes, thresholds)
    binary_refined = metrics.BinaryIoU(num_classes, thresholds)
    labelmap = metrics.LabelMapIoU(num_classes, thresholds)
    kinds_seen: set[str] = set()
    type_index = torch.tensor(
        [("none", "human", "text").index(t) for t in meta.mask_types], dtype=torch.long
    )
    for items in loader:
        images = items["image"].to(device)
        masks = items["masks"].to(device) if items["masks"] is not None else None
        out = model.image(images, masks)
        score, attributes = model.predictions(out)
        scores.append(score.float().cpu().numpy())
        # The head's raw output, before clamping to [0, 1]: what the collapse check looks at.
        # Without a privacy head the score follows the attributes (checked on their own).
        raw = out["score"] if "score" in out else torch.full_like(score, float("nan"))
        raw_scores.append(raw.float().cpu().numpy())
        probabilities.append(attributes.float().cpu().numpy())
        targets.append(items["score"].numpy())
        if not with_iou:
            continue
        cams = out["cams"].float().cpu()
        for row, index in enumerate(items["index"].tolist()):
            record = dataset.records[index]
            truth = truth_of(source, record)
            if truth is None:
                continue
            kind, value = truth
            kinds_seen.add(kind)
            height, width = value.shape if kind == "labelmap" else next(iter(value.values())).shape
            if kind == "labelmap":
                present = np.nonzero(record.labels > 0.5)[0]
                maps = np.zeros((num_classes, height, width), np.float32)
                if len(present):
                    up = F.interpolate(
                        cams[row : row + 1, present],
                        size=(height, width),
                        mode="bilinear",
                        align_corners=False,
                    )
                    maps[present] = normalise_cams(up)[0].numpy()
                labelmap.add(maps, present, value)
                continue
            classes = sorted(value)
            up = F.interpolate(
                cams[row : row + 1, classes],
                size=(height, width),
                mode="bilinear",
                align_corners=False,
            )
            normalised = normalise_cams(up)[0]  # [K, H, W]
            maps = np.zeros((num_classes, height, width), np.float32)
            maps[classes] = normalised.numpy()
            binary.add(maps, value)
            full_masks = masks_of(record, (height, width)) if masks_of is not None else None
            if full_masks is not None:
                weights = mask_weights(
                    torch.from_numpy(np.asarray(full_masks, np.float32))[None],
                    type_index[classes],
                    (height, width),
                )[0]
                refined = np.zeros_like(maps)
                refined[classes] = (normalised * weights).numpy()
                binary_refined.add(refined, value)

    scores_all = np.concatenate(scores) if scores else np.zeros(0)
    probabilities_all = (
        np.concatenate(probabilities) if probabilities else np.zeros((0, num_classes))
    )
    targets_all = np.concatenate(targets) if targets else np.zeros(0)
    labels = np.stack([r.labels for r in dataset.records]) if dataset.records else probabilities_all
    result: dict[str, Any] = {"images": len(dataset), "split": source.split, "kind": source.kind}
    if len(targets_all) and not np.all(np.isnan(targets_all)):
        result["score"] = {
            "l1": metrics.l1_error(scores_all, targets_all),
            "pearson": metrics.pearson(scores_all, targets_all),
            "spearman": metrics.spearman(scores_all, targets_all),
        }
    result["attributes"] = _attribute_metrics(probabilities_all, labels, source.class_ids)
    # Outputs that do not vary across images mean a dead model (redactor/training/collapse.py).
    raw_all = np.concatenate(raw_scores) if raw_scores else np.zeros(0)
    result["spread"] = output_spread(raw_all, probabilities_all).to_dict()
    if with_iou:
        if "labelmap" in kinds_seen:
            result["masks"] = _labelmap_summary(labelmap, source.class_ids)
        if "binary" in kinds_seen:
            result["masks"] = _binary_summary(binary, source.class_ids)
            if binary_refined.seen.any():
                result["masks_refined"] = _binary_summary(binary_refined, source.class_ids)
    return _clean(result)


def _attribute_metrics(probabilities: np.ndarray, labels: np.ndarray, ids: tuple[str, ...]) -> dict:
    accuracy = metrics.attribute_accuracy(probabilities, labels)
    positives = labels.sum(axis=0)
    present = positives > 0
    supported = positives >= max(1.0, positives.max() / 10) if len(labels) else present
    mean_ap, per_class_ap = metrics.macro_average_precision(probabilities, labels)
    return {
        "accuracy_mean": float(accuracy[present].mean()) if present.any() else float("nan"),
        "accuracy_mean_supported": float(accuracy[supported].mean())
        if supported.any()
        else float("nan"),
        "supported": [ids[i] for i in np.nonzero(supported)[0]],
        "map": mean_ap,
        "per_attribute": {
            ids[i]: {
                "accuracy": float(accuracy[i]),
                "ap": float(per_class_ap[i]),
                "auc": metrics.roc_auc(probabilities[:, i], labels[:, i]),
                "positives": int(positives[i]),
                "negatives": int(len(labels) - positives[i]),
            }
            for i in range(len(ids))
        },
    }


def _groups_of(class_id: str) -> tuple[str, str] | None:
    attribute = BY_ID.get(class_id)
    return None if attribute is None else (attribute.group, attribute.mask_type)


def _binary_summary(accumulator: metrics.BinaryIoU, ids: tuple[str, ...]) -> dict:
    iou = accumulator.iou()
    threshold, miou, row = metrics.best_threshold(iou, accumulator.thresholds)
    per_attribute = {ids[c]: float(row[c]) for c in range(len(ids)) if accumulator.seen[c]}
    by_group: dict[str, list[float]] = {}
    by_type: dict[str, list[float]] = {}
    for class_id, value in per_attribute.items():
        groups = _groups_of(class_id)
        if groups:
            by_group.setdefault(groups[0], []).append(value)
            by_type.setdefault(groups[1], []).append(value)
    return {
        "threshold": threshold,
        "miou": miou,
        "per_attribute": per_attribute,
        "per_group": {g: float(np.mean(v)) for g, v in sorted(by_group.items())},
        "per_mask_type": {t: float(np.mean(v)) for t, v in sorted(by_type.items())},
        "sweep": {f"{t:.2f}": float(np.nanmean(r)) for t, r in zip(accumulator.thresholds, iou)},
    }


def _labelmap_summary(accumulator: metrics.LabelMapIoU, ids: tuple[str, ...]) -> dict:
    iou = accumulator.iou()
    threshold, miou, row = metrics.best_threshold(iou, accumulator.thresholds)
    names = ("background", *ids)
    return {
        "threshold": threshold,
        "miou": miou,
        "per_attribute": {
            names[c]: float(row[c]) for c in range(len(names)) if not np.isnan(row[c])
        },
        "sweep": {f"{t:.2f}": float(np.nanmean(r)) for t, r in zip(accumulator.thresholds, iou)},
    }


def evaluate_checkpoint(
    checkpoint: str | Path,
    data: str | Path,
    split: str = "test",
    *,
    device: str = "auto",
    batch_size: int = 8,
    privacy_profile: str = "",
    with_iou: bool = True,
    limit: int = 0,
    num_workers: int = 0,
) -> dict[str, Any]:
    model, meta = load_checkpoint(checkpoint, image_only=True)
    chosen = torch.device(
        "cuda"
        if device == "auto" and torch.cuda.is_available()
        else ("cpu" if device == "auto" else device)
    )
    model.to(chosen)
    source = open_source(data, split)
    score_of = score_function(privacy_profile) if source.is_vispr else None
    masks_of = mask_provider(data, source)
    result = evaluate_model(
        model,
        meta,
        source,
        masks_of=masks_of,
        score_of=score_of,
        device=chosen,
        batch_size=batch_size,
        with_iou=with_iou,
        limit=limit,
        num_workers=num_workers,
    )
    result["checkpoint"] = str(checkpoint)
    result["masks_cached"] = masks_of is not None
    return result
