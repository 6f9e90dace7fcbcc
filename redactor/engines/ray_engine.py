"""`redact PATH... --engine ray`: the batch redactor on a Ray cluster.

    driver   plan_files: the local run's output rules, local paths or pyarrow URIs
             skip what is done: earlier report lines + outputs that exist (resume)
    Ray Data from_items(jobs) -> map_batches(RedactWorker, pool of actors) -> iter_rows
    actor    one Redactor per actor (models loaded once, reused for every image); per image:
             read, redact, write the output atomically from the actor; -> its report line
    driver   appends each line to report.jsonl as it arrives; at the end rewrites the report
             in input order (the local run's file); progress and summary as the local run

Only paths travel through Ray (a job is a few strings), never pixels: each actor reads the image
it redacts and writes its output, so memory stays at a batch of images per actor. Ray restarts an
actor that dies and retries its batch; outputs are written atomically, so a retried image is
never half there. A batch that still fails after the retries fails its images only (reported,
redone by the next run).

Through Ray Client (`--address ray://host:port`) the caller is not a Ray driver, and Ray Data
cannot run there: a coordinator actor inside the cluster runs the pipeline and the caller polls
it for report lines (inputs and outputs must then be URIs the cluster can reach).

Ray is the optional `ray` extra: it is imported when this engine runs, never before.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import queue
import socket
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from redactor import batch, errors
from redactor.batch import Engine
from redactor.engines.report_journal import ReportJournal
from redactor.engines.storage import FileJob, FilePlan, Filesystems, Place, plan_files
from redactor.errors import ImageError, RedactorError, UsageError
from redactor.pipeline import RedactOptions, Report

# Ray restarts a dead actor without limit; a batch is retried this many times on a new actor
# before its images are reported failed (an image that kills its worker every time must not
# stall the run).
TASK_RETRIES = 3
# Ray Data keeps one block per actor call; more blocks than this only cost scheduling.
MAX_BLOCKS = 20_000


@dataclass(frozen=True)
class RayCluster:
    """Where and how wide to run."""

    address: str | None = None  # None: start Ray here; "auto": the running cluster; "ray://host:port"
    workers: int | None = None  # actors; None: from 1 up to one per CPU (or per GPU share)
    gpus_per_worker: float = 0.0
    batch_size: int = 4  # images per call to an actor


@dataclass
class ReportLine:
    """One image's report entry as the run's report.jsonl holds it. Has what `batch.Summary.add`
    and the CLI read from a Report (failed, error, counts, timings)."""

    line: str
    entry: dict = field(default_factory=dict)
    worker: str = ""  # "host:pid" of the actor that did it

    @classmethod
    def parse(cls, line: str, worker: str = "") -> ReportLine:
        return cls(line=line, entry=json.loads(line), worker=worker)

    @classmethod
    def from_report(cls, report: Report, *, with_text: bool = False) -> ReportLine:
        entry = report.to_json(with_text=with_text)
        return cls(line=json.dumps(entry), entry=entry)

    @property
    def failed(self) -> bool:
        return self.entry.get("error") is not None

    @property
    def error(self) -> str | None:
        return self.entry.get("error")

    @property
    def counts(self) -> dict[str, int]:
        return self.entry.get("counts") or {}

    @property
    def timings(self) -> dict[str, float]:
        return self.entry.get("timings") or {}


class RayRun:
    """One run: plans and checks everything before Ray starts, then streams the work.

        run = RayRun(["photos"], RedactOptions(), cluster=RayCluster(workers=2))
        for job, line in run.run(): ...      # as each image finishes; report lines appended
        written = run.finish()               # reports rewritten in input order
    """

    def __init__(
        self,
        inputs: Sequence[str],
        options: RedactOptions,
        *,
        out: str | None = None,
        recursive: bool = False,
        dry_run: bool = False,
        preview: bool = False,
        report: str | None = None,
        engine: Engine = Engine(),
        cluster: RayCluster = RayCluster(),
        filesystems: Filesystems | None = None,
    ) -> None:
        _check_cluster(cluster)
        self.options = options
        self.engine = engine
        self.cluster = cluster
        self.plan: FilePlan = plan_files(
            inputs, out=out, recursive=recursive, dry_run=dry_run, preview=preview,
            report=report, filesystems=filesystems,
        )
        # Unknown or uncovered attributes stop here, before Ray starts (fail closed).
        self.hide = sorted(engine.build().check(options))
        self.journal = ReportJournal(self.plan.filesystems)
        self.done, self.pending = self._split_done()

    @property
    def roots(self) -> list[str]:
        return [root.shown for root in self.plan.roots]

    @property
    def skipped(self) -> list[str]:
        return self.plan.skipped

    def _split_done(self) -> tuple[list[FileJob], list[FileJob]]:
        """Jobs an earlier run finished (report line without error, for the same attributes,
        output and preview present), and the rest."""
        earlier = {target: self.journal.earlier(target) for target in self.plan.reports}
        candidates = []
        for job in self.plan.jobs:
            entry = earlier[job.report].get(job.src.shown)
            if (
                entry is not None and entry.get("error") is None
                and entry.get("hide") == self.hide
                and entry.get("output") == (job.dst.shown if job.dst is not None else None)
            ):
                candidates.append(job)
        if not candidates:
            return [], list(self.plan.jobs)
        present: set[tuple[str, str]] = set()
        for root in dict.fromkeys(job.root for job in candidates):
            present.update((root.fs, path) for path in self.plan.filesystems.files_below(root))
        finished = {
            job.src.key for job in candidates
            if all(p is None or p.key in present for p in (job.dst, job.preview))
        }
        done = [job for job in self.plan.jobs if job.src.key in finished]
        pending = [job for job in self.plan.jobs if job.src.key not in finished]
        return done, pending

    def connect(self) -> Any:
        """Start or reach Ray (`run` does it too). UsageError when it cannot, or when a Ray
        Client (ray://) caller gives local files, which the cluster cannot see. -> ray"""
        ray = _import_ray()
        _connect(ray, self.cluster)
        if _through_client(ray):
            local = [job.src.shown for job in self.pending if any(
                place is not None and place.local for place in (job.src, job.dst, job.preview)
            )]
            if local:
                raise UsageError(
                    f"{local[0]}: through ray:// the workers cannot see this machine's files; "
                    "give URIs (s3://, gs://, hdfs://) or run on the cluster with --address auto"
                )
        return ray

    def run(self) -> Iterator[tuple[FileJob, ReportLine]]:
        """Redact the pending images on the cluster; yields each as its report line arrives (in
        the order they finish), after appending the line to its report."""
        if not self.pending:
            return
        ray = self.connect()
        items = [{"index": i, "job": json.dumps(asdict(job))} for i, job in enumerate(self.pending)]
        pipeline = Pipeline(items, self.engine, self.options, self.plan.filesystems, self.cluster)
        rows = _rows_through_coordinator(ray, pipeline) if _through_client(ray) else pipeline.rows()
        unfinished = dict(enumerate(self.pending))
        try:
            for row in rows:
                if row["fatal"]:
                    raise _fatal_error(row["fatal"])
                job = unfinished.pop(row["index"], None)
                if job is None:  # already seen (a retried batch's earlier result)
                    continue
                line = ReportLine.parse(row["line"], row["worker"])
                self.journal.append(job.report, line.line)
                yield job, line
            for job in unfinished.values():
                report = Report(
                    input=job.src.shown,
                    output=job.dst.shown if job.dst is not None else None,
                    error=f"worker failed: its Ray task failed {TASK_RETRIES + 1} times (see "
                    "the Ray logs); run again to retry",
                    error_code="internal_error",
                )
                line = ReportLine.from_report(report, with_text=self.options.report_text)
                self.journal.append(job.report, line.line)
                yield job, line
        finally:
            rows.close()
            self.journal.close()

    def finish(self) -> list[str]:
        """Rewrite each report in input order, one line per image. -> the reports written."""
        written = []
        for target in self.plan.reports:
            inputs = [job.src.shown for job in self.plan.jobs if job.report == target]
            self.journal.rewrite(target, inputs)
            written.append(target.shown)
        return written


@dataclass
class Pipeline:
    """The Ray Data pipeline for a list of jobs: from_items -> map_batches(RedactWorker) ->
    rows {index, line, fatal, worker}. Runs wherever a Ray driver runs: this process, or a
    coordinator actor inside the cluster for a Ray Client (ray://) caller."""

    items: list[dict]
    engine: Engine
    options: RedactOptions
    filesystems: Filesystems
    cluster: RayCluster

    def rows(self) -> Iterator[dict]:
        import ray

        cpus, compute, gpus = _resources(ray, self.cluster)
        # ONNX Runtime threads per actor = the CPUs Ray reserved for it.
        engine = Engine(self.engine.model, self.engine.person, self.engine.limits, max(1, int(cpus)))
        blocks = min(MAX_BLOCKS, math.ceil(len(self.items) / self.cluster.batch_size))
        with _quiet_ray_data(), warnings.catch_warnings():
            # Ray 2.5x deprecates map_batches' free remote args, but max_task_retries has no
            # named replacement yet (its default, retry forever, would stall on a poison image).
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset = ray.data.from_items(self.items, override_num_blocks=max(1, blocks))
            dataset = dataset.map_batches(
                RedactWorker,
                fn_constructor_kwargs={
                    "engine": engine, "options": self.options, "filesystems": self.filesystems,
                },
                batch_size=self.cluster.batch_size,
                batch_format="numpy",
                compute=compute,
                num_cpus=cpus,
                num_gpus=gpus or None,
                max_task_retries=TASK_RETRIES,
            )
        context = dataset.context
        context.enable_progress_bars = False  # the caller shows its own progress
        context.enable_operator_progress_bars = False
        context.max_errored_blocks = -1  # a batch that fails past its retries: its images fail
        with _quiet_ray_data():
            for row in dataset.iter_rows():
                yield {
                    "index": int(row["index"]), "line": str(row["line"]),
                    "fatal": str(row["fatal"]), "worker": str(row["worker"]),
                }


class Coordinator:
    """Drives a Pipeline inside the cluster for a Ray Client caller (Ray Data cannot run through
    ray://, and Ray Client has no streaming returns): rows are queued here and polled."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.rows: queue.Queue = queue.Queue()
        self.error = ""
        self.finished = False
        threading.Thread(target=self._drive, args=(pipeline,), daemon=True).start()

    def _drive(self, pipeline: Pipeline) -> None:
        try:
            for row in pipeline.rows():
                self.rows.put(row)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            self.error = f"{type(error).__name__}: {_first(error)}"
        finally:
            self.finished = True

    def take(self, most: int, wait_s: float) -> tuple[list[dict], bool, str]:
        """Up to `most` rows (waiting up to `wait_s` for the first), whether all are out, and
        the error that stopped the pipeline."""
        finished = self.finished  # read before draining: no row can come after it is set
        taken: list[dict] = []
        with contextlib.suppress(queue.Empty):
            taken.append(self.rows.get(timeout=wait_s))
            while len(taken) < most:
                taken.append(self.rows.get_nowait())
        return taken, finished and self.rows.empty(), self.error


def _rows_through_coordinator(ray: Any, pipeline: Pipeline) -> Iterator[dict]:
    coordinator = ray.remote(num_cpus=0)(Coordinator).remote(pipeline)
    try:
        while True:
            rows, done, error = ray.get(coordinator.take.remote(256, 1.0))
            yield from rows
            if error:
                raise RedactorError(f"the Ray pipeline stopped: {error}")
            if done:
                return
    finally:
        ray.kill(coordinator)


def _through_client(ray: Any) -> bool:
    try:
        from ray.util.client import ray as client
    except ImportError:
        return False
    return bool(client.is_connected())


class RedactWorker:
    """A Ray Data actor: builds the Redactor once, then redacts batches of jobs."""

    def __init__(self, engine: Engine, options: RedactOptions, filesystems: Filesystems) -> None:
        self.options = options
        self.filesystems = filesystems
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.fatal = ""
        self.hide: tuple[str, ...] = ()
        try:
            self.redactor = engine.build()
            self.hide = tuple(self.redactor.check(options))
            self.redactor.warm_up(options)  # models load now, once per actor
        except RedactorError as error:  # e.g. a model file missing on this node
            self.fatal = f"{type(error).__name__}: {error}"

    def __call__(self, batch_in: dict[str, Any]) -> dict[str, list]:
        indices = [int(i) for i in batch_in["index"]]
        lines: list[str] = []
        fatal: list[str] = []
        for text in batch_in["job"]:
            problem = self.fatal
            line = ""
            if not problem:
                try:
                    report = self.redact(_job_from_json(str(text)))
                    line = json.dumps(report.to_json(with_text=self.options.report_text))
                except RedactorError as error:  # concerns the whole run, as in the local engine
                    problem = f"{type(error).__name__}: {error}"
            lines.append(line)
            fatal.append(problem)
        return {
            "index": indices, "line": lines, "fatal": fatal, "worker": [self.worker] * len(lines),
        }

    def redact(self, job: FileJob) -> Report:
        if all(place is None or place.local for place in (job.src, job.dst, job.preview)):
            report = batch.redact_job(self.redactor, _local_job(job), self.options)
            return _as_shown(report, job, {})
        with tempfile.TemporaryDirectory(prefix="redact-") as folder:
            return self._redact_staged(job, Path(folder))

    def _redact_staged(self, job: FileJob, folder: Path) -> Report:
        """Through local copies: the source is fetched (at most the byte limit, plus one byte so
        the reader sees it is over), redacted by the local code, and the results uploaded."""
        name = PurePosixPath(job.src.path).name
        staged: dict[str, str] = {}  # local copy -> shown place, for messages
        src = Path(job.src.path)
        if not job.src.local:
            src = folder / "in" / name
            src.parent.mkdir()
            staged[str(src)] = job.src.shown
            try:
                self.filesystems.copy_to_local(job.src, src, self.redactor.limits.max_bytes + 1)
            except FileNotFoundError:
                return _failure(job, self.hide, ImageError(f"file not found: {job.src.shown}"))
            except OSError as error:
                problem = ImageError(f"could not read {job.src.shown}: {_first(error)}")
                return _failure(job, self.hide, problem)
        local = {}
        for kind, place in (("out", job.dst), ("preview", job.preview)):
            if place is None or place.local:
                local[kind] = Path(place.path) if place is not None else None
            else:
                local[kind] = folder / kind / PurePosixPath(place.path).name
                local[kind].parent.mkdir()
                staged[str(local[kind])] = place.shown
        report = batch.redact_job(
            self.redactor, batch.Job(src, local["out"], local["preview"], root=folder), self.options
        )
        if not report.failed:
            for kind, place in (("out", job.dst), ("preview", job.preview)):
                if place is None or place.local:
                    continue
                try:
                    self.filesystems.write_atomic(place, local[kind].read_bytes())
                except OSError as error:
                    report.error = f"could not write {place.shown}: {_first(error)}"
                    report.error_code = ImageError.code
                    break
        return _as_shown(report, job, staged)


# -- helpers -------------------------------------------------------------------------------


def _check_cluster(cluster: RayCluster) -> None:
    if cluster.workers is not None and cluster.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {cluster.workers}")
    if cluster.gpus_per_worker < 0:
        raise UsageError(f"--gpus-per-worker must be 0 or more, got {cluster.gpus_per_worker}")
    if cluster.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {cluster.batch_size}")


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise UsageError(
            f"--engine ray needs the `ray` extra: pip install 'redactor[ray]' ({error})"
        ) from None
    return ray


def _connect(ray: Any, cluster: RayCluster) -> None:
    if ray.is_initialized():  # the caller's own Ray session (tests, notebooks)
        return
    arguments: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    if cluster.address is None:
        arguments["include_dashboard"] = False
    try:
        # "local": a fresh Ray on this machine, never a stale one named in /tmp/ray.
        ray.init(address=cluster.address or "local", **arguments)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = cluster.address or "this machine"
        raise UsageError(f"cannot start or reach Ray at {where}: {_first(error)}") from None


def _resources(ray: Any, cluster: RayCluster) -> tuple[float, Any, float]:
    """(CPUs per actor, the actor pool, GPUs per actor). With --workers N each actor gets an
    equal share of the cluster's CPUs (at most one node's), so ONNX Runtime threads match what
    Ray reserved; without, actors take 1 CPU each and the pool grows to fill the cluster."""
    from ray.data import ActorPoolStrategy

    total = ray.cluster_resources()
    cpus_total = float(total.get("CPU", 1.0))
    node_cpus = max(
        (float(node["Resources"].get("CPU", 0.0)) for node in ray.nodes() if node.get("Alive")),
        default=cpus_total,
    )
    gpus = cluster.gpus_per_worker
    if gpus > 0 and total.get("GPU", 0.0) < gpus:
        raise UsageError(
            f"--gpus-per-worker {gpus}: the Ray cluster has {total.get('GPU', 0.0):g} GPUs"
        )
    # Small batches: an actor holds one running and one queued batch, so work spreads evenly.
    in_flight = 2
    if cluster.workers is not None:
        cpus = max(1.0, min(node_cpus, math.floor(cpus_total / cluster.workers)))
        return cpus, ActorPoolStrategy(
            size=cluster.workers, max_tasks_in_flight_per_actor=in_flight
        ), gpus
    most = int(total.get("GPU", 0.0) // gpus) if gpus > 0 else int(cpus_total)
    return 1.0, ActorPoolStrategy(
        min_size=1, max_size=max(1, most), max_tasks_in_flight_per_actor=in_flight
    ), gpus


@contextlib.contextmanager
def _quiet_ray_data() -> Iterator[None]:
    """Ray Data logs each dataset's start, plan and progress (and that its bars are off): the run
    shows its own. Errors still show."""
    logger = logging.getLogger("ray.data")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _fatal_error(text: str) -> RedactorError:
    name, _, message = text.partition(": ")
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, RedactorError):
        return cls(message)
    return RedactorError(text)


def _job_from_json(text: str) -> FileJob:
    raw = json.loads(text)
    places = {k: Place(**v) if v is not None else None for k, v in raw.items()}
    return FileJob(**places)


def _local_job(job: FileJob) -> batch.Job:
    return batch.Job(
        src=Path(job.src.path),
        dst=Path(job.dst.path) if job.dst is not None else None,
        preview=Path(job.preview.path) if job.preview is not None else None,
        root=Path(job.root.path),
    )


def _as_shown(report: Report, job: FileJob, staged: dict[str, str]) -> Report:
    """Report paths as the user wrote them (the actor works on absolute or staged paths)."""
    report.input = job.src.shown
    report.output = job.dst.shown if job.dst is not None else None
    if report.error:
        replacements = {**staged, job.src.path: job.src.shown}
        if job.dst is not None:
            replacements[job.dst.path] = job.dst.shown
        for real, shown in sorted(replacements.items(), key=lambda item: -len(item[0])):
            report.error = report.error.replace(real, shown)
    return report


def _failure(job: FileJob, hide: tuple[str, ...], error: RedactorError) -> Report:
    return Report(
        input=job.src.shown,
        output=job.dst.shown if job.dst is not None else None,
        hide=hide,
        error=str(error),
        error_code=error.code,
    )


def _first(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text.splitlines()[0][:200]


__all__ = ["Coordinator", "Pipeline", "RayCluster", "RayRun", "RedactWorker", "ReportLine"]
