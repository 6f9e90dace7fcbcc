"""The real daemon on 127.0.0.1 (ephemeral port) in a background thread with its own event loop,
and a plain http.client caller, so each test controls every header (Host, Origin, token).

One pipeline (`Redactor`) is built per session and shared by the servers the tests start;
servers differ only in their limits and security settings.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from redactor.server import Daemon, ServerConfig, build_redactor

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TOKEN = "test-token-0123456789-abcdefghijklmnopqrstuvwxyz"
FACE_HIDE = ("face",)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class ServerThread:
    """A Daemon running in its own thread; `call` speaks HTTP/1.1 to it over real TCP."""

    def __init__(self, daemon: Daemon):
        self.daemon = daemon
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = self.submit(daemon.start()).result(30)

    def submit(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def wait_ready(self, timeout: float = 60) -> None:
        self.submit(asyncio.wait_for(self.daemon.state.ready.wait(), timeout)).result(timeout + 1)
        assert self.daemon.state.phase == "ready", self.daemon.state.failure

    def stop(self) -> None:
        if self.loop.is_running():
            self.submit(self.daemon.stop()).result(120)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        token: str | None = TOKEN,
        timeout: float = 60,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def redact(
        self, data: bytes, query: str = "", content_type: str = "image/jpeg", **kwargs
    ) -> Reply:
        headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
        return self.call("POST", f"/v1/redact{query}", data, headers, **kwargs)


@dataclass
class Images:
    """Test images made in memory (skimage's astronaut: a real photo with one face)."""

    astronaut_jpeg: bytes
    astronaut_png: bytes
    face_box: tuple[int, int, int, int]
    extra: dict[str, bytes] = field(default_factory=dict)


def encode(pixels: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def images() -> Images:
    from skimage import data

    from redactor.detectors.faces import FaceDetector

    pixels = data.astronaut()  # 512 x 512 RGB
    faces = FaceDetector().detect(pixels, None)
    assert faces, "the face detector must find the astronaut's face for these tests to mean much"
    best = max(faces, key=lambda region: region.score)
    return Images(
        astronaut_jpeg=encode(pixels, "JPEG", quality=92),
        astronaut_png=encode(pixels, "PNG"),
        face_box=best.box,
    )


@pytest.fixture(scope="session")
def shared_redactor():
    """One pipeline for every server of the session (faces only: fast to build)."""
    return build_redactor(ServerConfig(hide=FACE_HIDE))


def start_server(
    redactor, tmp_path: Path, *, token: str | None = TOKEN, **settings
) -> ServerThread:
    """`token` None: the daemon creates its own in `tmp_path / "cfg"`."""
    settings.setdefault("hide", FACE_HIDE)
    settings.setdefault("host", "127.0.0.1")
    config = ServerConfig(port=0, config_dir=tmp_path / "cfg", **settings)
    server = ServerThread(Daemon(config, redactor=redactor, token=token))
    server.wait_ready()
    return server


@pytest.fixture(scope="module")
def server(shared_redactor, tmp_path_factory) -> Iterator[ServerThread]:
    """A daemon with small limits, so the limit tests stay fast."""
    running = start_server(
        shared_redactor, tmp_path_factory.mktemp("daemon"),
        max_bytes=2 * 2**20, max_pixels=20_000_000, max_pending=16,
    )  # fmt: skip
    yield running
    running.stop()
