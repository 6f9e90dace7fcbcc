"""Slow, idle and piled-up connections against the real daemon on 127.0.0.1 (real sockets):
they hold no queue ticket, time out, are capped per peer, and a flood of them at a low
descriptor limit neither takes the daemon offline nor fills its log. Every wait is bounded."""

from __future__ import annotations

import os
import re
import resource
import select
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import TOKEN, start_server
from .test_limits import assert_json_error

ROOT = Path(__file__).resolve().parents[2]


def open_socket(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes `sock` (reads reach EOF or a reset) within `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            if not sock.recv(65536):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def upload_head(port: int, length: int) -> bytes:
    return (
        f"POST /v1/redact?hide=face HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_trickling_uploads_hold_no_queue_ticket_and_time_out(shared_redactor, tmp_path, images):
    # Two tickets only; four authenticated clients trickle their bodies. Before the fix each
    # took a ticket before its body arrived, and the real request below got 503.
    running = start_server(shared_redactor, tmp_path, max_pending=2, body_timeout_s=2.0)
    tricklers = []
    try:
        for _ in range(4):
            sock = open_socket(running.port)
            sock.sendall(upload_head(running.port, len(images.astronaut_jpeg)))
            sock.sendall(images.astronaut_jpeg[:100])
            tricklers.append(sock)
        time.sleep(0.5)
        with ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(
                lambda _: running.redact(images.astronaut_jpeg, "?hide=face"), range(2)
            ))  # fmt: skip
        assert [r.status for r in replies] == [200, 200], [r.body[:200] for r in replies]
        # No byte for body_timeout_s: each trickler is answered 408 and closed.
        started = time.monotonic()
        for sock in tricklers:
            sock.settimeout(8)
            answer = b""
            while b"body_timeout" not in answer:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408") and b"body_timeout" in answer, answer[:300]
            assert closed_by_server(sock, within=5)
        assert time.monotonic() - started < 12
        assert running.daemon.state.batcher.pending == 0
    finally:
        for sock in tricklers:
            sock.close()
        running.stop()


def test_uploads_in_flight_are_bounded_by_the_bytes_received(shared_redactor, tmp_path, images):
    # Bodies are read before the ticket: their memory is bounded by bytes actually received,
    # max_pending x (max_bytes + 64 KiB) = 2.06 MiB here.
    running = start_server(shared_redactor, tmp_path, max_bytes=2 * 2**20, max_pending=1)
    jpeg = images.astronaut_jpeg
    big = jpeg + bytes(int(1.5 * 2**20) - len(jpeg))  # a valid JPEG padded to 1.5 MiB
    holder = open_socket(running.port)
    try:
        holder.sendall(upload_head(running.port, len(big)) + big[:-10])  # all but 10 bytes
        time.sleep(0.5)
        second = running.redact(big, "?hide=face", timeout=30)
        assert_json_error(second, 503, "overloaded")
        assert int(second.header("Retry-After")) >= 1
        holder.sendall(big[-10:])
        holder.settimeout(30)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += holder.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert running.redact(jpeg, "?hide=face").status == 200  # everything was given back
        assert running.daemon.state.uploads.used == 0
    finally:
        holder.close()
        running.stop()


def test_idle_half_header_and_kept_alive_connections_time_out(shared_redactor, tmp_path):
    running = start_server(shared_redactor, tmp_path, idle_timeout_s=1.0)
    try:
        silent = open_socket(running.port)
        half = open_socket(running.port)
        half.sendall(f"POST /v1/redact HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\n".encode())
        kept = open_socket(running.port)
        kept.sendall(
            f"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\n"
            f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        kept.settimeout(5)
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        for name, sock in (("silent", silent), ("half header", half), ("keep-alive", kept)):
            assert closed_by_server(sock, within=5), f"the {name} connection was not closed"
            sock.close()
        assert running.call("GET", "/v1/health").status == 200
    finally:
        running.stop()


def test_a_peer_over_its_connection_cap_loses_its_oldest_idle_connection(
    shared_redactor, tmp_path, images
):
    running = start_server(shared_redactor, tmp_path, max_connections_per_peer=4)
    idle = [open_socket(running.port) for _ in range(10)]
    try:
        time.sleep(0.3)
        closed = sum(closed_by_server(sock, within=0.5) for sock in idle)
        assert closed >= 6, closed  # 10 opened, 4 allowed
        assert not closed_by_server(idle[-1], within=0.2)  # the newest ones stay
        reply = running.redact(images.astronaut_jpeg, "?hide=face", timeout=30)
        assert reply.status == 200
    finally:
        for sock in idle:
            sock.close()
        running.stop()


def _lower_descriptor_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def test_hundreds_of_idle_connections_at_256_descriptors(tmp_path, images):
    """300 idle connections from ten addresses (under the per-peer cap, so descriptors really
    run out) against `redact serve` limited to 256 descriptors: a real request is still served
    once the idle ones time out, and the log stays small."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 600:  # this process holds the 300 client sockets
        wanted = 600 if hard == resource.RLIM_INFINITY else min(600, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        if wanted < 600:
            pytest.fail("this test needs 600 descriptors for its own client sockets")
    log = (tmp_path / "stderr.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "redactor.cli", "serve", "--port", "0", "--hide", "face",
         "--config-dir", str(tmp_path / "cfg"), "--idle-timeout", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=_lower_descriptor_limit,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    flood: list[socket.socket] = []
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        port = int(re.search(r":(\d+) ", first).group(1))
        assert process.stdout.readline().startswith("ready")
        token = (tmp_path / "cfg" / "daemon-token").read_text().strip()
        for i in range(300):
            sock = socket.socket()
            sock.bind((f"127.0.0.{2 + i % 10}", 0))
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))  # the backlog may be full: do not wait
            flood.append(sock)
        time.sleep(3)
        started = time.monotonic()
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=40)
        connection.request("POST", "/v1/redact?hide=face", body=images.astronaut_jpeg, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"})  # fmt: skip
        reply = connection.getresponse()
        assert reply.status == 200, reply.read()[:200]
        assert time.monotonic() - started < 40
        connection.close()
        log.flush()
        size = (tmp_path / "stderr.log").stat().st_size
        text = (tmp_path / "stderr.log").read_text(errors="replace")
        assert size < 20_000, (size, text[:2000])
        assert "Traceback" not in text, text[:2000]
        # The descriptors did run out (the scenario happened), and it was said in a line or two.
        assert 1 <= text.count("Too many open files") <= 4, text[:2000]
        assert process.poll() is None
    finally:
        for sock in flood:
            sock.close()
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_408_is_a_json_error(shared_redactor, tmp_path, images):
    running = start_server(shared_redactor, tmp_path, body_timeout_s=0.5)
    try:
        sock = open_socket(running.port)
        sock.sendall(upload_head(running.port, 1000) + b"\xff\xd8\xff")
        sock.settimeout(5)
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), head
        import json

        assert json.loads(body)["error"] == "body_timeout"
        sock.close()

        class Reply:  # the shape assert_json_error reads
            status = 408
            headers = {"content-type": "application/json"}

            def header(self, name):
                return self.headers.get(name.lower())

            def json(self):
                return json.loads(body)

        assert_json_error(Reply(), 408, "body_timeout")
    finally:
        running.stop()
