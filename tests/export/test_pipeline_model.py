"""The model in the product: the ONNX export redacts like its checkpoint, attributes only the
model covers become hideable, and `--model model.onnx` needs no torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from redactor.cli import app
from redactor.imageio import load
from redactor.pipeline import RedactOptions, Redactor
from tests.export.tiny_model import ASTRONAUT, SAMPLES

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
NUDITY = RedactOptions(hide=("nudity",))  # only the model runs: no OCR


def iou(a, b) -> float:
    """IoU of two mask regions in image coordinates."""
    x0, y0 = min(a.box[0], b.box[0]), min(a.box[1], b.box[1])
    x1, y1 = max(a.box[2], b.box[2]), max(a.box[3], b.box[3])
    canvas = np.zeros((2, y1 - y0, x1 - x0), bool)
    for layer, r in enumerate((a, b)):
        canvas[layer, r.box[1] - y0 : r.box[3] - y0, r.box[0] - x0 : r.box[2] - x0] = r.mask
    return float((canvas[0] & canvas[1]).sum() / (canvas[0] | canvas[1]).sum())


def model_regions(report) -> dict:
    return {r.attributes[0]: r for r in report.regions if r.detector == "model"}


def test_onnx_export_gives_the_checkpoints_regions(tiny_checkpoint: Path, tiny_onnx: Path) -> None:
    image = load(ASTRONAUT)
    torch_result = Redactor(model=tiny_checkpoint).redact(image, NUDITY)
    onnx_result = Redactor(model=tiny_onnx).redact(image, NUDITY)
    by_torch, by_onnx = model_regions(torch_result.report), model_regions(onnx_result.report)
    assert (
        set(by_torch)
        == set(by_onnx)
        == {"a9_face_complete", "a12_semi_nudity", "a13_full_nudity", "a19_name_full"}
    )
    for attribute_id, region in by_torch.items():
        other = by_onnx[attribute_id]
        assert np.abs(np.subtract(region.box, other.box)).max() <= 1
        assert iou(region, other) > 0.99
        assert region.score == pytest.approx(other.score, abs=1e-4)
    assert torch_result.report.privacy_score == pytest.approx(
        onnx_result.report.privacy_score, abs=1e-4
    )
    hidden = {r.attributes[0] for r in onnx_result.report.hidden}
    assert hidden == {"a12_semi_nudity", "a13_full_nudity"}  # found, but not asked for: kept
    changed = np.abs(torch_result.pixels.astype(int) - onnx_result.pixels.astype(int)) > 0
    assert changed.mean() < 0.01  # the same pixels hidden, up to a few mask-edge pixels


def test_redact_many_batches_the_model_and_matches_redact(tiny_onnx: Path) -> None:
    redactor = Redactor(model=tiny_onnx)
    images = [load(ASTRONAUT), load(SAMPLES / "letter.jpg")]
    many = redactor.redact_many(images, NUDITY)
    for image, result in zip(images, many):
        single = redactor.redact(image, NUDITY)
        assert [r.box for r in result.report.regions] == [r.box for r in single.report.regions]
        assert result.report.privacy_score == pytest.approx(single.report.privacy_score, abs=1e-5)


def test_cli_hide_nudity_works_with_a_model_and_fails_closed_without(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [str(ASTRONAUT), "--model", str(tiny_checkpoint), "--hide", "nudity", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.jsonl").read_text().splitlines()[0])
    assert report["attribute_probabilities"]["a13_full_nudity"] > 0.5 and "privacy_score" in report
    hidden = [r for r in report["regions"] if r["hidden"]]
    assert {a for r in hidden for a in r["attributes"]} == {"a12_semi_nudity", "a13_full_nudity"}
    assert (out / "astronaut.jpg").is_file()

    closed = tmp_path / "closed"
    result = runner.invoke(app, [str(ASTRONAUT), "--hide", "nudity", "--out", str(closed)])
    assert result.exit_code == 2
    assert "cannot hide nudity" in result.output and "--model" in result.output
    assert not closed.exists()


BLOCK_TORCH = """
import sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"torch is blocked in this test ({name})")
sys.meta_path.insert(0, NoTorch())
from redactor.cli import run_app
sys.argv = ["redact", *sys.argv[1:]]
try:
    run_app()
finally:
    assert "torch" not in sys.modules
"""


@pytest.mark.slow  # two Python subprocesses
def test_onnx_model_path_needs_no_torch(tiny_onnx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCK_TORCH,
            str(ASTRONAUT),
            "--model",
            str(tiny_onnx),
            "--hide",
            "nudity",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((out / "report.jsonl").read_text().splitlines()[0])
    assert report["privacy_score"] is not None
    assert any(r["detector"] == "model" and r["hidden"] for r in report["regions"])
    # and the same block really stops a torch path
    blocked = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCK_TORCH,
            str(ASTRONAUT),
            "--model",
            str(tiny_onnx.with_suffix(".pt")),
            "--hide",
            "nudity",
            "--out",
            str(tmp_path / "o2"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert blocked.returncode != 0
    assert "torch checkpoint and torch is not installed" in blocked.stdout + blocked.stderr
