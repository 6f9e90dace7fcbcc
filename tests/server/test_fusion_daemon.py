"""Issue 13 in the daemon: `/v1/analyze` reports the fused attributes and score with their
sources and the model's own outputs; an unvalidated model's model-only default hide is refused
at start-up (one line from `redact serve`) unless `--trust-model`."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from redactor.privacy_score import default_profile
from redactor.server import Daemon, ServerConfig, build_redactor

from .conftest import TOKEN, ServerThread, start_server
from .test_model_batching import tiny_checkpoint

FACE = "a9_face_complete"
ROOT = Path(__file__).resolve().parents[2]


def unmeasured_model(path: Path) -> Path:
    """The tiny model with no recorded real-image validity (nudity is model-only)."""
    pytest.importorskip("torch", reason="the `train` extra (torch) makes the test model")
    from tests.export.tiny_model import make_checkpoint

    return make_checkpoint(path, validity={})


def test_analyze_reports_fused_face_and_model_outputs(tmp_path, images) -> None:
    from redactor.detectors.faces import FaceDetector

    model = tiny_checkpoint(tmp_path / "tiny.pt")  # calls the face absent (~0.02)
    settings = {"model": model, "hide": ("face",)}
    running = start_server(build_redactor(ServerConfig(**settings)), tmp_path, **settings)
    try:
        reply = running.call(
            "POST", "/v1/analyze?hide=face", images.astronaut_jpeg, {"Content-Type": "image/jpeg"}
        )
    finally:
        running.stop()
    assert reply.status == 200, reply.body[:300]
    report = reply.json()
    pixels = np.asarray(Image.open(io.BytesIO(images.astronaut_jpeg)).convert("RGB"))
    confidence = max(r.score for r in FaceDetector().detect(pixels, None))  # independent run
    assert report["model_attribute_probabilities"][FACE] < 0.1
    assert report["attribute_probabilities"][FACE] == pytest.approx(confidence, abs=1e-3)
    assert report["attribute_sources"][FACE] == "faces"
    assert report["attribute_sources"]["a12_semi_nudity"] == "model"
    assert report["privacy_score"] >= default_profile().score({FACE: confidence}) - 1e-4
    assert report["privacy_score"] == pytest.approx(
        default_profile().score(report["attribute_probabilities"]), abs=2e-4
    )
    assert report["fused_with"] == ["faces"]


def _start(config: ServerConfig, redactor) -> ServerThread:
    server = ServerThread(Daemon(config, redactor=redactor, token=TOKEN))
    server.submit(server.daemon.state.ready.wait()).result(120)
    return server


def test_unvalidated_default_hide_is_refused_at_start_up(tmp_path) -> None:
    model = unmeasured_model(tmp_path / "bare.pt")
    config = ServerConfig(port=0, config_dir=tmp_path / "cfg", model=model, hide=("nudity",))
    running = _start(config, build_redactor(config))
    try:
        state = running.daemon.state
        assert state.phase == "failed" and state.refused
        assert "a12_semi_nudity" in state.failure and "--trust-model" in state.failure
        reply = running.call("POST", "/v1/analyze", b"\xff\xd8\xff", {"Content-Type": "image/jpeg"})
        assert reply.status == 503 and "refused its default hide" in reply.json()["message"]
    finally:
        running.stop()


def test_trust_model_serves_and_per_request_refusal_is_422(tmp_path, images) -> None:
    model = unmeasured_model(tmp_path / "bare.pt")
    trusted = {"model": model, "hide": ("nudity",), "trust_model": True}
    running = start_server(build_redactor(ServerConfig(**trusted)), tmp_path, **trusted)
    try:
        reply = running.redact(images.astronaut_jpeg)  # the default hide: nudity
        assert reply.status == 200, reply.body[:300]
    finally:
        running.stop()
    # Untrusted with a detector-covered default: asking for nudity is refused before the upload.
    plain = {"model": model, "hide": ("face",)}
    running = start_server(build_redactor(ServerConfig(**plain)), tmp_path, **plain)
    try:
        reply = running.redact(images.astronaut_jpeg, "?hide=nudity")
        assert reply.status == 422 and reply.json()["error"] == "unvalidated_model"
        assert running.redact(images.astronaut_jpeg, "?hide=face").status == 200
    finally:
        running.stop()


def _serve(args: list[str], tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    return subprocess.Popen(
        [sys.executable, "-m", "redactor.cli", "serve", "--port", "0",
         "--config-dir", str(tmp_path / "cfg"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip


def test_redact_serve_refuses_in_one_line_and_trust_model_starts(tmp_path) -> None:
    model = str(unmeasured_model(tmp_path / "bare.pt"))
    refused = _serve(["--model", model, "--hide", "nudity"], tmp_path)
    _, stderr = refused.communicate(timeout=180)
    assert refused.returncode == 2
    errors = [line for line in stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "--trust-model" in errors[0], stderr[-800:]

    trusted = _serve(["--model", model, "--hide", "nudity", "--trust-model"], tmp_path)
    try:
        assert trusted.stdout is not None
        lines = []
        for line in trusted.stdout:
            lines.append(line)
            if line.startswith(("ready", "error")):
                break
        assert lines and lines[-1].startswith("ready"), "".join(lines)
        assert "nudity" in lines[-1]
    finally:
        trusted.send_signal(signal.SIGINT)
        _, err = trusted.communicate(timeout=120)
    assert trusted.returncode == 0, err[-800:]
