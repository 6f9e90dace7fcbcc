"""Issue 12, points 4, 5 and 8: float TIFFs, 16-bit RGB PNGs, HEIC/AVIF/GIF and dropped frames,
each redacted through the real pipeline and checked on the output with the face detector and
two OCR engines."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from redactor import imageio
from redactor.pipeline import RedactOptions
from tests.batch.conftest import ASTRONAUT_FACE, encode_image, overlaps
from tests.batch.readers import ocr_text, readable, tesseract_text
from tests.text.rendering import font

SECRETS = ["Maria Gonzalez", "+1 415 555 0199", "maria.gonzalez@example.com"]
HIDE = ("face", "name", "phone", "email")


@pytest.fixture(scope="module")
def ocr(redactor):
    from redactor.detectors.ocr import TextDetector

    return TextDetector()


@pytest.fixture(scope="module")
def photo_with_text(astronaut_upright) -> np.ndarray:
    """560 x 1000 RGB: the astronaut photo and a name, phone and e-mail on white beside it."""
    canvas = Image.new("RGB", (1000, 560), "white")
    canvas.paste(Image.fromarray(astronaut_upright), (0, 24))
    from PIL import ImageDraw

    draw = ImageDraw.Draw(canvas)
    for row, text in enumerate(SECRETS):
        draw.text((540, 120 + 90 * row), text, font=font(26), fill=(10, 10, 10))
    return np.asarray(canvas)


FACE_IN_CANVAS = (
    ASTRONAUT_FACE[0], ASTRONAUT_FACE[1] + 24, ASTRONAUT_FACE[2], ASTRONAUT_FACE[3] + 24
)  # fmt: skip


def _faces(face_detector, pixels: np.ndarray, box=FACE_IN_CANVAS):
    return [f for f in face_detector.detect(pixels, None) if overlaps(f.box, box)]


def _check_hidden(face_detector, ocr, pixels: np.ndarray) -> None:
    assert not _faces(face_detector, pixels), "the face is still found in the output"
    leaks = readable(SECRETS, ocr_text(ocr, pixels), tesseract_text(pixels))
    assert not leaks, f"still readable in the output: {leaks}"


def _check_visible(face_detector, ocr, pixels: np.ndarray) -> None:
    """The same checks on an input: they do find what the output must not show."""
    assert _faces(face_detector, pixels)
    assert readable(SECRETS, ocr_text(ocr, pixels)) == SECRETS


# -- point 4: float TIFFs ---------------------------------------------------------------------


@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-3.0, 1500.0)], ids=["0..1", "other-range"])
def test_float_tiff_is_seen_scaled_and_written_as_float_with_the_private_parts_hidden(
    redactor, face_detector, ocr, photo_with_text, tmp_path: Path, low, high
):
    grey = np.asarray(Image.fromarray(photo_with_text).convert("L")).astype(np.float32)
    values = (low + grey / 255.0 * (high - low)).astype(np.float32)
    src, dst = tmp_path / "scan.tif", tmp_path / "out.tif"
    Image.fromarray(values, "F").save(src, format="TIFF")
    before = src.read_bytes()

    loaded = imageio.load(src)
    assert loaded.mode == "F" and loaded.value_range == (low, high)
    assert np.abs(loaded.pixels[:, :, 0].astype(int) - grey.astype(int)).max() <= 1
    _check_visible(face_detector, ocr, loaded.pixels)

    report = redactor.redact_file(src, dst, RedactOptions(hide=HIDE))
    assert report.error is None, report.error
    assert src.read_bytes() == before
    assert {"face", "name", "phone", "email"} <= set(report.counts)
    out = Image.open(dst)
    assert out.mode == "F" and out.format == "TIFF"
    written = np.asarray(out)
    changed = written != values
    assert changed.any() and np.array_equal(written[~changed], values[~changed])
    assert written.min() >= low - 1e-3 and written.max() <= high + 1e-3  # within the data's range
    viewed = np.clip(np.rint((written - low) / (high - low) * 255), 0, 255).astype(np.uint8)
    _check_hidden(face_detector, ocr, np.repeat(viewed[:, :, None], 3, axis=2))


# -- point 5: 16-bit RGB(A) PNGs --------------------------------------------------------------


def _png_header(data: bytes) -> tuple[int, int]:
    """(bit depth, colour type) from the IHDR."""
    assert data[12:16] == b"IHDR"
    return data[24], data[25]


def _deep_png(rgb16: np.ndarray, **pillow_chunks) -> bytes:
    """A 16-bit RGB(A) PNG written by OpenCV, with ancillary chunks Pillow writes spliced in."""
    order = [2, 1, 0, 3][: rgb16.shape[2]]
    ok, encoded = cv2.imencode(".png", rgb16[:, :, order])
    assert ok
    data = encoded.tobytes()
    if pillow_chunks:
        carrier = encode_image(Image.new("RGB", (1, 1)), "PNG", **pillow_chunks)
        extra = carrier[33 : carrier.index(b"IDAT") - 4]  # the chunks between IHDR and IDAT
        data = data[:33] + extra + data[33:]
    return data


@pytest.mark.parametrize("channels", [3, 4], ids=["RGB", "RGBA"])
def test_16_bit_png_keeps_its_depth_and_hides_the_face_and_text(
    redactor, face_detector, ocr, photo_with_text, tmp_path: Path, channels
):
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 200, photo_with_text.shape, np.uint16)  # low bits 8-bit lacks
    deep = photo_with_text.astype(np.uint16) * 257 ^ noise
    if channels == 4:
        alpha = np.full(deep.shape[:2] + (1,), 65535, np.uint16)
        alpha[:, -40:] = 30000  # a half-transparent strip on the right
        deep = np.concatenate([deep, alpha], axis=2)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src, dst = tmp_path / "deep.png", tmp_path / "out.png"
    src.write_bytes(_deep_png(deep, icc_profile=srgb, dpi=(300, 300)))
    assert Image.open(src).mode in ("RGB", "RGBA")  # Pillow itself holds only 8 bits of these

    report = redactor.redact_file(src, dst, RedactOptions(hide=HIDE))
    assert report.error is None, report.error
    data = dst.read_bytes()
    assert _png_header(data) == (16, 2 if channels == 3 else 6)
    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    back = back[:, :, [2, 1, 0, 3][:channels]]
    assert back.dtype == np.uint16 and back.shape == deep.shape
    changed = np.any(back != deep, axis=2)
    assert changed.any()
    assert np.array_equal(back[~changed], deep[~changed])  # all 16 bits kept where nothing hid
    assert (back[changed] & 0xFF == back[changed] >> 8).all()  # hidden: x 257 of 8-bit values
    info = Image.open(io.BytesIO(data)).info
    assert info.get("icc_profile") == srgb and round(info["dpi"][0]) == 300
    viewed = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    _check_hidden(face_detector, ocr, viewed)


def test_16_bit_png_keeps_its_text_chunks_with_keep_metadata(redactor, tmp_path: Path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Sample Owner")
    deep = np.full((40, 60, 3), 1234, np.uint16)
    data = _deep_png(deep, pnginfo=info)
    loaded = imageio.decode(data)
    kept = imageio.encode(loaded, loaded.pixels, keep_metadata=True)
    stripped = imageio.encode(loaded, loaded.pixels)
    assert Image.open(io.BytesIO(kept)).info.get("Author") == "Sample Owner"
    assert b"Sample Owner" not in stripped
    assert _png_header(kept)[0] == _png_header(stripped)[0] == 16


def test_16_bit_png_orientation_is_applied(tmp_path: Path):
    deep = np.zeros((30, 50, 3), np.uint16)
    deep[:5, :5] = (65535, 1, 2)  # top-left marker, stored turned
    exif = Image.Exif()
    exif[0x0112] = 6  # viewers turn it 90 degrees clockwise
    loaded = imageio.decode(_deep_png(deep, exif=exif.tobytes()))
    assert loaded.deep.shape == (50, 30, 3)
    assert loaded.deep[0, -1].tolist() == [65535, 1, 2]  # the marker is now top-right
    assert loaded.pixels[0, -1].tolist() == [255, 0, 0]


# -- point 8: HEIC, AVIF, GIF and dropped frames ----------------------------------------------


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heic_and_avif_photos_are_redacted_and_written_in_their_format(
    redactor, face_detector, astronaut_upright, tmp_path: Path, fmt
):
    suffix = imageio.SUFFIX_BY_FORMAT[fmt]
    assert suffix in imageio.IMAGE_SUFFIXES  # the batch planner picks them up
    src, dst = tmp_path / f"IMG_0001{suffix}", tmp_path / f"out{suffix}"
    Image.fromarray(astronaut_upright).save(src, format=fmt, quality=90)
    before = src.read_bytes()
    assert _faces(face_detector, np.asarray(Image.open(src).convert("RGB")), ASTRONAUT_FACE)

    report = redactor.redact_file(src, dst, RedactOptions(hide=("face",)))
    assert report.error is None and report.counts == {"face": 1}
    assert src.read_bytes() == before
    out = Image.open(dst)
    assert out.format == fmt and out.size == (512, 512)
    assert not _faces(face_detector, np.asarray(out.convert("RGB")), ASTRONAUT_FACE)


def test_heic_suffixes_and_mime_types_are_in_the_format_table():
    expected = [
        ("HEIF", ".heic", "image/heic"),
        ("AVIF", ".avif", "image/avif"),
        ("GIF", ".gif", "image/gif"),
    ]
    for fmt, suffix, mime in expected:
        assert suffix in imageio.FORMATS[fmt].suffixes and imageio.MIME_TYPES[fmt] == mime
    from redactor.batch import not_an_image

    assert [not_an_image(n) for n in ("a.HEIC", "b.heif", "c.avif", "d.gif")] == [None] * 4


def _frames(count: int, size=(64, 48)) -> list[Image.Image]:
    return [Image.new("RGB", size, (40 * i, 200 - 30 * i, 90)) for i in range(count)]


@pytest.mark.parametrize(
    "fmt,options",
    [
        ("TIFF", {}),
        ("GIF", {"duration": 100, "loop": 0}),
        ("WEBP", {"lossless": True}),
        ("PNG", {}),  # APNG
        ("MPO", {}),
        ("HEIF", {"quality": 95}),  # a burst: several top-level pictures
        ("AVIF", {"quality": 95, "duration": 100}),  # an image sequence
    ],
)
def test_dropped_frames_are_reported(redactor, tmp_path: Path, fmt, options):
    frames = _frames(3)
    src = tmp_path / f"many.{fmt.lower()}"
    frames[0].save(src, format=fmt, save_all=True, append_images=frames[1:], **options)
    assert Image.open(src).n_frames == 3
    dst = tmp_path / f"out.{fmt.lower()}"
    report = redactor.redact_file(src, dst, RedactOptions(hide=("face",)))
    assert report.error is None, report.error
    assert report.frames_dropped == 2 and report.to_json()["frames_dropped"] == 2
    out = Image.open(dst)
    assert getattr(out, "n_frames", 1) == 1
    first = np.asarray(out.convert("RGB")).astype(int)
    assert np.abs(first - np.asarray(frames[0])).mean() < 3  # the first frame, not another


def test_single_frame_reports_no_dropped_frames(redactor, tmp_path: Path):
    src, dst = tmp_path / "one.tif", tmp_path / "out.tif"
    _frames(1)[0].save(src, format="TIFF")
    assert redactor.redact_file(src, dst, RedactOptions(hide=("face",))).frames_dropped == 0


def test_gif_keeps_its_transparency_and_palette():
    frame = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    frame.paste((200, 30, 30, 255), (5, 5, 20, 20))
    data = encode_image(frame.convert("P"), "GIF", transparency=0)
    source = Image.open(io.BytesIO(data)).convert("RGBA")
    loaded = imageio.decode(data)
    assert loaded.format == "GIF" and loaded.alpha is not None
    back = Image.open(io.BytesIO(imageio.encode(loaded, loaded.pixels)))
    assert back.format == "GIF" and back.mode == "P"
    assert np.array_equal(np.asarray(back.convert("RGBA"))[..., 3], np.asarray(source)[..., 3])


def test_multi_page_tiff_header_counts_pages_not_bytes():
    """A TIFF with pages claims nothing about pixels beyond the first one's."""
    frames = _frames(4, (16, 16))
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    assert imageio.decode(buffer.getvalue()).frames_dropped == 3
    assert struct.unpack("<H", buffer.getvalue()[:2])[0] == 0x4949


