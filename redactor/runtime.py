"""One way to run a PrivObfNet model, whatever file it is in.

    model = open_model("privobfnet.onnx")          # .pt torch | .onnx ONNX Runtime | .engine TensorRT
    batch = preprocess([rgb_uint8, ...], model.meta)  # float32 [B, 3, H, W], normalised
    out = model(batch)                               # {"score": [B], "attributes": [B, C],
                                                     #  "cams": [B, C, H/stride, W/stride]}

The call takes what the network takes: float32 NCHW, RGB, at `meta.input_size`, normalised as
`(rgb / 255 - meta.mean) / meta.std`. `preprocess` makes that from RGB uint8 images (resized to
the input size with PIL's bilinear filter, as training does) and `predict(images)` does both.
Every backend returns the same float32 numpy arrays, so callers never know which one ran.

Backends (`BACKENDS`): "torch" (eager), "torch-fp16", "torch-compile", "torch-cudagraph" read a
`.pt` checkpoint; "onnxruntime" an `.onnx` file (metadata in its `metadata_props`); "tensorrt"
an `.engine` with its `.engine.json` sidecar. Only the torch and TensorRT backends import torch,
and only when they are opened: `redact --model model.onnx` runs without torch installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from redactor.errors import ModelError, UsageError, first_line
from redactor.files import write_text_atomic
from redactor.model_meta import ModelMeta
from redactor.processes import cpu_threads

INPUT_NAME = "images"
OUTPUT_NAMES = ("score", "attributes", "cams")  # = redactor.model.OUTPUT_NAMES (torch-free copy)
META_KEY = "redactor.meta"  # ONNX metadata_props key holding ModelMeta as JSON
SIDECAR_FORMAT = "redactor.tensorrt-sidecar"
SIDECAR_VERSION = 1
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "fp16")


@dataclass(frozen=True)
class BackendSpec:
    name: str
    suffix: str  # the file type it reads
    compile: bool = False  # torch.compile
    cuda_graph: bool = False  # capture one CUDA graph per batch size, then replay it
    precision: str | None = None  # forced precision (torch-fp16); None: the caller's choice
    description: str = ""


BACKENDS: dict[str, BackendSpec] = {
    spec.name: spec
    for spec in (
        BackendSpec("torch", ".pt", description="PyTorch eager (CPU or CUDA)"),
        BackendSpec(
            "torch-fp16", ".pt", precision="fp16", description="PyTorch eager, half precision"
        ),
        BackendSpec("torch-compile", ".pt", compile=True, description="torch.compile (inductor)"),
        BackendSpec(
            "torch-cudagraph",
            ".pt",
            cuda_graph=True,
            description="PyTorch eager replayed as CUDA graphs",
        ),
        BackendSpec(
            "onnxruntime", ".onnx", description="ONNX Runtime: TensorRT EP, CUDA EP or CPU"
        ),
        BackendSpec(
            "tensorrt", ".engine", description="TensorRT engine (CUDA memory through torch)"
        ),
    )
}
DEFAULT_BACKEND = {".pt": "torch", ".onnx": "onnxruntime", ".engine": "tensorrt"}


class ModelRuntime:
    """What every backend offers. Subclasses set `meta`, `backend`, `device`, `precision` and
    implement `_run(batch) -> dict of float32 arrays`."""

    meta: ModelMeta
    backend: str
    device: str
    precision: str
    max_batch: int | None = None  # largest batch one call takes (a TensorRT profile's maximum)

    def __call__(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        batch = self._check(batch)
        if self.max_batch is None or len(batch) <= self.max_batch:
            return self._run(batch)
        parts = [
            self._run(batch[i : i + self.max_batch]) for i in range(0, len(batch), self.max_batch)
        ]
        return {name: np.concatenate([p[name] for p in parts]) for name in OUTPUT_NAMES}

    def predict(self, images: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """RGB uint8 images (any sizes) -> outputs, one row per image."""
        return self(preprocess(images, self.meta))

    def describe(self) -> str:
        return f"{self.backend} ({self.device}, {self.precision})"

    def _check(self, batch: np.ndarray) -> np.ndarray:
        height, width = self.meta.input_size
        if (
            not isinstance(batch, np.ndarray)
            or batch.ndim != 4
            or batch.shape[1:] != (3, height, width)
        ):
            shape = getattr(batch, "shape", type(batch).__name__)
            raise UsageError(
                f"the model takes float32 [B, 3, {height}, {width}] (normalised RGB), got {shape}; "
                "use redactor.runtime.preprocess(images, model.meta) on RGB uint8 images"
            )
        if len(batch) == 0:
            raise UsageError("empty batch: give at least one image")
        return np.ascontiguousarray(batch, dtype=np.float32)

    def _run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError


def onnx_session(
    model: str | Path | bytes,
    providers: Sequence[Any],
    *,
    threads: int | None = None,
    max_threads: int | None = None,
    low_memory: bool = False,
    spinning: bool = True,
    denormal_as_zero: bool = False,
) -> Any:
    """The one way this project opens an ONNX Runtime session (a file path or model bytes).

    Always: full graph optimisation (conv+BN+activation fusion, NCHWc layouts; measured on
    mobilenet_v2 at 448 px, docs), sequential execution with one inter-op thread, warnings and
    worse only, and the `providers` given (never onnxruntime's own order, which may put Azure
    first). `threads`: intra-op threads; None: cpu_threads() (the CPUs this process may use, its
    share in a pool worker), at most `max_threads`. `low_memory`: no memory patterns (they are
    per input shape, and detector shapes change with every image); pair it with
    shrinking_run_options() on each run. `spinning` False: idle pool threads sleep instead of
    spinning (the CPU is shared with the other detectors, workers and programs).
    `denormal_as_zero`: flush denormal floats to zero (x86 computes them ~100x slower)."""
    import onnxruntime

    if not threads:
        threads = cpu_threads() if max_threads is None else min(max_threads, cpu_threads())
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if low_memory:
        options.enable_mem_pattern = False
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if denormal_as_zero:
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, options, providers=list(providers))


# Inputs up to about an ordinary photo at the detectors' sizes (1344x768 x 3 floats) run without
# shrinking: the arena then keeps that ordinary peak and no run pays for growing it again (a
# shrink after every run made a 1280x720 face pass ~30% slower). Larger inputs shrink it back.
ORDINARY_INPUT_ELEMENTS = 3 * 1344 * 768


def run_options_for(batch: np.ndarray, shrinking: Any) -> Any:
    """`shrinking` (shrinking_run_options()) for an input larger than an ordinary photo, else
    None (ONNX Runtime's defaults)."""
    return shrinking if batch.size > ORDINARY_INPUT_ELEMENTS else None


def shrinking_run_options() -> Any:
    """ONNX Runtime run options that give the CPU arena's free chunks back after each run. Its
    arena otherwise keeps the peak of the largest input ever seen for the life of the process
    (the daemon sat at 1.6 GB after one 12 MP photo); turning the arena off instead made
    detection ~1.5x slower."""
    import onnxruntime

    options = onnxruntime.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def preprocess(images: Sequence[np.ndarray], meta: ModelMeta) -> np.ndarray:
    """RGB uint8 images (H x W x 3, any sizes) -> float32 [B, 3, H, W] at `meta.input_size`.

    Resized (stretched, as training does) with PIL's bilinear filter, then normalised with the
    model's own mean and std.
    """
    from PIL import Image

    height, width = meta.input_size
    batch = np.empty((len(images), 3, height, width), np.float32)
    mean = np.asarray(meta.mean, np.float32).reshape(3, 1, 1)
    std = np.asarray(meta.std, np.float32).reshape(3, 1, 1)
    for row, image in enumerate(images):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise UsageError(
                f"preprocess takes RGB uint8 H x W x 3 images, got {image.dtype} {image.shape}"
            )
        if image.shape[:2] != (height, width):
            image = np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))
        batch[row] = (image.transpose(2, 0, 1).astype(np.float32) / 255.0 - mean) / std
    return batch


