"""Build a real-image validation set (`real_set.json` + images, docs/real_validation.md) from
what ships in installed packages, plus your own photos of people (files or folders).

    python -m redactor.training.real_set --out DIR [--people DIR_OR_FILE ...] [--documents 16]
        [--crops-per-photo 4] [--lfw 50]

Groups, subgroups (each entry's `subgroup`) and where each image comes from (its `source`):
- people / photo: scikit-image's astronaut and matplotlib's grace_hopper.jpg (public domain),
  and every --people photo in which the project's face detector finds a face at confidence
  0.7 or more (the others are left out and counted, never guessed).
- people / portrait_crop: up to --crops-per-photo square crops of each of those photos, each
  centred on a face the detector is sure of (>= 0.7) and at least 40 px wide, its side 3.5x
  the face's width (clipped to the photo), at native resolution, downscaled to 512 px at
  most: the framings of profile pictures and selfies. Largest faces first; a crop that shares
  more than a quarter of its area with an earlier crop of the same photo is skipped.
- people / badge_photo: `synth.samples.badge_photo` (Grace Hopper's portrait with a rendered
  name badge, fake name): a photo of a person, with her face and the badge's first and last
  name labelled.
- people / lfw_25px: the odd-indexed face crops of scikit-image's LFW subset (25 px grey,
  enlarged to 100 px: real faces, little detail; the even-indexed ones are kept for training,
  `lfw_split`).
- document / rendered: ID cards, letters and chat screenshots from `synth.samples`, seeds
  0..N-1 (fake personal data).
- document / photographed: the same three kinds with seeds N..2N-1, each page photographed in
  software: slightly perspective-warped on a plain desk colour, lit unevenly, blurred, with
  sensor noise, saved as JPEG (deterministic by seed).
- harmless / package_image: scikit-image's photos of objects, animals, food, textures and
  sky, a logo, a book page and a photo of printed text (nothing personal), matplotlib's
  sample photo.

Labels (`labelled`, judged on every image): a9_face_complete on people (by eye for the two
package portraits and the badge photo, the face detector at 0.7 for --people photos and
crops, the LFW face label) and on ID cards (their photo is a real face: a crop of the
astronaut portrait; letters and chats have none); the personal-text attributes from the
renderer's ground truth (documents and the badge; photos: none, their visible text is not
personal); a0_safe on the harmless group.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PIL import Image, ImageFilter

from redactor.errors import RedactorError, UsageError
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
STRICT_FACE = 0.7  # the face detector's confidence for a --people photo or crop to count
PHOTO_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
# Portrait crops: faces at least this wide (px, native), a square of CROP_FACTOR x the face's
# width, at most CROP_MAX_SIDE px after downscaling, sharing at most CROP_MAX_OVERLAP of its
# area with an earlier crop of the same photo.
CROP_MIN_FACE = 40
CROP_FACTOR = 3.5
CROP_MAX_SIDE = 512
CROP_MAX_OVERLAP = 0.25
CROPS_PER_PHOTO = 4
BADGES = 2  # the badge photo is always the same portrait (only the name changes): few
LFW_SIDE = 100
LFW_VAL = 50
# Desk colours for photographed documents: light wood, dark wood, grey, off-white, green felt.
DESKS = ((184, 148, 108), (112, 82, 58), (140, 142, 145), (214, 210, 200), (70, 98, 80))
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
    from redactor.training.synth.figures import lfw_faces as generator_faces

    faces = generator_faces()  # the same file the synthetic generator reads, as 0..1 floats
    if faces is None:
        raise UsageError("scikit-image's LFW subset is missing: pip install scikit-image")
    return np.clip(faces * 255.0 + 0.5, 0, 255).astype(np.uint8)


def lfw_split() -> tuple[np.ndarray, np.ndarray]:
    """(train_faces, val_faces): the LFW face crops the synthetic generator may use (the
    even-indexed half, `figures.training_lfw_index`) and the rest (50 each, uint8 25 x 25
    grey). Training content uses only the first, the real set only the second."""
    from redactor.training.synth.figures import training_lfw_index

    faces = lfw_faces()
    train = sorted({training_lfw_index(i) for i in range(len(faces))})
    val = [i for i in range(len(faces)) if i not in set(train)]
    return faces[train], faces[val]


def portrait_crops(
    width: int, height: int, faces: list[tuple[tuple[int, int, int, int], float]], limit: int
) -> list[tuple[tuple[int, int, int, int], tuple[int, int, int, int]]]:
    """(crop box, face box) for up to `limit` square crops centred on the confident faces
    (score >= STRICT_FACE, at least CROP_MIN_FACE px wide), largest first, each holding its
    face whole and sharing at most CROP_MAX_OVERLAP of its area with an earlier crop."""
    chosen: list[tuple[tuple[int, int, int, int], tuple[int, int, int, int]]] = []
    candidates = [
        box for box, score in faces if score >= STRICT_FACE and box[2] - box[0] >= CROP_MIN_FACE
    ]
    for box in sorted(candidates, key=lambda b: (-(b[2] - b[0]), b)):
        if len(chosen) >= limit:
            break
        x0, y0, x1, y1 = box
        side = min(round(CROP_FACTOR * (x1 - x0)), width, height)
        if side < max(x1 - x0, y1 - y0):
            continue  # the face would not fit whole
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left = int(min(max(round(cx - side / 2), 0), width - side))
        top = int(min(max(round(cy - side / 2), 0), height - side))
        crop = (left, top, left + side, top + side)
        if not (crop[0] <= x0 and crop[1] <= y0 and x1 <= crop[2] and y1 <= crop[3]):
            continue
        if any(_shared(crop, earlier) > CROP_MAX_OVERLAP * side * side for earlier, _ in chosen):
            continue
        chosen.append((crop, box))
    return chosen


def _shared(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def _perspective(dst: np.ndarray, src: np.ndarray) -> tuple[float, ...]:
    """PIL's PERSPECTIVE coefficients mapping output points `dst` to input points `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist())


