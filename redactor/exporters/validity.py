"""Write measured real-image validity (ModelMeta.validity) into a model file, whatever its
kind: a `.pt` checkpoint's meta, an `.onnx` file's `metadata_props`, or a TensorRT engine's
`.engine.json` sidecar. The weights are left as they are; the file is replaced atomically.

`redact evaluate --record` calls this on the checkpoint it evaluated; `redact export` then
carries the figures into ONNX and TensorRT files (they travel inside ModelMeta).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from redactor.errors import ModelError
from redactor.files import atomic_output
from redactor.model_meta import ModelMeta


def merged(meta: ModelMeta, validity: dict[str, dict[str, Any]]) -> ModelMeta:
    """`meta` with `validity`'s attributes replaced (others measured before are kept)."""
    unknown = sorted(set(validity) - set(meta.attribute_ids))
    if unknown:
        raise ModelError(f"validity for attributes the model lacks: {', '.join(unknown)}")
    return dataclasses.replace(meta, validity={**(meta.validity or {}), **validity})


def record_validity(path: str | Path, validity: dict[str, dict[str, Any]]) -> ModelMeta:
    """Write `validity` into the model file at `path` (.pt, .onnx, .engine); -> the new meta."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pt":
        return _record_checkpoint(path, validity)
    if suffix == ".onnx":
        return _record_onnx(path, validity)
    if suffix == ".engine":
        return _record_engine(path, validity)
    raise ModelError(f"cannot record validity in {path.name}: use a .pt, .onnx or .engine file")


def _record_checkpoint(path: Path, validity: dict[str, dict[str, Any]]) -> ModelMeta:
    import torch

    from redactor.model import read_checkpoint

    payload = read_checkpoint(path)
    meta = merged(ModelMeta.from_dict(payload["meta"]), validity)
    payload["meta"] = meta.to_dict()
    with atomic_output(path) as stream:
        torch.save(payload, stream)
    return meta


def _record_onnx(path: Path, validity: dict[str, dict[str, Any]]) -> ModelMeta:
    import onnx

    from redactor.runtime import META_KEY, read_onnx_meta

    proto = onnx.load(str(path))
    props = {entry.key: entry.value for entry in proto.metadata_props}
    meta = merged(read_onnx_meta(props, str(path)), validity)
    for entry in proto.metadata_props:
        if entry.key == META_KEY:
            entry.value = json.dumps(meta.to_dict(), sort_keys=True)
    with atomic_output(path) as stream:
        stream.write(proto.SerializeToString())
    return meta


def _record_engine(path: Path, validity: dict[str, dict[str, Any]]) -> ModelMeta:
    from redactor.runtime import EngineSidecar

    sidecar = EngineSidecar.read(path, verify=True)
    sidecar.meta = merged(sidecar.meta, validity)
    sidecar.write(path)
    return sidecar.meta


__all__ = ["merged", "record_validity"]
