"""Batch redaction of files and folders: where each output goes, running the jobs (in worker
processes when asked), the JSON-lines report and the run's summary.

The rules for outputs live here, not in the CLI:
- a folder is mirrored into `<folder>_redacted/` beside it (or into `--out`);
- a file goes to `<its folder>/<folder name>_redacted/<file name>` (or into `--out`);
- nothing is ever written over an input: an output path that is an input, or an `--out` that is
  an input folder, is refused before anything runs;
- `report.jsonl` goes into each output folder (or the one file given).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from redactor.errors import RedactorError, UsageError
from redactor.imageio import IMAGE_SUFFIXES, ImageLimits, write_atomic
from redactor.pipeline import RedactOptions, Redactor, Report

REPORT_NAME = "report.jsonl"
OUTPUT_SUFFIX = "_redacted"
PREVIEW_SUFFIX = ".preview.jpg"


@dataclass(frozen=True)
class Job:
    src: Path
    dst: Path | None  # None: dry run
    preview: Path | None
    root: Path  # the output folder whose report lists this image


@dataclass
class BatchPlan:
    jobs: list[Job]
    roots: list[Path]  # output folders, in input order
    skipped: list[Path] = field(default_factory=list)  # files in folders that are not images


@dataclass(frozen=True)
class Engine:
    """How to build a Redactor in each process."""

    model: Path | None = None
    person: bool = False
    limits: ImageLimits = ImageLimits()
    threads: int | None = None

    def build(self) -> Redactor:
        return Redactor(
            model=self.model, person=self.person, limits=self.limits, threads=self.threads
        )


def plan_batch(
    inputs: Sequence[Path],
    *,
    out: Path | None = None,
    recursive: bool = False,
    dry_run: bool = False,
    preview: bool = False,
) -> BatchPlan:
    """Every input image and where its output goes. UsageError for missing inputs, no images,
    or outputs that would overwrite an input."""
    if not inputs:
        raise UsageError("give at least one file or folder to redact")
    resolved_inputs = []
    for path in inputs:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
        resolved_inputs.append(path.resolve())
    if out is not None:
        out_resolved = out.resolve()
        for path, resolved in zip(inputs, resolved_inputs):
            if resolved.is_dir() and out_resolved == resolved:
                raise UsageError(
                    f"--out {out} is the input folder {path}: the originals would be overwritten; "
                    "choose another folder"
                )
            if resolved.is_file() and out_resolved == resolved:
                raise UsageError(f"--out {out} is an input file; give a folder")

    several = len(inputs) > 1
    roots: list[Path] = []
    pairs: list[tuple[Path, Path, Path]] = []  # (src, path relative to root, root)
    skipped: list[Path] = []
    for path, resolved in zip(inputs, resolved_inputs):
        root = Path(
            output_root(
                path,
                resolved.name,
                resolved.parent.name,
                is_dir=resolved.is_dir(),
                out=out,
                several=several,
            )
        )
        if resolved.is_dir():
            found, not_images = _images_in(path, recursive=recursive, exclude=root)
            skipped.extend(not_images)
            pairs.extend((src, src.relative_to(path), root) for src in found)
        else:
            pairs.append((path, Path(path.name), root))
        if root not in roots:
            roots.append(root)
    if not pairs:
        names = ", ".join(sorted(IMAGE_SUFFIXES))
        raise UsageError(f"no images ({names}) found in {', '.join(map(str, inputs))}")

    sources = {src.resolve() for src, _, _ in pairs}
    jobs: list[Job] = []
    seen: dict[Path, Path] = {}
    for src, relative, root in pairs:
        dst = root / relative
        dst_resolved = dst.resolve()
        if dst_resolved in sources or (dst.exists() and _same_file(dst, src)):
            raise UsageError(
                f"the output for {src} would overwrite an input ({dst}); choose another --out"
            )
        if dst_resolved in seen:
            raise UsageError(
                f"{seen[dst_resolved]} and {src} would both be written to {dst}; "
                "redact them into different --out folders"
            )
        seen[dst_resolved] = src
        preview_path = preview_for(dst) if preview else None
        if preview_path is not None and preview_path.resolve() in sources:
            raise UsageError(f"the preview for {src} would overwrite an input ({preview_path})")
        jobs.append(Job(src=src, dst=None if dry_run else dst, preview=preview_path, root=root))
    return BatchPlan(jobs=jobs, roots=roots, skipped=skipped)


def _images_in(folder: Path, *, recursive: bool, exclude: Path) -> tuple[list[Path], list[Path]]:
    """Image files in `folder` (sorted), and other files. Hidden entries, the output folder and
    earlier runs' `*_redacted` folders are skipped."""
    exclude_resolved = exclude.resolve()
    images: list[Path] = []
    others: list[Path] = []
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        dirs[:] = sorted(
            d
            for d in dirs
            if recursive and keep_folder(d) and (here / d).resolve() != exclude_resolved
        )
        for name in sorted(files):
            kind = file_kind(name)
            if kind is not None:
                (images if kind == "image" else others).append(here / name)
    return images, others


