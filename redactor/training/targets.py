"""What the trainer and the evaluation need besides images and labels: privacy-score targets
(from a privacy profile), human/text masks (from the cache the synth helper's
redactor/training/masks.py writes beside a data set) and ground-truth masks (VOC segmentations,
synthetic sets' per-attribute masks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from redactor.training.datasets import (
    DatasetError,
    DataSource,
    MaskProvider,
    Record,
    read_label_png,
)


def _profile(path: str):
    from redactor.training import privacy_profile

    return privacy_profile.load_profile(path or None)


def score_function(profile_path: str = "") -> Callable[[np.ndarray], float]:
    """labels [68] (0/1) -> privacy score in [0, 1] by the profile (default: VISPR study)."""
    from redactor.training import privacy_profile

    profile = _profile(profile_path)
    return lambda labels: privacy_profile.image_score(np.asarray(labels, np.float64), profile)


def profile_for_model(profile_path: str = "") -> tuple[tuple[float, ...], str]:
    """(sensitivity per VISPR attribute, rule): what a model without a privacy head needs to
    turn attribute probabilities into a score."""
    profile = _profile(profile_path)
    return tuple(float(v) for v in profile.vector()), profile.rule


def mask_provider(data: str | Path, source: DataSource) -> MaskProvider | None:
    """Human/text masks of `source`'s images from the cache beside the data set, or None when
    no cache exists (training then runs without mask weighting)."""
    try:
        from redactor.training import masks as mask_cache
    except ImportError:
        return None
    cache = mask_cache.open_cache(Path(data), source.split)
    if cache is None:
        return None

    def masks_of(record: Record, size: tuple[int, int]) -> np.ndarray | None:
        return cache.masks(record.id, size)

    return masks_of


def truth_of(source: DataSource, record: Record) -> tuple[str, object] | None:
    """Ground truth for the mask metrics: ("labelmap", [H, W] uint8) for VOC,
    ("binary", {class index: bool [H, W]}) for synthetic sets, None where there is none.

    Synthetic sets name their masks in the annotation (`"masks": {attribute id: path}`), or
    keep them as `masks/<split>/<id>/<attribute id>.png` (nonzero = the attribute).
    """
    if source.kind == "voc":
        return "labelmap", read_label_png(record.extra["segmentation"])
    files = synthetic_mask_files(source, record)
    if not files:
        return None
    index = {class_id: i for i, class_id in enumerate(source.class_ids)}
    truth = {}
    for class_id, path in files.items():
        if class_id not in index:
            raise DatasetError(f"mask {path} names unknown attribute {class_id!r}")
        truth[index[class_id]] = read_binary_png(path)
    shapes = {m.shape for m in truth.values()}
    if len(shapes) != 1:
        raise DatasetError(f"masks of {record.id} differ in size: {sorted(shapes)}")
    return "binary", truth


def synthetic_mask_files(source: DataSource, record: Record) -> dict[str, Path]:
    entry = record.extra.get("entry") or {}
    named = entry.get("masks")
    if isinstance(named, dict):
        return {str(k): source.root / str(v) for k, v in named.items()}
    folder = source.root / "masks" / source.split / record.id
    if folder.is_dir():
        return {path.stem: path for path in sorted(folder.glob("*.png"))}
    return {}


def read_binary_png(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.array(image.convert("L")) > 0
    except (OSError, UnidentifiedImageError):
        raise DatasetError(f"cannot read mask {path}") from None
