"""`redact bench`: the same model through every backend, side by side.

For each model file x backend x precision x batch: warm-up calls, then timed calls (each one
synchronised with the device), p50/p95 latency per call, images per second at p50, and the
speed-up over torch eager fp32 on the same device at the same batch. `--pipeline` times the
whole redaction of real images, stage by stage, from the Redactor's own report timings.

Needs only numpy plus what the chosen backends need (torch, onnxruntime, tensorrt), so it also
runs as `python -m redactor.exporters.bench ...` on a GPU machine without typer or rich (the lent GPU
machines have torch, onnx and onnxruntime only): see benchmarks/gpu_check.sh.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from redactor.errors import RedactorError, UsageError, first_line
from redactor.files import write_text_atomic
from redactor.runtime import BACKENDS, DEFAULT_BACKEND, PRECISIONS, open_model

TORCH_BACKENDS = tuple(name for name, spec in BACKENDS.items() if spec.suffix == ".pt")
GPU_ONLY = ("torch-cudagraph", "tensorrt")


@dataclass(frozen=True)
class BenchSettings:
    batches: tuple[int, ...] = (1, 8)
    precisions: tuple[str, ...] = ("fp32",)
    device: str = "auto"  # auto | cpu | cuda
    warmup: int = 3
    runs: int = 20  # timed calls per case, at most
    min_runs: int = 5  # ... and at least, even past max_seconds
    max_seconds: float = 10.0  # stop timing a case after this long
    threads: int | None = None  # CPU intra-op threads (None: the CPUs this process may use)
    device_io: bool = False  # torch/TensorRT: inputs and outputs stay on the device


@dataclass
class BenchRow:
    model: str
    backend: str
    precision: str
    device: str
    batch: int
    runtime: str = ""  # what actually ran (provider, device)
    runs: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    mean_ms: float | None = None
    images_per_s: float | None = None
    speedup: float | None = None  # over torch eager fp32, same device and batch
    error: str | None = None


@dataclass
class BenchResult:
    rows: list[BenchRow]
    settings: BenchSettings
    environment: dict[str, Any]
    pipeline: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "settings": asdict(self.settings),
            "rows": [asdict(r) for r in self.rows],
            "pipeline": self.pipeline,
        }


def resolve_device(device: str, models: Sequence[Path]) -> str:
    if device != "auto":
        return device
    if any(Path(m).suffix == ".engine" for m in models):
        return "cuda"
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def plan_cases(
    models: Sequence[Path], backends: Sequence[str] | None, settings: BenchSettings, device: str
) -> list[tuple[Path, str, str]]:
    """(model, backend, precision) to run. Torch eager fp32 comes first for every checkpoint:
    it is the reference of the speed-up column."""
    for name in backends or ():
        if name not in BACKENDS:
            raise UsageError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")
    for precision in settings.precisions:
        if precision not in PRECISIONS:
            raise UsageError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    for batch in settings.batches:
        if batch < 1:
            raise UsageError(f"batch sizes must be at least 1, got {batch}")
    cases: list[tuple[Path, str, str]] = []
    used: set[str] = set()
    for model in models:
        model = Path(model)
        suffix = model.suffix.lower()
        if suffix not in DEFAULT_BACKEND:
            raise UsageError(
                f"{model.name}: unknown model file type; valid: {', '.join(DEFAULT_BACKEND)}"
            )
        fitting = [
            b for b in (backends or [DEFAULT_BACKEND[suffix]]) if BACKENDS[b].suffix == suffix
        ]
        used.update(fitting)
        if suffix == ".pt":
            cases.append((model, "torch", "fp32"))
        for backend in fitting:
            spec = BACKENDS[backend]
            if suffix != ".pt":
                cases.append((model, backend, "file"))  # ONNX and engines keep their own precision
                continue
            for precision in [spec.precision] if spec.precision else settings.precisions:
                if (model, backend, precision) not in cases:
                    cases.append((model, backend, precision))
    unused = [b for b in (backends or ()) if b not in used]
    if unused:
        needs = ", ".join(f"{b} reads {BACKENDS[b].suffix}" for b in unused)
        raise UsageError(f"no --model file fits backend {', '.join(unused)} ({needs})")
    return cases


def time_case(
    call: Callable[[], Any], sync: Callable[[], None], settings: BenchSettings
) -> list[float]:
    for _ in range(settings.warmup):
        call()
        sync()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < settings.runs and (
        len(times) < settings.min_runs or time.perf_counter() - started < settings.max_seconds
    ):
        t0 = time.perf_counter()
        call()
        sync()
        times.append(time.perf_counter() - t0)
    return times


def run_bench(
    models: Sequence[Path],
    backends: Sequence[str] | None = None,
    settings: BenchSettings = BenchSettings(),
    *,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Every case; a backend that cannot run here (no CUDA, no TensorRT) gives a row with
    `error` set instead of stopping the others."""
    device = resolve_device(settings.device, models)
    cases = plan_cases(models, backends, settings, device)
    rows: list[BenchRow] = []
    rng = np.random.default_rng(0)
    for model_path, backend, precision in cases:
        label = f"{model_path.name} {backend} {precision}"
        try:
            model = open_model(
                model_path,
                backend,
                device=device,
                precision="fp32" if precision == "file" else precision,
                threads=settings.threads,
            )
        except (RedactorError, ImportError, RuntimeError) as error:
            for batch in settings.batches:
                rows.append(
                    BenchRow(
                        model_path.name,
                        backend,
                        precision,
                        device,
                        batch,
                        error=first_line(error, limit=160),
                    )
                )
            continue
        precision = model.precision if precision == "file" else precision
        height, width = model.meta.input_size
        sync = getattr(model, "synchronize", lambda: None)
        for batch in settings.batches:
            if progress:
                progress(f"{label} batch {batch}")
            row = BenchRow(
                model_path.name, backend, precision, model.device, batch, model.describe()
            )
            rows.append(row)
            inputs = rng.standard_normal((batch, 3, height, width)).astype(np.float32)
            try:
                if settings.device_io and hasattr(model, "run_tensor"):
                    call: Callable[[], Any] = partial(model.run_tensor, model.to_device(inputs))
                else:
                    call = partial(model, inputs)
                times = np.asarray(time_case(call, sync, settings)) * 1000.0
            except (RedactorError, RuntimeError, MemoryError) as error:
                row.error = first_line(error, limit=160)
                continue
            row.runs = len(times)
            row.p50_ms = float(np.percentile(times, 50))
            row.p95_ms = float(np.percentile(times, 95))
            row.mean_ms = float(times.mean())
            row.images_per_s = batch / (row.p50_ms / 1000.0)
        del model  # free its memory before the next backend loads
    _speedups(rows)
    return BenchResult(rows, settings, environment(device))


