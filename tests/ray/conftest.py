"""One local Ray cluster (2 CPUs) for the whole module, and small real images to redact."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageOps

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the `ray` extra is not installed")
    pytest.importorskip("ray.data", reason="the `ray` extra is not installed")
    if not ray.is_initialized():
        ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    yield ray
    ray.shutdown()


def make_photos(folder: Path, *, text: bool) -> Path:
    """The sample photo (EXIF-rotated JPEG), a small WebP of it in a sub-folder, a corrupt JPEG,
    a text file, and with `text` a PNG of part of the sample ID card (a name, a date), else a
    tiny PNG of the photo."""
    (folder / "trip").mkdir(parents=True)
    shutil.copy(SAMPLES / "astronaut.jpg", folder / "astronaut.jpg")
    upright = ImageOps.exif_transpose(Image.open(SAMPLES / "astronaut.jpg")).convert("RGB")
    upright.resize((256, 256)).save(folder / "trip" / "small.webp")
    if not text:
        upright.resize((192, 192)).save(folder / "trip" / "tiny.png")
    else:
        Image.open(SAMPLES / "id_card.png").convert("RGB").crop((0, 0, 700, 420)).save(
            folder / "card.png"
        )
    (folder / "broken.jpg").write_bytes((SAMPLES / "astronaut.jpg").read_bytes()[:3000])
    (folder / "notes.txt").write_text("not an image")
    return folder
