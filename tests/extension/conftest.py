"""Fixtures for the extension's browser tests: one real daemon, one upload site, one Chromium
with the extension for the whole package (a fresh page per test), so the suite stays short.
Package scope, not session: Playwright's sync driver keeps an event loop running in the main
thread, which would break `asyncio.run` in the test modules that follow."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.extension import harness


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if harness.CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"Debian's Chromium is not installed ({harness.CHROMIUM}); "
        "apt-get install chromium (.ci/run does)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="package")
def servers() -> Iterator[harness.ServerLoop]:
    loop = harness.ServerLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="package")
def daemon(
    servers: harness.ServerLoop, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[harness.Daemon]:
    running = harness.start_daemon(servers, tmp_path_factory.mktemp("daemon-config"))
    yield running
    servers.stop(running.runner)


@pytest.fixture(scope="package")
def site(servers: harness.ServerLoop) -> Iterator[harness.UploadSite]:
    upload_site = harness.UploadSite()
    runner, port = servers.start(upload_site.app())
    upload_site.url = f"http://127.0.0.1:{port}/"
    yield upload_site
    servers.stop(runner)


@pytest.fixture(scope="package")
def photo() -> Path:
    return harness.sample_photo()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def profile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("profile")


@pytest.fixture(scope="package")
def browser(playwright: Any, profile_dir: Path, daemon: harness.Daemon) -> Iterator[Any]:
    """Chromium with the extension, and the native host installed into its profile: the
    extension gets the daemon's token with no paste, as a user's does."""
    context = harness.launch(playwright, profile_dir, daemon=daemon)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture(scope="package")
def worker(browser: Any) -> Any:
    return harness.extension_worker(browser)


@pytest.fixture
def settings(worker: Any, daemon: harness.Daemon) -> dict[str, Any]:
    """The extension's settings for this test: the test daemon, faces hidden, nothing else."""
    values = {"daemonUrl": daemon.url, "hide": ["face"], "mode": "", "token": "",
              "disabledSites": [], "allowOriginalSites": [], "timeoutSeconds": 30}  # fmt: skip
    worker.evaluate("() => chrome.storage.local.clear()")
    harness.configure(worker, **values)
    return values


@pytest.fixture
def page(browser: Any, settings: dict[str, Any], site: harness.UploadSite) -> Iterator[Any]:
    """A fresh tab on the upload site, with the extension configured for this test."""
    site.clear()
    tab = browser.new_page()
    tab.goto(site.url)
    yield tab
    tab.close()


@pytest.fixture
def stopped_daemon_url(servers: harness.ServerLoop, tmp_path: Path) -> str:
    """The address of a real daemon that was started and then stopped."""
    stopped = harness.start_daemon(servers, tmp_path / "stopped-daemon-config")
    servers.stop(stopped.runner)
    return stopped.url


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that takes connections and never answers (a hung daemon)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]
