"""The daemon and the formats of issue 12 (point 8): a HEIC photo comes back as HEIC with the face
hidden; a multi-page TIFF's summary says how many pages were dropped; GIF and AVIF are accepted."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from .conftest import encode
from .test_api import assert_face_hidden, faces_in


def test_heic_photo_comes_back_as_heic_with_the_face_hidden(server, images):
    pixels = np.asarray(Image.open(io.BytesIO(images.astronaut_png)).convert("RGB"))
    original = encode(pixels, "HEIF", quality=90)
    assert original[4:12] == b"ftypheic"
    assert faces_in(original)  # the check below can fail
    reply = server.redact(original, "?hide=face", "image/heic")
    assert reply.status == 200, reply.body[:300]
    assert reply.header("Content-Type") == "image/heic"
    assert Image.open(io.BytesIO(reply.body)).format == "HEIF"
    assert_face_hidden(original, reply.body, images.face_box)
    summary = json.loads(reply.header("X-Redactor-Summary"))
    assert summary["counts"] == {"face": 1} and "frames_dropped" not in summary


def test_multi_page_tiff_summary_reports_the_dropped_pages(server, images):
    pages = [Image.new("RGB", (64, 48), (60 * i, 90, 120)) for i in range(3)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    reply = server.redact(buffer.getvalue(), "?hide=face", "image/tiff")
    assert reply.status == 200, reply.body[:300]
    assert getattr(Image.open(io.BytesIO(reply.body)), "n_frames", 1) == 1
    assert json.loads(reply.header("X-Redactor-Summary"))["frames_dropped"] == 2
    analysed = server.call(
        "POST", "/v1/analyze?hide=face", buffer.getvalue(), {"Content-Type": "image/tiff"}
    )
    assert analysed.status == 200 and analysed.json()["frames_dropped"] == 2


def test_gif_and_avif_are_accepted_and_answered_in_their_format(server, images):
    pixels = np.asarray(Image.open(io.BytesIO(images.astronaut_png)).convert("RGB"))
    for fmt, mime in (("GIF", "image/gif"), ("AVIF", "image/avif")):
        original = encode(pixels, fmt)
        reply = server.redact(original, "?hide=face", mime)
        assert reply.status == 200, (fmt, reply.body[:300])
        assert reply.header("Content-Type") == mime
        assert Image.open(io.BytesIO(reply.body)).format == fmt
        assert_face_hidden(original, reply.body, images.face_box)


def test_the_daemon_answers_every_format_the_library_writes():
    from redactor import imageio, server

    assert imageio.MIME_TYPES.items() <= server.CONTENT_TYPES.items()
    for fmt in imageio.SUPPORTED_FORMATS:
        sample = encode(np.zeros((8, 8, 3), np.uint8), fmt)
        assert server.looks_like_image(sample), fmt
