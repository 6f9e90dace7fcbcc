"""Image decoding and encoding: safe limits, EXIF orientation, metadata stripping, atomic writes.

What detectors see is `LoadedImage.pixels`: H x W x 3 uint8 RGB with the EXIF orientation
applied, transparent parts composited over white (as a viewer shows them on a light page, so text
drawn only in the alpha channel is visible to OCR). `encode` writes the redacted pixels back in the
source's format and mode; everything but the ICC profile (and the DPI) is dropped unless
`keep_metadata` is asked for.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from redactor.errors import ImageError, ImageTooLargeError
from redactor.files import write_atomic  # noqa: F401  (part of this module's API)

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF")
# File name endings the batch command picks up inside folders.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff"})
SUFFIX_BY_FORMAT = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tif"}

_ORIENTATION_TAG = 0x0112
_HIGH_DEPTH_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})
_JPEG_QUALITY = 92
_WEBP_QUALITY = 90
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
    format: str  # "JPEG" | "PNG" | "WEBP" | "BMP" | "TIFF"  (output uses the same)
    mode: str  # source PIL mode ("L", "RGB", "RGBA", "P", "I;16", ...)
    icc_profile: bytes | None  # kept on output
    metadata: dict  # everything else (EXIF, XMP, comments...), used only with keep_metadata
    # Encoding hints that are not metadata: dpi, WebP losslessness, TIFF compression.
    save_hints: dict = field(default_factory=dict)
    # The oriented source in its own mode when 8-bit RGB cannot represent it (I;16, I, F):
    # encode keeps those pixels outside the redacted areas.
    source: Image.Image | None = field(default=None, repr=False)
    # With transparency: the source's own RGB before compositing over white, kept outside the
    # redacted areas (H x W x 3 uint8).
    straight: np.ndarray | None = field(default=None, repr=False)

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
        raise ImageError(f"not a readable image ({_short(error)})") from None

    source_format = str(source.format)
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
        raise ImageError(f"corrupt or truncated image ({_short(error)})") from None

    icc = oriented.info.get("icc_profile") or source.info.get("icc_profile") or None
    pixels, alpha, straight, keep_source = _to_rgb(oriented)
    return LoadedImage(
        pixels=pixels,
        alpha=alpha,
        format=source_format,
        mode=source.mode,
        icc_profile=icc,
        metadata=_metadata(oriented),
        save_hints=save_hints,
        source=oriented if keep_source else None,
        straight=straight,
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
    if keep_metadata:
        _add_metadata(options, image, fmt)

    buffer = io.BytesIO()
    try:
        out.save(buffer, format=fmt, **options)
    except (OSError, ValueError) as error:
        raise ImageError(
            f"could not encode the redacted image as {fmt} ({_short(error)})"
        ) from None
    return buffer.getvalue()


def to_pil(image: LoadedImage, pixels: np.ndarray | None = None) -> Image.Image:
    """The RGB pixels as a PIL image (for previews)."""
    return Image.fromarray(image.pixels if pixels is None else pixels, "RGB")


# ---------------------------------------------------------------------------------------------


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]


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


def _to_rgb(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, bool]:
    """-> (H x W x 3 uint8 RGB composited over white, H x W uint8 alpha or None, the straight
    RGB when there is alpha, whether to keep the source for encoding)."""
    if image.mode in _HIGH_DEPTH_MODES:
        grey = _grey_to_8bit(np.asarray(image))
        rgb = np.repeat(grey[:, :, None], 3, axis=2)
        return np.ascontiguousarray(rgb), None, None, True
    if _has_transparency(image):
        rgba = np.asarray(image.convert("RGBA"))
        alpha = rgba[:, :, 3].copy()
        straight = np.ascontiguousarray(rgba[:, :, :3])
        colour = straight.astype(np.uint16)
        a = alpha.astype(np.uint16)[:, :, None]
        rgb = ((colour * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
        return rgb, alpha, straight, False
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))), None, None, False


def _grey_to_8bit(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    top = 65535.0 if values.max(initial=0) > 255 else 255.0
    if values.max(initial=0) > 65535 or values.min(initial=0) < 0:  # I / F outside 16 bits
        low, top = float(values.min()), float(values.max())
        values = values - low
        top = max(top - low, 1e-9)
    return np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8)


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
        top = 65535 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255
        redacted = _luma(pixels).astype(np.float64) * (top / 255.0)
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
    if mode in ("P", "PA") and image.format in ("PNG", "BMP", "TIFF"):
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


def _metadata(image: Image.Image) -> dict:
    """Everything that can identify a person or place: kept only with keep_metadata."""
    meta: dict = {}
    exif = image.getexif()
    if _ORIENTATION_TAG in exif:
        del exif[_ORIENTATION_TAG]  # the pixels are already rotated
    if len(exif):
        meta["exif"] = exif
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if xmp:
        meta["xmp"] = xmp.encode() if isinstance(xmp, str) else bytes(xmp)
    comment = image.info.get("comment")
    if comment:
        meta["comment"] = comment
    text = getattr(image, "text", None)
    if text:
        meta["text"] = {
            k: v for k, v in dict(text).items() if isinstance(v, str) and k != "XML:com.adobe.xmp"
        }
    return meta


def _add_metadata(options: dict, image: LoadedImage, fmt: str) -> None:
    meta = image.metadata
    if "exif" in meta and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        options["exif"] = (
            meta["exif"].tobytes() if hasattr(meta["exif"], "tobytes") else meta["exif"]
        )
    if "xmp" in meta and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        options["xmp"] = meta["xmp"]
    if "comment" in meta and fmt == "JPEG":
        options["comment"] = meta["comment"]
    if meta.get("text") and fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        for key, value in meta["text"].items():
            info.add_text(key, value)
        options["pnginfo"] = info
