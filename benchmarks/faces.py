"""Face detection quality and speed on real photos (the development set, not the project's
samples): faces found per photo against the known counts, what the second (fine) pass adds, how
many hidden faces the detector still finds after blurring, and seconds per photo.

    python benchmarks/faces.py                                 # ../shared/devdata/faces
    python benchmarks/faces.py --data DIR --threshold 0.3

The development photos' licences are unclear: they stay outside the project and the tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redactor import obfuscate  # noqa: E402
from redactor.detectors.faces import FaceDetector  # noqa: E402
from redactor.imageio import load  # noqa: E402


def known_counts(folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in folder.rglob("face_counts.json"):
        for name, value in json.loads(path.read_text()).items():
            if isinstance(value, int):
                counts[name] = value
            elif isinstance(value, dict) and "count_approx" in value:
                counts[name] = int(value["count_approx"])
    return counts


def overlap(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "devdata" / "faces")
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"no development photos at {args.data}")

    from rich.console import Console
    from rich.table import Table

    detector = FaceDetector(args.threshold)
    base_only = FaceDetector(args.threshold, fine_pixels=1)
    checker = FaceDetector()  # finds blurred faces at the default threshold
    counts = known_counts(args.data)
    photos = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in (".jpg", ".png"))

    table = Table(title=f"faces on {args.data} (threshold {detector.threshold})")
    for column in (
        "photo",
        "size",
        "known",
        "found",
        "base pass only",
        "found again after blur",
        "s",
    ):
        table.add_column(column, justify="right" if column != "photo" else "left")
    hidden_total = found_again_total = 0
    seconds = []
    for path in photos:
        pixels = load(path).pixels
        detector.detect(pixels)  # ONNX Runtime plans each new input size once
        start = time.perf_counter()
        faces = detector.detect(pixels)
        seconds.append(time.perf_counter() - start)
        base = (
            base_only.detect(pixels)
            if len(detector.scales(pixels.shape[1], pixels.shape[0])) > 1
            else faces
        )
        blurred, _ = obfuscate.apply(pixels, faces, mode="blur", margin=None)
        again = [
            f for f in checker.detect(blurred) if any(overlap(f.box, h.box) > 0.3 for h in faces)
        ]
        hidden_total += len(faces)
        found_again_total += len(again)
        table.add_row(
            str(path.relative_to(args.data)),
            f"{pixels.shape[1]}x{pixels.shape[0]}",
            str(counts.get(path.name, "")),
            str(len(faces)),
            str(len(base)),
            str(len(again)),
            f"{seconds[-1]:.3f}",
        )
    console = Console()
    console.print(table)
    rate = found_again_total / max(1, hidden_total)
    console.print(
        f"{hidden_total} faces hidden; found again after blur: {found_again_total} ({rate:.1%}); "
        f"median {statistics.median(seconds):.3f} s per photo"
    )


if __name__ == "__main__":
    main()
