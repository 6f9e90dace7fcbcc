"""Fixtures for the synthetic-data tests: small generated sets, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from redactor.training.synth.dataset import SynthConfig, generate


@pytest.fixture(scope="session")
def small_set(tmp_path_factory) -> tuple[Path, dict]:
    """24 images at 192 px, seed 5, one process."""
    out = tmp_path_factory.mktemp("synth") / "set"
    summary = generate(SynthConfig(out, 24, seed=5, size=192, workers=1))
    return out, summary
