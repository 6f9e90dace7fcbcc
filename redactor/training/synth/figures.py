"""People: procedural figures and people cut out of packaged photos, as Layers with parts.

Every figure carries named part masks that the scene turns into attribute evidence after
composition (what stayed visible decides the labels):
  body   every pixel of the person (and what they sit in or hold for their cue)
  head   face, hair and hat          face   the visible face (front view only)
  eyes   the eyes (hidden by sunglasses)
  hair   hair                        skin   visible skin (face, neck, hands, bare arms/legs)
  torso  the trunk                   legs, feet
  cue:<attribute id>  the visual evidence of a cue attribute (tattoo, uniform, wheelchair...)

Figures are drawn at any height; proportions follow the usual 7.5-heads canon. Faces are either
drawn or taken from scikit-image's LFW subset (25x25 grey faces, tinted with the skin tone).
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

from redactor.training.synth import real_content, sources
from redactor.training.synth.canvas import Layer, Painter
from redactor.training.synth.typeset import font

SKIN_TONES = (
    (255, 224, 196),
    (241, 194, 160),
    (224, 172, 132),
    (198, 134, 96),
    (161, 102, 66),
    (120, 78, 50),
    (90, 58, 38),
    (233, 190, 160),
)
HAIR_COLORS = (
    (20, 16, 14),
    (60, 40, 25),
    (110, 75, 40),
    (190, 150, 90),
    (225, 200, 140),
    (150, 60, 30),
    (170, 170, 170),
    (235, 235, 230),
    (60, 60, 200),
    (210, 80, 150),
)
EYE_COLORS = ((70, 45, 25), (40, 90, 160), (60, 120, 70), (110, 90, 60), (30, 30, 30))
CLOTH = (
    (200, 40, 40),
    (40, 90, 180),
    (30, 130, 70),
    (230, 190, 40),
    (120, 60, 140),
    (230, 230, 230),
    (40, 40, 45),
    (150, 100, 60),
    (240, 130, 40),
    (90, 160, 200),
    (200, 120, 160),
    (100, 100, 110),
)
SUIT = ((30, 34, 46), (50, 50, 55), (70, 70, 78), (25, 40, 80))
ETHNIC = ((200, 30, 60), (250, 180, 20), (20, 120, 160), (30, 140, 60), (120, 20, 120))

# Cue attributes a figure can carry, and what they are drawn as.
CUES = {
    "a11_tattoo": "ink pattern on a bare forearm",
    "a12_semi_nudity": "bare torso with swimwear",
    "a13_full_nudity": "unclothed figure (plain skin, no detail)",
    "a18_ethnic_clothing": "robe with bold traditional bands and a head wrap",
    "a39_disability_physical": "seated in a wheelchair",
    "a41_injury": "arm in a white cast and sling with a red cross",
    "a46_occupation": "work uniform: high-visibility vest or white lab coat",
    "a57_culture": "face paint and a flower garland",
    "a59_sports": "athletic kit with a ball",
}
OUTFIT_CUES = {
    "a12_semi_nudity",
    "a13_full_nudity",
    "a18_ethnic_clothing",
    "a46_occupation",
    "a59_sports",
}


@dataclass
class FigureSpec:
    height: int  # head to feet (standing) in pixels
    view: str = "front"  # front | back
    skin: tuple[int, int, int] = SKIN_TONES[1]
    hair: tuple[int, int, int] | None = HAIR_COLORS[1]  # None: bald
    long_hair: bool = False
    hat: tuple[int, int, int] | None = None
    sunglasses: bool = False
    grayscale: bool = False
    outfit: str = (
        "casual"  # casual | dress | suit | hivis | labcoat | jersey | ethnic | swim | nude
    )
    top: tuple[int, int, int] = CLOTH[0]
    bottom: tuple[int, int, int] = CLOTH[6]
    short_sleeves: bool = False
    build: float = 1.0  # 0.8 slim .. 1.4 heavy
    eye_color: tuple[int, int, int] = EYE_COLORS[0]
    face_source: int = -1  # -1 drawn, else an LFW face index
    cues: frozenset[str] = frozenset()
    number: str = ""  # jersey number
    arm_across: int = 0  # -1/1: one arm reaches sideways (embrace), 0: arms down
    seed: int = 0


@functools.lru_cache(maxsize=1)
def lfw_faces() -> np.ndarray | None:
    """(100, 25, 25) float faces from scikit-image's LFW subset, or None if absent."""
    try:
        path = sources.photo_path("astronaut").parent / "lfw_subset.npy"
    except sources.SourceMissingError:
        return None
    if not path.is_file():
        return None
    return np.load(path)[:100].astype(np.float32)


