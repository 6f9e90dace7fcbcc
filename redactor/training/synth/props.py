"""Objects without text of their own: the visual evidence of VISPR's un-masked attributes
(vehicles, landmarks, flags, places of worship, parties, offices, hobbies, police tape), plates,
fingerprints, and harmless clutter. Each returns a Layer whose parts name what it evidences.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image

from redactor.training.synth import sources
from redactor.training.synth.canvas import Layer, Painter
from redactor.training.synth.typeset import font

CAR_COLORS = (
    (180, 30, 30),
    (30, 60, 150),
    (230, 230, 230),
    (30, 30, 35),
    (120, 120, 125),
    (200, 170, 40),
    (40, 110, 60),
)


def car(
    rng: random.Random, width: int, rear: bool, plate_text: str | None, plate_attr: str | None
) -> Layer:
    """A car seen from the side (no plate) or from behind (plate visible). Parts: 'vehicle'
    (the car) and, from behind, 'plate' plus the plate attribute."""
    color = rng.choice(CAR_COLORS)
    if rear:
        h = int(width * 0.78)
        p = Painter((width, h))
        w = width
        p.shape(
            "rounded_rectangle",
            (w * 0.16, h * 0.05, w * 0.84, h * 0.45),
            color,
            ("vehicle",),
            radius=int(w * 0.06),
        )
        p.shape(
            "rounded_rectangle",
            (w * 0.22, h * 0.1, w * 0.78, h * 0.38),
            (90, 120, 150),
            ("vehicle",),
            radius=int(w * 0.04),
        )
        p.shape(
            "rounded_rectangle",
            (0, h * 0.38, w, h * 0.85),
            color,
            ("vehicle",),
            radius=int(w * 0.06),
        )
        for side in (0.05, 0.8):
            p.shape(
                "rectangle",
                (w * side, h * 0.45, w * (side + 0.15), h * 0.58),
                (220, 40, 30),
                ("vehicle",),
            )
        for side in (0.06, 0.78):
            p.shape(
                "rectangle", (w * side, h * 0.82, w * (side + 0.16), h), (25, 25, 25), ("vehicle",)
            )
        if plate_text:
            pw, ph = w * 0.36, w * 0.09
            px, py = (w - pw) / 2, h * 0.6
            parts = ("vehicle", "plate") + ((plate_attr,) if plate_attr else ())
            p.shape("rectangle", (px, py, px + pw, py + ph), (250, 250, 245), parts)
            p.shape("rectangle", (px, py, px + pw, py + ph), None, (), outline=(30, 30, 30))
            size = max(5, int(ph * 0.8))
            f = font("mono-bold", size)
            while f.getlength(plate_text) > pw * 0.94 and size > 5:
                size -= 1
                f = font("mono-bold", size)
            p.draw.text(
                (px + pw / 2, py + ph / 2), plate_text, font=f, anchor="mm", fill=(20, 20, 20)
            )
        return p.layer()
    h = int(width * 0.42)
    p = Painter((width, h))
    w = width
    p.shape(
        "polygon",
        [(w * 0.2, h * 0.4), (w * 0.32, h * 0.05), (w * 0.7, h * 0.05), (w * 0.82, h * 0.4)],
        color,
        ("vehicle",),
    )
    p.shape(
        "polygon",
        [(w * 0.26, h * 0.38), (w * 0.35, h * 0.12), (w * 0.49, h * 0.12), (w * 0.49, h * 0.38)],
        (150, 180, 210),
        ("vehicle",),
    )
    p.shape(
        "polygon",
        [(w * 0.52, h * 0.38), (w * 0.52, h * 0.12), (w * 0.67, h * 0.12), (w * 0.76, h * 0.38)],
        (150, 180, 210),
        ("vehicle",),
    )
    p.shape(
        "rounded_rectangle", (0, h * 0.36, w, h * 0.8), color, ("vehicle",), radius=int(h * 0.12)
    )
    for cx in (w * 0.2, w * 0.8):
        r = h * 0.2
        p.shape(
            "ellipse", (cx - r, h * 0.6, cx + r, h * 0.6 + 2 * r - 1), (25, 25, 25), ("vehicle",)
        )
        p.shape(
            "ellipse",
            (cx - r * 0.5, h * 0.6 + r * 0.5, cx + r * 0.5, h * 0.6 + r * 1.5),
            (170, 170, 175),
            ("vehicle",),
        )
    return p.layer()


def motorcycle(rng: random.Random, width: int) -> Layer:
    """scikit-image's motorcycle photo, cut to its middle (a vehicle, no plate readable)."""
    photo = sources.package_photo("motorcycle")
    w0, h0 = photo.size
    crop = photo.crop((int(w0 * 0.05), int(h0 * 0.15), int(w0 * 0.95), int(h0 * 0.95)))
    h = int(width * crop.height / crop.width)
    image = crop.resize((width, h), Image.BILINEAR).convert("RGBA")
    return Layer(image, {"vehicle": np.ones((h, width), bool)})


