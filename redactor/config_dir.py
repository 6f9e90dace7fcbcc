"""Where the daemon keeps its few secrets: the access token (and its address, for the extension).

The directory is `$REDACTOR_CONFIG_DIR` when set (tests, several daemons side by side), else
`$XDG_CONFIG_HOME/redactor`, else `~/.config/redactor`. It is created 0700 and every file in it
0600: the token lets any local program use the daemon, so other users must not read it.
Nothing else is stored here; images never touch the disk.
"""

from __future__ import annotations

import errno
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
    """Create `directory` 0700 if needed. Refuse one that is a symlink (another user could point
    it anywhere), belongs to someone else, or that other users can write to; one that others
    can only read is made 0700. Nothing here follows a symlink."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(directory)
    except OSError as error:
        raise ConfigDirError(
            f"cannot create the config directory {directory}: {error.strerror}; "
            f"set {CONFIG_DIR_ENV} to a writable folder"
        ) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise ConfigDirError(
            f"{directory} is a symlink or not a directory; the daemon keeps its token only in "
            f"a real directory of yours: remove it, or set {CONFIG_DIR_ENV} to another folder"
        )
    if info.st_uid != os.geteuid():
        raise ConfigDirError(
            f"{directory} belongs to another user (uid {info.st_uid}); use a folder of your own "
            f"(set {CONFIG_DIR_ENV})"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigDirError(
            f"{directory} is writable by other users; run `chmod 700 {directory}` first"
        )
    if info.st_mode & 0o077:
        _chmod_nofollow(directory, 0o700, directory=True)
    return directory


def _chmod_nofollow(path: Path, mode: int, *, directory: bool = False) -> None:
    """chmod that never follows a symlink (Linux has no lchmod): open with O_NOFOLLOW, fchmod."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise ConfigDirError(
            f"cannot open {path} without following links: {error.strerror}"
        ) from None
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 from the first byte, atomically (a rename replaces
    a symlink at `path`, never its target)."""
    write_text_atomic(path, text, mode=0o600)


def _read_private(path: Path) -> str:
    """The text of a file of ours: refuses a symlink, tightens a loosened mode to 0600."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ConfigDirError(
                f"{path} is a symlink; the daemon reads its secrets only from its own files: "
                "remove it"
            ) from None
        raise
    with os.fdopen(fd, encoding="utf-8") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            raise ConfigDirError(f"{path} is not a regular file of yours; remove it")
        if info.st_mode & 0o077:  # someone loosened it (copied, edited)
            os.fchmod(file.fileno(), 0o600)
        return file.read()


def token_path(directory: Path | None = None) -> Path:
    return (directory or default_config_dir()) / TOKEN_FILE


def load_or_create_token(directory: Path | None = None) -> str:
    """The daemon's bearer token, created on first use (256 random bits, URL-safe)."""
    directory = ensure_private_dir(directory or default_config_dir())
    path = directory / TOKEN_FILE
    try:
        token = _read_private(path).strip()
    except FileNotFoundError:
        token = ""
    except OSError as error:
        raise ConfigDirError(f"cannot read the token file {path}: {error.strerror}") from None
    if len(token) >= 32:
        return token
    token = secrets.token_urlsafe(32)
    try:
        _write_private(path, token + "\n")
    except OSError as error:
        raise ConfigDirError(f"cannot write the token file {path}: {error.strerror}") from None
    return token
