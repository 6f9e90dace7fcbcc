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


def test_a_symlinked_config_dir_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(ConfigDirError, match="symlink"):
        load_or_create_token(link)
    assert list(real.iterdir()) == []  # nothing written through the link


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the folder to another user")
def test_a_config_dir_of_another_user_is_refused(tmp_path):
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, 65534, 65534)
    with pytest.raises(ConfigDirError, match="another user"):
        load_or_create_token(directory)


def test_a_symlinked_token_file_is_refused_and_its_target_left_alone(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("x" * 64)
    os.chmod(victim, 0o644)
    directory = tmp_path / "cfg"
    directory.mkdir(mode=0o700)
    (directory / config_dir.TOKEN_FILE).symlink_to(victim)
    with pytest.raises(ConfigDirError, match="symlink"):
        load_or_create_token(directory)
    assert mode_of(victim) == 0o644  # chmod did not follow the link
    assert victim.read_text() == "x" * 64


def test_a_group_readable_config_dir_is_tightened(tmp_path):
    directory = tmp_path / "loose"
    directory.mkdir()
    os.chmod(directory, 0o755)
    load_or_create_token(directory)
    assert mode_of(directory) == 0o700
