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


def test_every_format_of_the_one_table_round_trips_suffix_mime_sniff_and_daemon(server, images):
    """redactor.formats is the one table: for each format, its endings and MIME type agree with
    Pillow's own registry (an independent reader), a real encoded sample sniffs as that format,
    and the daemon takes it under each of its MIME types and answers in the same format."""
    from redactor import formats, imageio

    assert imageio.FORMATS.items() <= formats.FORMATS.items()
    assert set(imageio.FORMATS) >= {"JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "HEIF", "AVIF"}
    pixels = np.asarray(Image.open(io.BytesIO(images.astronaut_png)).convert("RGB"))[:96, :128]
    extensions = Image.registered_extensions()
    for name, spec in formats.FORMATS.items():
        for suffix in spec.suffixes:
            assert extensions[suffix] == name, (name, suffix)
        assert imageio.FORMATS[name] is spec and imageio.MIME_TYPES[name] == spec.mime
        assert Image.MIME[name] in (spec.mime, *spec.aliases), name
        sample = encode(pixels, name)
        assert formats.sniff(sample) == name and imageio.decode(sample).format == name
        for mime in (spec.mime, *spec.aliases):
            reply = server.redact(sample, "?hide=face", mime)
            assert reply.status == 200, (name, mime, reply.body[:300])
            assert reply.header("Content-Type") == spec.mime, name
            assert formats.sniff(reply.body) == name
            assert Image.open(io.BytesIO(reply.body)).format == name


def test_what_is_not_an_image_does_not_sniff_as_one(server):
    from redactor import formats

    others = [
        b"",
        b"<!doctype html><p>hello</p>",
        b"PK\x03\x04" + bytes(40),
        b"%PDF-1.7\n",
        b"RIFF\x10\x00\x00\x00WAVEfmt ",
        b"\x00\x00\x00\x18ftypmp42" + bytes(16),
    ]
    for data in others:
        assert formats.sniff(data) is None, data[:16]
    reply = server.redact(others[1], "?hide=face", "image/png")
    assert reply.status == 415 and reply.json()["error"] == "not_an_image"
    assert "JPEG" in reply.json()["message"] and "AVIF" in reply.json()["message"]