def landmark(rng: random.Random, height: int) -> Layer:
    """A famous-place silhouette: lattice tower, triumphal arch, pyramid, or clock tower."""
    kind = rng.randrange(4)
    w = int(height * (0.55 if kind in (0, 3) else 0.9))
    p = Painter((w, height))
    stone = rng.choice(((120, 100, 80), (200, 180, 140), (90, 90, 95), (150, 140, 120)))
    part = ("cue:a73_landmark",)
    if kind == 0:  # lattice tower
        p.shape(
            "polygon",
            [
                (w * 0.5, 0),
                (w * 0.58, height * 0.4),
                (w, height),
                (w * 0.68, height),
                (w * 0.5, height * 0.7),
                (w * 0.32, height),
                (0, height),
                (w * 0.42, height * 0.4),
            ],
            stone,
            part,
        )
        for k in range(1, 8):
            y = height * k / 8
            half = w * 0.5 * (y / height) ** 1.2
            p.shape("line", [(w / 2 - half, y), (w / 2 + half, y)], (60, 60, 60), part, width=2)
    elif kind == 1:  # arch
        p.shape("rectangle", (0, height * 0.15, w, height), stone, part)
        p.draw.rectangle((w * 0.3, height * 0.55, w * 0.7, height), fill=(0, 0, 0, 0))
        p.draw.chord((w * 0.3, height * 0.35, w * 0.7, height * 0.75), 180, 360, fill=(0, 0, 0, 0))
        p.shape("rectangle", (0, height * 0.1, w, height * 0.2), tuple(c - 30 for c in stone), part)
    elif kind == 2:  # pyramid
        p.shape("polygon", [(w / 2, 0), (w, height), (0, height)], stone, part)
        p.shape(
            "polygon",
            [(w / 2, 0), (w * 0.62, height), (w, height)],
            tuple(c - 35 for c in stone),
            part,
        )
    else:  # clock tower
        p.shape("rectangle", (w * 0.2, height * 0.2, w * 0.8, height), stone, part)
        p.shape(
            "polygon",
            [(w * 0.15, height * 0.2), (w * 0.5, 0), (w * 0.85, height * 0.2)],
            (70, 90, 80),
            part,
        )
        r = w * 0.2
        cy = height * 0.35
        p.shape("ellipse", (w / 2 - r, cy - r, w / 2 + r, cy + r), (240, 240, 230), part)
        p.shape("line", [(w / 2, cy), (w / 2, cy - r * 0.8)], (20, 20, 20), part, width=2)
        p.shape("line", [(w / 2, cy), (w / 2 + r * 0.6, cy)], (20, 20, 20), part, width=2)
    layer = p.layer()
    alpha = np.asarray(layer.image.getchannel("A")) >= 128
    layer.parts["cue:a73_landmark"] = alpha
    return layer