# The rules above as pure functions on path names, shared with engines that list other
# filesystems (redactor.engines: S3, GCS, HDFS through pyarrow).


def output_root(
    path: PurePath,
    name: str,
    parent_name: str,
    *,
    is_dir: bool,
    out: PurePath | None,
    several: bool,
) -> PurePath:
    """The output folder for one input. `name`, `parent_name`: the input's own name and its
    folder's, once `.` and `..` are resolved."""
    if is_dir:
        if out is None:
            return path.parent / f"{name}{OUTPUT_SUFFIX}"
        return out / name if several else out
    if out is None:
        return path.parent / f"{parent_name or 'images'}{OUTPUT_SUFFIX}"
    return out


def keep_folder(name: str) -> bool:
    """Sub-folders a recursive listing enters: not hidden, not an earlier run's output."""
    return not name.startswith(".") and not name.endswith(OUTPUT_SUFFIX)


def file_kind(name: str) -> str | None:
    """ "image" or "other" for a file found in a folder; None for hidden files and previews."""
    if name.startswith(".") or name.endswith(PREVIEW_SUFFIX):
        return None
    return "image" if PurePath(name).suffix.lower() in IMAGE_SUFFIXES else "other"


def preview_for(dst: PurePath) -> PurePath:
    return dst.with_name(dst.stem + PREVIEW_SUFFIX)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# -- running ---------------------------------------------------------------------------------

_WORKER: Redactor | None = None
_WORKER_ERROR: RedactorError | None = None


def _start_worker(engine: Engine, options: RedactOptions) -> None:
    global _WORKER, _WORKER_ERROR
    try:
        _WORKER = engine.build()
        _WORKER.warm_up(options)  # every worker loads its models at once, in parallel
    except RedactorError as error:  # e.g. a model that cannot load: each job reports it
        _WORKER_ERROR = error


def _work(job: Job, options: RedactOptions) -> Report:
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR
    assert _WORKER is not None
    return redact_job(_WORKER, job, options)


def redact_job(redactor: Redactor, job: Job, options: RedactOptions) -> Report:
    """One file. Unreadable files come back as reports with `error`; anything unexpected too,
    so the batch goes on. RedactorErrors that concern the whole run (a model that cannot load)
    propagate."""
    try:
        return redactor.redact_file(job.src, job.dst, options, preview=job.preview)
    except RedactorError:
        raise
    except Exception as error:  # noqa: BLE001 - reported per file, never lost
        first_line = (str(error).splitlines() or [""])[0][:200]
        return Report(
            input=str(job.src),
            output=str(job.dst) if job.dst else None,
            error=f"internal error ({type(error).__name__}): {first_line}",
            error_code="internal_error",
        )


