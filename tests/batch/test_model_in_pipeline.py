"""The pipeline with a PrivObfNet model loaded (a tiny checkpoint made in the test): coverage
widens to the model's attributes, its score reaches the report, its masks are hidden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redactor import RedactOptions, Redactor
from redactor.errors import UncoveredAttributeError
from tests.batch.conftest import ASTRONAUT

pytest.importorskip("torch", reason="the `train` extra (torch) makes the test checkpoint")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    from tests.export.tiny_model import make_checkpoint

    return make_checkpoint(tmp_path_factory.mktemp("model") / "tiny.pt")


def test_model_covers_its_attributes_and_fills_the_report(checkpoint: Path):
    redactor = Redactor(model=checkpoint)
    assert {"a12_semi_nudity", "a13_full_nudity", "a38_ticket"} <= redactor.covered
    assert "a0_safe" not in redactor.covered
    with pytest.raises(UncoveredAttributeError, match="tattoo.*loaded model does not predict it"):
        redactor.resolve_hide(["tattoo"])

    _, report = redactor.redact_bytes(
        ASTRONAUT.read_bytes(), RedactOptions(hide=("face", "nudity"))
    )
    entry = report.to_json()
    assert 0.0 <= entry["privacy_score"] <= 1.0
    assert entry["attribute_probabilities"]["a13_full_nudity"] > 0.9  # the checkpoint's bias
    assert "model" in entry["timings"]
    hidden_model = [r for r in entry["regions"] if r["detector"] == "model" and r["hidden"]]
    assert {a for r in hidden_model for a in r["attributes"]} >= {
        "a12_semi_nudity",
        "a13_full_nudity",
    }
    nudity = [
        r for r in hidden_model if r["attributes"][0] in ("a12_semi_nudity", "a13_full_nudity")
    ]
    assert entry["counts"]["nudity"] == len(nudity) == 2


def test_cli_with_model(checkpoint: Path, tmp_path: Path):
    from typer.testing import CliRunner

    from redactor.cli import app

    result = CliRunner().invoke(
        app,
        [str(ASTRONAUT), "--hide", "nudity", "--model", str(checkpoint), "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    (entry,) = [json.loads(x) for x in (tmp_path / "report.jsonl").read_text().splitlines()]
    assert "privacy_score" in entry and entry["counts"].get("nudity", 0) >= 1
