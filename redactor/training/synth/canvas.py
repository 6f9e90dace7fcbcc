"""Composition with exact per-attribute ground truth.

A scene is built back to front from `Layer`s: an RGBA patch plus named part masks (what each
pixel of the patch is evidence of). Pasting a layer hides whatever earlier evidence lies under
its opaque pixels, so every mask is exactly the visible evidence, and parts pushed off the
canvas are clipped. Attributes are decided after composition from what stayed visible
(`Canvas.visible`), never assumed from what was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

OPAQUE = 128  # alpha at or above which a pasted pixel hides what lies beneath


@dataclass
class Layer:
    image: Image.Image  # RGBA
    # part name -> bool mask (patch height x width). Names are attribute ids or element-local
    # names ("face", "hair", ...) that the element maps to attributes after composition.
    parts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


@dataclass
class Placed:
    """Where a layer landed: its part masks in canvas coordinates, as drawn and as visible."""

    key: str
    drawn: dict[str, int]  # part -> pixel count inside the canvas when pasted
    box: tuple[int, int, int, int]  # clipped canvas box x0, y0, x1, y1
    full_area: dict[str, int]  # part -> pixel count of the whole part (before clipping)


class Canvas:
    def __init__(self, background: Image.Image):
        self.image = background.convert("RGBA")
        self.width, self.height = self.image.size
        # (element key, part) -> bool mask over the canvas
        self.masks: dict[tuple[str, str], np.ndarray] = {}
        self.placed: dict[str, Placed] = {}
        self._count = 0

    def paste(self, layer: Layer, xy: tuple[int, int], key: str | None = None) -> str:
        """Composites `layer` with its top-left at `xy` (may lie outside); returns its key."""
        key = key or f"e{self._count}"
        self._count += 1
        x, y = int(xy[0]), int(xy[1])
        w, h = layer.size
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        full = {name: int(m.sum()) for name, m in layer.parts.items()}
        if x1 <= x0 or y1 <= y0:
            self.placed[key] = Placed(key, {n: 0 for n in layer.parts}, (0, 0, 0, 0), full)
            return key
        crop = (x0 - x, y0 - y, x1 - x, y1 - y)
        patch = layer.image.crop(crop)
        self.image.alpha_composite(patch, (x0, y0))
        opaque = np.asarray(patch.getchannel("A")) >= OPAQUE
        for mask in self.masks.values():
            region = mask[y0:y1, x0:x1]
            region &= ~opaque
        drawn = {}
        for name, part in layer.parts.items():
            sub = part[crop[1] : crop[3], crop[0] : crop[2]]
            canvas_mask = np.zeros((self.height, self.width), dtype=bool)
            canvas_mask[y0:y1, x0:x1] = sub
            self.masks[(key, name)] = canvas_mask
            drawn[name] = int(sub.sum())
        self.placed[key] = Placed(key, drawn, (x0, y0, x1, y1), full)
        return key

    def occlude(self, region: np.ndarray) -> None:
        """Removes evidence under `region` (bool H x W), for effects painted directly."""
        for mask in self.masks.values():
            mask &= ~region

    def visible(self, key: str, part: str) -> np.ndarray:
        m = self.masks.get((key, part))
        return m if m is not None else np.zeros((self.height, self.width), dtype=bool)

    def visible_fraction(self, key: str, part: str) -> float:
        """Visible pixels of a part over its whole drawn size (clipping and occlusion count)."""
        full = self.placed[key].full_area.get(part, 0)
        return float(self.visible(key, part).sum()) / full if full else 0.0

    def rgb(self) -> Image.Image:
        return self.image.convert("RGB")


def mask_from_alpha(image: Image.Image, threshold: int = OPAQUE) -> np.ndarray:
    return np.asarray(image.getchannel("A")) >= threshold


class Painter:
    """Draws shapes onto an RGBA patch and keeps named part masks in step: a shape marks its
    own parts and erases every other part beneath it (a z-buffer inside one element)."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self.image = Image.new("RGBA", size, (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)
        self._parts: dict[str, Image.Image] = {}
        self._draws: dict[str, ImageDraw.ImageDraw] = {}

    def part(self, name: str) -> ImageDraw.ImageDraw:
        if name not in self._parts:
            self._parts[name] = Image.new("L", self.size, 0)
            self._draws[name] = ImageDraw.Draw(self._parts[name])
        return self._draws[name]

    def shape(self, kind: str, geometry, fill, parts: tuple[str, ...] = (), **style) -> None:
        """kind: a PIL ImageDraw method name ("ellipse", "polygon", "rectangle", "line",
        "rounded_rectangle", "pieslice", "chord"); geometry and style as PIL takes them."""
        getattr(self.draw, kind)(geometry, fill=fill, **style)
        if fill is None or (len(fill) == 4 and fill[3] < OPAQUE):
            return  # transparent strokes hide nothing
        for name in parts:
            self.part(name)
        for name, draw in self._draws.items():
            value = 255 if name in parts else 0
            mask_style = {k: (value if k == "outline" else v) for k, v in style.items()}
            getattr(draw, kind)(geometry, fill=value, **mask_style)

    def paste(self, image: Image.Image, xy: tuple[int, int], parts: tuple[str, ...] = ()) -> None:
        """Pastes an RGBA image; its opaque pixels take `parts` and hide the others."""
        self.image.alpha_composite(image, (int(xy[0]), int(xy[1])))
        alpha = Image.new("L", self.size, 0)
        alpha.paste(
            image.getchannel("A").point(lambda v: 255 if v >= OPAQUE else 0),
            (int(xy[0]), int(xy[1])),
        )
        for name in parts:
            self.part(name)
        for name, img in self._parts.items():
            img.paste(255 if name in parts else 0, (0, 0), alpha)

    def mark(self, name: str, mask: np.ndarray) -> None:
        """Adds a part from a bool mask without drawing (e.g. a region of a pasted photo)."""
        self.part(name)
        current = np.asarray(self._parts[name]) > 0
        self._parts[name] = Image.fromarray(((current | mask) * 255).astype(np.uint8))
        self._draws[name] = ImageDraw.Draw(self._parts[name])

    def layer(self) -> Layer:
        alpha = np.asarray(self.image.getchannel("A")) >= OPAQUE
        parts = {name: (np.asarray(img) > 0) & alpha for name, img in self._parts.items()}
        return Layer(self.image, parts)
