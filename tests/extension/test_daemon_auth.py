"""The extension and the daemon authenticate each other, in real Chromium: the extension gets the
token from the native host (no paste), sends an image only to a daemon that proves it holds the
token for the address the extension dialled, and fails closed against an impostor, even one that
relays the challenge to the real daemon. Content scripts cannot read the token."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web

from redactor.native_host import HOST_NAME
from tests.extension import harness
from tests.extension.test_uploads import assert_face_hidden, wait_for_notice

pytestmark = pytest.mark.browser


def access_routes(daemon: harness.Daemon, since: int) -> list[list[str]]:
    return [line.split()[:3] for line in daemon.access.lines[since:]]


@pytest.fixture
def no_native_host(browser: Any, profile_dir: Path) -> Iterator[None]:
    """The native host's manifest moved out of the profile (Chromium reads it at each call)."""
    manifest = profile_dir / "NativeMessagingHosts" / f"{HOST_NAME}.json"
    hidden = manifest.with_suffix(".off")
    manifest.rename(hidden)
    yield
    hidden.rename(manifest)


# ---- the token comes from the native host ------------------------------------------------------


def test_the_native_host_gives_the_token_with_no_paste(
    page: Any, worker: Any, site: harness.UploadSite, daemon: harness.Daemon, photo: Path
) -> None:
    """Nothing configured at all (no token, no address): the upload is redacted."""
    worker.evaluate("() => chrome.storage.local.clear()")
    harness.configure(worker, hide=["face"])
    before = len(daemon.access.lines)
    page.set_input_files("#fetch-file", str(photo))
    [upload] = site.wait_for(1, timeout=30)
    assert_face_hidden(upload.data, photo.read_bytes())
    stored = worker.evaluate("() => chrome.storage.local.get(null)")
    assert stored["token"] == daemon.token
    assert stored["nativeDaemonUrl"] == daemon.url and not stored.get("daemonUrl")
    # The daemon proved itself before the image went out, and again before the next one.
    page.set_input_files("#fetch-file", str(photo))
    site.wait_for(2, timeout=30)
    routes = [" ".join(r) for r in access_routes(daemon, before) if "/v1/" in r[1]]
    assert routes == ["POST /v1/challenge 200", "POST /v1/redact 200"] * 2, routes


def test_a_stale_token_is_replaced_from_the_native_host(
    page: Any, worker: Any, site: harness.UploadSite, daemon: harness.Daemon, photo: Path
) -> None:
    harness.configure(worker, token="an-old-token-from-before-the-daemon-made-a-new-one")
    page.set_input_files("#fetch-file", str(photo))
    [upload] = site.wait_for(1, timeout=30)
    assert_face_hidden(upload.data, photo.read_bytes())
    assert worker.evaluate("() => chrome.storage.local.get('token')")["token"] == daemon.token


def test_a_wrong_token_without_native_host_blocks_and_sends_nothing(
    no_native_host: None, page: Any, worker: Any, site: harness.UploadSite,
    daemon: harness.Daemon, photo: Path,
) -> None:  # fmt: skip
    harness.configure(worker, token="not-the-token-not-the-token-not-the-token")
    before = len(daemon.access.lines)
    page.set_input_files("#fetch-file", str(photo))
    text = wait_for_notice(page, "error")
    assert "Upload blocked" in text and "could not be verified" in text
    assert site.wait_for(1, timeout=0.5) == []
    # Only the challenge reached the daemon; the token and the image never did.
    assert access_routes(daemon, before) == [["POST", "/v1/challenge", "200"]]


def test_no_token_and_no_native_host_says_how_to_get_one(
    no_native_host: None, page: Any, site: harness.UploadSite, daemon: harness.Daemon,
    photo: Path,
) -> None:  # fmt: skip
    before = len(daemon.access.lines)
    page.set_input_files("#fetch-file", str(photo))
    text = wait_for_notice(page, "error")
    assert "--install-native-host" in text and "paste the token" in text
    assert site.wait_for(1, timeout=0.5) == []
    assert access_routes(daemon, before) == []


# ---- an impostor on the configured address ---------------------------------------------------


class Impostor:
    """A program squatting the daemon's address: its /v1/challenge answers wrongly (or relays
    the nonce to the real daemon), its /v1/redact sends back the original."""

    def __init__(self, mode: str, real_url: str) -> None:
        self.mode = mode
        self.real_url = real_url
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=200 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self.lock:
            self.requests.append({"path": request.path, "size": len(body),
                                  "authorization": request.headers.get("Authorization"),
                                  "sha256": hashlib.sha256(body).hexdigest()})  # fmt: skip
        if request.path == "/v1/challenge":
            if self.mode == "relay":
                headers = {"Content-Type": "application/json"}
                url = f"{self.real_url}/v1/challenge"
                async with ClientSession() as session:
                    async with session.post(url, data=body, headers=headers) as real:
                        return web.json_response(await real.json())
            if self.mode == "garbage":
                return web.json_response({"proof": "0" * 64})
            return web.json_response({"error": "not_found"}, status=404)
        if request.path == "/v1/redact":
            return web.Response(body=body, content_type=request.content_type)
        return web.json_response({"status": "ok", "ready": True, "version": "9.9"})