def photographed(page: Image.Image, seed: int) -> tuple[Image.Image, int]:
    """`page` as a phone photo of it (deterministic by `seed`): on a plain desk colour, its
    corners moved by up to 4% of its size, lit by a gradient and a soft hot spot with a warm
    or cool cast, blurred, with sensor noise; -> (image, JPEG quality to save it at)."""
    rng = np.random.default_rng(seed)
    page = rgb(page)
    w, h = page.size
    margin = int(0.1 * max(w, h))
    size = (w + 2 * margin, h + 2 * margin)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    placed = corners + margin + rng.uniform(-0.04, 0.04, (4, 2)) * (w, h)
    coefficients = _perspective(placed, corners)
    warped = page.transform(size, Image.PERSPECTIVE, coefficients, Image.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(
        size, Image.PERSPECTIVE, coefficients, Image.BILINEAR
    )
    desk = np.array(DESKS[int(rng.integers(len(DESKS)))], np.float32)
    grain = rng.normal(0, 4, (size[1] // 8 + 1, size[0] // 8 + 1, 1)).repeat(8, 0).repeat(8, 1)
    canvas = np.clip(desk + grain[: size[1], : size[0]], 0, 255).astype(np.uint8)
    photo = Image.fromarray(canvas)
    photo.paste(warped, (0, 0), mask)
    pixels = np.asarray(photo, np.float32)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    xx, yy = xx / size[0] - 0.5, yy / size[1] - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    gradient = 1.0 - rng.uniform(0.15, 0.35) * (0.5 + xx * np.cos(angle) + yy * np.sin(angle))
    hx, hy = rng.uniform(-0.3, 0.3, 2)
    spot = 1.0 + rng.uniform(0.05, 0.15) * np.exp(-((xx - hx) ** 2 + (yy - hy) ** 2) / 0.08)
    cast = np.array([1.0, 0.97, 0.9] if rng.random() < 0.5 else [0.93, 0.97, 1.0], np.float32)
    pixels = pixels * (gradient * spot)[..., None] * cast
    pixels += rng.normal(0, 3.0, pixels.shape).astype(np.float32)
    photo = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))
    photo = photo.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.4))))
    return photo, int(rng.integers(55, 80))


