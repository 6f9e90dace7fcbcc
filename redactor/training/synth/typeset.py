"""Text rendering that records where every piece of text lands.

Documents and screenshots are drawn as lines of segments, each segment a piece of text with a
kind ("name", "email", ..., or "plain"). Every drawn segment becomes a `TextItem` with its tight
box and a 4-point polygon, so ground-truth masks and the samples' JSON come from the same call
that drew the pixels. Fonts are Debian's (DejaVu, Liberation, Noto) found on disk, never
downloaded; `fonts()` fails with a clear error where none is installed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from redactor.errors import RedactorError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/noto"),
)

# Font files by style; the first one found on disk for each name is used.
STYLE_FILES: dict[str, tuple[str, ...]] = {
    "sans": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf"),
    "sans-bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "NotoSans-Bold.ttf"),
    "sans-condensed": ("DejaVuSansCondensed.ttf",),
    "serif": ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf"),
    "serif-bold": ("DejaVuSerif-Bold.ttf", "LiberationSerif-Bold.ttf"),
    "italic": (
        "DejaVuSerif-Italic.ttf",
        "LiberationSerif-Italic.ttf",
        "NotoSans-Italic.ttf",
        "LiberationSans-Italic.ttf",
        "DejaVuSans-Oblique.ttf",
    ),
    "mono": ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf"),
    "mono-bold": ("DejaVuSansMono-Bold.ttf", "LiberationMono-Bold.ttf"),
}


class FontsMissingError(RedactorError):
    code = "fonts_missing"


@functools.lru_cache(maxsize=None)
def font_files(style: str) -> tuple[Path, ...]:
    """Every installed file for a style (several families where present)."""
    found = []
    for name in STYLE_FILES[style]:
        for folder in FONT_DIRS:
            if (folder / name).is_file():
                found.append(folder / name)
                break
    if not found:
        raise FontsMissingError(
            f"no '{style}' font found under {', '.join(str(d) for d in FONT_DIRS)}: install "
            "the Debian packages fonts-dejavu-core and fonts-liberation2"
        )
    return tuple(found)


@functools.lru_cache(maxsize=512)
def font(style: str, size: int, variant: int = 0) -> ImageFont.FreeTypeFont:
    """A font of a style and pixel size; `variant` picks among the installed families."""
    files = font_files(style)
    return ImageFont.truetype(str(files[variant % len(files)]), size=max(6, int(size)))


@dataclass
class TextItem:
    """One drawn piece of text: what it says, what kind of information it is, where it is."""

    text: str
    kind: str  # name | address | email | phone | card | date | id | username | plain | ...
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (x1/y1 exclusive) in image pixels
    polygon: list[tuple[float, float]]  # 4 corners, clockwise from top-left
    attributes: tuple[str, ...] = ()  # VISPR attribute ids this text is evidence of
    line: int = -1  # items drawn by the same draw_line call share a line number

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "kind": self.kind,
            "attributes": list(self.attributes),
            "box": [int(v) for v in self.box],
            "polygon": [[round(x, 1), round(y, 1)] for x, y in self.polygon],
            "line": self.line,
        }


Segment = tuple[str, str] | tuple[str, str, Sequence[str]]  # (text, kind[, attribute ids])


@dataclass
class Page:
    """An RGB(A) canvas plus the text items drawn on it."""

    image: Image.Image
    items: list[TextItem] = field(default_factory=list)
    _lines: int = 0

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)

    def draw_line(
        self,
        xy: tuple[float, float],
        segments: Iterable[Segment],
        typeface: ImageFont.FreeTypeFont,
        fill: tuple[int, ...] = (20, 20, 20),
    ) -> float:
        """Draws segments left to right from `xy` (top-left); returns the x after the last one.
        Whitespace-only segments move the pen without making an item."""
        x, y = float(xy[0]), float(xy[1])
        draw = self.draw
        line = self._lines
        self._lines += 1
        for segment in segments:
            text, kind = segment[0], segment[1]
            attrs = tuple(segment[2]) if len(segment) > 2 else ()  # type: ignore[misc]
            if text.strip():
                draw.text((x, y), text, font=typeface, fill=fill)
                # The box covers the visible text only: leading/trailing spaces excluded.
                lead = len(text) - len(text.lstrip())
                visible = text.strip()
                vx = x + typeface.getlength(text[:lead])
                x0, y0, x1, y1 = draw.textbbox((vx, y), visible, font=typeface)
                box = (
                    int(math.floor(x0)),
                    int(math.floor(y0)),
                    int(math.ceil(x1)),
                    int(math.ceil(y1)),
                )
                self.items.append(TextItem(visible, kind, box, box_polygon(box), attrs, line))
            x += typeface.getlength(text)
        return x

    def paste(self, other: "Page", xy: tuple[int, int], mask: Image.Image | None = None) -> None:
        """Pastes another page (a badge, a card) at `xy`, carrying its items along."""
        self.image.paste(other.image, xy, mask if mask is not None else _alpha(other.image))
        line_base = self._lines
        for item in other.items:
            self.items.append(shift_item(item, xy[0], xy[1], line_base))
        self._lines += other._lines


def _alpha(image: Image.Image) -> Image.Image | None:
    return image.getchannel("A") if image.mode == "RGBA" else None


def box_polygon(box: Sequence[float]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def polygon_box(
    polygon: Sequence[tuple[float, float]], width: int, height: int
) -> tuple[int, int, int, int]:
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return (
        max(0, int(math.floor(min(xs)))),
        max(0, int(math.floor(min(ys)))),
        min(width, int(math.ceil(max(xs)))),
        min(height, int(math.ceil(max(ys)))),
    )


def shift_item(item: TextItem, dx: float, dy: float, line_base: int = 0) -> TextItem:
    polygon = [(x + dx, y + dy) for x, y in item.polygon]
    x0, y0, x1, y1 = item.box
    box = (int(x0 + dx), int(y0 + dy), int(x1 + dx), int(y1 + dy))
    return TextItem(item.text, item.kind, box, polygon, item.attributes, item.line + line_base)


def rotate_page(page: Page, degrees: float, fill: tuple[int, ...] = (0, 0, 0, 0)) -> Page:
    """Rotates a page counter-clockwise by `degrees` with expansion; the items' polygons follow
    the pixels exactly (PIL's affine about the centre, then the expansion offset)."""
    image = page.image.convert("RGBA") if page.image.mode != "RGBA" else page.image
    w, h = image.size
    rotated = image.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=fill)
    rw, rh = rotated.size
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy, rcx, rcy = w / 2, h / 2, rw / 2, rh / 2

    def turn(x: float, y: float) -> tuple[float, float]:
        # Image y points down, so a counter-clockwise turn on screen is (cos, sin; -sin, cos).
        dx, dy = x - cx, y - cy
        return (rcx + dx * cos + dy * sin, rcy - dx * sin + dy * cos)

    out = Page(rotated, [], page._lines)
    for item in page.items:
        polygon = [turn(x, y) for x, y in item.polygon]
        out.items.append(
            TextItem(
                item.text,
                item.kind,
                polygon_box(polygon, rw, rh),
                polygon,
                item.attributes,
                item.line,
            )
        )
    return out


def polygon_mask(
    polygons: Iterable[Sequence[tuple[float, float]]], size: tuple[int, int]
) -> np.ndarray:
    """Bool H x W mask of filled polygons; `size` is (width, height)."""
    canvas = Image.new("L", size, 0)
    draw = ImageDraw.Draw(canvas)
    for polygon in polygons:
        draw.polygon([(float(x), float(y)) for x, y in polygon], fill=255)
    return np.asarray(canvas) > 0
