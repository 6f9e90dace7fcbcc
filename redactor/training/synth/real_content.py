"""Real photographic content for the generator (`redact synth --real-content`, issue 13).

Off by default, so the default set stays byte-identical. When on:

- every drawn figure's face is a real face cut from a real photo (instead of a drawn or
  25 px LFW face), pasted with a feathered ellipse, random scale of the crop, lighting gain,
  colour cast and a shift of its mean colour toward the figure's skin tone;
- backgrounds are more often crops of real package photos.

Faces come from the packaged portraits (scikit-image's astronaut, matplotlib's Grace Hopper;
boxes in sources.CUTOUTS; `--no-package-faces` leaves them out when a validation set holds them)
and, only when the user gives one, a folder of photos (`--real-photos DIR`) where the project's
face detector finds faces at a strict threshold. A share of the pasted faces is first shrunk to
12-32 px and enlarged again, so blurry, low-detail faces (a thumbnail, a face far away, a small
crop enlarged) are faces too.

`portraits` (`--portraits SHARE`) makes that share of the images close-ups of a real face that
fills 30-80% of the frame, in its own photo's surroundings (a profile picture, a cropped selfie,
a face thumbnail), a quarter of them grey and some at low detail; the training half of
scikit-image's LFW crops (the even-indexed 50; the odd half is the real validation set's) join
the faces for these. The drawn scenes never frame a face that big. Photos are read where they
lie; nothing is copied.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from redactor.errors import UsageError
from redactor.training.synth import sources

STRICT_FACE = 0.7  # detector confidence for a face to enter the bank
MIN_FACE = 20  # px: smaller faces carry too little detail to teach what a face is
LOW_DETAIL = 0.3  # share of pasted faces shrunk to 12-32 px first
PORTRAIT_GREY = 0.25  # share of close-up portraits in grey (old photos, LFW-like thumbnails)
CONTEXT = 3.0  # a portrait's surroundings: this many face widths around the face
PHOTO_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
PACKAGE_FACES = ("astronaut", "grace_hopper")


@dataclass
class FaceBank:
    faces: list[np.ndarray] = field(default_factory=list)  # RGB crops, face box plus margin
    origins: list[str] = field(default_factory=list)
    # For close-up portraits: the face's surroundings and the face box inside them.
    contexts: list[tuple[np.ndarray, tuple[float, float, float, float]]] = field(
        default_factory=list
    )

    def add(self, pixels: np.ndarray, box: tuple[float, ...], origin: str) -> None:
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        if min(w, h) < MIN_FACE:
            return
        # The drawn head ellipse holds forehead to chin: widen the detector's box a little.
        X0, Y0 = int(max(0, x0 - 0.08 * w)), int(max(0, y0 - 0.12 * h))
        X1 = int(min(pixels.shape[1], x1 + 0.08 * w))
        Y1 = int(min(pixels.shape[0], y1 + 0.06 * h))
        self.faces.append(np.ascontiguousarray(pixels[Y0:Y1, X0:X1, :3]))
        self.origins.append(origin)
        self.add_context(pixels, box)

    def add_context(self, pixels: np.ndarray, box: tuple[float, ...]) -> None:
        x0, y0, x1, y1 = box
        cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, CONTEXT * max(x1 - x0, y1 - y0) / 2
        X0, Y0 = int(max(0, cx - half)), int(max(0, cy - half))
        X1, Y1 = int(min(pixels.shape[1], cx + half)), int(min(pixels.shape[0], cy + half))
        crop = np.ascontiguousarray(pixels[Y0:Y1, X0:X1, :3])
        self.contexts.append((crop, (x0 - X0, y0 - Y0, x1 - X0, y1 - Y0)))


def package_bank(portraits: bool = True) -> FaceBank:
    """The packaged portraits' faces, unless `portraits` is false."""
    bank = FaceBank()
    for name in sources.available(PACKAGE_FACES) if portraits else ():
        pixels = np.asarray(sources.package_photo(name))
        bank.add(pixels, sources.CUTOUTS[name].face, f"package:{name}")
    return bank


