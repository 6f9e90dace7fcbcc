"""`redact native-host` (the browser's way to get the daemon's token) as the browser runs it: a
real subprocess speaking length-prefixed JSON frames; and `redact extension
--install-native-host` writing each browser's host manifest in a temporary HOME."""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from redactor.browser_extension import EXTENSION_ID, FIREFOX_ID
from redactor.config_dir import TOKEN_FILE, load_or_create_token
from redactor.native_host import DAEMON_URL_FILE, HOST_NAME

REPO = Path(__file__).resolve().parents[2]


def frame(message: object) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack("<I", len(body)) + body


def frames_in(data: bytes) -> list[dict]:
    """Every frame of `data`; fails if anything else is there (stray output breaks browsers)."""
    found = []
    while data:
        assert len(data) >= 4, data
        (length,) = struct.unpack("<I", data[:4])
        assert len(data) >= 4 + length, data
        found.append(json.loads(data[4 : 4 + length].decode()))
        data = data[4 + length :]
    return found


def run_host(
    stdin: bytes, *, env_config: Path | None = None, args: tuple[str, ...] = (),
    command: list[str] | None = None, env: dict | None = None,
) -> subprocess.CompletedProcess:  # fmt: skip
    environment = {**os.environ, **(env or {})}
    if env_config is not None:
        environment["REDACTOR_CONFIG_DIR"] = str(env_config)
    command = command or [sys.executable, "-m", "redactor.cli", "native-host", *args]
    return subprocess.run(command, input=stdin, capture_output=True, env=environment,
                          timeout=60, cwd=REPO)  # fmt: skip


def test_the_host_answers_the_token_and_the_daemons_address(tmp_path):
    config = tmp_path / "cfg"
    token = load_or_create_token(config)
    (config / DAEMON_URL_FILE).write_text("http://127.0.0.1:41234\n")
    # Chrome passes the caller's origin as an argument; two requests on one connection.
    done = run_host(frame({"type": "token"}) + frame({"type": "token"}), env_config=config,
                    args=(f"chrome-extension://{EXTENSION_ID}/",))  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    answers = frames_in(done.stdout)
    assert answers == [{"token": token, "daemon_url": "http://127.0.0.1:41234"}] * 2


def test_the_host_creates_the_token_the_daemon_will_use_and_defaults_the_address(tmp_path):
    config = tmp_path / "fresh"
    done = run_host(frame({"type": "token"}), args=("--config-dir", str(config)))
    answer = frames_in(done.stdout)[0]
    assert answer["daemon_url"] == "http://127.0.0.1:8765"
    assert answer["token"] == (config / TOKEN_FILE).read_text().strip()
    assert load_or_create_token(config) == answer["token"]  # what `redact serve` will load
    assert stat.S_IMODE((config / TOKEN_FILE).stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "written", ["http://evil.example:8765", "http://localhost:8765", "https://127.0.0.1:1",
                "file:///etc/passwd", "garbage"],
)  # fmt: skip
def test_the_host_hands_out_only_a_literal_loopback_address(tmp_path, written):
    config = tmp_path / "cfg"
    load_or_create_token(config)
    (config / DAEMON_URL_FILE).write_text(written)
    answer = frames_in(run_host(frame({"type": "token"}), env_config=config).stdout)[0]
    assert answer["daemon_url"] == "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("stdin", "code"),
    [(frame({"type": "something"}), "unknown_request"), (frame([1, 2]), "bad_frame"),
     (struct.pack("<I", 5) + b"{nope", "bad_frame"),
     (struct.pack("<I", 2**31) + b"{}", "bad_frame"),
     (struct.pack("<I", 50) + b"{}", "bad_frame"), (b"\x01\x00", "bad_frame")],
    ids=["unknown", "not-an-object", "not-json", "huge", "truncated", "short-length"],
)  # fmt: skip
def test_bad_requests_get_an_error_frame_and_nothing_else(tmp_path, stdin, code):
    config = tmp_path / "cfg"
    token = load_or_create_token(config)
    done = run_host(stdin, env_config=config)
    answers = frames_in(done.stdout)
    assert len(answers) == 1 and answers[0]["error"] == code and answers[0]["message"]
    assert token not in done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


def test_a_config_dir_others_can_write_is_an_error_frame(tmp_path):
    config = tmp_path / "open"
    config.mkdir()
    config.chmod(0o777)
    answers = frames_in(run_host(frame({"type": "token"}), env_config=config).stdout)
    assert answers[0]["error"] == "config_dir" and "token" not in answers[0]


def test_no_input_no_output(tmp_path):
    done = run_host(b"", env_config=tmp_path / "cfg")
    assert done.returncode == 0 and done.stdout == b""


# ---- install / uninstall -------------------------------------------------------------------


