"""Shared test set-up. Each area keeps its own fixtures in its own conftest or test module."""

from __future__ import annotations

import os

# Keep test runs offline and quiet: tldextract (used by presidio) must not try the network.
os.environ.setdefault("TLDEXTRACT_CACHE", os.path.join(os.path.dirname(__file__), ".cache", "tldextract"))

import pytest  # noqa: E402

SAMPLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(scope="session")
def samples_dir():
    """The project's committed sample images."""
    return SAMPLES


@pytest.fixture(scope="session")
def shared_redactor():
    """One Redactor for the whole test session: each detector is built on first use, once, and
    every test area can reuse it (building OCR + private text costs several seconds)."""
    from redactor import Redactor

    return Redactor()
