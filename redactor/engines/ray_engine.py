"""`redact PATH... --engine ray`: the batch redactor on a Ray cluster, as a `batch.Runner`.

    driver   redactor.batch.redact: the one planner and run loop (output rules, resume, reports)
    Ray Data from_items(jobs) -> map_batches(RedactWorker, pool of actors) -> iter_rows
    actor    one Redactor per actor (models loaded once, reused for every image); per image:
             batch.redact_job (read, redact, write the output atomically) -> its report line
    driver   the run loop appends each line to report.jsonl as it arrives

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
import threading
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from redactor import errors
from redactor.batch import BatchPlan, RedactorSetup, Job, Outcome, redact_job
from redactor.engines.storage import Filesystems, Place
from redactor.errors import RedactorError, UsageError, first_line
from redactor.pipeline import RedactOptions, Report
from redactor.processes import cpu_threads

# Ray restarts a dead actor without limit; a batch is retried this many times on a new actor
# before its images are reported failed (an image that kills its worker every time must not
# stall the run).
TASK_RETRIES = 3
# Ray Data keeps one block per actor call; more blocks than this only cost scheduling.
MAX_BLOCKS = 20_000


@dataclass(frozen=True)
class RayCluster:
    """Where and how wide to run."""

    address: str | None = (
        None  # None: start Ray here; "auto": the running cluster; "ray://host:port"
    )
    workers: int | None = None  # actors; None: from 1 up to one per CPU (or per GPU share)
    gpus_per_worker: float = 0.0
    batch_size: int = 4  # images per call to an actor


class RayRunner:
    """Runs the jobs on a Ray cluster (`batch.redact(request, options, RayRunner(...))`)."""

    def __init__(
        self, setup: RedactorSetup = RedactorSetup(), cluster: RayCluster = RayCluster()
    ) -> None:
        _check_cluster(cluster)
        self.setup = setup
        self.cluster = cluster
        self._rows: Any = None

    def check(self, options: RedactOptions) -> list[str]:
        return sorted(self.setup.build().check(options))

    def prepare(self, plan: BatchPlan, pending: list[Job]) -> None:
        """Start or reach Ray (before the progress bar shows). UsageError when it cannot, or
        when a Ray Client (ray://) caller gives local files, which the cluster cannot see."""
        if not pending:
            return
        ray = _import_ray()
        _connect(ray, self.cluster)
        if _through_client(ray):
            local = [
                job.src.shown
                for job in pending
                if any(
                    place is not None and place.local for place in (job.src, job.dst, job.preview)
                )
            ]
            if local:
                raise UsageError(
                    f"{local[0]}: through ray:// the workers cannot see this machine's files; "
                    "give URIs (s3://, gs://, hdfs://) or run on the cluster with --address auto"
                )

    def run(self, jobs: list[Job], options: RedactOptions, fs: Filesystems) -> Iterator[Outcome]:
        """Yields each job's report line as it arrives (in the order they finish)."""
        if not jobs:
            return
        ray = _import_ray()
        _connect(ray, self.cluster)
        items = [{"index": i, "job": json.dumps(asdict(job))} for i, job in enumerate(jobs)]
        pipeline = Pipeline(items, self.setup, options, fs, self.cluster)
        rows = _rows_through_coordinator(ray, pipeline) if _through_client(ray) else pipeline.rows()
        self._rows = rows
        unfinished = dict(enumerate(jobs))
        try:
            for row in rows:
                if row["fatal"]:
                    raise _fatal_error(row["fatal"])
                job = unfinished.pop(row["index"], None)
                if job is None:  # already seen (a retried batch's earlier result)
                    continue
                yield Outcome(job, json.loads(row["line"]), row["worker"])
            for job in unfinished.values():
                report = Report(
                    input=job.src.shown,
                    output=job.dst.shown if job.dst is not None else None,
                    error=f"worker failed: its Ray task failed {TASK_RETRIES + 1} times (see "
                    "the Ray logs); run again to retry",
                    error_code="internal_error",
                )
                yield Outcome(job, report.to_json(with_text=options.report_text))
        finally:
            self._rows = None
            rows.close()

    def stop(self) -> Iterator[Outcome]:
        """Ray Data stops when its iterator closes; what an actor finished after the interrupt
        is redone (or skipped, its output being there) by the next run."""
        rows, self._rows = self._rows, None
        if rows is not None:
            rows.close()
        return iter(())


@dataclass
class Pipeline:
    """The Ray Data pipeline for a list of jobs: from_items -> map_batches(RedactWorker) ->
    rows {index, line, fatal, worker}. Runs wherever a Ray driver runs: this process, or a
    coordinator actor inside the cluster for a Ray Client (ray://) caller."""

    items: list[dict]
    setup: RedactorSetup
    options: RedactOptions
    filesystems: Filesystems
    cluster: RayCluster

    def rows(self) -> Iterator[dict]:
        import ray

        cpus, compute, gpus = _resources(ray, self.cluster)
        # ONNX Runtime threads per actor = the CPUs Ray reserved for it.
        setup = RedactorSetup(
            self.setup.model, self.setup.person, self.setup.limits, max(1, int(cpus))
        )
        blocks = min(MAX_BLOCKS, math.ceil(len(self.items) / self.cluster.batch_size))
        with _quiet_ray_data(), warnings.catch_warnings():
            # Ray 2.5x deprecates map_batches' free remote args, but max_task_retries has no
            # named replacement yet (its default, retry forever, would stall on a poison image).
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset = ray.data.from_items(self.items, override_num_blocks=max(1, blocks))
            dataset = dataset.map_batches(
                RedactWorker,
                fn_constructor_kwargs={
                    "setup": setup,
                    "options": self.options,
                    "filesystems": self.filesystems,
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
                    "index": int(row["index"]),
                    "line": str(row["line"]),
                    "fatal": str(row["fatal"]),
                    "worker": str(row["worker"]),
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
            self.error = f"{type(error).__name__}: {first_line(error, strerror=True)}"
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

    def __init__(
        self, setup: RedactorSetup, options: RedactOptions, filesystems: Filesystems
    ) -> None:
        self.options = options
        self.filesystems = filesystems
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.fatal = ""
        try:
            self.redactor = setup.build()
            self.redactor.check(options)
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
                    job = _job_from_json(str(text))
                    entry = redact_job(self.redactor, job, self.options, self.filesystems)
                    line = json.dumps(entry)
                except RedactorError as error:  # concerns the whole run, as in the local engine
                    problem = f"{type(error).__name__}: {error}"
            lines.append(line)
            fatal.append(problem)
        return {
            "index": indices,
            "line": lines,
            "fatal": fatal,
            "worker": [self.worker] * len(lines),
        }


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
        # Ray counts the machine's CPUs; the actors' thread shares must come from ours.
        arguments["num_cpus"] = cpu_threads()
    try:
        # "local": a fresh Ray on this machine, never a stale one named in /tmp/ray.
        ray.init(address=cluster.address or "local", **arguments)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = cluster.address or "this machine"
        raise UsageError(
            f"cannot start or reach Ray at {where}: {first_line(error, strerror=True)}"
        ) from None


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
        return (
            cpus,
            ActorPoolStrategy(size=cluster.workers, max_tasks_in_flight_per_actor=in_flight),
            gpus,
        )
    most = int(total.get("GPU", 0.0) // gpus) if gpus > 0 else int(cpus_total)
    return (
        1.0,
        ActorPoolStrategy(
            min_size=1, max_size=max(1, most), max_tasks_in_flight_per_actor=in_flight
        ),
        gpus,
    )


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


def _job_from_json(text: str) -> Job:
    raw = json.loads(text)
    mode = raw.pop("mode", None)
    places = {k: Place(**v) if v is not None else None for k, v in raw.items()}
    return Job(**places, mode=mode)


__all__ = ["Coordinator", "Pipeline", "RayCluster", "RayRunner", "RedactWorker"]