def build(
    out: Path,
    people: list[Path] | tuple[Path, ...] = (),
    documents: int = 16,
    *,
    crops_per_photo: int = CROPS_PER_PHOTO,
    lfw: int = LFW_VAL,
) -> dict[str, Any]:
    """Write the set into `out` (created; must be empty or absent); -> its description, whose
    `skipped` counts the --people photos left out for want of a confident face. On an error
    (a photo that cannot be read) nothing is left in `out`."""
    if not 0 <= lfw <= LFW_VAL:
        raise UsageError(f"--lfw: 0 to {LFW_VAL} (the other half is kept for training)")
    if crops_per_photo < 0 or documents < 0:
        raise UsageError("--crops-per-photo and --documents cannot be negative")
    photos = people_photos(people)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    existed = out.exists()
    try:
        return _fill(out, photos, documents, crops_per_photo, lfw)
    except BaseException:
        # Nothing half-built is left behind (the folder was absent or empty: all of it is ours).
        if existed:
            for child in out.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        else:
            shutil.rmtree(out, ignore_errors=True)
        raise


def _fill(
    out: Path, photos: list[Path], documents: int, crops_per_photo: int, lfw: int
) -> dict[str, Any]:
    from redactor.detectors.faces import FaceDetector
    from redactor.imageio import load
    from redactor.training.synth import samples

    for group in ("people", "document", "harmless"):
        (out / group).mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    names: set[str] = set()

    def add(
        image: Image.Image,
        group: str,
        subgroup: str,
        name: str,
        labels: set[str],
        source: str,
        quality: int | None = None,
    ) -> None:
        stem, suffix = name.rsplit(".", 1)
        n = 1
        while f"{group}/{name}" in names:  # two photos of the same name in different folders
            n += 1
            name = f"{stem}_{n}.{suffix}"
        names.add(f"{group}/{name}")
        options = {"quality": quality} if quality is not None else {}
        rgb(image).save(out / group / name, **options)
        entries.append(
            {
                "image": f"{group}/{name}",
                "group": group,
                "subgroup": subgroup,
                "labels": sorted(labels & set(LABELLED)),
                "source": source,
            }
        )

    detector = FaceDetector(threshold=STRICT_FACE)
    for package, name in PEOPLE_PACKAGE:
        with Image.open(package_file(package, name)) as image:
            pixels = np.asarray(rgb(image))
        _add_photo(pixels, Path(name).stem, f"{package}: {name}", detector, crops_per_photo, add)
    skipped = 0
    for path in photos:
        pixels = load(path).pixels
        source = f"--people {path.parent.name}/{path.name}"
        name = f"{path.parent.name}_{path.stem}"
        if not _add_photo(pixels, name, source, detector, crops_per_photo, add, check=True):
            skipped += 1
    for seed in range(BADGES):
        image, truth = samples.badge_photo(seed=seed)
        add(
            image,
            "people",
            "badge_photo",
            f"badge_photo_{seed:02d}.png",
            _truth_labels(truth),
            f"redactor.training.synth.samples.badge_photo(seed={seed}) (grace_hopper.jpg)",
        )
    _, val_faces = lfw_split()
    for n, crop in enumerate(val_faces[:lfw]):
        big = Image.fromarray(crop).resize((LFW_SIDE, LFW_SIDE), Image.BICUBIC)
        index = 2 * n + 1  # the index in scikit-image's lfw_subset
        add(
            big,
            "people",
            "lfw_25px",
            f"lfw_face_{index:03d}.png",
            {FACE},
            f"skimage: lfw_subset face {index}",
        )

    makers = (samples.id_card, samples.letter, samples.chat)
    for seed in range(documents):
        for make in makers:
            image, truth = make(seed=seed)
            add(
                image,
                "document",
                "rendered",
                f"{make.__name__}_{seed:02d}.png",
                _truth_labels(truth),
                f"redactor.training.synth.samples.{make.__name__}(seed={seed})",
            )
    for seed in range(documents, 2 * documents):
        for k, make in enumerate(makers):
            image, truth = make(seed=seed)
            photo, quality = photographed(image, seed=1000 + 10 * seed + k)
            add(
                photo,
                "document",
                "photographed",
                f"{make.__name__}_{seed:02d}_photographed.jpg",
                _truth_labels(truth),
                f"redactor.training.synth.samples.{make.__name__}(seed={seed}), photographed "
                f"(seed {1000 + 10 * seed + k}, JPEG quality {quality})",
                quality=quality,
            )

    for package, name in HARMLESS_PACKAGE:
        with Image.open(package_file(package, name)) as image:
            add(
                image,
                "harmless",
                "package_image",
                f"{Path(name).stem}.png",
                {"a0_safe"},
                f"{package}: {name}",
            )

    description = {
        "name": out.name,
        "notes": NOTES
        + (
            f" {skipped} --people photo(s) without a confident face were left out."
            if skipped
            else ""
        ),
        "labelled": list(LABELLED),
        "skipped": skipped,
        "images": entries,
    }
    (out / SET_FILE).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return description


