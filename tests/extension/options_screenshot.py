"""Renders the README's screenshot of the options page (extension/docs/options.png): the real
daemon with its default detectors, headless Chromium with the extension.

    python -m tests.extension.options_screenshot [OUT.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.extension import harness

OUT = harness.EXTENSION_DIR / "docs" / "options.png"


def main(out: Path = OUT) -> None:
    from playwright.sync_api import sync_playwright

    from redactor.attributes import DEFAULT_HIDE

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        servers = harness.ServerLoop()
        try:  # the address users see by default, when it is free
            daemon = harness.start_daemon(servers, work / "config", hide=DEFAULT_HIDE, port=8765)
        except OSError:
            daemon = harness.start_daemon(servers, work / "config", hide=DEFAULT_HIDE)
        with sync_playwright() as playwright:
            context = harness.launch(playwright, work / "profile", daemon=daemon)
            worker = harness.extension_worker(context)
            harness.configure(worker, daemonUrl=daemon.url, disabledSites=["bank.example"])
            page = context.new_page()
            page.set_viewport_size({"width": 720, "height": 900})
            page.emulate_media(color_scheme="light")
            page.goto(f"chrome-extension://{harness.EXTENSION_ID}/options.html")
            page.wait_for_selector("body[data-ready=true]")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
            context.close()
        servers.stop(daemon.runner)
        servers.close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
