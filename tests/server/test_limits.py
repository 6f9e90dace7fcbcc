"""Bad and excessive input: each gets a 4xx/5xx JSON error and the daemon answers the next
request. Overload gives 503 + Retry-After without a crash; slow work gives 504."""

from __future__ import annotations

import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from .conftest import encode, start_server


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header declaring width x height pixels with a few bytes of data: decoding it
    would allocate width*height*3 bytes (a decompression bomb)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 4, 9)  # only a few rows: enough to look real
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def assert_json_error(reply, status: int, code: str | None = None) -> None:
    assert reply.status == status, (reply.status, reply.body[:200])
    assert reply.header("Content-Type").startswith("application/json")
    body = reply.json()
    assert set(body) == {"error", "message"} and body["message"]
    if code is not None:
        assert body["error"] == code, body


def still_serves(server, images) -> None:
    reply = server.redact(images.astronaut_jpeg, "?hide=face")
    assert reply.status == 200 and reply.body[:2] == b"\xff\xd8"


def test_non_image_is_415(server, images):
    assert_json_error(server.redact(b"hello, world", content_type="text/plain"), 415,
                      "unsupported_media_type")  # fmt: skip
    assert_json_error(server.redact(b"<html><body>hi</body></html>", content_type="image/png"),
                      415, "not_an_image")  # fmt: skip
    assert_json_error(server.redact(b"", content_type="image/png"), 400, "empty_body")
    still_serves(server, images)


def test_truncated_and_corrupt_images_are_400(server, images):
    truncated = images.astronaut_jpeg[: len(images.astronaut_jpeg) // 2]
    assert_json_error(server.redact(truncated), 400, "bad_image")
    corrupt = images.astronaut_png[:60] + bytes(200) + images.astronaut_png[260:]
    assert_json_error(server.redact(corrupt, content_type="image/png"), 400, "bad_image")
    still_serves(server, images)


def test_oversized_body_is_413(server, images):
    big = b"\xff\xd8\xff" + np.random.default_rng(0).bytes(3 * 2**20)  # the limit is 2 MiB
    assert_json_error(server.redact(big), 413, "body_too_large")
    # Without Content-Length (http.client sends an iterable chunked), the limit holds while
    # reading.
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    reply = server.call("POST", "/v1/redact", chunks, {"Content-Type": "image/jpeg"})
    assert_json_error(reply, 413, "body_too_large")
    still_serves(server, images)


def test_pixel_bomb_is_413(server, images):
    bomb = png_bomb(30_000, 30_000)  # 900 megapixels in a few hundred bytes; the limit is 20
    assert len(bomb) < 10_000
    assert_json_error(server.redact(bomb, content_type="image/png"), 413, "image_too_large")
    still_serves(server, images)


@pytest.fixture()
def narrow_server(shared_redactor, tmp_path):
    """One worker, one image per batch, at most two requests taken at once."""
    running = start_server(shared_redactor, tmp_path, workers=1, max_batch=1, max_pending=2)
    yield running
    running.stop()


def test_overload_is_503_with_retry_after_and_no_crash(narrow_server, images):
    pixels = np.asarray(Image.open(io.BytesIO(images.astronaut_png)))
    large = encode(np.tile(pixels, (2, 2, 1)), "JPEG", quality=90)  # 1024 x 1024: slower work
    with ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(lambda _: narrow_server.redact(large, "?hide=face"), range(12)))
    statuses = sorted(r.status for r in replies)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 2 and statuses.count(503) >= 1, statuses
    for reply in replies:
        if reply.status == 503:
            assert_json_error(reply, 503, "overloaded")
            assert int(reply.header("Retry-After")) >= 1
    still_serves(narrow_server, images)
    assert narrow_server.daemon.state.batcher.pending == 0


def test_slow_request_is_504_and_the_daemon_recovers(shared_redactor, tmp_path, images):
    running = start_server(shared_redactor, tmp_path, request_timeout_s=0.001)
    try:
        assert_json_error(running.redact(images.astronaut_jpeg, "?hide=face"), 504, "timeout")
        assert running.call("GET", "/v1/health").status == 200
        assert running.daemon.state.batcher.pending == 0
    finally:
        running.stop()


def test_multipart_without_a_file_or_with_endless_fields_is_refused(server, images):
    boundary = "b0undary"
    content_type = f"multipart/form-data; boundary={boundary}"
    field = f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
    only_fields = f"{field}x\r\n--{boundary}--\r\n".encode()
    assert_json_error(server.redact(only_fields, content_type=content_type), 400, "no_file")
    big_field = field + "x" * 10_000 + f"\r\n--{boundary}--\r\n"
    assert_json_error(server.redact(big_field.encode(), content_type=content_type), 413)
    still_serves(server, images)
