"""`redact run PATH...` (also plain `redact PATH...`): redact files and folders.

The options become a `RedactOptions` (what to hide, how) and a `BatchRequest` (which files,
where to) plus a runner (local processes or Ray); the batch itself is `redactor.batch.redact`.
This module only shows progress and the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from redactor.commands import fail


def command(
    paths: list[str] = typer.Argument(
        ...,
        help="Image files and folders to redact (--engine ray: also s3://, gs://, "
        "hdfs://, file:// URIs).",
    ),
    hide: Optional[str] = typer.Option(
        None,
        "--hide",
        help="What to hide, comma-separated: face,name,address,email,phone,card,"
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
        None,
        "--margin",
        help="Grow each region by this fraction of its size (default: faces " "0.25, text 0.15).",
    ),
    threshold: Optional[str] = typer.Option(
        None, "--threshold", help="Detector thresholds, e.g. faces=0.5,pii=0.4 (lower finds more)."
    ),
    fill_color: str = typer.Option("0,0,0", "--fill-color", help="R,G,B for --mode fill."),
    keep_metadata: bool = typer.Option(
        False,
        "--keep-metadata",
        help="Keep EXIF/XMP/comments (GPS, camera serial...). Default: strip all but the colour profile.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; write no images."),
    preview: bool = typer.Option(
        False,
        "--preview",
        help="Also write <name>.preview.jpg showing what is hidden and why, "
        "into <out>_previews_UNREDACTED/ (they show the originals: never share them).",
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace existing files in the output folder that this tool "
        "did not write, and earlier outputs that hid more (inputs are never replaced).",
    ),
    report: Optional[str] = typer.Option(
        None,
        "--report",
        help="Write the JSON-lines report here (default: report.jsonl in the output folder).",
    ),
    report_text: bool = typer.Option(
        False,
        "--report-text",
        help="Put recognised text in the report (off: private text never leaves memory).",
    ),
    workers: Optional[int] = typer.Option(
        None,
        "--workers",
        "-j",
        min=1,
        help="Worker processes (default 1); --engine ray: "
        "actors (default: up to one per CPU of the cluster).",
    ),
    model: Optional[Path] = typer.Option(
        None,
        "--model",
        help="PrivObfNet model file (.onnx, .pt, .engine), or `default`: the model that ships.",
    ),
    score: bool = typer.Option(
        False,
        "--score",
        help="Report each image's privacy score and attributes with the model that ships "
        "(--model default) unless --model names another.",
    ),
    trust_model: bool = typer.Option(
        False,
        "--trust-model",
        help="Hide attributes only the model finds even if its real-image "
        "AUC is unmeasured or under 0.85 (refused otherwise).",
    ),
    person: bool = typer.Option(False, "--person", help="Load whole-person masks (`human` extra)."),
    engine_name: str = typer.Option(
        "local",
        "--engine",
        help="local: processes on this machine; ray: a Ray cluster "
        "(pip install 'redactor\\[ray]').",
    ),
    address: Optional[str] = typer.Option(
        None,
        "--address",
        help="--engine ray: the cluster, auto or ray://host:port "
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

    from redactor.attributes import parse_hide
    from redactor.batch import BatchRequest, RedactorSetup, LocalRunner
    from redactor.default_model import DEFAULT
    from redactor.errors import RedactorError
    from redactor.pipeline import RedactOptions

    err = Console(stderr=True)
    try:
        options = RedactOptions(
            hide=parse_hide(hide),
            mode=mode,
            margin=margin,
            fill_color=parse_color(fill_color),
            keep_metadata=keep_metadata,
            thresholds=parse_thresholds(threshold),
            report_text=report_text,
            trust_model=trust_model,
        )
        if score and model is None:
            model = Path(DEFAULT)
        setup = RedactorSetup(model=model, person=person)
        on_ray = use_ray(
            engine_name,
            [*paths, out, report],
            address=address,
            gpus_per_worker=gpus_per_worker,
            batch_size=batch_size,
        )
        request = BatchRequest(
            inputs=tuple(paths),
            out=out,
            report=report,
            recursive=recursive,
            dry_run=dry_run,
            preview=preview,
            overwrite=overwrite,
            resume=on_ray,
        )
        if on_ray:
            from redactor.engines.ray_engine import RayCluster, RayRunner

            runner: Any = RayRunner(
                setup,
                RayCluster(
                    address=address,
                    workers=workers,
                    gpus_per_worker=gpus_per_worker or 0.0,
                    batch_size=batch_size or RayCluster.batch_size,
                ),
            )
        else:
            runner = LocalRunner(setup, workers or 1)
        summary = _redact_with_progress(request, options, runner, err)
    except RedactorError:
        raise  # the app's boundary: one line, exit 2
    except KeyboardInterrupt:  # before any image was started: nothing to report
        err.print("interrupted: nothing was redacted")
        raise typer.Exit(130) from None
    except Exception as error:  # noqa: BLE001 - the last resort: one line, details in a file
        fail(crash_note(error), code=1)
    print_summary(summary, dry_run=dry_run, err=err)
    if summary.interrupted:
        again = " (run the same command again to go on)" if on_ray else ""
        err.print(
            f"interrupted: {summary.done} of "
            f"{summary.planned} images done (listed in the report){again}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(130)
    if summary.failed:
        raise typer.Exit(1)


def _redact_with_progress(request: Any, options: Any, runner: Any, err: Any) -> Any:
    from redactor.batch import redact
    from redactor.commands.progress import progress_bar

    # The bar shows once every check has passed (a refusal is one line, nothing else).
    progress = progress_bar(err)
    task = progress.add_task("redacting" if not request.dry_run else "analysing", total=None)

    def on_start(plan: Any, pending: list) -> None:
        from rich.markup import escape

        progress.update(task, total=len(pending))
        progress.start()
        for note in plan.notes:  # files and folders it cannot use, named before the work
            if note.failed:
                progress.console.print(
                    f"[red]failed[/red] {escape(note.shown)}: " f"{escape(note.entry['error'])}",
                    highlight=False,
                    soft_wrap=True,
                )
        if len(pending) < len(plan.jobs):
            progress.console.print(
                f"resuming: {len(plan.jobs) - len(pending)} of {len(plan.jobs)} images "
                "were done by an earlier run (kept)",
                highlight=False,
            )

    def on_result(outcome: Any) -> None:
        """One finished image, either engine: a line if it failed, a tick."""
        from rich.markup import escape

        if outcome.failed:
            progress.console.print(
                f"[red]failed[/red] {escape(outcome.job.src.shown)}: "
                f"{escape(str(outcome.entry.get('error')))}",
                highlight=False,
                soft_wrap=True,
            )
        progress.advance(task)

    try:
        return redact(request, options, runner, on_start=on_start, on_result=on_result)
    finally:
        if progress.live.is_started:
            progress.stop()


def crash_note(error: BaseException) -> str:
    """Writes the traceback to a private file; -> the line the user sees."""
    import tempfile
    import traceback

    from redactor.errors import first_line

    try:
        descriptor, path = tempfile.mkstemp(prefix="redact-crash-", suffix=".txt")
        with open(descriptor, "w") as stream:
            stream.write("".join(traceback.format_exception(error)))
        where = f"details in {path}"
    except OSError:
        where = "no details could be saved"
    return (
        f"internal error ({type(error).__name__}: {first_line(str(error))}); {where}; "
        "please report it (files already written are listed in the report)"
    )


def parse_thresholds(text: Optional[str]) -> dict[str, float]:
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
            raise UsageError(
                f"--threshold wants NAME=VALUE pairs like faces=0.5,pii=0.4, got {part.strip()!r}"
            ) from None
    return thresholds


def parse_color(text: str) -> tuple[int, int, int]:
    from redactor.errors import UsageError

    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(int(p) for p in parts)
        if len(values) != 3 or not all(0 <= v <= 255 for v in values):
            raise ValueError
    except ValueError:
        raise UsageError(f"--fill-color wants R,G,B with values 0-255, got {text!r}") from None
    return values  # type: ignore[return-value]


def use_ray(
    engine_name: str, locations: list, *, address: Any, gpus_per_worker: Any, batch_size: Any
) -> bool:
    """True for --engine ray; UsageError for an unknown engine or Ray-only options without it."""
    from redactor.engines.storage import is_uri
    from redactor.errors import UsageError

    if engine_name not in ("local", "ray"):
        raise UsageError(f"unknown --engine {engine_name!r}; valid: local, ray")
    if engine_name == "ray":
        return True
    given = [
        name
        for name, value in (
            ("--address", address),
            ("--gpus-per-worker", gpus_per_worker),
            ("--batch-size", batch_size),
        )
        if value is not None
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --engine ray"
        )
    uris = [str(x) for x in locations if x is not None and is_uri(str(x))]
    if uris:
        raise UsageError(f"{uris[0]}: URIs (s3://, gs://, hdfs://, file://) need --engine ray")
    return False


def print_summary(summary: Any, *, dry_run: bool, err: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Files not redacted are named, each once (a long list: the first ones, then the report).
    shown_most = 20
    for name in summary.skipped_files[:shown_most]:
        err.print(
            f"[yellow]skipped[/yellow] {escape(name)}: not an image it can redact",
            highlight=False,
            soft_wrap=True,
        )
    if len(summary.skipped_files) > shown_most:
        err.print(
            f"... and {len(summary.skipped_files) - shown_most} more skipped files, "
            "named in the report",
            highlight=False,
        )
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
        table.add_row(
            "[bold red]previews: UNREDACTED originals, never share[/bold red]", escape(folder)
        )
    for path in summary.reports:
        table.add_row("report", escape(path))
    Console().print(table)
    for line in summary.warnings:
        err.print(f"[bold red]warning[/bold red]: {escape(line)}", highlight=False, soft_wrap=True)
    for folder in summary.previews:
        err.print(
            f"[bold red]warning[/bold red]: the previews in {escape(folder)} show the "
            "UNREDACTED originals; do not share them",
            highlight=False,
            soft_wrap=True,
        )
