"""The extension's files without a browser: the manifest pins the id the daemon trusts, every
file it names exists, Chromium can load the folder, the Firefox build, `redact extension`, the
zips of `redact extension --pack`, and the copy the wheel ships (what a `pip install` user gets)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from redactor import browser_extension
from redactor.cli import app
from tests.extension import harness
from tests.extension.harness import EXTENSION_DIR, REPO

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


def names_in(files: dict[str, bytes]) -> set[str]:
    """Every file an extension's manifest and pages name (`files`: its files by path)."""
    manifest = json.loads(files["manifest.json"])
    named = {manifest["options_ui"]["page"], manifest["action"]["default_popup"],
             *manifest["icons"].values(), *manifest["action"]["default_icon"].values()}  # fmt: skip
    background = manifest["background"]  # Chromium: a service worker; Firefox: scripts
    named.update(background.get("scripts", [background.get("service_worker")]))
    for script in manifest["content_scripts"]:
        named.update(script["js"])
    named.update(browser_extension.BACKGROUND_SCRIPTS)  # importScripts() in the service worker
    for page in ("options.html", "popup.html"):
        named.update(re.findall(r'(?:src|href)="([^"#:]+)"', files[page].decode()))
    return named


def source_files() -> dict[str, bytes]:
    """The extension's sources as a build ships them (not its docs/ screenshots)."""
    return {
        p.relative_to(EXTENSION_DIR).as_posix(): p.read_bytes()
        for p in EXTENSION_DIR.rglob("*")
        if p.is_file() and p.relative_to(EXTENSION_DIR).parts[0] not in ("docs", "dist")
    }


def test_every_file_the_extension_names_exists() -> None:
    assert MANIFEST["background"]["service_worker"] == "service_worker.js"
    missing = sorted(name for name in names_in(source_files())
                     if not (EXTENSION_DIR / name).is_file())  # fmt: skip
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


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def test_pack_writes_a_chromium_zip_and_a_firefox_zip(tmp_path: Path) -> None:
    before = source_files()
    out = tmp_path / "packed"
    result = CliRunner().invoke(app, ["extension", "--pack", str(out)])
    assert result.exit_code == 0, result.output
    chromium_zip, firefox_zip = (Path(line) for line in result.output.split())
    assert chromium_zip.parent == firefox_zip.parent == out
    assert "chromium" in chromium_zip.name and "firefox" in firefox_zip.name
    # Chromium: the sources as they are, manifest.json at the root (the store's layout), the key
    # that gives the id the daemon trusts; nothing a browser would refuse ("_" names).
    chromium = zip_files(chromium_zip)
    assert chromium == before
    key = json.loads(chromium["manifest.json"])["key"]
    assert chromium_id(key) == browser_extension.EXTENSION_ID
    assert not [name for name in chromium if name.startswith("_") or "/_" in name]
    assert names_in(chromium) <= set(chromium)
    # Firefox: the same files with Firefox's manifest, which names everything it needs.
    firefox = zip_files(firefox_zip)
    assert set(firefox) == set(before)
    assert json.loads(firefox["manifest.json"]) == browser_extension.firefox_manifest(MANIFEST)
    assert {k: v for k, v in firefox.items() if k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }
    assert names_in(firefox) <= set(firefox)
    # The same sources give the same bytes; the sources are untouched.
    first = chromium_zip.read_bytes(), firefox_zip.read_bytes()
    again = CliRunner().invoke(app, ["extension", "--pack", str(out)])
    assert again.exit_code == 0
    assert (chromium_zip.read_bytes(), firefox_zip.read_bytes()) == first
    assert sorted(p.name for p in out.iterdir()) == sorted([chromium_zip.name, firefox_zip.name])
    assert source_files() == before


def test_pack_refuses_the_sources_folder_and_other_options(tmp_path: Path) -> None:
    before = source_files()
    inside = CliRunner().invoke(app, ["extension", "--pack", str(EXTENSION_DIR / "packed")])
    assert inside.exit_code == 2 and "outside its sources" in inside.output
    assert not (EXTENSION_DIR / "packed").exists() and source_files() == before
    mixed = CliRunner().invoke(app, ["extension", "--pack", str(tmp_path), "--path"])
    assert mixed.exit_code == 2 and "--pack" in mixed.output
    assert list(tmp_path.iterdir()) == []
    # A file where the folder should be: one line, exit 2.
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    blocked = CliRunner().invoke(app, ["extension", "--pack", str(blocker)])
    assert blocked.exit_code == 2 and "cannot write" in blocked.output
    assert blocker.read_text() == "not a folder"


def test_an_install_without_the_extension_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_extension, "__file__", str(tmp_path / "redactor" / "x.py"))
    with pytest.raises(browser_extension.ExtensionNotFoundError, match="not in this install"):
        browser_extension.extension_dir()
    result = CliRunner().invoke(app, ["extension", "--path"])
    assert result.exit_code == 2 and "not in this install" in result.output


@pytest.mark.browser
def test_the_packed_chromium_zip_loads_with_the_pinned_id(playwright: Any, tmp_path: Path) -> None:
    chromium_zip, _ = browser_extension.pack_zips(tmp_path / "packed")
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(chromium_zip).extractall(unpacked)
    context = harness.launch(playwright, tmp_path / "profile", extension=unpacked)
    try:
        worker = harness.extension_worker(context)
        extension_id = browser_extension.EXTENSION_ID
        assert worker.url == f"chrome-extension://{extension_id}/service_worker.js"
        # Every script the worker imports loaded from the zip's files.
        loaded = worker.evaluate(
            "() => [typeof RedactorSettings, typeof RedactorBytes, typeof RedactorDaemon]"
        )
        assert loaded == ["object", "object", "object"]
    finally:
        context.close()


def build_wheel(tmp_path: Path) -> Path:
    """The wheel `pip wheel .` builds, from a copy of the files git keeps (a build writes build/
    and *.egg-info into its source folder; the checkout stays as it is)."""
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listing, cwd=REPO, capture_output=True,
                             check=True).stdout.decode().split("\0")  # fmt: skip
    source = tmp_path / "source"
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
               "-q", "-w", str(tmp_path / "dist"), str(source)]  # fmt: skip
    built = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("redactor-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_ships_the_extension_and_finds_it_installed(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    prefix = "redactor/extension_files/"
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n[len(prefix):]: archive.read(n) for n in archive.namelist()
                   if n.startswith(prefix)}  # fmt: skip
        names = archive.namelist()
    assert shipped == source_files()
    assert not [n for n in names if n.startswith(("extension/", "tests/", "samples/"))]
    # Installed (the wheel unpacked as pip would, into a site folder of its own) and run from
    # elsewhere: `redact extension` finds the shipped copy and packs it.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = [sys.executable, "-m", "redactor.cli", "extension"]
    found = subprocess.run([*run, "--path"], cwd=work, env=env, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == site / "redactor" / "extension_files"
    packed = subprocess.run([*run, "--pack", str(work / "zips")], cwd=work, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert packed.returncode == 0, packed.stderr
    chromium_zip = Path(packed.stdout.split()[0])
    assert zip_files(chromium_zip) == source_files()
