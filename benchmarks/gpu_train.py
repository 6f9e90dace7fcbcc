"""Time one PrivObfNet training step with and without mixed precision; report images/s.

    python benchmarks/gpu_train.py                      # CUDA, the paper's sizes
    python benchmarks/gpu_train.py --device cpu --steps 2   # smoke test (reduced sizes)

Paper sizes (§4.1): ResNet-38 (resnet38d) backbone for Model-Image and Model-Cropped, batch 4,
448x448 images, 6 crops of 320x320 per image, 68 attributes, SGD; all four losses. Each
precision mode (fp32, bf16 autocast, fp16 autocast + GradScaler) runs `--warmup` untimed steps,
then `--steps` timed ones (CUDA-synchronised); the median step gives images/s. Inputs are
random tensors, so only torch and this repository are needed (no data, no images, no PIL).

On CPU, the sizes default to a smoke configuration (32 px images, 24 px crops, batch 2,
2 crops, 1 warm-up step) unless given explicitly: a ResNet-38 step at 448 px takes minutes on
a CPU, and even the smoke step takes seconds (two 105M-parameter networks).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from redactor.attributes import mask_type_vector
from redactor.model import ModelArgs, PrivObfNet
from redactor.training.config import TrainConfig
from redactor.training.optim import make_optimizer
from redactor.training.step import Batch, autocast_context, compute_losses

PAPER = {"image_size": 448, "crop_size": 320, "batch": 4, "crops": 6}
CPU_SMOKE = {"image_size": 32, "crop_size": 24, "batch": 2, "crops": 2}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda | cuda:N | cpu")
    parser.add_argument("--backbone", default="resnet38d")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--crop-size", type=int)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--crops", type=int)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per mode")
    parser.add_argument("--warmup", type=int, help="untimed steps per mode (CUDA 3, CPU 1)")
    parser.add_argument(
        "--modes",
        default="",
        help="comma list of fp32,bf16,fp16 (default: all the device supports; CPU: fp32,bf16)",
    )
    parser.add_argument("--channels-last", action="store_true", help="NHWC memory format")
    parser.add_argument("--no-tf32", action="store_true", help="fp32 without TF32 tensor cores")
    parser.add_argument("--masks", action="store_true", help="also feed human/text masks")
    parser.add_argument("--json", type=Path, help="write the results here")
    return parser.parse_args(argv)


def sizes(args: argparse.Namespace, device: torch.device) -> dict[str, int]:
    defaults = PAPER if device.type == "cuda" else CPU_SMOKE
    chosen = {
        "image_size": args.image_size,
        "crop_size": args.crop_size,
        "batch": args.batch,
        "crops": args.crops,
    }
    return {k: (v if v is not None else defaults[k]) for k, v in chosen.items()}


def modes_for(args: argparse.Namespace, device: torch.device) -> list[str]:
    if args.modes:
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        unknown = set(modes) - {"fp32", "bf16", "fp16"}
        if unknown:
            raise SystemExit(f"unknown modes {sorted(unknown)}: use fp32, bf16, fp16")
        return modes
    if device.type == "cpu":
        return ["fp32", "bf16"]
    modes = ["fp32"]
    if torch.cuda.is_bf16_supported():
        modes.append("bf16")
    return modes + ["fp16"]


def time_mode(
    mode: str, args: argparse.Namespace, size: dict[str, int], device: torch.device
) -> dict[str, object]:
    torch.manual_seed(0)
    config = TrainConfig(
        backbone=args.backbone,
        pretrained="none",
        image_size=size["image_size"],
        crop_size=size["crop_size"],
        num_crops=size["crops"],
        batch_size=size["batch"],
        amp={"fp32": "none", "bf16": "bf16", "fp16": "fp16"}[mode],
    ).validate()
    mask_types = tuple(mask_type_vector())
    model = PrivObfNet(ModelArgs(args.backbone, len(mask_types), mask_types)).to(device)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format).train()
    optimizer = make_optimizer(model, config)
    scaler = torch.amp.GradScaler(device.type, enabled=mode == "fp16")
    generator = torch.Generator().manual_seed(0)
    b, s = size["batch"], size["image_size"]
    batch = Batch(
        torch.randn(b, 3, s, s, device=device).contiguous(memory_format=memory_format),
        (torch.rand(b, len(mask_types), device=device) < 0.15).float(),
        torch.rand(b, device=device),
        torch.rand(b, 2, s, s, device=device) if args.masks else None,
    )

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        with autocast_context(config, device):
            total, _ = compute_losses(model, batch, config, model.stride, generator)
        scaler.scale(total).backward()
        scaler.step(optimizer)
        scaler.update()
        return float(total.detach())

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times: list[float] = []
    loss = float("nan")
    try:
        for i in range(args.warmup + args.steps):
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            started = time.perf_counter()
            loss = step()  # float() synchronises with the device
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i >= args.warmup:
                times.append(time.perf_counter() - started)
    except torch.cuda.OutOfMemoryError:
        return {
            "mode": mode,
            "error": f"out of GPU memory at batch {b}: try --batch {max(1, b // 2)}",
        }
    median = statistics.median(times)
    result: dict[str, object] = {
        "mode": mode,
        "median_step_s": round(median, 4),
        "min_step_s": round(min(times), 4),
        "images_per_s": round(b / median, 2),
        "crops_per_s": round(b * size["crops"] / median, 2),
        "last_loss": round(loss, 4),
    }
    if device.type == "cuda":
        result["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA device here; run with --device cpu for a smoke test", file=sys.stderr)
        return 2
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = not args.no_tf32
        torch.backends.cudnn.allow_tf32 = not args.no_tf32
        torch.backends.cudnn.benchmark = True
    size = sizes(args, device)
    if args.warmup is None:
        args.warmup = 3 if device.type == "cuda" else 1
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"device: {name}; torch {torch.__version__}; backbone {args.backbone}; batch "
        f"{size['batch']} x {size['image_size']} px + {size['crops']} crops x "
        f"{size['crop_size']} px; {args.steps} timed steps after {args.warmup} warm-up; "
        f"tf32 {'off' if args.no_tf32 or device.type != 'cuda' else 'on'}; "
        f"channels_last {args.channels_last}"
    )
    if device.type == "cpu" and size["image_size"] < PAPER["image_size"]:
        print("(CPU: reduced smoke sizes; pass --image-size etc. for others)")
    results = []
    for mode in modes_for(args, device):
        results.append(time_mode(mode, args, size, device))
        if device.type == "cuda":
            torch.cuda.empty_cache()  # the previous mode's model is gone
    baseline = next((r for r in results if r["mode"] == "fp32" and "error" not in r), None)
    print(f"{'mode':<6} {'median step s':>14} {'images/s':>10} {'vs fp32':>8} {'peak GiB':>9}")
    for r in results:
        if "error" in r:
            print(f"{r['mode']:<6} {r['error']}")
            continue
        ratio = (
            float(r["images_per_s"]) / float(baseline["images_per_s"]) if baseline else float("nan")
        )
        r["speedup_vs_fp32"] = round(ratio, 3)
        print(
            f"{r['mode']:<6} {r['median_step_s']:>14.4f} {r['images_per_s']:>10.2f} "
            f"{ratio:>7.2f}x {r.get('peak_memory_gib', '-'):>9}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "device": name,
                    "torch": torch.__version__,
                    "sizes": size,
                    "backbone": args.backbone,
                    "results": results,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
