"""`redact train` under `torchrun --nproc_per_node 2` on CPU (DDP over gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from redactor.model import load_checkpoint
from tests.training.fixtures import write_shapes


def test_two_process_torchrun(tmp_path: Path) -> None:
    data = write_shapes(tmp_path / "data", {"train2017": 40, "val2017": 8}, seed=2)
    out = tmp_path / "run"
    settings = [
        "backbone=tiny",
        "pretrained=none",
        "image_size=64",
        "crop_size=40",
        "num_crops=2",
        "batch_size=4",
        "num_workers=0",
        "optimizer=adamw",
        "lr=0.003",
        "epochs=2",
        "eval_every=2",
    ]
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "redactor.cli",
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
    ]
    for setting in settings:
        command += ["--set", setting]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        command,
        capture_output=True,
        check=False,
        text=True,
        timeout=240,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es)" in done.stderr
    # Rank 0 alone writes: one metrics line per epoch, one final message.
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    # Each rank saw half of the 40 images; the all-reduced count covers them all.
    assert all(line["images"] == 40 for line in lines)
    assert "val" in lines[1]
    assert done.stdout.count("model:") == 1
    model, meta = load_checkpoint(out / "model.pt")
    assert meta.epoch == 2 and not any(k.startswith("module.") for k in model.state_dict())
