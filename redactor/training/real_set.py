"""Build a real-image validation set (`real_set.json` + images, docs/real_validation.md) from
what ships in installed packages, plus optional folders of your own photos of people.

    python -m redactor.training.real_set --out data/real_val [--people DIR ...] [--documents 16]

Groups and where each image comes from (every image's `source` says it in the JSON):
- people: scikit-image's astronaut, matplotlib's grace_hopper.jpg (public domain);
  the 100 face crops of scikit-image's LFW subset (25 px, enlarged to 100 px: real faces, low
  detail); photos from `--people` folders in which the project's face detector finds a face at
  a strict threshold (the others are left out and counted, never guessed).
- document: identity cards, letters and chat screenshots rendered by `redactor.training.synth.samples`
  with seeds 0..N-1 (fake personal data): rendered, not scanned paper.
- harmless: scikit-image's photos of objects, animals, food, textures and sky, a logo, a
  book page and a photo of printed text (nothing personal), matplotlib's sample photo. Few
  (22): a folder of your own harmless photos is the next addition.

Labels (`labelled`, judged on every image): a9_face_complete (people: the LFW label, the face
detector for --people photos, by eye for the two package portraits; documents: the ID card's
photo; harmless: none), the personal-text attributes from the renderer's ground truth (photos:
none; their visible text is not personal), and a0_safe for the harmless group.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from redactor.training.real_eval import SET_FILE

LABELLED = (
    "a0_safe",
    "a9_face_complete",
    "a19_name_full",
    "a20_name_first",
    "a21_name_last",
    "a24_birth_date",
    "a49_phone",
    "a78_address_home_complete",
    "a90_email",
)
FACE = "a9_face_complete"
STRICT_FACE = 0.7  # the face detector's confidence for a --people photo to count as a face
# scikit-image's cameraman is left out: his face is half hidden by the camera (partial, not
# complete), and one image cannot measure the partial-face attribute.
PEOPLE_PACKAGE = (("skimage", "astronaut.png"), ("matplotlib", "grace_hopper.jpg"))
HARMLESS_PACKAGE = (
    ("skimage", "coffee.png"),
    ("skimage", "chelsea.png"),
    ("skimage", "rocket.jpg"),
    ("skimage", "horse.png"),
    ("skimage", "coins.png"),
    ("skimage", "moon.png"),
    ("skimage", "brick.png"),
    ("skimage", "grass.png"),
    ("skimage", "gravel.png"),
    ("skimage", "hubble_deep_field.jpg"),
    ("skimage", "motorcycle_left.png"),
    ("skimage", "motorcycle_right.png"),
    ("skimage", "clock_motion.png"),
    ("skimage", "cell.png"),
    ("skimage", "ihc.png"),
    ("skimage", "retina.jpg"),
    ("skimage", "color.png"),
    ("skimage", "logo.png"),
    ("skimage", "chessboard_RGB.png"),
    ("skimage", "page.png"),
    ("skimage", "text.png"),  # printed text, nothing personal
    ("matplotlib", "Minduka_Present_Blue_Pack.png"),
)
LFW_SIDE = 100
NOTES = __doc__.split("\n\n", 2)[2].strip()


def package_file(package: str, name: str) -> Path:
    if package == "skimage":
        import skimage.data

        return Path(skimage.data.__file__).parent / name
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / name


def rgb(image: Image.Image) -> Image.Image:
    return image.convert("RGB")


def lfw_faces() -> np.ndarray:
    """The 100 face crops of scikit-image's LFW subset, uint8 25 x 25 grey. Its 100 "non-face"
    crops are left out: cut from the same portraits, some show a chin or a mouth (checked by
    eye), so they are not honestly harmless."""
    import skimage.data

    images = np.asarray(skimage.data.lfw_subset())
    if images.dtype != np.uint8:
        images = np.clip(images * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return images[:100]


def build(out: Path, people: list[Path] = (), documents: int = 16) -> dict[str, Any]:
    """Write the set into `out` (created; must be empty or absent); -> its description."""
    from redactor.training.synth import samples

    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    for group in ("people", "document", "harmless"):
        (out / group).mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []

    def add(image: Image.Image, group: str, name: str, labels: set[str], source: str) -> None:
        path = out / group / name
        rgb(image).save(path)
        entries.append(
            {
                "image": f"{group}/{name}",
                "group": group,
                "labels": sorted(labels & set(LABELLED)),
                "source": source,
            }
        )

    for package, name in PEOPLE_PACKAGE:
        with Image.open(package_file(package, name)) as image:
            add(image, "people", f"{Path(name).stem}.png", {FACE}, f"{package}: {name}")
    for n, crop in enumerate(lfw_faces()):
        big = Image.fromarray(crop).resize((LFW_SIDE, LFW_SIDE), Image.BICUBIC)
        add(big, "people", f"lfw_face_{n:03d}.png", {FACE}, "skimage: lfw_subset face")
    skipped = _add_people_folders(people, add)

    for seed in range(documents):
        for make in (samples.id_card, samples.letter, samples.chat):
            image, truth = make(seed=seed)
            labels = {a for item in truth["items"] for a in item.get("attributes", [])}
            labels |= {a for region in truth.get("regions", []) for a in region["attributes"]}
            add(
                image,
                "document",
                f"{make.__name__}_{seed:02d}.png",
                labels,
                f"redactor.training.synth.samples.{make.__name__}(seed={seed})",
            )

    for package, name in HARMLESS_PACKAGE:
        with Image.open(package_file(package, name)) as image:
            add(image, "harmless", f"{Path(name).stem}.png", {"a0_safe"}, f"{package}: {name}")

    description = {
        "name": out.name,
        "notes": NOTES
        + (
            f" {skipped} --people photo(s) without a confident face were left " "out."
            if skipped
            else ""
        ),
        "labelled": list(LABELLED),
        "images": entries,
    }
    (out / SET_FILE).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return description


def _add_people_folders(folders: list[Path], add: Any) -> int:
    """Photos in `folders` with a face the face detector is sure of; -> how many were not."""
    if not folders:
        return 0
    from redactor.detectors.faces import FaceDetector
    from redactor.imageio import load

    detector = FaceDetector(threshold=STRICT_FACE)
    skipped = 0
    for folder in folders:
        for path in sorted(Path(folder).iterdir()):
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
                continue
            image = load(path)
            if not detector.detect(image.pixels):
                skipped += 1
                continue
            add(
                Image.fromarray(image.pixels),
                "people",
                f"{Path(folder).name}_{path.stem}.png",
                {FACE},
                f"--people folder {Path(folder).name}: {path.name} (face detector)",
            )
    return skipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="new folder for the set")
    parser.add_argument(
        "--people",
        type=Path,
        action="append",
        default=[],
        help="a folder of photos of people (repeatable)",
    )
    parser.add_argument(
        "--documents",
        type=int,
        default=16,
        help="rendered documents per kind (ID card, letter, chat)",
    )
    args = parser.parse_args(argv)
    description = build(args.out, args.people, args.documents)
    groups: dict[str, int] = {}
    for entry in description["images"]:
        groups[entry["group"]] = groups.get(entry["group"], 0) + 1
    print(f"{len(description['images'])} images in {args.out}: {groups}")


if __name__ == "__main__":
    main()