def redact(args: list[str], home: Path) -> subprocess.CompletedProcess:
    dropped = ("XDG_CONFIG_HOME", "REDACTOR_CONFIG_DIR")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "redactor.cli", *args], capture_output=True,
                          text=True, env=env, timeout=60, cwd=REPO)  # fmt: skip


def test_install_writes_each_browsers_manifest_and_a_working_host(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = redact(["extension", "--install-native-host"], home)
    assert done.returncode == 0, done.stderr
    places = {
        "chromium": home / ".config/chromium/NativeMessagingHosts",
        "chrome": home / ".config/google-chrome/NativeMessagingHosts",
        "firefox": home / ".mozilla/native-messaging-hosts",
    }
    wrapper = home / ".config/redactor/native-host"
    for browser, folder in places.items():
        path = folder / f"{HOST_NAME}.json"
        assert str(path) in done.stdout
        manifest = json.loads(path.read_text())
        assert manifest["name"] == HOST_NAME and manifest["type"] == "stdio"
        assert manifest["path"] == str(wrapper) and Path(manifest["path"]).is_absolute()
        if browser == "firefox":
            assert manifest["allowed_extensions"] == [FIREFOX_ID]
            assert "allowed_origins" not in manifest
        else:
            assert manifest["allowed_origins"] == [f"chrome-extension://{EXTENSION_ID}/"]
            assert "allowed_extensions" not in manifest
    # The wrapper is executable by its owner only, in the private config dir, and works as the
    # browser runs it (caller origin as argument), with the token of that HOME's daemon.
    assert stat.S_IMODE(wrapper.stat().st_mode) == 0o700
    assert stat.S_IMODE(wrapper.parent.stat().st_mode) == 0o700
    env = {"HOME": str(home), "REDACTOR_CONFIG_DIR": ""}
    ran = run_host(frame({"type": "token"}), command=[str(wrapper), "chrome-extension://x/"],
                   env=env)  # fmt: skip
    answer = frames_in(ran.stdout)
    assert answer == [{"token": (wrapper.parent / TOKEN_FILE).read_text().strip(),
                       "daemon_url": "http://127.0.0.1:8765"}]  # fmt: skip

    removed = redact(["extension", "--uninstall-native-host", "--browser", "firefox"], home)
    assert removed.returncode == 0 and "firefox" in removed.stdout
    assert not (places["firefox"] / f"{HOST_NAME}.json").exists()
    assert (places["chromium"] / f"{HOST_NAME}.json").exists()
    assert redact(["extension", "--uninstall-native-host"], home).returncode == 0
    assert not any((folder / f"{HOST_NAME}.json").exists() for folder in places.values())


def test_install_into_a_chromium_profile_with_its_config_dir(tmp_path):
    home, profile, config = tmp_path / "home", tmp_path / "profile", tmp_path / "daemon-cfg"
    home.mkdir()
    token = load_or_create_token(config)
    done = redact(["extension", "--install-native-host", "--browser", "chromium",
                   "--profile", str(profile), "--config-dir", str(config)], home)  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((profile / "NativeMessagingHosts" / f"{HOST_NAME}.json").read_text())
    assert manifest["path"] == str(config / "native-host")
    assert not (home / ".config/chromium").exists()  # only the profile was touched
    answer = frames_in(run_host(frame({"type": "token"}), command=[manifest["path"]]).stdout)
    assert answer[0]["token"] == token
    # Firefox has no such profile folder: a usage error, nothing written.
    refused = redact(["extension", "--install-native-host", "--browser", "firefox",
                      "--profile", str(profile)], home)  # fmt: skip
    assert refused.returncode == 2 and "Firefox" in refused.stderr
    assert not (home / ".mozilla").exists()
    unknown = redact(["extension", "--install-native-host", "--browser", "opera"], home)
    assert unknown.returncode == 2 and "chromium, chrome, firefox" in unknown.stderr
    alone = redact(["extension", "--browser", "chromium"], home)  # what to do with it?
    assert alone.returncode == 2 and "--install-native-host" in alone.stderr
    both = redact(["extension", "--install-native-host", "--uninstall-native-host"], home)
    assert both.returncode == 2 and not (home / ".config" / "chromium").exists()


def test_uninstall_leaves_another_programs_manifest_alone(tmp_path):
    home = tmp_path / "home"
    folder = home / ".config/chromium/NativeMessagingHosts"
    folder.mkdir(parents=True)
    foreign = folder / f"{HOST_NAME}.json"
    text = json.dumps({"name": HOST_NAME, "path": "/opt/other/host", "type": "stdio"})
    foreign.write_text(text)
    done = redact(["extension", "--uninstall-native-host", "--browser", "chromium"], home)
    assert done.returncode == 0
    assert foreign.read_text() == text
