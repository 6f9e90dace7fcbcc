"""`redact evaluate --real FOLDER`: how a model does on real images (issue 13), for any model
file the runtime opens (.pt, .onnx, .engine; ONNX needs no torch).

The folder holds the images and `real_set.json` (docs/real_validation.md):

    {"name": "real_val", "notes": "how the labels were made",
     "labelled": ["a9_face_complete", "a19_name_full", ...],   # judged on every image
     "images": [{"image": "people/x.jpg", "group": "people" | "document" | "harmless",
                 "labels": ["a9_face_complete", ...]}, ...]}

An attribute of `labelled` is positive on an image that lists it and negative on the others;
attributes not in `labelled` are not scored (nobody judged them). Reported:
- per labelled attribute with positives and negatives: ROC AUC, average precision, counts;
- the privacy score's ROC AUC, private (people, document) against harmless;
- face on documents (the failure issue 13 found): the face probability's AUC of people
  against documents without a labelled face (an ID card's photo is one), and the share of those
  documents with a face probability at or over 0.5;
- `goals`: issue 13's goals, each {"goal", "figure", "bar", "met"}: face AUC people vs harmless
  and people vs documents without a labelled face (face probability: the max of a9/a10 where
  the model has them), name AUC documents with a name vs photos (people and harmless images
  without a name label; name probability: the max of a19/a20/a21), privacy score AUC private vs
  harmless (bar SCORE_BAR alone, FUSED_SCORE_BAR fused). A figure that cannot be measured
  (the model lacks the attributes, a group is empty) is null and not met;
- `by_subgroup` (entries' optional `subgroup`): per people subgroup its face AUC against the
  harmless images, per document subgroup its name AUC against the photos, so a weak part of
  the set (25 px LFW faces, rendered documents) shows on its own.
With `fused` (the CLI's default) the same figures again under "fused": the pipeline's report
with the default hide (faces, OCR, private text) fused into the model's outputs
(redactor/fusion.py); about a second per image on a CPU, for the OCR. `--record` keeps the
model's own figures: the gate judges the model, not the detectors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from redactor.errors import UsageError
from redactor.training import metrics

SET_FILE = "real_set.json"
GROUPS = ("people", "document", "harmless")
FACE_IDS = ("a9_face_complete", "a10_face_partial")
NAME_IDS = ("a19_name_full", "a20_name_first", "a21_name_last")
BATCH = 8
# Issue 13's goals on the real set.
FACE_BAR = 0.95  # face AUC, people vs harmless and people vs documents without a face
NAME_BAR = 0.95  # name AUC, documents with a name vs photos
SCORE_BAR = 0.90  # privacy score AUC, private vs harmless: the model alone
FUSED_SCORE_BAR = 0.97  # the same, fused with the detectors


def read_real_set(folder: str | Path) -> dict[str, Any]:
    """The set's description, checked: every image exists, groups and attributes are known."""
    from redactor.attributes import BY_ID

    folder = Path(folder)
    path = folder / SET_FILE
    if not path.is_file():
        raise UsageError(f"{folder} has no {SET_FILE}: see docs/real_validation.md")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise UsageError(f"{path} is not valid JSON: {error}") from None
    labelled = list(data.get("labelled") or [])
    unknown = sorted({a for a in labelled if a not in BY_ID})
    problems = [f"unknown attribute(s) {', '.join(unknown)}"] if unknown else []
    for n, entry in enumerate(data.get("images") or []):
        if entry.get("group") not in GROUPS:
            problems.append(f"image {n}: group {entry.get('group')!r} (one of {', '.join(GROUPS)})")
        elif not (folder / str(entry.get("image", ""))).is_file():
            problems.append(f"image {n}: {entry.get('image')!r} does not exist")
        if not isinstance(entry.get("subgroup", ""), str):
            problems.append(f"image {n}: subgroup {entry.get('subgroup')!r} is not a name")
        stray = sorted(set(entry.get("labels") or []) - set(labelled))
        if stray:
            problems.append(f"image {n}: labels {', '.join(stray)} are not in 'labelled'")
    if not data.get("images"):
        problems.append("no images")
    if problems:
        raise UsageError(f"{path}: " + "; ".join(problems[:5]))
    return data


