"""Rich tables for evaluation results (the CLI prints them; nothing here prints)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table


def _fmt(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def evaluation_tables(result: dict[str, Any]) -> Group:
    summary = Table(
        title=f"evaluation: {result.get('kind', '')} {result.get('split', '')}, "
        f"{result.get('images', 0)} images",
        show_header=False,
    )
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    score = result.get("score")
    if score:
        summary.add_row("privacy score L1 error", _fmt(score["l1"]))
        summary.add_row("privacy score Pearson", _fmt(score["pearson"]))
        summary.add_row("privacy score Spearman", _fmt(score["spearman"]))
    attributes = result.get("attributes", {})
    summary.add_row("attribute accuracy, mean", _fmt(attributes.get("accuracy_mean")))
    summary.add_row(
        f"attribute accuracy, mean over {len(attributes.get('supported', []))} supported",
        _fmt(attributes.get("accuracy_mean_supported")),
    )
    summary.add_row("attribute mAP (class-wise)", _fmt(attributes.get("map")))
    tables: list[Any] = [summary]
    for key, title in (
        ("masks", "masks (raw CAMs)"),
        ("masks_refined", "masks (refined by human/text masks)"),
    ):
        masks = result.get(key)
        if not masks:
            continue
        summary.add_row(
            f"mIoU, {title}", f"{_fmt(masks['miou'])} at threshold {_fmt(masks['threshold'], 2)}"
        )
        if masks.get("per_group"):
            groups = Table(title=f"mIoU per attribute group, {title}")
            groups.add_column("group")
            groups.add_column("mIoU", justify="right")
            for group, value in masks["per_group"].items():
                groups.add_row(group, _fmt(value))
            for mask_type, value in masks.get("per_mask_type", {}).items():
                groups.add_row(f"[dim]mask type {mask_type}[/dim]", _fmt(value))
            tables.append(groups)
    per = attributes.get("per_attribute", {})
    if per:
        detail = Table(title="per attribute (with positives in the split)")
        for column in ("attribute", "positives", "accuracy", "AP", "IoU"):
            detail.add_column(column, justify="left" if column == "attribute" else "right")
        ious = (result.get("masks_refined") or result.get("masks") or {}).get("per_attribute", {})
        for name, values in per.items():
            if values["positives"]:
                detail.add_row(
                    name,
                    str(values["positives"]),
                    _fmt(values["accuracy"]),
                    _fmt(values["ap"]),
                    _fmt(ious.get(name)),
                )
        tables.append(detail)
    return Group(*tables)


def real_tables(result: dict[str, Any]) -> Group:
    """`redact evaluate --real`: the summary and one row per labelled attribute, the model
    alone and, where measured, fused with the detectors (redactor/fusion.py)."""
    fused = result.get("fused") or {}
    summary = Table(
        title=f"real images: {result.get('split', '')}, {result.get('images', 0)} images "
        + " ".join(f"{g} {n}" for g, n in (result.get("groups") or {}).items()),
        show_header=bool(fused),
    )
    summary.add_column("metric")
    summary.add_column("model alone", justify="right")
    if fused:
        summary.add_column("fused", justify="right")

    def row(name: str, *values: Any) -> None:
        summary.add_row(name, *[_fmt(v) for v in values[: 2 if fused else 1]])

    row(
        "privacy score AUC, private vs harmless",
        result.get("privacy_score_auc"),
        fused.get("privacy_score_auc"),
    )
    faces = result.get("face_on_documents")
    fused_faces = fused.get("face_on_documents") or {}
    if faces:
        row(
            "face AUC, people vs documents",
            faces["auc_people_vs_documents"],
            fused_faces.get("auc_people_vs_documents"),
        )
        row(
            "documents with face p >= 0.5",
            faces["documents_with_face"],
            fused_faces.get("documents_with_face"),
        )
    rows = Table(title="per attribute (labelled on every image)")
    columns = ("attribute", "ROC AUC", "AP", "pos", "neg") + (
        ("fused AUC", "fused AP") if fused else ()
    )
    for column in columns:
        rows.add_column(column, justify="left" if column == "attribute" else "right")
    fused_rows = (fused.get("attributes") or {}).get("per_attribute") or {}
    for attribute_id, entry in result["attributes"]["per_attribute"].items():
        cells = [
            attribute_id,
            _fmt(entry["auc"]),
            _fmt(entry["ap"]),
            str(entry["positives"]),
            str(entry["negatives"]),
        ]
        if fused:
            other = fused_rows.get(attribute_id) or {}
            cells += [_fmt(other.get("auc")), _fmt(other.get("ap"))]
        rows.add_row(*cells)
    return Group(summary, rows)