def _truth_labels(truth: dict) -> set[str]:
    """The attributes a rendered sample's ground truth holds (text items and regions)."""
    labels = {a for item in truth["items"] for a in item.get("attributes", [])}
    return labels | {a for region in truth.get("regions", []) for a in region["attributes"]}


def people_photos(paths: list[Path] | tuple[Path, ...]) -> list[Path]:
    """The photos named by --people: files as given, folders' photos in sorted order; each
    once. A missing path, a file that is not a photo or a folder without photos is refused."""
    photos: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in PHOTO_EXTS)
            if not found:
                raise UsageError(f"--people: no photos ({', '.join(PHOTO_EXTS)}) in {path}")
            photos += found
        elif path.is_file():
            if path.suffix.lower() not in PHOTO_EXTS:
                raise UsageError(f"--people: {path} is not a photo ({', '.join(PHOTO_EXTS)})")
            photos.append(path)
        else:
            raise UsageError(f"--people: {path} does not exist")
    seen: set[Path] = set()
    unique = []
    for photo in photos:
        if photo.resolve() not in seen:
            seen.add(photo.resolve())
            unique.append(photo)
    return unique


def _add_photo(
    pixels: np.ndarray,
    name: str,
    source: str,
    detector: Any,
    crops: int,
    add: Callable[..., None],
    check: bool = False,
) -> bool:
    """Adds a photo of people and its portrait crops; with `check`, only where the face
    detector is sure of a face (-> whether it was added)."""
    height, width = pixels.shape[:2]
    faces = [(r.box, r.score) for r in detector.detect(pixels) if r.score >= STRICT_FACE]
    if check and not faces:
        return False
    how = " (face detector)" if check else " (face by eye)"
    add(Image.fromarray(pixels), "people", "photo", f"{name}.png", {FACE}, source + how)
    for n, (crop, box) in enumerate(portrait_crops(width, height, faces, crops)):
        image = Image.fromarray(pixels).crop(crop)
        if image.width > CROP_MAX_SIDE:
            image = image.resize((CROP_MAX_SIDE, CROP_MAX_SIDE), Image.LANCZOS)
        add(
            image,
            "people",
            "portrait_crop",
            f"{name}_crop{n}.png",
            {FACE},
            f"{source}: crop {list(crop)} around the face {list(box)} (face detector)",
        )
    return True


def counts(description: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{group: {subgroup: images}} of a set's description."""
    out: dict[str, dict[str, int]] = {}
    for entry in description["images"]:
        group = out.setdefault(entry["group"], {})
        subgroup = entry.get("subgroup") or "-"
        group[subgroup] = group.get(subgroup, 0) + 1
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="new folder for the set")
    parser.add_argument(
        "--people",
        type=Path,
        action="append",
        default=[],
        help="a photo of people, or a folder of them (repeatable: list files to keep the "
        "rest of a folder for training)",
    )
    parser.add_argument(
        "--documents",
        type=int,
        default=16,
        help="documents per kind (ID card, letter, chat), rendered and again photographed",
    )
    parser.add_argument(
        "--crops-per-photo",
        type=int,
        default=CROPS_PER_PHOTO,
        help="portrait crops around the largest confident faces of each photo of people",
    )
    parser.add_argument(
        "--lfw",
        type=int,
        default=LFW_VAL,
        help=f"LFW 25 px faces to include (0 to {LFW_VAL}; the other {LFW_VAL} are for training)",
    )
    args = parser.parse_args(argv)
    try:
        description = build(
            args.out,
            args.people,
            args.documents,
            crops_per_photo=args.crops_per_photo,
            lfw=args.lfw,
        )
    except (RedactorError, FileExistsError) as error:
        parser.error(str(error))
    groups = counts(description)
    print(f"{len(description['images'])} images in {args.out}")
    for group, subgroups in groups.items():
        inner = ", ".join(f"{name} {n}" for name, n in subgroups.items())
        print(f"  {group} {sum(subgroups.values())}: {inner}")
    if description["skipped"]:
        print(f"  {description['skipped']} --people photo(s) without a confident face left out")


if __name__ == "__main__":
    main()
