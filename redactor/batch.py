"""Batch redaction of files and folders, for every engine: one planner (`plan_batch`) over one
filesystem interface (`redactor.engines.storage`: local paths and pyarrow URIs), one run loop
(`redact`) over a `Runner` (`LocalRunner` here: this process or a process pool; `RayRunner` in
`redactor.engines.ray_engine`).

The output rules (README "Output rules"), all checked by `plan_batch` before any work:
- a folder is mirrored into `<folder>_redacted/` beside it (or into `--out`); a file goes to
  `<its folder>/<folder name>_redacted/<file name>` (or into `--out`);
- an output path is written only if nothing is there or this tool wrote it (listed in an earlier
  report of that folder); anything else is the user's and the run is refused (`--overwrite`);
- nothing is ever written over an input, not even with `--overwrite`;
- a re-run never replaces an output with one that hides less, unless `--overwrite`;
- `--report` never names an input, an existing file that is not a report, or an image;
- previews (the originals, with overlays) go to `<out>_previews_UNREDACTED/`, mode 0600, never
  into the folder meant for sharing; outputs keep the input's permission bits (never wider).
Files and folders that cannot be used (symlink loops, no permission) and files that are not
images are named in the report and the summary; the run goes on.
"""

from __future__ import annotations

import contextlib
import glob
import json
import mimetypes
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urlsplit

from redactor.engines.storage import Fault, Filesystems, Place
from redactor.errors import ImageError, RedactorError, UsageError, first_line
from redactor.imageio import IMAGE_SUFFIXES, ImageLimits
from redactor.pipeline import RedactOptions, Redactor, Report
from redactor.processes import process_pool, thread_share

REPORT_NAME = "report.jsonl"
OUTPUT_SUFFIX = "_redacted"
PREVIEWS_SUFFIX = "_previews_UNREDACTED"
PREVIEW_SUFFIX = ".preview.jpg"
PREVIEW_MODE = 0o600
# How long an interrupted pool may take to finish the images it is working on.
INTERRUPT_GRACE_S = 2.0


@dataclass(frozen=True)
class BatchRequest:
    """What the user asked for, engine aside (paths or URIs as typed)."""

    inputs: tuple[str, ...]
    out: str | None = None
    report: str | None = None
    recursive: bool = False
    dry_run: bool = False
    preview: bool = False
    overwrite: bool = False
    resume: bool = False  # skip images an earlier run finished (report line + outputs present)


@dataclass(frozen=True)
class Job:
    src: Place
    dst: Place | None  # None: dry run
    preview: Place | None
    root: Place  # the output folder
    report: Place  # the report.jsonl that lists this image
    mode: int | None = None  # the output's permission bits (the input's)


@dataclass(frozen=True)
class Note:
    """A file named in the report without being redacted: not an image, or a filesystem fault."""

    shown: str
    report: Place
    entry: dict

    @property
    def failed(self) -> bool:
        return "error" in self.entry


@dataclass
class BatchPlan:
    jobs: list[Job]
    roots: list[Place]  # output folders, in input order
    notes: list[Note]
    filesystems: Filesystems
    previews: list[Place] = field(default_factory=list)  # preview folders
    earlier: dict[Place, dict[str, dict]] = field(default_factory=dict)  # report -> input -> entry
    warnings: list[str] = field(default_factory=list)

    @property
    def reports(self) -> list[Place]:
        targets = [*(job.report for job in self.jobs), *(note.report for note in self.notes)]
        return list(dict.fromkeys(targets))

    @property
    def skipped(self) -> list[str]:
        return [note.shown for note in self.notes if not note.failed]


@dataclass(frozen=True)
class RedactorSetup:
    """How to build a Redactor in each process."""

    model: Path | None = None
    person: bool = False
    limits: ImageLimits = ImageLimits()
    threads: int | None = None

    def build(self) -> Redactor:
        return Redactor(
            model=self.model, person=self.person, limits=self.limits, threads=self.threads
        )


# -- the planner -----------------------------------------------------------------------------


