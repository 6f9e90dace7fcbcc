"""The `--preview` overlay: what would be hidden, and why, drawn over the image.

Hidden regions get a translucent red tint, an outline and a label (attribute, detector, score);
regions found but not hidden get a thin grey outline. Labels never hold recognised text.
"""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from redactor import obfuscate
from redactor.attributes import display_name
from redactor.detectors.base import Region

# A JPEG comment in every preview: how a later run knows the file is one of ours to replace.
MARKER = b"redactor preview: UNREDACTED original, do not share"
_HIDDEN = (230, 30, 30)
_KEPT = (160, 160, 160)


def render_preview(
    pixels: np.ndarray, regions: Sequence[Region], hidden: Sequence[Region]
) -> bytes:
    """-> JPEG bytes of the overlay (H x W x 3 uint8 RGB in)."""
    hidden_ids = {id(r) for r in hidden}
    base = pixels.astype(np.float32)
    tint = np.zeros(pixels.shape[:2], bool)
    for region in hidden:
        area = obfuscate.area_of(region, pixels.shape, None)
        if area is not None:
            x0, y0, x1, y1 = area.box
            tint[y0:y1, x0:x1] |= area.mask
    base[tint] = base[tint] * 0.55 + np.asarray(_HIDDEN, np.float32) * 0.45
    image = Image.fromarray(base.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    width = max(1, round(max(pixels.shape[:2]) / 500))
    font = _font(max(11, round(max(pixels.shape[:2]) / 70)))
    for region in regions:
        if id(region) not in hidden_ids:
            draw.rectangle(region.box, outline=_KEPT, width=1)
    for region in hidden:
        draw.rectangle(region.box, outline=_HIDDEN, width=width)
        source = region.label or region.detector
        label = f"{display_name(region.attributes)} ({source} {region.score:.2f})"
        x0, y0 = region.box[0], region.box[1]
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        y = y0 - (bottom - top) - 4 if y0 - (bottom - top) - 4 >= 0 else region.box[3] + 2
        draw.rectangle((x0, y, x0 + right - left + 4, y + bottom - top + 4), fill=_HIDDEN)
        draw.text((x0 + 2 - left, y + 2 - top), label, fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88, comment=MARKER)
    return buffer.getvalue()


def is_preview(head: bytes) -> bool:
    """Whether a file starting with `head` (its first few hundred bytes) is one of our previews."""
    return head.startswith(b"\xff\xd8") and MARKER in head[:512]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()
