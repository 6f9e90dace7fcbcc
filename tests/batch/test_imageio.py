"""Decoding and encoding: every format and mode, metadata, orientation, ICC, limits, bad input."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from redactor import imageio
from redactor.errors import ImageError, ImageTooLargeError
from tests.batch.conftest import ASTRONAUT, encode_image

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _pattern(size=(96, 64)) -> Image.Image:
    """An RGB test image with structure in both directions (W x H = size)."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(x * 255 // w), (y * 255 // h), ((x + y) * 3) % 256], axis=2).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def _source(mode: str) -> Image.Image:
    image = _pattern()
    if mode == "RGBA":
        rgba = image.convert("RGBA")
        alpha = np.tile(np.linspace(0, 255, 96, dtype=np.uint8), (64, 1))
        rgba.putalpha(Image.fromarray(alpha, "L"))
        return rgba
    if mode == "LA":
        la = image.convert("LA")
        la.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 96, dtype=np.uint8), (64, 1)), "L"))
        return la
    if mode == "P":
        return image.quantize(64)
    if mode == "P+tRNS":  # palette with a transparent entry
        quantized = image.quantize(64)
        quantized.info["transparency"] = 0
        return quantized
    if mode == "I;16":
        grey = np.asarray(image.convert("L")).astype(np.uint16) * 257
        return Image.fromarray(grey)
    return image.convert(mode)


# (format, source mode, mode expected back, lossless)
CASES = [
    ("JPEG", "RGB", "RGB", False),
    ("JPEG", "L", "L", False),
    ("JPEG", "CMYK", "CMYK", False),
    ("PNG", "RGB", "RGB", True),
    ("PNG", "L", "L", True),
    ("PNG", "RGBA", "RGBA", True),
    ("PNG", "LA", "LA", True),
    ("PNG", "P", "P", True),
    ("PNG", "P+tRNS", "P", True),
    ("PNG", "I;16", "I;16", True),
    ("WEBP", "RGB", "RGB", False),
    ("WEBP", "RGBA", "RGBA", False),
    ("BMP", "RGB", "RGB", True),
    ("BMP", "L", "L", True),
    ("BMP", "P", "P", True),
    ("TIFF", "RGB", "RGB", True),
    ("TIFF", "L", "L", True),
    ("TIFF", "RGBA", "RGBA", True),
    ("TIFF", "I;16", "I;16", True),
]