def plan_batch(
    request: BatchRequest,
    *,
    hide: Sequence[str] = (),
    filesystems: Filesystems | None = None,
) -> BatchPlan:
    """Every input image, where its output, preview and report line go, and every file named in
    the report without being redacted. `hide`: the attribute ids this run hides (an earlier output
    that hid more is not replaced). UsageError, before anything is written, for anything the
    output rules refuse."""
    fs = filesystems or Filesystems()
    if not request.inputs:
        raise UsageError("give at least one file or folder to redact")
    places = [fs.place(location) for location in request.inputs]
    out = fs.place(request.out) if request.out is not None else None
    report = fs.place(request.report) if request.report is not None else None
    kinds: list[str | Fault] = []
    for place in places:
        kind = fs.kind(place)
        if kind is None:
            raise UsageError(f"no such file or folder: {place.shown}")
        if kind == "file" and place.local and not os.access(place.path, os.R_OK):
            kind = Fault("unreadable", f"no permission to read {place.shown}")
        kinds.append(kind)
    if out is not None:
        _check_out(fs, out, places, kinds)

    several = len(places) > 1
    roots: list[Place] = []
    pairs: list[tuple[Place, str, Place]] = []  # (src, path relative to root, root)
    notes: list[tuple[str, Place, dict]] = []  # (shown, root, entry)
    for place, kind in zip(places, kinds):
        root = _root_for(fs, place, kind, out, several)
        if root not in roots:
            roots.append(root)
        if isinstance(kind, Fault):
            notes.append((place.shown, root, _fault_entry(place.shown, kind)))
        elif kind == "dir":
            skip = {fs.identity(root), fs.identity(_previews_root(root))}
            listing = fs.entries(place, recursive=request.recursive, keep=keep_folder, skip=skip)
            for entry in listing:
                shown = place.join(entry.relative).shown
                if entry.fault is not None:  # messages show paths as the user wrote them
                    fault = Fault(
                        entry.fault.code, entry.fault.message.replace(place.path, place.shown, 1)
                    )
                    notes.append((shown, root, _fault_entry(shown, fault)))
                elif entry.kind == "dir_link":
                    why = "a link to a folder (not followed)"
                    notes.append((shown, root, _skip_entry(shown, why)))
                elif PurePosixPath(entry.relative).name.startswith("."):
                    continue  # hidden files, and our own temporary files
                elif (why := not_an_image(entry.relative)) is not None:
                    notes.append((shown, root, _skip_entry(shown, why)))
                else:
                    pairs.append((place.join(entry.relative), entry.relative, root))
        else:
            pairs.append((place, PurePosixPath(place.path).name, root))
    if not pairs and not any("error" in entry for _, _, entry in notes):
        names = ", ".join(sorted(IMAGE_SUFFIXES))
        raise UsageError(f"no images ({names}) found in {', '.join(request.inputs)}")

    def report_for(root: Place) -> Place:
        return report if report is not None else root.join(REPORT_NAME)

    sources = {fs.identity(src) for src, _, _ in pairs}
    sources.update(fs.identity(p) for p, k in zip(places, kinds) if k == "file")
    if report is not None:
        _check_report(fs, report, sources)
    folders = roots if not request.dry_run or report is None else []
    if request.preview:
        folders = [*folders, *(_previews_root(root) for root in roots)]
    if folders:
        for root in folders:
            problem = fs.folder_problem(root)
            if problem is not None:
                raise UsageError(
                    f"cannot write the output folder {root.shown}: {problem}; "
                    "choose another --out"
                )

    jobs: list[Job] = []
    seen: dict[tuple[str, str], Place] = {}
    for src, relative, root in pairs:
        dst = root.join(relative)
        if fs.identity(dst) in sources:
            raise UsageError(
                f"the output for {src.shown} would overwrite an input ({dst.shown}); "
                "choose another --out"
            )
        if fs.identity(dst) in seen:
            raise UsageError(
                f"{seen[fs.identity(dst)].shown} and {src.shown} would both be written to "
                f"{dst.shown}; redact them into different --out folders"
            )
        seen[fs.identity(dst)] = src
        preview = None
        if request.preview:
            preview = _previews_root(root).join(relative + PREVIEW_SUFFIX)
            if fs.identity(preview) in sources:
                raise UsageError(
                    f"the preview for {src.shown} would overwrite an input "
                    f"({preview.shown}); choose another --out"
                )
        mode = fs.mode(src)
        jobs.append(
            Job(
                src=src,
                dst=None if request.dry_run else dst,
                preview=preview,
                root=root,
                report=report_for(root),
                mode=None if mode is None else mode & 0o666,
            )
        )
    plan = BatchPlan(
        jobs=jobs,
        roots=roots,
        notes=[Note(shown, report_for(root), entry) for shown, root, entry in notes],
        filesystems=fs,
        previews=list(dict.fromkeys(_previews_root(r) for r in roots)) if request.preview else [],
    )
    plan.earlier = _earlier_reports(fs, plan, own=report is None)
    _check_existing(fs, plan, hide, overwrite=request.overwrite)
    plan.warnings = _stale_previews(fs, plan)
    return plan


