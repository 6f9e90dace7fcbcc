"""The training loop behind `redact train`: one process or N under torchrun (DDP).

Writes into `out/`: `last.pt` (every epoch, with optimiser state, for --resume), `model.pt`
(the final weights only, for inference and export), `metrics.jsonl` (one line per epoch:
losses, learning rate, throughput, validation metrics) and `final_check.json` (the collapse
check: how much the final model's outputs vary across held-out images). A collapsed model
(redactor/training/collapse.py) is written as `model.collapsed.pt` instead of `model.pt` and the run
raises TrainingCollapsedError. Only rank 0 writes.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from redactor.errors import UsageError
from redactor.files import write_text_atomic
from redactor.model import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ModelArgs,
    ModelMeta,
    PrivObfNet,
    read_checkpoint,
    save_checkpoint,
)
from redactor.model.checkpoint import model_from_payload
from redactor.training import distributed
from redactor.training.collapse import (
    COLLAPSED_NAME,
    Spread,
    TrainingCollapsedError,
    collapse_message,
)
from redactor.training.config import TrainConfig, make_config
from redactor.training.datasets import DataSource, ImageSet, collate, has_split, open_source
from redactor.training.optim import (
    freeze_batchnorm,
    freeze_stages,
    lr_factor,
    make_optimizer,
    set_class_prior,
)
from redactor.training.step import LOSS_NAMES, Batch, autocast_context, compute_losses
from redactor.training.targets import mask_provider, profile_for_model, score_function


class Reporter(Protocol):
    """Progress callbacks (rank 0 only). The CLI passes a rich one; tests pass none."""

    def message(self, text: str) -> None: ...
    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None: ...
    def step(self, running: dict[str, float]) -> None: ...
    def end_epoch(self, record: dict[str, Any]) -> None: ...


class SilentReporter:
    def message(self, text: str) -> None:
        pass

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        pass

    def step(self, running: dict[str, float]) -> None:
        pass

    def end_epoch(self, record: dict[str, Any]) -> None:
        pass


@dataclass
class TrainResult:
    out: Path
    checkpoint: Path  # model.pt
    metrics: Path  # metrics.jsonl
    epochs_done: int
    history: list[dict[str, Any]]
    is_main: bool = True  # rank 0 (the process that wrote the files)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def bn_frozen(config: TrainConfig) -> bool:
    if config.freeze_bn == "auto":
        return config.pretrained not in ("", "none")
    return config.freeze_bn == "yes"


def build_model(config: TrainConfig, source: DataSource, pretrained: bool = True) -> PrivObfNet:
    sensitivity, rule = None, "mix"
    if not config.use_priv and source.is_vispr:
        sensitivity, rule = profile_for_model(config.privacy_profile)
    args = ModelArgs(
        backbone=config.backbone,
        num_classes=source.num_classes,
        mask_types=source.mask_types,
        use_cropped=config.use_cropped,
        privacy_head=config.use_priv,
        attribute_head=config.use_attr,
        head_hidden=config.head_hidden,
        score_sensitivity=sensitivity,
        score_rule=rule,
    )
    model = PrivObfNet(args, pretrained=config.pretrained if pretrained else None)
    set_class_prior(model, source.label_matrix())
    return model


def model_meta(
    model: PrivObfNet, config: TrainConfig, source: DataSource, with_masks: bool
) -> ModelMeta:
    return ModelMeta(
        attribute_ids=list(source.class_ids),
        mask_types=list(source.mask_types),
        backbone=config.backbone,
        input_size=(config.image_size, config.image_size),
        stride=model.stride,
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        crop_size=config.crop_size,
        score_source="head" if config.use_priv else "attributes",
        attribute_source="head" if config.use_attr else "attention",
        trained_with_masks=with_masks,
        dataset="voc" if source.kind == "voc" else "vispr",
        privacy_profile=recorded_profile(config) if source.is_vispr else {},
    )


def recorded_profile(config: TrainConfig) -> dict:
    """The profile the score targets came from, for the model's metadata (detector fusion
    rescores with it); {} for the default one."""
    if not config.privacy_profile:
        return {}
    from redactor.training.privacy_profile import load_profile

    return load_profile(config.privacy_profile).to_json()


def train(
    data: str | Path,
    config: TrainConfig,
    out: str | Path,
    *,
    resume: str | Path | None = None,
    reporter: Reporter | None = None,
) -> TrainResult:
    """Train PrivObfNet on `data` (VISPR layout, synthetic or VOC) with `config`.

    With `resume`, the run continues from that checkpoint's epoch with its model, optimiser
    and config (the `config` passed here is expected to come from
    `resume_config(resume, ...)`).
    """
    env = distributed.setup(config.device)
    reporter = reporter if (reporter is not None and env.is_main) else SilentReporter()
    out = Path(out)
    try:
        return _train(Path(data), config, out, resume, reporter, env)
    finally:
        distributed.cleanup(env)


def resume_config(resume: str | Path, file: str | Path | None, overrides: Any) -> TrainConfig:
    """The checkpoint's config, then a config file, then --set on top."""
    payload = read_checkpoint(resume)
    return make_config(file, overrides, base=payload.get("config") or {})