def evaluate_real(
    model_path: str | Path, folder: str | Path, *, device: str = "auto", fused: bool = False
) -> dict:
    """Run the model on every image of the set and measure it (see the module docstring)."""
    from redactor.imageio import load
    from redactor.runtime import open_model, preprocess

    folder = Path(folder)
    data = read_real_set(folder)
    runtime = open_model(model_path, device=device)
    meta = runtime.meta
    entries = data["images"]
    scores, probabilities = [], []
    for start in range(0, len(entries), BATCH):
        pixels = [load(folder / e["image"]).pixels for e in entries[start : start + BATCH]]
        out = runtime(preprocess(pixels, meta))
        scores.append(np.asarray(out["score"], np.float64).reshape(-1))
        probabilities.append(np.asarray(out["attributes"], np.float64))
    score = np.concatenate(scores)
    probability = np.concatenate(probabilities)
    result: dict[str, Any] = {
        "kind": "real",
        "split": data.get("name", folder.name),
        "images": len(entries),
        "groups": {g: int(sum(e["group"] == g for e in entries)) for g in GROUPS},
        **_figures(score, probability, list(meta.attribute_ids), entries, data["labelled"]),
        "model_attributes_unlabelled": sorted(set(meta.attribute_ids) - set(data["labelled"])),
    }
    if fused:
        result["fused"] = _fused_figures(model_path, folder, data, meta)
    return _json_ready(result)


def _fused_figures(model_path: str | Path, folder: Path, data: dict, meta: Any) -> dict:
    """The figures of the pipeline's fused report (default hide: every detector fuses)."""
    from redactor.imageio import load
    from redactor.pipeline import RedactOptions, Redactor

    redactor = Redactor(model=model_path)
    options = RedactOptions(trust_model=True)  # nothing is hidden here: only the report counts
    ids = list(meta.attribute_ids) + [a for a in data["labelled"] if a not in meta.attribute_ids]
    scores, rows = [], []
    for entry in data["images"]:
        findings = redactor.analyze(load(folder / entry["image"]), options).findings
        scores.append(float(findings["privacy_score"]))
        fused = findings["attribute_probabilities"]
        rows.append([float(fused.get(a, 0.0)) for a in ids])
    return _figures(
        np.array(scores),
        np.array(rows),
        ids,
        data["images"],
        data["labelled"],
        score_bar=FUSED_SCORE_BAR,
    )


def _figures(
    score: np.ndarray,
    probability: np.ndarray,
    attribute_ids: list[str],
    entries: list[dict],
    labelled: list[str],
    score_bar: float = SCORE_BAR,
) -> dict[str, Any]:
    """Per-attribute AUC/AP, the score's AUC, faces on documents, the goals and the figures
    by subgroup, from score [N] and probability [N, len(attribute_ids)]."""
    groups = np.array([e["group"] for e in entries])
    column = {attribute_id: i for i, attribute_id in enumerate(attribute_ids)}
    per_attribute: dict[str, dict[str, Any]] = {}
    for attribute_id in labelled:
        if attribute_id not in column:
            continue
        truth = np.array([attribute_id in (e.get("labels") or []) for e in entries])
        p = probability[:, column[attribute_id]]
        per_attribute[attribute_id] = {
            "auc": metrics.roc_auc(p, truth),
            "ap": metrics.average_precision(p, truth),
            "positives": int(truth.sum()),
            "negatives": int((~truth).sum()),
        }
    private = groups != "harmless"
    result: dict[str, Any] = {
        "attributes": {"per_attribute": per_attribute},
        "privacy_score_auc": metrics.roc_auc(score, private),
    }
    face = _max_of(probability, column, FACE_IDS)
    name = _max_of(probability, column, NAME_IDS)
    people, harmless = groups == "people", groups == "harmless"
    labelled_face = _has(entries, FACE_IDS)
    with_name = _has(entries, NAME_IDS)
    # Documents with no face labelled (an ID card's photo is a real face: not a failure).
    documents = (groups == "document") & ~labelled_face
    # Photos (people, harmless) that show no name: a badge with a name is not a negative.
    photos = (people | harmless) & ~with_name
    named_documents = (groups == "document") & with_name
    face_vs_documents = _auc(face, people, documents)
    if face is not None:
        result["face_on_documents"] = {
            "auc_people_vs_documents": face_vs_documents,
            "documents_with_face": float((face[documents] >= 0.5).mean())
            if documents.any()
            else None,
            "documents": int(documents.sum()),
        }
    result["goals"] = [
        _goal("face AUC, people vs harmless", _auc(face, people, harmless), FACE_BAR),
        _goal("face AUC, people vs documents without a face", face_vs_documents, FACE_BAR),
        _goal(
            "name AUC, documents with a name vs photos",
            _auc(name, named_documents, photos),
            NAME_BAR,
        ),
        _goal("privacy score AUC, private vs harmless", result["privacy_score_auc"], score_bar),
    ]
    subgroups = np.array([e.get("subgroup") or "-" for e in entries])
    by_subgroup: dict[str, dict[str, dict[str, Any]]] = {"people": {}, "document": {}}
    for group, key, value, positives, negatives in (
        ("people", "face_auc_vs_harmless", face, people, harmless),
        ("document", "name_auc_vs_photos", name, named_documents, photos),
    ):
        for subgroup in dict.fromkeys(subgroups[groups == group]):
            inside = (groups == group) & (subgroups == subgroup)
            by_subgroup[group][str(subgroup)] = {
                "images": int(inside.sum()),
                key: _auc(value, positives & inside, negatives),
            }
    result["by_subgroup"] = by_subgroup
    return result


