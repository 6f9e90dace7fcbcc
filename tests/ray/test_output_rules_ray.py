"""`--engine ray` goes through the same planner as the local run: it refuses what the local run
refuses (before Ray starts) and writes outputs, previews and fault reports the same way. The
user's files are byte-identical afterwards."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redactor.cli import app
from tests.batch.test_output_rules import digests, one_line_error, photo

runner = CliRunner()


def redact(*args) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize(
    "case", ["unrelated_file", "report_on_input", "out_is_a_file", "hides_less"]
)
def test_the_ray_engine_refuses_what_the_local_run_refuses(tmp_path: Path, case: str):
    camera, desktop = tmp_path / "camera", tmp_path / "Desktop"
    photo(camera / "IMG_0001.jpg", size=512)
    photo(desktop / "IMG_0001.jpg", size=200)
    args = [camera / "IMG_0001.jpg", "--hide", "face", "--engine", "ray"]
    if case == "unrelated_file":  # case 1
        args += ["--out", desktop]
        needles = [str(desktop / "IMG_0001.jpg"), "not written by redact", "--overwrite"]
    elif case == "report_on_input":  # case 2
        args += ["--out", tmp_path / "o", "--report", camera / "IMG_0001.jpg"]
        needles = ["--report", "names an image"]
    elif case == "out_is_a_file":  # case 5
        args += ["--out", desktop / "IMG_0001.jpg"]
        needles = ["is a file"]
    else:  # case 9: a local run hid the face; a Ray run with --hide name would not
        assert (
            redact(camera / "IMG_0001.jpg", "--hide", "face", "--out", tmp_path / "o").exit_code
            == 0
        )
        args = [
            camera / "IMG_0001.jpg",
            "--hide",
            "name",
            "--out",
            tmp_path / "o",
            "--engine",
            "ray",
        ]
        needles = ["hiding face", "--overwrite"]
    before = digests(tmp_path)
    one_line_error(redact(*args), *needles)
    assert digests(tmp_path) == before


def test_a_ray_run_keeps_modes_writes_previews_apart_and_reports_loops(ray_cluster, tmp_path):
    photos = tmp_path / "photos"
    photo(photos / "a.jpg")
    photo(photos / "a.png")
    os.chmod(photos / "a.jpg", 0o600)
    (photos / "self.jpg").symlink_to("self.jpg")
    before = digests(photos)
    result = redact(photos, "--hide", "face", "--preview", "--engine", "ray", "--workers", "1")
    assert result.exit_code == 1, result.output  # the loop
    out, previews = tmp_path / "photos_redacted", tmp_path / "photos_previews_UNREDACTED"
    entries = {
        Path(e["input"]).name: e
        for e in map(json.loads, (out / "report.jsonl").read_text().splitlines())
    }
    assert entries["self.jpg"]["error_code"] == "symlink_loop"
    assert entries["a.jpg"]["counts"] == {"face": 1} and entries["a.png"]["counts"] == {"face": 1}
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "a.png", "report.jsonl"]
    assert stat.S_IMODE((out / "a.jpg").stat().st_mode) == 0o600
    assert sorted(p.name for p in previews.iterdir()) == ["a.jpg.preview.jpg", "a.png.preview.jpg"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in previews.iterdir())
    assert "UNREDACTED" in result.stderr
    assert digests(photos) == before
