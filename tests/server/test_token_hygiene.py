"""The token stays out of places other local users can read: the curl example the daemon
prints keeps it out of argv (checked by running it with real curl against the real daemon),
and /v1/health tells its job counters only to a caller with the token."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from redactor.server import pairing_help

from .conftest import start_server


@pytest.fixture()
def own_token_server(shared_redactor, tmp_path):
    running = start_server(shared_redactor, tmp_path, token=None)  # token file in tmp_path/cfg
    yield running
    running.stop()


def test_the_printed_curl_example_works_without_the_token_in_argv(
    own_token_server, tmp_path, images
):
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to run the daemon's own example")
    running = own_token_server
    token = (tmp_path / "cfg" / "daemon-token").read_text().strip()
    help_text = pairing_help(running.daemon.state, running.port, running.daemon.config)
    assert token not in help_text
    [command] = [line.strip() for line in help_text.splitlines() if "curl " in line]
    # A curl on PATH that records its argv (what /proc/PID/cmdline shows) and runs the real one.
    wrapper_dir = tmp_path / "bin"
    wrapper_dir.mkdir()
    argv_log = tmp_path / "argv.txt"
    wrapper = wrapper_dir / "curl"
    wrapper.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {argv_log}\nexec {shutil.which("curl")} "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "photo.jpg").write_bytes(images.astronaut_jpeg)
    env = {**os.environ, "PATH": f"{wrapper_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, timeout=60,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "redacted.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert (tmp_path / "redacted.jpg").read_bytes() != images.astronaut_jpeg
    argv = argv_log.read_text()
    assert "127.0.0.1" in argv  # the wrapper did run
    assert token not in argv


def test_health_counters_only_for_token_holders(own_token_server, tmp_path):
    running = own_token_server
    token = (tmp_path / "cfg" / "daemon-token").read_text().strip()
    public = running.call("GET", "/v1/health", token=None)
    assert public.status == 200 and public.json()["ready"] is True
    assert not {"queue", "pixels"} & set(public.json())
    private = running.call("GET", "/v1/health", token=token).json()
    assert private["queue"]["max"] == running.daemon.config.max_pending
    assert private["pixels"]["budget"] == running.daemon.config.max_pixels
