"""`redact bench`: the model through each backend, and optionally the whole pipeline per stage."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def command(
    model: list[Path] = typer.Option(
        [], "--model", help="Model files (.pt, .onnx, .engine); repeat the option for several."
    ),
    backbone: Optional[str] = typer.Option(
        None,
        "--backbone",
        help="Time a random-weight PrivObfNet of this backbone (its .pt and .onnx made in a temporary folder).",
    ),
    size: int = typer.Option(448, "--size", help="Input size for --backbone."),
    backend: Optional[str] = typer.Option(
        None,
        "--backend",
        help="Comma-separated: torch, torch-fp16, torch-compile, torch-cudagraph, onnxruntime, tensorrt. Default: each file's own.",
    ),
    batch: str = typer.Option("1,8", "--batch", help="Batch sizes, e.g. 1,8,32."),
    precision: str = typer.Option("fp32", "--precision", help="Torch backends: fp32,fp16."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    threads: Optional[int] = typer.Option(
        None, "--threads", help="CPU threads (default: the CPUs this process may use)."
    ),
    runs: int = typer.Option(20, "--runs", min=1, help="Timed calls per case (at most)."),
    warmup: int = typer.Option(3, "--warmup", min=0, help="Untimed calls first."),
    max_seconds: float = typer.Option(
        10.0, "--max-seconds", help="Stop timing a case after this long (at least 5 runs)."
    ),
    device_io: bool = typer.Option(
        False, "--device-io", help="torch/TensorRT: inputs and outputs stay on the GPU."
    ),
    pipeline: list[Path] = typer.Option(
        [],
        "--pipeline",
        help="Also time the whole redaction of these images (files or folders; repeatable) per stage, with the first --model.",
    ),
    hide: Optional[str] = typer.Option(
        None, "--hide", help="What --pipeline hides (default: faces and private text)."
    ),
    json_path: Optional[Path] = typer.Option(
        None, "--json", help="Write every figure as JSON here."
    ),
) -> None:
    """Time the model through each backend: p50/p95 latency, images/s, speed-up over torch eager."""
    import tempfile

    from rich.console import Console

    from redactor.exporters.bench import (
        BenchResult, BenchSettings, bench_pipeline, environment, make_bench_models, parse_batches,
        render_rich, run_bench, split_list, write_json,
    )  # fmt: skip
    from redactor.attributes import parse_hide
    from redactor.errors import UsageError

    err = Console(stderr=True)
    settings = BenchSettings(
        batches=parse_batches(batch),
        precisions=tuple(split_list(precision)),
        device=device,
        warmup=warmup,
        runs=runs,
        max_seconds=max_seconds,
        threads=threads,
        device_io=device_io,
    )
    with tempfile.TemporaryDirectory(prefix="redact-bench-") as folder:
        models = list(model)
        missing = [str(m) for m in models if not m.is_file()]
        if missing:
            raise UsageError(f"model file not found: {', '.join(missing)}")
        if backbone:
            with err.status(
                f"making a random-weight {backbone} model ({size} px) and its ONNX export"
            ):
                models += make_bench_models(backbone, size, Path(folder))
        if not models and not pipeline:
            raise UsageError("give --model FILE (repeatable), --backbone NAME or --pipeline IMAGE")
        if models:
            with err.status("timing") as status:
                result = run_bench(
                    models,
                    split_list(backend) or None,
                    settings,
                    progress=lambda text: status.update(f"timing {text}"),
                )
        else:
            result = BenchResult([], settings, environment("cpu"))
        if pipeline:
            pipeline_model = next(
                (m for m in models if m.suffix in (".onnx", ".pt", ".engine")), None
            )
            with err.status("timing the pipeline"):
                result.pipeline = bench_pipeline(pipeline, pipeline_model, parse_hide(hide))
    console = Console(width=max(Console().width, 120))  # pipes default to 80 columns: too narrow
    for table in render_rich(result):
        console.print(table)
    if json_path is not None:
        write_json(result, json_path)
        typer.echo(f"json: {json_path}")