def open_model(
    path: str | Path,
    backend: str | None = None,
    *,
    device: str = "auto",
    precision: str = "fp32",
    threads: int | None = None,
) -> ModelRuntime:
    """Open a model file with the backend its type calls for (or `backend`, which must read
    that type). `device`: auto | cpu | cuda. `precision` (torch backends): fp32 | fp16; ONNX
    files and engines keep the precision they were built with. `threads`: CPU intra-op threads
    (ONNX Runtime's session; for torch this sets the process-wide torch thread count)."""
    from redactor.default_model import resolve_model

    path = resolve_model(path)
    if not path.is_file():
        raise ModelError(
            f"model file {path} does not exist; give a .pt checkpoint, an .onnx "
            "export or a TensorRT .engine"
        )
    suffix = path.suffix.lower()
    if suffix not in DEFAULT_BACKEND:
        raise ModelError(
            f"{path.name}: unknown model file type {path.suffix!r}; valid: "
            f"{', '.join(DEFAULT_BACKEND)} (torch checkpoint, ONNX, TensorRT engine)"
        )
    name = backend or DEFAULT_BACKEND[suffix]
    spec = BACKENDS.get(name)
    if spec is None:
        raise UsageError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")
    if spec.suffix != suffix:
        fitting = [n for n, s in BACKENDS.items() if s.suffix == suffix]
        raise UsageError(
            f"backend {name} reads {spec.suffix} files, not {suffix}; for "
            f"{path.name} use {', '.join(fitting)}"
        )
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}; valid: {', '.join(DEVICES)}")
    precision = spec.precision or precision
    if precision not in PRECISIONS:
        raise UsageError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if suffix == ".onnx":
        return OnnxRuntimeModel(path, device=device, precision=precision, threads=threads)
    if suffix == ".engine":
        return TensorRTModel(path, device=device)
    return TorchModel(path, spec, device=device, precision=precision, threads=threads)


