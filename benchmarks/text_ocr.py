"""Text stages: OCR (detection / recognition) and private-text analysis, median ms per image,
against RapidOCR's own pipeline on the same models (its defaults: short side upscaled to 736,
angle classifier, recognition padded to 320 px) as the baseline.

    python benchmarks/text_ocr.py                       # samples/ + a 1280x720 badge photo
    python benchmarks/text_ocr.py --threads 1 --rounds 3 --no-baseline

`measure(images, rounds)` returns the per-stage times for benchmarks/pipeline.py to reuse.
Models are loaded and every image read once before timing starts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redactor.detectors.ocr import OcrSettings, TextDetector  # noqa: E402
from redactor.detectors.pii import PrivateTextDetector  # noqa: E402
from redactor.imageio import load  # noqa: E402

TEXT_SAMPLES = ("id_card.png", "letter.jpg", "chat.png", "badge_photo.jpg")


def badge_photo_1280x720() -> np.ndarray:
    """A 1280x720 photo-like scene with a heading and a name badge tilted by 4 degrees."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    fonts = Path("/usr/share/fonts/truetype/dejavu")
    rng = np.random.default_rng(0)
    noise = (rng.normal(0, 1, (720, 1280, 3)).cumsum(axis=1) * 1.5 + 130).clip(0, 255)
    scene = Image.fromarray(noise.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3))
    ImageDraw.Draw(scene).text(
        (60, 60), "Welcome to the Spring Meetup", fill="white",
        font=ImageFont.truetype(str(fonts / "DejaVuSans.ttf"), 28),
    )  # fmt: skip
    badge = Image.new("RGB", (320, 180), "white")
    draw = ImageDraw.Draw(badge)
    draw.text((14, 12), "ACME CONFERENCE", fill=(30, 60, 160),
              font=ImageFont.truetype(str(fonts / "DejaVuSans-Bold.ttf"), 20))  # fmt: skip
    draw.text((14, 62), "Maria Garcia", fill="black",
              font=ImageFont.truetype(str(fonts / "DejaVuSans-Bold.ttf"), 30))  # fmt: skip
    draw.text((14, 116), "Product Manager", fill=(60, 60, 60),
              font=ImageFont.truetype(str(fonts / "DejaVuSans.ttf"), 20))  # fmt: skip
    tilted = badge.convert("RGBA").rotate(4, expand=True, resample=Image.Resampling.BICUBIC)
    scene.paste(tilted, (700, 300), tilted)
    return np.asarray(scene)


def benchmark_images() -> dict[str, np.ndarray]:
    images = {"badge_photo_1280x720": badge_photo_1280x720()}
    for name in TEXT_SAMPLES:
        path = ROOT / "samples" / name
        if path.is_file():
            images[name] = load(path).pixels
    return images


def rapidocr_pipeline(threads: int):
    """RapidOCR's own pipeline with its default settings, same models, same threads."""
    from rapidocr import RapidOCR

    return RapidOCR(params={
        "Global.log_level": "error",
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "Global.return_word_box": True,
    })  # fmt: skip


def measure(
    images: dict[str, np.ndarray], rounds: int = 5, threads: int = 2, baseline: bool = False
) -> dict[str, dict[str, list[float]]]:
    """Seconds per round, per image and stage: "det", "rec", "ocr" (both), "pii", and with
    `baseline` "rapidocr" (timed in the same rounds, so machine load hits both alike)."""
    ocr = TextDetector(settings=OcrSettings(threads=threads))
    pii = PrivateTextDetector(ocr)
    engine = ocr.engine
    reference = rapidocr_pipeline(threads) if baseline else None
    times: dict[str, dict[str, list[float]]] = {}
    for name, pixels in images.items():
        bgr = np.ascontiguousarray(pixels[:, :, ::-1])
        pii.regions(engine.read(pixels))  # warm: input sizes planned, spaCy warmed
        if reference is not None:
            reference(bgr)
        stage: dict[str, list[float]] = {"det": [], "rec": [], "ocr": [], "pii": [], "rapidocr": []}
        for _ in range(rounds):
            start = time.perf_counter()
            quads = engine.detect_lines(bgr)
            detected = time.perf_counter()
            lines = [line for line in (engine.recognise(bgr, q) for q in quads) if line]
            read = time.perf_counter()
            pii.regions(lines)
            done = time.perf_counter()
            stage["det"].append(detected - start)
            stage["rec"].append(read - detected)
            stage["ocr"].append(read - start)
            stage["pii"].append(done - read)
            if reference is not None:
                start = time.perf_counter()
                reference(bgr)
                stage["rapidocr"].append(time.perf_counter() - start)
        stage["lines"] = [float(len(lines))]
        times[name] = stage
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true", help="skip RapidOCR's pipeline")
    args = parser.parse_args()

    images = benchmark_images()
    start = time.perf_counter()
    TextDetector(settings=OcrSettings(threads=args.threads))
    ocr_start = time.perf_counter() - start
    start = time.perf_counter()
    PrivateTextDetector(TextDetector(settings=OcrSettings(threads=args.threads)))
    pii_start = time.perf_counter() - start
    print(f"start-up: OCR {ocr_start:.2f} s, Presidio + spaCy {pii_start:.2f} s "
          f"({args.threads} ONNX Runtime threads, {args.rounds} rounds, medians)")  # fmt: skip
    times = measure(images, args.rounds, args.threads, baseline=not args.no_baseline)

    header = f"{'image':<22}{'size':>11}{'lines':>6}{'det':>8}{'rec':>8}{'OCR':>8}{'PII':>8}"
    if not args.no_baseline:
        header += f"{'RapidOCR':>10}{'speed-up':>10}"
    print(header + "   (ms per image)")
    for name, stage in times.items():
        h, w = images[name].shape[:2]
        row = f"{name:<22}{f'{w}x{h}':>11}{int(stage['lines'][0]):>6}"
        for key in ("det", "rec", "ocr", "pii"):
            row += f"{statistics.median(stage[key]) * 1000:>8.0f}"
        if stage["rapidocr"]:
            reference = statistics.median(stage["rapidocr"])
            row += f"{reference * 1000:>10.0f}{reference / statistics.median(stage['ocr']):>9.1f}x"
        print(row)


if __name__ == "__main__":
    main()
