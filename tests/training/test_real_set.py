"""The real-image validation set builder (redactor/training/real_set.py): what ships in packages
gives a valid set in the three groups and their subgroups, labelled as documented, that
`evaluate --real` reads; photos of people given as files or folders; portrait crops; the LFW
split; photographed documents that still show their labelled text."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from redactor.errors import ImageError, UsageError
from redactor.training.real_eval import read_real_set
from redactor.training.real_set import (
    CROP_MAX_SIDE,
    FACE,
    STRICT_FACE,
    build,
    counts,
    lfw_split,
    main,
    package_file,
    photographed,
    portrait_crops,
)

pytest.importorskip("skimage.data")
pytest.importorskip("matplotlib")


def by_name(data: dict) -> dict[str, dict]:
    return {Path(e["image"]).stem: e for e in data["images"]}


def test_package_images_make_a_valid_labelled_set(tmp_path: Path) -> None:
    out = tmp_path / "real_val"
    build(out, documents=1)
    data = read_real_set(out)  # every file exists, every label is judged on every image
    assert counts(data) == {
        "people": {"photo": 2, "portrait_crop": 2, "badge_photo": 2, "lfw_25px": 50},
        "document": {"rendered": 3, "photographed": 3},
        "harmless": {"package_image": 22},
    }
    people = [e for e in data["images"] if e["group"] == "people"]
    assert all(FACE in e["labels"] for e in people)
    assert all(e["labels"] == ["a0_safe"] for e in data["images"] if e["group"] == "harmless")
    images = by_name(data)
    # The ID card's photo is a real face (the astronaut); a letter or a chat has none.
    for stem in ("id_card_00", "id_card_01_photographed"):
        assert FACE in images[stem]["labels"]
    for stem in ("letter_00", "chat_00", "letter_01_photographed", "chat_01_photographed"):
        assert FACE not in images[stem]["labels"]
    assert {"a19_name_full", "a90_email", "a49_phone"} <= set(images["letter_00"]["labels"])
    assert {"a19_name_full", "a90_email"} <= set(images["letter_01_photographed"]["labels"])
    # The badge photo: a person (face) with a name on her badge, among the people.
    assert set(images["badge_photo_00"]["labels"]) == {FACE, "a20_name_first", "a21_name_last"}
    assert all(e["source"] and e["subgroup"] for e in data["images"]) and "LFW" in data["notes"]
    with pytest.raises(FileExistsError):
        build(out, documents=1)  # never writes into a folder that holds something


def test_lfw_halves_are_disjoint_and_only_the_odd_half_is_in_the_set(tmp_path: Path) -> None:
    train, val = lfw_split()
    assert train.shape == val.shape == (50, 25, 25) and train.dtype == val.dtype == np.uint8
    assert not {t.tobytes() for t in train} & {v.tobytes() for v in val}
    data = build(tmp_path / "five", documents=0, crops_per_photo=0, lfw=5)
    lfw = [e for e in data["images"] if e["subgroup"] == "lfw_25px"]
    assert [Path(e["image"]).stem for e in lfw] == [f"lfw_face_{i:03d}" for i in (1, 3, 5, 7, 9)]
    for entry, face in zip(lfw, val):
        with Image.open(tmp_path / "five" / entry["image"]) as image:
            small = np.asarray(image.convert("L").resize((25, 25), Image.BICUBIC), np.float32)
        # Each image is its validation face enlarged, never a training face.
        assert np.abs(small - face).mean() < np.abs(small - train).mean(axis=(1, 2)).min()
    none = build(tmp_path / "none", documents=0, crops_per_photo=0, lfw=0)
    assert "lfw_25px" not in counts(none)["people"]
    with pytest.raises(UsageError, match="--lfw"):
        build(tmp_path / "many", lfw=51)


def test_people_from_files_and_folders(tmp_path: Path) -> None:
    """A folder and single files mix; a photo without a confident face is counted and left
    out; a photo listed twice enters once; the user's photos are left as they were."""
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(package_file("skimage", "astronaut.png"), folder / "me.png")
    shutil.copy(package_file("skimage", "chelsea.png"), folder / "cat.png")  # no face
    (folder / "notes.txt").write_text("not a photo")
    single = tmp_path / "other" / "hopper.jpg"
    single.parent.mkdir()
    shutil.copy(package_file("matplotlib", "grace_hopper.jpg"), single)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.rglob("*.*")}
    data = build(
        tmp_path / "set", [folder, single, folder / "me.png"], documents=0, crops_per_photo=1, lfw=0
    )
    assert data["skipped"] == 1 and "1 --people photo(s)" in data["notes"]
    images = by_name(data)
    assert images["mine_me"]["subgroup"] == "photo" and "mine/me.png" in images["mine_me"]["source"]
    assert images["other_hopper"]["labels"] == [FACE]
    assert "mine_cat" not in images and "mine_me_2" not in images  # no face; listed twice
    assert {"mine_me_crop0", "other_hopper_crop0"} <= set(images)
    assert counts(data)["people"]["photo"] == 4  # two package portraits and two of mine
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before}
    with pytest.raises(UsageError, match="does not exist"):
        build(tmp_path / "x", [tmp_path / "missing.jpg"])
    with pytest.raises(UsageError, match="not a photo"):
        build(tmp_path / "x", [folder / "notes.txt"])
    assert not (tmp_path / "x").exists()  # refused before anything was written
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "y").mkdir()
    with pytest.raises(ImageError):
        build(tmp_path / "y", [single, broken], documents=0, lfw=0)
    assert not any((tmp_path / "y").iterdir())  # nothing half-built is left
    assert (broken / "a.jpg").read_bytes() == b"not a jpeg"