def training_lfw_index(index: int) -> int:
    """The LFW faces the generator may use: the even-indexed half. The odd half is kept for the
    real-image validation set (redactor/training/real_set.py), so no validation face is trained on."""
    return (index // 2) * 2


def tinted_face(index: int, size: tuple[int, int], skin: tuple[int, int, int]) -> Image.Image:
    """An LFW face tinted with a skin tone, with an elliptical alpha, at `size` (w, h)."""
    faces = lfw_faces()
    grey = faces[training_lfw_index(index) % len(faces)]  # type: ignore[index]
    # Stretch contrast, then multiply by the skin tone so shading and features survive.
    g = (grey - grey.min()) / max(1e-6, float(grey.max() - grey.min()))
    rgb = np.clip(g[..., None] * np.array(skin, np.float32)[None, None] * 1.25, 0, 255)
    image = Image.fromarray(rgb.astype(np.uint8)).resize(size, Image.BILINEAR)
    alpha = Image.new("L", size, 0)
    ImageDraw.Draw(alpha).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    image.putalpha(alpha)
    return image


def random_spec(rng: random.Random, height: int, **overrides) -> FigureSpec:
    top = rng.choice(CLOTH)
    spec = FigureSpec(
        height=height,
        skin=rng.choice(SKIN_TONES),
        hair=rng.choice(HAIR_COLORS) if rng.random() > 0.08 else None,
        long_hair=rng.random() < 0.45,
        outfit=rng.choice(("casual", "casual", "casual", "dress")),
        top=top,
        bottom=rng.choice([c for c in CLOTH if c != top]),
        short_sleeves=rng.random() < 0.4,
        build=rng.uniform(0.8, 1.35),
        eye_color=rng.choice(EYE_COLORS),
        face_source=rng.randrange(100) if lfw_faces() is not None and rng.random() < 0.6 else -1,
        seed=rng.randrange(1 << 30),
    )
    return replace(spec, **overrides)


TORSO_PARTS = ("body", "torso")
# The cue a figure's outfit is evidence of (a jersey only when the sports cue asked for it).
OUTFIT_CUE_PARTS = {
    "suit": (),
    "hivis": ("cue:a46_occupation",),
    "labcoat": ("cue:a46_occupation",),
    "ethnic": ("cue:a18_ethnic_clothing",),
    "swim": ("cue:a12_semi_nudity",),
    "nude": ("cue:a13_full_nudity",),
}


@dataclass(frozen=True)
class Frame:
    """A figure's layout and colours, shared by the part painters (all lengths in pixels)."""

    size: tuple[int, int]
    u: float  # head height
    t: float  # top of the head
    cx: float  # body centre line
    seated: bool
    head_cy: float
    hw: float  # head width
    shoulder_y: float
    hip_y: float
    sw: float  # shoulder width
    hipw: float
    feet_y: float
    top_color: tuple[int, int, int]
    bottom_color: tuple[int, int, int]
    cue_outfit: tuple[str, ...]  # cue parts the clothes are evidence of
    clothes_parts: tuple[str, ...]

    @property
    def head_box(self) -> tuple[float, float, float, float]:
        return (self.cx - self.hw / 2, self.t, self.cx + self.hw / 2, self.t + self.u)


def figure_frame(spec: FigureSpec, rng: random.Random) -> Frame:
    u = spec.height / 7.5  # head height
    seated = "a39_disability_physical" in spec.cues
    top_margin = 0.45 * u
    width = int(
        max(
            8,
            u
            * (
                3.4 * spec.build
                + (1.6 if spec.arm_across else 0)
                + (1.4 if seated else 0)
                + (1.0 if "a59_sports" in spec.cues else 0)
            ),
        )
    )
    total_h = int(top_margin + (6.0 if seated else 7.5) * u) + 2
    cx = width / 2
    if spec.arm_across:
        cx -= spec.arm_across * 0.8 * u
    t = top_margin
    b = spec.build
    skin = spec.skin
    # Every colour below is drawn whatever the outfit, so the draws that follow do not depend
    # on it.
    top_color = {
        "suit": rng.choice(SUIT),
        "hivis": (250, 120, 20) if rng.random() < 0.5 else (220, 240, 40),
        "labcoat": (245, 245, 245),
        "ethnic": rng.choice(ETHNIC),
        "swim": skin,
        "nude": skin,
    }.get(spec.outfit, spec.top)
    bottom_color = {
        "suit": top_color,
        "swim": rng.choice(CLOTH),
        "nude": skin,
        "jersey": (240, 240, 240),
    }.get(spec.outfit, spec.bottom)
    if spec.outfit == "jersey":
        cue_outfit: tuple[str, ...] = ("cue:a59_sports",) if "a59_sports" in spec.cues else ()
    else:
        cue_outfit = OUTFIT_CUE_PARTS.get(spec.outfit, ())
    clothes_parts = TORSO_PARTS + (("skin",) if spec.outfit == "nude" else ()) + cue_outfit
    return Frame(
        size=(width, total_h),
        u=u,
        t=t,
        cx=cx,
        seated=seated,
        head_cy=t + 0.5 * u,
        hw=0.78 * u,
        shoulder_y=t + 1.2 * u,
        hip_y=t + 3.7 * u,
        sw=2.0 * u * b,
        hipw=1.55 * u * b,
        feet_y=total_h - 2,
        top_color=top_color,
        bottom_color=bottom_color,
        cue_outfit=cue_outfit,
        clothes_parts=clothes_parts,
    )


def draw_figure(spec: FigureSpec) -> Layer:
    """A standing (or, with a wheelchair, seated) person; see the module docstring for parts."""
    rng = random.Random(spec.seed)
    f = figure_frame(spec, rng)
    p = Painter(f.size)
    for paint in PAINTERS:  # back to front
        paint(p, spec, f, rng)
    if spec.grayscale:
        alpha = p.image.getchannel("A")
        image = p.image.convert("L").convert("RGBA")
        image.putalpha(alpha)
        p.image = image
    return p.layer()


def paint_back_hair(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Long hair behind the shoulders (front view), covered by the body drawn next."""
    if spec.hair and spec.long_hair and spec.hat is None:
        u, cx = f.u, f.cx
        p.shape(
            "rounded_rectangle",
            (cx - 0.55 * u, f.head_cy - 0.2 * u, cx + 0.55 * u, f.shoulder_y + 1.0 * u),
            spec.hair,
            ("body", "head", "hair"),
            radius=max(1, int(0.3 * u)),
        )


def paint_legs(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    u, cx, hip_y, feet_y = f.u, f.cx, f.hip_y, f.feet_y
    nude = spec.outfit == "nude"
    leg_w = 0.62 * u * spec.build
    legs = []
    if f.seated:
        knee_y = hip_y + 0.35 * u
        for side in (-1, 1):
            x = cx + side * (0.1 * u + leg_w / 2)
            legs.append(
                (
                    (x - leg_w / 2, hip_y - 0.1 * u, x + leg_w / 2, knee_y + 0.2 * u),
                    (x - leg_w / 2, knee_y, x + leg_w / 2, feet_y - 0.25 * u),
                )
            )
    else:
        for side in (-1, 1):
            x = cx + side * (0.08 * u + leg_w / 2)
            legs.append(
                (
                    (x - leg_w / 2, hip_y - 0.2 * u, x + leg_w / 2, hip_y + 1.8 * u),
                    (
                        x - leg_w / 2 + 0.04 * u,
                        hip_y + 1.7 * u,
                        x + leg_w / 2 - 0.04 * u,
                        feet_y - 0.25 * u,
                    ),
                )
            )
    shorts = spec.outfit in ("swim", "jersey") or nude
    for upper, lower in legs:
        p.shape(
            "rectangle",
            upper,
            f.bottom_color,
            ("body", "legs")
            + (("skin",) if nude else ())
            + (f.cue_outfit if spec.outfit in ("swim", "nude") else ()),
        )
        lower_color = spec.skin if shorts else f.bottom_color
        lower_parts = ("body", "legs") + (("skin",) if shorts else ())
        if nude:
            lower_parts += f.cue_outfit
        p.shape("rectangle", lower, lower_color, lower_parts)
        fx = (lower[0] + lower[2]) / 2
        p.shape(
            "ellipse",
            (fx - 0.42 * u, feet_y - 0.35 * u, fx + 0.42 * u, feet_y),
            (35, 30, 30) if not nude else spec.skin,
            ("body", "feet"),
        )


def paint_wheelchair(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Wheels on both sides, and the seat."""
    if not f.seated:
        return
    u, cx, sw, hip_y = f.u, f.cx, f.sw, f.hip_y
    wheel = ("body", "cue:a39_disability_physical")
    r = 1.25 * u
    wy = hip_y + 0.9 * u
    for side in (-1, 1):
        wx = cx + side * (sw / 2 + 0.15 * u)
        p.shape(
            "ellipse",
            (wx - 0.35 * u, wy - r, wx + 0.35 * u, wy + r),
            None,
            (),
            outline=(60, 60, 70),
            width=max(2, int(0.16 * u)),
        )
        p.shape("ellipse", (wx - 0.35 * u, wy - r, wx + 0.35 * u, wy + r), (70, 70, 80), wheel)
        p.shape(
            "ellipse",
            (wx - 0.2 * u, wy - r * 0.8, wx + 0.2 * u, wy + r * 0.8),
            (170, 170, 180),
            wheel,
        )
    p.shape(
        "rectangle",
        (cx - sw / 2, hip_y - 0.15 * u, cx + sw / 2, hip_y + 0.2 * u),
        (90, 90, 100),
        wheel,
    )


def paint_torso(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """The trunk: a dress flares to the knees, a lab coat or robe below the hips."""
    u, cx, sw, hipw, shoulder_y, hip_y = f.u, f.cx, f.sw, f.hipw, f.shoulder_y, f.hip_y
    if spec.outfit == "dress":
        hem = [(cx + hipw * 0.8, hip_y + 1.6 * u), (cx - hipw * 0.8, hip_y + 1.6 * u)]
    elif spec.outfit in ("labcoat", "ethnic"):
        hem = [
            (cx + hipw * 0.75, hip_y + (1.5 if spec.outfit == "labcoat" else 2.6) * u),
            (cx - hipw * 0.75, hip_y + (1.5 if spec.outfit == "labcoat" else 2.6) * u),
        ]
    else:
        hem = [(cx + hipw / 2, hip_y), (cx - hipw / 2, hip_y)]
    shoulders = [(cx - sw / 2, shoulder_y), (cx + sw / 2, shoulder_y)]
    p.shape("polygon", shoulders + hem, f.top_color, f.clothes_parts)


def paint_swim_top(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    if rng.random() < 0.5:
        u, cx, sw, shoulder_y = f.u, f.cx, f.sw, f.shoulder_y
        p.shape(
            "rectangle",
            (cx - sw * 0.32, shoulder_y + 0.7 * u, cx + sw * 0.32, shoulder_y + 1.1 * u),
            f.bottom_color,
            ("body", "torso"),
        )


def paint_suit(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Shirt and tie (front view only)."""
    if spec.view != "front":
        return
    u, cx, shoulder_y = f.u, f.cx, f.shoulder_y
    p.shape(
        "polygon",
        [(cx - 0.3 * u, shoulder_y), (cx + 0.3 * u, shoulder_y), (cx, shoulder_y + 1.2 * u)],
        (245, 245, 245),
        TORSO_PARTS,
    )
    p.shape(
        "polygon",
        [
            (cx - 0.09 * u, shoulder_y + 0.1 * u),
            (cx + 0.09 * u, shoulder_y + 0.1 * u),
            (cx + 0.13 * u, shoulder_y + 1.1 * u),
            (cx, shoulder_y + 1.25 * u),
            (cx - 0.13 * u, shoulder_y + 1.1 * u),
        ],
        rng.choice(((170, 20, 30), (20, 40, 120), (40, 100, 60))),
        TORSO_PARTS,
    )


def paint_hivis(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Reflective stripes."""
    u, cx, sw, shoulder_y = f.u, f.cx, f.sw, f.shoulder_y
    for k in (0.9, 1.7):
        p.shape(
            "rectangle",
            (cx - sw * 0.47, shoulder_y + k * u, cx + sw * 0.47, shoulder_y + (k + 0.22) * u),
            (200, 205, 210),
            f.clothes_parts,
        )


def paint_labcoat(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """The lapel line (front view only)."""
    if spec.view != "front":
        return
    u, cx, shoulder_y = f.u, f.cx, f.shoulder_y
    p.shape(
        "line",
        [
            (cx - 0.3 * u, shoulder_y + 0.1 * u),
            (cx - 0.2 * u, shoulder_y + 1.2 * u),
            (cx + 0.25 * u, shoulder_y + 1.3 * u),
        ],
        (40, 40, 40),
        f.clothes_parts,
        width=max(1, int(0.08 * u)),
    )


def paint_ethnic(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Bold zigzag bands across the robe."""
    u, cx, sw, shoulder_y = f.u, f.cx, f.sw, f.shoulder_y
    for k in range(4):
        y0 = shoulder_y + (0.6 + k * 1.1) * u
        color = ETHNIC[(k + rng.randrange(5)) % len(ETHNIC)]
        pts = []
        n = 8
        for i in range(n + 1):
            x = cx - sw * 0.45 + i * sw * 0.9 / n
            pts.append((x, y0 + (0.25 * u if i % 2 else 0)))
        p.shape("line", pts, color, f.clothes_parts, width=max(2, int(0.16 * u)))


def paint_jersey(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """The shirt number, where the figure is big enough to read it."""
    u = f.u
    if spec.number and u >= 10:
        p.draw.text(
            (f.cx, f.shoulder_y + 1.1 * u),
            spec.number,
            font=font("sans-bold", max(6, int(0.9 * u))),
            anchor="mm",
            fill=(250, 250, 250) if sum(f.top_color) < 450 else (20, 20, 20),
        )


# What each outfit adds on the torso.
OUTFIT_PAINTERS = {
    "swim": paint_swim_top,
    "suit": paint_suit,
    "hivis": paint_hivis,
    "labcoat": paint_labcoat,
    "ethnic": paint_ethnic,
    "jersey": paint_jersey,
}


def paint_outfit(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    paint = OUTFIT_PAINTERS.get(spec.outfit)
    if paint is not None:
        paint(p, spec, f, rng)


def paint_arms(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Both arms (one reaching sideways for an embrace), with tattoo and injury cues."""
    u, cx, sw, shoulder_y, hip_y = f.u, f.cx, f.sw, f.shoulder_y, f.hip_y
    skin = spec.skin
    nude = spec.outfit == "nude"
    swim = spec.outfit == "swim"
    arm_w = max(2, int(0.42 * u * min(spec.build, 1.2)))
    hand_r = 0.22 * u
    for side in (-1, 1):
        sx = cx + side * (sw / 2 - 0.2 * u)
        sy = shoulder_y + 0.15 * u
        if spec.arm_across and side == spec.arm_across:
            hx, hy = cx + side * (sw / 2 + 1.5 * u), shoulder_y + 0.4 * u
        elif f.seated:
            hx, hy = cx + side * (sw / 2 + 0.05 * u), hip_y - 0.1 * u
        else:
            hx, hy = cx + side * (sw / 2 + 0.15 * u), hip_y + 0.3 * u
        ex, ey = (sx + hx) / 2 + side * 0.1 * u, (sy + hy) / 2
        sleeve = f.top_color
        bare = (
            nude or swim or spec.short_sleeves and spec.outfit not in ("suit", "labcoat", "ethnic")
        )
        upper_parts = ("body",) + (("skin",) if nude or swim else ()) + f.cue_outfit
        p.shape(
            "line",
            [(sx, sy), (ex, ey)],
            skin if nude or swim else sleeve,
            upper_parts,
            width=arm_w,
            joint="curve",
        )
        lower_parts = ("body", "skin") if bare else ("body",) + f.cue_outfit
        p.shape(
            "line",
            [(ex, ey), (hx, hy)],
            skin if bare else sleeve,
            lower_parts,
            width=arm_w,
            joint="curve",
        )
        p.shape(
            "ellipse", (hx - hand_r, hy - hand_r, hx + hand_r, hy + hand_r), skin, ("body", "skin")
        )
        if side == 1 and "a11_tattoo" in spec.cues:
            paint_tattoo(p, u, (ex, ey), (hx, hy))
        if side == -1 and "a41_injury" in spec.cues:
            paint_cast(p, u, (sx + side * 0.1 * u, sy), (ex, ey), (hx, hy), arm_w, cx, hip_y)


def paint_tattoo(
    p: Painter, u: float, elbow: tuple[float, float], hand: tuple[float, float]
) -> None:
    """Ink along the bare forearm: a band and a small star."""
    (ex, ey), (hx, hy) = elbow, hand
    tx, ty = (ex + hx) / 2, (ey + hy) / 2
    r = max(2.0, 0.2 * u)
    p.shape("ellipse", (tx - r, ty - r, tx + r, ty + r), (30, 60, 70), ("body", "cue:a11_tattoo"))
    p.shape(
        "line",
        [(ex, ey + 0.1 * u), (hx, hy - 0.1 * u)],
        (25, 50, 90),
        ("body", "cue:a11_tattoo"),
        width=max(1, int(0.12 * u)),
    )


def paint_cast(
    p: Painter,
    u: float,
    shoulder: tuple[float, float],
    elbow: tuple[float, float],
    hand: tuple[float, float],
    arm_w: int,
    cx: float,
    hip_y: float,
) -> None:
    """A white cast on the forearm, its sling across the chest, and a red cross."""
    (ex, ey), (hx, hy) = elbow, hand
    parts = ("body", "cue:a41_injury")
    p.shape(
        "line", [(ex, ey), (hx, hy)], (250, 250, 250), parts, width=arm_w + max(2, int(0.15 * u))
    )
    p.shape(
        "line",
        [shoulder, (cx + 0.5 * u, hip_y - 0.4 * u)],
        (235, 235, 235),
        parts,
        width=max(2, int(0.25 * u)),
    )
    mx, my = (ex + hx) / 2, (ey + hy) / 2
    c = max(2.0, 0.18 * u)
    p.shape("rectangle", (mx - c, my - c / 3, mx + c, my + c / 3), (210, 20, 30), parts)
    p.shape("rectangle", (mx - c / 3, my - c, mx + c / 3, my + c), (210, 20, 30), parts)


def paint_ball(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """A ball beside the hand for the sports cue."""
    if "a59_sports" not in spec.cues:
        return
    u = f.u
    r = 0.7 * u
    bx, by = f.cx + f.sw / 2 + 0.3 * u + r, f.hip_y + 0.3 * u
    parts = ("body", "cue:a59_sports")
    color = (235, 110, 30) if rng.random() < 0.5 else (245, 245, 245)
    p.shape("ellipse", (bx - r, by - r, bx + r, by + r), color, parts)
    seam = max(1, int(0.06 * u))
    p.shape("line", [(bx - r, by), (bx + r, by)], (30, 30, 30), parts, width=seam)
    p.shape("line", [(bx, by - r), (bx, by + r)], (30, 30, 30), parts, width=seam)


def paint_head(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Neck, head and (front view) the face."""
    u, cx = f.u, f.cx
    p.shape(
        "rectangle",
        (cx - 0.18 * u, f.head_cy + 0.3 * u, cx + 0.18 * u, f.shoulder_y + 0.1 * u),
        spec.skin,
        ("body", "skin"),
    )
    if spec.view == "front":
        p.shape("ellipse", f.head_box, spec.skin, ("body", "head", "face", "skin"))
        draw_face(p, spec, f.head_box, rng)
    else:
        p.shape("ellipse", f.head_box, spec.skin, ("body", "head", "skin"))


def paint_hair(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """Hair on top (front view), or covering the head from behind."""
    if not spec.hair or spec.hat is not None:
        return
    u, t, head_box = f.u, f.t, f.head_box
    hair_parts = ("body", "head", "hair")
    if spec.view == "front":
        p.shape(
            "chord",
            (head_box[0] - 0.06 * u, t - 0.1 * u, head_box[2] + 0.06 * u, t + 0.75 * u),
            spec.hair,
            hair_parts,
            start=180,
            end=360,
        )
        return
    p.shape(
        "ellipse",
        (head_box[0] - 0.05 * u, t - 0.08 * u, head_box[2] + 0.05 * u, t + 0.95 * u),
        spec.hair,
        hair_parts,
    )
    if spec.long_hair:
        p.shape(
            "rounded_rectangle",
            (f.cx - 0.5 * u, f.head_cy, f.cx + 0.5 * u, f.shoulder_y + 0.9 * u),
            spec.hair,
            hair_parts,
            radius=max(1, int(0.3 * u)),
        )


def paint_hat(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    if spec.hat is None:
        return
    u, t, cx, head_box = f.u, f.t, f.cx, f.head_box
    hat_parts = ("body", "head")
    p.shape(
        "chord",
        (head_box[0] - 0.04 * u, t - 0.3 * u, head_box[2] + 0.04 * u, t + 0.7 * u),
        spec.hat,
        hat_parts,
        start=180,
        end=360,
    )
    p.shape(
        "rectangle", (cx - 0.62 * u, t + 0.14 * u, cx + 0.62 * u, t + 0.24 * u), spec.hat, hat_parts
    )


def paint_head_wrap(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """The head wrap that goes with ethnic clothing (unless a hat is worn)."""
    if "a18_ethnic_clothing" not in spec.cues or spec.hat is not None:
        return
    u, t, head_box = f.u, f.t, f.head_box
    p.shape(
        "chord",
        (head_box[0] - 0.08 * u, t - 0.35 * u, head_box[2] + 0.08 * u, t + 0.55 * u),
        f.top_color,
        ("body", "head", "cue:a18_ethnic_clothing"),
        start=180,
        end=360,
    )


def paint_garland(p: Painter, spec: FigureSpec, f: Frame, rng: random.Random) -> None:
    """A garland of flowers around the neck (the culture cue; its face paint is in draw_face)."""
    if "a57_culture" not in spec.cues:
        return
    u = f.u
    n = 9
    for i in range(n):
        a = math.pi * (0.1 + 0.8 * i / (n - 1))
        fx = f.cx + math.cos(a) * f.sw * 0.33
        fy = f.shoulder_y + math.sin(a) * 0.7 * u - 0.1 * u
        r = max(1.5, 0.16 * u)
        p.shape(
            "ellipse",
            (fx - r, fy - r, fx + r, fy + r),
            ((240, 60, 120), (250, 200, 30), (250, 120, 20))[i % 3],
            ("body", "cue:a57_culture"),
        )


# The part painters of a drawn figure, back to front; each takes (painter, spec, frame, rng).
PAINTERS = (
    paint_back_hair,
    paint_legs,
    paint_wheelchair,
    paint_torso,
    paint_outfit,
    paint_arms,
    paint_ball,
    paint_head,
    paint_hair,
    paint_hat,
    paint_head_wrap,
    paint_garland,
)


def draw_face(
    p: Painter, spec: FigureSpec, head_box: tuple[float, ...], rng: random.Random
) -> None:
    """The face inside `head_box`: a real, LFW or drawn face, then face paint and sunglasses."""
    if real_content.ACTIVE is not None and head_box[3] - head_box[1] >= 6:
        paste_real_face(p, spec, head_box)
    elif spec.face_source >= 0 and lfw_faces() is not None and head_box[3] - head_box[1] >= 6:
        paste_lfw_face(p, spec, head_box)
    else:
        paint_drawn_face(p, spec, head_box)
    if "a57_culture" in spec.cues:
        paint_face_paint(p, head_box)
    if spec.sunglasses:
        paint_sunglasses(p, head_box)


def paste_lfw_face(p: Painter, spec: FigureSpec, head_box: tuple[float, ...]) -> None:
    x0, y0, x1, y1 = head_box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    face = tinted_face(spec.face_source, (max(2, int(w)), max(2, int(h))), spec.skin)
    p.paste(face, (int(x0), int(y0)), ("body", "head", "face", "skin"))
    eye_y = y0 + 0.42 * h
    eyes = [(cx - 0.2 * w, eye_y), (cx + 0.2 * w, eye_y)]
    r = max(1.0, 0.08 * w)
    for ex, ey in eyes:
        p.part("eyes").ellipse((ex - r, ey - r, ex + r, ey + r), fill=255)


def paste_real_face(p: Painter, spec: FigureSpec, head_box: tuple[float, ...]) -> None:
    x0, y0, x1, y1 = head_box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    size = (max(2, int(w)), max(2, int(h)))
    face = real_content.real_face(spec.seed, size, spec.skin, spec.grayscale)
    p.paste(face, (int(x0), int(y0)), ("body", "head", "face", "skin"))
    eye_y = y0 + 0.42 * h
    r = max(1.0, 0.08 * w)
    for ex in (cx - 0.2 * w, cx + 0.2 * w):
        p.part("eyes").ellipse((ex - r, eye_y - r, ex + r, eye_y + r), fill=255)


def paint_drawn_face(p: Painter, spec: FigureSpec, head_box: tuple[float, ...]) -> None:
    """Eyes with brows, nose and mouth."""
    x0, y0, x1, y1 = head_box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    eye_y = y0 + 0.45 * h
    r = max(1.0, 0.075 * w)
    for ex in (cx - 0.2 * w, cx + 0.2 * w):
        p.shape(
            "ellipse",
            (ex - 1.6 * r, eye_y - r, ex + 1.6 * r, eye_y + r),
            (250, 250, 250),
            ("body", "head", "face", "eyes"),
        )
        p.shape(
            "ellipse",
            (ex - 0.8 * r, eye_y - 0.8 * r, ex + 0.8 * r, eye_y + 0.8 * r),
            spec.eye_color,
            ("body", "head", "face", "eyes"),
        )
        p.shape(
            "line",
            [(ex - 1.6 * r, eye_y - 2.0 * r), (ex + 1.6 * r, eye_y - 2.3 * r)],
            spec.hair or (60, 40, 30),
            ("body", "head", "face"),
            width=max(1, int(0.5 * r)),
        )
    shade = tuple(int(c * 0.75) for c in spec.skin)
    p.shape(
        "line",
        [(cx, eye_y + 0.3 * r), (cx - 0.6 * r, y0 + 0.68 * h), (cx, y0 + 0.7 * h)],
        shade,
        ("body", "head", "face", "skin"),
        width=max(1, int(0.4 * r)),
    )
    p.shape(
        "arc",
        (cx - 0.2 * w, y0 + 0.7 * h, cx + 0.2 * w, y0 + 0.86 * h),
        (150, 50, 50),
        ("body", "head", "face", "skin"),
        start=10,
        end=170,
        width=max(1, int(0.5 * r)),
    )


def paint_face_paint(p: Painter, head_box: tuple[float, ...]) -> None:
    """Red and white stripes on both cheeks (the culture cue)."""
    x0, y0, x1, y1 = head_box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    for side in (-1, 1):
        for k in range(2):
            yy = y0 + (0.6 + 0.1 * k) * h
            p.shape(
                "line",
                [(cx + side * 0.18 * w, yy), (cx + side * 0.36 * w, yy)],
                (230, 230, 240) if k else (220, 40, 40),
                ("body", "head", "face", "cue:a57_culture"),
                width=max(1, int(0.05 * h)),
            )


def paint_sunglasses(p: Painter, head_box: tuple[float, ...]) -> None:
    """Dark lenses over the eyes: they hide the eye colour."""
    x0, y0, x1, y1 = head_box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    gy = y0 + 0.43 * h
    gw, gh = 0.28 * w, 0.16 * h
    for ex in (cx - 0.2 * w, cx + 0.2 * w):
        p.shape(
            "rounded_rectangle",
            (ex - gw / 2, gy - gh / 2, ex + gw / 2, gy + gh / 2),
            (15, 15, 20),
            ("body", "head", "face"),
            radius=max(1, int(gh / 3)),
        )
    p.shape(
        "line",
        [(cx - 0.06 * w, gy), (cx + 0.06 * w, gy)],
        (15, 15, 20),
        ("body", "head", "face"),
        width=max(1, int(0.04 * w)),
    )


@dataclass(frozen=True)
class PhotoFigure:
    layer: Layer
    grayscale: bool
    face_complete: bool
    eyes_visible: bool


def photo_figure(name: str, height: int, rng: random.Random, flip: bool = False) -> PhotoFigure:
    """A person cut out of a packaged photo (upper body), scaled to `height` px, with parts."""
    cut = sources.CUTOUTS[name]
    photo = sources.package_photo(cut.photo)
    draw = ImageDraw.Draw(photo)
    for x0, y0, x1, y1, color in cut.cover:  # paint over real name tags
        draw.rectangle((x0, y0, x1, y1), fill=color)
    mask = sources.cutout_mask(name)
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    w0, h0 = box[2] - box[0], box[3] - box[1]
    scale = height / h0
    size = (max(2, int(w0 * scale)), max(2, int(h0 * scale)))
    rgba = photo.crop(box).convert("RGBA")
    # Colour jitter so the same photo does not always look the same.
    arr = np.asarray(rgba).astype(np.float32)
    gain = np.array([rng.uniform(0.85, 1.15) for _ in range(3)], np.float32)
    arr[..., :3] = np.clip(arr[..., :3] * gain * rng.uniform(0.8, 1.15), 0, 255)
    arr[..., 3] = mask[box[1] : box[3], box[0] : box[2]] * 255
    rgba = Image.fromarray(arr.astype(np.uint8), "RGBA").resize(size, Image.BILINEAR)
    if cut.grayscale:
        alpha = rgba.getchannel("A")
        rgba = rgba.convert("L").convert("RGBA")
        rgba.putalpha(alpha)

    def region(b: tuple[int, int, int, int], ellipse: bool) -> np.ndarray:
        m = Image.new("L", (w0, h0), 0)
        shifted = (b[0] - box[0], b[1] - box[1], b[2] - box[0], b[3] - box[1])
        (ImageDraw.Draw(m).ellipse if ellipse else ImageDraw.Draw(m).rectangle)(shifted, fill=255)
        return np.asarray(m.resize(size, Image.NEAREST)) > 0

    body = np.asarray(rgba.getchannel("A")) >= 128
    face = region(cut.face, True) & body
    head = (region(cut.head, True) | face) & body
    hat = region(cut.hat, False) & body if cut.hat else np.zeros_like(body)
    hair = head & ~face & ~hat
    parts = {
        "body": body,
        "head": head,
        "face": face,
        "hair": hair,
        "skin": face.copy(),
        "torso": body & ~head,
    }
    if cut.eyes_visible:
        parts["eyes"] = face.copy()
    if flip:
        rgba = rgba.transpose(Image.FLIP_LEFT_RIGHT)
        parts = {k: v[:, ::-1].copy() for k, v in parts.items()}
    return PhotoFigure(Layer(rgba, parts), cut.grayscale, cut.face_complete, cut.eyes_visible)


def crowd(width: int, height: int, rng: random.Random, head: float) -> Layer:
    """Rows of small spectators (heads and shoulders, faces too small to count as faces)."""
    p = Painter((width, height))
    rows = max(1, int(height / (head * 2.2)))
    for r in range(rows):
        y = r * head * 2.2 + head * 0.3
        x = rng.uniform(-head, 0)
        while x < width:
            color = rng.choice(CLOTH)
            p.shape(
                "rounded_rectangle",
                (x, y + head * 0.9, x + head * 1.8, y + head * 2.4),
                color,
                ("body",),
                radius=max(1, int(head * 0.3)),
            )
            p.shape(
                "ellipse",
                (x + head * 0.45, y, x + head * 1.35, y + head),
                rng.choice(SKIN_TONES),
                ("body",),
            )
            if rng.random() < 0.8:
                p.shape(
                    "chord",
                    (x + head * 0.4, y - head * 0.1, x + head * 1.4, y + head * 0.6),
                    rng.choice(HAIR_COLORS),
                    ("body",),
                    start=180,
                    end=360,
                )
            x += head * rng.uniform(1.7, 2.3)
    return p.layer()


def hand_holding(width: int, skin: tuple[int, int, int], rng: random.Random) -> Layer:
    """A hand and forearm entering from below (holds a card or phone): skin without a person."""
    u = width / 3.0
    p = Painter((int(width), int(width * 1.3)))
    sleeve = rng.choice(CLOTH)
    p.shape("rectangle", (u * 0.9, u * 1.6, u * 2.1, u * 3.9), sleeve, ("body",))
    p.shape(
        "rounded_rectangle",
        (u * 0.8, u * 0.7, u * 2.2, u * 1.9),
        skin,
        ("body", "skin"),
        radius=int(u * 0.3),
    )
    p.shape(
        "rounded_rectangle",
        (u * 0.35, u * 0.2, u * 0.95, u * 1.3),
        skin,
        ("body", "skin"),
        radius=int(u * 0.2),
    )
    for i in range(4):
        x = u * (0.95 + i * 0.33)
        p.shape(
            "rounded_rectangle",
            (x, u * 0.05, x + u * 0.28, u * 0.9),
            skin,
            ("body", "skin"),
            radius=int(u * 0.12),
        )
    return p.layer()