def _speedups(rows: list[BenchRow]) -> None:
    reference = {
        (r.device, r.batch): r.p50_ms
        for r in rows
        if r.backend == "torch" and r.precision == "fp32" and r.p50_ms
    }
    for row in rows:
        base = reference.get((row.device, row.batch))
        if base and row.p50_ms:
            row.speedup = base / row.p50_ms


def environment(device: str) -> dict[str, Any]:
    from redactor import __version__
    from redactor.processes import cpu_threads

    info: dict[str, Any] = {
        "redactor": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_threads": cpu_threads(),
        "device": device,
    }
    try:
        import onnxruntime

        info["onnxruntime"] = onnxruntime.__version__
        info["onnxruntime_providers"] = onnxruntime.get_available_providers()
    except ImportError:
        pass
    if "torch" in sys.modules or device == "cuda":
        try:
            import torch

            info["torch"] = torch.__version__
            info["torch_threads"] = torch.get_num_threads()
            if torch.cuda.is_available():
                info["gpu"] = torch.cuda.get_device_name()
                info["cuda"] = torch.version.cuda
        except ImportError:
            pass
    try:
        import tensorrt

        info["tensorrt"] = tensorrt.__version__
    except ImportError:
        pass
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# -- the whole pipeline -------------------------------------------------------------------------


