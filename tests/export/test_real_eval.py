"""`redact evaluate --real`: real-image figures for any model file, and `--record` writing them
where the gate reads them (issue 13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from redactor.cli import app
from redactor.errors import UnvalidatedModelError, UsageError
from redactor.imageio import load
from redactor.pipeline import RedactOptions, Redactor
from redactor.runtime import open_model, preprocess
from tests.export.tiny_model import SAMPLES
from redactor.training.metrics import roc_auc
from redactor.training.real_eval import SET_FILE, evaluate_real, read_real_set

skimage_data = pytest.importorskip("skimage.data")
PACKAGE = Path(skimage_data.__file__).parent
runner = CliRunner()


@pytest.fixture()
def real_set(tmp_path: Path) -> Path:
    """Real photos and rendered documents that ship with the project or scikit-image."""
    folder = tmp_path / "real"
    entries = []
    for group, sources, labels in (
        ("people", [SAMPLES / "astronaut.jpg", SAMPLES / "badge_photo.jpg"], ["a9_face_complete"]),
        ("document", [SAMPLES / "letter.jpg", SAMPLES / "chat.png"], ["a19_name_full"]),
        ("harmless", [PACKAGE / "coffee.png", PACKAGE / "chelsea.png", PACKAGE / "rocket.jpg"], []),
    ):
        (folder / group).mkdir(parents=True)
        for source in sources:
            shutil.copy(source, folder / group / source.name)
            entries.append({"image": f"{group}/{source.name}", "group": group, "labels": labels})
    description = {
        "name": "mini",
        "labelled": ["a9_face_complete", "a19_name_full", "a13_full_nudity"],
        "images": entries,
    }
    (folder / SET_FILE).write_text(json.dumps(description))
    return folder


def test_figures_match_the_models_own_outputs(tiny_onnx: Path, real_set: Path) -> None:
    result = evaluate_real(tiny_onnx, real_set)
    assert result["images"] == 7 and result["groups"] == {"people": 2, "document": 2, "harmless": 3}
    runtime = open_model(tiny_onnx)
    entries = read_real_set(real_set)["images"]
    out = runtime(preprocess([load(real_set / e["image"]).pixels for e in entries], runtime.meta))
    column = runtime.meta.attribute_ids.index("a19_name_full")
    truth = np.array([e["group"] == "document" for e in entries])
    expected = roc_auc(out["attributes"][:, column], truth)
    assert result["attributes"]["per_attribute"]["a19_name_full"]["auc"] == pytest.approx(
        expected, abs=1e-6
    )
    private = np.array([e["group"] != "harmless" for e in entries])
    assert result["privacy_score_auc"] == pytest.approx(roc_auc(out["score"], private), abs=1e-6)
    faces = result["face_on_documents"]
    assert faces["documents"] == 2 and 0.0 <= faces["documents_with_face"] <= 1.0
    # No image shows nudity: one class only, so no AUC and no validity for it.
    nudity = result["attributes"]["per_attribute"]["a13_full_nudity"]
    assert nudity["auc"] is None and nudity["positives"] == 0


def test_bad_set_descriptions_are_refused(real_set: Path) -> None:
    description = json.loads((real_set / SET_FILE).read_text())
    description["images"][0]["labels"] = ["a30_credit_card"]  # not judged on every image
    description["images"][1]["group"] = "selfie"
    (real_set / SET_FILE).write_text(json.dumps(description))
    with pytest.raises(UsageError, match="not in 'labelled'.*group 'selfie'"):
        read_real_set(real_set)
    with pytest.raises(UsageError, match="has no real_set.json"):
        read_real_set(real_set / "people")


def test_cli_real_record_writes_into_the_onnx_file(
    unmeasured_onnx: Path, real_set: Path, tmp_path: Path
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(unmeasured_onnx.read_bytes())
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--checkpoint",
            str(model),
            "--real",
            str(real_set),
            "--record",
            "--json",
            str(tmp_path / "real.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "privacy score AUC" in result.output and "recorded" in result.output
    meta = open_model(model).meta
    assert set(meta.validity) == {"a9_face_complete", "a19_name_full"}
    assert meta.validity["a9_face_complete"]["dataset"] == "real"
    # Nudity was not measured (no positives): still refused for the model alone.
    with pytest.raises(UnvalidatedModelError, match="a13_full_nudity .*never measured"):
        Redactor(model=model).check(RedactOptions(hide=("nudity",)))
    both = runner.invoke(app, ["evaluate", "--checkpoint", str(model)])
    assert both.exit_code == 2 and "--real" in both.output


def test_fused_figures_beside_the_model_alone(real_set: Path, tmp_path: Path) -> None:
    """A model blind to faces: alone its face attribute separates nothing; fused with the face
    detector, people are told from the rest (issue 13, point 4)."""
    from tests.export.tiny_model import PRESENT, make_checkpoint

    blind = make_checkpoint(tmp_path / "blind.pt", present=PRESENT - {"a9_face_complete"})
    result = evaluate_real(blind, real_set, fused=True)
    alone = result["attributes"]["per_attribute"]["a9_face_complete"]
    fused = result["fused"]["attributes"]["per_attribute"]["a9_face_complete"]
    assert fused["positives"] == alone["positives"] == 2
    assert fused["auc"] == 1.0 and alone["auc"] < 0.9
    assert result["fused"]["face_on_documents"]["documents_with_face"] == 0.0
    assert result["fused"]["privacy_score_auc"] is not None
    json.dumps(result)  # JSON-ready: what --json writes
