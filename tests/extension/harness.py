"""What the extension's browser tests and its latency benchmark share: real servers on
127.0.0.1 (the daemon and a web site that receives uploads), Debian's Chromium with the unpacked
extension, and the project's face detector to tell whether a face was hidden.

Everything runs for real: the daemon is `redactor.server.create_app` with the real pipeline, the
site is an aiohttp app on another port (another origin), the browser is headless Chromium.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

REPO = Path(__file__).resolve().parents[2]
EXTENSION_DIR = REPO / "extension"
EXTENSION_ID = "amnechkijkfpakdllmdldalddlnhlfal"
CHROMIUM = Path("/usr/lib/chromium/chromium")
SAMPLE_PHOTO = REPO / "samples" / "astronaut.jpg"

T = TypeVar("T")


# ---- an asyncio loop in a thread, hosting aiohttp apps -------------------------------------------


class ServerLoop:
    """One event loop on a background thread; aiohttp apps start and stop on it while the test
    (sync Playwright) drives the browser from the main thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="servers", daemon=True)
        self.thread.start()

    def call(self, make: Callable[[], Awaitable[T]], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(_run(make), self.loop).result(timeout)

    def start(
        self, app: web.Application, port: int = 0, host: str = "127.0.0.1", **runner_options: Any
    ) -> tuple[web.AppRunner, int]:
        async def start() -> tuple[web.AppRunner, int]:
            options = {"access_log": None, "shutdown_timeout": 5, **runner_options}
            runner = web.AppRunner(app, **options)
            await runner.setup()
            site = web.TCPSite(runner, host, port)
            await site.start()
            return runner, runner.addresses[0][1]

        return self.call(start)

    def stop(self, runner: web.AppRunner) -> None:
        self.call(runner.cleanup)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _run(make: Callable[[], Awaitable[T]]) -> T:
    return await make()


# ---- the daemon ----------------------------------------------------------------------------------


class AccessRecords(logging.Handler):
    """Keeps the daemon's access-log lines ("METHOD /route STATUS ...") in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@dataclass
class Daemon:
    runner: web.AppRunner
    port: int
    token: str
    access: AccessRecords
    config_dir: Path  # its token and address: what `redact native-host` hands the extension

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_daemon(
    servers: ServerLoop,
    config_dir: Path,
    *,
    hide: tuple[str, ...] = ("face",),
    port: int = 0,
    ready_within: float = 120,
) -> Daemon:
    """The real daemon (real pipeline), on an ephemeral port unless told, ready to redact. Its
    token and address are in `config_dir`, where `redact serve` keeps them."""
    from redactor.config_dir import load_or_create_token
    from redactor.native_host import write_daemon_url
    from redactor.server import RouteAccessLogger, ServerConfig, create_app

    config = ServerConfig(host="127.0.0.1", port=0, hide=hide, config_dir=config_dir)
    token = load_or_create_token(config_dir)
    access = AccessRecords()
    access_log = logging.getLogger(f"tests.extension.daemon-access.{id(access)}")
    access_log.addHandler(access)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False
    runner, port = servers.start(
        create_app(config), port,
        access_log_class=RouteAccessLogger, access_log=access_log,
    )  # fmt: skip
    daemon = Daemon(runner, port, token, access, config_dir)
    write_daemon_url(config_dir, daemon.url)
    deadline = time.monotonic() + ready_within
    while True:
        health = get_json(f"{daemon.url}/v1/health", token)
        if health.get("ready"):
            return daemon
        if health.get("status") == "failed" or time.monotonic() > deadline:
            raise RuntimeError(f"the daemon did not get ready: {health}")
        time.sleep(0.1)


def get_json(url: str, token: str | None = None) -> dict[str, Any]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)


# ---- the web site that receives uploads ----------------------------------------------------------

PAGE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Upload test page</title>
<style>
  #drop-zone, #paste-zone { width: 320px; height: 120px; border: 2px dashed #888; margin: 8px; }
</style></head>
<body>
<h1>Upload test page</h1>
<!-- A classic form post. -->
<form id="classic" action="/upload/form" method="post" enctype="multipart/form-data">
  <input type="file" id="form-file" name="photo">
  <button type="submit" id="form-submit" name="via" value="button">Send</button>
</form>
<!-- A script upload: fetch(FormData) from the input's change listener. -->
<input type="file" id="fetch-file" multiple>
<div id="drop-zone">Drop an image here</div>
<div id="paste-zone" contenteditable="true">Paste an image here</div>
<button id="detached" type="button">Choose with a detached input</button>
<upload-widget id="widget"></upload-widget>
<script>
  // The page's own listeners, the first ones it can register: they record every file they see.
  window.seen = [];
  function record(kind, event, files) {
    window.seen.push({kind, trusted: event.isTrusted,
                      files: Array.from(files || []).map(f => ({name: f.name, type: f.type, size: f.size}))});
  }
  window.addEventListener("change", e => record("window-change", e, e.target.files), true);
  window.addEventListener("drop", e => record("window-drop", e, e.dataTransfer && e.dataTransfer.files), true);
  window.addEventListener("paste", e => record("window-paste", e, e.clipboardData && e.clipboardData.files), true);
  async function upload(kind, files) {
    const form = new FormData();
    form.append("kind", kind);
    for (const file of files) form.append("file", file, file.name);
    await fetch("/upload/fetch", {method: "POST", body: form});
  }
  document.getElementById("form-file").addEventListener("change", e => record("form-file", e, e.target.files));
  document.getElementById("fetch-file").addEventListener("change", e => {
    record("fetch-file", e, e.target.files);
    upload("input", e.target.files);
  });
  const zone = document.getElementById("drop-zone");
  zone.addEventListener("dragover", e => e.preventDefault());
  zone.addEventListener("drop", e => {
    e.preventDefault();
    record("drop", e, e.dataTransfer.files);
    upload("drop", e.dataTransfer.files);
  });
  document.addEventListener("paste", e => {
    const files = e.clipboardData.files;
    record("paste", e, files);
    if (files.length) { e.preventDefault(); upload("paste", files); }
  });
  document.getElementById("detached").addEventListener("click", () => {
    const input = document.createElement("input");   // never attached to the document
    input.type = "file";
    input.addEventListener("change", e => { record("detached", e, input.files); upload("detached", input.files); });
    input.click();
  });
  // An input added after load inside a shadow root: its "change" never leaves the shadow root.
  setTimeout(() => {
    const root = document.getElementById("widget").attachShadow({mode: "open"});
    root.innerHTML = '<input type="file" id="shadow-file">';
    const input = root.getElementById("shadow-file");
    input.addEventListener("change", e => { record("shadow", e, input.files); upload("shadow", input.files); });
  }, 100);
</script>
</body></html>
"""


@dataclass(frozen=True)
class Upload:
    route: str  # "fetch" or "form"
    kind: str  # what the page said it was uploading ("input", "drop", ...) or the form's button
    filename: str
    content_type: str
    data: bytes
    received_at: float  # time.perf_counter() once the whole body was read


class UploadSite:
    """A web site on its own port that serves PAGE_HTML and keeps every file posted to it."""

    def __init__(self) -> None:
        self.url = ""  # set once it listens
        self.uploads: list[Upload] = []
        self._changed = threading.Condition()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=200 * 2**20)
        app.router.add_get("/", self._page)
        app.router.add_post("/upload/fetch", self._receive)
        app.router.add_post("/upload/form", self._receive)
        return app

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE_HTML, content_type="text/html")

    async def _receive(self, request: web.Request) -> web.Response:
        route = request.path.rsplit("/", 1)[-1]
        fields: dict[str, str] = {}
        files: list[tuple[str, str, bytes]] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read()
            if part.filename is None:
                fields[part.name or ""] = data.decode()
            elif part.filename or data:  # an empty file input posts an empty nameless part
                files.append((part.filename, part.headers.get("Content-Type", ""), bytes(data)))
        kind = fields.get("kind") or fields.get("via") or ""
        received_at = time.perf_counter()
        with self._changed:
            for name, content_type, data in files:
                self.uploads.append(Upload(route, kind, name, content_type, data, received_at))
            self._changed.notify_all()
        return web.Response(text=f"received {len(files)} file(s)")

    def clear(self) -> None:
        with self._changed:
            self.uploads.clear()

    def wait_for(self, count: int, timeout: float) -> list[Upload]:
        """The first `count` uploads, waiting up to `timeout` seconds for them."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.uploads) >= count, timeout)
            return list(self.uploads)


# ---- the browser ---------------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def install_native_host(profile_dir: Path, daemon_config_dir: Path) -> None:
    """`redact extension --install-native-host` into a Chromium profile, for the daemon whose
    token and address are in `daemon_config_dir`: the extension then fetches the token itself."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "redactor.cli", "extension", "--install-native-host",
               "--browser", "chromium", "--profile", str(profile_dir),
               "--config-dir", str(daemon_config_dir)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=60, cwd=REPO)


