"""Independent readers for checking outputs: OCR (PP-OCR through RapidOCR, and Tesseract as a
second, unrelated engine) and the face detector, on what a viewer would show."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def tesseract_text(pixels: np.ndarray) -> str:
    """Tesseract's reading of an RGB image (sparse text mode: scattered fields, no layout)."""
    binary = shutil.which("tesseract")
    assert binary, "Tesseract (Debian tesseract-ocr) is needed as the second OCR reader"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.png"
        Image.fromarray(pixels).save(path)
        done = subprocess.run(
            [binary, str(path), "-", "--psm", "11"], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr[-500:]
    return done.stdout


def ocr_text(ocr, pixels: np.ndarray) -> str:
    """Every line PP-OCR reads, one per line."""
    from redactor.detectors.base import Context

    return "\n".join(line.text for line in ocr.lines(pixels, Context(pixels)))


def squash(text: str) -> str:
    """Lower case without spaces or punctuation, so "19 Jan 1969" matches "19jan1969"."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def readable(secrets: list[str], *texts: str) -> list[str]:
    """The secrets (or any of their words of 4+ characters) found in any of the texts."""
    found = []
    joined = [squash(t) for t in texts]
    for secret in secrets:
        pieces = [secret] + [w for w in secret.split() if len(squash(w)) >= 4]
        if any(squash(p) and squash(p) in text for p in pieces for text in joined):
            found.append(secret)
    return found
