"""Data-set fixtures written by the tests in the real on-disk formats."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# Real VISPR label records (from the data set's train split), images replaced by drawings.
VISPR_RECORDS = (
    (
        "2017_10001018",
        [
            "a10_face_partial",
            "a16_race",
            "a17_color",
            "a1_age_approx",
            "a4_gender",
            "a56_sexual_orientation",
            "a57_culture",
            "a68_rel_spectators",
            "a6_hair_color",
            "a9_face_complete",
        ],
    ),
    (
        "2017_10035653",
        [
            "a16_race",
            "a17_color",
            "a1_age_approx",
            "a4_gender",
            "a5_eye_color",
            "a61_opinion_general",
            "a69_rel_views",
            "a6_hair_color",
            "a9_face_complete",
        ],
    ),
    ("2017_10050223", ["a0_safe"]),
    ("2017_10064870", ["a30_credit_card", "a19_name_full"]),
)


def write_vispr(root: Path, split: str = "test2017", records=VISPR_RECORDS) -> Path:
    (root / "annotations" / split).mkdir(parents=True, exist_ok=True)
    (root / "images" / split).mkdir(parents=True, exist_ok=True)
    for n, (image_id, labels) in enumerate(records):
        image = Image.new("RGB", (48 + 8 * n, 40), (40 * n, 90, 160))
        image.save(root / "images" / split / f"{image_id}.jpg", quality=90)
        entry = {
            "id": image_id,
            "image_path": f"images/{split}/{image_id}.jpg",
            "labels": labels,
            "openimages_id": f"{n:016x}",
            "source_url": "https://example.invalid/x.jpg",
        }
        (root / "annotations" / split / f"{image_id}.json").write_text(json.dumps(entry))
    return root


def voc_palette() -> list[int]:
    """PASCAL VOC's colour map (bit-interleaved label colours), 256 RGB triplets."""
    palette = []
    for label in range(256):
        r = g = b = 0
        value = label
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        palette += [r, g, b]
    return palette


def write_voc(root: Path, count: int = 8, size: int = 48, seed: int = 0) -> Path:
    """VOC2012 layout: each image a grey field with a coloured square of one class (cat = 8 or
    person = 15), the segmentation a palette PNG with a 255 boundary ring."""
    base = root / "VOC2012"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (base / folder).mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    ids = []
    for i in range(count):
        image_id = f"2007_{i:06d}"
        label = 8 if i % 2 == 0 else 15
        image = Image.new("RGB", (size, size), (128, 128, 128))
        segmentation = np.zeros((size, size), np.uint8)
        x, y, side = rng.randint(0, size // 2), rng.randint(0, size // 2), size // 2
        colour = (220, 120, 20) if label == 8 else (30, 200, 60)
        ImageDraw.Draw(image).rectangle([x, y, x + side - 1, y + side - 1], fill=colour)
        segmentation[y : y + side, x : x + side] = label
        segmentation[y, x : x + side] = 255  # boundary pixels are ignored
        png = Image.fromarray(segmentation, mode="P")
        png.putpalette(voc_palette())
        image.save(base / "JPEGImages" / f"{image_id}.jpg", quality=95)
        png.save(base / "SegmentationClass" / f"{image_id}.png")
        ids.append(image_id)
    half = count // 2
    (base / "ImageSets/Segmentation/train.txt").write_text("\n".join(ids[:half]) + "\n")
    (base / "ImageSets/Segmentation/val.txt").write_text("\n".join(ids[half:]) + "\n")
    return root


# A stand-in synthetic set: three attributes drawn as shapes, each with its ground-truth mask
# in the synthetic layout (masks/<split>/<id>/<attribute id>.png).
SHAPES = {"a9_face_complete": "disc", "a19_name_full": "lines", "a30_credit_card": "card"}


def write_shapes(root: Path, counts: dict[str, int], size: int = 64, seed: int = 0) -> Path:
    rng = random.Random(seed)
    for split, count in counts.items():
        for folder in ("annotations", "images"):
            (root / folder / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image_id = f"{split}_{i:05d}"
            image = Image.new("RGB", (size, size), tuple(rng.randint(80, 170) for _ in range(3)))
            draw = ImageDraw.Draw(image)
            labels = [a for a in SHAPES if rng.random() < 0.5]
            masks = {}
            for attribute in labels:
                side = rng.randint(size // 4, size // 2)
                x, y = rng.randint(0, size - side), rng.randint(0, size - side)
                layer = Image.new("L", (size, size), 0)
                mark = ImageDraw.Draw(layer)
                if SHAPES[attribute] == "disc":
                    box = [x, y, x + side, y + side]
                    draw.ellipse(box, fill=(235, 190, 160))
                    mark.ellipse(box, fill=255)
                elif SHAPES[attribute] == "lines":
                    for k in range(0, side // 2, 5):
                        box = [x, y + k, x + side, y + k + 2]
                        draw.rectangle(box, fill=(15, 15, 15))
                        mark.rectangle(box, fill=255)
                else:
                    box = [x, y, x + side, y + int(side * 0.63)]
                    draw.rectangle(box, fill=(30, 70, 210))
                    mark.rectangle(box, fill=255)
                masks[attribute] = layer
            # Later shapes cover earlier ones: masks keep only the visible part.
            order = list(masks)
            for n, attribute in enumerate(order):
                visible = np.array(masks[attribute]) > 0
                for later in order[n + 1 :]:
                    visible &= ~(np.array(masks[later]) > 0)
                masks[attribute] = Image.fromarray((visible * 255).astype(np.uint8))
            image.save(root / "images" / split / f"{image_id}.jpg", quality=92)
            folder = root / "masks" / split / image_id
            folder.mkdir(parents=True, exist_ok=True)
            for attribute, layer in masks.items():
                layer.save(folder / f"{attribute}.png")
            entry = {
                "id": image_id,
                "image_path": f"images/{split}/{image_id}.jpg",
                "labels": labels or ["a0_safe"],
            }
            (root / "annotations" / split / f"{image_id}.json").write_text(json.dumps(entry))
    return root
