"""`redact synth --harmless-pages`: pages of ordinary printed prose, labelled safe, so a model
learns that text is not private by itself. The project's OCR is the independent reader: the
page must be readable text made only of the harmless word list."""

from __future__ import annotations

import json

import numpy as np
import pytest

from redactor.detectors.ocr import OcrEngine, OcrSettings
from redactor.errors import UsageError
from redactor.training.synth.dataset import SynthConfig, generate
from redactor.training.synth.harmless_pages import WORDS, harmless_page


def test_a_harmless_page_is_readable_prose_labelled_safe() -> None:
    engine = OcrEngine(OcrSettings())
    vocabulary = set(WORDS)
    for seed in range(3):
        page = harmless_page(seed, 448)
        assert page.labels == ["a0_safe"] and page.masks["a0_safe"].all()
        words = [
            w.strip(".,;:").lower()
            for line in engine.read(np.asarray(page.image.convert("RGB")))
            for w in line.text.split()
        ]
        known = sum(w in vocabulary for w in words)
        assert known >= 20, f"seed {seed}: OCR read {known} known words of {len(words)}"
        digits = sum(ch.isdigit() for w in words for ch in w)
        assert digits <= 2, "a harmless page holds no numbers (no phones, dates, ids)"


def test_the_share_of_harmless_pages_in_a_set_and_its_check(tmp_path) -> None:
    summary = generate(
        SynthConfig(tmp_path / "s", 40, 4, 128, (1.0, 0.0, 0.0), 1, harmless_pages=0.5)
    )
    assert summary["harmless_pages"] == 0.5
    entries = [json.loads(p.read_text()) for p in (tmp_path / "s" / "annotations").rglob("*.json")]
    safe = sum(e["labels"] == ["a0_safe"] for e in entries)
    assert 14 <= safe <= 36, safe  # half pages, plus VISPR's own safe images
    with pytest.raises(UsageError, match="harmless-pages"):
        generate(SynthConfig(tmp_path / "bad", 4, 0, 96, (1.0, 0.0, 0.0), 1, harmless_pages=1.0))
