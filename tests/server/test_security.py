"""Who may use the daemon: token, Origin, Host, CORS, the challenge, the token file, the logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import stat

import pytest

from redactor.config_dir import TOKEN_FILE
from redactor.server_security import EXTENSION_ID

from .conftest import SAMPLES, TOKEN, start_server

EXTENSION = f"chrome-extension://{EXTENSION_ID}"
FIREFOX = "moz-extension://5d6b1c7e-2f0a-4c8e-9a51-0c1d2e3f4a5b"


def cors_headers(reply) -> dict[str, str]:
    return {k: v for k, v in reply.headers.items() if k.startswith("access-control-")}


def test_missing_or_wrong_token_is_401(server, images):
    for token, code in ((None, "token_required"), ("wrong-token", "bad_token"), ("", "bad_token")):
        headers = {"Authorization": "Bearer "} if token == "" else {}
        reply = server.redact(images.astronaut_jpeg, "?hide=face", token=token, headers=headers)
        assert reply.status == 401, (token, reply.status)
        assert reply.json()["error"] == code
        assert reply.header("WWW-Authenticate").startswith("Bearer")
    assert server.call("GET", "/v1/attributes", token=None).status == 401
    assert server.call("GET", "/v1/attributes", token="nope").status == 401
    basic = server.call(
        "GET", "/v1/attributes", headers={"Authorization": "Basic dXNlcjpwYXNz"}, token=None
    )
    assert basic.status == 401
    assert server.call("GET", "/v1/attributes").status == 200  # the right token


ROUTES = [("GET", "/v1/attributes"), ("POST", "/v1/redact"), ("POST", "/v1/analyze"),
          ("POST", "/v1/pair"), ("GET", "/v1/nowhere"), ("PUT", "/v1/redact")]  # fmt: skip


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://127.0.0.1:8080", "null",
     "chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"],
)  # fmt: skip
def test_foreign_origin_is_403_without_cors_even_with_the_token(server, images, origin):
    reply = server.redact(images.astronaut_jpeg, "?hide=face", headers={"Origin": origin})
    assert reply.status == 403
    assert reply.json()["error"] == "forbidden_origin"
    assert cors_headers(reply) == {}
    for path in ("/v1/health", "/v1/challenge"):
        method = "GET" if path == "/v1/health" else "POST"
        public = server.call(method, path, b"", headers={"Origin": origin}, token=None)
        assert public.status == 403 and cors_headers(public) == {}, path
    preflight = server.call(
        "OPTIONS", "/v1/redact",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"},
        token=None,
    )  # fmt: skip
    assert preflight.status == 403 and cors_headers(preflight) == {}


def test_a_web_page_request_without_origin_is_refused(server):
    reply = server.call("GET", "/v1/attributes", headers={"Sec-Fetch-Site": "cross-site"})
    assert reply.status == 403


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": EXTENSION}, {"Origin": FIREFOX}, {"Sec-Fetch-Site": "none"},
     {"Origin": EXTENSION, "Sec-Fetch-Site": "none"}],
    ids=["local-tool", "extension-origin", "firefox-origin", "extension-get", "both"],
)  # fmt: skip
def test_no_request_without_the_token_whatever_its_origin(server, images, headers):
    """Origin is a browser convention any local process can send: it never stands in for the
    token (it used to: the pinned extension's Origin skipped it)."""
    for method, path in ROUTES:
        sent = {"Content-Type": "image/jpeg", **headers}
        reply = server.call(method, path, images.astronaut_jpeg, sent, token=None)
        assert reply.status == 401, (method, path, reply.status)
        assert reply.json()["error"] == "token_required"
        assert b"\xff\xd8" not in reply.body and len(reply.body) < 1000


def test_no_request_without_the_token_from_the_network_either(shared_redactor, tmp_path, images):
    """Bound beyond loopback, a client addressing the daemon by the IP it connected to (as a
    machine on the network does) still needs the token; the extension's Origin changes nothing."""
    import http.client

    running = start_server(shared_redactor, tmp_path, host="0.0.0.0")
    try:
        addresses = ["127.0.0.2"]  # a loopback address that is not 127.0.0.1, like a LAN one
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing address
                addresses.append(probe.getsockname()[0])
            except OSError:
                pass
        for address in addresses:
            for headers in ({}, {"Origin": EXTENSION}):
                connection = http.client.HTTPConnection(address, running.port, timeout=60)
                sent = {"Host": f"{address}:{running.port}", "Content-Type": "image/jpeg",
                        **headers}  # fmt: skip
                connection.request("POST", "/v1/redact", images.astronaut_jpeg, sent)
                reply = connection.getresponse()
                assert reply.status == 401, (address, headers, reply.status)
                reply.read()
                host = {"Host": f"{address}:{running.port}"}
                connection.request("GET", "/v1/health", headers=host)
                health = connection.getresponse()
                assert health.status == 200, address  # reachable: the 401 is the token check
                health.read()
                connection.close()
    finally:
        running.stop()


def test_the_extension_with_the_token_gets_cors(server, images):
    reply = server.redact(images.astronaut_jpeg, "?hide=face", headers={"Origin": EXTENSION})
    assert reply.status == 200, reply.body[:200]
    assert reply.header("Access-Control-Allow-Origin") == EXTENSION
    assert "X-Redactor-Summary" in reply.header("Access-Control-Expose-Headers")
    preflight = server.call(
        "OPTIONS", "/v1/redact",
        headers={"Origin": EXTENSION, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"},
        token=None,
    )  # fmt: skip
    assert preflight.status == 204
    assert preflight.header("Access-Control-Allow-Origin") == EXTENSION
    assert "Authorization" in preflight.header("Access-Control-Allow-Headers")
    assert "POST" in preflight.header("Access-Control-Allow-Methods")
    # A missing or wrong token is refused, with CORS so that the extension can read why.
    for token in (None, "wrong"):
        refused = server.call("GET", "/v1/attributes", headers={"Origin": EXTENSION}, token=token)
        assert refused.status == 401 and refused.header("Access-Control-Allow-Origin") == EXTENSION
    # Firefox's random per-profile origin: the token decides, as for everyone.
    firefox = server.redact(images.astronaut_jpeg, "?hide=face", headers={"Origin": FIREFOX})
    assert firefox.status == 200 and firefox.header("Access-Control-Allow-Origin") == FIREFOX


def test_bad_host_is_403(server):
    good = [f"127.0.0.1:{server.port}", f"localhost:{server.port}", f"LOCALHOST:{server.port}"]
    for host in good:
        assert server.call("GET", "/v1/health", headers={"Host": host}).status == 200, host
    port = server.port
    bad = [f"evil.example:{port}", "evil.example", "127.0.0.1", f"127.0.0.1:{port + 1}",
           f"localhost.evil.example:{port}", ""]  # fmt: skip
    for host in bad:
        reply = server.call("GET", "/v1/health", headers={"Host": host})
        assert reply.status == 403, host
        assert reply.json()["error"] == "bad_host"
    # DNS rebinding with the extension's Origin forged is impossible, but the Host check
    # comes first anyway: no CORS either.
    forged = {"Host": "evil.example", "Origin": EXTENSION}
    rebound = server.call("GET", "/v1/health", headers=forged)
    assert rebound.status == 403 and cors_headers(rebound) == {}


def test_pairing_is_gone(server):
    """Pairing registered an origin that then needed no token; nothing replaces it."""
    for origin in ({"Origin": FIREFOX}, {}):
        assert server.call("POST", "/v1/pair", b"", origin).status == 404
        assert server.call("POST", "/v1/pair", b"", origin, token=None).status == 401


def nonce() -> str:
    import base64
    import secrets

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def challenge(running, sent_nonce, headers=None, **kwargs):
    body = json.dumps({"nonce": sent_nonce}).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    return running.call("POST", "/v1/challenge", body, sent, token=None, **kwargs)


def expected_proof(token: str, sent_nonce: str, address: str) -> str:
    # Written out here, not imported: the extension computes the same with WebCrypto.
    message = f"redactor-daemon-v1|{sent_nonce}|{address}".encode()
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def test_challenge_proves_the_token_bound_to_the_daemons_address(server):
    sent = nonce()
    reply = challenge(server, sent, {"Origin": EXTENSION})
    assert reply.status == 200, reply.body
    assert reply.header("Access-Control-Allow-Origin") == EXTENSION
    assert reply.header("Cache-Control") == "no-store"
    proof = reply.json()["proof"]
    assert proof == expected_proof(TOKEN, sent, f"127.0.0.1:{server.port}")
    # Bound to this nonce, this token and this address: a relay on another port, or a daemon
    # holding another token, gives a different answer; the token itself is not in it.
    assert proof != expected_proof(TOKEN, sent, f"127.0.0.1:{server.port + 1}")
    assert proof != expected_proof(TOKEN, sent, f"[::1]:{server.port}")
    assert proof != expected_proof("another-token-0123456789-abcdefghijklmnopq", sent,
                                   f"127.0.0.1:{server.port}")  # fmt: skip
    assert challenge(server, nonce()).json()["proof"] != proof
    assert TOKEN not in reply.body.decode()


def test_challenge_over_ipv6_is_bound_to_the_ipv6_address(shared_redactor, tmp_path):
    import http.client

    if not socket.has_ipv6:
        pytest.fail("this machine has no IPv6 loopback; the test needs one")
    running = start_server(shared_redactor, tmp_path, host="::1")
    try:
        sent = nonce()
        connection = http.client.HTTPConnection("::1", running.port, timeout=30)
        connection.request("POST", "/v1/challenge", json.dumps({"nonce": sent}),
                           {"Host": f"[::1]:{running.port}"})  # fmt: skip
        reply = connection.getresponse()
        assert reply.status == 200
        assert json.load(reply)["proof"] == expected_proof(TOKEN, sent, f"[::1]:{running.port}")
        connection.close()
    finally:
        running.stop()


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1]", b'{"nonce": 5}', b'{"nonce": "short"}', b'{"other": 1}',
     json.dumps({"nonce": "A" * 42 + "="}).encode(), json.dumps({"nonce": "A" * 44}).encode(),
     json.dumps({"nonce": "+" * 43}).encode(), b'{"nonce": "' + b"A" * 2000 + b'"}'],
)  # fmt: skip
def test_a_bad_nonce_is_400(server, body):
    reply = server.call("POST", "/v1/challenge", body, {"Content-Type": "application/json"},
                        token=None)  # fmt: skip
    assert reply.status in (400, 413), reply.status
    assert reply.json()["error"] in ("bad_nonce", "body_too_large")
    assert "proof" not in reply.json()