@pytest.mark.parametrize(
    "fmt,mode,expected_mode,lossless", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_round_trip_keeps_format_mode_and_pixels(fmt, mode, expected_mode, lossless):
    source = _source(mode)
    data = encode_image(source, fmt)
    loaded = imageio.decode(data)
    assert loaded.format == fmt
    assert loaded.pixels.shape == (64, 96, 3) and loaded.pixels.dtype == np.uint8
    assert (loaded.alpha is not None) == (mode in ("RGBA", "LA", "P+tRNS"))

    # Nothing hidden: what comes back is the source, in its own format and mode.
    back = Image.open(io.BytesIO(imageio.encode(loaded, loaded.pixels)))
    assert back.format == fmt
    assert back.mode == expected_mode
    assert back.size == source.size
    as_seen = "RGBA" if mode in ("P", "P+tRNS", "RGBA") else None  # palettes compared by colour
    original_image = Image.open(io.BytesIO(data))
    original = np.asarray(original_image.convert(as_seen) if as_seen else original_image).astype(
        np.int64
    )
    again = np.asarray(back.convert(as_seen) if as_seen else back).astype(np.int64)
    if lossless:
        assert np.array_equal(original, again)
    else:
        assert np.abs(original - again).mean() < 4


def test_lossless_webp_stays_lossless():
    data = encode_image(_pattern(), "WEBP", lossless=True)
    loaded = imageio.decode(data)
    back = Image.open(io.BytesIO(imageio.encode(loaded, loaded.pixels)))
    assert np.array_equal(np.asarray(back), np.asarray(Image.open(io.BytesIO(data))))


def test_redacted_area_of_a_transparent_image_becomes_opaque_and_the_rest_keeps_alpha():
    source = _source("RGBA")
    loaded = imageio.decode(encode_image(source, "PNG"))
    pixels = loaded.pixels.copy()
    changed = np.zeros(pixels.shape[:2], bool)
    changed[10:30, 5:40] = True
    pixels[changed] = (0, 0, 0)
    back = np.asarray(Image.open(io.BytesIO(imageio.encode(loaded, pixels, changed=changed))))
    source_rgba = np.asarray(source)
    assert (back[10:30, 5:40, 3] == 255).all()  # a shape held in alpha cannot survive
    assert (back[10:30, 5:40, :3] == 0).all()
    keep = ~changed
    assert np.array_equal(back[keep], source_rgba[keep])  # straight colours and alpha untouched


def test_greyscale_stays_greyscale_after_redaction():
    loaded = imageio.decode(encode_image(_source("L"), "PNG"))
    pixels = loaded.pixels.copy()
    pixels[0:10, 0:10] = (255, 0, 0)  # a coloured fill on a grey image
    back = Image.open(io.BytesIO(imageio.encode(loaded, pixels)))
    assert back.mode == "L"
    assert np.asarray(back)[5, 5] == 76  # luma of pure red


def test_high_bit_depth_keeps_its_values_outside_the_redacted_area():
    source = _source("I;16")
    loaded = imageio.decode(encode_image(source, "PNG"))
    pixels = loaded.pixels.copy()
    pixels[0:8, 0:8] = 0
    back = np.asarray(Image.open(io.BytesIO(imageio.encode(loaded, pixels))))
    original = np.asarray(source)
    assert (back[0:8, 0:8] == 0).all()
    assert np.array_equal(back[8:], original[8:])


def test_metadata_is_stripped_by_default():
    data = ASTRONAUT.read_bytes()
    for secret in (b"SN-0042-1337", b"Sample Owner", b"SampleCam"):
        assert secret in data  # the sample really carries them
    loaded = imageio.decode(data)
    out = imageio.encode(loaded, loaded.pixels)
    for secret in (b"SN-0042-1337", b"Sample Owner", b"SampleCam", b"xmpmeta", b"Exif"):
        assert secret not in out
    back = Image.open(io.BytesIO(out))
    assert len(back.getexif()) == 0
    assert "xmp" not in back.info and "comment" not in back.info


def test_png_text_chunks_and_exif_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Sample Owner")
    info.add_itxt("Comment", "taken at home")
    exif = Image.Exif()
    exif[0x013B] = "Sample Owner"
    data = encode_image(_pattern(), "PNG", pnginfo=info, exif=exif.tobytes())
    loaded = imageio.decode(data)
    out = imageio.encode(loaded, loaded.pixels)
    assert b"Sample Owner" not in out and b"taken at home" not in out
    assert b"tEXt" not in out and b"iTXt" not in out and b"eXIf" not in out


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_icc_profile_is_kept(fmt):
    data = encode_image(_pattern(), fmt, icc_profile=SRGB)
    loaded = imageio.decode(data)
    assert loaded.icc_profile == SRGB
    back = Image.open(io.BytesIO(imageio.encode(loaded, loaded.pixels)))
    assert back.info.get("icc_profile") == SRGB


def _oriented_jpeg() -> tuple[bytes, np.ndarray]:
    """A 60 x 40 (W x H) upright image with a red top-left corner, stored turned with EXIF
    orientation 6, as a phone held upright writes it."""
    upright = np.full((40, 60, 3), 200, np.uint8)
    upright[:10, :10] = (255, 0, 0)  # top-left: red
    upright[-10:, -10:] = (0, 0, 255)  # bottom-right: blue
    stored = np.ascontiguousarray(np.rot90(upright, k=1))  # 60 x 40 (H x W)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SampleCam"
    return encode_image(Image.fromarray(stored), "JPEG", exif=exif.tobytes(), quality=95), upright


def test_exif_orientation_is_applied_to_the_pixels():
    data, upright = _oriented_jpeg()
    assert Image.open(io.BytesIO(data)).size == (40, 60)  # stored turned
    loaded = imageio.decode(data)
    assert loaded.pixels.shape == (40, 60, 3)
    assert loaded.pixels[3, 3, 0] > 200 and loaded.pixels[3, 3, 2] < 60  # red top-left
    assert loaded.pixels[-3, -3, 2] > 200 and loaded.pixels[-3, -3, 0] < 60  # blue bottom-right
    back = Image.open(io.BytesIO(imageio.encode(loaded, loaded.pixels)))
    assert back.size == (60, 40)
    assert 0x0112 not in back.getexif()
    assert np.abs(np.asarray(back).astype(int) - upright).mean() < 6


def test_keep_metadata_keeps_exif_xmp_comment_but_resets_orientation():
    loaded = imageio.decode(ASTRONAUT.read_bytes())
    out = imageio.encode(loaded, loaded.pixels, keep_metadata=True)
    back = Image.open(io.BytesIO(out))
    exif = back.getexif()
    assert exif.get(0x010F) == "SampleCam"
    assert exif.get_ifd(0x8769).get(0xA431) == "SN-0042-1337"
    assert exif.get_ifd(0x8825).get(1) == "N"
    assert exif.get(0x0112) in (None, 1)  # pixels are upright: no turn asked of viewers
    assert back.size == (512, 512)
    assert b"Sample Owner (xmp)" in out
    assert back.info.get("comment") == b"Sample Owner's holiday photo"


def test_byte_and_pixel_limits():
    data = encode_image(_pattern(), "PNG")
    with pytest.raises(ImageTooLargeError, match="MiB"):
        imageio.decode(data, imageio.ImageLimits(max_bytes=100))
    with pytest.raises(ImageTooLargeError, match="Mpx"):
        imageio.decode(data, imageio.ImageLimits(max_pixels=96 * 64 - 1))
    assert imageio.decode(data, imageio.ImageLimits(max_pixels=96 * 64)).width == 96


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [12_000, 40_000])  # over our limit; over Pillow's own bomb limit
def test_decompression_bomb_is_refused_before_decoding(side):
    with pytest.raises(ImageTooLargeError):
        imageio.decode(_png_claiming(side, side))


