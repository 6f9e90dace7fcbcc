"""Memory bounds of the real daemon: a daemon-wide budget of decoded pixels (a burst of large
images waits for it, or gets 503 when it stays full), one decoded image at a time inside a
batch, and a default per-image pixel limit a desktop survives."""

from __future__ import annotations

import http.client
import io
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from redactor import imageio
from redactor.server import DEFAULT_MAX_PIXELS, ServerConfig, redact_batch

from .conftest import SAMPLES, start_server
from .test_limits import assert_json_error, png_bomb, still_serves

ASTRONAUT_PIXELS = 512 * 512
ROOT = Path(__file__).resolve().parents[2]


def test_a_burst_waits_for_the_pixel_budget(shared_redactor, tmp_path, images):
    # The budget holds one 512x512 image: four sent at once are decoded one after another.
    running = start_server(shared_redactor, tmp_path, max_pixels=300_000)
    try:
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(
                lambda _: running.redact(images.astronaut_jpeg, "?hide=face"), range(4)
            ))  # fmt: skip
        assert [r.status for r in replies] == [200] * 4, [r.body[:200] for r in replies]
        health = running.call("GET", "/v1/health").json()
        assert health["pixels"]["budget"] == 300_000
        assert health["pixels"]["peak"] == ASTRONAUT_PIXELS  # never two at once
        assert health["pixels"]["in_use"] == 0 and health["pixels"]["waiting"] == 0
        assert health["queue"]["largest_batch"] == 1
    finally:
        running.stop()


def test_a_budget_that_stays_full_answers_503(shared_redactor, tmp_path, images):
    running = start_server(
        shared_redactor, tmp_path, max_pixels=300_000, budget_wait_s=0.05, max_pending=16
    )
    try:
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(
                lambda _: running.redact(images.astronaut_jpeg, "?hide=face"), range(8)
            ))  # fmt: skip
        statuses = sorted(r.status for r in replies)
        assert set(statuses) == {200, 503}, statuses
        for reply in replies:
            if reply.status == 503:
                assert_json_error(reply, 503, "overloaded")
                assert int(reply.header("Retry-After")) >= 1
        health = running.call("GET", "/v1/health").json()
        assert health["pixels"]["in_use"] == 0 and health["queue"]["pending"] == 0
        still_serves(running, images)
    finally:
        running.stop()


def test_a_batch_decodes_one_image_at_a_time(shared_redactor, images, monkeypatch):
    """Without the model (no batched detector) each image of a micro-batch is decoded,
    redacted and encoded before the next one is decoded."""
    events: list[str] = []
    # The daemon decodes through its Redactor (the report's "decode" stage): spy on both.
    real_decode, real_redact = shared_redactor.decode, shared_redactor.redact

    def decode(data, limits=None):
        events.append("decode")
        return real_decode(data, limits)

    def redact(image, options, **kwargs):
        events.append("redact")
        return real_redact(image, options, **kwargs)

    monkeypatch.setattr(shared_redactor, "decode", decode)
    monkeypatch.setattr(shared_redactor, "redact", redact)
    from redactor.pipeline import RedactOptions

    outcomes = redact_batch(
        shared_redactor, RedactOptions(hide=("face",)), imageio.ImageLimits(),
        [images.astronaut_jpeg, b"\xff\xd8\xffnot really", images.astronaut_png],
    )  # fmt: skip
    assert events == ["decode", "redact", "decode", "decode", "redact"], events
    assert outcomes[0][1] == "JPEG" and outcomes[2][1] == "PNG"
    assert isinstance(outcomes[1], Exception)


def test_the_default_pixel_limit_refuses_a_41_megapixel_image_before_decoding(
    shared_redactor, tmp_path, images
):
    assert ServerConfig().max_pixels == DEFAULT_MAX_PIXELS == 40_000_000
    running = start_server(shared_redactor, tmp_path)  # the default limits
    try:
        bomb = png_bomb(6500, 6400)  # 41.6 Mpx declared in a few hundred bytes
        reply = running.redact(bomb, content_type="image/png")
        assert_json_error(reply, 413, "image_too_large")
        health = running.call("GET", "/v1/health").json()
        assert health["pixels"]["peak"] == 0  # refused from its header: nothing reserved
        still_serves(running, images)
    finally:
        running.stop()


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_warm_rss_with_the_default_detectors_stays_under_800_mib(tmp_path):
    """`redact serve` with its defaults (faces, OCR, private text) after ordinary work: the
    sample photos and screenshots and one 12 Mpx photo. It sat at ~1.6 GB before (torch
    imported for nothing, ONNX Runtime arenas keeping the largest image's peak)."""
    photo = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").resize((4000, 3000))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=85)
    uploads = [(SAMPLES / name).read_bytes() for name in
               ("astronaut.jpg", "badge_photo.jpg", "chat.png", "letter.jpg")]  # fmt: skip
    uploads.append(buffer.getvalue())
    process = subprocess.Popen(
        [sys.executable, "-m", "redactor.cli", "serve", "--port", "0",
         "--config-dir", str(tmp_path / "cfg")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = int(re.search(r":(\d+) ", process.stdout.readline()).group(1))
        assert process.stdout.readline().startswith("ready")
        token = (tmp_path / "cfg" / "daemon-token").read_text().strip()
        for data in uploads:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
            connection.request("POST", "/v1/redact", body=data, headers={
                "Authorization": f"Bearer {token}", "Content-Type": kind})  # fmt: skip
            reply = connection.getresponse()
            assert reply.status == 200, reply.read()[:200]
            reply.read()
            connection.close()
        time.sleep(1)
        rss = _rss_mib(process.pid)
        print(f"warm RSS after ordinary work: {rss:.0f} MiB")
        assert rss <= 800, f"{rss:.0f} MiB warm"
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        assert "libtorch" not in maps  # nothing the daemon runs needs torch
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_daemons_reports_carry_every_stage_decode_included(
    shared_redactor, images, monkeypatch
):
    """The daemon runs the Redactor's own core (issue 15): its reports time decoding too, for
    both routes, one image at a time and the batched one."""
    from redactor.pipeline import RedactOptions
    from redactor.server import _redact_batch, analyze_batch

    options = RedactOptions(hide=("face",))
    limits = imageio.ImageLimits()
    payloads = [images.astronaut_jpeg, images.astronaut_png]
    (_, _, first), (_, _, second) = redact_batch(shared_redactor, options, limits, payloads)
    for report in (first, second):
        assert list(report["timings"]) == ["decode", "faces", "obfuscate", "encode"], report
        assert all(seconds > 0 for seconds in report["timings"].values())
    analysed = analyze_batch(shared_redactor, options, limits, payloads)
    for report in analysed:
        assert list(report["timings"]) == ["decode", "faces"], report
        assert report["counts"] == {"face": 1}, report
    # The batched route (taken when a batching detector is loaded) assembles the same report.
    monkeypatch.setattr(shared_redactor, "batching", True)
    batched = _redact_batch(shared_redactor, options, limits, payloads)
    for (_, image_format, report), single in zip(batched, (first, second)):
        assert list(report["timings"]) == list(single["timings"])
        assert report["counts"] == single["counts"] == {"face": 1}
        assert image_format == report["format"]