@pytest.mark.parametrize("mode", ["garbage", "relay", "no-challenge"])
def test_an_impostor_daemon_gets_no_image_and_no_token(
    mode: str, page: Any, worker: Any, site: harness.UploadSite, daemon: harness.Daemon,
    servers: harness.ServerLoop, photo: Path,
) -> None:  # fmt: skip
    impostor = Impostor(mode, daemon.url)
    runner, port = servers.start(impostor.app())
    try:
        # Originals allowed on this site even: an impostor is an attack, not an outage.
        harness.configure(worker, daemonUrl=f"http://127.0.0.1:{port}",
                          allowOriginalSites=["127.0.0.1"])  # fmt: skip
        page.set_input_files("#fetch-file", str(photo))
        text = wait_for_notice(page, "error")
        assert "Upload blocked" in text and "could not be verified" in text
        assert site.wait_for(1, timeout=1.0) == []
        assert page.evaluate("document.getElementById('fetch-file').files.length") == 0
        popup = page.context.new_page()  # the toolbar popup says so too
        try:
            popup.goto(f"chrome-extension://{harness.EXTENSION_ID}/popup.html")
            popup.wait_for_selector("body[data-ready=true]")
            assert popup.get_attribute("#daemon-status", "data-state") == "unverified"
            assert "could not be verified" in popup.text_content("#daemon-status")
        finally:
            popup.close()
    finally:
        servers.stop(runner)
    original = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert impostor.requests, "the extension did try the configured address"
    for seen in impostor.requests:
        assert seen["path"] == "/v1/challenge", seen
        assert seen["authorization"] is None, "the token went to the impostor"
        assert seen["sha256"] != original and seen["size"] < 200
    # The extension kept the real token (the impostor is not a reason to forget it).
    assert worker.evaluate("() => chrome.storage.local.get('token')")["token"] == daemon.token


def test_localhost_means_127_0_0_1_not_another_users_program_on_ipv6(
    page: Any, worker: Any, site: harness.UploadSite, daemon: harness.Daemon,
    servers: harness.ServerLoop, photo: Path,
) -> None:  # fmt: skip
    """The issue's reproduction: the daemon on 127.0.0.1:PORT, another program on [::1]:PORT, the
    address set as localhost (which Chromium may dial as [::1] first). The extension must use
    127.0.0.1, so the real daemon redacts and the program on [::1] sees nothing."""
    impostor = Impostor("garbage", daemon.url)
    runner, _ = servers.start(impostor.app(), daemon.port, host="::1")
    try:
        harness.configure(worker, daemonUrl=f"http://localhost:{daemon.port}")
        page.set_input_files("#fetch-file", str(photo))
        [upload] = site.wait_for(1, timeout=30)
    finally:
        servers.stop(runner)
    assert_face_hidden(upload.data, photo.read_bytes())
    assert impostor.requests == []


# ---- the token is out of content scripts' reach -------------------------------------------------


def test_content_scripts_cannot_read_the_token(
    page: Any, worker: Any, daemon: harness.Daemon, site: harness.UploadSite, photo: Path
) -> None:
    page.set_input_files("#fetch-file", str(photo))
    site.wait_for(1, timeout=30)  # the extension has fetched and stored the token by now
    assert worker.evaluate("() => chrome.storage.local.get('token')")["token"] == daemon.token
    session = page.context.new_cdp_session(page)
    contexts: list[dict[str, Any]] = []
    session.on("Runtime.executionContextCreated", lambda event: contexts.append(event["context"]))
    try:
        session.send("Runtime.enable")
        deadline = time.monotonic() + 5
        isolated: list[dict[str, Any]] = []
        while not isolated and time.monotonic() < deadline:
            isolated = [
                c for c in contexts
                if c.get("auxData", {}).get("type") == "isolated" and c.get("name") == "Redactor"
            ]  # fmt: skip
            time.sleep(0.05)
        assert isolated, f"no content-script world found: {contexts}"
        world = isolated[0]["id"]

        def evaluate(expression: str) -> str:
            answer = session.send("Runtime.evaluate", {
                "expression": expression, "contextId": world, "awaitPromise": True,
                "returnByValue": True,
            })["result"]  # fmt: skip
            return str(answer.get("value", json.dumps(answer)))

        read = evaluate("""chrome.storage.local.get(null).then(
            items => JSON.stringify(items), error => "refused: " + error.message)""")
        # Nor by listening while the token changes (the native host or a paste writes it).
        evaluate("""globalThis.__heard = [];
            chrome.storage.onChanged.addListener(c => __heard.push(JSON.stringify(c))); 1""")
        worker.evaluate(
            "t => chrome.storage.local.set({token: t})",
            "a-token-written-while-a-content-script-listens",
        )
        worker.evaluate("t => chrome.storage.local.set({token: t})", daemon.token)
        time.sleep(0.5)
        heard = evaluate("JSON.stringify(globalThis.__heard)")
    finally:
        session.detach()
    assert daemon.token not in read
    assert read.startswith("refused"), read
    assert "a-token-written" not in heard and daemon.token not in heard, heard


def test_turning_originals_off_reaches_an_open_page(
    page: Any, worker: Any, site: harness.UploadSite, photo: Path, stopped_daemon_url: str
) -> None:
    """Content scripts no longer read settings themselves; the switch must still reach them."""
    harness.configure(worker, allowOriginalSites=["127.0.0.1"])
    page.reload()
    page.wait_for_timeout(1000)  # the page's "hello": originals allowed here
    harness.configure(worker, allowOriginalSites=[], daemonUrl=stopped_daemon_url)
    page.wait_for_timeout(1000)  # the worker's "settings-changed", the page's new question
    page.set_input_files("#fetch-file", str(photo))
    text = wait_for_notice(page, "error")
    assert "Upload blocked" in text
    assert site.wait_for(1, timeout=0.5) == []
