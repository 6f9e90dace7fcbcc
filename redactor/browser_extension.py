"""Where the browser extension's sources are, how to load them, and the Firefox build.

The sources in `extension/` are the Chromium build (Manifest V3 with a `key`, so the extension id
is fixed and the daemon can pin it). Firefox takes the same files with a different manifest: a
background page listing the scripts instead of a service worker, a gecko id instead of the key.
Both get the daemon's token the same way: from `redact native-host` (native messaging, see
redactor/native_host.py), or pasted in the options page.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from redactor.errors import RedactorError

EXTENSION_ID = "amnechkijkfpakdllmdldalddlnhlfal"  # pinned by the manifest's `key`
FIREFOX_ID = "redactor@redactor.invalid"
FIREFOX_MIN_VERSION = "128.0"  # content scripts in the page's world ("world": "MAIN")
# Scripts the Chromium service worker loads with importScripts(), in order.
BACKGROUND_SCRIPTS = ("settings.js", "bytes.js", "daemon_client.js", "service_worker.js")
# Never copied into a build: repository-only material.
NOT_SHIPPED = ("docs", "dist")


class ExtensionNotFoundError(RedactorError):
    code = "extension_not_found"


def extension_dir() -> Path:
    """The unpacked extension (the repository's `extension/` folder)."""
    folder = Path(__file__).resolve().parent.parent / "extension"
    if not (folder / "manifest.json").is_file():
        raise ExtensionNotFoundError(
            f"the extension's sources are not at {folder}: this install has no `extension/` "
            "folder; use a checkout of the redactor repository (pip install -e .)"
        )
    return folder


def firefox_manifest(chromium_manifest: dict) -> dict:
    """The Chromium manifest turned into Firefox's: same permissions, scripts and pages."""
    manifest = {k: v for k, v in chromium_manifest.items()
                if k not in ("key", "minimum_chrome_version", "background")}  # fmt: skip
    manifest["background"] = {"scripts": list(BACKGROUND_SCRIPTS)}
    manifest["browser_specific_settings"] = {
        "gecko": {"id": FIREFOX_ID, "strict_min_version": FIREFOX_MIN_VERSION}
    }
    return manifest


def build_firefox(out: Path, source: Path | None = None) -> Path:
    """Writes the Firefox build of the extension to `out` (replacing what is there)."""
    source = source or extension_dir()
    out = Path(out)
    if out.resolve() == source.resolve():
        raise RedactorError("the Firefox build needs its own folder, not the sources' folder")
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    if out.exists():
        if not (out / "manifest.json").is_file():
            raise RedactorError(
                f"{out} exists and is not an extension build; choose another folder"
            )
        shutil.rmtree(out)
    ignore = shutil.ignore_patterns("manifest.json", "__pycache__", *NOT_SHIPPED)
    shutil.copytree(source, out, ignore=ignore)
    text = json.dumps(firefox_manifest(manifest), indent=2) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    return out


def install_steps(folder: Path, firefox_folder: Path | None = None) -> str:
    """What `redact extension` prints."""
    lines = [
        f"The redactor browser extension is at: {folder}",
        "",
        "Chrome, Edge, Brave and other Chromium browsers:",
        "  1. Open chrome://extensions (Edge: edge://extensions).",
        '  2. Turn on "Developer mode" (top right; Edge: left side).',
        f'  3. Click "Load unpacked" and choose {folder}',
        f"     The extension's id must read {EXTENSION_ID}.",
        "  4. Let it fetch the daemon's token by itself (once):",
        "     redact extension --install-native-host",
        "     (or paste the token that `redact serve --show-token` prints into its options).",
        "  5. Start the daemon in a terminal and leave it running: redact serve",
        "  6. Click the Redactor toolbar button (pin it from the puzzle-piece menu): it says",
        '     "Daemon running". Its Options set the daemon address, what to hide and how, and',
        "     sites where the extension is off.",
        "",
        "Firefox (128 or later):",
    ]
    if firefox_folder is None:
        lines.append("  1. Build the Firefox copy: redact extension --firefox DIR")
    else:
        lines.append(f"  1. The Firefox copy is at: {firefox_folder}")
    lines += [
        '  2. Open about:debugging, "This Firefox", "Load Temporary Add-on...", and choose the',
        "     manifest.json in that folder (or install it signed through your own channel).",
        '  3. about:addons > Redactor > Permissions: allow "Access your data for 127.0.0.1"',
        "     (the options page offers the same).",
        "  4. The token: redact extension --install-native-host --browser firefox (once), or paste",
        '     the token that `redact serve --show-token` prints in its options and click "Verify".',
        "",
        "When the daemon cannot redact an image (stopped, too slow, asked to hide something it",
        "cannot find), the upload is blocked and the page shows a short notice saying why.",
    ]
    return "\n".join(lines)
