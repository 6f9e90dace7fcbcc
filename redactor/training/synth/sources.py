"""Real photos that ship inside installed packages, with their licences.

Nothing is downloaded: each photo is read from the package that carries it. A missing package
raises a clear error naming what to install.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from redactor.errors import RedactorError


class SourceMissingError(RedactorError):
    code = "source_missing"


@dataclass(frozen=True)
class PackagePhoto:
    package: str  # importable package that ships the file
    relative: str  # path inside the package folder
    licence: str
    credit: str


PHOTOS: dict[str, PackagePhoto] = {
    "astronaut": PackagePhoto(
        "skimage",
        "data/astronaut.png",
        "public domain",
        "NASA portrait of astronaut Eileen Collins (scikit-image data)",
    ),
    "camera": PackagePhoto(
        "skimage", "data/camera.png", "CC0", "'cameraman' by Lav Varshney (scikit-image data)"
    ),
    "grace_hopper": PackagePhoto(
        "matplotlib",
        "mpl-data/sample_data/grace_hopper.jpg",
        "public domain",
        "U.S. Navy portrait of Grace Hopper (matplotlib sample data)",
    ),
    "coffee": PackagePhoto(
        "skimage", "data/coffee.png", "CC0", "cup of coffee by Rachel Michetti (scikit-image data)"
    ),
    "chelsea": PackagePhoto(
        "skimage",
        "data/chelsea.png",
        "CC0",
        "Chelsea the cat by Stefan van der Walt (scikit-image data)",
    ),
    "rocket": PackagePhoto(
        "skimage",
        "data/rocket.jpg",
        "public domain",
        "SpaceX Falcon 9 launch, Flickr public domain (scikit-image data)",
    ),
    "motorcycle": PackagePhoto(
        "skimage",
        "data/motorcycle_left.png",
        "CC0-like research use",
        "Middlebury stereo 2014 motorcycle (scikit-image data)",
    ),
    "brick": PackagePhoto(
        "skimage", "data/brick.png", "CC0", "brick wall texture (scikit-image data)"
    ),
    "grass": PackagePhoto("skimage", "data/grass.png", "CC0", "grass texture (scikit-image data)"),
    "gravel": PackagePhoto(
        "skimage", "data/gravel.png", "CC0", "gravel texture (scikit-image data)"
    ),
}


PIP_NAMES = {"skimage": "scikit-image"}


def photo_path(name: str) -> Path:
    entry = PHOTOS[name]
    spec = importlib.util.find_spec(entry.package)
    if spec is None or not spec.submodule_search_locations:
        raise SourceMissingError(
            f"the photo '{name}' ships in the Python package '{entry.package}', which is not "
            f"installed: pip install {PIP_NAMES.get(entry.package, entry.package)}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / entry.relative
    if not path.is_file():
        raise SourceMissingError(f"'{path}' is missing from the installed '{entry.package}'")
    return path


@functools.lru_cache(maxsize=None)
def _load(name: str) -> np.ndarray:
    with Image.open(photo_path(name)) as im:
        return np.asarray(im.convert("RGB")).copy()


def package_photo(name: str) -> Image.Image:
    """A fresh RGB copy of a packaged photo."""
    return Image.fromarray(_load(name))


def available(names: list[str] | tuple[str, ...]) -> list[str]:
    """The subset of `names` whose package is installed."""
    out = []
    for name in names:
        try:
            photo_path(name)
        except SourceMissingError:
            continue
        out.append(name)
    return out


# People cut out of the packaged photos. Person masks were made once with MediaPipe's selfie
# segmentation (`python -m redactor.training.synth.sources --cutouts`, needs the `human` extra) and are
# committed as 1-bit PNGs in redactor/training/data/cutouts/; face boxes are CenterFace's (the
# project's face detector) on the original photos. Boxes are x0, y0, x1, y1 in photo pixels.
CUTOUT_DIR = Path(__file__).resolve().parents[1] / "data" / "cutouts"


@dataclass(frozen=True)
class Cutout:
    photo: str
    face: tuple[int, int, int, int]
    head: tuple[int, int, int, int]  # face plus hair/hat: hair = head - face - hat
    hat: tuple[int, int, int, int] | None
    face_complete: bool  # the whole face is visible (cameraman: an eye behind the camera)
    eyes_visible: bool
    grayscale: bool
    cover: tuple[
        tuple[int, int, int, int, tuple[int, int, int]], ...
    ] = ()  # name tags to paint over


CUTOUTS: dict[str, Cutout] = {
    "astronaut": Cutout(
        "astronaut",
        (181, 58, 270, 178),
        (150, 8, 305, 180),
        None,
        True,
        True,
        False,
        ((276, 336, 332, 378, (222, 96, 52)),),
    ),
    "grace_hopper": Cutout(
        "grace_hopper",
        (174, 131, 358, 337),
        (148, 18, 390, 345),
        (170, 18, 375, 180),
        True,
        True,
        False,
        ((74, 478, 172, 522, (16, 22, 40)),),
    ),
    "camera": Cutout("camera", (202, 118, 258, 197), (188, 70, 268, 200), None, False, False, True),
}


def cutout_available(name: str) -> bool:
    return (CUTOUT_DIR / f"{name}.png").is_file()


def cutout_mask(name: str) -> np.ndarray:
    path = CUTOUT_DIR / f"{name}.png"
    if not path.is_file():
        raise SourceMissingError(
            f"{path} missing: run python -m redactor.training.synth.sources --cutouts"
        )
    with Image.open(path) as im:
        return np.asarray(im.convert("L")) > 127


def make_cutouts() -> None:
    """Segments the people in the packaged photos (MediaPipe selfie segmentation)."""
    import mediapipe as mp  # the `human` extra; only needed to remake the committed masks

    CUTOUT_DIR.mkdir(parents=True, exist_ok=True)
    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
        for name, cut in CUTOUTS.items():
            pixels = np.asarray(package_photo(cut.photo))
            mask = seg.process(pixels).segmentation_mask > 0.5
            Image.fromarray(mask).convert("1").save(CUTOUT_DIR / f"{name}.png", optimize=True)


if __name__ == "__main__":
    import sys

    if "--cutouts" in sys.argv:
        make_cutouts()
