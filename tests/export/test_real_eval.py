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
from redactor.training import real_eval
from redactor.training.real_eval import (
    FACE_BAR,
    FUSED_SCORE_BAR,
    NAME_BAR,
    SCORE_BAR,
    SET_FILE,
    evaluate_real,
    read_real_set,
)

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
    # The goals, against the bars, from the same outputs (a9 the only face column, a19 the
    # only name column of the tiny model).
    face = out["attributes"][:, runtime.meta.attribute_ids.index("a9_face_complete")]
    groups = np.array([e["group"] for e in entries])
    goals = {g["goal"]: g for g in result["goals"]}
    assert len(goals) == 4
    vs_harmless = goals["face AUC, people vs harmless"]
    chosen = groups != "document"
    assert vs_harmless["figure"] == pytest.approx(
        roc_auc(face[chosen], groups[chosen] == "people"), abs=1e-6
    )
    names = goals["name AUC, documents with a name vs photos"]
    assert names["figure"] == pytest.approx(expected, abs=1e-6)  # documents vs every photo
    score_goal = goals["privacy score AUC, private vs harmless"]
    assert score_goal["figure"] == result["privacy_score_auc"] and score_goal["bar"] == SCORE_BAR
    for goal in goals.values():
        assert goal["met"] == (goal["figure"] is not None and goal["figure"] >= goal["bar"])
    assert vs_harmless["bar"] == names["bar"] == FACE_BAR == NAME_BAR == 0.95


def test_bad_set_descriptions_are_refused(real_set: Path) -> None:
    description = json.loads((real_set / SET_FILE).read_text())
    description["images"][0]["labels"] = ["a30_credit_card"]  # not judged on every image
    description["images"][1]["group"] = "selfie"
    (real_set / SET_FILE).write_text(json.dumps(description))
    with pytest.raises(UsageError, match="not in 'labelled'.*group 'selfie'"):
        read_real_set(real_set)
    description["images"][0]["labels"] = []
    description["images"][1]["group"] = "people"
    description["images"][2]["subgroup"] = ["photo"]
    (real_set / SET_FILE).write_text(json.dumps(description))
    with pytest.raises(UsageError, match=r"image 2: subgroup \['photo'\] is not a name"):
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
    goals = json.loads((tmp_path / "real.json").read_text())["goals"]
    assert "goals on real images" in result.output and "face: people vs harmless" in result.output
    assert result.output.count("NOT MET") == sum(not g["met"] for g in goals) + sum(
        not g["met"] for g in json.loads((tmp_path / "real.json").read_text())["fused"]["goals"]
    )
    meta = open_model(model).meta
    assert set(meta.validity) == {"a9_face_complete", "a19_name_full"}
    assert meta.validity["a9_face_complete"]["dataset"] == "real"
    # Nudity was not measured (no positives): still refused for the model alone.
    with pytest.raises(UnvalidatedModelError, match="a13_full_nudity .*never measured"):
        Redactor(model=model).check(RedactOptions(hide=("nudity",)))
    both = runner.invoke(app, ["evaluate", "--checkpoint", str(model)])
    assert both.exit_code == 2 and "--real" in both.output
    alone = runner.invoke(
        app,
        [
            "evaluate",
            "--checkpoint",
            str(model),
            "--real",
            str(real_set),
            "--model-only",
            "--json",
            str(tmp_path / "alone.json"),
        ],
    )
    assert alone.exit_code == 0, alone.output
    figures = json.loads((tmp_path / "alone.json").read_text())
    assert "fused" not in figures and figures["goals"] == goals  # the same model-alone figures
    assert "fused" not in alone.output.split("goals on real images")[1]


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
    fused_goals = {g["goal"]: g for g in result["fused"]["goals"]}
    assert fused_goals["face AUC, people vs harmless"] == {
        "goal": "face AUC, people vs harmless",
        "figure": 1.0,
        "bar": FACE_BAR,
        "met": True,
    }
    assert fused_goals["privacy score AUC, private vs harmless"]["bar"] == FUSED_SCORE_BAR
    json.dumps(result)  # JSON-ready: what --json writes