def _stale_previews(fs: Filesystems, plan: BatchPlan) -> list[str]:
    """Earlier versions wrote `<name>.preview.jpg` (an unredacted original) beside the redacted
    images. Not provably ours, so never deleted: named, so the user can move them away."""
    planned = {fs.identity(job.dst) for job in plan.jobs if job.dst is not None}
    found = []
    for job in plan.jobs:
        if job.dst is None or not job.dst.local:
            continue
        old = job.dst.derive(lambda path: path.with_name(path.stem + PREVIEW_SUFFIX))
        if fs.identity(old) not in planned and fs.exists(old):
            found.append(
                f"{old.shown} beside the redacted images may be an UNREDACTED preview "
                "from an earlier version; move or delete it before sharing"
            )
    return found


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
    """Sub-folders a recursive listing enters: not hidden, not an earlier run's output or
    previews."""
    return not name.startswith(".") and not name.endswith((OUTPUT_SUFFIX, PREVIEWS_SUFFIX))


def not_an_image(name: str) -> str | None:
    """Why a file found in a folder is not redacted, or None for an image it can read."""
    suffix = PurePath(name).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return None
    guessed, _ = mimetypes.guess_type(f"x{suffix}")
    if guessed is not None and guessed.startswith("image/"):
        return f"unsupported image format ({suffix}); not redacted"
    return "not an image; not redacted"


def _root_for(
    fs: Filesystems, place: Place, kind: str | Fault, out: Place | None, several: bool
) -> Place:
    if place.local:
        own = PurePath(os.path.realpath(place.path))
    else:
        own = PurePosixPath(place.path)
    is_dir = kind == "dir"

    def rule(path: PurePath, out_path: PurePath | None) -> PurePath:
        return output_root(
            path, own.name, own.parent.name, is_dir=is_dir, out=out_path, several=several
        )

    if out is not None:
        return out.derive(lambda path: rule(PurePosixPath("/"), path))
    if not place.local and is_dir and urlsplit(place.shown).path in ("", "/"):
        raise UsageError(
            f"{place.shown} is the root of its bucket or filesystem: give --out for "
            "the redacted copies"
        )
    return place.derive(lambda path: rule(path, None))


def _previews_root(root: Place) -> Place:
    """`photos_redacted` -> `photos_previews_UNREDACTED` beside it; `out` -> `out_previews_...`."""

    def rule(path: PurePath) -> PurePath:
        name = path.name[: -len(OUTPUT_SUFFIX)] if path.name.endswith(OUTPUT_SUFFIX) else path.name
        return path.with_name(f"{name or 'images'}{PREVIEWS_SUFFIX}")

    return root.derive(rule)


def _check_out(fs: Filesystems, out: Place, places: list[Place], kinds: list) -> None:
    kind = fs.kind(out)
    for place, input_kind in zip(places, kinds):
        if fs.identity(out) == fs.identity(place):
            if input_kind == "dir":
                raise UsageError(
                    f"--out {out.shown} is the input folder {place.shown}: the "
                    "originals would be overwritten; choose another folder"
                )
            raise UsageError(f"--out {out.shown} is an input file; give a folder")
    if isinstance(kind, Fault):
        raise UsageError(f"--out {out.shown}: {kind.message}")
    if kind == "file":
        raise UsageError(f"--out {out.shown} is a file; give a folder (new or one of this tool's)")


