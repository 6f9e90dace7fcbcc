"""Test images with text drawn by PIL in DejaVu fonts, and the box of every word drawn, so tests
can check that regions cover exactly the words they should (and no others)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


@dataclass
class Word:
    text: str
    tag: str  # what the test calls it: "name", "email", ..., or "plain" for non-private text
    polygon: np.ndarray  # 4 x 2 float, image px (tl, tr, br, bl)


@dataclass
class Canvas:
    image: Image.Image
    words: list[Word] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the text of each `write`

    @classmethod
    def blank(cls, width: int, height: int, colour=(255, 255, 255)) -> "Canvas":
        return cls(Image.new("RGB", (width, height), colour))

    def write(
        self,
        xy: tuple[int, int],
        parts: list[tuple[str, str]],
        size: int = 24,
        bold: bool = False,
        fill=(15, 15, 15),
    ) -> None:
        """Draw one line made of (text, tag) parts and record each word's box with its tag."""
        draw = ImageDraw.Draw(self.image)
        typeface = font(size, bold)
        line = "".join(text for text, _ in parts)
        draw.text(xy, line, font=typeface, fill=fill)
        self.lines.append(line)
        offset = 0
        for text, tag in parts:
            position = 0
            for word in text.split():
                position = text.index(word, position)
                start = offset + position
                x = xy[0] + draw.textlength(line[:start], font=typeface)
                x0, y0, x1, y1 = draw.textbbox((x, xy[1]), word, font=typeface)
                polygon = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)
                self.words.append(Word(word, tag, polygon))
                position += len(word)
            offset += len(text)

    def tagged(self, tag: str) -> list[Word]:
        return [w for w in self.words if w.tag == tag]

    def pixels(self) -> np.ndarray:
        return np.asarray(self.image.convert("RGB"))

    def paste_rotated(self, card: "Canvas", angle: float, at: tuple[int, int]) -> None:
        """Rotate `card` by `angle` degrees counter-clockwise (as PIL does) and paste it with
        its top-left corner at `at`; its words come along with their polygons rotated."""
        rotated = card.image.convert("RGBA").rotate(
            angle, expand=True, resample=Image.Resampling.BICUBIC
        )
        self.image.paste(rotated, at, rotated)
        w, h = card.image.size
        rw, rh = rotated.size
        theta = math.radians(angle)
        # Visual counter-clockwise in image coordinates (y down).
        cos, sin = math.cos(theta), math.sin(theta)
        rotation = np.array([[cos, sin], [-sin, cos]])
        self.lines.extend(card.lines)
        for word in card.words:
            centred = word.polygon - [w / 2, h / 2]
            moved = centred @ rotation.T + [rw / 2 + at[0], rh / 2 + at[1]]
            self.words.append(Word(word.text, word.tag, moved))


def polygon_mask(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """H x W bool: the union of the polygons."""
    mask = Image.new("1", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(mask)
    for polygon in polygons:
        draw.polygon([(float(x), float(y)) for x, y in polygon], fill=1, outline=1)
    return np.asarray(mask, bool)


def covered_fraction(polygon: np.ndarray, covering: np.ndarray) -> float:
    """How much of `polygon`'s area lies inside the `covering` mask (0..1)."""
    height, width = covering.shape
    x0, y0 = np.floor(polygon.min(axis=0)).astype(int).clip(0)
    x1 = int(min(width, np.ceil(polygon[:, 0].max()) + 1))
    y1 = int(min(height, np.ceil(polygon[:, 1].max()) + 1))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    own = polygon_mask((y1 - y0, x1 - x0), [polygon - [x0, y0]])
    area = own.sum()
    return float((own & covering[y0:y1, x0:x1]).sum() / area) if area else 0.0