def test_goals_and_subgroups_from_known_outputs() -> None:
    """The goals and the by-subgroup figures, computed by hand from set outputs: a badge
    photo with a name is no negative for the name goal, a 25 px LFW face is seen on its own."""
    face_name = ["a9_face_complete", "a20_name_first"]
    rows = [  # group, subgroup, labels, (a9, a19, a20), score
        ("people", "photo", ["a9_face_complete"], (0.9, 0.1, 0.0), 0.5),
        ("people", "photo", ["a9_face_complete"], (0.8, 0.2, 0.0), 0.5),
        ("people", "lfw_25px", ["a9_face_complete"], (0.1, 0.1, 0.0), 0.1),
        ("people", "lfw_25px", ["a9_face_complete"], (0.3, 0.1, 0.0), 0.1),
        ("people", "badge_photo", face_name, (0.7, 0.0, 0.8), 0.5),
        ("document", "rendered", ["a19_name_full"], (0.2, 0.9, 0.0), 0.5),
        ("document", "rendered", face_name, (0.9, 0.0, 0.5), 0.5),  # an ID card
        ("document", "photographed", ["a19_name_full"], (0.6, 0.3, 0.0), 0.5),
        ("harmless", "package_image", [], (0.2, 0.4, 0.0), 0.2),
        ("harmless", "package_image", [], (0.4, 0.2, 0.0), 0.3),
    ]
    entries = [{"group": g, "subgroup": s, "labels": labels} for g, s, labels, _, _ in rows]
    probability = np.array([p for *_, p, _ in rows])
    score = np.array([s for *_, s in rows])
    ids = ["a9_face_complete", "a19_name_full", "a20_name_first"]
    labelled = ids + ["a21_name_last"]
    result = real_eval._json_ready(real_eval._figures(score, probability, ids, entries, labelled))
    goals = {g["goal"]: (g["figure"], g["bar"], g["met"]) for g in result["goals"]}
    assert goals == {
        # people 0.9 0.8 0.1 0.3 0.7 against harmless 0.2 0.4: 7 of 10 pairs
        "face AUC, people vs harmless": (0.7, FACE_BAR, False),
        # against the letter (0.2) and the photographed letter (0.6); the ID card has a face
        "face AUC, people vs documents without a face": (0.7, FACE_BAR, False),
        # name = max(a19, a20): 0.9 0.5 0.3 against 0.1 0.2 0.1 0.1 0.4 0.2 (not the badge)
        "name AUC, documents with a name vs photos": (round(17 / 18, 6), NAME_BAR, False),
        "privacy score AUC, private vs harmless": (0.75, SCORE_BAR, False),
    }
    assert result["by_subgroup"] == {
        "people": {
            "photo": {"images": 2, "face_auc_vs_harmless": 1.0},
            "lfw_25px": {"images": 2, "face_auc_vs_harmless": 0.25},
            "badge_photo": {"images": 1, "face_auc_vs_harmless": 1.0},
        },
        "document": {
            "rendered": {"images": 2, "name_auc_vs_photos": 1.0},
            "photographed": {"images": 1, "name_auc_vs_photos": round(5 / 6, 6)},
        },
    }
    fused = real_eval._figures(score, probability, ids, entries, labelled, score_bar=0.7)
    assert fused["goals"][3]["bar"] == 0.7 and fused["goals"][3]["met"] is True
    # A model without face or name attributes: those goals are not measured, so not met.
    blind = real_eval._json_ready(
        real_eval._figures(score, probability[:, :0], [], entries, labelled)
    )
    assert [(g["figure"], g["met"]) for g in blind["goals"][:3]] == [(None, False)] * 3
    assert "face_on_documents" not in blind
    assert blind["by_subgroup"]["people"]["photo"]["face_auc_vs_harmless"] is None
