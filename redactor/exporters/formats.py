"""The export formats and the options each one takes: one table, checked in one place.

    format     file     options
    onnx       .onnx    --opset
    tensorrt   .engine  --opset --fp16 --int8 --calib --batch

An option a format does not take is a UsageError that names what the format does take, so
`redact export --format onnx --fp16` fails instead of silently writing an fp32 file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from redactor.errors import UsageError

DEFAULT_OPSET = 17
OPSETS = range(13, 21)  # torch's TorchScript exporter writes opsets up to 20
DEFAULT_BATCH = (1, 8, 32)  # TensorRT optimisation profile: min, opt, max


@dataclass(frozen=True)
class FormatSpec:
    name: str
    suffix: str
    options: tuple[str, ...]  # the option names it accepts (ExportOptions fields)
    description: str
    needs: str = ""  # what must be installed to write it


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            "onnx",
            ".onnx",
            ("opset",),
            "ONNX, dynamic batch, ModelMeta in metadata_props; runs on ONNX Runtime",
        ),
        FormatSpec(
            "tensorrt",
            ".engine",
            ("opset", "fp16", "int8", "calib", "batch"),
            "TensorRT engine built from the ONNX export, with a .engine.json sidecar",
            needs="tensorrt (the `tensorrt` extra) and an NVIDIA GPU",
        ),
    )
}

OPTION_FLAGS = {
    "opset": "--opset",
    "fp16": "--fp16",
    "int8": "--int8",
    "calib": "--calib",
    "batch": "--batch",
}


@dataclass(frozen=True)
class ExportOptions:
    """Everything `redact export` can be told. `given` names the options the user set, so a
    default never counts as asking for an option."""

    opset: int = DEFAULT_OPSET
    fp16: bool = False
    int8: bool = False
    calib: Path | None = None
    batch: tuple[int, int, int] = DEFAULT_BATCH
    given: frozenset[str] = field(default_factory=frozenset)

    @property
    def precision(self) -> str:
        return "int8" if self.int8 else "fp16" if self.fp16 else "fp32"


def format_spec(name: str) -> FormatSpec:
    spec = FORMATS.get(name)
    if spec is None:
        raise UsageError(f"unknown export format {name!r}; valid: {', '.join(FORMATS)}")
    return spec


def check_options(format_name: str, options: ExportOptions) -> FormatSpec:
    """UsageError for an option the format does not take, or options that contradict."""
    spec = format_spec(format_name)
    foreign = sorted(options.given - set(spec.options), key=list(OPTION_FLAGS).index)
    if foreign:
        flags = ", ".join(OPTION_FLAGS[name] for name in foreign)
        takes = " ".join(OPTION_FLAGS[name] for name in spec.options) or "no options"
        raise UsageError(
            f"{flags} is not an option of --format {spec.name} (it takes: {takes}); "
            f"see `redact export --help` for the table of formats"
        )
    if options.opset not in OPSETS:
        raise UsageError(f"--opset must be {OPSETS.start}..{OPSETS.stop - 1}, got {options.opset}")
    if options.int8 and options.calib is None:
        raise UsageError(
            "--int8 needs --calib DIR: a folder of representative images to "
            "calibrate the INT8 ranges on"
        )
    if options.calib is not None and not options.int8:
        raise UsageError("--calib is only used with --int8")
    if options.calib is not None and not Path(options.calib).is_dir():
        raise UsageError(f"--calib {options.calib} is not a folder of images")
    low, opt, high = options.batch
    if not 1 <= low <= opt <= high:
        raise UsageError(
            f"--batch wants MIN:OPT:MAX with 1 <= MIN <= OPT <= MAX, got {low}:{opt}:{high}"
        )
    return spec


def parse_batch(text: str) -> tuple[int, int, int]:
    """ "1:8:32" -> (1, 8, 32); "8" -> (8, 8, 8)."""
    parts = text.split(":")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) == 1:
        values = values * 3
    if len(values) != 3 or not 1 <= values[0] <= values[1] <= values[2]:
        raise UsageError(
            f"--batch wants MIN:OPT:MAX like 1:8:32 (1 <= MIN <= OPT <= MAX), got {text!r}"
        )
    return values  # type: ignore[return-value]


def format_table() -> list[tuple[str, str, str, str]]:
    """(format, file type, options, description) rows, for help texts and the README."""
    return [
        (spec.name, spec.suffix, " ".join(OPTION_FLAGS[o] for o in spec.options), spec.description)
        for spec in FORMATS.values()
    ]


__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_OPSET",
    "ExportOptions",
    "FORMATS",
    "FormatSpec",
    "OPSETS",
    "check_options",
    "format_spec",
    "format_table",
    "parse_batch",
]
