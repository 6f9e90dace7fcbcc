"""`redact bench`: which cases run, timed rows with speed-ups against torch eager, JSON, and the
per-stage pipeline timing. (Speed itself is measured by benchmarks, never asserted here.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redactor.exporters.bench import BenchSettings, main, plan_cases, render_text, run_bench
from redactor.cli import app
from redactor.errors import UsageError
from tests.export.tiny_model import ASTRONAUT

runner = CliRunner()
QUICK = BenchSettings(batches=(1, 2), warmup=1, runs=3, min_runs=2, max_seconds=1.0, threads=1)


def test_plan_puts_torch_eager_first_and_fits_backends_to_files(
    tiny_checkpoint: Path, tiny_onnx: Path
) -> None:
    cases = plan_cases(
        [tiny_checkpoint, tiny_onnx],
        ["torch-fp16", "onnxruntime"],
        BenchSettings(precisions=("fp32", "fp16")),
        "cpu",
    )
    assert [(m.suffix, b, p) for m, b, p in cases] == [
        (".pt", "torch", "fp32"),
        (".pt", "torch-fp16", "fp16"),
        (".onnx", "onnxruntime", "file"),
    ]
    cases = plan_cases(
        [tiny_checkpoint], ["torch"], BenchSettings(precisions=("fp32", "fp16")), "cpu"
    )
    assert [(b, p) for _, b, p in cases] == [("torch", "fp32"), ("torch", "fp16")]
    with pytest.raises(UsageError, match="no --model file fits backend tensorrt"):
        plan_cases([tiny_checkpoint], ["tensorrt"], BenchSettings(), "cpu")
    with pytest.raises(UsageError, match="unknown precision 'int4'"):
        plan_cases([tiny_checkpoint], None, BenchSettings(precisions=("int4",)), "cpu")


def test_run_bench_times_each_case_and_reports_what_cannot_run(
    tiny_checkpoint: Path, tiny_onnx: Path
) -> None:
    result = run_bench(
        [tiny_checkpoint, tiny_onnx], ["torch", "torch-cudagraph", "onnxruntime"], QUICK
    )
    rows = {(r.backend, r.batch): r for r in result.rows}
    assert set(rows) == {
        (b, n) for b in ("torch", "torch-cudagraph", "onnxruntime") for n in (1, 2)
    }
    for batch in (1, 2):
        eager, onnx = rows[("torch", batch)], rows[("onnxruntime", batch)]
        assert eager.speedup == pytest.approx(1.0) and 2 <= eager.runs <= 3
        assert 0 < onnx.p50_ms <= onnx.p95_ms
        assert onnx.speedup == pytest.approx(eager.p50_ms / onnx.p50_ms)
        assert onnx.images_per_s == pytest.approx(batch * 1000 / onnx.p50_ms)
        assert (
            "CUDA" in rows[("torch-cudagraph", batch)].error
            and rows[("torch-cudagraph", batch)].p50_ms is None
        )
    text = render_text(result)
    assert "speed-up" in text and "not run: backend torch-cudagraph needs a CUDA device" in text
    assert result.environment["cpu_threads"] >= 1 and "onnxruntime" in result.environment


def test_cli_bench_writes_json_and_times_the_pipeline(
    tiny_checkpoint: Path, tiny_onnx: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    result = runner.invoke(
        app,
        [
            "bench",
            "--model",
            str(tiny_checkpoint),
            "--model",
            str(tiny_onnx),
            "--batch",
            "1",
            "--runs",
            "2",
            "--warmup",
            "1",
            "--max-seconds",
            "1",
            "--threads",
            "1",
            "--pipeline",
            str(ASTRONAUT),
            "--hide",
            "nudity",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "onnxruntime" in result.output and "pipeline" in result.output
    data = json.loads(out.read_text())
    assert {r["backend"] for r in data["rows"]} == {"torch", "onnxruntime"}
    pipeline = data["pipeline"]
    assert pipeline["model"] == str(tiny_checkpoint) and pipeline["hide"] == [
        "a12_semi_nudity",
        "a13_full_nudity",
    ]
    assert {"decode", "model", "obfuscate", "encode"} <= set(pipeline["stage_ms"])
    assert pipeline["total_ms"] >= sum(pipeline["stage_ms"].values()) * 0.9


def test_bench_runs_without_typer_and_rich(
    tiny_onnx: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """`python -m redactor.exporters.bench` is what the GPU script runs on machines with torch only."""
    out = tmp_path / "b.json"
    assert (
        main(
            [
                "--model",
                str(tiny_onnx),
                "--batch",
                "1",
                "--runs",
                "2",
                "--warmup",
                "0",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    assert "tiny.onnx" in capsys.readouterr().out
    assert json.loads(out.read_text())["rows"][0]["backend"] == "onnxruntime"
    assert main(["--batch", "1"]) == 2  # nothing to time: a clear error, not a traceback


def test_cli_bench_refuses_a_missing_model_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "--model", str(tmp_path / "absent.onnx")])
    assert result.exit_code == 2
    assert "model file not found" in result.output and "absent.onnx" in result.output