def bench_pipeline(
    images: Sequence[Path], model: Path | None, hide: Sequence[str] | None, repeats: int = 3
) -> dict[str, Any]:
    """Redact each image `repeats` times in memory (after one warm-up run); per stage the
    median seconds per image, from the reports' own timings (decode ... encode)."""
    from redactor.exporters.parity import image_files
    from redactor.pipeline import STAGES, RedactOptions, Redactor

    for path in images:
        if not Path(path).exists():
            raise UsageError(f"--pipeline: {path} does not exist")
    files = image_files([Path(p) for p in images])  # folders: their images
    if not files:
        raise UsageError("--pipeline: no images found (give image files or folders of them)")
    started = time.perf_counter()
    redactor = Redactor(model=model)
    options = RedactOptions(hide=tuple(hide) if hide else None)
    redactor.warm_up(options)  # builds the detectors `options` needs
    load_s = time.perf_counter() - started
    per_image: list[dict[str, float]] = []
    totals: list[float] = []
    for path in files:
        data = path.read_bytes()
        redactor.redact_bytes(data, options)  # warm-up on this size
        runs: list[dict[str, float]] = []
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            _, report = redactor.redact_bytes(data, options)
            runs.append({**report.timings, "total": time.perf_counter() - t0})
        stages = sorted({k for r in runs for k in r})
        per_image.append({k: float(np.median([r.get(k, 0.0) for r in runs])) for k in stages})
        totals.append(per_image[-1]["total"])
    order = [s for s in STAGES if any(s in p for p in per_image)]
    stage_ms = {s: 1000.0 * float(np.mean([p.get(s, 0.0) for p in per_image])) for s in order}
    total_ms = 1000.0 * float(np.mean(totals))
    return {
        "images": [p.name for p in files],
        "repeats": repeats,
        "model": str(model) if model else None,
        "hide": sorted(redactor.resolve_hide(options.hide)),
        "load_s": load_s,
        "stage_ms": stage_ms,
        "total_ms": total_ms,
        "images_per_s": 1000.0 / total_ms,
        "per_image_ms": {
            p.name: {k: 1000.0 * v for k, v in t.items()} for p, t in zip(files, per_image)
        },
    }


# -- a model to time when there is no trained one -----------------------------------------------


def make_bench_models(backbone: str, size: int, folder: Path, *, onnx: bool = True) -> list[Path]:
    """A PrivObfNet with random weights (as fast as a trained one) for the 68 VISPR
    attributes: `<backbone>.pt` and, with `onnx`, its verified `<backbone>.onnx`."""
    import torch

    from redactor import attributes
    from redactor.model import ModelArgs, ModelMeta, PrivObfNet, save_checkpoint

    torch.manual_seed(0)
    kinds = attributes.mask_type_vector()
    args = ModelArgs(
        backbone=backbone, num_classes=len(kinds), mask_types=tuple(kinds), use_cropped=False
    )
    network = PrivObfNet(args).eval()
    meta = ModelMeta(
        attribute_ids=list(attributes.VISPR_IDS),
        mask_types=list(kinds),
        backbone=backbone,
        input_size=(size, size),
        stride=network.stride,
        dataset="random weights (benchmark)",
    )
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = save_checkpoint(folder / f"{backbone}.pt", network, meta)
    paths = [checkpoint]
    if onnx:
        from redactor.exporters.onnx_export import export_onnx

        paths.append(export_onnx(checkpoint, folder / f"{backbone}.onnx").path)
    return paths


# -- rendering ----------------------------------------------------------------------------------

COLUMNS = (
    "model",
    "backend",
    "precision",
    "device",
    "batch",
    "p50 ms",
    "p95 ms",
    "images/s",
    "speed-up",
)


def table_rows(result: BenchResult) -> list[list[str]]:
    rows = []
    for r in result.rows:
        which = [r.model, r.backend, r.precision, r.device, str(r.batch)]
        if r.error:
            rows.append(which + ["-", "-", "-", f"not run: {r.error}"])
            continue
        timings = [f"{r.p50_ms:.2f}", f"{r.p95_ms:.2f}", f"{r.images_per_s:.1f}"]
        rows.append(which + timings + [_ratio(r.speedup)])
    return rows


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.3f}x"


def pipeline_rows(pipeline: dict[str, Any]) -> list[list[str]]:
    total = pipeline["total_ms"]
    rows = [
        [stage, f"{ms:.1f}", f"{100.0 * ms / total:.0f}%"]
        for stage, ms in pipeline["stage_ms"].items()
    ]
    rows.append(["total (wall)", f"{total:.1f}", "100%"])
    return rows