# -- ONNX Runtime -------------------------------------------------------------------------------


def onnx_providers(device: str = "auto", precision: str = "fp32") -> list[Any]:
    """The execution providers to pass, chosen once and explicitly (onnxruntime may list
    Azure's first; never let it pick): TensorRT EP, CUDA EP, CPU, whichever exist and `device`
    allows."""
    import onnxruntime

    available = set(onnxruntime.get_available_providers())
    chosen: list[Any] = []
    if device in ("auto", "cuda"):
        if "TensorrtExecutionProvider" in available:
            cache = (
                Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                / "redactor"
                / "ort-tensorrt"
            )
            chosen.append(
                (
                    "TensorrtExecutionProvider",
                    {
                        "trt_fp16_enable": precision == "fp16",
                        "trt_engine_cache_enable": True,
                        "trt_engine_cache_path": str(cache),
                    },
                )
            )
        if "CUDAExecutionProvider" in available:
            chosen.append("CUDAExecutionProvider")
        if device == "cuda" and not chosen:
            raise ModelError(
                "no CUDA execution provider in this onnxruntime; install the `gpu` "
                "extra (onnxruntime-gpu) or use --device cpu"
            )
    chosen.append("CPUExecutionProvider")
    return chosen


def read_onnx_meta(metadata: dict[str, str], source: str) -> ModelMeta:
    if META_KEY not in metadata:
        raise ModelError(
            f"{source} carries no redactor metadata ({META_KEY!r} in metadata_props); "
            "export it with `redact export`"
        )
    try:
        return ModelMeta.from_dict(json.loads(metadata[META_KEY]))
    except (ValueError, TypeError) as error:
        raise ModelError(f"{source} has unreadable redactor metadata: {error}") from None


