"""Scale-out throughput: images per second for the local engine (1 and 2 worker processes) and
the Ray engine (1 and 2 actors on a local Ray cluster) on the same folder.

    python benchmarks/scale_out.py                        # samples/ x4, faces + private text
    python benchmarks/scale_out.py --copies 2 --hide face --rounds 1
    python benchmarks/scale_out.py --folder ~/photos --ray-cpus 8 --workers 1,2,4,8

Each run starts cold, as a user's run does: processes or actors start and load their models,
then redact every image and write it. Reported per run (median over --rounds):
- total: wall time of the whole run, start-up included;
- start-up: until the first image is done (process/actor start, model loading, first image);
- images/s: all images over the total; steady images/s: the images after the first over the
  time after the first, i.e. what a long run approaches.
Ray's own start (`ray.init`) happens once, before timing, as it does once per cluster.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redactor.attributes import split_names  # noqa: E402
from redactor.batch import BatchRequest, LocalRunner, redact  # noqa: E402
from redactor.imageio import IMAGE_SUFFIXES  # noqa: E402
from redactor.pipeline import RedactOptions  # noqa: E402
from redactor.processes import cpu_threads  # noqa: E402


def make_folder(source: Path, copies: int, target: Path) -> int:
    """`copies` copies of every image in `source` (not recursive) -> how many images."""
    images = sorted(
        p
        for p in source.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.endswith(".preview.jpg")
    )
    target.mkdir(parents=True)
    for i in range(copies):
        for image in images:
            shutil.copy(image, target / f"{image.stem}_{i}{image.suffix}")
    return copies * len(images)


def timed(runner, folder: Path, out: Path, options: RedactOptions) -> tuple[float, float, int, int]:
    """(total s, s until the first image, images, failed) of one run through the run loop."""
    start = time.perf_counter()
    first: list[float] = []

    def on_result(outcome) -> None:
        if not first:
            first.append(time.perf_counter() - start)

    summary = redact(
        BatchRequest((str(folder),), out=str(out)), options, runner, on_result=on_result
    )
    return (
        time.perf_counter() - start,
        first[0] if first else 0.0,
        summary.images + summary.failed,
        summary.failed,
    )


def run_local(folder: Path, out: Path, options: RedactOptions, workers: int):
    # One worker: the model loads in this process, inside the timed run, like the CLI's.
    return timed(LocalRunner(workers=workers), folder, out, options)


def run_ray(folder: Path, out: Path, options: RedactOptions, workers: int, batch_size: int):
    from redactor.engines.ray_engine import RayCluster, RayRunner

    cluster = RayCluster(workers=workers, batch_size=batch_size)
    return timed(RayRunner(cluster=cluster), folder, out, options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--folder",
        type=Path,
        default=ROOT / "samples",
        help="Images to copy into the benchmark folder (default: samples/).",
    )
    parser.add_argument("--copies", type=int, default=4, help="Copies of each image (default 4).")
    parser.add_argument(
        "--hide", default=None, help="As `redact --hide` (default: faces + private text)."
    )
    parser.add_argument("--workers", default="1,2", help="Worker/actor counts (default 1,2).")
    parser.add_argument("--engines", default="local,ray", help="local, ray or both.")
    parser.add_argument("--rounds", type=int, default=1, help="Runs per setting; medians printed.")
    parser.add_argument("--batch-size", type=int, default=1, help="Ray: images per actor call.")
    parser.add_argument(
        "--ray-cpus",
        type=int,
        default=cpu_threads(),
        help="CPUs of the local Ray cluster (default: those this process may use).",
    )
    args = parser.parse_args()

    options = RedactOptions(hide=tuple(split_names(args.hide)) if args.hide else None)
    counts = [int(n) for n in args.workers.split(",")]
    engines = [e.strip() for e in args.engines.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="scale-out-") as scratch:
        folder = Path(scratch) / "images"
        images = make_folder(args.folder, args.copies, folder)
        print(
            f"{images} images ({args.copies} x {args.folder}), hide: {args.hide or 'defaults'}, "
            f"{cpu_threads()} CPUs",
            flush=True,
        )
        if "ray" in engines:
            import ray

            start = time.perf_counter()
            ray.init(
                address="local",
                num_cpus=args.ray_cpus,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
            print(
                f"ray.init: {time.perf_counter() - start:.1f} s (once per cluster, not counted)",
                flush=True,
            )
        for engine in engines:
            for workers in counts:
                results = []
                for round_ in range(args.rounds):
                    out = Path(scratch) / f"out-{engine}-{workers}-{round_}"
                    if engine == "local":
                        results.append(run_local(folder, out, options, workers))
                    else:
                        results.append(run_ray(folder, out, options, workers, args.batch_size))
                total = statistics.median(r[0] for r in results)
                first = statistics.median(r[1] for r in results)
                done = results[0][2]
                failed = results[0][3]
                steady = (
                    (done - 1) / (total - first) if done > 1 and total > first else float("nan")
                )
                rows.append((engine, workers, done, failed, total, first, done / total, steady))
                print(f"  {engine} x{workers}: {total:.1f} s", flush=True)

    base = rows[0][6]
    base_steady = rows[0][7]
    print()
    print(
        f"{'engine':<7}{'workers':>8}{'images':>8}{'failed':>8}{'total s':>9}{'start-up s':>12}"
        f"{'images/s':>10}{'steady/s':>10}{'x (total)':>11}{'x (steady)':>11}"
    )
    for engine, workers, done, failed, total, first, rate, steady in rows:
        print(
            f"{engine:<7}{workers:>8}{done:>8}{failed:>8}{total:>9.1f}{first:>12.1f}"
            f"{rate:>10.2f}{steady:>10.2f}{rate / base:>11.2f}{steady / base_steady:>11.2f}"
        )


if __name__ == "__main__":
    main()