def _check_report(fs: Filesystems, report: Place, sources: set) -> None:
    where = f"--report {report.shown}"
    if PurePosixPath(report.path).suffix.lower() in IMAGE_SUFFIXES:
        raise UsageError(f"{where} names an image file; give a file name like report.jsonl")
    if fs.identity(report) in sources:
        raise UsageError(f"{where} is an input; give another file name")
    kind = fs.kind(report)
    if kind == "dir":
        raise UsageError(f"{where} is a folder; give a file name like {report.shown}/report.jsonl")
    if isinstance(kind, Fault):
        raise UsageError(f"{where}: {kind.message}")
    if kind == "file" and _read_report(fs, report) is None:
        raise UsageError(
            f"{where} exists and is not a report this tool wrote; give another "
            "file name, or move it away"
        )
    if report.local:
        parent = os.path.dirname(report.path)
        if not os.path.isdir(parent):
            raise UsageError(f"{where}: the folder {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"{where}: no permission to write in {parent}")


def _read_report(fs: Filesystems, place: Place) -> dict[str, dict] | None:
    """Input -> the last entry, of a report this tool wrote; {} when none is there; None for a
    file that is not one of ours (every line a JSON object with "input" and "output")."""
    try:
        data = fs.read_bytes(place)
    except OSError:
        return None
    if data is None:
        return {}
    from redactor.engines.report_journal import NOT_JSON, json_lines

    entries: dict[str, dict] = {}
    for entry, _ in json_lines(data):
        if entry is NOT_JSON:
            continue  # a line cut short by an interrupted run
        if not isinstance(entry, dict) or "input" not in entry or "output" not in entry:
            return None
        entries[str(entry["input"])] = entry
    if data.strip() and not entries:
        return None
    return entries


def _earlier_reports(fs: Filesystems, plan: BatchPlan, *, own: bool) -> dict[Place, dict]:
    """The reports earlier runs left in the output folders (and --report). A report.jsonl we
    would write over that is not ours is refused."""
    targets = dict.fromkeys([*plan.reports, *(root.join(REPORT_NAME) for root in plan.roots)])
    earlier: dict[Place, dict] = {}
    for target in targets:
        entries = _read_report(fs, target)
        if entries is None:
            if own and target in plan.reports:
                raise UsageError(
                    f"{target.shown} exists and is not a report this tool wrote; "
                    "move it away, use --overwrite to replace it, or another --out"
                )
            continue
        earlier[target] = entries
    return earlier


def _check_existing(
    fs: Filesystems, plan: BatchPlan, hide: Sequence[str], *, overwrite: bool
) -> None:
    """Existing outputs: ours (listed by an earlier report) or refused; ours but hiding more
    than this run would: refused. `--overwrite` allows both."""
    if overwrite:
        return
    written: dict[str, dict] = {}  # output or preview as listed -> its entry
    for entries in plan.earlier.values():
        for entry in entries.values():
            for key in ("output", "preview"):
                if isinstance(entry.get(key), str):
                    written[entry[key]] = entry
    wanted = set(hide)
    exists = _exists_in(fs, plan)
    problems: list[str] = []
    for job in plan.jobs:
        for place, folder in ((job.dst, job.root), (job.preview, job.root)):
            if place is None or not exists(place):
                continue
            if place is job.preview:
                if not _is_our_preview(fs, place):
                    problems.append(f"{place.shown} exists and was not written by redact")
                continue
            entry = _listed(written, place, folder)
            if entry is None:
                problems.append(f"{place.shown} exists and was not written by redact")
                continue
            if place is job.dst and entry.get("error") is None:
                lost = sorted(
                    {
                        name
                        for region in entry.get("regions") or []
                        if region.get("hidden") and not wanted & set(region.get("attributes") or [])
                        for name in [region.get("kind") or "region"]
                    }
                )
                if lost:
                    problems.append(
                        f"{place.shown} was redacted earlier hiding "
                        f"{', '.join(lost)}, which this --hide would leave visible"
                    )
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsageError(f"{problems[0]}{more}; use --overwrite to replace, or another --out")


def _exists_in(fs: Filesystems, plan: BatchPlan) -> Callable[[Place], bool]:
    """Whether something is at an output place. Output folders on object stores are listed once
    (one request per folder, not one per image)."""
    listed: dict[Place, set[str]] = {}

    def exists(place: Place) -> bool:
        if place.local:
            return fs.exists(place)
        folder = next(
            (
                r
                for r in (*plan.roots, *plan.previews)
                if r.fs == place.fs and place.path.startswith(r.path.rstrip("/") + "/")
            ),
            None,
        )
        if folder is None:
            return fs.exists(place)
        if folder not in listed:
            listed[folder] = set(fs.files_below(folder))
        return place.path in listed[folder]

    return exists


def _is_our_preview(fs: Filesystems, place: Place) -> bool:
    from redactor.preview import is_preview

    try:
        if place.local:
            with open(place.path, "rb") as stream:
                return is_preview(stream.read(512))
        with fs[place.fs].open_input_stream(place.path) as stream:
            return is_preview(stream.read(512))
    except OSError:
        return False


def _listed(written: dict[str, dict], place: Place, folder: Place | None) -> dict | None:
    """The earlier entry that lists `place` (as shown, as an absolute path, or by its path
    below its output folder: an earlier run may have been started from another folder)."""
    for name in (place.shown, place.path):
        if name in written:
            return written[name]
    if place.local:
        for name, entry in written.items():
            if not name.startswith(("/", "file:")) and os.path.abspath(name) == place.path:
                return entry
    if folder is not None:
        tail = "/" + os.path.relpath(place.path, folder.path).replace(os.sep, "/")
        for name, entry in written.items():
            if name.replace(os.sep, "/").endswith(tail):
                return entry
    return None


def _fault_entry(shown: str, fault: Fault) -> dict:
    return {"input": shown, "output": None, "error": fault.message, "error_code": fault.code}


def _skip_entry(shown: str, why: str) -> dict:
    return {"input": shown, "output": None, "skipped": why}


# -- one image, in any process ---------------------------------------------------------------


def redact_job(
    redactor: Redactor, job: Job, options: RedactOptions, filesystems: Filesystems
) -> dict:
    """One image -> its report entry. Local places are redacted in place; others through local
    copies. Unreadable files come back as entries with `error`; anything unexpected too, so the
    batch goes on. RedactorErrors that concern the whole run (a model that cannot load)
    propagate."""
    try:
        if all(p is None or p.local for p in (job.src, job.dst, job.preview)):
            report = redactor.redact_file(
                Path(job.src.path),
                Path(job.dst.path) if job.dst else None,
                options,
                preview=Path(job.preview.path) if job.preview else None,
                mode=job.mode if job.mode is not None else 0o666,
                preview_mode=PREVIEW_MODE,
            )
            report = _as_shown(report, job, {})
        else:
            with tempfile.TemporaryDirectory(prefix="redact-") as folder:
                report = _redact_staged(redactor, job, options, filesystems, Path(folder))
    except RedactorError:
        raise
    except Exception as error:  # noqa: BLE001 - reported per file, never lost
        report = Report(
            input=job.src.shown,
            output=job.dst.shown if job.dst else None,
            error=f"internal error ({type(error).__name__}): {first_line(str(error))}",
            error_code="internal_error",
        )
    return entry_of(report, job, options)


def entry_of(report: Report, job: Job, options: RedactOptions) -> dict:
    entry = report.to_json(with_text=options.report_text)
    if job.preview is not None and not report.failed:
        entry["preview"] = job.preview.shown
    return entry


def _redact_staged(
    redactor: Redactor, job: Job, options: RedactOptions, fs: Filesystems, folder: Path
) -> Report:
    """Through local copies: the source is fetched (at most the byte limit, plus one byte so the
    reader sees it is over), redacted by the local code, and the results uploaded."""
    name = PurePosixPath(job.src.path).name
    staged: dict[str, str] = {}  # local copy -> shown place, for messages
    src = Path(job.src.path)
    if not job.src.local:
        src = folder / "in" / name
        src.parent.mkdir()
        staged[str(src)] = job.src.shown
        try:
            fs.copy_to_local(job.src, src, redactor.limits.max_bytes + 1)
        except FileNotFoundError:
            return _failure(job, ImageError(f"file not found: {job.src.shown}"))
        except OSError as error:
            return _failure(
                job,
                ImageError(f"could not read {job.src.shown}: {first_line(error, strerror=True)}"),
            )
    local: dict[str, Path | None] = {}
    for kind, place in (("out", job.dst), ("preview", job.preview)):
        if place is None or place.local:
            local[kind] = Path(place.path) if place is not None else None
        else:
            local[kind] = folder / kind / PurePosixPath(place.path).name
            local[kind].parent.mkdir()
            staged[str(local[kind])] = place.shown
    report = redactor.redact_file(
        src,
        local["out"],
        options,
        preview=local["preview"],
        mode=job.mode if job.mode is not None else 0o666,
        preview_mode=PREVIEW_MODE,
    )
    if not report.failed:
        for kind, place in (("out", job.dst), ("preview", job.preview)):
            if place is None or place.local:
                continue
            try:
                fs.write_atomic(place, local[kind].read_bytes())
            except OSError as error:
                report.error = f"could not write {place.shown}: {first_line(error, strerror=True)}"
                report.error_code = ImageError.code
                break
    return _as_shown(report, job, staged)


def _as_shown(report: Report, job: Job, staged: dict[str, str]) -> Report:
    """Report paths as the user wrote them (workers use absolute or staged paths)."""
    report.input = job.src.shown
    report.output = job.dst.shown if job.dst is not None else None
    if report.error:
        replacements = {**staged, job.src.path: job.src.shown}
        if job.dst is not None:
            replacements[job.dst.path] = job.dst.shown
        for real, shown in sorted(replacements.items(), key=lambda item: -len(item[0])):
            report.error = report.error.replace(real, shown)
    return report


def _failure(job: Job, error: RedactorError) -> Report:
    return Report(
        input=job.src.shown,
        output=job.dst.shown if job.dst is not None else None,
        error=str(error),
        error_code=error.code,
    )


# -- runners ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    job: Job
    entry: dict  # the report line
    worker: str = ""  # where it ran (Ray: "host:pid")

    @property
    def failed(self) -> bool:
        return self.entry.get("error") is not None


class Runner(Protocol):
    """Where the images are redacted. `check` validates the options before any work (-> the
    attribute ids hidden); `run` yields each job's outcome as it finishes; after an interrupt,
    `stop` ends what is running (finishing or abandoning it cleanly, no temporary files left)
    and yields what finished meanwhile."""

    def check(self, options: RedactOptions) -> list[str]: ...

    def prepare(self, plan: BatchPlan, pending: list[Job]) -> None: ...

    def run(
        self, jobs: list[Job], options: RedactOptions, fs: Filesystems
    ) -> Iterator[Outcome]: ...

    def stop(self) -> Iterator[Outcome]: ...


_WORKER: Redactor | None = None
_WORKER_ERROR: RedactorError | None = None


def _start_worker(setup: RedactorSetup, options: RedactOptions) -> None:
    global _WORKER, _WORKER_ERROR
    # Ctrl-C reaches the whole process group: the parent decides what happens, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _WORKER = setup.build()
        _WORKER.warm_up(options)  # every worker loads its models at once, in parallel
    except RedactorError as error:  # e.g. a model that cannot load: each job reports it
        _WORKER_ERROR = error


def _work(job: Job, options: RedactOptions, fs: Filesystems) -> dict:
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR
    assert _WORKER is not None
    return redact_job(_WORKER, job, options, fs)


class LocalRunner:
    """This machine: in this process (`workers` 1), or a pool of `workers` processes, each
    building its own Redactor once (ONNX Runtime threads split between them)."""

    def __init__(
        self,
        setup: RedactorSetup = RedactorSetup(),
        workers: int = 1,
        redactor: Redactor | None = None,
    ) -> None:
        if workers < 1:
            raise UsageError(f"--workers must be at least 1, got {workers}")
        self.setup = setup
        self.workers = workers
        self.redactor = redactor
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[Future, Job] = {}

    def check(self, options: RedactOptions) -> list[str]:
        self.redactor = self.redactor or self.setup.build()
        return sorted(self.redactor.check(options))

    def prepare(self, plan: BatchPlan, pending: list[Job]) -> None:
        pass

    def run(self, jobs: list[Job], options: RedactOptions, fs: Filesystems) -> Iterator[Outcome]:
        workers = min(self.workers, len(jobs))
        if workers <= 1:
            redactor = self.redactor or self.setup.build()
            for job in jobs:
                yield Outcome(job, redact_job(redactor, job, options, fs))
            return

        setup = self.setup
        if setup.threads is None:  # the workers split the CPUs this process may use
            setup = RedactorSetup(setup.model, setup.person, setup.limits, thread_share(workers))
        # spawn: a clean interpreter per worker (no inherited ONNX Runtime or progress threads).
        pool = process_pool(
            workers,
            start="spawn",
            initializer=_start_worker,
            initargs=(setup, options),
            threads=setup.threads,
        )
        self._pool = pool
        queue = iter(jobs)
        # The workers start with Ctrl-C ignored (a signal during their start-up is no traceback).
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            # A few jobs per worker in flight, not all of them (a huge folder stays cheap).
            for job in _take(queue, workers * 2):
                self._pending[pool.submit(_work, job, options, fs)] = job
        finally:
            signal.signal(signal.SIGINT, previous)
        try:
            while self._pending:
                done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield self._outcome(future)
                    self._pending.pop(future, None)
                    for next_job in _take(queue, 1):
                        self._pending[pool.submit(_work, next_job, options, fs)] = next_job
        except KeyboardInterrupt:
            raise  # `stop` finishes what is running
        except BaseException:  # a run-wide error, or the caller gave up: nothing more starts
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            raise
        pool.shutdown()
        self._pool = None

    def _outcome(self, future: Future) -> Outcome:
        job = self._pending[future]
        try:
            return Outcome(job, future.result())
        except RedactorError:
            raise
        except Exception as error:  # noqa: BLE001 - a crashed worker fails its file only
            report = Report(
                input=job.src.shown,
                output=job.dst.shown if job.dst else None,
                error=f"worker failed ({type(error).__name__})",
                error_code="internal_error",
            )
            return Outcome(job, report.to_json())

    def stop(self) -> Iterator[Outcome]:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for future in self._pending:
            future.cancel()  # not started yet: never will
        running = [f for f in self._pending if not f.cancelled()]
        done, abandoned = wait(running, timeout=INTERRUPT_GRACE_S)
        for future in done:
            if future.exception() is None:
                yield self._outcome(future)
        if abandoned:
            for process in list((pool._processes or {}).values()):  # noqa: SLF001
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        for future in abandoned:  # a write cut short leaves at most a temporary file: remove it
            job = self._pending[future]
            for place in (job.dst, job.preview):
                if place is not None and place.local:
                    folder, name = os.path.split(place.path)
                    for temporary in glob.glob(
                        os.path.join(glob.escape(folder), f".{glob.escape(name)}.*.tmp")
                    ):
                        with contextlib.suppress(OSError):
                            os.unlink(temporary)
        self._pending.clear()


def _take(iterator: Iterator[Job], count: int) -> list[Job]:
    taken = []
    for job in iterator:
        taken.append(job)
        if len(taken) >= count:
            break
    return taken


# -- the run loop ----------------------------------------------------------------------------


@dataclass
class Summary:
    images: int = 0
    failed: int = 0
    skipped: int = 0
    regions: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # hidden regions per attribute name
    stage_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    # Filled in by `redact`:
    planned: int = 0  # images this run was to redact (resumed ones left out)
    done: int = 0  # of those, finished (redacted or failed)
    resumed: int = 0  # images an earlier run finished, kept
    interrupted: bool = False
    roots: list[str] = field(default_factory=list)
    previews: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, entry: dict) -> None:
        """One report line (an image, a filesystem fault, or a skipped file)."""
        if entry.get("skipped"):
            self.skipped += 1
            self.skipped_files.append(str(entry.get("input")))
            return
        if entry.get("error") is not None:
            self.failed += 1
            return
        self.images += 1
        for name, count in (entry.get("counts") or {}).items():
            self.counts[name] = self.counts.get(name, 0) + count
            self.regions += count
        for stage, seconds in (entry.get("timings") or {}).items():
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds


def redact(
    request: BatchRequest,
    options: RedactOptions,
    runner: Runner,
    *,
    on_start: Callable[[BatchPlan, list[Job]], None] | None = None,
    on_result: Callable[[Outcome], None] | None = None,
    filesystems: Filesystems | None = None,
) -> Summary:
    """The batch, for every engine: check the options, plan (every refusal before any work), run
    the pending jobs on `runner`, append each report line as it arrives, and rewrite each report
    in input order at the end. Ctrl-C stops the run: what finished is in the report, and the
    summary says `interrupted`. -> the summary."""
    from redactor.engines.report_journal import ReportJournal

    started = time.perf_counter()
    hide = runner.check(options)  # unknown or uncovered attributes stop here (fail closed)
    plan = plan_batch(request, hide=hide, filesystems=filesystems)
    fs = plan.filesystems
    done, pending = _split_done(plan, hide) if request.resume else ([], list(plan.jobs))
    runner.prepare(plan, pending)
    summary = Summary(
        planned=len(pending),
        resumed=len(done),
        roots=[r.shown for r in plan.roots],
        previews=[p.shown for p in plan.previews],
        warnings=list(plan.warnings),
    )
    journal = ReportJournal(fs)
    if on_start is not None:
        on_start(plan, pending)
    recorded: set[tuple[str, str]] = set()

    def record(outcome: Outcome) -> None:
        if outcome.job.src.key in recorded:  # a result seen twice around an interrupt
            return
        recorded.add(outcome.job.src.key)
        summary.done += 1
        journal.append(outcome.job.report, json.dumps(outcome.entry))
        summary.add(outcome.entry)
        if on_result is not None:
            on_result(outcome)

    try:
        for note in plan.notes:
            journal.append(note.report, json.dumps(note.entry))
            summary.add(note.entry)
        stream = runner.run(pending, options, fs) if pending else iter(())
        try:
            for outcome in stream:
                record(outcome)
        except KeyboardInterrupt:
            summary.interrupted = True
            with _no_interrupts():  # a second Ctrl-C must not lose what finished
                for outcome in runner.stop():
                    record(outcome)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
    finally:
        with _no_interrupts():
            _write_reports(plan, journal, summary)
    summary.seconds = time.perf_counter() - started
    return summary