class OnnxRuntimeModel(ModelRuntime):
    backend = "onnxruntime"

    def __init__(self, path: Path, *, device: str, precision: str, threads: int | None) -> None:
        self.providers = onnx_providers(device, precision)
        try:
            self.session = onnx_session(path, self.providers, threads=threads)
        except Exception as error:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelError(
                f"{path} is not a loadable ONNX model: {first_line(error, limit=1000)}"
            ) from None
        self.meta = read_onnx_meta(self.session.get_modelmeta().custom_metadata_map, str(path))
        used = self.session.get_providers()
        self.device = "cpu" if used[0] == "CPUExecutionProvider" else "cuda"
        self.precision = precision if used[0] == "TensorrtExecutionProvider" else "fp32"
        self.provider = used[0]
        self.output_names = [o.name for o in self.session.get_outputs()]
        missing = set(OUTPUT_NAMES) - set(self.output_names)
        if missing:
            raise ModelError(
                f"{path} lacks the outputs {sorted(missing)}; export it with `redact export`"
            )

    def describe(self) -> str:
        return f"onnxruntime {self.provider} ({self.device})"

    def _run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        values = self.session.run(list(OUTPUT_NAMES), {INPUT_NAME: batch})
        return {name: np.asarray(v, np.float32) for name, v in zip(OUTPUT_NAMES, values)}


# -- torch --------------------------------------------------------------------------------------


def torch_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("no CUDA device is visible to torch; use --device cpu")
    return device


