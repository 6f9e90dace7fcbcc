"""End to end: headless Chromium with the unpacked extension, the real daemon with the real
pipeline, and a web site on another port whose page uploads what it is given. What the site's
server receives is what the page could send: it must be the redacted image, never the original.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.extension import harness

pytestmark = pytest.mark.browser


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_face_hidden(received: bytes, original: bytes) -> None:
    assert sha256(received) != sha256(original), "the page received the original bytes"
    assert harness.faces_in(original), "the sample must show a face the detector finds"
    assert (
        harness.faces_left(received, original) == []
    ), "a face is still visible in what the page received"


def assert_page_never_saw(page: Any, original: bytes) -> None:
    """Every file the page's own listeners saw came from the extension's replayed events and none
    had the original's size."""
    seen = [entry for entry in page.evaluate("window.seen") if entry["files"]]
    assert seen, "the page's listeners saw no file at all"
    for entry in seen:
        assert entry["trusted"] is False, entry  # the extension's replay, not the user's pick
        assert all(f["size"] != len(original) for f in entry["files"]), entry


def wait_for_notice(page: Any, kind: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown, text = harness.notice_of(page)
        if shown == kind:
            return text
        time.sleep(0.1)
    raise AssertionError(f"no {kind!r} notice; last seen: {harness.notice_of(page)}")


# ---- the extension itself ------------------------------------------------------------------------


def test_extension_id_is_the_one_the_daemon_pins(worker: Any) -> None:
    from redactor.server_security import EXTENSION_ID

    assert urlsplit(worker.url).hostname == harness.EXTENSION_ID == EXTENSION_ID


# ---- images are redacted before the page gets them -----------------------------------------------


def test_file_input_fetch_upload_receives_the_redacted_image(
    page: Any, site: harness.UploadSite, photo: Path
) -> None:
    original = photo.read_bytes()
    page.set_input_files("#fetch-file", str(photo))
    [upload] = site.wait_for(1, timeout=20)
    assert (upload.route, upload.kind) == ("fetch", "input")
    assert (upload.filename, upload.content_type) == (
        photo.name,
        "image/jpeg",
    )  # name and type kept
    assert_face_hidden(upload.data, original)
    assert_page_never_saw(page, original)
    assert wait_for_notice(page, "done").endswith("1 image redacted before upload. ×")


def test_form_submitted_while_pending_is_held_then_posted_with_the_redacted_image(
    page: Any, site: harness.UploadSite, photo: Path
) -> None:
    original = photo.read_bytes()
    page.set_input_files("#form-file", str(photo))
    # In the same turn of the page's event loop: how many files the input holds, then submit.
    files_at_submit = page.evaluate(
        """() => {
            const held = document.getElementById("form-file").files.length;
            document.getElementById("form-submit").click();
            return held;
        }"""
    )
    assert files_at_submit == 0  # pending: nothing can read the original
    [upload] = site.wait_for(1, timeout=20)
    assert (upload.route, upload.kind) == ("form", "button")  # replayed with its submitter
    assert upload.filename == photo.name
    assert_face_hidden(upload.data, original)


def test_drag_and_drop_receives_the_redacted_image(
    page: Any, site: harness.UploadSite, photo: Path
) -> None:
    original = photo.read_bytes()
    harness.drop_files(page, "#drop-zone", [photo])
    [upload] = site.wait_for(1, timeout=20)
    assert (upload.kind, upload.filename, upload.content_type) == ("drop", photo.name, "image/jpeg")
    assert_face_hidden(upload.data, original)
    assert_page_never_saw(page, original)


def test_pasted_image_is_redacted(page: Any, site: harness.UploadSite, photo: Path) -> None:
    png = harness.to_png(photo.read_bytes())
    harness.paste_image(page, png, "#paste-zone")
    [upload] = site.wait_for(1, timeout=20)
    assert (upload.kind, upload.content_type) == ("paste", "image/png")
    assert_face_hidden(upload.data, png)
    pastes = [e for e in page.evaluate("window.seen") if e["kind"] == "paste"]
    assert [e["trusted"] for e in pastes] == [False]  # only the extension's replay reached the page


def test_detached_input_and_input_added_later_in_a_shadow_root(
    page: Any, site: harness.UploadSite, photo: Path
) -> None:
    original = photo.read_bytes()
    with page.expect_file_chooser() as chooser:
        page.click("#detached")  # the page clicks an input that is not in the document
    chooser.value.set_files(str(photo))
    page.locator("#shadow-file").set_input_files(str(photo))
    uploads = site.wait_for(2, timeout=20)
    assert sorted(u.kind for u in uploads) == ["detached", "shadow"]
    for upload in uploads:
        assert_face_hidden(upload.data, original)
    assert_page_never_saw(page, original)


# ---- what must pass untouched --------------------------------------------------------------------


def test_non_image_file_passes_unchanged(
    page: Any, site: harness.UploadSite, photo: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"not an image\n" * 100)
    page.set_input_files("#fetch-file", [str(notes)])
    [upload] = site.wait_for(1, timeout=20)
    assert (upload.filename, upload.data) == ("notes.txt", notes.read_bytes())
    [seen] = [e for e in page.evaluate("window.seen") if e["kind"] == "fetch-file"]
    assert seen["trusted"] is True  # the user's own event, not a replay

    # Mixed with an image: the image is redacted, the text file is the same bytes, order kept.
    site.clear()
    page.set_input_files("#fetch-file", [str(notes), str(photo)])
    text, image = site.wait_for(2, timeout=20)
    assert (text.filename, text.data) == ("notes.txt", notes.read_bytes())
    assert image.filename == photo.name
    assert_face_hidden(image.data, photo.read_bytes())


def test_without_the_extension_the_page_receives_the_original(
    playwright: Any, site: harness.UploadSite, photo: Path, tmp_path: Path
) -> None:
    """Negative control: the same page and upload in a browser without the extension."""
    site.clear()
    context = harness.launch(playwright, tmp_path / "plain-profile", extension=None)
    try:
        page = context.new_page()
        page.goto(site.url)
        page.set_input_files("#fetch-file", str(photo))
        [upload] = site.wait_for(1, timeout=20)
    finally:
        context.close()
    assert upload.data == photo.read_bytes()
    assert harness.faces_in(upload.data)


# ---- fail closed ---------------------------------------------------------------------------------


def test_daemon_stopped_blocks_the_upload_and_says_why(
    page: Any, site: harness.UploadSite, photo: Path, worker: Any, stopped_daemon_url: str
) -> None:
    harness.configure(worker, daemonUrl=stopped_daemon_url)
    page.set_input_files("#fetch-file", str(photo))
    text = wait_for_notice(page, "error")
    assert "Upload blocked" in text and "not running" in text and "redact serve" in text
    page.set_input_files("#form-file", str(photo))
    page.click("#form-submit")  # held, and never sent: its file could not be redacted
    time.sleep(1.0)
    assert site.wait_for(1, timeout=0.5) == []
    assert page.evaluate("document.getElementById('fetch-file').files.length") == 0
    assert page.evaluate("document.getElementById('form-file').files.length") == 0
    assert urlsplit(page.url).path == "/"  # the form did not navigate away


@pytest.mark.parametrize(
    ("settings_change", "expected"),
    [
        ({"hide": ["face", "nudity"]}, "nudity"),  # uncovered: nudity needs a PrivObfNet model
    ],
    ids=["uncovered-attribute"],  # a wrong token: tests/extension/test_daemon_auth.py
)
def test_a_daemon_refusal_blocks_the_upload_and_says_why(
    page: Any,
    site: harness.UploadSite,
    photo: Path,
    worker: Any,
    settings_change: dict[str, Any],
    expected: str,
) -> None:
    harness.configure(worker, **settings_change)
    page.set_input_files("#fetch-file", str(photo))
    text = wait_for_notice(page, "error")
    assert "Upload blocked" in text and expected in text.lower()
    assert site.wait_for(1, timeout=0.5) == []


def test_a_daemon_that_does_not_answer_blocks_after_the_time_limit(
    page: Any, site: harness.UploadSite, photo: Path, worker: Any, silent_port: int
) -> None:
    harness.configure(worker, daemonUrl=f"http://127.0.0.1:{silent_port}", timeoutSeconds=1)
    started = time.monotonic()
    page.set_input_files("#fetch-file", str(photo))
    text = wait_for_notice(page, "error")
    assert 0.9 < time.monotonic() - started < 8
    assert "did not answer within 1 s" in text
    assert site.wait_for(1, timeout=0.5) == []


def test_site_allowed_originals_passes_the_original_with_a_warning(
    page: Any, site: harness.UploadSite, photo: Path, worker: Any, stopped_daemon_url: str
) -> None:
    harness.configure(worker, daemonUrl=stopped_daemon_url, allowOriginalSites=["127.0.0.1"])
    page.set_input_files("#fetch-file", str(photo))
    [upload] = site.wait_for(1, timeout=20)
    assert upload.data == photo.read_bytes()
    assert "Sent without redaction" in wait_for_notice(page, "warning")


# ---- the daemon answers the extension, never a web page ------------------------------------------


def test_a_web_pages_own_request_to_the_daemon_is_refused(
    page: Any, daemon: harness.Daemon
) -> None:
    before = len(daemon.access.lines)
    outcome = page.evaluate(
        """async url => {
            const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
            const attempts = {
                attributes: () => fetch(url + "/v1/attributes"),
                redact: () => fetch(url + "/v1/redact?hide=face",
                                    {method: "POST", headers: {"Content-Type": "image/jpeg"}, body: jpeg}),
                no_cors: () => fetch(url + "/v1/redact", {method: "POST", mode: "no-cors", body: "x"}),
            };
            const out = {};
            for (const [name, attempt] of Object.entries(attempts)) {
                try { const r = await attempt(); out[name] = r.type === "opaque" ? "opaque" : r.status; }
                catch (e) { out[name] = "blocked"; }
            }
            return out;
        }""",
        daemon.url,
    )
    assert outcome == {"attributes": "blocked", "redact": "blocked", "no_cors": "opaque"}
    # The daemon's own access log: it refused each request (the image POST never got past its
    # preflight).
    lines = [line.split()[:3] for line in daemon.access.lines[before:]]
    assert lines == [
        ["GET", "/v1/attributes", "403"],
        ["OPTIONS", "-", "403"],  # the preflight of the image POST (no route answers OPTIONS)
        ["POST", "/v1/redact", "403"],  # the no-cors POST
    ]


# ---- options page and popup ----------------------------------------------------------------------


def test_options_page_sets_the_daemon_token_hiding_and_sites(
    browser: Any,
    settings: dict[str, Any],
    worker: Any,
    daemon: harness.Daemon,
    site: harness.UploadSite,
    photo: Path,
) -> None:
    options = browser.new_page()
    try:
        options.goto(f"chrome-extension://{harness.EXTENSION_ID}/options.html")
        options.wait_for_selector("body[data-ready=true]")
        assert options.text_content("#daemon-status").startswith("Running: redactor")
        assert options.is_checked('input[name=hide][value="face"]')
        assert not options.is_checked("#use-defaults")

        options.select_option("#mode", "pixelate")
        options.fill("#disabled-sites", "Example.com\nhttps://www.example.org/path")
        options.click("#save")
        options.wait_for_selector("#save-status.ok")
        stored = worker.evaluate("() => chrome.storage.local.get(null)")
        assert stored["mode"] == "pixelate" and stored["hide"] == ["face"]
        assert stored["disabledSites"] == ["example.com", "www.example.org"]

        options.fill("#daemon-url", "http://example.com:8765")
        options.click("#save")
        options.wait_for_selector("#save-status.bad")
        assert "this machine" in options.text_content("#save-status")
        # "localhost" may resolve to [::1], where another user's program can listen: the
        # literal 127.0.0.1 is stored instead.
        options.fill("#daemon-url", f"http://localhost:{daemon.port}")
        options.click("#save")
        options.wait_for_selector("#save-status.ok")
        assert worker.evaluate("() => chrome.storage.local.get('daemonUrl')")["daemonUrl"] == (
            daemon.url
        )
        assert options.input_value("#daemon-url") == daemon.url

        # A pasted token is kept only once the daemon proves it holds the same.
        options.fill("#token", "not-the-token-not-the-token-not-the-token")
        options.click("#verify-token")
        options.wait_for_selector("#token-status.bad")
        assert "could not be verified" in options.text_content("#token-status")
        assert worker.evaluate("() => chrome.storage.local.get('token')")["token"] == daemon.token
        options.fill("#token", daemon.token)
        options.click("#verify-token")
        options.wait_for_selector("#token-status.ok")
        assert worker.evaluate("() => chrome.storage.local.get('token')")["token"] == daemon.token
    finally:
        options.close()

    # The saved choices are what the daemon is asked for: pixelated, with the token.
    site.clear()
    page = browser.new_page()
    try:
        page.goto(site.url)
        page.set_input_files("#fetch-file", str(photo))
        [upload] = site.wait_for(1, timeout=20)
    finally:
        page.close()
    assert_face_hidden(upload.data, photo.read_bytes())


def test_popup_shows_daemon_and_count_and_switches_the_site_off(
    browser: Any, page: Any, worker: Any, site: harness.UploadSite, photo: Path
) -> None:
    page.set_input_files("#fetch-file", str(photo))
    site.wait_for(1, timeout=20)
    [tab_id] = worker.evaluate(
        "url => chrome.tabs.query({url}).then(t => t.map(x => x.id))", page.url
    )
    popup = browser.new_page()
    try:
        popup.goto(f"chrome-extension://{harness.EXTENSION_ID}/popup.html?tab={tab_id}")
        popup.wait_for_selector("body[data-ready=true]")
        assert popup.get_attribute("#daemon-status", "data-state") == "ready"
        assert popup.text_content("#count") == "1"
        assert popup.text_content("#site-host") == "127.0.0.1"
        assert popup.is_checked("#site-enabled")
        popup.uncheck("#site-enabled")
        deadline = time.monotonic() + 5
        while worker.evaluate("() => chrome.storage.local.get('disabledSites')")[
            "disabledSites"
        ] != ["127.0.0.1"]:
            assert time.monotonic() < deadline, "the switch did not store the site"
            time.sleep(0.05)
    finally:
        popup.close()

    # Off on this site: the page gets what the user picked, unchanged.
    site.clear()
    page.reload()
    page.set_input_files("#fetch-file", str(photo))
    [upload] = site.wait_for(1, timeout=20)
    assert upload.data == photo.read_bytes()
