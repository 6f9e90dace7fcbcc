"""PrivObfNet: backbones, the network, checkpoints. Needs torch; never imports training code.

from redactor.model import load_checkpoint
model, meta = load_checkpoint("privobfnet.pt")
outputs = model.infer(images)            # {"score", "attributes", "cams"}
exportable = model.inference_module()    # images -> (score, attributes, cams)
"""

from __future__ import annotations

from redactor.model.backbones import backbone_info, list_backbones, register_backbone
from redactor.model.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from redactor.model.pretrained import imagenet_weights_path
from redactor.model.privobfnet import (
    MASK_CHANNELS,
    MASK_TYPES,
    OUTPUT_NAMES,
    ImageModel,
    ModelArgs,
    PrivObfNet,
    normalise_cams,
)
from redactor.model_meta import FORMAT_VERSION, IMAGENET_MEAN, IMAGENET_STD, ModelMeta

__all__ = [
    "FORMAT_VERSION",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MASK_CHANNELS",
    "MASK_TYPES",
    "OUTPUT_NAMES",
    "ImageModel",
    "ModelArgs",
    "ModelMeta",
    "PrivObfNet",
    "backbone_info",
    "imagenet_weights_path",
    "list_backbones",
    "load_checkpoint",
    "normalise_cams",
    "read_checkpoint",
    "register_backbone",
    "save_checkpoint",
]