class TorchModel(ModelRuntime):
    """A `.pt` checkpoint through PyTorch: eager, half precision, torch.compile or CUDA graphs.

    `run_tensor(x)` keeps inputs and outputs on the device (what the GPU benchmark times);
    `__call__` copies numpy in and out, as the pipeline needs."""

    def __init__(
        self, path: Path, spec: BackendSpec, *, device: str, precision: str, threads: int | None
    ) -> None:
        try:
            import torch
        except ImportError:
            raise ModelError(
                f"{path.name} is a torch checkpoint and torch is not installed: "
                "install torch, or export it once with `redact export --format "
                "onnx` and use the .onnx file"
            ) from None
        from redactor.model import load_checkpoint

        self.torch = torch
        self.backend = spec.name
        self.device = torch_device(device)
        self.precision = precision
        if spec.cuda_graph and self.device != "cuda":
            raise UsageError(
                "backend torch-cudagraph needs a CUDA device (CUDA graphs); "
                "on CPU use torch or onnxruntime"
            )
        if threads:
            torch.set_num_threads(threads)
        if self.device == "cuda":
            # Input shapes are fixed per batch size: let cuDNN pick the fastest kernels once.
            torch.backends.cudnn.benchmark = True
        model, self.meta = load_checkpoint(path, map_location="cpu", image_only=True)
        module = model.inference_module().eval().to(self.device)
        self.dtype = torch.float16 if precision == "fp16" else torch.float32
        if precision == "fp16":
            module = module.half()
        # One compilation for every batch size (a dynamic batch axis), not one per size.
        self.module = torch.compile(module, dynamic=True) if spec.compile else module
        self.cuda_graph = spec.cuda_graph
        self._graphs: dict[tuple[int, ...], tuple[Any, Any, Any]] = {}
        # Replaying a graph reuses its static buffers: one caller at a time.
        self._lock = threading.Lock()

    def to_device(self, batch: np.ndarray) -> Any:
        tensor = self.torch.from_numpy(batch)
        if self.device == "cuda":
            tensor = tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor.to(self.dtype)

    def run_tensor(self, images: Any) -> tuple[Any, Any, Any]:
        """images on the device, in the model's dtype -> (score, attributes, cams) there."""
        with self.torch.inference_mode():
            if not self.cuda_graph:
                return self.module(images)
            return self._replay(images)

    def _replay(self, images: Any) -> tuple[Any, Any, Any]:
        torch = self.torch
        key = tuple(images.shape)
        if key not in self._graphs:
            static_in = images.clone()
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):  # warm-up outside the graph (cuDNN picks its kernels here)
                    self.module(static_in)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_out = self.module(static_in)
            self._graphs[key] = (graph, static_in, static_out)
        graph, static_in, static_out = self._graphs[key]
        static_in.copy_(images)
        graph.replay()
        return tuple(t.clone() for t in static_out)

    def _run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        with self._lock:
            outputs = self.run_tensor(self.to_device(batch))
            return {n: t.float().cpu().numpy() for n, t in zip(OUTPUT_NAMES, outputs)}

    def synchronize(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()


# -- TensorRT -----------------------------------------------------------------------------------


def sidecar_path(engine: str | Path) -> Path:
    """`model.engine` -> `model.engine.json` (metadata beside the engine, never inside it, so
    `trtexec` and other tools still read the engine)."""
    engine = Path(engine)
    return engine.with_name(engine.name + ".json")


@dataclass
class EngineSidecar:
    """The `.json` beside a TensorRT engine: the model's metadata and how the engine was built."""

    meta: ModelMeta
    precision: str  # "fp32" | "fp16" | "int8" (int8 engines may fall back to fp16/fp32 per layer)
    batch: tuple[int, int, int]  # optimisation profile: min, opt, max
    engine_sha256: str
    tensorrt_version: str = ""
    opset: int = 0
    onnx_sha256: str = ""
    device_name: str = ""  # engines run only on the GPU model and TensorRT version that built them

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SIDECAR_FORMAT,
            "format_version": SIDECAR_VERSION,
            "meta": self.meta.to_dict(),
            "engine": {
                "precision": self.precision,
                "batch": list(self.batch),
                "input": INPUT_NAME,
                "outputs": list(OUTPUT_NAMES),
                "sha256": self.engine_sha256,
                "tensorrt_version": self.tensorrt_version,
                "opset": self.opset,
                "onnx_sha256": self.onnx_sha256,
                "device_name": self.device_name,
            },
        }

    @classmethod
    def from_dict(cls, data: Any, source: str) -> EngineSidecar:
        if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
            raise ModelError(
                f"{source} is not a redactor engine sidecar (no {SIDECAR_FORMAT!r} marker)"
            )
        if int(data.get("format_version", 0)) > SIDECAR_VERSION:
            raise ModelError(
                f"{source} is newer (format {data['format_version']}) than this "
                "redactor reads; upgrade redactor"
            )
        try:
            engine = data["engine"]
            batch = tuple(int(v) for v in engine["batch"])
            if len(batch) != 3 or not 1 <= batch[0] <= batch[1] <= batch[2]:
                raise ValueError(f"bad batch profile {engine['batch']}")
            return cls(
                meta=ModelMeta.from_dict(data["meta"]),
                precision=str(engine["precision"]),
                batch=batch,  # type: ignore[arg-type]
                engine_sha256=str(engine["sha256"]),
                tensorrt_version=str(engine.get("tensorrt_version", "")),
                opset=int(engine.get("opset", 0)),
                onnx_sha256=str(engine.get("onnx_sha256", "")),
                device_name=str(engine.get("device_name", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"{source} is incomplete or malformed: {error}") from None

    def write(self, engine: str | Path) -> Path:
        """Atomically (temporary file, then rename), so a reader never sees half a sidecar."""
        path = sidecar_path(engine)
        write_text_atomic(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def read(cls, engine: str | Path, *, verify: bool = True) -> EngineSidecar:
        """The sidecar of `engine`; with `verify`, checked to describe that very engine file."""
        path = sidecar_path(engine)
        if not path.is_file():
            raise ModelError(
                f"{Path(engine).name} has no metadata sidecar {path.name}; rebuild "
                "the engine with `redact export --format tensorrt`"
            )
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ModelError(f"{path} is unreadable: {error}") from None
        sidecar = cls.from_dict(data, str(path))
        if verify and file_sha256(engine) != sidecar.engine_sha256:
            raise ModelError(
                f"{path.name} describes another engine than {Path(engine).name} "
                "(checksum differs); rebuild both with `redact export`"
            )
        return sidecar


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class TensorRTModel(ModelRuntime):
    """A serialised TensorRT engine; inputs and outputs live in CUDA memory owned by torch.
    Written against TensorRT 10's tensor API (set_input_shape, set_tensor_address,
    execute_async_v3); not run on the machines this project was built on (no TensorRT)."""

    backend = "tensorrt"

    def __init__(self, path: Path, *, device: str) -> None:
        if device == "cpu":
            raise UsageError("a TensorRT engine runs on a CUDA GPU only; use the .onnx file on CPU")
        sidecar = EngineSidecar.read(path)
        try:
            import tensorrt
            import torch
        except ImportError as error:
            raise ModelError(
                f"{path.name} needs TensorRT and torch with CUDA ({error.name} is "
                "missing): install the `tensorrt` extra, or use the .onnx file"
            ) from None
        if not torch.cuda.is_available():
            raise ModelError("no CUDA device is visible; a TensorRT engine runs on a GPU only")
        if sidecar.tensorrt_version and sidecar.tensorrt_version != tensorrt.__version__:
            raise ModelError(
                f"{path.name} was built by TensorRT {sidecar.tensorrt_version}, this "
                f"is {tensorrt.__version__}; engines do not move between versions: "
                "rebuild it from the .onnx with `redact export --format tensorrt`"
            )
        self.torch, self.trt = torch, tensorrt
        self.meta = sidecar.meta
        self.sidecar = sidecar
        self.device = "cuda"
        self.precision = sidecar.precision
        self.max_batch = sidecar.batch[2]
        self._logger = tensorrt.Logger(tensorrt.Logger.WARNING)
        self._runtime = tensorrt.Runtime(self._logger)
        self.engine = self._runtime.deserialize_cuda_engine(path.read_bytes())
        if self.engine is None:
            raise ModelError(
                f"TensorRT could not load {path.name} (built for another GPU or "
                "TensorRT version?); rebuild it on this machine"
            )
        self.context = self.engine.create_execution_context()
        self._lock = threading.Lock()  # one execution context: one call at a time

    def to_device(self, batch: np.ndarray) -> Any:
        return self.torch.from_numpy(batch).to("cuda")

    def run_tensor(self, images: Any) -> tuple[Any, ...]:
        """images: float32 CUDA tensor [B, 3, H, W] -> (score, attributes, cams) on the GPU."""
        torch, trt = self.torch, self.trt
        images = images.contiguous()
        self.context.set_input_shape(INPUT_NAME, tuple(images.shape))
        self.context.set_tensor_address(INPUT_NAME, images.data_ptr())
        outputs = []
        for name in OUTPUT_NAMES:
            shape = tuple(self.context.get_tensor_shape(name))
            dtype = torch.from_numpy(
                np.empty(0, trt.nptype(self.engine.get_tensor_dtype(name)))
            ).dtype
            tensor = torch.empty(shape, dtype=dtype, device="cuda")
            self.context.set_tensor_address(name, tensor.data_ptr())
            outputs.append(tensor)
        stream = torch.cuda.current_stream()
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise ModelError("TensorRT failed to run the engine (see its log above)")
        return tuple(outputs)

    def _run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        with self._lock:
            images = self.torch.from_numpy(batch).pin_memory().to("cuda", non_blocking=True)
            outputs = self.run_tensor(images)
            return {n: t.float().cpu().numpy() for n, t in zip(OUTPUT_NAMES, outputs)}

    def synchronize(self) -> None:
        self.torch.cuda.synchronize()


__all__ = [
    "BACKENDS",
    "BackendSpec",
    "EngineSidecar",
    "INPUT_NAME",
    "META_KEY",
    "ModelRuntime",
    "OUTPUT_NAMES",
    "OnnxRuntimeModel",
    "TensorRTModel",
    "TorchModel",
    "onnx_session",
    "file_sha256",
    "onnx_providers",
    "open_model",
    "preprocess",
    "read_onnx_meta",
    "sidecar_path",
]
