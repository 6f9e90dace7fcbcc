"""Image decoding and encoding: safe limits, EXIF orientation, metadata stripping, atomic writes.

What detectors see is `LoadedImage.pixels`: H x W x 3 uint8 RGB with the EXIF orientation
applied, transparent parts composited over white (as a viewer shows them on a light page, so text
drawn only in the alpha channel is visible to OCR). `encode` writes the redacted pixels back in the
source's format and mode; everything but the ICC profile (and the DPI) is dropped unless
`keep_metadata` is asked for (what is kept then: redactor/metadata.py). High bit depths keep
their depth: 16-bit greyscale and RGB(A) PNGs and TIFFs, 32-bit integer and float TIFFs
(detectors see them scaled by the data's range). Multi-frame files are written as their first
frame and say how many frames were dropped.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError, features

from redactor import metadata
from redactor.errors import ImageError, ImageTooLargeError, first_line
from redactor.files import write_atomic  # noqa: F401  (part of this module's API)
from redactor.formats import FORMATS as ALL_FORMATS
from redactor.formats import FileFormat

try:  # HEIC/HEIF (iPhones' default) through libheif
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF = True
except ImportError:  # pragma: no cover - a declared dependency
    _HEIF = False


# The formats of the one table (redactor.formats) this install can read and write (always in the
# source's own format): HEIF needs pillow-heif, AVIF a Pillow built with libavif.
_CODECS = {"HEIF": _HEIF, "AVIF": features.check_module("avif")}
FORMATS: dict[str, FileFormat] = {
    name: f for name, f in ALL_FORMATS.items() if _CODECS.get(name, True)
}
SUPPORTED_FORMATS = tuple(FORMATS)
# File name endings the batch command picks up inside folders.
IMAGE_SUFFIXES = frozenset(suffix for f in FORMATS.values() for suffix in f.suffixes)
SUFFIX_BY_FORMAT = {name: f.suffixes[0] for name, f in FORMATS.items()}
MIME_TYPES = {name: f.mime for name, f in FORMATS.items()}

_ORIENTATION_TAG = 0x0112
_HIGH_DEPTH_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})
_JPEG_QUALITY = 92
_WEBP_QUALITY = 90
_HEIF_QUALITY = 90  # HEIF and AVIF
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# TIFF compressions Pillow writes without surprises; anything else is re-written as LZW.
_TIFF_COMPRESSIONS = frozenset(
    {"raw", "tiff_lzw", "tiff_deflate", "tiff_adobe_deflate", "packbits"}
)


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 100 * 2**20  # encoded size
    max_pixels: int = 100_000_000  # decoded width*height (decompression bombs)


@dataclass
class LoadedImage:
    pixels: np.ndarray  # H x W x 3 uint8 RGB, EXIF orientation applied: what detectors see
    alpha: np.ndarray | None  # H x W uint8 when the source had transparency
    format: str  # a key of FORMATS (output uses the same)
    mode: str  # source PIL mode ("L", "RGB", "RGBA", "P", "I;16", ...)
    icc_profile: bytes | None  # kept on output
    # What keep_metadata may write back (EXIF, XMP, IPTC, text...), already without embedded
    # pictures: redactor/metadata.py.
    metadata: dict
    # Encoding hints that are not metadata: dpi, WebP losslessness, TIFF compression.
    save_hints: dict = field(default_factory=dict)
    # The oriented source in its own mode when 8-bit RGB cannot represent it (I;16, I, F):
    # encode keeps those pixels outside the redacted areas.
    source: Image.Image | None = field(default=None, repr=False)
    # With transparency: the source's own RGB before compositing over white, kept outside the
    # redacted areas (H x W x 3 uint8).
    straight: np.ndarray | None = field(default=None, repr=False)
    # 16-bit RGB(A) PNGs and TIFFs: the oriented source, H x W x 3|4 uint16 RGB(A) (Pillow
    # holds 8 bits of these).
    deep: np.ndarray | None = field(default=None, repr=False)
    # High bit depths: the (low, top) values shown as 0 and 255 to the detectors.
    value_range: tuple[float, float] | None = None
    # Frames/pages/pictures after the first, not written (multi-page TIFF, animations, MPO).
    frames_dropped: int = 0

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def decode(data: bytes, limits: ImageLimits = ImageLimits()) -> LoadedImage:
    """Decode an encoded image; raises ImageError (corrupt, truncated, unsupported) or
    ImageTooLargeError (over the byte or pixel limit)."""
    if len(data) > limits.max_bytes:
        size, limit = len(data) / 2**20, limits.max_bytes / 2**20
        raise ImageTooLargeError(f"image is {size:.1f} MiB, over the {limit:.0f} MiB limit")
    if not data:
        raise ImageError("empty file: not an image")
    try:
        with warnings.catch_warnings():
            # We check the pixel count ourselves against our own limit, before decoding.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(
            f"image has too many pixels (decompression bomb?): {error}"
        ) from None
    except UnidentifiedImageError:
        # Pillow's message names an in-memory buffer, which tells the user nothing.
        raise ImageError("not a readable image (unknown format or corrupt header)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"not a readable image ({first_line(error)})") from None

    source_format = str(source.format)
    try:
        frames = int(getattr(source, "n_frames", 1) or 1)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"corrupt or truncated image ({first_line(error)})") from None
    if source_format == "MPO":
        # Phones' multi-picture JPEGs (depth maps, HDR gain maps, previews): the first picture
        # is the photo; the others are copies that would keep what is hidden, so they are dropped.
        source_format = "JPEG"
    if source_format not in SUPPORTED_FORMATS:
        raise ImageError(
            f"unsupported image format {source.format}; supported: {', '.join(SUPPORTED_FORMATS)}"
        )
    width, height = source.size
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} = {width * height / 1e6:.0f} Mpx, over the "
            f"{limits.max_pixels / 1e6:.0f} Mpx limit"
        )
    if width == 0 or height == 0:
        raise ImageError("image has no pixels")

    save_hints = _save_hints(source, source_format, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            source.load()  # the first frame only: multi-frame files are written as one frame
            oriented = ImageOps.exif_transpose(source)
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(
            f"image has too many pixels (decompression bomb?): {error}"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"corrupt or truncated image ({first_line(error)})") from None

    icc = oriented.info.get("icc_profile") or source.info.get("icc_profile") or None
    deep = _deep_rgb(data, source, source_format)
    value_range = None
    if deep is not None:
        pixels, alpha, straight = _deep_to_rgb(deep)
    elif oriented.mode in _HIGH_DEPTH_MODES:
        values = np.asarray(oriented)
        value_range = _value_range(values, oriented.mode)
        grey = _grey_to_8bit(values, value_range)
        pixels, alpha, straight = np.repeat(grey[:, :, None], 3, axis=2), None, None
    else:
        pixels, alpha, straight = _to_rgb(oriented)
    return LoadedImage(
        pixels=pixels,
        alpha=alpha,
        format=source_format,
        mode=source.mode,
        icc_profile=icc,
        metadata=metadata.collect(source, source_format),
        save_hints=save_hints,
        source=oriented if value_range is not None else None,
        straight=straight,
        deep=deep,
        value_range=value_range,
        frames_dropped=frames - 1,
    )


def load(path: str | Path, limits: ImageLimits = ImageLimits()) -> LoadedImage:
    """Read and decode a file; the byte limit is checked before reading."""
    data = read_limited(Path(path), limits)
    return decode(data, limits)


def read_limited(path: Path, limits: ImageLimits = ImageLimits()) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ImageTooLargeError(
                f"file is {size / 2**20:.1f} MiB, over the {limits.max_bytes / 2**20:.0f} MiB limit"
            )
        with open(path, "rb") as stream:
            return stream.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise ImageError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise ImageError(f"is a folder, not an image: {path}") from None
    except PermissionError:
        raise ImageError(f"no permission to read {path}") from None


def encode(
    image: LoadedImage,
    pixels: np.ndarray,
    *,
    keep_metadata: bool = False,
    changed: np.ndarray | None = None,
) -> bytes:
    """Encode redacted `pixels` (H x W x 3 uint8 RGB) in the source's format and mode.

    `changed` (H x W bool) marks the redacted area; without it, it is taken from where `pixels`
    differs from `image.pixels`. Inside it transparent images become opaque (text drawn in the
    alpha channel must not survive), and high-bit-depth sources take the redacted values.
    """
    if pixels.shape != image.pixels.shape or pixels.dtype != np.uint8:
        raise ValueError(
            f"pixels must be {image.pixels.shape} uint8, got {pixels.shape} {pixels.dtype}"
        )
    if changed is None:
        changed = np.any(pixels != image.pixels, axis=2)
    out = _to_source_mode(image, pixels, changed)

    options: dict = {}
    if image.icc_profile and out.mode not in ("1",):
        options["icc_profile"] = image.icc_profile
    if "dpi" in image.save_hints:
        options["dpi"] = image.save_hints["dpi"]
    fmt = image.format
    if image.deep is not None:
        if fmt == "TIFF":
            return _encode_deep_tiff(image, pixels, changed, options, keep_metadata)
        return _encode_deep_png(image, pixels, changed, options, keep_metadata)
    if fmt == "JPEG":
        options.update(quality=_JPEG_QUALITY)
        if out.mode not in ("RGB", "L", "CMYK"):
            out = out.convert("RGB")
    elif fmt == "WEBP":
        if image.save_hints.get("lossless"):
            options.update(lossless=True)
        else:
            options.update(quality=_WEBP_QUALITY)
        if out.mode not in ("RGB", "RGBA"):
            out = out.convert("RGBA" if image.alpha is not None else "RGB")
    elif fmt == "PNG":
        options.update(compress_level=6)
    elif fmt == "TIFF":
        options.update(compression=image.save_hints.get("compression", "tiff_lzw"))
    elif fmt == "BMP":
        options.pop("icc_profile", None)  # Pillow's BMP writer has no ICC support
        if out.mode not in ("1", "L", "P", "RGB", "RGBA"):
            out = out.convert("RGB")
    elif fmt in ("HEIF", "AVIF"):
        options.update(quality=_HEIF_QUALITY)
        if out.mode not in ("RGB", "RGBA"):
            out = out.convert("RGBA" if image.alpha is not None else "RGB")
    elif fmt == "GIF":
        options.pop("icc_profile", None)
        if out.mode not in ("P", "L", "1"):
            out = _to_palette(out)
        if out.mode == "P" and out.palette is not None and out.palette.mode == "RGBA":
            # A GIF palette is RGB with one transparent index: the first fully clear entry.
            colours = np.frombuffer(out.palette.tobytes(), np.uint8).reshape(-1, 4)
            clear = np.flatnonzero(colours[:, 3] == 0)
            if len(clear):
                options["transparency"] = int(clear[0])
    if keep_metadata:
        options.update(metadata.save_options(image.metadata, fmt))
        if "tiffinfo" in options and options.get("compression") != "raw":
            options["tiffinfo"] = metadata.without_sub_ifds(options["tiffinfo"])

    buffer = io.BytesIO()
    try:
        out.save(buffer, format=fmt, **options)
    except (OSError, ValueError) as error:
        raise ImageError(
            f"could not encode the redacted image as {fmt} ({first_line(error)})"
        ) from None
    return buffer.getvalue()


def to_pil(image: LoadedImage, pixels: np.ndarray | None = None) -> Image.Image:
    """The RGB pixels as a PIL image (for previews)."""
    return Image.fromarray(image.pixels if pixels is None else pixels, "RGB")


# ---------------------------------------------------------------------------------------------


def _save_hints(source: Image.Image, source_format: str, data: bytes) -> dict:
    hints: dict = {}
    dpi = source.info.get("dpi")
    if dpi and all(isinstance(v, (int, float)) and 0 < v < 100_000 for v in dpi):
        hints["dpi"] = tuple(float(v) for v in dpi)
    if source_format == "WEBP":
        # RIFF....WEBPVP8L: lossless; VP8X files name their bitstream chunk further on.
        hints["lossless"] = data[12:16] == b"VP8L" or (
            data[12:16] == b"VP8X" and b"VP8L" in data[:4096]
        )
    if source_format == "TIFF":
        compression = source.info.get("compression", "raw")
        hints["compression"] = compression if compression in _TIFF_COMPRESSIONS else "tiff_lzw"
    return hints


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return True
    return "transparency" in image.info and image.mode in ("P", "L", "RGB")


def _to_rgb(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """-> (H x W x 3 uint8 RGB composited over white, H x W uint8 alpha or None, the straight
    RGB when there is alpha)."""
    if _has_transparency(image):
        rgba = np.asarray(image.convert("RGBA"))
        alpha = rgba[:, :, 3].copy()
        straight = np.ascontiguousarray(rgba[:, :, :3])
        colour = straight.astype(np.uint16)
        a = alpha.astype(np.uint16)[:, :, None]
        rgb = ((colour * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
        return rgb, alpha, straight
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))), None, None


def _value_range(values: np.ndarray, mode: str) -> tuple[float, float]:
    """The values shown as black and white: 0..1 for floats in that range (the usual
    convention), 0..255 or 0..65535 for integers in those ranges, else the data's own range."""
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if mode == "F":
        if low >= 0.0 and high <= 1.0:
            return 0.0, 1.0
    elif low >= 0 and high <= 65535:
        return 0.0, 65535.0 if high > 255 else 255.0
    return low, (high if high > low else low + 1.0)


