"""PrivObfNet checkpoint -> ONNX: dynamic batch, the model's metadata inside.

    images float32 [batch, 3, H, W]  ->  score [batch], attributes [batch, C],
                                         cams [batch, C, H/stride, W/stride]

Only the batch axis is dynamic: the model was trained at one input size and `preprocess`
resizes to it, so fixed H and W let ONNX Runtime and TensorRT plan every kernel ahead.

ModelMeta travels in `metadata_props` as JSON under "redactor.meta" (what the runtime reads),
plus a few flat keys (attribute_ids, input_size, mean, std, version) for people and other tools.

Written with torch's TorchScript exporter (`dynamo=False`): it needs no onnxscript, exports
these convolutional networks exactly, and is what both torch 2.11 (the GPU machines) and 2.13
ship. The file is written under a temporary name, reopened through `open_model`, compared with
the torch model, and only then renamed into place.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from redactor.exporters.formats import DEFAULT_OPSET
from redactor.exporters.parity import ParityReport, compare, torch_reference
from redactor.model_meta import ModelMeta
from redactor.runtime import INPUT_NAME, META_KEY, OUTPUT_NAMES, open_model

PRODUCER = "redactor"


@dataclass
class ExportResult:
    path: Path
    format: str
    meta: ModelMeta
    parity: ParityReport
    sidecar: Path | None = None
    onnx: Path | None = None  # the intermediate ONNX of a TensorRT build, when kept


def load_inference_module(checkpoint: str | Path) -> tuple[Any, ModelMeta]:
    """The exportable Model-Image (eval mode, CPU, fp32) and its metadata."""
    from redactor.model import load_checkpoint

    model, meta = load_checkpoint(checkpoint, map_location="cpu", image_only=True)
    return model.inference_module().eval(), meta


def metadata_props(meta: ModelMeta) -> dict[str, str]:
    height, width = meta.input_size
    return {
        META_KEY: json.dumps(meta.to_dict(), sort_keys=True),
        "attribute_ids": ",".join(meta.attribute_ids),
        "input_size": f"{height}x{width}",
        "input": f"{INPUT_NAME}: float32 [batch, 3, {height}, {width}], RGB, (x/255 - mean) / std",
        "mean": ",".join(f"{v:g}" for v in meta.mean),
        "std": ",".join(f"{v:g}" for v in meta.std),
        "backbone": meta.backbone,
        "stride": str(meta.stride),
        "version": meta.version,
    }


def write_onnx(module: Any, meta: ModelMeta, path: Path, opset: int = DEFAULT_OPSET) -> Path:
    """Trace `module` into `path` with a dynamic batch axis and the metadata inside."""
    import onnx
    import torch

    height, width = meta.input_size
    # Batch 2 when tracing, so no shape op can freeze a batch of 1 into the graph.
    example = torch.zeros(2, 3, height, width)
    dynamic = {name: {0: "batch"} for name in (INPUT_NAME, *OUTPUT_NAMES)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            module,
            (example,),
            str(path),
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes=dynamic,
            opset_version=opset,
            do_constant_folding=True,
        )
    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    for key, value in metadata_props(meta).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = PRODUCER
    proto.producer_version = meta.version
    proto.doc_string = f"PrivObfNet ({meta.backbone}), {meta.num_classes} attributes"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


def temporary_beside(out: Path, suffix: str) -> Path:
    """A fresh temporary file name in `out`'s folder (same file system: os.replace is atomic).
    Its suffix is the real one, so `open_model` can read it for the parity check. Permissions
    are the usual ones (mkstemp's are 0600)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{out.name}.", suffix=f".partial{suffix}", dir=out.parent
    )
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


def export_onnx(
    checkpoint: str | Path,
    out: str | Path,
    *,
    opset: int = DEFAULT_OPSET,
    samples: Sequence[Path] = (),
    seed: int | None = None,
) -> ExportResult:
    """Write `out` (.onnx) only if it matches the torch model (ParityError otherwise; no file
    is left behind under `out` or a temporary name)."""
    out = Path(out)
    module, meta = load_inference_module(checkpoint)
    temporary = temporary_beside(out, ".onnx")
    try:
        write_onnx(module, meta, temporary, opset)
        runtime = open_model(temporary, device="cpu")
        parity = compare(torch_reference(module), runtime, samples, precision="fp32", seed=seed)
        del runtime  # release the file before renaming it (Windows)
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return ExportResult(path=out, format="onnx", meta=meta, parity=parity)


__all__ = ["ExportResult", "export_onnx", "load_inference_module", "metadata_props", "write_onnx"]