def environment_line(result: BenchResult) -> str:
    env = result.environment
    parts = [env.get("gpu") or env.get("cpu", "?"), f"{env.get('cpu_threads')} CPU threads"]
    for key in ("torch", "onnxruntime", "tensorrt"):
        if key in env:
            parts.append(f"{key} {env[key]}")
    return ", ".join(str(p) for p in parts)


def render_text(result: BenchResult) -> str:
    """A plain table (no rich needed)."""
    lines = [f"bench on {environment_line(result)}"]
    rows = table_rows(result)
    widths = [
        max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(COLUMNS)
    ]
    lines.append("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    if result.pipeline:
        p = result.pipeline
        lines.append(
            f"pipeline: {len(p['images'])} images x {p['repeats']}, hide "
            f"{','.join(p['hide'])}; ms per image by stage"
        )
        lines += [f"  {a:<14}{b:>9}  {c:>5}" for a, b, c in pipeline_rows(p)]
        lines.append(
            f"  images/s: {p['images_per_s']:.2f}; detectors loaded in {p['load_s']:.1f} s"
        )
    return "\n".join(lines)


def render_rich(result: BenchResult) -> list[Any]:
    from rich.table import Table

    table = Table(title=f"redact bench: {environment_line(result)}")
    for column in COLUMNS:
        table.add_column(
            column,
            justify="right"
            if column[0].isdigit() or " " in column or column in ("batch", "images/s", "speed-up")
            else "left",
        )
    for row in table_rows(result):
        table.add_row(*row)
    out: list[Any] = [table] if result.rows else []
    if result.pipeline:
        p = result.pipeline
        stages = Table(title=f"pipeline: {len(p['images'])} images x {p['repeats']} runs")
        for column in ("stage", "ms per image", "share"):
            stages.add_column(column, justify="left" if column == "stage" else "right")
        for row in pipeline_rows(p):
            stages.add_row(*row)
        out.append(stages)
        out.append(
            f"pipeline: {p['images_per_s']:.2f} images/s; detectors loaded in {p['load_s']:.1f} s"
        )
    return out


def write_json(result: BenchResult, path: Path) -> None:
    write_text_atomic(path, json.dumps(result.to_dict(), indent=2) + "\n")


# -- `python -m redactor.exporters.bench` (no typer, no rich needed) ---------------------------------------


def split_list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def parse_batches(text: str) -> tuple[int, ...]:
    try:
        batches = tuple(int(p) for p in split_list(text))
    except ValueError:
        raise UsageError(f"--batch wants sizes like 1,8,32, got {text!r}") from None
    if not batches:
        raise UsageError("--batch wants at least one size, e.g. 1,8")
    return batches


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m redactor.exporters.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model", nargs="*", default=[], type=Path, help=".pt/.onnx/.engine files")
    parser.add_argument(
        "--backbone",
        help="time a random-weight PrivObfNet of this backbone "
        "(its .pt and verified .onnx are made in a temporary folder)",
    )
    parser.add_argument("--size", type=int, default=448, help="input size for --backbone")
    parser.add_argument("--backend", default="", help=f"comma-separated: {', '.join(BACKENDS)}")
    parser.add_argument("--batch", default="1,8")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--threads", type=int)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument(
        "--device-io",
        action="store_true",
        help="torch/TensorRT: keep inputs and outputs on the GPU",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    try:
        settings = BenchSettings(
            batches=parse_batches(args.batch),
            precisions=tuple(split_list(args.precision)),
            device=args.device,
            warmup=args.warmup,
            runs=args.runs,
            max_seconds=args.max_seconds,
            threads=args.threads,
            device_io=args.device_io,
        )
        with tempfile.TemporaryDirectory(prefix="redact-bench-") as folder:
            models = list(args.model)
            if args.backbone:
                models += make_bench_models(args.backbone, args.size, Path(folder))
            if not models:
                raise UsageError("give --model FILE... or --backbone NAME")
            result = run_bench(
                models,
                split_list(args.backend) or None,
                settings,
                progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True),
            )
    except RedactorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render_text(result))
    if args.json:
        write_json(result, args.json)
        print(f"json: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "BenchResult",
    "BenchRow",
    "BenchSettings",
    "bench_pipeline",
    "make_bench_models",
    "plan_cases",
    "render_rich",
    "render_text",
    "run_bench",
    "write_json",
]
