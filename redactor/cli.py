"""The `redact` command line: thin front ends over the library.

`redact PATH...` is the default command (`redact run PATH...` spelled out); the others are
subcommands. `--help` and `--version` answer before anything heavy is imported: every command
imports what it needs inside its own body. No decision about images, models or masks is made
here; errors from the library (RedactorError) become one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import click
import typer
from typer.core import TyperGroup

from redactor import __version__

DEFAULT_COMMAND = "run"


class DefaultCommandGroup(TyperGroup):
    """Runs `DEFAULT_COMMAND` when the first argument is not a subcommand, so that
    `redact ./photos` and `redact train` both work. A folder that happens to be named like a
    subcommand is reached with `redact run train`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            if not (args[0].startswith("-") and args[0] in ("--version", "-V")):
                args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # The default command first, the rest in the order they are defined.
        names = list(self.commands)
        return [DEFAULT_COMMAND, *(n for n in names if n != DEFAULT_COMMAND)] if names else names


app = typer.Typer(
    cls=DefaultCommandGroup,
    name="redact",
    help="Find what is private in images and hide it. `redact PATH...` redacts files and folders.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold recognised private text
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"redact {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Find what is private in images and hide it."""


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr, no traceback, non-zero exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def run_app(argv: list[str] | None = None) -> Any:
    """Console-script entry point. Library errors become one line and exit status 2."""
    from redactor.errors import RedactorError

    try:
        return app(args=argv, standalone_mode=True)
    except RedactorError as error:  # raised outside a command's own handling
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(2)


# Commands follow, one section per area. Each imports its dependencies inside its body.
# --- run, attributes (batch redactor) ---
@app.command("run")
def run_command(
    paths: list[str] = typer.Argument(
        ..., help="Image files and folders to redact (--engine ray: also s3://, gs://, "
        "hdfs://, file:// URIs).",
    ),
    hide: Optional[str] = typer.Option(
        None, "--hide", help="What to hide, comma-separated: face,name,address,email,phone,card,"
        "date,id,username,plate,text,person,nudity,... or `all`. Default: faces and private text. "
        "`redact attributes` lists every name.",
    ),
    mode: Optional[str] = typer.Option(
        None, "--mode", help="blur | pixelate | fill. Default: faces blurred, text filled."
    ),
    out: Optional[str] = typer.Option(
        None, "--out", "-o", help="Output folder. Default: <folder>_redacted/ beside each input."
    ),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Also redact sub-folders."),
    margin: Optional[float] = typer.Option(
        None, "--margin", help="Grow each region by this fraction of its size (default: faces "
        "0.25, text 0.15).",
    ),
    threshold: Optional[str] = typer.Option(
        None, "--threshold", help="Detector thresholds, e.g. faces=0.5,pii=0.4 (lower finds more)."
    ),
    fill_color: str = typer.Option("0,0,0", "--fill-color", help="R,G,B for --mode fill."),
    keep_metadata: bool = typer.Option(
        False, "--keep-metadata", help="Keep EXIF/XMP/comments (GPS, camera serial...). Default: strip all but the colour profile."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; write no images."),
    preview: bool = typer.Option(
        False, "--preview", help="Also write <name>.preview.jpg showing what is hidden and why, "
        "into <out>_previews_UNREDACTED/ (they show the originals: never share them).",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace existing files in the output folder that this tool "
        "did not write, and earlier outputs that hid more (inputs are never replaced).",
    ),
    report: Optional[str] = typer.Option(
        None, "--report", help="Write the JSON-lines report here (default: report.jsonl in the output folder)."
    ),
    report_text: bool = typer.Option(
        False, "--report-text", help="Put recognised text in the report (off: private text never leaves memory)."
    ),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-j", min=1, help="Worker processes (default 1); --engine ray: "
        "actors (default: up to one per CPU of the cluster).",
    ),
    model: Optional[Path] = typer.Option(None, "--model", help="PrivObfNet model file (.onnx, .pt, .engine)."),
    trust_model: bool = typer.Option(
        False, "--trust-model", help="Hide attributes only the model finds even if its real-image "
        "AUC is unmeasured or under 0.85 (refused otherwise).",
    ),
    person: bool = typer.Option(False, "--person", help="Load whole-person masks (`human` extra)."),
    engine_name: str = typer.Option(
        "local", "--engine", help="local: processes on this machine; ray: a Ray cluster "
        "(pip install 'redactor\\[ray]').",
    ),
    address: Optional[str] = typer.Option(
        None, "--address", help="--engine ray: the cluster, auto or ray://host:port "
        "(default: start Ray on this machine).",
    ),
    gpus_per_worker: Optional[float] = typer.Option(
        None, "--gpus-per-worker", min=0, help="--engine ray: GPUs per actor (0.5: two share one)."
    ),
    batch_size: Optional[int] = typer.Option(
        None, "--batch-size", min=1, help="--engine ray: images per call to an actor (default 4)."
    ),
) -> None:
    """Redact image files and folders (the default command: `redact PATH...`)."""
    from rich.console import Console

    from redactor.attributes import split_names
    from redactor.batch import BatchRequest, Engine, LocalRunner, redact
    from redactor.errors import RedactorError
    from redactor.pipeline import RedactOptions

    err = Console(stderr=True)
    try:
        options = RedactOptions(
            hide=tuple(split_names(hide)) if hide is not None else None,
            mode=mode,
            margin=margin,
            fill_color=_parse_color(fill_color),
            keep_metadata=keep_metadata,
            thresholds=_parse_thresholds(threshold),
            report_text=report_text,
            trust_model=trust_model,
        )
        engine = Engine(model=model, person=person)
        on_ray = _use_ray(engine_name, [*paths, out, report], address=address,
                          gpus_per_worker=gpus_per_worker, batch_size=batch_size)
        request = BatchRequest(
            inputs=tuple(paths), out=out, report=report, recursive=recursive, dry_run=dry_run,
            preview=preview, overwrite=overwrite, resume=on_ray,
        )
        if on_ray:
            from redactor.engines.ray_engine import RayCluster, RayRunner

            runner: Any = RayRunner(engine, RayCluster(
                address=address, workers=workers, gpus_per_worker=gpus_per_worker or 0.0,
                batch_size=batch_size or RayCluster.batch_size,
            ))
        else:
            runner = LocalRunner(engine, workers or 1)
        # The bar shows once every check has passed (a refusal is one line, nothing else).
        progress = _progress(err)
        task = progress.add_task("redacting" if not dry_run else "analysing", total=None)

        def on_start(plan: Any, pending: list) -> None:
            from rich.markup import escape

            progress.update(task, total=len(pending))
            progress.start()
            for note in plan.notes:  # files and folders it cannot use, named before the work
                if note.failed:
                    progress.console.print(f"[red]failed[/red] {escape(note.shown)}: "
                                           f"{escape(note.entry['error'])}", highlight=False,
                                           soft_wrap=True)
            if len(pending) < len(plan.jobs):
                progress.console.print(
                    f"resuming: {len(plan.jobs) - len(pending)} of {len(plan.jobs)} images "
                    "were done by an earlier run (kept)", highlight=False)

        try:
            summary = redact(request, options, runner, on_start=on_start,
                             on_result=lambda o: _count_result(progress, task, o))
        finally:
            if progress.live.is_started:
                progress.stop()
    except RedactorError as error:
        fail(str(error))
        return
    except KeyboardInterrupt:  # before any image was started: nothing to report
        err.print("interrupted: nothing was redacted")
        raise typer.Exit(130) from None
    except Exception as error:  # noqa: BLE001 - the last resort: one line, details in a file
        fail(_crash_note(error), code=1)
        return
    _print_summary(summary, dry_run=dry_run, err=err)
    if summary.interrupted:
        again = " (run the same command again to go on)" if on_ray else ""
        err.print(f"interrupted: {summary.done} of "
                  f"{summary.planned} images done (listed in the report){again}", highlight=False,
                  soft_wrap=True)
        raise typer.Exit(130)
    if summary.failed:
        raise typer.Exit(1)


def _crash_note(error: BaseException) -> str:
    """Writes the traceback to a private file; -> the line the user sees."""
    import tempfile
    import traceback

    first = (str(error).splitlines() or [""])[0][:200]
    try:
        descriptor, path = tempfile.mkstemp(prefix="redact-crash-", suffix=".txt")
        with open(descriptor, "w") as stream:
            stream.write("".join(traceback.format_exception(error)))
        where = f"details in {path}"
    except OSError:
        where = "no details could be saved"
    return (f"internal error ({type(error).__name__}: {first}); {where}; "
            "please report it (files already written are listed in the report)")


@app.command("attributes")
def attributes_command(
    model: Optional[Path] = typer.Option(None, "--model", help="Show what this PrivObfNet model covers."),
    person: bool = typer.Option(False, "--person", help="Include the person detector."),
) -> None:
    """List every attribute: index, id, group, mask type, aliases, and which detector finds it."""
    from rich.console import Console
    from rich.table import Table

    from redactor import attributes
    from redactor.detectors.model import NOT_HIDEABLE
    from redactor.errors import RedactorError
    from redactor.pipeline import Redactor

    try:
        coverage = Redactor(model=model, person=person).coverage()
    except RedactorError as error:
        fail(str(error))
        return
    default = attributes.resolve(attributes.DEFAULT_HIDE)
    table = Table(title="Attributes (* hidden by default)", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("id", no_wrap=True)
    for column in ("group", "mask", "aliases", "found by"):
        table.add_column(column)
    for attribute in attributes.ATTRIBUTES:
        found_by = coverage.get(attribute.id) or []
        if found_by:
            cover = ", ".join(found_by)
        elif attribute.id in NOT_HIDEABLE:
            cover = "[dim]not hideable (a finding)[/dim]"
        elif attribute.index >= 0:
            cover = "[dim]--model[/dim]"
        elif attribute.id == attributes.PERSON:
            cover = "[dim]--person[/dim]"
        else:
            cover = "[dim]-[/dim]"
        mark = "*" if attribute.id in default else ""
        table.add_row(
            str(attribute.index) if attribute.index >= 0 else "",
            attribute.id + mark,
            attribute.group,
            attribute.mask_type,
            ", ".join(attributes.aliases_of(attribute.id)),
            cover,
        )
    Console().print(table)


def _parse_thresholds(text: Optional[str]) -> dict[str, float]:
    from redactor.errors import UsageError

    thresholds: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            thresholds[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--threshold wants NAME=VALUE pairs like faces=0.5,pii=0.4, got {part.strip()!r}") from None
    return thresholds


def _parse_color(text: str) -> tuple[int, int, int]:
    from redactor.errors import UsageError

    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(int(p) for p in parts)
        if len(values) != 3 or not all(0 <= v <= 255 for v in values):
            raise ValueError
    except ValueError:
        raise UsageError(f"--fill-color wants R,G,B with values 0-255, got {text!r}") from None
    return values  # type: ignore[return-value]


def _count_result(progress: Any, task: Any, outcome: Any) -> None:
    """One finished image, either engine: a line if it failed, a tick."""
    from rich.markup import escape

    if outcome.failed:
        progress.console.print(
            f"[red]failed[/red] {escape(outcome.job.src.shown)}: "
            f"{escape(str(outcome.entry.get('error')))}", highlight=False, soft_wrap=True,
        )
    progress.advance(task)


def _progress(console: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _print_summary(summary: Any, *, dry_run: bool, err: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Files not redacted are named, each once (a long list: the first ones, then the report).
    shown_most = 20
    for name in summary.skipped_files[:shown_most]:
        err.print(f"[yellow]skipped[/yellow] {escape(name)}: not an image it can redact",
                  highlight=False, soft_wrap=True)
    if len(summary.skipped_files) > shown_most:
        err.print(f"... and {len(summary.skipped_files) - shown_most} more skipped files, "
                  "named in the report", highlight=False)
    table = Table(title="redact: summary", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("images analysed" if dry_run else "images redacted", str(summary.images))
    if summary.resumed:
        table.add_row("done by an earlier run", str(summary.resumed))
    table.add_row("failed", f"[red]{summary.failed}[/red]" if summary.failed else "0")
    if summary.skipped:
        table.add_row("other files skipped (named in the report)", str(summary.skipped))
    for name, count in sorted(summary.counts.items(), key=lambda item: -item[1]):
        table.add_row(f"{'found' if dry_run else 'hidden'}: {name}", str(count))
    table.add_row("time", f"{summary.seconds:.1f} s")
    if summary.images:
        table.add_row("per image", f"{summary.seconds / summary.images:.2f} s")
    for root in summary.roots:
        if not dry_run:
            table.add_row("output", escape(root))
    for folder in summary.previews:
        table.add_row("[bold red]previews: UNREDACTED originals, never share[/bold red]",
                      escape(folder))
    for path in summary.reports:
        table.add_row("report", escape(path))
    Console().print(table)
    for line in summary.warnings:
        err.print(f"[bold red]warning[/bold red]: {escape(line)}", highlight=False, soft_wrap=True)
    for folder in summary.previews:
        err.print(f"[bold red]warning[/bold red]: the previews in {escape(folder)} show the "
                  "UNREDACTED originals; do not share them", highlight=False, soft_wrap=True)


# --- run --engine ray (scale out) ---
def _use_ray(
    engine_name: str, locations: list, *, address: Any, gpus_per_worker: Any, batch_size: Any
) -> bool:
    """True for --engine ray; UsageError for an unknown engine or Ray-only options without it."""
    from redactor.engines.storage import is_uri
    from redactor.errors import UsageError

    if engine_name not in ("local", "ray"):
        raise UsageError(f"unknown --engine {engine_name!r}; valid: local, ray")
    if engine_name == "ray":
        return True
    given = [name for name, value in (("--address", address), ("--gpus-per-worker", gpus_per_worker),
                                      ("--batch-size", batch_size)) if value is not None]
    if given:
        raise UsageError(f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --engine ray")
    uris = [str(x) for x in locations if x is not None and is_uri(str(x))]
    if uris:
        raise UsageError(f"{uris[0]}: URIs (s3://, gs://, hdfs://, file://) need --engine ray")
    return False


# --- synth (synthetic data) ---
@app.command("synth")
def synth_command(
    out: Path = typer.Option(..., "--out", help="Empty folder for the data set (VISPR layout + masks/)."),
    n: int = typer.Option(..., "--n", help="Number of images."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed makes the same set."),
    size: int = typer.Option(448, "--size", help="Image side in pixels (square images)."),
    split_ratio: str = typer.Option("0.7,0.1,0.2", "--split-ratio", help="train,val,test fractions."),
    workers: int = typer.Option(0, "--workers", help="Processes (0: one per CPU)."),
    masks: bool = typer.Option(False, "--masks", help="Then compute the human/text masks cache (`redact masks`)."),
) -> None:
    """Generate a synthetic privacy data set in VISPR's layout, with a mask per label.

    People, documents, screens and objects, with labels drawn from VISPR's label statistics.
    """
    import os

    from redactor.errors import RedactorError

    try:
        from training.synth.dataset import SynthConfig, check_config, generate, parse_ratios
    except ImportError as error:
        fail(f"the generator needs the `train` extra (pip install -e '.[train]'): {error}")
        return
    from rich.console import Console

    console = Console(stderr=True)
    try:
        config = SynthConfig(out, n, seed, size, parse_ratios(split_ratio),
                             workers or (os.cpu_count() or 1))
        check_config(config)
        with _progress(console) as progress:
            task = progress.add_task("synth", total=n)
            summary = generate(config, lambda done, total: progress.update(task, completed=done))
    except RedactorError as error:
        fail(str(error))
        return
    typer.echo(f"{n} images in {summary['seconds']} s -> {out} "
               f"(train {summary['splits']['train2017']}, val {summary['splits']['val2017']}, "
               f"test {summary['splits']['test2017']})")
    if masks:
        _compute_masks(out, None, "auto", workers or (os.cpu_count() or 1), console)


@app.command("masks")
def masks_command(
    data: Path = typer.Option(..., "--data", help="Data set folder (VISPR layout, synthetic, or VOC)."),
    split: list[str] = typer.Option([], "--split", help="Split(s) to cover (default: all present)."),
    human: str = typer.Option("auto", "--human", help="auto | person (MediaPipe + faces) | faces (face-derived bodies)."),
    workers: int = typer.Option(1, "--workers", help="Processes."),
) -> None:
    """Compute the human/text masks cache beside a data set (once; later runs reuse it)."""
    from rich.console import Console

    _compute_masks(data, split or None, human, workers, Console(stderr=True))


def _compute_masks(data: Path, splits: Optional[list[str]], human: str, workers: int, console: Any) -> None:
    from redactor.errors import RedactorError

    try:
        from training.masks import precompute_masks
    except ImportError as error:
        fail(f"mask precomputation needs the `train` extra: {error}")
        return
    try:
        with _progress(console) as progress:
            task = progress.add_task("masks", total=None)
            summary = precompute_masks(
                data, splits, human=human, workers=workers,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except RedactorError as error:
        fail(str(error))
        return
    typer.echo(f"masks: {summary.computed} computed, {summary.reused} reused in "
               f"{summary.seconds:.1f} s ({summary.fingerprint})")


# --- train, evaluate (PrivObfNet) ---
@app.command("train")
def train_command(
    data: Path = typer.Option(..., "--data", help="Data set folder: VISPR layout, `redact synth` output, or PASCAL VOC 2012."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (.json or .toml) over the paper's defaults."),
    set_: list[str] = typer.Option([], "--set", help="Override one config key: --set lr=0.01 (repeatable)."),
    out: Path = typer.Option(Path("runs/privobfnet"), "--out", help="Folder for last.pt, model.pt, metrics.jsonl."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue from this checkpoint (its config, model and optimiser)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (same as --set seed=N)."),
) -> None:
    """Train PrivObfNet (runs unchanged under `torchrun --nproc_per_node N -m redactor.cli train ...`)."""
    from redactor.errors import RedactorError

    try:
        from training.config import make_config, parse_overrides
        from training.progress import RichReporter
        from training.trainer import resume_config, train
    except ImportError as error:
        fail(f"training needs the `train` extra (pip install -e '.[train]'): {error}")
        return
    try:
        overrides = parse_overrides(set_)
        if seed is not None:
            overrides["seed"] = str(seed)
        settings = resume_config(resume, config, overrides) if resume else make_config(config, overrides)
        result = train(data, settings, out, resume=resume, reporter=RichReporter())
    except RedactorError as error:
        # A collapsed model (training/collapse.py) exits 3, apart from usage errors.
        fail(str(error), 3 if error.code == "training_collapsed" else 2)
        return
    except FloatingPointError as error:
        fail(str(error))
        return
    if result.is_main:
        typer.echo(f"model: {result.checkpoint}\nmetrics: {result.metrics}")


@app.command("evaluate")
def evaluate_command(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A .pt checkpoint from `redact train` (with --real: also .onnx or .engine)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Data set folder (VISPR layout, synthetic, or VOC)."),
    real: Optional[Path] = typer.Option(None, "--real", help="A real-image set (real_set.json, docs/real_validation.md) instead of --data: ROC AUC per attribute, privacy-score AUC, faces on documents."),
    split: str = typer.Option("test", "--split", help="Split to evaluate (test, val, train; VOC: val, train)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the metrics as JSON here."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    profile: Optional[Path] = typer.Option(None, "--profile", help="Privacy profile for the score targets (default: VISPR user study)."),
    no_masks: bool = typer.Option(False, "--no-iou", help="Skip the mask IoU (faster)."),
    record: bool = typer.Option(
        False, "--record", help="Write each attribute's ROC AUC on this (real-image) set into the "
        "model file as its validity; `redact export` carries it on.",
    ),
) -> None:
    """The paper's metrics (privacy score L1/Pearson/Spearman, attribute accuracy and mAP, mask
    mIoU), or with --real the real-image ones; --record keeps the AUCs in the model file."""
    import json

    from rich.console import Console

    from redactor.errors import RedactorError

    if (data is None) == (real is None):
        fail("give one of --data (a training-format set) or --real (a real-image set)")
        return
    try:
        from training.report import evaluation_tables, real_tables
    except ImportError as error:
        fail(f"evaluation needs the `train` extra (pip install -e '.[train]'): {error}")
        return
    try:
        if real is not None:
            from training.real_eval import evaluate_real

            result = evaluate_real(checkpoint, real, device=device, fused=True)
            dataset = real.resolve().name
        else:
            from training.evaluate import evaluate_checkpoint

            result = evaluate_checkpoint(
                checkpoint, data, split, device=device, batch_size=batch_size,
                privacy_profile=str(profile) if profile else "", with_iou=not no_masks,
            )
            dataset = f"{data.resolve().name}/{split}"
    except ImportError as error:
        fail(f"evaluation needs the `train` extra (pip install -e '.[train]'): {error}")
        return
    except RedactorError as error:
        fail(str(error))
        return
    Console().print(real_tables(result) if real is not None else evaluation_tables(result))
    if record:
        from datetime import datetime, timezone

        from exporters.validity import record_validity
        from training.real_eval import validity_of

        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        validity = validity_of(result, dataset, when)
        try:
            record_validity(checkpoint, validity)
        except RedactorError as error:
            fail(str(error))
            return
        typer.echo(f"validity of {len(validity)} attribute(s) recorded in {checkpoint}")
    if json_path is not None:
        from redactor.files import write_atomic

        write_atomic(json_path, (json.dumps(result, indent=2) + "\n").encode())
        typer.echo(f"metrics: {json_path}")


# --- export, bench (runtime) ---
@app.command("export")
def export_command(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A .pt checkpoint from `redact train`."),
    format_name: str = typer.Option(..., "--format", help="onnx | tensorrt (see the table above)."),
    out: Path = typer.Option(..., "--out", help="Where to write: .onnx, or .engine (+ .engine.json sidecar)."),
    fp16: bool = typer.Option(False, "--fp16", help="tensorrt: half-precision kernels."),
    int8: bool = typer.Option(False, "--int8", help="tensorrt: INT8, calibrated on --calib."),
    calib: Optional[Path] = typer.Option(None, "--calib", help="tensorrt --int8: folder of representative images."),
    batch: Optional[str] = typer.Option(None, "--batch", help="tensorrt: optimisation profile MIN:OPT:MAX (default 1:8:32)."),
    opset: Optional[int] = typer.Option(None, "--opset", help="ONNX opset, 13-20 (default 17)."),
    samples: list[Path] = typer.Option(
        [], "--samples", help="Real images (files or folders) for the parity check; default: the project's samples/ when present."
    ),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the parity figures as JSON here."),
) -> None:
    """Export a checkpoint, reopen it through the runtime and compare it with the torch model.

    \b
    format    file     options
    onnx      .onnx    --opset
    tensorrt  .engine  --opset --fp16 --int8 --calib --batch
    An option a format does not take is an error. The export is kept only if its score,
    attribute probabilities and CAMs match the torch model's on random and real images.
    """
    import json

    from redactor.errors import RedactorError

    try:
        from exporters.export import export
        from exporters.formats import DEFAULT_BATCH, DEFAULT_OPSET, ExportOptions, parse_batch
        from exporters.parity import ParityError, image_files
    except ImportError as error:
        fail(f"export needs torch and onnx (pip install -e '.[train]'): {error}")
        return
    given = {name for name, value in (("fp16", fp16), ("int8", int8), ("calib", calib),
                                      ("batch", batch), ("opset", opset)) if value}
    try:
        options = ExportOptions(
            opset=opset if opset is not None else DEFAULT_OPSET, fp16=fp16, int8=int8, calib=calib,
            batch=parse_batch(batch) if batch else DEFAULT_BATCH, given=frozenset(given),
        )
        real = image_files(samples or [_samples_folder()])
        result = export(checkpoint, format_name, out, options, samples=real)
    except ParityError as error:
        typer.echo("\n".join(error.report.lines()), err=True)
        fail(str(error).splitlines()[0])
        return
    except RedactorError as error:
        fail(str(error))
        return
    typer.echo("\n".join(result.parity.lines()))
    typer.echo(f"wrote {result.path}" + (f" and {result.sidecar}" if result.sidecar else ""))
    if json_path is not None:
        from redactor.files import write_atomic

        payload = {"path": str(result.path), "format": result.format, "parity": result.parity.to_dict()}
        write_atomic(json_path, (json.dumps(payload, indent=2) + "\n").encode())


def _samples_folder() -> Path:
    """The project's committed sample images (a source checkout), for parity on real inputs."""
    return Path(__file__).resolve().parent.parent / "samples"


@app.command("bench")
def bench_command(
    model: list[Path] = typer.Option([], "--model", help="Model files (.pt, .onnx, .engine); repeat the option for several."),
    backbone: Optional[str] = typer.Option(None, "--backbone", help="Time a random-weight PrivObfNet of this backbone (its .pt and .onnx made in a temporary folder)."),
    size: int = typer.Option(448, "--size", help="Input size for --backbone."),
    backend: Optional[str] = typer.Option(None, "--backend", help="Comma-separated: torch, torch-fp16, torch-compile, torch-cudagraph, onnxruntime, tensorrt. Default: each file's own."),
    batch: str = typer.Option("1,8", "--batch", help="Batch sizes, e.g. 1,8,32."),
    precision: str = typer.Option("fp32", "--precision", help="Torch backends: fp32,fp16."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads (default: the CPUs this process may use)."),
    runs: int = typer.Option(20, "--runs", min=1, help="Timed calls per case (at most)."),
    warmup: int = typer.Option(3, "--warmup", min=0, help="Untimed calls first."),
    max_seconds: float = typer.Option(10.0, "--max-seconds", help="Stop timing a case after this long (at least 5 runs)."),
    device_io: bool = typer.Option(False, "--device-io", help="torch/TensorRT: inputs and outputs stay on the GPU."),
    pipeline: list[Path] = typer.Option([], "--pipeline", help="Also time the whole redaction of these images (files or folders; repeatable) per stage, with the first --model."),
    hide: Optional[str] = typer.Option(None, "--hide", help="What --pipeline hides (default: faces and private text)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write every figure as JSON here."),
) -> None:
    """Time the model through each backend: p50/p95 latency, images/s, speed-up over torch eager."""
    import tempfile

    from rich.console import Console

    from redactor.attributes import split_names
    from redactor.errors import RedactorError, UsageError
    from exporters.bench import (
        BenchResult, BenchSettings, bench_pipeline, environment, make_bench_models, parse_batches,
        render_rich, run_bench, split_list, write_json,
    )  # fmt: skip

    err = Console(stderr=True)
    try:
        settings = BenchSettings(
            batches=parse_batches(batch), precisions=tuple(split_list(precision)), device=device,
            warmup=warmup, runs=runs, max_seconds=max_seconds, threads=threads, device_io=device_io,
        )
        with tempfile.TemporaryDirectory(prefix="redact-bench-") as folder:
            models = list(model)
            missing = [str(m) for m in models if not m.is_file()]
            if missing:
                raise UsageError(f"model file not found: {', '.join(missing)}")
            if backbone:
                with err.status(f"making a random-weight {backbone} model ({size} px) and its ONNX export"):
                    models += make_bench_models(backbone, size, Path(folder))
            if not models and not pipeline:
                raise UsageError("give --model FILE (repeatable), --backbone NAME or --pipeline IMAGE")
            if models:
                with err.status("timing") as status:
                    result = run_bench(models, split_list(backend) or None, settings,
                                       progress=lambda text: status.update(f"timing {text}"))
            else:
                result = BenchResult([], settings, environment("cpu"))
            if pipeline:
                pipeline_model = next((m for m in models if m.suffix in (".onnx", ".pt", ".engine")), None)
                with err.status("timing the pipeline"):
                    result.pipeline = bench_pipeline(
                        pipeline, pipeline_model, split_names(hide) if hide else None
                    )
    except RedactorError as error:
        fail(str(error))
        return
    console = Console(width=max(Console().width, 120))  # pipes default to 80 columns: too narrow
    for table in render_rich(result):
        console.print(table)
    if json_path is not None:
        write_json(result, json_path)
        typer.echo(f"json: {json_path}")



# --- serve (daemon) ---
@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to bind; non-loopback is warned about."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port to listen on (0: any free port)."),
    model: str | None = typer.Option(None, help="PrivObfNet model file (.onnx, .pt, .engine)."),
    hide: str = typer.Option("defaults", help="What to hide when a request names nothing."),
    person: bool = typer.Option(False, "--person", help="Load person masks (`human` extra)."),
    trust_model: bool = typer.Option(
        False, "--trust-model", help="Hide attributes only the model finds even if its "
        "real-image validity is unmeasured or under the bar."
    ),
    workers: int = typer.Option(1, min=1, help="Worker threads running the pipeline."),
    batch_size: int = typer.Option(8, min=1, help="Most images per micro-batch."),
    batch_window_ms: float = typer.Option(10.0, min=0, help="How long a lone request waits."),
    max_queue: int = typer.Option(16, min=1, help="Requests taken at once; more get 503."),
    max_mb: float = typer.Option(50.0, min=0.01, help="Largest upload, MiB."),
    max_megapixels: float = typer.Option(40.0, min=0.01, help="Largest decoded image, MP."),
    pixel_budget: float = typer.Option(
        0.0, min=0, help="Decoded MP of all images in work at once (0: --max-megapixels)."
    ),
    timeout: float = typer.Option(120.0, min=0.1, help="Seconds one request may take (then 504)."),
    idle_timeout: float = typer.Option(
        15.0, min=0.1, help="Seconds a connection may sit without a complete request head."
    ),
    body_timeout: float = typer.Option(
        10.0, min=0.1, help="Seconds without a byte of the upload before a 408."
    ),
    max_connections: int = typer.Option(
        32, min=1, help="Open connections per client address; the oldest idle one is closed."
    ),
    extension_id: list[str] = typer.Option(
        [], "--extension-id", help="Another Chrome extension id that may call (with the token)."
    ),
    config_dir: str | None = typer.Option(
        None, help="Folder of the token (default: $XDG_CONFIG_HOME/redactor)."
    ),
    show_token: bool = typer.Option(
        False, "--show-token", help="Print the access token (created if needed) and exit."
    ),
) -> None:
    """Run the local daemon the browser extension (and local tools) send images to."""
    from pathlib import Path

    from redactor import attributes
    from redactor.config_dir import load_or_create_token, token_path
    from redactor.errors import RedactorError
    from redactor.server import ServerConfig, run

    folder = Path(config_dir).expanduser() if config_dir else None
    try:
        if show_token:
            typer.echo(load_or_create_token(folder))
            typer.echo(f"(stored in {token_path(folder)})", err=True)
            return
        if model is not None and not Path(model).is_file():
            fail(f"model file {model} not found; train one with `redact train` or omit --model")
        names = attributes.split_names(hide)
        config = ServerConfig(
            host=host, port=port, model=Path(model) if model else None, person=person,
            trust_model=trust_model,
            hide=None if names in ([], ["defaults"]) else tuple(names),
            workers=workers, max_batch=batch_size, batch_window_ms=batch_window_ms,
            max_pending=max_queue, max_bytes=int(max_mb * 2**20),
            max_pixels=int(max_megapixels * 1_000_000), request_timeout_s=timeout,
            pixel_budget=int(pixel_budget * 1_000_000) or None, idle_timeout_s=idle_timeout,
            body_timeout_s=body_timeout, max_connections_per_peer=max_connections,
            extension_ids=tuple(extension_id), config_dir=folder,
        )  # fmt: skip
        status = run(config)
    except RedactorError as error:
        fail(str(error))
    except OSError as error:  # the port is taken, or the address is not this machine's
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    if status:
        raise typer.Exit(status)


# --- extension (browser extension) ---
@app.command("extension")
def extension_command(
    path: bool = typer.Option(
        False, "--path", help="Print only the unpacked extension's folder (for scripts)."
    ),
    firefox: str | None = typer.Option(
        None, "--firefox", metavar="DIR", help="Also build the Firefox copy into DIR."
    ),
    install_native_host: bool = typer.Option(
        False, "--install-native-host",
        help="Let the extension fetch the daemon's token itself (native messaging).",
    ),
    uninstall_native_host: bool = typer.Option(
        False, "--uninstall-native-host", help="Remove what --install-native-host wrote."
    ),
    browser: str = typer.Option(
        "all", help="Browser for the native host: chromium, chrome, firefox or all."
    ),
    profile: str | None = typer.Option(
        None, metavar="DIR", help="A Chromium user data directory (--user-data-dir) to install to."
    ),
    config_dir: str | None = typer.Option(
        None, help="The daemon's folder of the token, if `redact serve` was given one."
    ),
) -> None:
    """Where the browser extension is and how to load it in Chromium, Chrome, Edge, Firefox."""
    from pathlib import Path

    from redactor.browser_extension import build_firefox, extension_dir, install_steps
    from redactor.errors import RedactorError

    if not (install_native_host or uninstall_native_host) and (
        browser != "all" or profile or config_dir
    ):
        fail("--browser, --profile and --config-dir go with --install-native-host "
             "or --uninstall-native-host")  # fmt: skip
    if install_native_host or uninstall_native_host:
        _native_host_setup(install_native_host, uninstall_native_host, browser, profile,
                           config_dir)  # fmt: skip
        return
    try:
        folder = extension_dir()
        built = build_firefox(Path(firefox).expanduser()) if firefox else None
    except RedactorError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write the Firefox build to {firefox}: {error.strerror or error}")
    typer.echo(str(folder) if path else install_steps(folder, built))


def _native_host_setup(install: bool, uninstall: bool, browser: str, profile: str | None,
                       config_dir: str | None) -> None:  # fmt: skip
    from pathlib import Path

    from redactor import native_host
    from redactor.errors import RedactorError

    if install and uninstall:
        fail("choose one of --install-native-host and --uninstall-native-host")
    profile_dir = Path(profile).expanduser() if profile else None
    try:
        browsers = native_host.browsers_named(browser, profile_dir)
        if uninstall:
            removed = native_host.uninstall(browsers, profile=profile_dir)
            for item in removed:
                typer.echo(f"removed the native host for {item.browser}: {item.manifest}")
            if not removed:
                typer.echo("no native host manifest of redactor was installed there")
            return
        folder = Path(config_dir).expanduser().resolve() if config_dir else None
        for item in native_host.install(browsers, config_dir=folder, profile=profile_dir):
            typer.echo(f"installed the native host for {item.browser}: {item.manifest}")
    except RedactorError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write the native host files: {error.strerror or error}")
    typer.echo("Restart the browser (or reload the extension): it fetches the token by itself.")


@app.command("native-host", hidden=True)
def native_host_command(
    caller: list[str] = typer.Argument(None, hidden=True),  # the browser passes its origin
    config_dir: str | None = typer.Option(None, help="The daemon's folder of the token."),
) -> None:
    """Answer the browser extension's requests for the daemon's token (run by the browser)."""
    from pathlib import Path

    from redactor.config_dir import default_config_dir
    from redactor.native_host import run_host

    folder = Path(config_dir).expanduser() if config_dir else default_config_dir()
    raise typer.Exit(run_host(folder))


if __name__ == "__main__":
    run_app()
