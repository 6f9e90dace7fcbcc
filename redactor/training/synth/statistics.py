"""Label statistics of the real VISPR data set, derived once into a small committed file.

    python -m redactor.training.synth.statistics --vispr ../shared/vispr \
        --out redactor/training/data/vispr_label_stats.json

reads VISPR's label records (`vispr_{train,val,test}2017_labels.jsonl`, one JSON object per
image with its `labels`) and writes, per split, the image count and how many images carry each
attribute; for the training split also the attribute co-occurrence counts and the empirical
distribution of whole label sets (each distinct set with how often it occurs). The synthetic
generator samples label sets from that distribution, so its attribute frequencies and
co-occurrences follow VISPR's. Everything is stored by attribute id (in VISPR's order), so the
file is self-describing. The project reads only the derived file; VISPR itself is not needed.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
from pathlib import Path

import numpy as np

from redactor.attributes import VISPR_IDS
from redactor.errors import RedactorError

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
STATS_PATH = DATA_DIR / "vispr_label_stats.json"
SPLITS = ("train2017", "val2017", "test2017")


def read_records(vispr_dir: Path, split: str) -> list[list[str]]:
    path = vispr_dir / f"vispr_{split}_labels.jsonl"
    if not path.is_file():
        raise RedactorError(f"{path} not found: pass --vispr the folder with VISPR's label files")
    out = []
    with path.open() as f:
        for line in f:
            if line.strip():
                out.append(list(json.loads(line)["labels"]))
    return out


def derive(vispr_dir: Path) -> dict:
    index = {a: i for i, a in enumerate(VISPR_IDS)}
    result: dict = {
        "source": "VISPR 2017 label records (vispr_<split>_labels.jsonl)",
        "attributes": list(VISPR_IDS),
        "splits": {},
    }
    for split in SPLITS:
        records = read_records(vispr_dir, split)
        counts = collections.Counter(a for labels in records for a in set(labels))
        unknown = set(counts) - set(index)
        if unknown:
            raise RedactorError(f"unknown attribute ids in VISPR {split}: {sorted(unknown)}")
        result["splits"][split] = {
            "images": len(records),
            "counts": [counts.get(a, 0) for a in VISPR_IDS],
        }
        if split == "train2017":
            co = np.zeros((len(VISPR_IDS), len(VISPR_IDS)), dtype=np.int64)
            sets = collections.Counter()
            for labels in records:
                idx = sorted({index[a] for a in labels})
                co[np.ix_(idx, idx)] += 1
                sets[tuple(idx)] += 1
            result["cooccurrence_train"] = co.tolist()
            # Most frequent first; ties by the set itself so the file is deterministic.
            result["label_sets_train"] = [
                [n, list(s)] for s, n in sorted(sets.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
    return result


@functools.lru_cache(maxsize=4)
def load_stats(path: str | None = None) -> dict:
    p = Path(path) if path else STATS_PATH
    if not p.is_file():
        raise RedactorError(
            f"label statistics {p} missing: run python -m redactor.training.synth.statistics"
        )
    stats = json.loads(p.read_text())
    if stats["attributes"] != list(VISPR_IDS):
        raise RedactorError(f"{p} was derived for a different attribute table: derive it again")
    return stats


def frequencies(stats: dict, split: str = "train2017") -> np.ndarray:
    """Fraction of images carrying each attribute, in VISPR order (68,)."""
    entry = stats["splits"][split]
    return np.asarray(entry["counts"], dtype=np.float64) / entry["images"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Derive VISPR label statistics.")
    parser.add_argument("--vispr", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=STATS_PATH)
    args = parser.parse_args()
    stats = derive(args.vispr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Compact: one label set per line keeps the file small and diffable.
    text = json.dumps(stats, separators=(",", ":"))
    args.out.write_text(text + "\n")
    print(f"{args.out}: {len(text)} bytes, {len(stats['label_sets_train'])} distinct train sets")


if __name__ == "__main__":
    main()
