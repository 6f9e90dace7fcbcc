"""With a PrivObfNet model loaded (a tiny untrained one, made here in a second), concurrent
requests are gathered into micro-batches, model attributes become hideable, and the summary
header carries the privacy score."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from redactor import attributes

from .conftest import start_server

IDS = ["a0_safe", "a9_face_complete", "a12_semi_nudity", "a13_full_nudity", "a38_ticket"]
PRESENT = {"a12_semi_nudity", "a13_full_nudity"}  # biased on: stable regions to hide


def tiny_checkpoint(path: Path) -> Path:
    torch = pytest.importorskip("torch", reason="the `train` extra (torch) makes the test model")
    from redactor.model import ModelArgs, ModelMeta, PrivObfNet, save_checkpoint

    torch.manual_seed(0)
    kinds = [attributes.BY_ID[i].mask_type for i in IDS]
    network = PrivObfNet(ModelArgs(backbone="tiny", num_classes=len(IDS), mask_types=tuple(kinds),
                                   use_cropped=False)).eval()  # fmt: skip
    with torch.no_grad():
        last = network.image.attribute_head[2]
        last.weight.mul_(0.01)
        last.bias.copy_(torch.tensor([4.0 if i in PRESENT else -4.0 for i in IDS]))
    # Validity as `redact evaluate --record` writes it: nudity is model-only, and an
    # unvalidated model is refused for it (issue 13).
    validity = {
        i: {"auc": 0.99, "n_pos": 50, "n_neg": 100, "dataset": "fixture/test"} for i in PRESENT
    }
    meta = ModelMeta(attribute_ids=IDS, mask_types=kinds, backbone="tiny", input_size=(128, 128),
                     stride=network.stride, dataset="synthetic", validity=validity)  # fmt: skip
    return save_checkpoint(path, network, meta)


def test_concurrent_requests_share_model_batches(tmp_path, images):
    from redactor.server import ServerConfig, build_redactor

    model = tiny_checkpoint(tmp_path / "tiny.pt")
    # A wide window (250 ms) so that six requests from a busy test machine still meet.
    settings = {"model": model, "hide": ("nudity",), "max_batch": 8, "batch_window_ms": 250}
    running = start_server(build_redactor(ServerConfig(**settings)), tmp_path, **settings)
    try:
        health = running.call("GET", "/v1/health").json()
        assert health["model"] is True and health["backend"]["model"] == "torch"
        listed = {a["id"] for a in running.call("GET", "/v1/attributes").json()["attributes"]}
        assert PRESENT <= listed and "a0_safe" not in listed
        with ThreadPoolExecutor(6) as pool:
            replies = list(pool.map(
                lambda _: running.redact(images.astronaut_jpeg, "?hide=nudity"), range(6)
            ))  # fmt: skip
        for reply in replies:
            assert reply.status == 200, reply.body[:300]
            summary = json.loads(reply.header("X-Redactor-Summary"))
            assert 0.0 <= summary["privacy_score"] <= 1.0
            assert set(summary["regions"]) & PRESENT
        stats = running.daemon.state.batcher.stats
        assert stats.jobs == 6 and stats.largest_batch >= 3, stats
    finally:
        running.stop()
