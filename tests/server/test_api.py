"""The API on real images: a face goes in, the returned image has it hidden (checked with the
face detector itself), same format, metadata gone; analyze, attributes and health answer."""

from __future__ import annotations

import functools
import io
import json

import numpy as np
from PIL import Image

from redactor.detectors.faces import FaceDetector

from .conftest import SAMPLES, encode


def overlap(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]))


@functools.lru_cache(maxsize=1)
def face_detector() -> FaceDetector:
    return FaceDetector()


def faces_in(data: bytes):
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return face_detector().detect(pixels, None)


def assert_face_hidden(original: bytes, redacted: bytes, face_box) -> None:
    before = np.asarray(Image.open(io.BytesIO(original)).convert("RGB")).astype(int)
    after = np.asarray(Image.open(io.BytesIO(redacted)).convert("RGB")).astype(int)
    assert after.shape == before.shape
    x0, y0, x1, y1 = face_box
    inside = np.abs(after[y0:y1, x0:x1] - before[y0:y1, x0:x1]).mean()
    assert inside > 8, f"the face area barely changed (mean difference {inside:.1f})"
    found = [f for f in faces_in(redacted) if overlap(face_box, f.box) > 0.3]
    assert not found, f"the face detector still finds the face: {found}"


def test_redact_hides_the_face_and_strips_metadata(server, images):
    exif = Image.Exif()
    exif[0x010E] = "PRIVATE-DESCRIPTION-MARKER"  # ImageDescription
    original = encode(
        np.asarray(Image.open(io.BytesIO(images.astronaut_jpeg))), "JPEG", exif=exif.tobytes()
    )
    assert b"PRIVATE-DESCRIPTION-MARKER" in original
    reply = server.redact(original, "?hide=face&mode=blur")
    assert reply.status == 200, reply.body[:300]
    assert reply.header("Content-Type") == "image/jpeg"
    assert reply.body[:3] == b"\xff\xd8\xff"
    assert b"PRIVATE-DESCRIPTION-MARKER" not in reply.body
    assert_face_hidden(original, reply.body, images.face_box)
    summary = json.loads(reply.header("X-Redactor-Summary"))
    assert summary["hidden"] >= 1
    assert summary["regions"].get("a9_face_complete", 0) >= 1
    assert reply.header("Cache-Control") == "no-store"


def test_png_comes_back_as_png_and_modes_differ(server, images):
    outputs = {}
    for mode in ("blur", "pixelate", "fill"):
        reply = server.redact(images.astronaut_png, f"?hide=face&mode={mode}", "image/png")
        assert reply.status == 200, reply.body[:300]
        assert reply.header("Content-Type") == "image/png"
        assert_face_hidden(images.astronaut_png, reply.body, images.face_box)
        outputs[mode] = reply.body
    assert len(set(outputs.values())) == 3


def test_multipart_upload_with_one_file_part(server, images):
    boundary = "----redactor-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + images.astronaut_jpeg
        + f"\r\n--{boundary}--\r\n".encode()
    )
    reply = server.redact(body, "?hide=face", f"multipart/form-data; boundary={boundary}")
    assert reply.status == 200, reply.body[:300]
    assert_face_hidden(images.astronaut_jpeg, reply.body, images.face_box)

    two_files = body.replace(f"--{boundary}--".encode(), (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"f2\"; filename=\"b.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + images.astronaut_jpeg + f"\r\n--{boundary}--".encode())  # fmt: skip
    reply = server.redact(two_files, "", f"multipart/form-data; boundary={boundary}")
    assert reply.status == 400 and reply.json()["error"] == "several_files"


def test_a_committed_sample_photo_is_redacted(server):
    data = (SAMPLES / "badge_photo.jpg").read_bytes()
    found = faces_in(data)
    assert found, "the sample photo should show a face"
    reply = server.redact(data, "?hide=face")
    assert reply.status == 200, reply.body[:300]
    box = max(found, key=lambda f: f.score).box
    assert_face_hidden(data, reply.body, box)


def test_analyze_reports_regions_and_no_image_or_text(server, images):
    reply = server.call(
        "POST", "/v1/analyze?hide=face", images.astronaut_jpeg, {"Content-Type": "image/jpeg"}
    )
    assert reply.status == 200, reply.body[:300]
    assert reply.header("Content-Type").startswith("application/json")
    report = reply.json()
    faces = [r for r in report["regions"] if "a9_face_complete" in r["attributes"]]
    assert faces and overlap(images.face_box, faces[0]["box"]) > 0.3
    assert report["width"] == 512 and report["height"] == 512
    assert "input" not in report and "output" not in report
    assert all("text" not in region for region in report["regions"])


def test_attributes_lists_what_this_daemon_can_hide(server):
    reply = server.call("GET", "/v1/attributes")
    assert reply.status == 200
    body = reply.json()
    by_id = {a["id"]: a for a in body["attributes"]}
    face = by_id["a9_face_complete"]
    assert face["aliases"] == ["face"] and face["default_hidden"] is True
    assert face["group"] == "Personal Description" and face["description"]
    assert body["aliases"]["face"] == ["a9_face_complete", "a10_face_partial"]
    assert "nudity" not in body["aliases"]  # nothing here can find it
    assert body["defaults"] == ["face"]
    assert set(body["modes"]) == {"blur", "pixelate", "fill"}


def test_health_needs_no_token_and_holds_no_private_data(server):
    reply = server.call("GET", "/v1/health", token=None)
    assert reply.status == 200
    health = reply.json()
    assert health["ready"] is True and health["status"] == "ok"
    assert health["version"]
    assert "faces" in health["detectors"]
    assert "queue" not in health and "pixels" not in health  # counters: token holders only
    assert "token" not in reply.body.decode().lower()


def test_option_errors_come_before_the_upload(server, images):
    unknown = server.redact(images.astronaut_jpeg, "?hide=face,shoe_size")
    assert unknown.status == 400 and unknown.json()["error"] == "bad_request"
    assert "shoe_size" in unknown.json()["message"]
    uncovered = server.redact(images.astronaut_jpeg, "?hide=nudity")
    assert uncovered.status == 422 and uncovered.json()["error"] == "uncovered_attribute"
    mode = server.redact(images.astronaut_jpeg, "?hide=face&mode=sparkle")
    assert mode.status == 400 and "pixelate" in mode.json()["message"]
    assert server.redact(images.astronaut_jpeg, "?hide=face").status == 200
