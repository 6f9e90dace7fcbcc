"""Start-up and shutdown: in-flight requests finish on shutdown (in process and through
`redact serve` with SIGTERM), the CLI prints where it listens and how to pair, a non-loopback
address is warned about loudly, and the access log carries routes, never queries."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from redactor.config_dir import TOKEN_FILE
from redactor.server import ServerConfig, host_is_loopback, serve

from .conftest import ServerThread, start_server

REPO = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


def test_shutdown_finishes_every_request_in_flight(shared_redactor, tmp_path, images):
    running: ServerThread = start_server(shared_redactor, tmp_path, workers=1, max_batch=2)
    batcher = running.daemon.state.batcher
    count = 6
    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(running.redact, images.astronaut_jpeg, "?hide=face")
                   for _ in range(count)]  # fmt: skip
        wait_until(lambda: batcher.pending == count)
        running.stop()  # graceful: returns once the daemon is down
        replies = [f.result(60) for f in futures]
    assert [r.status for r in replies] == [200] * count
    assert all(r.body[:3] == b"\xff\xd8\xff" and len(r.body) > 10_000 for r in replies)
    assert batcher.stats.jobs == count  # none dropped, none run twice
    assert batcher.stats.largest_batch == 2  # concurrent requests shared a pipeline call
    with pytest.raises(OSError):  # and it no longer listens
        running.call("GET", "/v1/health")


def test_non_loopback_is_warned_about_loudly(tmp_path):
    assert host_is_loopback("127.0.0.1") and host_is_loopback("::1")
    assert host_is_loopback("localhost") and host_is_loopback("127.0.0.2")
    assert not host_is_loopback("0.0.0.0") and not host_is_loopback("192.168.1.5")
    printed: list[str] = []
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: binding fails after the warning,
    # so the test never exposes a daemon to the network.
    config = ServerConfig(host="192.0.2.1", port=0, hide=("face",), config_dir=tmp_path)
    with pytest.raises(OSError):
        asyncio.run(serve(config, echo=printed.append))
    assert printed and printed[0].startswith("WARNING: binding 192.0.2.1")
    assert "other machines" in printed[0]
    # True now that no request skips the token: the risk left is the unencrypted traffic.
    assert "Every request needs the token" in printed[0] and "unencrypted" in printed[0]


def test_a_daemon_that_cannot_load_says_why_and_exits_non_zero(tmp_path):
    printed: list[str] = []
    # Nudity needs a PrivObfNet model; without one the default cannot be honoured: fail closed.
    config = ServerConfig(port=0, hide=("nudity",), config_dir=tmp_path)
    assert asyncio.run(serve(config, echo=printed.append)) == 2
    assert printed[-1].startswith("error: could not load the detectors")
    assert "--model" in printed[-1]


@pytest.mark.slow
def test_redact_serve_end_to_end_with_sigterm_mid_flight(tmp_path, images):
    env = {**os.environ, "REDACTOR_CONFIG_DIR": str(tmp_path / "cfg"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "redactor.cli", "serve", "--port", "0", "--hide", "face",
         "--max-queue", "8"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = process.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+) \(this machine only\)", first)
        assert match, first
        port = int(match.group(1))
        lines = [process.stdout.readline() for _ in range(5)]
        assert lines[0].startswith("ready"), lines
        assert any("--show-token" in line for line in lines)  # the paste fallback
        assert any("--install-native-host" in line for line in lines)
        # Where `redact native-host` finds the daemon for the extension, privately.
        url_file = tmp_path / "cfg" / "daemon-url"
        assert url_file.read_text().strip() == f"http://127.0.0.1:{port}"
        assert oct(url_file.stat().st_mode & 0o777) == "0o600"
        token_file = tmp_path / "cfg" / TOKEN_FILE
        assert oct(token_file.stat().st_mode & 0o777) == "0o600"

        client = _Client(port, token_file.read_text().strip())
        assert client.redact(images.astronaut_jpeg).status == 200
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(client.redact, images.astronaut_jpeg) for _ in range(4)]
            wait_until(lambda: client.pending() == 4)  # all four taken, none answered yet
            process.send_signal(signal.SIGTERM)
            statuses = [f.result(60).status for f in futures]
        assert statuses == [200] * 4
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err[-2000:]
        assert "stopped" in out
        assert "POST /v1/redact 200" in err  # the access log, on stderr
        assert "hide=" not in err and "?" not in err
    finally:
        if process.poll() is None:
            process.kill()
            out, err = process.communicate()
            print("daemon stdout:", out[-3000:], "daemon stderr:", err[-3000:], sep="\n")


class _Client:
    def __init__(self, port: int, token: str):
        self.port, self.token = port, token

    def pending(self) -> int:
        import http.client
        import json

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(  # the queue's counters are for token holders only
                "GET", "/v1/health", headers={"Authorization": f"Bearer {self.token}"}
            )
            return json.loads(connection.getresponse().read())["queue"]["pending"]
        finally:
            connection.close()

    def redact(self, data: bytes):
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(
                "POST",
                "/v1/redact?hide=face&mode=blur",
                body=data,
                headers={"Content-Type": "image/jpeg", "Authorization": f"Bearer {self.token}"},
            )
            response = connection.getresponse()
            response.read()
            return response
        finally:
            connection.close()


def test_serve_hide_defaults_plus_a_name_starts(tmp_path):
    """`redact serve --hide defaults,text` means the usual set plus any text, as `?hide=
    defaults,text` does over HTTP (it used to stop at start-up: unknown attribute 'defaults')."""
    env = {**os.environ, "REDACTOR_CONFIG_DIR": str(tmp_path / "cfg"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "redactor.cli", "serve", "--port", "0", "--hide", "defaults,text"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = [process.stdout.readline() for _ in range(2)]
        assert "listening on" in lines[0], (lines, process.stderr.read())
        assert lines[1].startswith("ready"), (lines, process.stderr.read())
        hidden = lines[1].split("hiding by default: ", 1)[1].strip().split(", ")
        assert hidden[:2] == ["face", "name"] and hidden[-1] == "text", hidden
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
