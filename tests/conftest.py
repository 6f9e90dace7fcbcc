"""Shared test set-up. Each area keeps its own fixtures in its own conftest or test module."""

from __future__ import annotations

import os

# Keep test runs offline and quiet: tldextract (used by presidio) must not try the network.
os.environ.setdefault(
    "TLDEXTRACT_CACHE", os.path.join(os.path.dirname(__file__), ".cache", "tldextract")
)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

TESTS = Path(__file__).resolve().parent
SAMPLES = TESTS.parent / "samples"
# The fast loop, `pytest -m "not slow"`, leaves out what starts other programs or trains a model:
# browsers (every `browser` test), Ray clusters, torchrun, `redact` run as a subprocess per test,
# multi-process generation and training runs. Single tests elsewhere carry @pytest.mark.slow.
# CI runs everything.
SLOW_PLACES = (
    "ray/",
    "training/test_torchrun.py",
    "training/test_synthetic_set.py",
    "server/test_native_host.py",
)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(item.path)
        where = path.relative_to(TESTS).as_posix() if TESTS in path.parents else ""
        if "browser" in item.keywords or where.startswith(SLOW_PLACES):
            item.add_marker(pytest.mark.slow)


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
