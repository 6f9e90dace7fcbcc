"""Parity: an exported model, reopened through `open_model`, against the torch model it came
from, on fresh random inputs and on real images (timm's `onnx_export` check, ultralytics'
export tests). Max and mean absolute differences per output; out of tolerance is an error.

CAMs are compared as the runtime returns them: each map divided by its own maximum. A map that
is almost all zero (an absent attribute) amplifies rounding there, hence the looser CAM bound.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from redactor.errors import ModelError
from redactor.model_meta import ModelMeta
from redactor.runtime import OUTPUT_NAMES, ModelRuntime, preprocess


@dataclass(frozen=True)
class Tolerance:
    """Largest allowed (max, mean) absolute difference per output."""

    score: tuple[float, float]
    attributes: tuple[float, float]
    cams: tuple[float, float]

    def of(self, name: str) -> tuple[float, float]:
        return getattr(self, name)


TOLERANCES: dict[str, Tolerance] = {
    "fp32": Tolerance(score=(1e-4, 2e-5), attributes=(1e-4, 2e-5), cams=(5e-3, 1e-4)),
    # fp32 on NVIDIA GPUs: cuDNN and TensorRT run convolutions in TF32 (10-bit mantissa)
    "tf32": Tolerance(score=(2e-3, 5e-4), attributes=(2e-3, 5e-4), cams=(5e-2, 2e-3)),
    "fp16": Tolerance(score=(2e-2, 5e-3), attributes=(2e-2, 5e-3), cams=(0.15, 1e-2)),
    "int8": Tolerance(score=(0.1, 0.03), attributes=(0.15, 0.04), cams=(0.5, 0.06)),
}


@dataclass
class Difference:
    output: str
    inputs: str  # "random" | "real"
    max_abs: float
    mean_abs: float
    limit: tuple[float, float]

    @property
    def ok(self) -> bool:
        return bool(self.max_abs <= self.limit[0] and self.mean_abs <= self.limit[1])


@dataclass
class ParityReport:
    candidate: str  # what was compared (backend description)
    precision: str
    seed: int
    real_images: list[str] = field(default_factory=list)
    rows: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def lines(self) -> list[str]:
        head = (
            f"parity of {self.candidate} with torch (fp32, CPU), {self.precision} tolerance; "
            f"random seed {self.seed}; real images: {len(self.real_images)}"
        )
        rows = [f"  {'output':<11}{'inputs':<8}{'max abs':>11}{'mean abs':>11}   limit (max, mean)"]
        for r in self.rows:
            flag = "" if r.ok else "   OUT OF TOLERANCE"
            rows.append(
                f"  {r.output:<11}{r.inputs:<8}{r.max_abs:>11.2e}{r.mean_abs:>11.2e}"
                f"   {r.limit[0]:.0e}, {r.limit[1]:.0e}{flag}"
            )
        return [head, *rows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "precision": self.precision,
            "seed": self.seed,
            "real_images": self.real_images,
            "ok": self.ok,
            "rows": [
                {
                    "output": r.output,
                    "inputs": r.inputs,
                    "max_abs": r.max_abs,
                    "mean_abs": r.mean_abs,
                    "limit": list(r.limit),
                    "ok": r.ok,
                }
                for r in self.rows
            ],
        }


class ParityError(ModelError):
    """An export whose outputs differ from the torch model's beyond tolerance."""

    code = "export_parity"

    def __init__(self, message: str, report: ParityReport) -> None:
        super().__init__(message)
        self.report = report


def image_files(folder_or_files: Sequence[Path]) -> list[Path]:
    """Image files among paths (folders are listed, not recursed), sorted."""
    from redactor.imageio import IMAGE_SUFFIXES  # the endings of the one format table

    found: list[Path] = []
    for path in folder_or_files:
        path = Path(path)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
        elif path.is_file():
            found.append(path)
    return found


def load_rgb(paths: Sequence[Path]) -> list[np.ndarray]:
    from redactor.imageio import load

    return [load(path).pixels for path in paths]


def parity_inputs(
    meta: ModelMeta, real: Sequence[Path], seed: int, random_count: int = 3
) -> dict[str, np.ndarray]:
    """{"random": N(0, 1) in the normalised space (about what images give), "real": images}."""
    height, width = meta.input_size
    rng = np.random.default_rng(seed)
    inputs = {"random": rng.standard_normal((random_count, 3, height, width)).astype(np.float32)}
    if real:
        inputs["real"] = preprocess(load_rgb(real), meta)
    return inputs


def torch_reference(module: Any) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """The fp32 CPU torch model as a numpy function (the reference every export is held to)."""
    import torch

    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        with torch.inference_mode():
            outputs = module(torch.from_numpy(batch))
        return {name: t.float().numpy() for name, t in zip(OUTPUT_NAMES, outputs)}

    return run


def compare(
    reference: Callable[[np.ndarray], dict[str, np.ndarray]],
    candidate: ModelRuntime,
    real: Sequence[Path] = (),
    *,
    precision: str = "fp32",
    seed: int | None = None,
) -> ParityReport:
    """Run both on the same inputs; raise ParityError when out of tolerance."""
    seed = secrets.randbits(31) if seed is None else seed  # fresh inputs each export
    tolerance = TOLERANCES[precision]
    real = list(real)
    report = ParityReport(candidate.describe(), precision, seed, [p.name for p in real])
    for kind, batch in parity_inputs(candidate.meta, real, seed).items():
        expected = reference(batch)
        got = candidate(batch)
        for name in OUTPUT_NAMES:
            if got[name].shape != expected[name].shape:
                raise ModelError(
                    f"{name} has shape {got[name].shape} in the export, "
                    f"{expected[name].shape} in torch"
                )
            diff = np.abs(got[name].astype(np.float64) - expected[name].astype(np.float64))
            if not np.isfinite(diff).all():
                diff = np.where(np.isfinite(diff), diff, np.inf)
            report.rows.append(
                Difference(name, kind, float(diff.max()), float(diff.mean()), tolerance.of(name))
            )
    if not report.ok:
        bad = sorted({f"{r.output} ({r.inputs})" for r in report.rows if not r.ok})
        raise ParityError(
            f"the export differs from the torch model beyond the {precision} tolerance in "
            f"{', '.join(bad)}; it was not kept. Differences:\n" + "\n".join(report.lines()),
            report,
        )
    return report


__all__ = [
    "Difference",
    "ParityError",
    "ParityReport",
    "TOLERANCES",
    "Tolerance",
    "compare",
    "image_files",
    "load_rgb",
    "parity_inputs",
    "torch_reference",
]