def launch(
    playwright: Any,
    profile_dir: Path,
    *,
    extension: Path | None = EXTENSION_DIR,
    daemon: Daemon | None = None,
) -> Any:
    """Headless Chromium with a fresh profile, with the unpacked extension or without any;
    with `daemon`, the native host that gives the extension that daemon's token."""
    if daemon is not None:
        install_native_host(profile_dir, daemon.config_dir)
    args = list(CHROMIUM_FLAGS)
    if extension is not None:
        args[:0] = [f"--disable-extensions-except={extension}", f"--load-extension={extension}"]
    return playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=str(CHROMIUM),
        headless=True,
        args=args,
        viewport={"width": 900, "height": 700},
    )


def extension_worker(context: Any, timeout_ms: float = 15_000) -> Any:
    """The extension's service worker (its URL's host is the extension id)."""
    for worker in context.service_workers:
        if worker.url.startswith("chrome-extension://"):
            return worker
    return context.wait_for_event("serviceworker", timeout=timeout_ms)


def configure(worker: Any, **settings: Any) -> None:
    """Sets the extension's settings as the options page would (chrome.storage.local)."""
    worker.evaluate("settings => chrome.storage.local.set(settings)", settings)


def drop_files(page: Any, selector: str, paths: list[Path]) -> None:
    """A trusted drag and drop of files from the desktop onto `selector` (CDP input events)."""
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    session = page.context.new_cdp_session(page)
    data = {"items": [], "files": [str(p) for p in paths], "dragOperationsMask": 1}
    try:
        for kind in ("dragEnter", "dragOver", "drop"):
            session.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
    finally:
        session.detach()


