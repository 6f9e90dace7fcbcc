"""Harmless pages (`redact synth --harmless-pages SHARE`): the share of images that are a page
of ordinary printed prose (a book, a manual, a recipe, an article), scanned or photographed,
labelled safe (a0). VISPR's label sets put readable text almost only on private documents, so a
model trained on them takes any page of text for a private one (measured on real images: a
scanned book page scored 0.84, higher than photos of people). These pages hold no names,
numbers, dates or addresses: only words from the list below.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from redactor.training.synth.typeset import font

WORDS = (
    "the of and to in is was for on with as it by at from this that which are be has have not "
    "but or an they their there when where after before while during under over between into "
    "water light garden river morning evening winter summer autumn spring bread flour sugar "
    "butter oven minutes heat slowly gently mixture bowl spoon recipe chapter section page "
    "figure table method result results sample samples process machine engine wheel surface "
    "layer colour colours paint brush paper stone wood glass metal small large long short old "
    "new early late first second third simple common useful careful important different "
    "several many most some each every other same such only also very often usually always "
    "never perhaps however therefore because although until whether through across along "
    "around above below near far inside outside north south east west mountain valley forest "
    "field road bridge village town market harbour island coast weather rain wind snow cloud "
    "sun moon stars history story music song theatre painting library museum school lesson "
    "students teacher example problem answer question reason idea plan design model system "
    "energy power heat cold speed time year years season day days night hour way part place "
    "point side end line word words book books letter letters number numbers shape form size "
    "weight height depth width length turn press hold place remove add mix stir pour cut "
    "fold open close begin continue finish repeat measure check follow describe explain show "
    "grow build carry bring keep move make take give find see look read write learn teach"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(5, 14))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice(".....;:")


def harmless_page(seed: int, size: int):
    """A page of harmless prose filling most of a `size` square, as a SceneResult (a0_safe)."""
    from redactor.training.synth.scene import SceneResult

    rng = random.Random(seed ^ 0xB00C)
    w, h = size, int(size * rng.uniform(1.0, 1.45))
    tint = tuple(int(c) for c in np.clip(np.array([250, 248, 240]) - rng.uniform(0, 40), 0, 255))
    page = Image.new("RGB", (w, h), tint)
    draw = ImageDraw.Draw(page)
    style = rng.choice(("serif", "serif", "sans", "sans-condensed", "mono"))
    px = max(7, int(size * rng.uniform(0.028, 0.06)))
    body = font(style, px, rng.randrange(3))
    ink = tuple(rng.randint(10, 70) for _ in range(3))
    margin, y = int(w * rng.uniform(0.06, 0.12)), int(h * rng.uniform(0.05, 0.1))
    if rng.random() < 0.5:  # a heading
        draw.text(
            (margin, y),
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).title(),
            font=font(style + "-bold" if style in ("sans", "serif") else style, int(px * 1.5)),
            fill=ink,
        )
        y += int(px * 2.4)
    line, lines = "", []
    while len(lines) < 80:
        for word in sentence(rng).split():
            trial = f"{line} {word}".strip()
            if body.getlength(trial) > w - 2 * margin:
                lines.append(line)
                line = word
            else:
                line = trial
    for text in lines:
        if y > h - px * 2:
            break
        draw.text((margin, y), text, font=body, fill=ink)
        y += int(px * rng.uniform(1.25, 1.6))
        if rng.random() < 0.08:
            y += px  # a paragraph break
    # Scanned or photographed: a crop of the page, a slight turn, uneven light, blur, noise.
    top = rng.randint(0, max(0, h - size))
    image = page.crop((0, top, w, top + size)).rotate(
        rng.uniform(-4, 4),
        resample=Image.BILINEAR,
        fillcolor=tuple(rng.randint(60, 200) for _ in range(3)),
    )
    pixels = np.asarray(image, np.float32)
    ramp = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.85, 1.1), size, dtype=np.float32)
    pixels = pixels * (ramp[:, None, None] if rng.random() < 0.5 else ramp[None, :, None])
    pixels += np.random.default_rng(seed & 0xFFFFFFFF).normal(0, rng.uniform(1, 6), pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    labels = ["a0_safe"]
    return SceneResult(image, labels, {"a0_safe": np.ones((size, size), bool)}, labels)
