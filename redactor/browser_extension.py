"""Where the browser extension's sources are, how to load them, and the Firefox build.

The sources in `extension/` are the Chromium build (Manifest V3 with a `key`, so the extension id
is fixed and the daemon can pin it). Firefox takes the same files with a different manifest: a
background page listing the scripts instead of a service worker, a gecko id instead of the key.
Both get the daemon's token the same way: from `redact native-host` (native messaging, see
redactor/native_host.py), or pasted in the options page.

An installed wheel carries the same files as the package `redactor.extension_files` (setup.py
maps `extension/` there), so `redact extension` works after `pip install` as in a checkout.
"""

from __future__ import annotations

import json
import shutil
import zipfile
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
    """The unpacked extension: inside the installed package (a wheel), else the checkout's
    `extension/` (an editable install or PYTHONPATH)."""
    package = Path(__file__).resolve().parent
    places = (package / "extension_files", package.parent / "extension")
    for folder in places:
        if (folder / "manifest.json").is_file():
            return folder
    raise ExtensionNotFoundError(
        f"the browser extension's files are not in this install (looked in {places[0]} and "
        f"{places[1]}); reinstall redactor from its wheel or a checkout"
    )


def _shipped_files(folder: Path) -> list[Path]:
    """The files a build carries, sorted (so a zip's order does not depend on the disk)."""
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and path.relative_to(folder).parts[0] not in NOT_SHIPPED
        and "__pycache__" not in path.parts and path.name != "__init__.py"
    )  # fmt: skip


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
    for path in _shipped_files(source):
        name = path.relative_to(source)
        if name.as_posix() != "manifest.json":
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out / name)
    text = json.dumps(firefox_manifest(manifest), indent=2) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    return out


def _write_zip(out: Path, files: dict[str, bytes]) -> None:
    """A zip with fixed timestamps (the same sources give the same bytes), written beside `out`
    and renamed over it, so a failed write leaves no half zip."""
    partial = out.with_name(out.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def pack_zips(out_dir: Path, source: Path | None = None) -> tuple[Path, Path]:
    """Writes the Chromium zip and the Firefox zip (an unsigned .xpi) of the extension into
    `out_dir`; returns their paths. Each holds manifest.json at its root."""
    from redactor import __version__

    source = source or extension_dir()
    out_dir = Path(out_dir)
    if out_dir.resolve() == source.resolve() or source.resolve() in out_dir.resolve().parents:
        raise RedactorError("pack the extension into a folder outside its sources")
    files = {p.relative_to(source).as_posix(): p.read_bytes() for p in _shipped_files(source)}
    manifest = json.loads(files["manifest.json"])
    firefox = dict(files)
    firefox["manifest.json"] = (json.dumps(firefox_manifest(manifest), indent=2) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    chromium_zip = out_dir / f"redactor-extension-{__version__}-chromium.zip"
    firefox_zip = out_dir / f"redactor-extension-{__version__}-firefox.zip"
    _write_zip(chromium_zip, files)
    _write_zip(firefox_zip, firefox)
    return chromium_zip, firefox_zip


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
