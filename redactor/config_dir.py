"""Where the daemon keeps its few secrets: the access token (and its address, for the extension).

The directory is `$REDACTOR_CONFIG_DIR` when set (tests, several daemons side by side), else
`$XDG_CONFIG_HOME/redactor`, else `~/.config/redactor`. It is created 0700 and every file in it
0600: the token lets any local program use the daemon, so other users must not read it.
Nothing else is stored here; images never touch the disk.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from redactor.errors import RedactorError
from redactor.files import write_text_atomic

CONFIG_DIR_ENV = "REDACTOR_CONFIG_DIR"
TOKEN_FILE = "daemon-token"


class ConfigDirError(RedactorError):
    """The config directory or a file in it cannot be created or read."""

    code = "config_dir"


def default_config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "redactor"


def ensure_private_dir(directory: Path) -> Path:
    """Create `directory` 0700 if needed; refuse one that other users can write to."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = directory.stat().st_mode
    except OSError as error:
        raise ConfigDirError(
            f"cannot create the config directory {directory}: {error.strerror}; "
            f"set {CONFIG_DIR_ENV} to a writable folder"
        ) from None
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigDirError(
            f"{directory} is writable by other users; run `chmod 700 {directory}` first"
        )
    return directory


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 from the first byte, atomically."""
    write_text_atomic(path, text, mode=0o600)

def _tighten(path: Path) -> None:
    """A token file someone loosened (copied, edited) is made 0600 again."""
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def token_path(directory: Path | None = None) -> Path:
    return (directory or default_config_dir()) / TOKEN_FILE


def load_or_create_token(directory: Path | None = None) -> str:
    """The daemon's bearer token, created on first use (256 random bits, URL-safe)."""
    directory = ensure_private_dir(directory or default_config_dir())
    path = directory / TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = ""
    except OSError as error:
        raise ConfigDirError(f"cannot read the token file {path}: {error.strerror}") from None
    if len(token) >= 32:
        _tighten(path)
        return token
    token = secrets.token_urlsafe(32)
    try:
        _write_private(path, token + "\n")
    except OSError as error:
        raise ConfigDirError(f"cannot write the token file {path}: {error.strerror}") from None
    return token
