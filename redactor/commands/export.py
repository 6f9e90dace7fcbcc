"""`redact export`: a checkpoint to ONNX or TensorRT, kept only if it matches the torch model."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from redactor.commands import fail


def command(
    checkpoint: Path = typer.Option(
        ..., "--checkpoint", help="A .pt checkpoint from `redact train`."
    ),
    format_name: str = typer.Option(..., "--format", help="onnx | tensorrt (see the table above)."),
    out: Path = typer.Option(
        ..., "--out", help="Where to write: .onnx, or .engine (+ .engine.json sidecar)."
    ),
    fp16: bool = typer.Option(False, "--fp16", help="tensorrt: half-precision kernels."),
    int8: bool = typer.Option(False, "--int8", help="tensorrt: INT8, calibrated on --calib."),
    calib: Optional[Path] = typer.Option(
        None, "--calib", help="tensorrt --int8: folder of representative images."
    ),
    batch: Optional[str] = typer.Option(
        None, "--batch", help="tensorrt: optimisation profile MIN:OPT:MAX (default 1:8:32)."
    ),
    opset: Optional[int] = typer.Option(None, "--opset", help="ONNX opset, 13-20 (default 17)."),
    samples: list[Path] = typer.Option(
        [],
        "--samples",
        help="Real images (files or folders) for the parity check; default: the project's samples/ when present.",
    ),
    json_path: Optional[Path] = typer.Option(
        None, "--json", help="Also write the parity figures as JSON here."
    ),
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

    from redactor.exporters.export import export
    from redactor.exporters.formats import DEFAULT_BATCH, DEFAULT_OPSET, ExportOptions, parse_batch
    from redactor.exporters.parity import ParityError, image_files
    from redactor.errors import first_line

    given = {
        name
        for name, value in (
            ("fp16", fp16),
            ("int8", int8),
            ("calib", calib),
            ("batch", batch),
            ("opset", opset),
        )
        if value
    }
    options = ExportOptions(
        opset=opset if opset is not None else DEFAULT_OPSET,
        fp16=fp16,
        int8=int8,
        calib=calib,
        batch=parse_batch(batch) if batch else DEFAULT_BATCH,
        given=frozenset(given),
    )
    real = image_files(samples or [samples_folder()])
    try:
        result = export(checkpoint, format_name, out, options, samples=real)
    except ParityError as error:  # the figures first, then the one line
        typer.echo("\n".join(error.report.lines()), err=True)
        fail(first_line(error))
    typer.echo("\n".join(result.parity.lines()))
    typer.echo(f"wrote {result.path}" + (f" and {result.sidecar}" if result.sidecar else ""))
    if json_path is not None:
        from redactor.files import write_atomic

        payload = {
            "path": str(result.path),
            "format": result.format,
            "parity": result.parity.to_dict(),
        }
        write_atomic(json_path, (json.dumps(payload, indent=2) + "\n").encode())


def samples_folder() -> Path:
    """The project's committed sample images (a source checkout), for parity on real inputs."""
    return Path(__file__).resolve().parents[2] / "samples"