def _train(
    data: Path,
    config: TrainConfig,
    out: Path,
    resume: str | Path | None,
    reporter: Reporter,
    env: distributed.DistEnv,
) -> TrainResult:
    seed_everything(config.seed)
    source = open_source(data, config.train_split)
    if config.use_priv and not source.is_vispr:
        raise UsageError(
            f"{data} ({source.kind}) has no privacy scores: train with --set use_priv=false"
        )
    score_of = score_function(config.privacy_profile) if source.is_vispr else None
    masks_of = mask_provider(data, source) if config.use_masks else None
    if config.use_masks and masks_of is None:
        reporter.message(f"no human/text masks cached for {data}: training without mask weighting")
    with_masks = masks_of is not None

    payload = read_checkpoint(resume) if resume else None
    if payload is not None:
        model, _ = model_from_payload(payload, source=str(resume))
        if list(payload["meta"]["attribute_ids"]) != list(source.class_ids):
            raise UsageError(f"{resume} was trained on other classes than {data} has")
        start_epoch = int(payload["epoch"])
    else:
        model = build_model(config, source)
        start_epoch = 0
    model.to(env.device)
    model.train()
    freeze_stages(model, config.frozen_stages)
    frozen = bn_frozen(config)
    if frozen:
        freeze_batchnorm(model)
    optimizer = make_optimizer(model, config)
    if payload is not None and payload.get("optimizer"):
        optimizer.load_state_dict(payload["optimizer"])
    meta = model_meta(model, config, source, with_masks)

    train_set = ImageSet(
        source,
        config.image_size,
        meta.mean,
        meta.std,
        train=True,
        hflip=config.hflip,
        score_of=score_of,
        masks_of=masks_of,
        limit=config.max_train_images,
        seed=config.seed,
    )
    sampler = DistributedSampler(
        train_set, num_replicas=env.world_size, rank=env.rank, shuffle=True, seed=config.seed
    )
    per_rank = math.ceil(len(train_set) / env.world_size)
    loader = DataLoader(
        train_set,
        batch_size=config.batch_size,
        sampler=sampler,
        collate_fn=collate,
        num_workers=config.num_workers,
        drop_last=per_rank >= config.batch_size,
        persistent_workers=config.num_workers > 0,
        pin_memory=env.device.type == "cuda",
    )
    steps = len(loader)
    if config.max_steps_per_epoch:
        steps = min(steps, config.max_steps_per_epoch)
    val_source = None
    if env.is_main and config.eval_every and has_split(data, config.val_split):
        val_source = open_source(data, config.val_split)

    wrapped: nn.Module = model
    if env.distributed:
        wrapped = DistributedDataParallel(
            model, device_ids=[env.device.index] if env.device.type == "cuda" else None
        )
    scaler = torch.amp.GradScaler(env.device.type, enabled=config.amp == "fp16")
    crop_generator = torch.Generator().manual_seed(config.seed * 1000 + env.rank)

    if env.is_main:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "config.json", json.dumps(config.to_dict(), indent=2))
    metrics_path = out / "metrics.jsonl"
    history: list[dict[str, Any]] = []
    reporter.message(
        f"training {config.backbone} on {len(train_set)} {source.kind} images "
        f"({source.split}), {env.world_size} process(es) on {env.device}, "
        f"epochs {start_epoch + 1}..{config.epochs}"
    )
    for epoch in range(start_epoch, config.epochs):
        factor = lr_factor(config, epoch)
        for group in optimizer.param_groups:
            group["lr"] = config.lr * group.get("lr_mult", 1.0) * factor
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        crop_generator.manual_seed(config.seed * 1000 + epoch * 17 + env.rank)
        model.train()
        if frozen:
            freeze_batchnorm(model)
        freeze_stages(model, config.frozen_stages)
        sums = torch.zeros(len(LOSS_NAMES) + 2, dtype=torch.float64)  # parts, total, images
        reporter.start_epoch(epoch + 1, config.epochs, steps)
        started = time.perf_counter()
        for step_index, items in enumerate(loader):
            if step_index >= steps:
                break
            batch = Batch(items["image"], items["labels"], items["score"], items["masks"])
            batch = batch.to(env.device)
            if not config.use_priv:
                batch.scores = None
            optimizer.zero_grad(set_to_none=True)
            with autocast_context(config, env.device):
                total, parts = compute_losses(wrapped, batch, config, model.stride, crop_generator)
            if not torch.isfinite(total):
                raise FloatingPointError(
                    f"loss is {total.item()} at epoch {epoch + 1} step {step_index + 1}: "
                    "lower the learning rate (--set lr=...)"
                )
            scaler.scale(total).backward()
            if config.grad_clip > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            count = batch.images.shape[0]
            for i, name in enumerate(LOSS_NAMES):
                if name in parts:
                    sums[i] += parts[name].item() * count
            sums[-2] += total.item() * count
            sums[-1] += count
            reporter.step(
                {
                    **{
                        n: sums[i].item() / sums[-1].item()
                        for i, n in enumerate(LOSS_NAMES)
                        if n in parts
                    },
                    "loss": sums[-2].item() / sums[-1].item(),
                }
            )
        sums = distributed.all_reduce_sum(sums, env)
        seconds = time.perf_counter() - started
        images = max(1.0, sums[-1].item())
        record: dict[str, Any] = {
            "epoch": epoch + 1,
            "lr": config.lr * factor,
            "loss": sums[-2].item() / images,
            "losses": {
                n: sums[i].item() / images for i, n in enumerate(LOSS_NAMES) if sums[i] != 0
            },
            "images": int(images),
            "seconds": round(seconds, 3),
            "images_per_s": round(images / max(seconds, 1e-9), 3),
        }
        if env.is_main:
            if val_source is not None and (epoch + 1) % config.eval_every == 0:
                from redactor.training.evaluate import evaluate_model

                model.eval()
                record["val"] = evaluate_model(
                    model,
                    meta,
                    val_source,
                    masks_of=mask_provider(data, val_source) if with_masks else None,
                    score_of=score_of,
                    device=env.device,
                    batch_size=max(1, config.batch_size),
                    with_iou=True,
                )
                problems = Spread.from_dict(record["val"].get("spread") or {}).problems()
                if problems:
                    reporter.message(
                        f"WARNING epoch {epoch + 1}: on validation {'; '.join(problems)} "
                        "(a collapsed model; training goes on, the final check decides)"
                    )
            save_checkpoint(
                out / "last.pt",
                model,
                meta,
                config=config.to_dict(),
                epoch=epoch + 1,
                optimizer=optimizer,
            )
            with metrics_path.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(record) + "\n")
        history.append(record)
        reporter.end_epoch(record)
        distributed.barrier(env)
    collapse: dict[str, Any] | None = None
    if env.is_main:
        where, spread = _final_spread(model, meta, data, config, history, val_source, env)
        problems = spread.problems()
        final = out / "model.pt"
        if problems:
            # A dead model must not look like a result: it is kept under another name only.
            final = out / COLLAPSED_NAME
            (out / "model.pt").unlink(missing_ok=True)  # an earlier run's, in this folder
            collapse = {"where": where, "problems": problems, "spread": spread.to_dict()}
        save_checkpoint(
            final,
            model,
            dataclasses.replace(meta),
            config=config.to_dict(),
            epoch=max(start_epoch, config.epochs),
        )
        check = {"checked_on": where, "spread": spread.to_dict(), "collapsed": problems}
        write_text_atomic(out / "final_check.json", json.dumps(check, indent=2))
    distributed.barrier(env)
    if collapse is not None:
        raise TrainingCollapsedError(
            collapse_message(collapse["problems"], collapse["where"], str(out / COLLAPSED_NAME))
        )
    return TrainResult(out, out / "model.pt", metrics_path, config.epochs, history, env.is_main)


def _final_spread(
    model: PrivObfNet,
    meta: ModelMeta,
    data: Path,
    config: TrainConfig,
    history: list[dict[str, Any]],
    val_source: DataSource | None,
    env: distributed.DistEnv,
) -> tuple[str, Spread]:
    """How much the final model's outputs vary across held-out images: the last epoch's
    validation when it ran, else a quick pass over the val split, else over up to 64
    training images (a dead model is constant on any images)."""
    last = history[-1].get("val") if history else None
    if last and last.get("spread"):
        return f"the {config.val_split} split", Spread.from_dict(last["spread"])
    from redactor.training.evaluate import evaluate_model

    if val_source is None and has_split(data, config.val_split):
        val_source = open_source(data, config.val_split)
    source = val_source or open_source(data, config.train_split)
    where = f"the {config.val_split} split" if val_source is not None else "training images"
    model.eval()
    result = evaluate_model(
        model,
        meta,
        source,
        device=env.device,
        batch_size=max(1, config.batch_size),
        with_iou=False,
        limit=0 if val_source is not None else 64,
    )
    return where, Spread.from_dict(result["spread"])
