"""PrivObfNet (Tay, Subbaraju, Kandappu): two networks of the same design, Model-Image on the
whole image and Model-Cropped on random crops, each a backbone followed by a 1x1 convolution to
one class-activation map (CAM) per attribute (paper §3.1–3.2).

- Attention maps: the CAMs, each weighted by the human or text mask its attribute's mask type
  names (paper §3.2, Table 1; un-masked attributes keep the whole map) when masks are given.
- Model-Image also carries the attribute head and the privacy-score head, both on the pooled
  backbone features (so they need no masks at inference). Model-Cropped carries only the CAM
  head: the paper's attribute and privacy losses use Model-Image alone, and unused heads would
  stall DistributedDataParallel.
- `forward` returns outputs, never losses (redactor/training/losses.py holds those).
- Inference uses Model-Image only: `infer` returns a dict, `ImageModel` (for export) a tuple.

Tensor conventions: images float32 [B, 3, H, W], RGB, normalised ((x/255 - mean) / std, with
the mean/std of ModelMeta); masks float [B, 2, H, W] in [0, 1], channel 0 human, channel 1 text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from redactor.model.backbones import backbone_info
from redactor.model.pretrained import apply_pretrained

MASK_TYPES = ("none", "human", "text")  # index 0 = weight 1, 1 = human mask, 2 = text mask
MASK_CHANNELS = ("human", "text")
OUTPUT_NAMES = ("score", "attributes", "cams")
SCORE_RULES = ("mix", "max", "noisy_or")
CAM_EPS = 1e-5


@dataclass(frozen=True)
class ModelArgs:
    """Everything that rebuilds the network's shape (stored in every checkpoint)."""

    backbone: str
    num_classes: int
    mask_types: tuple[str, ...]  # per class: "none" | "human" | "text"
    use_cropped: bool = True  # build Model-Cropped (training only; inference never uses it)
    privacy_head: bool = True
    attribute_head: bool = True
    head_hidden: int = 256
    # Without a privacy head, the score is the privacy profile (redactor/training/privacy_profile.py)
    # applied to the attribute probabilities p: with w = p * sensitivity, rule "max" is max w,
    # "noisy_or" is 1 - prod(1 - w), "mix" their mean. Sensitivity: one value per class.
    score_sensitivity: tuple[float, ...] | None = None
    score_rule: str = "mix"

    def __post_init__(self) -> None:
        if len(self.mask_types) != self.num_classes:
            raise ValueError(f"{len(self.mask_types)} mask types for {self.num_classes} classes")
        bad = sorted(set(self.mask_types) - set(MASK_TYPES))
        if bad:
            raise ValueError(f"unknown mask types {bad}; valid: {MASK_TYPES}")
        if self.score_sensitivity is not None and len(self.score_sensitivity) != self.num_classes:
            raise ValueError(
                f"{len(self.score_sensitivity)} sensitivities for {self.num_classes} classes"
            )
        if self.score_rule not in SCORE_RULES:
            raise ValueError(f"unknown score rule {self.score_rule!r}; valid: {SCORE_RULES}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mask_types"] = list(self.mask_types)
        data["score_sensitivity"] = (
            None if self.score_sensitivity is None else list(self.score_sensitivity)
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelArgs:
        values = dict(data)
        values["mask_types"] = tuple(values["mask_types"])
        if values.get("score_sensitivity") is not None:
            values["score_sensitivity"] = tuple(float(w) for w in values["score_sensitivity"])
        return cls(**values)


def mask_weights(
    masks: torch.Tensor, mask_type_index: torch.Tensor, size: Sequence[int]
) -> torch.Tensor:
    """Per-class weights [B, C, h, w] from masks [B, 2, H, W] (human, text) at map size (h, w).

    Masks are area-averaged down to the map, so a cell's weight is the fraction it covers.
    """
    small = F.interpolate(masks.float(), size=tuple(size), mode="area")
    ones = torch.ones_like(small[:, :1])
    by_type = torch.cat([ones, small], dim=1)  # [B, 3, h, w]: none, human, text
    return by_type.index_select(1, mask_type_index)


def profile_score(
    probabilities: torch.Tensor, sensitivity: torch.Tensor, rule: str
) -> torch.Tensor:
    """Privacy score [B] from attribute probabilities [B, C] by a privacy profile's rule (the
    torch twin of redactor/training/privacy_profile.combine; `rule` is fixed per model, so tracing
    sees no branch)."""
    weighted = probabilities * sensitivity
    strongest = weighted.amax(dim=1)
    noisy_or = 1 - torch.prod(1 - weighted, dim=1)
    if rule == "max":
        return strongest
    if rule == "noisy_or":
        return noisy_or
    return 0.5 * (strongest + noisy_or)


def normalise_cams(cams: torch.Tensor) -> torch.Tensor:
    """Each map scaled to [0, 1] by its own minimum and maximum: [B, C, h, w].

    Min-max rather than ReLU-then-max: a rare attribute's map can be negative everywhere and
    still peak on the evidence, and a predicted attribute always gets a region to hide (fail
    closed). Every class gets a map, present or not: gate by the attribute probability.
    """
    low = cams.amin(dim=(2, 3), keepdim=True)
    high = cams.amax(dim=(2, 3), keepdim=True)
    return (cams - low) / (high - low + CAM_EPS)


class Branch(nn.Module):
    """Backbone -> CAM head (-> attribute and privacy heads on pooled features)."""

    def __init__(self, args: ModelArgs, pretrained: str | None, with_heads: bool) -> None:
        super().__init__()
        info = backbone_info(args.backbone)
        self.backbone = info.factory()
        apply_pretrained(self.backbone, args.backbone, pretrained)
        self.stride = info.stride
        features = info.out_channels
        self.cam_head = nn.Conv2d(features, args.num_classes, 1, bias=False)
        nn.init.xavier_uniform_(self.cam_head.weight)
        # Added after pooling, not to the maps: a class prior, so that a class whose mask is
        # empty in an image (no person, no text) still gets a low score rather than exactly 0.
        self.class_bias = nn.Parameter(torch.zeros(args.num_classes))
        self.attribute_head: nn.Module | None = None
        self.privacy_head: nn.Module | None = None
        if with_heads and args.attribute_head:
            self.attribute_head = nn.Sequential(
                nn.Linear(features, args.head_hidden),
                nn.ReLU(inplace=True),
                nn.Linear(args.head_hidden, args.num_classes),
            )
        if with_heads and args.privacy_head:
            self.privacy_head = nn.Sequential(
                nn.Linear(features, args.head_hidden),
                nn.ReLU(inplace=True),
                nn.Linear(args.head_hidden, 1),
            )
        self.register_buffer(
            "mask_type_index",
            torch.tensor([MASK_TYPES.index(t) for t in args.mask_types], dtype=torch.long),
            persistent=False,
        )

    def head_parameters(self) -> list[nn.Parameter]:
        """Everything but the backbone (trained at the higher head learning rate)."""
        modules = [
            m for m in (self.cam_head, self.attribute_head, self.privacy_head) if m is not None
        ]
        return [self.class_bias, *(p for m in modules for p in m.parameters())]

    def forward(
        self, images: torch.Tensor, masks: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        features = self.backbone(images)  # [B, D, h, w]
        cams = self.cam_head(features)  # [B, C, h, w]
        if masks is None:
            attention = cams
            pooled_attention = cams.mean(dim=(2, 3))  # [B, C]: GAP
        else:
            weights = mask_weights(masks, self.mask_type_index, cams.shape[-2:])
            attention = cams * weights
            # Average over the mask, not the image: a small person or a short text line counts
            # as much as a large one. Masks under one cell count as one cell; an empty mask
            # leaves the class prior alone. Un-masked classes (weight 1): plain GAP.
            area = weights.sum(dim=(2, 3)).clamp_min(1.0)
            pooled_attention = attention.sum(dim=(2, 3)) / area
        pooled = features.mean(dim=(2, 3))  # [B, D]
        out = {
            "cams": cams,
            "attention": attention,
            "attention_logits": pooled_attention + self.class_bias,  # [B, C]
        }
        if self.attribute_head is not None:
            out["attribute_logits"] = self.attribute_head(pooled)  # [B, C]
        if self.privacy_head is not None:
            out["score"] = self.privacy_head(pooled).squeeze(1)  # [B]
        return out


class PrivObfNet(nn.Module):
    def __init__(self, args: ModelArgs, pretrained: str | None = None) -> None:
        super().__init__()
        self.args = args
        self.image = Branch(args, pretrained, with_heads=True)
        self.cropped = Branch(args, pretrained, with_heads=False) if args.use_cropped else None
        sensitivity = args.score_sensitivity or (1.0,) * args.num_classes
        self.register_buffer(
            "score_sensitivity", torch.tensor(sensitivity, dtype=torch.float32), persistent=False
        )

    @property
    def stride(self) -> int:
        return self.image.stride

    def forward(
        self,
        images: torch.Tensor,
        masks: torch.Tensor | None = None,
        crops: torch.Tensor | None = None,
        crop_masks: torch.Tensor | None = None,
    ) -> dict[str, dict[str, torch.Tensor]]:
        """Training forward: {"image": outputs of Model-Image, "crops": of Model-Cropped}.

        images [B, 3, H, W]; crops [B*N, 3, h, w] (N crops per image, image-major); masks and
        crop_masks [., 2, ., .] or None.
        """
        out = {"image": self.image(images, masks)}
        if crops is not None:
            if self.cropped is None:
                raise ValueError("this model was built without Model-Cropped (use_cropped=False)")
            out["crops"] = self.cropped(crops, crop_masks)
        return out

    def predictions(self, image_out: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(score [B], attribute probabilities [B, C]) from Model-Image's outputs.

        Attributes come from the attribute head when the model has one, else from the attention
        maps (GAP + sigmoid). The score comes from the privacy head (clamped to [0, 1]), else
        from the privacy profile applied to the attribute probabilities.
        """
        logits = image_out.get("attribute_logits", image_out["attention_logits"])
        probabilities = torch.sigmoid(logits)
        if "score" in image_out:
            score = image_out["score"].clamp(0, 1)
        else:
            score = profile_score(probabilities, self.score_sensitivity, self.args.score_rule)
        return score, probabilities

    def infer(
        self, images: torch.Tensor, masks: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Model-Image only: score [B], attributes [B, C] (probabilities), cams [B, C, h, w]
        (min-max normalised to [0, 1] per map, at the backbone's stride; weighted by the
        masks when given)."""
        out = self.image(images, masks)
        score, attributes = self.predictions(out)
        return {"score": score, "attributes": attributes, "cams": normalise_cams(out["attention"])}

    def inference_module(self) -> ImageModel:
        return ImageModel(self)


class ImageModel(nn.Module):
    """Model-Image for export: images [B, 3, H, W] -> (score [B], attributes [B, C],
    cams [B, C, H/stride, W/stride]), named by OUTPUT_NAMES. No masks, no data-dependent
    control flow: torch.onnx and torch.jit.trace take it as it is."""

    output_names = OUTPUT_NAMES

    def __init__(self, model: PrivObfNet) -> None:
        super().__init__()
        self.branch = model.image
        self.score_rule = model.args.score_rule
        self.register_buffer("score_sensitivity", model.score_sensitivity.clone(), persistent=False)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.branch(images)
        logits = out.get("attribute_logits", out["attention_logits"])
        attributes = torch.sigmoid(logits)
        if "score" in out:
            score = out["score"].clamp(0, 1)
        else:
            score = profile_score(attributes, self.score_sensitivity, self.score_rule)
        return score, attributes, normalise_cams(out["cams"])


__all__ = [
    "MASK_CHANNELS",
    "MASK_TYPES",
    "OUTPUT_NAMES",
    "SCORE_RULES",
    "Branch",
    "ImageModel",
    "ModelArgs",
    "PrivObfNet",
    "mask_weights",
    "normalise_cams",
    "profile_score",
]