def _write_reports(plan: BatchPlan, journal: Any, summary: Summary) -> None:
    """Each report rewritten in input order, one line per image (the last line for it wins)."""
    journal.close()
    for target in plan.reports:
        inputs = [
            *(n.shown for n in plan.notes if n.report == target),
            *(j.src.shown for j in plan.jobs if j.report == target),
        ]
        journal.rewrite(target, inputs)
        if plan.filesystems.exists(target):
            summary.reports.append(target.shown)


def _split_done(plan: BatchPlan, hide: Sequence[str]) -> tuple[list[Job], list[Job]]:
    """Jobs an earlier run finished (report line without error, for the same attributes, output
    and preview present), and the rest."""
    exists = _exists_in(plan.filesystems, plan)
    finished = set()
    for job in plan.jobs:
        entry = plan.earlier.get(job.report, {}).get(job.src.shown)
        if (
            entry is not None
            and entry.get("error") is None
            and entry.get("hide") == sorted(hide)
            and entry.get("output") == (job.dst.shown if job.dst is not None else None)
            and all(p is None or exists(p) for p in (job.dst, job.preview))
        ):
            finished.add(job.src.key)
    done = [job for job in plan.jobs if job.src.key in finished]
    return done, [job for job in plan.jobs if job.src.key not in finished]


__all__ = [
    "BatchPlan",
    "BatchRequest",
    "Job",
    "LocalRunner",
    "Note",
    "Outcome",
    "RedactorSetup",
    "Runner",
    "Summary",
    "plan_batch",
    "redact",
    "redact_job",
]


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Ctrl-C ignored for a moment (main thread only: where Python delivers it)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
