"""The token file: created private, reused, tightened, location overridable."""

from __future__ import annotations

import os
import stat

import pytest

from redactor import config_dir
from redactor.config_dir import ConfigDirError, load_or_create_token


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_token_is_created_0600_in_a_0700_dir_and_reused(tmp_path):
    directory = tmp_path / "cfg" / "redactor"
    token = load_or_create_token(directory)
    path = directory / config_dir.TOKEN_FILE
    assert len(token) >= 40 and token.isascii()
    assert mode_of(path) == 0o600
    assert mode_of(directory) == 0o700
    assert load_or_create_token(directory) == token
    assert load_or_create_token(tmp_path / "other") != token  # random per directory


def test_a_loosened_token_file_is_tightened(tmp_path):
    token = load_or_create_token(tmp_path)
    os.chmod(tmp_path / config_dir.TOKEN_FILE, 0o644)
    assert load_or_create_token(tmp_path) == token
    assert mode_of(tmp_path / config_dir.TOKEN_FILE) == 0o600


def test_a_world_writable_config_dir_is_refused(tmp_path):
    directory = tmp_path / "open"
    directory.mkdir()
    os.chmod(directory, 0o777)
    with pytest.raises(ConfigDirError, match="chmod 700"):
        load_or_create_token(directory)


def test_location_follows_env_override_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv(config_dir.CONFIG_DIR_ENV, str(tmp_path / "explicit"))
    assert config_dir.default_config_dir() == tmp_path / "explicit"
    monkeypatch.delenv(config_dir.CONFIG_DIR_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir.default_config_dir() == tmp_path / "xdg" / "redactor"
