"""How long the browser extension makes a user wait: from choosing a 12-megapixel photo in a web
page's file input to the page's server holding the redacted file.

Real parts throughout: the daemon (`create_app`, real pipeline) on an ephemeral port, a web site on
another port whose page uploads with fetch(FormData), headless Chromium with the unpacked
extension. Two references on the same photo and machine:
  - the daemon alone: the same bytes POSTed to /v1/redact from Python;
  - no extension: the same page in a browser without it (the plain upload).
The extension's own cost is what remains: total - daemon - plain upload (messaging, base64,
the service worker's fetch, replaying the events). The three take turns within each run.

    python benchmarks/extension_latency.py            # 5 runs after a warm-up, faces hidden
    python benchmarks/extension_latency.py --runs 9 --hide defaults
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.extension import harness


def make_photo(path: Path, megapixels: float) -> int:
    """The sample face photo scaled to `megapixels` (4:3), with sensor-like noise so the JPEG
    is as large as a camera's."""
    import numpy as np
    from PIL import Image

    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(width * 3 / 4)
    base = Image.open(harness.sample_photo()).convert("RGB")
    pixels = np.asarray(base.resize((width, height), Image.LANCZOS), dtype=np.int16)
    noise = np.random.default_rng(0).normal(0, 8, pixels.shape).astype(np.int16)
    Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(path, quality=92)
    return width * height


def daemon_alone(daemon: harness.Daemon, data: bytes, hide: str) -> float:
    request = urllib.request.Request(
        f"{daemon.url}/v1/redact?hide={hide}", data=data, method="POST",
        headers={"Content-Type": "image/jpeg", "Authorization": f"Bearer {daemon.token}"},
    )  # fmt: skip
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
    return time.perf_counter() - started


def through_page(page: Any, site: harness.UploadSite, photo: Path) -> tuple[float, bytes]:
    """Seconds from choosing `photo` in the page's file input to the site holding the upload."""
    site.clear()
    # Choosing the same file again fires no change event: start from an empty input.
    page.evaluate("document.getElementById('fetch-file').value = ''")
    started = time.perf_counter()
    page.set_input_files("#fetch-file", str(photo))
    uploads = site.wait_for(1, timeout=120)
    if not uploads:
        raise RuntimeError("the page received nothing within 120 s")
    return uploads[0].received_at - started, uploads[0].data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (after one warm-up)")
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--hide", default="face", help="what the extension asks to hide")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        photo = work / "photo-12mp.jpg"
        pixels = make_photo(photo, args.megapixels)
        data = photo.read_bytes()
        print(f"photo: {pixels / 1e6:.1f} MP, {len(data) / 2**20:.1f} MiB JPEG; hide={args.hide}; "
              f"{args.runs} runs after a warm-up")  # fmt: skip

        servers = harness.ServerLoop()
        daemon = harness.start_daemon(servers, work / "config", hide=tuple(args.hide.split(",")))
        site = harness.UploadSite()
        _, port = servers.start(site.app())
        site.url = f"http://127.0.0.1:{port}/"

        # The three measurements take turns within each run, so a busy machine slows them alike.
        totals, alone, plain = [], [], []
        with sync_playwright() as playwright:
            context = harness.launch(playwright, work / "profile", daemon=daemon)
            worker = harness.extension_worker(context)
            harness.configure(worker, daemonUrl=daemon.url, hide=args.hide.split(","),
                              timeoutSeconds=300)  # fmt: skip
            plain_context = harness.launch(playwright, work / "plain", extension=None)
            page, plain_page = context.new_page(), plain_context.new_page()
            page.goto(site.url)
            plain_page.goto(site.url)
            for run in range(args.runs + 1):  # run 0 warms the detectors at this size
                total, redacted = through_page(page, site, photo)
                if redacted == data:
                    raise RuntimeError("the page received the original: the extension did not act")
                times = (total, daemon_alone(daemon, data, args.hide),
                         through_page(plain_page, site, photo)[0])  # fmt: skip
                if run:
                    for kept, value in zip((totals, alone, plain), times):
                        kept.append(value)
            context.close()
            plain_context.close()
        servers.stop(daemon.runner)
        servers.close()

    overheads = [t - a - p for t, a, p in zip(totals, alone, plain)]
    total, daemon_s, plain_s = (statistics.median(t) for t in (totals, alone, plain))
    print(f"choose -> page has the redacted file (median): {total * 1000:8.0f} ms")
    print(f"  daemon alone, same bytes (median):          {daemon_s * 1000:8.0f} ms")
    print(f"  plain upload, no extension (median):        {plain_s * 1000:8.0f} ms")
    overhead = statistics.median(overheads)
    print(f"  extension's own share (median of per-run):  {overhead * 1000:8.0f} ms")
    print(f"  ratio to the daemon alone:                  {total / daemon_s:8.2f}x")
    print("runs (s): " + " ".join(f"{t:.2f}" for t in totals))


if __name__ == "__main__":
    main()