def test_a_phone_folder_of_heic_avif_gif_and_multi_page_files_is_redacted(
    face_detector, astronaut_upright, tmp_path: Path
):
    """`redact FOLDER`: HEIC, AVIF and GIF are picked up and written in their format; the
    report says which files lost frames; the originals stay byte-identical."""
    import hashlib
    import json

    from typer.testing import CliRunner

    from redactor.cli import app

    folder = tmp_path / "phone"
    folder.mkdir()
    photo = Image.fromarray(astronaut_upright)
    photo.save(folder / "IMG_0001.HEIC", format="HEIF", quality=90)
    photo.save(folder / "IMG_0002.avif", format="AVIF", quality=90)
    frames = [photo.convert("P"), photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).convert("P")]
    frames[0].save(folder / "wave.gif", save_all=True, append_images=frames[1:], duration=200)
    photo.save(folder / "scan.tif", save_all=True, append_images=_frames(2, (512, 512)))
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    result = CliRunner().invoke(app, [str(folder), "--hide", "face"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = tmp_path / "phone_redacted"
    entries = {
        Path(e["input"]).name: e
        for e in map(json.loads, (out / "report.jsonl").read_text().splitlines())
    }
    expected = {"IMG_0001.HEIC": 0, "IMG_0002.avif": 0, "wave.gif": 1, "scan.tif": 2}
    assert {name: e["frames_dropped"] for name, e in entries.items()} == expected
    for name, fmt in [("IMG_0001.HEIC", "HEIF"), ("IMG_0002.avif", "AVIF"), ("wave.gif", "GIF"),
                      ("scan.tif", "TIFF")]:  # fmt: skip
        assert entries[name]["counts"] == {"face": 1}, name
        written = Image.open(out / name)
        assert written.format == fmt and getattr(written, "n_frames", 1) == 1
        assert not _faces(face_detector, np.asarray(written.convert("RGB")), ASTRONAUT_FACE), name
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()} == digests


def test_16_bit_rgb_tiff_keeps_its_depth_tags_and_profile(
    redactor, face_detector, ocr, photo_with_text, tmp_path: Path
):
    from PIL import TiffImagePlugin

    noise = np.random.default_rng(7).integers(0, 200, photo_with_text.shape, np.uint16)
    deep = photo_with_text.astype(np.uint16) * 257 ^ noise
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[315] = "Sample Owner"  # Artist
    tags[305] = "SampleEdit 2.0"  # Software (tifffile would write its own)
    tags[700] = b"<x:xmpmeta>Holiday at the lake</x:xmpmeta>"
    tags.tagtype[700] = 1
    # OpenCV's libtiff writes the 16-bit LZW file; Pillow adds nothing but reads it as 8-bit.
    ok, encoded = cv2.imencode(".tiff", deep[:, :, ::-1], [cv2.IMWRITE_TIFF_COMPRESSION, 5])
    assert ok and Image.open(io.BytesIO(encoded.tobytes())).mode == "RGB"
    loaded = imageio.decode(encoded.tobytes())
    assert loaded.deep is not None and np.array_equal(loaded.deep, deep)
    loaded.icc_profile = srgb
    loaded.save_hints["dpi"] = (300.0, 300.0)
    loaded.metadata["tiff"] = tags

    result = redactor.redact(loaded, RedactOptions(hide=HIDE))
    out = imageio.encode(loaded, result.pixels, changed=result.changed, keep_metadata=True)
    back = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_UNCHANGED)[:, :, ::-1]
    assert back.dtype == np.uint16 and back.shape == deep.shape
    changed = np.any(back != deep, axis=2)
    assert changed.any() and np.array_equal(back[~changed], deep[~changed])
    reopened = Image.open(io.BytesIO(out))
    assert reopened.format == "TIFF" and reopened.info.get("icc_profile") == srgb
    assert round(reopened.info["dpi"][0]) == 300
    assert reopened.tag_v2.get(315) == "Sample Owner"
    assert reopened.tag_v2.get(305) == "SampleEdit 2.0"
    assert b"Holiday at the lake" in bytes(reopened.tag_v2.get(700))
    assert b"Sample Owner" not in imageio.encode(loaded, result.pixels, changed=result.changed)
    _check_hidden(face_detector, ocr, np.asarray(reopened.convert("RGB")))


def test_16_bit_grey_with_alpha_png_keeps_16_bits():
    """Pillow reads these as 8-bit RGBA; they come back as 16-bit RGBA, values unchanged."""
    import zlib

    height, width = 6, 8
    grey_alpha = np.zeros((height, width, 2), ">u2")
    grey_alpha[..., 0] = np.arange(width) * 4097 + 3  # low bits an 8-bit copy would lose
    grey_alpha[..., 1] = 65535
    grey_alpha[:, :2, 1] = 1000
    raw = b"".join(b"\0" + row.tobytes() for row in grey_alpha)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 16, 4, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
    data += chunk(b"IEND", b"")
    loaded = imageio.decode(data)
    out = imageio.encode(loaded, loaded.pixels)
    assert _png_header(out) == (16, 6)
    back = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_UNCHANGED)
    for channel in range(3):
        assert np.array_equal(back[..., channel], grey_alpha[..., 0])
    assert np.array_equal(back[..., 3], grey_alpha[..., 1])