def test_portrait_crops_hold_a_face_the_detector_is_sure_of(tmp_path: Path) -> None:
    from redactor.detectors.faces import FaceDetector

    data = build(tmp_path / "set", documents=0, lfw=0)
    crops = [e for e in data["images"] if e["subgroup"] == "portrait_crop"]
    assert len(crops) == 2  # one face in each package portrait
    detector = FaceDetector(threshold=STRICT_FACE)
    for entry in crops:
        with Image.open(tmp_path / "set" / entry["image"]) as image:
            pixels = np.asarray(image.convert("RGB"))
        assert pixels.shape[0] == pixels.shape[1] <= CROP_MAX_SIDE
        faces = detector.detect(pixels)
        assert faces and max(r.score for r in faces) >= STRICT_FACE
        # The face fills about 1/3.5 of the crop's width (less where the photo is too small).
        widest = max(r.box[2] - r.box[0] for r in faces) / pixels.shape[1]
        assert 0.2 < widest < 0.45, entry["source"]


def test_portrait_crop_choice() -> None:
    faces = [
        ((100, 100, 140, 150), 0.9),  # 40 px wide
        ((500, 100, 600, 230), 0.95),  # the largest: first
        ((150, 110, 189, 160), 0.99),  # 39 px: too small
        ((900, 900, 980, 1000), 0.6),  # not confident enough
        ((560, 160, 620, 240), 0.9),  # its crop would share most of the largest one's
        ((1300, 100, 1350, 170), 0.8),
    ]
    chosen = portrait_crops(1400, 1000, faces, limit=4)
    assert [face for _, face in chosen] == [
        (500, 100, 600, 230),
        (1300, 100, 1350, 170),
        (100, 100, 140, 150),
    ]
    first, _ = chosen[0]
    assert first == (375, 0, 725, 350)  # 3.5 x 100 px, centred, moved inside the photo
    right, _ = chosen[1]
    assert right[2] == 1400 and right[2] - right[0] == 175  # moved inside the photo at its edge
    assert len(portrait_crops(1400, 1000, faces, limit=1)) == 1
    assert portrait_crops(1400, 1000, faces, limit=0) == []


def test_photographed_documents_still_show_their_text(tmp_path: Path) -> None:
    """The photographed variant keeps its labels honest: an independent OCR pass still reads
    every name the renderer put on the letter. Deterministic by seed."""
    from redactor.detectors.ocr import OcrEngine
    from redactor.training.synth import samples

    page, truth = samples.letter(seed=3)
    photo, quality = photographed(page, seed=5)
    again, quality_again = photographed(page, seed=5)
    assert quality == quality_again and 55 <= quality < 80
    assert np.array_equal(np.asarray(photo), np.asarray(again))
    assert not np.array_equal(np.asarray(photographed(page, seed=6)[0]), np.asarray(photo))
    assert photo.width > page.width and photo.height > page.height  # the desk shows around it
    path = tmp_path / "letter.jpg"
    photo.save(path, quality=quality)
    from redactor.imageio import load

    read = " ".join(line.text for line in OcrEngine().read(load(path).pixels))
    names = {item["text"] for item in truth["items"] if item["kind"] == "name"}
    assert names and all(name in read for name in names), (names, read)
    json.dumps(truth)  # the labels come from this ground truth


def test_command_prints_the_counts_and_refuses_bad_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "set"
    main(["--out", str(out), "--documents", "0", "--crops-per-photo", "1", "--lfw", "2"])
    printed = capsys.readouterr().out
    assert "30 images in" in printed and "people 8: photo 2, portrait_crop 2" in printed
    assert "lfw_25px 2" in printed and "harmless 22: package_image 22" in printed
    assert len(read_real_set(out)["images"]) == 30
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path / "other"), "--people", str(tmp_path / "missing")])
    assert exit_info.value.code == 2 and "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()