def _max_of(probability: np.ndarray, column: dict[str, int], ids: tuple[str, ...]) -> Any:
    """The row-wise max of the columns of `ids` the model has, or None if it has none."""
    columns = [column[i] for i in ids if i in column]
    return probability[:, columns].max(axis=1) if columns else None


def _has(entries: list[dict], ids: tuple[str, ...]) -> np.ndarray:
    return np.array([bool(set(ids) & set(e.get("labels") or [])) for e in entries], bool)


def _auc(value: np.ndarray | None, positives: np.ndarray, negatives: np.ndarray) -> Any:
    """ROC AUC of `value` telling `positives` from `negatives` (masks); None where there is
    no value or one side is empty."""
    if value is None or not positives.any() or not negatives.any():
        return None
    chosen = positives | negatives
    return metrics.roc_auc(value[chosen], positives[chosen])


def _goal(goal: str, figure: Any, bar: float) -> dict[str, Any]:
    measured = figure is not None and not np.isnan(figure)
    return {
        "goal": goal,
        "figure": figure,
        "bar": bar,
        "met": bool(measured and figure >= bar),
    }


# Short names for the goals table (80 columns).
GOAL_SHORT = {
    "face AUC, people vs harmless": "face: people vs harmless",
    "face AUC, people vs documents without a face": "face: people vs documents",
    "name AUC, documents with a name vs photos": "name: documents vs photos",
    "privacy score AUC, private vs harmless": "score: private vs harmless",
}


def goals_table(result: dict[str, Any]) -> Any:
    """A rich Table of the goals: bar, then figure and met / NOT MET, alone and fused."""
    from rich.table import Table

    fused = {g["goal"]: g for g in (result.get("fused") or {}).get("goals") or []}
    table = Table(title="goals on real images (AUC)")
    for column in ("goal", "bar", "model alone") + (("fused",) if fused else ()):
        table.add_column(column, justify="left" if column == "goal" else "right", no_wrap=True)

    def cell(goal: dict | None) -> str:
        if goal is None:
            return "-"
        figure = "n/a" if goal["figure"] is None else f"{goal['figure']:.3f}"
        return f"{figure} {'met' if goal['met'] else 'NOT MET'}"

    for goal in result.get("goals") or []:
        other = fused.get(goal["goal"])
        bar = f"{goal['bar']:.2f}"
        if other is not None and other["bar"] != goal["bar"]:
            bar += f" / {other['bar']:.2f}"
        row = [GOAL_SHORT.get(goal["goal"], goal["goal"]), bar, cell(goal)]
        table.add_row(*row + ([cell(other)] if fused else []))
    return table


def _json_ready(value: Any) -> Any:
    """nan -> None, numpy scalars -> float, recursively (JSON has no nan)."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def validity_of(result: dict[str, Any], dataset: str, measured_at: str) -> dict[str, dict]:
    """The `validity` map a model carries (ModelMeta.validity) from an evaluation result: per
    attribute with both positives and negatives in the set, its ROC AUC and the counts."""
    validity = {}
    for attribute_id, entry in result["attributes"]["per_attribute"].items():
        if entry.get("auc") is None or not entry["positives"] or not entry["negatives"]:
            continue
        validity[attribute_id] = {
            "auc": round(float(entry["auc"]), 4),
            "n_pos": int(entry["positives"]),
            "n_neg": int(entry["negatives"]),
            "dataset": dataset,
            "measured_at": measured_at,
        }
    return validity


__all__ = [
    "FACE_BAR",
    "FUSED_SCORE_BAR",
    "GROUPS",
    "NAME_BAR",
    "SCORE_BAR",
    "SET_FILE",
    "evaluate_real",
    "goals_table",
    "read_real_set",
    "validity_of",
]
