"""The PrivObfNet model that ships inside the package: `--model default` (or `redact --score`).

It is an ONNX file (no torch needed) trained on the project's synthetic set with real content
and validated on a real-image set; its real-image AUCs travel inside it (ModelMeta.validity),
so the gate (docs/real_validation.md) judges it like any other model. How it was made and
measured: MODEL_CARD.md beside it.
"""

from __future__ import annotations

from pathlib import Path

from redactor.errors import ModelError

DEFAULT = "default"
FILE = Path(__file__).with_name("privobfnet.onnx")


def resolve_model(value: str | Path | None) -> Path | None:
    """`None` -> None; "default" -> the shipped model's file; anything else -> that path."""
    if value is None:
        return None
    if str(value) != DEFAULT:
        return Path(value)
    if not FILE.is_file():
        raise ModelError(
            f"this install has no default model ({FILE.name} is missing from the package); "
            "reinstall redactor or give --model FILE"
        )
    return FILE


__all__ = ["DEFAULT", "FILE", "resolve_model"]
