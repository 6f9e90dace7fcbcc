"""ONNX -> TensorRT engine: FP16, optional INT8 calibrated on a folder of images, one
optimisation profile over the batch range. Metadata goes into a `.engine.json` sidecar
(`redactor.runtime.EngineSidecar`), never into the engine, so `trtexec` still reads the file.

Written against TensorRT 10's Python API (explicit batch is the only mode; `build_serialized_
network`; `IInt8EntropyCalibrator2`, deprecated in 10 but present). TensorRT cannot be
installed on the machines this was written on: what is tested without it is the option table,
the sidecar, and the calibration image stream; the build itself is marked unverified.

The engine is written under a temporary name with its sidecar, reopened through `open_model`,
compared with the torch model (fp16/int8 tolerances), and only then renamed into place.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from redactor.exporters.formats import ExportOptions
from redactor.exporters.onnx_export import (
    ExportResult,
    load_inference_module,
    temporary_beside,
    write_onnx,
)
from redactor.exporters.parity import compare, image_files, load_rgb, torch_reference
from redactor.errors import ModelError
from redactor.model_meta import ModelMeta
from redactor.runtime import (
    INPUT_NAME,
    EngineSidecar,
    file_sha256,
    open_model,
    preprocess,
    sidecar_path,
)

WORKSPACE_BYTES = 4 << 30
MAX_CALIBRATION_IMAGES = 512


class CalibrationImages:
    """Batches of preprocessed images from a folder, for INT8 calibration (needs no TensorRT)."""

    def __init__(self, folder: Path, meta: ModelMeta, batch_size: int) -> None:
        self.paths = image_files([Path(folder)])[:MAX_CALIBRATION_IMAGES]
        if not self.paths:
            raise ModelError(
                f"--calib {folder} holds no images (.jpg, .png, ...); INT8 needs "
                "a few hundred representative images"
            )
        self.meta = meta
        self.batch_size = batch_size

    def __len__(self) -> int:
        return (len(self.paths) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[np.ndarray]:
        """Full batches only (TensorRT calibrates at one batch size): the tail is dropped,
        unless that would leave nothing, then the last batch repeats images to fill up."""
        paths = list(self.paths)
        if len(paths) < self.batch_size:
            paths = (paths * self.batch_size)[: self.batch_size]
        for start in range(0, len(paths) - self.batch_size + 1, self.batch_size):
            yield preprocess(load_rgb(paths[start : start + self.batch_size]), self.meta)


def make_calibrator(images: CalibrationImages, cache: Path) -> Any:
    """An IInt8EntropyCalibrator2 feeding `images` through CUDA memory owned by torch."""
    import tensorrt as trt
    import torch

    class Calibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self) -> None:
            super().__init__()
            self.batches = iter(images)
            self.current: Any = None  # keeps the device batch alive while TensorRT reads it

        def get_batch_size(self) -> int:
            return images.batch_size

        def get_batch(self, names: list[str]) -> list[int] | None:
            batch = next(self.batches, None)
            if batch is None:
                return None
            self.current = torch.from_numpy(batch).cuda()
            return [int(self.current.data_ptr())]

        def read_calibration_cache(self) -> bytes | None:
            return cache.read_bytes() if cache.is_file() else None

        def write_calibration_cache(self, data: Any) -> None:
            cache.write_bytes(bytes(data))

    return Calibrator()


def build_engine(
    onnx_path: Path, engine_path: Path, meta: ModelMeta, options: ExportOptions
) -> None:
    """Build and serialise the engine (unverified here: no TensorRT on this machine)."""
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if int(trt.__version__.split(".")[0]) < 10:  # explicit batch is implicit from 10 on
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ModelError(f"TensorRT could not parse the ONNX export: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    height, width = meta.input_size
    low, opt, high = options.batch
    profile = builder.create_optimization_profile()
    profile.set_shape(
        INPUT_NAME, (low, 3, height, width), (opt, 3, height, width), (high, 3, height, width)
    )
    config.add_optimization_profile(profile)
    if options.fp16 or options.int8:
        config.set_flag(trt.BuilderFlag.FP16)  # INT8 layers TensorRT cannot quantise run in FP16
    calibration_cache = engine_path.with_name(engine_path.name + ".calib")
    if options.int8:
        assert options.calib is not None  # check_options guarantees it
        config.set_flag(trt.BuilderFlag.INT8)
        images = CalibrationImages(options.calib, meta, batch_size=opt)
        config.int8_calibrator = make_calibrator(images, calibration_cache)
        config.set_calibration_profile(profile)
    try:
        serialized = builder.build_serialized_network(network, config)
    finally:
        calibration_cache.unlink(missing_ok=True)
    if serialized is None:
        raise ModelError("TensorRT failed to build the engine (its log above says why)")
    with open(engine_path, "wb") as stream:
        stream.write(bytes(serialized))


def engine_sidecar(
    engine: Path, meta: ModelMeta, options: ExportOptions, onnx_path: Path
) -> EngineSidecar:
    try:
        import tensorrt

        version = tensorrt.__version__
    except ImportError:
        version = ""
    try:
        import torch

        device = torch.cuda.get_device_name() if torch.cuda.is_available() else ""
    except ImportError:
        device = ""
    return EngineSidecar(
        meta=meta,
        precision=options.precision,
        batch=options.batch,
        engine_sha256=file_sha256(engine),
        tensorrt_version=version,
        opset=options.opset,
        onnx_sha256=file_sha256(onnx_path),
        device_name=device or platform.node(),
    )


def export_tensorrt(
    checkpoint: str | Path,
    out: str | Path,
    options: ExportOptions,
    *,
    samples: Sequence[Path] = (),
    keep_onnx: bool = False,
    seed: int | None = None,
) -> ExportResult:
    """checkpoint -> ONNX (temporary) -> engine + sidecar, checked against torch."""
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        raise ModelError(
            "--format tensorrt needs TensorRT (`pip install '.[tensorrt]'` from "
            "NVIDIA's index, on a machine with an NVIDIA GPU); export --format onnx "
            "and build the engine where TensorRT is installed"
        ) from None
    out = Path(out)
    module, meta = load_inference_module(checkpoint)
    onnx_path = out.with_suffix(".onnx") if keep_onnx else temporary_beside(out, ".onnx")
    engine = temporary_beside(out, ".engine")
    try:
        write_onnx(module, meta, onnx_path, options.opset)
        build_engine(onnx_path, engine, meta, options)
        engine_sidecar(engine, meta, options, onnx_path).write(engine)
        runtime = open_model(engine, device="cuda")
        tolerance = "tf32" if options.precision == "fp32" else options.precision
        parity = compare(torch_reference(module), runtime, samples, precision=tolerance, seed=seed)
        del runtime
        os.replace(engine, out)
        final_sidecar = sidecar_path(out)
        os.replace(sidecar_path(engine), final_sidecar)
    finally:
        engine.unlink(missing_ok=True)
        sidecar_path(engine).unlink(missing_ok=True)
        if not keep_onnx:
            onnx_path.unlink(missing_ok=True)
    return ExportResult(
        path=out,
        format="tensorrt",
        meta=meta,
        parity=parity,
        sidecar=final_sidecar,
        onnx=onnx_path if keep_onnx else None,
    )


__all__ = [
    "CalibrationImages",
    "build_engine",
    "engine_sidecar",
    "export_tensorrt",
    "make_calibrator",
]