def folder_bank(folder: Path, bank: FaceBank) -> FaceBank:
    """Adds the faces the face detector is sure of in every photo under `folder`."""
    from redactor.detectors.faces import FaceDetector
    from redactor.imageio import load

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"--real-photos: {folder} is not a folder")
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_EXTS)
    if not paths:
        raise UsageError(f"--real-photos: no photos ({', '.join(PHOTO_EXTS)}) in {folder}")
    detector = FaceDetector(threshold=STRICT_FACE)
    for path in paths:
        pixels = load(path).pixels
        for region in detector.detect(pixels):
            if region.score >= STRICT_FACE:
                bank.add(pixels, region.box, f"folder:{path.name}")
    return bank


@dataclass
class RealContent:
    bank: FaceBank
    photo_backgrounds: float = 0.5  # share of backgrounds that are real photo crops
    portraits: float = 0.0  # share of images that are close-ups of a real face
    lfw: list[tuple[np.ndarray, tuple[float, float, float, float]]] = field(default_factory=list)


ACTIVE: RealContent | None = None


def lfw_training_faces() -> list[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """The training half of scikit-image's LFW crops (real_set.lfw_split) as (RGB grey crop,
    face box): each crop is a face from brows to chin. Empty without scikit-image."""
    from redactor.training.real_set import lfw_split
    from redactor.training.synth.figures import lfw_faces

    if lfw_faces() is None:
        return []
    train, _ = lfw_split()
    return [(np.repeat(grey[..., None], 3, axis=2), (2.0, 0.0, 23.0, 25.0)) for grey in train]


def configure(
    real_photos: Path | None = None,
    backgrounds: float = 0.5,
    package_faces: bool = True,
    portraits: float = 0.0,
) -> RealContent:
    """Turns real content on for this process (and workers forked after it); `backgrounds`:
    the share of backgrounds that are real photo crops; `package_faces`: whether the packaged
    portraits' faces join the bank; `portraits`: the share of close-up portraits."""
    global ACTIVE
    bank = package_bank(package_faces)
    if real_photos is not None:
        folder_bank(real_photos, bank)
    if not bank.faces:
        raise UsageError(
            "--real-content found no real faces: install scikit-image and matplotlib, or give "
            "--real-photos DIR with photos of people"
        )
    ACTIVE = RealContent(bank, backgrounds, portraits, lfw_training_faces() if portraits else [])
    return ACTIVE


def disable() -> None:
    global ACTIVE
    ACTIVE = None


def real_face(
    seed: int, size: tuple[int, int], skin: tuple[int, int, int], grayscale: bool
) -> Image.Image:
    """A real face from the bank at `size` (w, h), RGBA with a feathered elliptical alpha.
    Drawn from its own rng (the figure's seed), so the scene's draws are untouched."""
    assert ACTIVE is not None
    rng = random.Random(seed ^ 0x5EA1FACE)
    crop = ACTIVE.bank.faces[rng.randrange(len(ACTIVE.bank.faces))]
    h0, w0 = crop.shape[:2]
    # Scale jitter: a little more or less of the head inside the ellipse.
    z = rng.uniform(0.9, 1.0)
    cw, ch = int(w0 * z), int(h0 * z)
    x, y = rng.randint(0, w0 - cw), rng.randint(0, h0 - ch)
    face = crop[y : y + ch, x : x + cw].astype(np.float32)
    if rng.random() < 0.5:
        face = face[:, ::-1]
    # Toward the figure's skin tone (its colour labels), then lighting: gain, cast, gamma.
    mean = face.reshape(-1, 3).mean(0)
    face = face + rng.uniform(0.3, 0.6) * (np.array(skin, np.float32) - mean)
    face = face * rng.uniform(0.65, 1.25) * np.array([rng.uniform(0.9, 1.1) for _ in range(3)])
    face = 255.0 * (np.clip(face, 0, 255) / 255.0) ** rng.uniform(0.8, 1.25)
    if grayscale:
        face = np.repeat(face.mean(2, keepdims=True), 3, axis=2)
    image = Image.fromarray(np.clip(face, 0, 255).astype(np.uint8))
    if rng.random() < LOW_DETAIL:
        side = rng.randint(12, 32)
        image = image.resize((side, max(2, round(side * ch / max(1, cw)))), Image.BILINEAR)
    image = image.resize(size, Image.BILINEAR)
    alpha = Image.new("L", size, 0)
    ImageDraw.Draw(alpha).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    feather = max(0.5, 0.04 * min(size))
    alpha = alpha.filter(ImageFilter.GaussianBlur(feather))
    image.putalpha(alpha)
    return image


def portrait(seed: int, size: int):
    """A close-up of a real face in its surroundings, `size` px square, as a SceneResult:
    a complete face (the face box must be in view), age, and in colour race and skin colour
    (the generator's grammar for a visible face)."""
    from redactor.attributes import VISPR_IDS
    from redactor.training.synth.scene import SceneResult

    assert ACTIVE is not None
    rng = random.Random(seed ^ 0xC105E)
    lfw = bool(ACTIVE.lfw) and rng.random() < 0.3
    pool = ACTIVE.lfw if lfw else ACTIVE.bank.contexts
    crop, (fx0, fy0, fx1, fy1) = pool[rng.randrange(len(pool))]
    grey = lfw or rng.random() < PORTRAIT_GREY
    # Face width 30-80% of the frame (an LFW thumbnail 50-84%: it is only a face); the whole
    # face box stays in view.
    share = rng.uniform(0.5, 0.84) if lfw else rng.uniform(0.3, 0.8)
    scale = share * size / max(1.0, fx1 - fx0, fy1 - fy0)
    fw, fh = (fx1 - fx0) * scale, (fy1 - fy0) * scale
    left = rng.uniform(0, size - fw)
    top = rng.uniform(0, max(0.0, size - fh))
    ox, oy = left - fx0 * scale, top - fy0 * scale  # where the crop's corner lands
    h0, w0 = crop.shape[:2]
    image = Image.fromarray(crop)
    if rng.random() < 0.5:  # mirror, keeping the face box where the mirrored face is
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
        fx0, fx1 = w0 - fx1, w0 - fx0
        ox = left - fx0 * scale
    # Surroundings beyond the crop: the crop itself, enlarged to cover the frame and blurred.
    cover = image.resize((size, size), Image.BILINEAR).filter(ImageFilter.GaussianBlur(size / 24))
    placed = image.resize((max(1, round(w0 * scale)), max(1, round(h0 * scale))), Image.BICUBIC)
    cover.paste(placed, (round(ox), round(oy)))
    pixels = np.asarray(cover, np.float32)
    pixels = pixels * rng.uniform(0.7, 1.2) * np.array([rng.uniform(0.9, 1.1) for _ in range(3)])
    if grey:
        pixels = np.repeat(pixels.mean(2, keepdims=True), 3, axis=2)
    result = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rng.random() < LOW_DETAIL:
        side = rng.randint(16, 48)
        result = result.resize((side, side), Image.BILINEAR).resize((size, size), Image.BILINEAR)
    face = Image.new("L", (size, size), 0)
    ImageDraw.Draw(face).ellipse((left, top, left + fw, top + fh), fill=255)
    face_mask = np.asarray(face) > 0
    head = Image.new("L", (size, size), 0)
    ImageDraw.Draw(head).ellipse(
        (left - 0.15 * fw, top - 0.3 * fh, left + 1.15 * fw, top + 1.05 * fh), fill=255
    )
    head_mask = np.asarray(head) > 0
    masks = {"a9_face_complete": face_mask, "a1_age_approx": head_mask}
    if not grey:
        masks.update({"a16_race": head_mask, "a17_color": face_mask})
    labels = [a for a in VISPR_IDS if a in masks]
    return SceneResult(result, labels, masks, labels)
