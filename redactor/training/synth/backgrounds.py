"""Backgrounds: outdoor (sky and ground), rooms, desks, textures and photo crops from packaged
images. None of them holds private content."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from redactor.training.synth import real_content, sources

TEXTURES = ("brick", "grass", "gravel")
PHOTOS = ("coffee", "chelsea", "rocket", "motorcycle")


def _noise(size: int, rng: random.Random, amount: float) -> np.ndarray:
    g = np.random.default_rng(rng.randrange(1 << 30))
    small = g.normal(0, amount, (max(1, size // 8), max(1, size // 8), 1)).astype(np.float32)
    return np.asarray(Image.fromarray(small[..., 0]).resize((size, size), Image.BILINEAR))[
        ..., None
    ]


def gradient(size: int, top, bottom) -> np.ndarray:
    t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    column = (
        np.array(top, np.float32)[None, None] * (1 - t)
        + np.array(bottom, np.float32)[None, None] * t
    )
    return np.repeat(column, size, axis=1)


def outdoor(size: int, rng: random.Random) -> tuple[Image.Image, int]:
    """Sky over ground; returns the image and the horizon row (where people stand behind)."""
    horizon = int(size * rng.uniform(0.35, 0.65))
    sky = gradient(
        size,
        rng.choice(((90, 150, 220), (150, 180, 210), (230, 170, 120), (60, 70, 100))),
        (220, 230, 240),
    )
    ground_color = rng.choice(((90, 140, 70), (170, 160, 140), (120, 120, 125), (200, 185, 140)))
    arr = sky.copy()
    arr[horizon:] = (
        np.array(ground_color, np.float32) * np.linspace(0.85, 1.1, size - horizon)[:, None, None]
    )
    arr += _noise(size, rng, 6)
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(image)
    for _ in range(rng.randint(0, 3)):  # hills / tree lines on the horizon
        x = rng.uniform(-0.2, 1) * size
        w = rng.uniform(0.2, 0.6) * size
        h = rng.uniform(0.03, 0.12) * size
        d.ellipse(
            (x, horizon - h, x + w, horizon + h),
            fill=rng.choice(((60, 100, 60), (100, 110, 120), (70, 90, 70))),
        )
    for _ in range(rng.randint(0, 3)):  # clouds
        x, y = rng.uniform(0, size), rng.uniform(0, horizon * 0.6)
        r = rng.uniform(0.04, 0.1) * size
        d.ellipse((x - 2 * r, y - r, x + 2 * r, y + r), fill=(245, 245, 248))
    return image, horizon


def room(size: int, rng: random.Random) -> tuple[Image.Image, int]:
    floor = int(size * rng.uniform(0.6, 0.8))
    wall = rng.choice(
        ((235, 230, 220), (200, 215, 225), (240, 225, 200), (180, 180, 185), (220, 200, 200))
    )
    arr = np.empty((size, size, 3), np.float32)
    arr[:] = wall
    arr[floor:] = rng.choice(((150, 110, 80), (120, 120, 120), (190, 170, 140)))
    arr += _noise(size, rng, 5)
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(image)
    if rng.random() < 0.6:  # window
        x, y = rng.uniform(0.05, 0.6) * size, rng.uniform(0.08, 0.2) * size
        w, h = rng.uniform(0.2, 0.35) * size, rng.uniform(0.2, 0.35) * size
        d.rectangle(
            (x, y, x + w, y + h),
            fill=(170, 200, 230),
            outline=(250, 250, 250),
            width=max(2, size // 90),
        )
        d.line((x + w / 2, y, x + w / 2, y + h), fill=(250, 250, 250), width=max(2, size // 120))
    if rng.random() < 0.4:  # a picture frame
        x, y = rng.uniform(0.5, 0.85) * size, rng.uniform(0.1, 0.3) * size
        w, h = rng.uniform(0.08, 0.15) * size, rng.uniform(0.08, 0.15) * size
        d.rectangle(
            (x, y, x + w, y + h),
            fill=rng.choice(((80, 120, 160), (160, 120, 80))),
            outline=(60, 40, 30),
            width=max(2, size // 120),
        )
    return image, floor


def desk(size: int, rng: random.Random) -> Image.Image:
    base = np.array(
        rng.choice(((160, 115, 75), (200, 170, 130), (90, 70, 55), (210, 210, 205), (60, 60, 65))),
        np.float32,
    )
    y = np.arange(size, dtype=np.float32)[:, None]
    grain = np.sin(y / rng.uniform(3, 9) + np.sin(np.arange(size)[None, :] / 40.0) * 2) * 8
    arr = base[None, None] + grain[..., None] + _noise(size, rng, 6)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _random_square(
    image: Image.Image, size: int, rng: random.Random, smallest: float
) -> Image.Image:
    """A random square of `smallest`..1 of the image's shorter side, resized to `size`."""
    w0, h0 = image.size
    crop = rng.uniform(smallest, 1.0) * min(w0, h0)
    x, y = rng.uniform(0, w0 - crop), rng.uniform(0, h0 - crop)
    return image.crop((int(x), int(y), int(x + crop), int(y + crop))).resize(
        (size, size), Image.BILINEAR
    )


def texture(size: int, rng: random.Random) -> Image.Image:
    names = sources.available(TEXTURES)
    if not names:
        return desk(size, rng)
    image = _random_square(sources.package_photo(rng.choice(names)), size, rng, smallest=0.4)
    tint = np.array([rng.uniform(0.7, 1.2) for _ in range(3)], np.float32)
    return Image.fromarray(np.clip(np.asarray(image, np.float32) * tint, 0, 255).astype(np.uint8))


def photo(size: int, rng: random.Random) -> Image.Image:
    names = sources.available(PHOTOS)
    if not names:
        return desk(size, rng)
    image = _random_square(sources.package_photo(rng.choice(names)), size, rng, smallest=0.5)
    if rng.random() < 0.5:
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(1, 3)))
    return image


def plain(size: int, rng: random.Random) -> Image.Image:
    arr = gradient(
        size, [rng.randrange(40, 250) for _ in range(3)], [rng.randrange(40, 250) for _ in range(3)]
    )
    arr = arr + _noise(size, rng, 4)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def any_background(size: int, rng: random.Random, people: bool) -> tuple[Image.Image, int]:
    """A background and its ground row (people stand on or below it)."""
    if real_content.ACTIVE is not None and rng.random() < real_content.ACTIVE.photo_backgrounds:
        return photo(size, rng), int(size * 0.5)
    r = rng.random()
    if people:
        if r < 0.5:
            return outdoor(size, rng)
        if r < 0.85:
            return room(size, rng)
        return (texture(size, rng) if r < 0.93 else photo(size, rng)), int(size * 0.5)
    if r < 0.3:
        return desk(size, rng), int(size * 0.5)
    if r < 0.5:
        return outdoor(size, rng)
    if r < 0.65:
        return room(size, rng)
    if r < 0.8:
        return texture(size, rng), int(size * 0.5)
    if r < 0.92:
        return photo(size, rng), int(size * 0.5)
    return plain(size, rng), int(size * 0.5)