def _grey_to_8bit(values: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    low, top = value_range
    scaled = (values.astype(np.float64) - low) * (255.0 / (top - low))
    return np.clip(np.rint(np.nan_to_num(scaled, nan=0.0)), 0, 255).astype(np.uint8)


def _luma(pixels: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, as PIL's RGB->L conversion."""
    wide = pixels.astype(np.uint32)
    weighted = wide[:, :, 0] * 299 + wide[:, :, 1] * 587 + wide[:, :, 2] * 114
    return ((weighted + 500) // 1000).astype(np.uint8)


def _to_source_mode(image: LoadedImage, pixels: np.ndarray, changed: np.ndarray) -> Image.Image:
    mode = image.mode
    if image.source is not None:
        # High bit depth greyscale: original values where nothing was hidden.
        values = np.array(image.source)
        low, top = image.value_range or (0.0, 255.0)
        redacted = low + _luma(pixels).astype(np.float64) * ((top - low) / 255.0)
        if values.dtype.kind != "f":
            info = np.iinfo(values.dtype)
            redacted = np.clip(np.rint(redacted), info.min, info.max)
        values[changed] = redacted[changed].astype(values.dtype)
        return Image.fromarray(values)  # the array's dtype gives back I;16, I or F

    alpha = None
    if image.alpha is not None:
        # Redacted areas become opaque: a shape kept in alpha would show what was hidden.
        alpha = image.alpha.copy()
        alpha[changed] = 255
        # Outside the redacted areas keep the source's own (uncomposited) colours.
        if image.straight is not None:
            pixels = np.where(changed[:, :, None], pixels, image.straight)

    if mode == "CMYK":
        return Image.fromarray(pixels, "RGB").convert("CMYK")
    if mode in ("L", "1", "LA", "La"):
        grey = Image.fromarray(_luma(pixels), "L")
        if alpha is not None:
            grey.putalpha(Image.fromarray(alpha, "L"))
            return grey
        return grey.convert("1") if mode == "1" else grey
    rgb = Image.fromarray(pixels, "RGB")
    if alpha is not None:
        rgb.putalpha(Image.fromarray(alpha, "L"))
    if mode in ("P", "PA") and image.format in ("PNG", "BMP", "TIFF", "GIF"):
        return _to_palette(rgb)
    return rgb


def _to_palette(image: Image.Image) -> Image.Image:
    """Back to a palette image: exact when 256 colours are enough (fills, untouched images),
    else adaptive (blurred areas need colours the old palette lacks)."""
    values = np.asarray(image)
    channels = values.shape[2]
    packed = np.zeros(values.shape[:2], np.uint32)
    for c in range(channels):
        packed = (packed << 8) | values[:, :, c]
    colours, indices = np.unique(packed.ravel(), return_inverse=True)
    if len(colours) > 256:
        method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
        return image.quantize(256, method=method, dither=Image.Dither.NONE)
    palette = np.stack(
        [(colours >> (8 * (channels - 1 - c))) & 0xFF for c in range(channels)], axis=1
    ).astype(np.uint8)
    out = Image.fromarray(indices.reshape(values.shape[:2]).astype(np.uint8), "P")
    out.putpalette(palette.ravel().tobytes(), rawmode=image.mode)
    return out


# -- 16-bit RGB(A) PNGs and TIFFs: Pillow reads them as 8 bits, so OpenCV (libpng, libtiff) reads
# them, and OpenCV (PNG) or tifffile (TIFF) writes them --


def _is_deep_rgb(data: bytes, source: Image.Image, fmt: str) -> bool:
    if fmt == "PNG":
        # IHDR follows the signature: length, "IHDR", width, height, bit depth, colour type.
        # Grey with alpha (4) too: Pillow reads it as 8-bit RGBA; it comes back as 16-bit RGBA.
        header = len(data) >= 33 and data[12:16] == b"IHDR"
        return header and data[24] == 16 and data[25] in (2, 4, 6)
    if fmt == "TIFF":
        tags = getattr(source, "tag_v2", {})
        bits = tags.get(258, ())
        bits = bits if isinstance(bits, tuple) else (bits,)
        return (
            len(bits) in (3, 4)
            and all(b == 16 for b in bits)
            and tags.get(262) == 2  # RGB
            and all(f == 1 for f in _as_tuple(tags.get(339, 1)))  # unsigned integers
        )
    return False


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _deep_rgb(data: bytes, source: Image.Image, fmt: str) -> np.ndarray | None:
    """H x W x 3|4 uint16 RGB(A), orientation applied, for a 16-bit RGB(A) PNG or TIFF (its
    first page); else None."""
    if not _is_deep_rgb(data, source, fmt):
        return None
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if bgr is None or bgr.dtype != np.uint16 or bgr.ndim != 3:
        raise ImageError(f"corrupt or truncated image (16-bit {fmt})")
    order = [2, 1, 0, 3][: bgr.shape[2]]
    deep = bgr[:, :, order]
    method = _TRANSPOSE.get(source.getexif().get(_ORIENTATION_TAG, 1))
    if method is not None:
        # Turn each channel as a 16-bit greyscale image: Pillow's own geometry, exactly.
        turned = [Image.fromarray(deep[:, :, c]).transpose(method) for c in range(len(order))]
        deep = np.stack([np.asarray(channel) for channel in turned], axis=2)
    return np.ascontiguousarray(deep)


def _deep_to_rgb(deep: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """As `_to_rgb`, from 16-bit RGB(A)."""
    eight = ((deep.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if deep.shape[2] == 3:
        return np.ascontiguousarray(eight), None, None
    alpha = eight[:, :, 3].copy()
    straight = np.ascontiguousarray(eight[:, :, :3])
    a = alpha.astype(np.uint16)[:, :, None]
    rgb = ((straight.astype(np.uint16) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
    return rgb, alpha, straight


def _encode_deep_png(
    image: LoadedImage, pixels: np.ndarray, changed: np.ndarray, options: dict, keep: bool
) -> bytes:
    """The source's 16-bit values outside `changed`, the redacted ones (x 257) inside it (opaque
    there); ICC, DPI and kept metadata in the chunks Pillow writes for them."""
    import cv2

    assert image.deep is not None
    deep = image.deep.copy()
    deep[changed, :3] = pixels[changed].astype(np.uint16) * 257
    if deep.shape[2] == 4:
        deep[changed, 3] = 65535
    order = [2, 1, 0, 3][: deep.shape[2]]
    ok, encoded = cv2.imencode(".png", deep[:, :, order], [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise ImageError("could not encode the redacted image as a 16-bit PNG")
    if keep:
        options.update(metadata.save_options(image.metadata, "PNG"))
    carrier = io.BytesIO()
    Image.new("RGB", (1, 1)).save(carrier, format="PNG", **options)
    extra = [c for c in _png_chunks(carrier.getvalue()) if c[4:8] not in _PNG_CORE_CHUNKS]
    chunks = _png_chunks(encoded.tobytes())
    kinds = {c[4:8] for c in extra}
    chunks = [c for c in chunks if c[4:8] in _PNG_CORE_CHUNKS or c[4:8] not in kinds]
    return b"\x89PNG\r\n\x1a\n" + chunks[0] + b"".join(extra) + b"".join(chunks[1:])


def _encode_deep_tiff(
    image: LoadedImage, pixels: np.ndarray, changed: np.ndarray, options: dict, keep: bool
) -> bytes:
    """As `_encode_deep_png`, written by tifffile: Deflate unless the source was uncompressed
    (tifffile needs imagecodecs for LZW and PackBits), ICC, DPI, and the kept tags."""
    import tifffile

    assert image.deep is not None
    deep = image.deep.copy()
    deep[changed, :3] = pixels[changed].astype(np.uint16) * 257
    if deep.shape[2] == 4:
        deep[changed, 3] = 65535
    write: dict = {
        "photometric": "rgb",
        "compression": None if image.save_hints.get("compression") == "raw" else "zlib",
        "metadata": None,  # no tifffile JSON description
        "software": False,  # nor its name: a kept Software tag is the source's own
    }
    if deep.shape[2] == 4:
        write["extrasamples"] = ("unassalpha",)
    if "icc_profile" in options:
        write["iccprofile"] = options["icc_profile"]
    if "dpi" in options:
        write.update(resolution=tuple(options["dpi"]), resolutionunit="INCH")
    if keep and "tiff" in image.metadata:
        write["extratags"] = _tifffile_tags(image.metadata["tiff"])
    buffer = io.BytesIO()
    try:
        tifffile.imwrite(buffer, deep, **write)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise ImageError(
            f"could not encode the redacted image as TIFF ({first_line(error)})"
        ) from None
    return buffer.getvalue()


def _tifffile_tags(tags) -> list[tuple]:
    """Kept TIFF tags as tifffile's extratags: text, bytes and integers (the kinds metadata
    comes in); rationals and sub-IFDs are left out."""
    out = []
    for tag, value in tags.items():
        kind = tags.tagtype.get(tag)
        if isinstance(value, str):
            out.append((tag, "s", 0, value, True))
        elif isinstance(value, bytes):
            out.append((tag, "B" if kind != 7 else 7, len(value), value, True))
        elif kind in (3, 4) and all(isinstance(v, int) for v in _as_tuple(value)):
            values = _as_tuple(value)
            out.append((tag, "H" if kind == 3 else "I", len(values), values, True))
    return out


_PNG_CORE_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


def _png_chunks(data: bytes) -> list[bytes]:
    """The chunks of a PNG (length, type, body, CRC each), IHDR first."""
    chunks, at = [], 8
    while at + 12 <= len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        chunks.append(data[at : at + 12 + size])
        at += 12 + size
    return chunks
