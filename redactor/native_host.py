"""How the browser extension gets the daemon's token without copy and paste: native messaging.

`redact native-host` is started by the browser itself (never by a web page): it reads
messages framed as a 32-bit little-endian length and UTF-8 JSON on stdin and writes only such
frames on stdout. To `{"type": "token"}` it answers `{"token": ..., "daemon_url": ...}` from the
config directory where `redact serve` keeps its token and its address. The browser runs the host
only for the extensions its manifest names (`allowed_origins` for Chromium and Chrome, the add-on
id in `allowed_extensions` for Firefox), so other extensions and web pages cannot ask.

`redact extension --install-native-host` writes that manifest where each browser reads it, with
the absolute path of a small wrapper script (kept in the private config directory) that runs this
Python with `-m redactor.cli native-host`.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from redactor.browser_extension import EXTENSION_ID, FIREFOX_ID
from redactor.config_dir import ConfigDirError, ensure_private_dir, load_or_create_token
from redactor.errors import RedactorError, UsageError
from redactor.files import write_text_atomic

HOST_NAME = "org.redactor.daemon"
DAEMON_URL_FILE = "daemon-url"
DEFAULT_DAEMON_URL = "http://127.0.0.1:8765"
WRAPPER_NAME = "native-host"
MAX_MESSAGE = 64 * 1024  # a request is a few bytes; refuse anything large unread
BROWSERS = ("chromium", "chrome", "firefox")


# ---- the daemon's address, left by `redact serve` ---------------------------------------------


def write_daemon_url(directory: Path, url: str) -> None:
    ensure_private_dir(directory)
    write_text_atomic(directory / DAEMON_URL_FILE, url + "\n", mode=0o600)


def read_daemon_url(directory: Path) -> str:
    """The loopback address `redact serve` last listened on; the default port when none."""
    try:
        text = (directory / DAEMON_URL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return DEFAULT_DAEMON_URL
    parts = urlsplit(text)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "::1") or not parts.port:
        return DEFAULT_DAEMON_URL  # only a literal loopback address is ever handed out
    return f"http://{parts.netloc}"


# ---- the host: frames in, frames out ---------------------------------------------------------


class FrameError(RedactorError):
    code = "bad_frame"


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """One message, or None at the end of the input."""
    header = stream.read(4)
    if not header:
        return None
    if len(header) < 4:
        raise FrameError("the input ended inside a message's length")
    (length,) = struct.unpack("<I", header)
    if length > MAX_MESSAGE:
        raise FrameError(f"a message of {length} bytes is over the {MAX_MESSAGE}-byte limit")
    body = stream.read(length)
    if len(body) < length:
        raise FrameError("the input ended inside a message")
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FrameError("a message is not UTF-8 JSON") from None
    if not isinstance(message, dict):
        raise FrameError("a message must be a JSON object")
    return message


def write_frame(stream: BinaryIO, message: dict[str, Any]) -> None:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    stream.write(struct.pack("<I", len(body)) + body)
    stream.flush()


def answer(message: dict[str, Any], config_dir: Path) -> dict[str, Any]:
    if message.get("type") != "token":
        return {"error": "unknown_request", "message": 'the only request is {"type": "token"}'}
    try:
        token = load_or_create_token(config_dir)  # the same file `redact serve` reads
    except ConfigDirError as error:
        return {"error": error.code, "message": str(error)}
    return {"token": token, "daemon_url": read_daemon_url(config_dir)}


def serve_host(stdin: BinaryIO, stdout: BinaryIO, config_dir: Path) -> int:
    """Answer each message until the browser closes stdin. A broken frame ends the session
    (the stream cannot be resynchronised) after one error frame."""
    while True:
        try:
            message = read_frame(stdin)
        except FrameError as error:
            write_frame(stdout, {"error": error.code, "message": str(error)})
            return 1
        if message is None:
            return 0
        write_frame(stdout, answer(message, config_dir))


def run_host(config_dir: Path) -> int:
    """`redact native-host`: stdout carries frames only, so anything printed by mistake goes
    to stderr instead (a stray line would corrupt the stream)."""
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    try:
        return serve_host(sys.stdin.buffer, frames, config_dir)
    finally:
        frames.close()


# ---- installing the host manifest --------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    browser: str
    manifest: Path


def _config_home() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return Path(xdg).expanduser() if xdg else Path.home() / ".config"


def manifest_dir(browser: str, profile: Path | None = None) -> Path:
    """The folder `browser` reads native messaging host manifests from (Linux, per user).
    `profile` is a Chromium user data directory (`--user-data-dir`): it reads its own."""
    if profile is not None:
        if browser == "firefox":
            raise UsageError("--profile is a Chromium or Chrome user data directory; "
                             "Firefox reads ~/.mozilla/native-messaging-hosts only")  # fmt: skip
        return Path(profile).expanduser().resolve() / "NativeMessagingHosts"
    if browser == "chromium":
        return _config_home() / "chromium" / "NativeMessagingHosts"
    if browser == "chrome":
        return _config_home() / "google-chrome" / "NativeMessagingHosts"
    if browser == "firefox":
        return Path.home() / ".mozilla" / "native-messaging-hosts"
    raise UsageError(f"unknown browser {browser!r}; use one of: {', '.join(BROWSERS)}, all")


def browsers_named(name: str, profile: Path | None) -> tuple[str, ...]:
    if name == "all":
        return ("chromium", "chrome") if profile is not None else BROWSERS
    if name not in BROWSERS:
        raise UsageError(f"unknown browser {name!r}; use one of: {', '.join(BROWSERS)}, all")
    return (name,)


def host_manifest(browser: str, wrapper: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "name": HOST_NAME,
        "description": "Gives the Redactor extension the token of the local redact daemon",
        "path": str(wrapper),
        "type": "stdio",
    }
    if browser == "firefox":
        manifest["allowed_extensions"] = [FIREFOX_ID]
    else:
        manifest["allowed_origins"] = [f"chrome-extension://{EXTENSION_ID}/"]
    return manifest


def wrapper_script(config_dir: Path | None) -> str:
    """A shell script running this Python and this copy of redactor as the host."""
    import redactor

    command = [sys.executable, "-m", "redactor.cli", "native-host"]
    if config_dir is not None:
        command += ["--config-dir", str(config_dir)]
    lines = ["#!/bin/sh", "# Written by `redact extension --install-native-host`; the browser "
             "runs it to give the Redactor extension the daemon's token."]  # fmt: skip
    package_parent = Path(redactor.__file__).resolve().parent.parent
    if "-packages" not in package_parent.name:  # a source checkout: pin it, not another copy
        lines.append(f"PYTHONPATH={shlex.quote(str(package_parent))}${{PYTHONPATH:+:$PYTHONPATH}}")
        lines.append("export PYTHONPATH")
    lines.append("exec " + " ".join(shlex.quote(part) for part in command))
    return "\n".join(lines) + "\n"


def install(
    browsers: Iterable[str], *, config_dir: Path | None, profile: Path | None = None
) -> list[Installed]:
    """Writes the wrapper into the (private) config directory and one host manifest per
    browser. `config_dir` None: the default one, resolved when the host runs."""
    from redactor.config_dir import default_config_dir

    folder = ensure_private_dir(config_dir or default_config_dir())
    wrapper = folder / WRAPPER_NAME
    write_text_atomic(wrapper, wrapper_script(config_dir), mode=0o700)
    os.chmod(wrapper, stat.S_IRWXU)  # the umask may have masked the execute bit
    done = []
    for browser in browsers:
        target = manifest_dir(browser, profile) / f"{HOST_NAME}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(host_manifest(browser, wrapper), indent=2) + "\n"
        write_text_atomic(target, text, mode=0o644)
        done.append(Installed(browser, target))
    return done


def uninstall(browsers: Iterable[str], *, profile: Path | None = None) -> list[Installed]:
    """Removes the host manifests this tool wrote (a file of that name naming another program
    is left alone); the wrapper stays (it is harmless and another profile may still use it)."""
    removed = []
    for browser in browsers:
        target = manifest_dir(browser, profile) / f"{HOST_NAME}.json"
        try:
            manifest = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (
            isinstance(manifest, dict)
            and manifest.get("name") == HOST_NAME
            and str(manifest.get("path", "")).endswith(f"/{WRAPPER_NAME}")
        ):
            target.unlink()
            removed.append(Installed(browser, target))
    return removed
