"""Who may use the daemon: token, Origin, Host, CORS, pairing, the token file, and the logs."""

from __future__ import annotations

import logging
import os
import socket
import stat

import pytest

from redactor.config_dir import TOKEN_FILE, PairedOrigins
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
    basic = server.call("GET", "/v1/attributes", headers={"Authorization": "Basic dXNlcjpwYXNz"},
                        token=None)
    assert basic.status == 401
    assert server.call("GET", "/v1/attributes").status == 200  # the right token


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://127.0.0.1:8080", "null",
     "chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", FIREFOX],
)  # fmt: skip
def test_foreign_origin_is_403_without_cors_even_with_the_token(server, images, origin):
    reply = server.redact(images.astronaut_jpeg, "?hide=face", headers={"Origin": origin})
    assert reply.status == 403
    assert reply.json()["error"] == "forbidden_origin"
    assert cors_headers(reply) == {}
    health = server.call("GET", "/v1/health", headers={"Origin": origin}, token=None)
    assert health.status == 403 and cors_headers(health) == {}
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


def test_an_extension_page_get_without_origin_reads_only_the_attributes(server, images):
    """Chromium sends no Origin on an extension page's GET: /v1/attributes (nothing private)
    is readable then; nothing else is, and a page's request (cross-site) never."""
    browser = {"Sec-Fetch-Site": "none"}
    assert server.call("GET", "/v1/attributes", headers=browser, token=None).status == 200
    refused = server.redact(images.astronaut_jpeg, "?hide=face", headers=browser, token=None)
    assert refused.status == 401
    assert server.call("GET", "/v1/attributes", token=None).status == 401  # curl: no such header


def test_the_pinned_extension_needs_no_token_and_gets_cors(server, images):
    reply = server.redact(images.astronaut_jpeg, "?hide=face", headers={"Origin": EXTENSION},
                          token=None)  # fmt: skip
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
    # A wrong token is refused even from the extension, with CORS so it can read why.
    wrong = server.call("GET", "/v1/attributes", headers={"Origin": EXTENSION}, token="wrong")
    assert wrong.status == 401 and wrong.header("Access-Control-Allow-Origin") == EXTENSION


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


def test_pairing_registers_a_firefox_origin_with_the_token(server, images, tmp_path):
    unpaired = server.redact(images.astronaut_jpeg, headers={"Origin": FIREFOX}, token=None)
    assert unpaired.status == 403
    assert server.call("POST", "/v1/pair", b"", {"Origin": FIREFOX}, token=None).status == 401
    wrong = server.call("POST", "/v1/pair", b"", {"Origin": FIREFOX}, token="guess")
    assert wrong.status == 401
    assert server.call("POST", "/v1/pair", b"", {"Origin": "https://evil.example"}).status == 403
    assert server.call("POST", "/v1/pair", b"").status == 400  # a local tool has nothing to pair
    paired = server.call("POST", "/v1/pair", b"", {"Origin": FIREFOX})
    assert paired.status == 200 and paired.json() == {"paired": True, "origin": FIREFOX}
    assert paired.header("Access-Control-Allow-Origin") == FIREFOX
    reply = server.redact(images.astronaut_jpeg, "?hide=face", headers={"Origin": FIREFOX},
                          token=None)  # fmt: skip
    assert reply.status == 200 and reply.header("Access-Control-Allow-Origin") == FIREFOX
    # Persisted in the config dir, privately.
    config_dir = server.daemon.config.config_dir
    assert FIREFOX in PairedOrigins(config_dir)
    assert stat.S_IMODE(os.stat(config_dir / "paired-origins.json").st_mode) == 0o600


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
        # --extension-id adds a trusted development origin.
        dev_origin = {"Origin": "chrome-extension://" + "a" * 32}
        dev = running.call("GET", "/v1/attributes", headers=dev_origin, token=None)
        assert dev.status == 200
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
