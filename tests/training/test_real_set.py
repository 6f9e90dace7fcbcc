"""The real-image validation set builder (redactor/training/real_set.py): what ships in packages gives a
valid set in the three groups, labelled as documented, that `evaluate --real` reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from redactor.training.real_eval import read_real_set
from redactor.training.real_set import FACE, build

pytest.importorskip("skimage.data")
pytest.importorskip("matplotlib")


def test_package_images_make_a_valid_labelled_set(tmp_path: Path) -> None:
    out = tmp_path / "real_val"
    build(out, documents=1)
    data = read_real_set(out)  # every file exists, every label is judged on every image
    by_group: dict[str, list[dict]] = {}
    for entry in data["images"]:
        by_group.setdefault(entry["group"], []).append(entry)
    assert len(by_group["people"]) == 102  # 2 package portraits + 100 LFW faces
    assert len(by_group["document"]) == 3 and len(by_group["harmless"]) == 22
    assert all(FACE in e["labels"] for e in by_group["people"])
    assert all(e["labels"] == ["a0_safe"] for e in by_group["harmless"])
    documents = {Path(e["image"]).stem: set(e["labels"]) for e in by_group["document"]}
    assert FACE in documents["id_card_00"] and FACE not in documents["letter_00"]
    assert {"a19_name_full", "a90_email", "a49_phone"} <= documents["letter_00"]
    assert all(e["source"] for e in data["images"]) and "LFW" in data["notes"]
    with pytest.raises(FileExistsError):
        build(out, documents=1)  # never writes into a folder that holds something
