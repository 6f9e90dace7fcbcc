"""One torch thread for the test areas that train or run small models (imported by their
conftests, so torch stays out of the areas that must run without it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    """Small models on a shared 2-core machine: one thread avoids OpenMP spin contention
    (10x slower with 2 threads under load) and makes runs bit-reproducible."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
