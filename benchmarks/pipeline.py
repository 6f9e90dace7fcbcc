"""Pipeline speed: per-stage median time per image on the samples at 1 and 2 workers, images per
second overall, and the end-to-end time for a 1280x720 photo (faces only; faces + text).

    python benchmarks/pipeline.py                 # samples/, 3 rounds, 1 and 2 workers
    python benchmarks/pipeline.py --rounds 1 --workers 1

Timings come from the pipeline's own per-stage report (decode, faces, ocr, pii, obfuscate,
encode); the wall clock gives images per second. Models are loaded before timing starts, and
the first image through each process is not counted (ONNX Runtime plans each new input size).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redactor import RedactOptions, Redactor  # noqa: E402
from redactor.batch import BatchRequest, RedactorSetup, LocalRunner, redact  # noqa: E402
from redactor.imageio import IMAGE_SUFFIXES  # noqa: E402
from redactor.pipeline import STAGES  # noqa: E402
from redactor.processes import cpu_threads  # noqa: E402


def sample_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.endswith(".preview.jpg")
    )


def photo_1280x720() -> bytes:
    """A 1280x720 JPEG photo: the sample astronaut (upright, with her name tag) on a wider scene."""
    import io

    import numpy as np
    from PIL import Image, ImageOps

    portrait = ImageOps.exif_transpose(Image.open(ROOT / "samples" / "astronaut.jpg")).convert(
        "RGB"
    )
    portrait = portrait.resize((720, 720), Image.Resampling.LANCZOS)
    scene = np.asarray(portrait.resize((1280, 720), Image.Resampling.BILINEAR)).copy()
    scene[:, 280:1000] = np.asarray(portrait)
    buffer = io.BytesIO()
    Image.fromarray(scene).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def end_to_end(
    redactor: Redactor, data: bytes, options: RedactOptions, repeat: int
) -> tuple[float, float, dict]:
    """-> (median wall seconds, median CPU seconds of this process, stage -> median seconds).
    CPU seconds stay meaningful on a busy shared machine, where wall time does not."""
    redactor.redact_bytes(data, options)  # warm: models built, input size planned
    walls, cpus, stages = [], [], {}
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        _, report = redactor.redact_bytes(data, options)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
        for stage, seconds in report.timings.items():
            stages.setdefault(stage, []).append(seconds)
    medians = {k: statistics.median(v) for k, v in stages.items()}
    return statistics.median(walls), statistics.median(cpus), medians


def batch_run(
    files: list[Path], options: RedactOptions, workers: int, rounds: int
) -> tuple[dict, float, int]:
    """Redact `rounds` copies of `files` with `workers` processes. -> (stage -> median seconds,
    images per second after the first image of each process, images counted)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "in"
        source.mkdir()
        for r in range(rounds):
            for path in files:
                shutil.copy(path, source / f"r{r}_{path.name}")
        setup = RedactorSetup()
        redactor = setup.build() if workers == 1 else None
        if redactor is not None:
            redactor.warm_up(options)
        stages: dict[str, list[float]] = {}
        finished: list[float] = []

        def on_result(outcome) -> None:
            finished.append(time.perf_counter())
            if outcome.failed:
                raise SystemExit(f"{outcome.job.src.shown}: {outcome.entry['error']}")
            for stage, seconds in outcome.entry["timings"].items():
                stages.setdefault(stage, []).append(seconds)

        redact(
            BatchRequest((str(source),), out=str(Path(scratch) / "out")),
            options,
            LocalRunner(setup, workers, redactor),
            on_result=on_result,
        )
        # Throughput once every process is running: skip each worker's first image.
        counted = len(finished) - workers
        span = finished[-1] - finished[workers - 1] if counted > 0 else float("nan")
        per_second = counted / span if counted > 0 and span > 0 else float("nan")
        return {k: statistics.median(v) for k, v in stages.items()}, per_second, len(finished)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=ROOT / "samples")
    parser.add_argument("--rounds", type=int, default=3, help="copies of the sample set per run")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    parser.add_argument("--repeat", type=int, default=10, help="runs of the 1280x720 photo")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    console = Console()
    files = sample_files(args.samples)
    console.print(f"{len(files)} sample images x {args.rounds} rounds, {cpu_threads()} CPUs")
    default = RedactOptions()  # faces and every kind of private text

    columns: dict[str, tuple[dict, float, int]] = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        columns[f"{workers} worker{'s' if workers > 1 else ''}"] = batch_run(
            files, default, workers, args.rounds
        )

    table = Table(title="samples/: median seconds per image and stage (faces + private text)")
    table.add_column("stage")
    for name in columns:
        table.add_column(name, justify="right")
    for stage in STAGES:
        if any(stage in stages for stages, _, _ in columns.values()):
            table.add_row(
                stage,
                *(
                    f"{stages[stage]:.3f}" if stage in stages else "-"
                    for stages, _, _ in columns.values()
                ),
            )
    table.add_row("images / s", *(f"{rate:.2f}" for _, rate, _ in columns.values()))
    table.add_row("images", *(str(n) for _, _, n in columns.values()))
    console.print(table)

    redactor = Redactor()
    photo = photo_1280x720()
    e2e = Table(title="1280x720 JPEG photo, end to end in memory (decode .. encode), 1 process")
    e2e.add_column("hide")
    e2e.add_column("median s", justify="right")
    e2e.add_column("CPU s", justify="right")
    e2e.add_column("goal s", justify="right")
    e2e.add_column("stages (median s)")
    for label, options, goal in [
        ("faces", RedactOptions(hide=("face",)), 0.3),
        ("faces + private text (default)", RedactOptions(), 1.5),
    ]:
        wall, cpu, stages = end_to_end(redactor, photo, options, args.repeat)
        detail = ", ".join(f"{k} {v:.3f}" for k, v in stages.items())
        e2e.add_row(label, f"{wall:.3f}", f"{cpu:.3f}", f"{goal:.1f}", detail)
    console.print(e2e)
    console.print(f"load average during the run: {os.getloadavg()[0]:.1f} on {cpu_threads()} CPUs")


if __name__ == "__main__":
    main()