def paste_image(page: Any, png: bytes, selector: str) -> None:
    """Puts a PNG on the clipboard and pastes it into `selector` with Control+V (trusted)."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page_origin(page))
    page.evaluate(
        """async bytes => {
            const blob = new Blob([new Uint8Array(bytes)], {type: "image/png"});
            await navigator.clipboard.write([new ClipboardItem({"image/png": blob})]);
        }""",
        list(png),
    )
    page.locator(selector).click()
    page.keyboard.press("Control+V")


def page_origin(page: Any) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def notice_of(page: Any) -> tuple[str | None, str]:
    """The extension's notice in the page: (kind, text). Its text sits in a closed shadow root,
    out of the page's reach; the DevTools protocol still sees it."""
    kind = page.evaluate("() => document.querySelector('redactor-notice')?.dataset.kind ?? null")
    if kind is None:
        return None, ""
    session = page.context.new_cdp_session(page)
    try:
        root = session.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    finally:
        session.detach()
    texts: list[str] = []

    def walk(node: dict[str, Any], inside: bool) -> None:
        inside = inside or node.get("localName") == "redactor-notice"
        if inside and node.get("nodeType") == 3:
            texts.append(node.get("nodeValue", ""))
        for child in node.get("children", []) + node.get("shadowRoots", []):
            if child.get("localName") != "style":
                walk(child, inside)

    walk(root, False)
    return kind, " ".join(t.strip() for t in texts if t.strip())


# ---- images --------------------------------------------------------------------------------------


def sample_photo() -> Path:
    """The project's face photo (samples/astronaut.jpg, one face the detector finds)."""
    if not SAMPLE_PHOTO.is_file():
        raise FileNotFoundError(
            f"{SAMPLE_PHOTO} is missing: samples/make_photo_samples.py makes it"
        )
    return SAMPLE_PHOTO


def to_png(jpeg: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).convert("RGB").save(out, "PNG")
    return out.getvalue()


_face_detector: Any = None


def faces_in(data: bytes) -> list[Any]:
    """Faces the project's face detector finds in an encoded image (at its own threshold)."""
    global _face_detector
    import numpy as np
    from PIL import Image

    from redactor.detectors.faces import FaceDetector

    if _face_detector is None:
        _face_detector = FaceDetector()
    from PIL import ImageOps

    # Oriented as a viewer shows it, so an original's faces and a redacted copy's line up.
    pixels = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    return _face_detector.detect(pixels)


def faces_left(received: bytes, original: bytes) -> list[Any]:
    """Faces found in `received` where `original` shows one: the faces that were not hidden.
    (A blurred head can make a collar score as a weak "face" elsewhere: not the person's face.)"""
    faces = [face.box for face in faces_in(original)]

    def shared(a: tuple, b: tuple) -> float:
        ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
        iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
        return ix * iy / smaller if smaller > 0 else 0.0

    return [f for f in faces_in(received) if any(shared(f.box, box) > 0.3 for box in faces)]