def test_truncated_corrupt_and_non_images_are_image_errors():
    jpeg = encode_image(_pattern((256, 256)), "JPEG")
    with pytest.raises(ImageError, match="truncated|corrupt"):
        imageio.decode(jpeg[: len(jpeg) // 2])
    with pytest.raises(ImageError, match="not a readable image") as caught:
        imageio.decode(b"this is a text file, not an image\n")
    assert "object at 0x" not in str(caught.value)  # no in-memory buffer's repr for the user
    with pytest.raises(ImageError, match="empty"):
        imageio.decode(b"")
    with pytest.raises(ImageError, match="unsupported image format PCX"):
        imageio.decode(encode_image(_pattern(), "PCX"))


def test_load_checks_the_byte_limit_before_reading(tmp_path: Path):
    path = tmp_path / "big.png"
    path.write_bytes(encode_image(_pattern(), "PNG"))
    with pytest.raises(ImageTooLargeError):
        imageio.load(path, imageio.ImageLimits(max_bytes=10))
    with pytest.raises(ImageError, match="not found"):
        imageio.load(tmp_path / "missing.png")


def test_write_atomic_replaces_whole_files_and_leaves_no_temp(tmp_path: Path):
    target = tmp_path / "sub" / "out.jpg"
    imageio.write_atomic(target, b"first")
    imageio.write_atomic(target, b"second version")
    assert target.read_bytes() == b"second version"
    with pytest.raises(TypeError):
        imageio.write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"second version"  # a failed write loses nothing
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.jpg"]


def test_multi_picture_jpeg_keeps_only_the_first_picture():
    first, second = _pattern(), _pattern().transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(buffer.getvalue())).n_frames == 2
    loaded = imageio.decode(buffer.getvalue())
    assert loaded.format == "JPEG"
    back = Image.open(io.BytesIO(imageio.encode(loaded, loaded.pixels)))
    assert back.format == "JPEG" and getattr(back, "n_frames", 1) == 1


def _exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """A little-endian EXIF block: IFD0 (Make) -> IFD1 holding a JPEG thumbnail."""

    def entry(tag: int, kind: int, count: int, value: int) -> bytes:
        return struct.pack("<HHII", tag, kind, count, value)

    make = b"SampleCam\0"
    ifd0_at = 8
    ifd0_size = 2 + 12 + 4
    make_at = ifd0_at + ifd0_size
    ifd1_at = make_at + len(make)
    ifd1_size = 2 + 2 * 12 + 4
    thumb_at = ifd1_at + ifd1_size
    tiff = b"II*\0" + struct.pack("<I", ifd0_at)
    tiff += struct.pack("<H", 1) + entry(0x010F, 2, len(make), make_at) + struct.pack("<I", ifd1_at)
    tiff += make
    tiff += (
        struct.pack("<H", 2) + entry(0x0201, 4, 1, thumb_at) + entry(0x0202, 4, 1, len(thumbnail))
    )
    tiff += struct.pack("<I", 0) + thumbnail
    return b"Exif\0\0" + tiff


def test_keep_metadata_never_keeps_an_exif_thumbnail():
    """The EXIF thumbnail is a small copy of the unredacted photo."""
    thumbnail = encode_image(_pattern((32, 24)), "JPEG")
    data = encode_image(_pattern(), "JPEG", exif=_exif_with_thumbnail(thumbnail))
    assert thumbnail in data
    loaded = imageio.decode(data)
    for keep in (False, True):
        out = imageio.encode(loaded, loaded.pixels, keep_metadata=keep)
        assert out.count(b"\xff\xd8") == 1 and thumbnail[-40:] not in out  # one image only
    kept = Image.open(io.BytesIO(imageio.encode(loaded, loaded.pixels, keep_metadata=True)))
    assert kept.getexif().get(0x010F) == "SampleCam"
