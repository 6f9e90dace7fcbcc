"""The extension's files without a browser: the manifest pins the id the daemon trusts, every
file it names exists, Chromium can load the folder, the Firefox build, `redact extension`."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from redactor import browser_extension
from redactor.cli import app
from tests.extension.harness import EXTENSION_DIR

MANIFEST = json.loads((EXTENSION_DIR / "manifest.json").read_text())


def chromium_id(public_key_b64: str) -> str:
    """Chromium's extension id: the first 128 bits of SHA-256 of the DER public key, as a-p."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def test_manifest_key_gives_the_id_the_daemon_pins() -> None:
    from redactor.server_security import EXTENSION_ID

    assert chromium_id(MANIFEST["key"]) == EXTENSION_ID == browser_extension.EXTENSION_ID


def test_manifest_is_mv3_with_content_scripts_in_all_frames_at_document_start() -> None:
    assert MANIFEST["manifest_version"] == 3
    assert MANIFEST["background"] == {"service_worker": "service_worker.js"}
    for script in MANIFEST["content_scripts"]:
        assert script["matches"] == ["<all_urls>"]
        assert script["run_at"] == "document_start" and script["all_frames"] is True
    # Only literal loopback: the extension can reach the daemon and nothing else ("localhost"
    # may resolve to [::1], where another user's program can listen; [::1] only when asked).
    assert MANIFEST["host_permissions"] == ["http://127.0.0.1/*"]
    assert MANIFEST["optional_host_permissions"] == ["http://[::1]/*"]
    # nativeMessaging: the token comes from `redact native-host`.
    assert MANIFEST["permissions"] == ["storage", "nativeMessaging"]


def test_every_file_the_extension_names_exists() -> None:
    named = {MANIFEST["background"]["service_worker"], MANIFEST["options_ui"]["page"],
             MANIFEST["action"]["default_popup"], *MANIFEST["icons"].values(),
             *MANIFEST["action"]["default_icon"].values()}  # fmt: skip
    for script in MANIFEST["content_scripts"]:
        named.update(script["js"])
    named.update(browser_extension.BACKGROUND_SCRIPTS)  # importScripts() in the service worker
    for page in ("options.html", "popup.html"):
        html = (EXTENSION_DIR / page).read_text()
        named.update(re.findall(r'(?:src|href)="([^"#:]+)"', html))
    missing = sorted(name for name in named if not (EXTENSION_DIR / name).is_file())
    assert missing == []


def test_the_folder_loads_in_chromium() -> None:
    # Chromium refuses an unpacked extension holding any name that starts with "_"
    # (a stray __pycache__ would do it).
    reserved = [p for p in EXTENSION_DIR.rglob("_*") if "dist" not in p.parts]
    assert reserved == []


def test_nothing_in_the_extension_logs_or_stores_image_data() -> None:
    sources = {p.name: p.read_text() for p in EXTENSION_DIR.glob("*.js")}
    for name, source in sources.items():
        assert "console." not in source, f"{name} logs"
        assert "localStorage" not in source and "indexedDB" not in source, f"{name} stores"
        assert "caches." not in source and "downloads" not in source, f"{name} stores"


def test_firefox_build(tmp_path: Path) -> None:
    out = browser_extension.build_firefox(tmp_path / "firefox")
    manifest = json.loads((out / "manifest.json").read_text())
    assert "key" not in manifest
    assert manifest["background"] == {"scripts": list(browser_extension.BACKGROUND_SCRIPTS)}
    assert manifest["browser_specific_settings"]["gecko"]["id"] == browser_extension.FIREFOX_ID
    # Firefox gets the token through the same native host, which names this add-on id.
    from redactor.native_host import host_manifest

    assert "nativeMessaging" in manifest["permissions"]
    allowed = host_manifest("firefox", Path("/x/native-host"))["allowed_extensions"]
    assert allowed == [manifest["browser_specific_settings"]["gecko"]["id"]]
    assert manifest["content_scripts"] == MANIFEST["content_scripts"]
    shipped = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    sources = {
        p.relative_to(EXTENSION_DIR).as_posix()
        for p in EXTENSION_DIR.rglob("*")
        if p.is_file() and p.relative_to(EXTENSION_DIR).parts[0] not in ("docs", "dist")
    }
    assert shipped == sources
    for name in sources - {"manifest.json"}:
        assert (out / name).read_bytes() == (EXTENSION_DIR / name).read_bytes()
    # Building again replaces the old build; a folder that is not a build is left alone.
    (out / "stale.js").write_text("old")
    browser_extension.build_firefox(out)
    assert not (out / "stale.js").exists()
    stranger = tmp_path / "photos"
    stranger.mkdir()
    (stranger / "me.jpg").write_bytes(b"\xff\xd8")
    result = CliRunner().invoke(app, ["extension", "--firefox", str(stranger)])
    assert result.exit_code == 2 and "not an extension build" in result.output
    assert (stranger / "me.jpg").exists()


def test_redact_extension_prints_the_folder_and_the_steps(tmp_path: Path) -> None:
    runner = CliRunner()
    path_only = runner.invoke(app, ["extension", "--path"])
    assert path_only.exit_code == 0
    assert Path(path_only.output.strip()) == EXTENSION_DIR
    steps = runner.invoke(app, ["extension"])
    assert steps.exit_code == 0
    expected_lines = (
        *("chrome://extensions", "Load unpacked", str(EXTENSION_DIR), "redact serve"),
        *(browser_extension.EXTENSION_ID, "about:debugging", "--show-token"),
        "--install-native-host",
    )
    for expected in expected_lines:
        assert expected in steps.output
    built = runner.invoke(app, ["extension", "--firefox", str(tmp_path / "ff")])
    assert built.exit_code == 0 and (tmp_path / "ff" / "manifest.json").is_file()
    assert f"The Firefox copy is at: {tmp_path / 'ff'}" in built.output