def test_token_file_is_created_0600_and_works(shared_redactor, tmp_path, images):
    running = start_server(shared_redactor, tmp_path, token=None, extension_ids=("a" * 32,))
    try:
        path = tmp_path / "cfg" / TOKEN_FILE
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        token = path.read_text().strip()
        assert token != TOKEN and len(token) >= 40
        assert running.call("GET", "/v1/attributes", token=token).status == 200
        assert running.call("GET", "/v1/attributes", token=TOKEN).status == 401
        # --extension-id adds a development origin, which needs the token like everyone.
        dev_origin = {"Origin": "chrome-extension://" + "a" * 32}
        assert running.call("GET", "/v1/attributes", headers=dev_origin, token=token).status == 200
        assert running.call("GET", "/v1/attributes", headers=dev_origin, token=None).status == 401
    finally:
        running.stop()


def test_logs_hold_no_query_strings_image_bytes_or_tokens(server, images, caplog):
    caplog.set_level(logging.DEBUG)
    marker = "QUERYMARKER7"
    server.redact(images.astronaut_jpeg, f"?hide=face&mode=blur&note={marker}")
    server.call("POST", f"/v1/analyze?hide=face&x={marker}", images.astronaut_jpeg,
                {"Content-Type": "image/jpeg"})  # fmt: skip
    server.call("GET", f"/v1/nowhere/{marker}?{marker}=1")
    server.redact(b"not an image at all " + marker.encode(), f"?{marker}")
    server.redact(images.astronaut_jpeg, f"?hide={marker}")  # an unknown name: error message
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        # A malformed request line: aiohttp's own error log must not quote it.
        raw.sendall(f"GET /v1/health?{marker}=\x01 HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode())
        assert b" 400 " in raw.recv(1000).split(b"\r\n", 1)[0]
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "POST /v1/redact 200" in text and "POST /v1/analyze 200" in text  # logging works
    assert "GET - 404" in text  # an unknown path is not echoed
    assert "hide=" not in text and "?" not in text
    assert marker not in text
    assert TOKEN not in text
    assert "JFIF" not in text and "\\xff\\xd8" not in text


def test_recognised_text_reaches_neither_replies_nor_logs(server, caplog):
    """OCR reads the card's names; the report, the summary and the logs must not carry them."""
    import io
    import json as json_module

    from PIL import Image

    caplog.set_level(logging.DEBUG)
    crop = (360, 150, 900, 440)  # the names and the date of birth: keeps OCR short
    truth = json_module.loads((SAMPLES / "id_card.json").read_text())
    words = [
        item["text"] for item in truth["items"]
        if item["kind"] != "plain" and crop[0] <= item["box"][0] and item["box"][2] <= crop[2]
        and crop[1] <= item["box"][1] and item["box"][3] <= crop[3]
    ]  # fmt: skip
    assert len(words) >= 3
    buffer = io.BytesIO()
    Image.open(SAMPLES / "id_card.png").crop(crop).save(buffer, format="PNG")
    data = buffer.getvalue()
    analyzed = server.call("POST", "/v1/analyze?hide=text", data, {"Content-Type": "image/png"})
    assert analyzed.status == 200, analyzed.body[:300]
    regions = analyzed.json()["regions"]
    assert sum(r["kind"] == "text" for r in regions) >= len(words)  # OCR did read the card
    redacted = server.redact(data, "?hide=text", "image/png")
    assert redacted.status == 200
    assert json_module.loads(redacted.header("X-Redactor-Summary"))["hidden"] >= len(words)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for word in words:
        assert word not in analyzed.body.decode()
        assert word not in redacted.header("X-Redactor-Summary")
        assert word not in logged