def rainbow_flag(rng: random.Random, width: int) -> Layer:
    h = int(width * 0.65)
    pole = max(2, width // 25)
    total_h = int(h * 2.2)
    p = Painter((width + pole, total_h))
    p.shape("rectangle", (0, 0, pole, total_h), (150, 150, 150), ("cue:a56_sexual_orientation",))
    colors = ((228, 3, 3), (255, 140, 0), (255, 237, 0), (0, 128, 38), (0, 77, 255), (117, 7, 135))
    for k, c in enumerate(colors):
        pts = []
        for i in range(11):
            x = pole + width * i / 10
            wave = math.sin(i / 10 * math.pi * 2) * h * 0.04
            pts.append((x, k * h / 6 + wave))
        pts += [(x, y + h / 6 + 1) for x, y in reversed(pts)]
        p.shape("polygon", pts, c, ("cue:a56_sexual_orientation",))
    return p.layer()


def place_of_worship(rng: random.Random, height: int) -> Layer:
    """A building with a spire and cross, or with a dome and a crescent on top."""
    w = int(height * 0.8)
    p = Painter((w, height))
    part = ("cue:a55_religion",)
    wall = rng.choice(((235, 225, 205), (200, 190, 175), (240, 240, 240)))
    if rng.random() < 0.5:
        p.shape("rectangle", (w * 0.1, height * 0.5, w * 0.9, height), wall, part)
        p.shape(
            "polygon",
            [(w * 0.05, height * 0.5), (w * 0.5, height * 0.3), (w * 0.95, height * 0.5)],
            (140, 60, 50),
            part,
        )
        p.shape("rectangle", (w * 0.4, height * 0.2, w * 0.6, height * 0.55), wall, part)
        p.shape(
            "polygon",
            [(w * 0.38, height * 0.2), (w * 0.5, height * 0.07), (w * 0.62, height * 0.2)],
            (140, 60, 50),
            part,
        )
        p.shape("rectangle", (w * 0.49, 0, w * 0.51, height * 0.08), (200, 170, 60), part)
        p.shape(
            "rectangle", (w * 0.46, height * 0.025, w * 0.54, height * 0.04), (200, 170, 60), part
        )
        p.shape(
            "chord",
            (w * 0.42, height * 0.72, w * 0.58, height * 0.9),
            (90, 60, 40),
            part,
            start=180,
            end=360,
        )
        p.shape("rectangle", (w * 0.42, height * 0.81, w * 0.58, height), (90, 60, 40), part)
    else:
        p.shape("rectangle", (w * 0.15, height * 0.5, w * 0.85, height), wall, part)
        p.shape(
            "chord",
            (w * 0.25, height * 0.22, w * 0.75, height * 0.78),
            (60, 130, 120),
            part,
            start=180,
            end=360,
        )
        for x in (w * 0.04, w * 0.88):
            p.shape("rectangle", (x, height * 0.15, x + w * 0.08, height), wall, part)
        cx, cy, r = w * 0.5, height * 0.14, height * 0.05
        p.shape("ellipse", (cx - r, cy - r, cx + r, cy + r), (210, 180, 60), part)
        p.draw.ellipse((cx - r * 0.4, cy - r * 1.1, cx + r * 1.3, cy + r * 0.7), fill=(0, 0, 0, 0))
        p.shape("rectangle", (cx - 1, cy + r, cx + 1, height * 0.24), (210, 180, 60), part)
    return p.layer()


def party(rng: random.Random, width: int) -> Layer:
    """Balloons and a birthday cake with candles (a personal occasion)."""
    h = int(width * 1.1)
    p = Painter((width, h))
    part = ("cue:a60_occassion_personal",)
    for k in range(rng.randint(3, 5)):
        bx = width * rng.uniform(0.1, 0.9)
        by = h * rng.uniform(0.05, 0.3)
        r = width * 0.09
        p.shape(
            "line",
            [(bx, by + r * 1.2), (width * 0.5 + rng.uniform(-5, 5), h * 0.62)],
            (90, 90, 90),
            part,
            width=1,
        )
        p.shape(
            "ellipse",
            (bx - r, by - r * 1.2, bx + r, by + r * 1.2),
            rng.choice(
                ((230, 40, 60), (40, 120, 230), (250, 200, 30), (150, 60, 200), (60, 190, 90))
            ),
            part,
        )
    p.shape("rectangle", (width * 0.2, h * 0.7, width * 0.8, h * 0.95), (250, 230, 240), part)
    p.shape("rectangle", (width * 0.2, h * 0.7, width * 0.8, h * 0.76), (240, 120, 170), part)
    p.shape("rectangle", (width * 0.15, h * 0.95, width * 0.85, h), (220, 220, 225), part)
    for k in range(5):
        x = width * (0.28 + 0.11 * k)
        p.shape("rectangle", (x, h * 0.62, x + 3, h * 0.7), (100, 160, 240), part)
        p.shape("ellipse", (x - 1, h * 0.58, x + 4, h * 0.63), (255, 170, 30), part)
    return p.layer()


def office(rng: random.Random, width: int) -> Layer:
    """A work setting: desk, monitor with a chart, laptop, whiteboard."""
    h = int(width * 0.75)
    p = Painter((width, h))
    part = ("cue:a48_occassion_work",)
    p.shape(
        "rectangle",
        (width * 0.05, 0, width * 0.6, h * 0.35),
        (250, 250, 250),
        part,
        outline=(150, 150, 150),
    )
    for k in range(4):
        x = width * (0.1 + 0.1 * k)
        bh = h * rng.uniform(0.05, 0.25)
        p.shape(
            "rectangle",
            (x, h * 0.31 - bh, x + width * 0.06, h * 0.31),
            rng.choice(((40, 120, 200), (230, 120, 40), (60, 170, 90))),
            part,
        )
    p.shape("rectangle", (0, h * 0.62, width, h * 0.7), (140, 100, 60), part)
    p.shape("rectangle", (width * 0.05, h * 0.7, width * 0.1, h), (110, 80, 50), part)
    p.shape("rectangle", (width * 0.9, h * 0.7, width * 0.95, h), (110, 80, 50), part)
    p.shape("rectangle", (width * 0.55, h * 0.35, width * 0.9, h * 0.57), (30, 30, 35), part)
    p.shape("rectangle", (width * 0.57, h * 0.37, width * 0.88, h * 0.55), (70, 130, 190), part)
    pts = [(width * (0.58 + 0.05 * i), h * (0.52 - rng.uniform(0, 0.12))) for i in range(6)]
    p.shape("line", pts, (250, 250, 250), part, width=2)
    p.shape("rectangle", (width * 0.7, h * 0.57, width * 0.74, h * 0.62), (30, 30, 35), part)
    p.shape(
        "polygon",
        [
            (width * 0.15, h * 0.62),
            (width * 0.2, h * 0.48),
            (width * 0.42, h * 0.48),
            (width * 0.45, h * 0.62),
        ],
        (180, 180, 185),
        part,
    )
    return p.layer()


def hobby(rng: random.Random, width: int) -> Layer:
    """A guitar, a chessboard or a painter's palette."""
    kind = rng.randrange(3)
    part = ("cue:a58_hobbies",)
    if kind == 0:
        h = int(width * 2.2)
        p = Painter((width, h))
        body = rng.choice(((180, 110, 50), (150, 40, 30), (30, 30, 30)))
        p.shape("rectangle", (width * 0.44, 0, width * 0.56, h * 0.55), (90, 60, 30), part)
        p.shape("ellipse", (width * 0.15, h * 0.4, width * 0.85, h * 0.7), body, part)
        p.shape("ellipse", (0, h * 0.55, width, h), body, part)
        p.shape("ellipse", (width * 0.38, h * 0.62, width * 0.62, h * 0.74), (30, 20, 10), part)
        return p.layer()
    if kind == 1:
        n = 8
        p = Painter((width, width))
        cell = width / n
        for i in range(n):
            for j in range(n):
                p.shape(
                    "rectangle",
                    (i * cell, j * cell, (i + 1) * cell, (j + 1) * cell),
                    (235, 215, 180) if (i + j) % 2 == 0 else (120, 80, 50),
                    part,
                )
        for k in range(rng.randint(4, 9)):
            i, j = rng.randrange(n), rng.randrange(n)
            c = (250, 250, 250) if k % 2 else (20, 20, 20)
            p.shape(
                "ellipse",
                (
                    i * cell + cell * 0.2,
                    j * cell + cell * 0.2,
                    i * cell + cell * 0.8,
                    j * cell + cell * 0.8,
                ),
                c,
                part,
            )
        return p.layer()
    h = int(width * 0.75)
    p = Painter((width, h))
    p.shape("ellipse", (0, 0, width, h), (215, 180, 130), part)
    p.draw.ellipse((width * 0.15, h * 0.55, width * 0.32, h * 0.8), fill=(0, 0, 0, 0))
    for k in range(6):
        a = k / 6 * math.pi * 1.4 + 0.5
        x, y = width / 2 + math.cos(a) * width * 0.32, h / 2 - math.sin(a) * h * 0.3
        r = width * 0.07
        p.shape(
            "ellipse",
            (x - r, y - r, x + r, y + r),
            (
                (220, 30, 30),
                (30, 90, 220),
                (250, 210, 20),
                (30, 160, 60),
                (250, 250, 250),
                (120, 40, 150),
            )[k],
            part,
        )
    layer = p.layer()
    layer.parts["cue:a58_hobbies"] = np.asarray(layer.image.getchannel("A")) >= 128
    return layer


def police_tape(rng: random.Random, width: int) -> Layer:
    """Legal involvement: a crime-scene tape with its printed warning."""
    h = max(10, int(width * 0.07))
    p = Painter((width, h))
    part = ("cue:a99_legal_involvement",)
    p.shape("rectangle", (0, 0, width, h), (250, 215, 0), part)
    f = font("sans-bold", max(6, int(h * 0.7)))
    text = "POLICE LINE  DO NOT CROSS  " * 4
    p.draw.text((2, h / 2), text, font=f, anchor="lm", fill=(15, 15, 15))
    return p.layer()


def fingerprint(rng: random.Random, width: int) -> Layer:
    """A fingerprint impression: concentric ridge loops in ink."""
    h = int(width * 1.3)
    p = Painter((width, h))
    part = ("cue:a7_fingerprint",)
    p.shape("ellipse", (0, 0, width, h), (245, 235, 225), part)
    ink = rng.choice(((40, 40, 60), (30, 30, 30), (60, 40, 90)))
    cx, cy = width / 2, h * 0.55
    k = 1
    while k * 3.5 < width * 0.48:
        r = k * 3.5
        p.shape(
            "arc",
            (cx - r, cy - r * 1.25, cx + r, cy + r * 1.25),
            ink,
            part,
            start=200 + rng.uniform(-15, 15),
            end=520 + rng.uniform(-15, 15),
            width=1,
        )
        k += 1
    layer = p.layer()
    layer.parts["cue:a7_fingerprint"] = np.asarray(layer.image.getchannel("A")) >= 128
    return layer


# --- harmless clutter ----------------------------------------------------------------------

CLUTTER_PHOTOS = ("coffee", "chelsea", "rocket")


def clutter(rng: random.Random, size: int) -> Layer:
    """A harmless object: a packaged photo's crop (cup, cat, rocket), a plant, a ball, a box."""
    kind = rng.randrange(5)
    if kind == 0:
        names = sources.available(CLUTTER_PHOTOS)
        if names:
            photo = sources.package_photo(rng.choice(names))
            w0, h0 = photo.size
            cw, ch = int(w0 * rng.uniform(0.4, 0.8)), int(h0 * rng.uniform(0.4, 0.8))
            x0, y0 = rng.randrange(0, w0 - cw + 1), rng.randrange(0, h0 - ch + 1)
            crop = photo.crop((x0, y0, x0 + cw, y0 + ch))
            scale = size / max(cw, ch)
            img = crop.resize((max(2, int(cw * scale)), max(2, int(ch * scale))), Image.BILINEAR)
            img = img.convert("RGBA")
            return Layer(img, {"clutter": np.ones((img.height, img.width), bool)})
    p = Painter((size, size))
    if kind == 1:  # potted plant
        p.shape(
            "polygon",
            [
                (size * 0.3, size * 0.65),
                (size * 0.7, size * 0.65),
                (size * 0.62, size),
                (size * 0.38, size),
            ],
            (170, 90, 50),
            ("clutter",),
        )
        for k in range(6):
            a = math.pi * (0.15 + 0.7 * k / 5)
            x, y = size / 2 - math.cos(a) * size * 0.35, size * 0.62 - math.sin(a) * size * 0.5
            p.shape(
                "ellipse",
                (x - size * 0.1, y - size * 0.06, x + size * 0.1, y + size * 0.06),
                (40, 140, 60),
                ("clutter",),
            )
            p.shape("line", [(size / 2, size * 0.65), (x, y)], (40, 110, 50), ("clutter",), width=2)
    elif kind == 2:  # ball
        p.shape(
            "ellipse",
            (0, 0, size - 1, size - 1),
            rng.choice(((230, 60, 60), (60, 120, 230), (240, 200, 40))),
            ("clutter",),
        )
        p.shape(
            "arc",
            (size * 0.1, -size * 0.3, size * 0.9, size * 0.7),
            (255, 255, 255),
            ("clutter",),
            start=40,
            end=140,
            width=max(1, size // 15),
        )
    elif kind == 3:  # box
        c = rng.choice(((180, 140, 90), (200, 200, 200), (120, 160, 200)))
        p.shape("rectangle", (0, size * 0.3, size * 0.8, size), c, ("clutter",))
        p.shape(
            "polygon",
            [
                (0, size * 0.3),
                (size * 0.2, size * 0.1),
                (size, size * 0.1),
                (size * 0.8, size * 0.3),
            ],
            tuple(min(255, v + 30) for v in c),
            ("clutter",),
        )
        p.shape(
            "polygon",
            [(size * 0.8, size * 0.3), (size, size * 0.1), (size, size * 0.8), (size * 0.8, size)],
            tuple(max(0, v - 30) for v in c),
            ("clutter",),
        )
    else:  # blank card or phone (document-like, nothing on it)
        c = rng.choice(((240, 240, 240), (30, 30, 30), (200, 220, 240), (240, 200, 200)))
        p.shape(
            "rounded_rectangle",
            (0, size * 0.25, size, size * 0.88),
            c,
            ("clutter",),
            radius=max(2, size // 12),
        )
    return p.layer()
