"""`redact export`: one entry point over the format table (redactor/exporters/formats.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from redactor.exporters.formats import ExportOptions, check_options
from redactor.exporters.onnx_export import ExportResult, export_onnx
from redactor.errors import ModelError, UsageError


def export(
    checkpoint: str | Path,
    format_name: str,
    out: str | Path,
    options: ExportOptions = ExportOptions(),
    *,
    samples: Sequence[Path] = (),
    seed: int | None = None,
) -> ExportResult:
    """Export `checkpoint` to `out` in `format_name`, then reopen it through the runtime and
    compare it with the torch model on random inputs and on `samples` (real images).
    UsageError for options the format does not take; ParityError (nothing written) when the
    export does not match."""
    spec = check_options(format_name, options)
    out = Path(out)
    if out.suffix.lower() != spec.suffix:
        raise UsageError(
            f"--out must end in {spec.suffix} for --format {spec.name} "
            f"(the runtime picks the backend by file type), got {out.name}"
        )
    if not Path(checkpoint).is_file():
        raise ModelError(f"checkpoint {checkpoint} does not exist; train one with `redact train`")
    if spec.name == "onnx":
        return export_onnx(checkpoint, out, opset=options.opset, samples=samples, seed=seed)
    from redactor.exporters.tensorrt_build import export_tensorrt

    return export_tensorrt(checkpoint, out, options, samples=samples, seed=seed)


__all__ = ["export"]
