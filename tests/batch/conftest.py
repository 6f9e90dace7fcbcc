"""Fixtures for the batch redactor's tests: real detectors (built once per session), images made
here or taken from the project's samples/."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ASTRONAUT = SAMPLES / "astronaut.jpg"
# The face in the upright astronaut photo (CenterFace's box, image pixels).
ASTRONAUT_FACE = (181, 58, 270, 178)


@pytest.fixture(scope="session")
def face_detector():
    """An independent face detector, separate from any Redactor, to check outputs with."""
    from redactor.detectors.faces import FaceDetector

    return FaceDetector()


@pytest.fixture(scope="session")
def redactor(shared_redactor):
    return shared_redactor


@pytest.fixture(scope="session")
def astronaut_upright() -> np.ndarray:
    """512 x 512 x 3 uint8: the sample photo as a viewer shows it."""
    return np.asarray(ImageOps.exif_transpose(Image.open(ASTRONAUT)).convert("RGB"))


def encode_image(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def overlaps(a, b, least: float = 0.3) -> bool:
    """Intersection over the smaller box's area."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return smaller > 0 and ix * iy / smaller >= least
