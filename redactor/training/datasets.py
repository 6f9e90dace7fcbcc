"""Data sets in their real on-disk layouts, and the torch Dataset that feeds the trainer.

- VISPR (Orekondy et al. 2017): `annotations/<split>/<id>.json`, each
  `{"id", "image_path": "images/<split>/<id>.jpg", "labels": [attribute ids], ...}`; split names
  `train2017`/`val2017`/`test2017` (`train`/`val`/`test` are accepted for them).
- Synthetic sets (`redact synth`) use the VISPR layout plus ground-truth masks per attribute
  (redactor/training/synth/README.md); read here as VISPR with `truth`.
- PASCAL VOC 2012: `JPEGImages/<id>.jpg`, `SegmentationClass/<id>.png` (palette indices: 0
  background, 1..20 classes, 255 boundary), `ImageSets/Segmentation/<split>.txt`. Image-level
  labels are the classes present in the segmentation (the WSSS convention).

Each source yields Records (image path, 0/1 label vector); `ImageSet` turns them into tensors:
the image resized to a square, normalised, optionally flipped; labels; the privacy-score
target; the human/text masks when cached.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from redactor.attributes import VISPR_IDS, mask_type_vector
from redactor.errors import RedactorError

VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)  # fmt: skip
VOC_IGNORE = 255


class DatasetError(RedactorError):
    """A data set that is missing, in an unknown layout, or with unreadable files."""

    code = "bad_dataset"


@dataclass(frozen=True)
class Record:
    id: str
    image: Path
    labels: np.ndarray  # float32 [C], 0/1
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # source-specific paths


@dataclass
class DataSource:
    """One split of one data set."""

    kind: str  # "vispr" | "voc"
    root: Path
    split: str  # the folder / list name actually used
    class_ids: tuple[str, ...]
    mask_types: tuple[str, ...]
    records: list[Record]

    @property
    def num_classes(self) -> int:
        return len(self.class_ids)

    @property
    def is_vispr(self) -> bool:
        return self.class_ids == VISPR_IDS

    def label_matrix(self) -> np.ndarray:
        return (
            np.stack([r.labels for r in self.records])
            if self.records
            else np.zeros((0, self.num_classes), np.float32)
        )


# --- VISPR layout -----------------------------------------------------------------------------

SPLIT_ALIASES = {"train": "train2017", "val": "val2017", "test": "test2017"}


def _vispr_split_dir(root: Path, split: str) -> Path:
    for name in (split, SPLIT_ALIASES.get(split, split)):
        if (root / "annotations" / name).is_dir():
            return root / "annotations" / name
    present = sorted(p.name for p in (root / "annotations").glob("*") if p.is_dir())
    raise DatasetError(
        f"{root} has no annotations/{split} (nor annotations/{SPLIT_ALIASES.get(split, split)}); "
        f"splits present: {', '.join(present) or 'none'}"
    )


def vispr_source(root: str | Path, split: str) -> DataSource:
    """Read every annotation of `split`; missing images and unknown labels are errors."""
    root = Path(root)
    folder = _vispr_split_dir(root, split)
    index = {attribute: i for i, attribute in enumerate(VISPR_IDS)}
    records: list[Record] = []
    for path in sorted(folder.glob("*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            image_id = str(entry["id"])
            image = root / entry.get("image_path", f"images/{folder.name}/{image_id}.jpg")
            names = list(entry["labels"])
        except (ValueError, KeyError, TypeError) as error:
            raise DatasetError(f"annotation {path} is not a VISPR record ({error})") from None
        unknown = [n for n in names if n not in index]
        if unknown:
            raise DatasetError(f"annotation {path} has unknown attributes {unknown}")
        if not image.is_file():
            raise DatasetError(f"annotation {path} names {image}, which does not exist")
        labels = np.zeros(len(VISPR_IDS), np.float32)
        labels[[index[n] for n in names]] = 1.0
        records.append(Record(image_id, image, labels, {"annotation": path, "entry": entry}))
    if not records:
        raise DatasetError(f"{folder} holds no annotation files")
    return DataSource("vispr", root, folder.name, VISPR_IDS, tuple(mask_type_vector()), records)


# --- PASCAL VOC 2012 --------------------------------------------------------------------------


def _voc_root(root: Path) -> Path:
    for candidate in (root, root / "VOC2012", root / "VOCdevkit" / "VOC2012"):
        if (candidate / "JPEGImages").is_dir() and (candidate / "ImageSets").is_dir():
            return candidate
    raise DatasetError(f"{root} is not a PASCAL VOC 2012 folder (no JPEGImages/ and ImageSets/)")


def read_label_png(path: Path) -> np.ndarray:
    """A VOC SegmentationClass PNG as its palette indices [H, W] uint8."""
    try:
        with Image.open(path) as image:
            if image.mode not in ("P", "L"):
                raise DatasetError(f"{path} is not a palette/indexed PNG (mode {image.mode})")
            return np.array(image, dtype=np.uint8)
    except (OSError, UnidentifiedImageError):
        raise DatasetError(f"cannot read segmentation {path}") from None


def voc_source(root: str | Path, split: str) -> DataSource:
    base = _voc_root(Path(root))
    listing = base / "ImageSets" / "Segmentation" / f"{split}.txt"
    if not listing.is_file():
        raise DatasetError(f"{listing} does not exist (VOC splits: train, val, trainval)")
    records: list[Record] = []
    for line in listing.read_text().split():
        image = base / "JPEGImages" / f"{line}.jpg"
        segmentation = base / "SegmentationClass" / f"{line}.png"
        if not image.is_file() or not segmentation.is_file():
            raise DatasetError(f"VOC image or segmentation of {line} missing under {base}")
        present = np.unique(read_label_png(segmentation))
        labels = np.zeros(len(VOC_CLASSES), np.float32)
        for value in present:
            if 1 <= value <= len(VOC_CLASSES):
                labels[value - 1] = 1.0
        records.append(Record(line, image, labels, {"segmentation": segmentation}))
    if not records:
        raise DatasetError(f"{listing} lists no images")
    mask_types = tuple("human" if c == "person" else "none" for c in VOC_CLASSES)
    return DataSource("voc", base, split, VOC_CLASSES, mask_types, records)


def open_source(root: str | Path, split: str) -> DataSource:
    """Pick the layout by what the folder holds."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"data folder {root} does not exist")
    if (root / "annotations").is_dir():
        return vispr_source(root, split)
    try:
        _voc_root(root)
    except DatasetError:
        raise DatasetError(
            f"{root} is neither a VISPR-layout folder (annotations/<split>/*.json) nor PASCAL VOC "
            "2012 (JPEGImages/, SegmentationClass/, ImageSets/Segmentation/)"
        ) from None
    return voc_source(root, split)