def run_batch(
    plan: BatchPlan,
    options: RedactOptions,
    *,
    engine: Engine = Engine(),
    workers: int = 1,
    redactor: Redactor | None = None,
) -> Iterator[tuple[Job, Report]]:
    """Redact every job; yields (job, report) as each finishes. `workers` > 1 runs that many
    processes, each building its own Redactor once (ONNX Runtime threads split between them)."""
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    workers = min(workers, len(plan.jobs))
    if workers <= 1:
        local = redactor or engine.build()
        for job in plan.jobs:
            yield job, redact_job(local, job, options)
        return

    import multiprocessing

    if engine.threads is None:
        engine = Engine(
            engine.model, engine.person, engine.limits, max(1, (os.cpu_count() or 1) // workers)
        )
    # spawn: a clean interpreter per worker (no inherited ONNX Runtime or progress threads).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(engine, options),
    ) as pool:
        pending: dict[Future, Job] = {}
        queue = iter(plan.jobs)
        # Keep a few jobs per worker in flight, not all of them (a huge folder stays cheap).
        for job in _take(queue, workers * 2):
            pending[pool.submit(_work, job, options)] = job
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    report = future.result()
                except RedactorError:
                    raise
                except Exception as error:  # noqa: BLE001 - a crashed worker fails its file only
                    report = Report(
                        input=str(job.src),
                        output=str(job.dst) if job.dst else None,
                        error=f"worker failed ({type(error).__name__})",
                        error_code="internal_error",
                    )
                yield job, report
                for next_job in _take(queue, 1):
                    pending[pool.submit(_work, next_job, options)] = next_job


def _take(iterator: Iterator[Job], count: int) -> list[Job]:
    taken = []
    for job in iterator:
        taken.append(job)
        if len(taken) >= count:
            break
    return taken


# -- reports and summary ---------------------------------------------------------------------


def write_reports(
    plan: BatchPlan,
    reports: dict[Path, Report],
    *,
    report_path: Path | None = None,
    with_text: bool = False,
) -> list[Path]:
    """One JSON line per image, in input order, into each output folder's report.jsonl (or all
    into `report_path`). Written atomically. -> the files written."""
    groups: dict[Path, list[str]] = {}
    for job in plan.jobs:
        report = reports.get(job.src)
        if report is None:
            continue
        target = report_path if report_path is not None else job.root / REPORT_NAME
        groups.setdefault(target, []).append(json.dumps(report.to_json(with_text=with_text)))
    for target, lines in groups.items():
        write_atomic(target, ("\n".join(lines) + "\n").encode())
    return list(groups)


@dataclass
class Summary:
    images: int = 0
    failed: int = 0
    skipped: int = 0
    regions: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # hidden regions per attribute name
    stage_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, report: Report) -> None:
        if report.failed:
            self.failed += 1
            return
        self.images += 1
        for name, count in report.counts.items():
            self.counts[name] = self.counts.get(name, 0) + count
            self.regions += count
        for stage, seconds in report.timings.items():
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds


def redact_paths(
    inputs: Sequence[Path],
    options: RedactOptions,
    *,
    out: Path | None = None,
    recursive: bool = False,
    dry_run: bool = False,
    preview: bool = False,
    workers: int = 1,
    engine: Engine = Engine(),
    report_path: Path | None = None,
    on_report: Callable[[Job, Report], None] | None = None,
) -> tuple[BatchPlan, dict[Path, Report], Summary]:
    """The whole batch: plan, run, write reports. For scripts; the CLI uses the parts to show
    progress."""
    start = time.perf_counter()
    plan = plan_batch(inputs, out=out, recursive=recursive, dry_run=dry_run, preview=preview)
    redactor = engine.build()
    redactor.resolve_hide(options.hide)
    summary = Summary(skipped=len(plan.skipped))
    reports: dict[Path, Report] = {}
    for job, report in run_batch(plan, options, engine=engine, workers=workers, redactor=redactor):
        reports[job.src] = report
        summary.add(report)
        if on_report is not None:
            on_report(job, report)
    write_reports(plan, reports, report_path=report_path, with_text=options.report_text)
    summary.seconds = time.perf_counter() - start
    return plan, reports, summary
