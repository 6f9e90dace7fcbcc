"""Face detection quality and speed on real photos (the development set, not the project's
samples): faces found per photo against the known counts, what the second (fine) pass adds, how
many hidden faces an independent detector still finds in the pipeline's output, the share of
each photo's area that was blurred (over-redaction), false faces on face-free images, and
seconds per photo.

    python benchmarks/faces.py                                 # ../shared/devdata/faces
    python benchmarks/faces.py --data DIR --threshold 0.3 --only crowds/8.jpg,street

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

from redactor import RedactOptions, Redactor  # noqa: E402
from redactor.detectors.faces import FaceDetector  # noqa: E402
from redactor.imageio import load  # noqa: E402

# Face-free images: the project's text samples (the ID card's photo is a real face).
FACE_FREE = ("chat.png", "letter.jpg")


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


def face_free_images() -> dict[str, object]:
    """name -> H x W x 3 uint8: samples without faces and the lower half of the astronaut photo
    at two sizes (a suit, a flag, a background: no face)."""
    import numpy as np
    from PIL import Image

    images = {name: load(ROOT / "samples" / name).pixels for name in FACE_FREE}
    lower = load(ROOT / "samples" / "astronaut.jpg").pixels[200:]
    images["astronaut lower half"] = np.ascontiguousarray(lower)
    images["astronaut lower half x2.5"] = np.asarray(Image.fromarray(lower).resize((1280, 780)))
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "devdata" / "faces")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--only", default="", help="comma-separated photos or folders to run")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"no development photos at {args.data}")

    import numpy as np
    from rich.console import Console
    from rich.table import Table

    detector = FaceDetector(args.threshold)
    base_only = FaceDetector(args.threshold, fine_pixels=1)
    checker = FaceDetector()  # finds blurred faces at the default threshold
    redactor = Redactor()
    options = RedactOptions(
        hide=("face",), thresholds={} if args.threshold is None else {"faces": args.threshold}
    )
    counts = known_counts(args.data)
    photos = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        photos = [p for p in photos if any(str(p.relative_to(args.data)).startswith(w)
                                           for w in wanted)]  # fmt: skip

    table = Table(title=f"faces on {args.data} (threshold {detector.threshold})")
    for column in (
        "photo",
        "size",
        "known",
        "found",
        "base pass only",
        "found again after blur",
        "area blurred",
        "s",
    ):
        table.add_column(column, justify="right" if column != "photo" else "left")
    hidden_total = found_again_total = 0
    seconds, blurred_share = [], []
    for path in photos:
        image = load(path)
        pixels = image.pixels
        detector.detect(pixels)  # ONNX Runtime plans each new input size once
        start = time.perf_counter()
        faces = detector.detect(pixels)
        seconds.append(time.perf_counter() - start)
        base = (
            base_only.detect(pixels)
            if len(detector.scales(pixels.shape[1], pixels.shape[0])) > 1
            else faces
        )
        # The pipeline's own hiding: blur, then its second look at what is still found.
        result = redactor.redact(image, options)
        hidden = result.analysis.hidden
        again = [
            f
            for f in checker.detect(result.pixels)
            if any(overlap(f.box, h.box) > 0.3 for h in hidden)
        ]
        hidden_total += len(hidden)
        found_again_total += len(again)
        share = float(result.changed.mean()) if result.changed is not None else 0.0
        blurred_share.append(share)
        table.add_row(
            str(path.relative_to(args.data)),
            f"{pixels.shape[1]}x{pixels.shape[0]}",
            str(counts.get(path.name, "")),
            str(len(faces)),
            str(len(base)),
            str(len(again)),
            f"{share:.1%}",
            f"{seconds[-1]:.3f}",
        )
    console = Console()
    console.print(table)
    false_boxes = {name: len(detector.detect(p)) for name, p in face_free_images().items()}
    rate = found_again_total / max(1, hidden_total)
    console.print(
        f"{hidden_total} faces hidden; found again after blur: {found_again_total} ({rate:.1%}); "
        f"area blurred: mean {np.mean(blurred_share):.1%} of a photo; "
        f"median {statistics.median(seconds):.3f} s per photo (detection)"
    )
    console.print(
        f"false faces on {len(false_boxes)} face-free images: {sum(false_boxes.values())} "
        f"({', '.join(f'{k}: {v}' for k, v in false_boxes.items())})"
    )


if __name__ == "__main__":
    main()
