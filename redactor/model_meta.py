"""ModelMeta: what a runtime needs to feed a PrivObfNet model and read its outputs.

It lives outside `redactor.model` (which needs torch) so that the ONNX Runtime path of
`redactor.runtime` can read it without torch. It travels in checkpoints, in ONNX
`metadata_props` and in the `.json` sidecar beside a TensorRT engine (`to_dict` is JSON-ready).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from redactor import __version__
from redactor.errors import ModelError

FORMAT_VERSION = 1
# The real-image ROC AUC an attribute needs before the model alone may decide what to hide
# (issue 13): below it, or never measured, `--hide` of a model-only attribute is refused
# unless the user passes --trust-model.
VALIDITY_BAR = 0.85
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class ModelMeta:
    """What a runtime needs to feed the model and read its outputs."""

    attribute_ids: list[str]
    mask_types: list[str]  # per attribute: none | human | text
    backbone: str
    input_size: tuple[int, int]  # (height, width) the model was trained at
    stride: int  # cams are input_size / stride
    mean: tuple[float, float, float] = IMAGENET_MEAN  # input = (rgb / 255 - mean) / std
    std: tuple[float, float, float] = IMAGENET_STD
    crop_size: int = 320
    cams: str = "minmax"  # each map min-max normalised to [0, 1] (model.privobfnet.normalise_cams)
    score_source: str = "head"  # "head" | "attributes" (profile weights over probabilities)
    attribute_source: str = "head"  # "head" | "attention" (GAP of the CAMs)
    trained_with_masks: bool = False  # human/text mask weighting during training
    dataset: str = ""  # "vispr" | "voc" | "synthetic" | ""
    epoch: int = 0
    version: str = __version__  # redactor version that wrote the file
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    # Per attribute id, measured on real images by `redact evaluate --record`:
    # {"auc": ROC AUC, "n_pos": int, "n_neg": int, "dataset": name, "measured_at": ISO time}.
    validity: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The privacy profile the score was trained against: {"rule", "sensitivity": {id: s},
    # "source"}; {} for the default (redactor/privacy_default.json). Detector fusion
    # (redactor/fusion.py) rescores fused attributes with it.
    privacy_profile: dict[str, Any] = field(default_factory=dict)

    def validated_auc(self, attribute_id: str) -> float | None:
        """The attribute's measured real-image AUC, or None when never measured."""
        entry = (self.validity or {}).get(attribute_id) or {}
        auc = entry.get("auc")
        return None if auc is None else float(auc)

    @property
    def num_classes(self) -> int:
        return len(self.attribute_ids)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in ("input_size", "mean", "std"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMeta:
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [
            n
            for n in ("attribute_ids", "mask_types", "backbone", "input_size", "stride")
            if n not in data
        ]
        if missing:
            raise ModelError(f"model metadata lacks {', '.join(missing)}")
        values = {k: v for k, v in data.items() if k in names}  # newer keys are ignored
        values["attribute_ids"] = list(values["attribute_ids"])
        values["mask_types"] = list(values["mask_types"])
        values["input_size"] = tuple(int(v) for v in values["input_size"])
        for key in ("mean", "std"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        return cls(**values)


__all__ = ["FORMAT_VERSION", "IMAGENET_MEAN", "IMAGENET_STD", "VALIDITY_BAR", "ModelMeta"]