def has_split(root: str | Path, split: str) -> bool:
    try:
        open_source(root, split)
    except DatasetError:
        return False
    return True


# --- images and tensors -----------------------------------------------------------------------


def load_rgb(path: Path) -> Image.Image:
    """RGB with EXIF orientation applied to the pixels (what the pipeline's detectors see)."""
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        raise DatasetError(f"cannot read image {path}: corrupt or not an image") from None


def to_tensor(
    image: Image.Image, size: int, mean: tuple[float, ...], std: tuple[float, ...]
) -> torch.Tensor:
    """PIL RGB -> normalised float32 [3, size, size]."""
    resized = image.resize((size, size), Image.BILINEAR)
    array = np.asarray(resized, dtype=np.float32) / 255.0
    array = (array - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


MaskProvider = Callable[[Record, tuple[int, int]], "np.ndarray | None"]
"""(record, (height, width) of the image) -> [2, H, W] float32 human/text masks, or None."""


class ImageSet(torch.utils.data.Dataset):
    """Tensors for training and evaluation. Items: {"image", "labels", "score", "masks",
    "index"}; "score" is nan without a score function, "masks" None without masks."""

    def __init__(
        self,
        source: DataSource,
        size: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        *,
        train: bool,
        hflip: bool = True,
        score_of: Callable[[np.ndarray], float] | None = None,
        masks_of: MaskProvider | None = None,
        limit: int = 0,
        seed: int = 0,
    ) -> None:
        self.source = source
        self.records = source.records[:limit] if limit else source.records
        self.size, self.mean, self.std = size, mean, std
        self.train, self.hflip = train, hflip and train
        self.masks_of = masks_of
        self.scores = np.array(
            [score_of(r.labels) if score_of else np.nan for r in self.records], np.float32
        )
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.records)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        image = load_rgb(record.image)
        masks = self.masks_of(record, (image.height, image.width)) if self.masks_of else None
        tensor = to_tensor(image, self.size, self.mean, self.std)
        mask_tensor = None
        if masks is not None:
            mask_tensor = torch.nn.functional.interpolate(
                torch.from_numpy(np.ascontiguousarray(masks, np.float32))[None],
                size=(self.size, self.size),
                mode="bilinear",
                align_corners=False,
            )[0]
        # Flip decided from (seed, epoch, index): reproducible whatever the worker count.
        if self.hflip and random.Random(hash((self.seed, self.epoch, index))).random() < 0.5:
            tensor = tensor.flip(-1)
            mask_tensor = None if mask_tensor is None else mask_tensor.flip(-1)
        return {
            "image": tensor,
            "labels": torch.from_numpy(record.labels),
            "score": torch.tensor(self.scores[index]),
            "masks": mask_tensor,
            "index": index,
        }


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack a batch; masks only when every item has them (else None: no mask weighting)."""
    masks = [item["masks"] for item in items]
    return {
        "image": torch.stack([item["image"] for item in items]),
        "labels": torch.stack([item["labels"] for item in items]),
        "score": torch.stack([item["score"] for item in items]),
        "masks": torch.stack(masks) if all(m is not None for m in masks) else None,
        "index": torch.tensor([item["index"] for item in items]),
    }
