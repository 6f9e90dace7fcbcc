"""`redact synth`: write a synthetic data set in VISPR's layout with ground-truth masks.

    DIR/
      train2017.txt, val2017.txt, test2017.txt   annotation paths, one per line (VISPR's lists)
      annotations/<split>/<id>.json    {"id", "image_path", "labels", "masks", "synthetic"}
      images/<split>/<id>.jpg
      masks/<split>/<id>/<attribute id>.png   1-bit PNG, white = the attribute's pixels
      synth.json                        how the set was made, and its label frequencies

Every label has a non-empty mask and every mask a label; `"masks"` in the annotation maps each
label to its PNG (relative to DIR). Label sets are drawn from VISPR's empirical distribution
(redactor/training/data/vispr_label_stats.json), each image rendered from its own seed, so a set is
reproducible whatever the number of worker processes.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from PIL import Image

from redactor.attributes import VISPR_IDS
from redactor.errors import RedactorError, UsageError
from redactor.files import write_text_atomic
from redactor.processes import process_pool

SPLITS = ("train2017", "val2017", "test2017")
DEFAULT_RATIOS = (0.7, 0.1, 0.2)
GENERATOR_VERSION = 1
ID_BASE = 90_000_000  # ids look like VISPR's ("2017_9xxxxxxx") and never collide with them


@dataclass(frozen=True)
class SynthConfig:
    out: Path
    n: int
    seed: int = 0
    size: int = 448
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    workers: int = 1
    stats_path: str | None = None
    real_content: bool = (
        False  # real faces and photo backgrounds (redactor/training/synth/real_content.py)
    )
    real_photos: Path | None = None  # the user's folder of photos of people, for real faces
    real_backgrounds: float = 0.5  # with real content: share of real photo backgrounds
    package_faces: bool = True  # with real content: the packaged portraits' faces join the bank
    text_weight: float = 1.0  # label sets with a text attribute drawn this many times as often
    portraits: float = 0.0  # with real content: share of close-ups of a real face
    harmless_pages: float = 0.0  # share of pages of harmless prose (synth/harmless_pages.py)

    @property
    def with_real_content(self) -> bool:
        """Real photos or close-ups asked for imply real content."""
        return self.real_content or self.real_photos is not None or self.portraits > 0

    def configure_real_content(self) -> Any:
        from redactor.training.synth import real_content

        return real_content.configure(
            self.real_photos, self.real_backgrounds, self.package_faces, self.portraits
        )


def parse_ratios(text: str) -> tuple[float, float, float]:
    """ "0.7,0.1,0.2" -> fractions of train/val/test (normalised; all must be >= 0)."""
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise UsageError(
            f"--split-ratio takes three numbers like 0.7,0.1,0.2, got {text!r}"
        ) from None
    if len(parts) != 3 or any(p < 0 for p in parts) or sum(parts) <= 0:
        raise UsageError(
            f"--split-ratio takes three non-negative numbers like 0.7,0.1,0.2, got {text!r}"
        )
    total = sum(parts)
    return (parts[0] / total, parts[1] / total, parts[2] / total)


def image_id(index: int) -> str:
    return f"2017_{ID_BASE + index}"


def split_of(n: int, ratios: Sequence[float], seed: int) -> list[str]:
    """Split per image index: counts by the ratios (rounded), order shuffled by the seed."""
    counts = [int(round(n * r)) for r in ratios]
    counts[0] = n - counts[1] - counts[2]
    names = [SPLITS[k] for k, c in enumerate(counts) for _ in range(c)]
    random.Random(seed ^ 0x5EED).shuffle(names)
    return names


def image_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


class LabelSampler:
    """Draws label sets from VISPR's empirical distribution of whole label sets. `text_weight`
    > 1 draws the sets that hold a text attribute (names, addresses, documents...) that many
    times as often: VISPR has few (a full name in ~5% of images), too few for a small set to
    teach what personal text looks like."""

    def __init__(self, stats_path: str | None = None, text_weight: float = 1.0):
        from redactor.attributes import BY_ID
        from redactor.training.synth.statistics import load_stats

        stats = load_stats(stats_path)
        self.sets = [tuple(VISPR_IDS[i] for i in idx) for _, idx in stats["label_sets_train"]]
        counts = np.array([c for c, _ in stats["label_sets_train"]], np.float64)
        if text_weight != 1.0:
            has_text = [any(BY_ID[a].mask_type == "text" for a in s) for s in self.sets]
            counts = counts * np.where(has_text, text_weight, 1.0)
        self.cumulative = np.cumsum(counts / counts.sum())

    def draw(self, rng: random.Random) -> frozenset[str]:
        k = int(np.searchsorted(self.cumulative, rng.random(), side="right"))
        return frozenset(self.sets[min(k, len(self.sets) - 1)])


_SAMPLER: LabelSampler | None = None
_HARMLESS_PAGES = 0.0


def _worker_init(config: SynthConfig) -> None:
    global _SAMPLER, _HARMLESS_PAGES
    _SAMPLER = LabelSampler(config.stats_path, config.text_weight)
    _HARMLESS_PAGES = config.harmless_pages
    from redactor.training.synth import real_content

    if config.with_real_content and real_content.ACTIVE is None:  # spawned: build the bank
        config.configure_real_content()


def make_one(task: tuple[int, int, str, int, str]) -> tuple[int, str, list[str]]:
    """Renders and writes image `index`; returns (index, split, labels)."""
    from redactor.training.synth import real_content
    from redactor.training.synth.scene import render_scene

    index, seed, split, size, out = task
    assert _SAMPLER is not None
    rng = random.Random(image_seed(seed, index))
    real = real_content.ACTIVE
    if _HARMLESS_PAGES > 0 and rng.random() < _HARMLESS_PAGES:
        from redactor.training.synth.harmless_pages import harmless_page

        result = harmless_page(rng.randrange(1 << 62), size)
        requested = frozenset(result.labels)
    elif real is not None and real.portraits > 0 and rng.random() < real.portraits:
        result = real_content.portrait(rng.randrange(1 << 62), size)
        requested = frozenset(result.labels)
    else:
        requested = _SAMPLER.draw(rng)
        result = render_scene(requested, rng.randrange(1 << 62), size)
    root = Path(out)
    ident = image_id(index)
    image_rel = f"images/{split}/{ident}.jpg"
    result.image.save(root / image_rel, quality=rng.randint(75, 95))
    masks_rel = {}
    mask_dir = root / "masks" / split / ident
    mask_dir.mkdir(parents=True, exist_ok=True)
    for attribute in result.labels:
        rel = f"masks/{split}/{ident}/{attribute}.png"
        Image.fromarray(result.masks[attribute]).save(root / rel, optimize=False)
        masks_rel[attribute] = rel
    entry = {
        "id": ident,
        "image_path": image_rel,
        "labels": result.labels,
        "masks": masks_rel,
        "synthetic": {
            "requested": sorted(requested),
            "generator": GENERATOR_VERSION,
            "text": result.items,
        },
    }
    path = root / "annotations" / split / f"{ident}.json"
    write_text_atomic(
        path, json.dumps(entry)
    )  # an annotation exists only once its image and masks do
    return index, split, result.labels


def check_config(config: SynthConfig) -> None:
    """Bad options and a non-empty output folder fail before any work starts."""
    if config.n < 1:
        raise UsageError("--n must be at least 1")
    if not 64 <= config.size <= 2048:
        raise UsageError(f"--size must be within 64-2048 pixels, got {config.size}")
    out = Path(config.out)
    if (out / "annotations").exists() and any((out / "annotations").rglob("*.json")):
        raise UsageError(f"{out} already holds a data set: choose an empty folder or remove it")
    LabelSampler(config.stats_path)  # fail early on missing statistics
    if not 0.0 <= config.harmless_pages < 1.0:
        raise UsageError(f"--harmless-pages must be within 0-1, got {config.harmless_pages}")
    if not 0.0 <= config.portraits < 1.0:
        raise UsageError(f"--portraits must be within 0-1, got {config.portraits}")
    if not 0.0 < config.text_weight <= 50.0:
        raise UsageError(f"--text-weight must be within 0-50 (above 0), got {config.text_weight}")
    if not 0.0 <= config.real_backgrounds <= 1.0:
        raise UsageError(f"--real-backgrounds must be within 0-1, got {config.real_backgrounds}")
    if config.real_photos is not None and not Path(config.real_photos).is_dir():
        raise UsageError(f"--real-photos: {config.real_photos} is not a folder")


def generate(config: SynthConfig, progress: Callable[[int, int], None] | None = None) -> dict:
    """Writes the data set; returns the summary also written to synth.json."""
    check_config(config)
    from redactor.training.synth import real_content

    if config.with_real_content:
        # Set before the workers fork, so they share the face bank.
        bank = config.configure_real_content().bank
    else:
        real_content.disable()
        bank = None
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = split_of(config.n, config.ratios, config.seed)
    for split in SPLITS:
        (out / "annotations" / split).mkdir(parents=True, exist_ok=True)
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "masks" / split).mkdir(parents=True, exist_ok=True)
    tasks = [(i, config.seed, splits[i], config.size, str(out)) for i in range(config.n)]
    start = time.perf_counter()
    results: list[tuple[int, str, list[str]]] = []
    workers = max(1, min(config.workers, config.n))
    if workers == 1:
        _worker_init(config)
        for task in tasks:
            results.append(make_one(task))
            if progress:
                progress(len(results), config.n)
    else:
        # fork (spawn where there is none): workers start cheaply, with this process's imports.
        with process_pool(
            workers, start="fork", initializer=_worker_init, initargs=(config,)
        ) as pool:
            for result in pool.map(make_one, tasks, chunksize=8):
                results.append(result)
                if progress:
                    progress(len(results), config.n)
    elapsed = time.perf_counter() - start
    results.sort()
    for split in SPLITS:
        lines = [f"annotations/{split}/{image_id(i)}.json" for i, s, _ in results if s == split]
        (out / f"{split}.txt").write_text("".join(line + "\n" for line in lines))
    counts = {a: 0 for a in VISPR_IDS}
    for _, _, labels in results:
        for a in labels:
            counts[a] += 1
    summary = {
        "generator": GENERATOR_VERSION,
        "n": config.n,
        "seed": config.seed,
        "size": config.size,
        "split_ratio": list(config.ratios),
        "splits": {s: sum(1 for _, x, _ in results if x == s) for s in SPLITS},
        "label_frequency": {a: round(c / config.n, 5) for a, c in counts.items() if c},
        "seconds": round(elapsed, 2),
        "workers": workers,
        "text_weight": config.text_weight,
        "harmless_pages": config.harmless_pages,
        "layout": "VISPR annotations/images + masks/<split>/<id>/<attribute id>.png",
    }
    if bank is not None:
        # How many real faces, from where (file names only: a user's folder path stays private).
        summary["real_content"] = {
            "faces": len(bank.faces),
            "from_packages": sum(o.startswith("package:") for o in bank.origins),
            "from_folder": sum(o.startswith("folder:") for o in bank.origins),
            "photo_backgrounds": config.real_backgrounds,
            "package_portraits": config.package_faces,
            "close_up_portraits": config.portraits,
        }
    (out / "synth.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def read_annotation(root: Path, split: str, ident: str) -> dict:
    return json.loads((Path(root) / "annotations" / split / f"{ident}.json").read_text())


def read_masks(root: Path, entry: dict) -> dict[str, np.ndarray]:
    """The ground-truth masks of one annotation: attribute id -> bool [H, W]."""
    out = {}
    for attribute, rel in entry.get("masks", {}).items():
        with Image.open(Path(root) / rel) as image:
            out[attribute] = np.asarray(image.convert("L")) > 0
    return out


def iter_records(root: Path, split: str) -> Iterator[dict]:
    listing = Path(root) / f"{split}.txt"
    if not listing.is_file():
        raise RedactorError(f"{listing} not found: is {root} a data set made by `redact synth`?")
    for line in listing.read_text().split():
        yield json.loads((Path(root) / line).read_text())
