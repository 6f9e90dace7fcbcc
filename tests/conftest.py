"""Shared test set-up. Each area keeps its own fixtures in its own conftest or test module."""

from __future__ import annotations

import os

# Keep test runs offline and quiet: tldextract (used by presidio) must not try the network.
os.environ.setdefault("TLDEXTRACT_CACHE", os.path.join(os.path.dirname(__file__), ".cache", "tldextract"))
