"""Nothing of the user's is ever lost (issue 11, cases 1-9): the output rules the planner
enforces, filesystem faults, previews, permissions and Ctrl-C. Every test checks that the user's
files are byte-identical afterwards.

Permission cases run the real command in a subprocess without root's power to ignore file
modes (`setpriv --bounding-set -dac_override,-dac_read_search`) when the tests run as root."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from typer.testing import CliRunner

from redactor.cli import app
from tests.batch.conftest import ASTRONAUT

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def redact(*args) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def digests(*folders: Path) -> dict[str, str]:
    """Every file below `folders` (links as links) -> its content's hash."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink():
                found[str(path)] = "link -> " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def photo(path: Path, size: int = 256) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    upright = ImageOps.exif_transpose(Image.open(ASTRONAUT)).convert("RGB")
    upright.resize((size, size)).save(path)
    return path


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def cli_without_root_powers(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command in a subprocess that file modes apply to, even as root."""
    command = [sys.executable, "-m", "redactor.cli", *map(str, args)]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


# -- case 1: existing files that are not ours ---------------------------------------------------


def test_an_unrelated_file_in_the_output_folder_is_never_replaced(tmp_path: Path):
    camera, desktop = tmp_path / "camera", tmp_path / "Desktop"
    photo(camera / "IMG_0001.jpg")
    photo(desktop / "IMG_0001.jpg", size=200)  # the user's own, unrelated photo
    before = digests(camera, desktop)
    result = redact(camera / "IMG_0001.jpg", "--hide", "face", "--out", desktop)
    one_line_error(
        result,
        str(desktop / "IMG_0001.jpg"),
        "not written by redact",
        "--overwrite",
        "another --out",
    )
    assert digests(camera, desktop) == before

    # A folder into its parent: in/x.jpg is the user's, in/sub/x.jpg would land on it.
    inside = tmp_path / "in"
    photo(inside / "x.jpg", size=200)
    photo(inside / "sub" / "x.jpg")
    before = digests(inside)
    one_line_error(
        redact(inside / "sub", "--hide", "face", "--out", inside),
        str(inside / "x.jpg"),
        "--overwrite",
    )
    assert digests(inside) == before


def test_a_users_own_report_jsonl_in_the_output_folder_is_never_replaced(tmp_path: Path):
    photo(tmp_path / "in" / "a.jpg")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.jsonl").write_text("my own notes, one per line\n")
    before = digests(tmp_path)
    one_line_error(
        redact(tmp_path / "in", "--hide", "face", "--out", out),
        str(out / "report.jsonl"),
        "not a report this tool wrote",
    )
    assert digests(tmp_path) == before


def test_outputs_this_tool_wrote_are_replaced_and_overwrite_replaces_the_rest(
    tmp_path: Path, monkeypatch
):
    photo(tmp_path / "in" / "a.jpg")
    photo(tmp_path / "in" / "b.jpg")
    out = tmp_path / "out"
    assert redact(tmp_path / "in", "--hide", "face", "--out", out).exit_code == 0
    inputs = digests(tmp_path / "in")
    # Ours (listed in the report): a second run replaces them, also from another folder.
    monkeypatch.chdir(tmp_path)
    assert redact("in", "--hide", "face", "--out", "out").exit_code == 0
    # Not ours: refused; with --overwrite replaced (inputs never).
    photo(out / "c.jpg", size=100)
    photo(tmp_path / "in" / "c.jpg")
    inputs = digests(tmp_path / "in")
    one_line_error(redact(tmp_path / "in", "--hide", "face", "--out", out), "c.jpg")
    assert Image.open(out / "c.jpg").size == (100, 100)
    result = redact(tmp_path / "in", "--hide", "face", "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert Image.open(out / "c.jpg").size == (256, 256)
    assert digests(tmp_path / "in") == inputs


# -- case 2: --report ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "report_name,needle",
    [
        ("in/a.jpg", "names an image"),  # `--report in/a.jpg`
        ("notes.txt", "not a report this tool wrote"),  # an existing file that is not a report
        ("in", "is a folder"),
        ("missing/r.jsonl", "does not exist"),
    ],
)
def test_bad_report_paths_are_refused_before_any_work(tmp_path: Path, report_name, needle):
    photo(tmp_path / "in" / "a.jpg")
    photo(tmp_path / "in" / "b.jpg")
    (tmp_path / "notes.txt").write_text("the user's notes")
    before = digests(tmp_path)
    result = redact(
        tmp_path / "in",
        "--hide",
        "face",
        "--out",
        tmp_path / "o",
        "--report",
        tmp_path / report_name,
    )
    one_line_error(result, needle)
    assert digests(tmp_path) == before and not (tmp_path / "o").exists()


def test_report_taken_for_a_flag_with_a_glob_is_refused(tmp_path: Path):
    """`redact --report *.jpg`: the shell gives `--report a.jpg b.jpg`."""
    photo(tmp_path / "a.jpg")
    photo(tmp_path / "b.jpg")
    before = digests(tmp_path)
    one_line_error(
        redact("--report", tmp_path / "a.jpg", tmp_path / "b.jpg", "--hide", "face"),
        "names an image",
    )
    assert digests(tmp_path) == before


# -- case 3: symlink loops ----------------------------------------------------------------------


def test_symlink_loops_are_reported_per_file_and_the_run_goes_on(tmp_path: Path):
    photos = tmp_path / "photos"
    photo(photos / "real.jpg")
    photo(photos / "sub" / "deep.jpg")
    (photos / "self.jpg").symlink_to("self.jpg")
    (photos / "a.jpg").symlink_to("b.jpg")
    (photos / "b.jpg").symlink_to("a.jpg")
    (photos / "sub" / "loop.png").symlink_to("loop.png")
    (photos / "gone.jpg").symlink_to("nowhere.jpg")
    before = digests(photos)
    result = redact(photos, "-r", "--hide", "face")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    out = tmp_path / "photos_redacted"
    entries = {
        Path(e["input"]).name: e
        for e in map(json.loads, (out / "report.jsonl").read_text().splitlines())
    }
    for name in ("self.jpg", "a.jpg", "b.jpg", "loop.png"):
        assert entries[name]["error_code"] == "symlink_loop", name
        assert name in result.stderr
    assert entries["gone.jpg"]["error_code"] == "broken_link"
    assert entries["real.jpg"]["counts"] == {"face": 1}
    assert (out / "real.jpg").is_file() and (out / "sub" / "deep.jpg").is_file()
    assert digests(photos) == before
    # An explicit input that is a loop: reported the same way.
    result = redact(
        photos / "self.jpg", photos / "real.jpg", "--hide", "face", "--out", tmp_path / "o2"
    )
    assert result.exit_code == 1 and "symbolic link loop" in result.stderr
    assert digests(photos) == before


# -- cases 4 and 5: permissions (the real command, without root's powers) -----------------------


def test_unreadable_folders_and_files_are_reported_and_the_run_goes_on(tmp_path: Path):
    photos = tmp_path / "photos"
    photo(photos / "ok.jpg")
    photo(photos / "locked" / "hidden_from_us.jpg")
    photo(photos / "secret.jpg")
    before = digests(photos)
    os.chmod(photos / "locked", 0)
    os.chmod(photos / "secret.jpg", 0)
    try:
        result = cli_without_root_powers(photos, "-r", "--hide", "face", cwd=tmp_path)
        alone = cli_without_root_powers(
            photos / "locked", "--hide", "face", "--out", tmp_path / "o", cwd=tmp_path
        )
        given = cli_without_root_powers(
            photos / "secret.jpg",
            photos / "ok.jpg",
            "--hide",
            "face",
            "--out",
            tmp_path / "o2",
            cwd=tmp_path,
        )
    finally:
        os.chmod(photos / "locked", 0o755)
        os.chmod(photos / "secret.jpg", 0o644)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    entries = {
        Path(e["input"]).name: e
        for e in map(
            json.loads, (tmp_path / "photos_redacted" / "report.jsonl").read_text().splitlines()
        )
    }
    assert entries["locked"]["error_code"] == "unreadable_folder"
    assert entries["secret.jpg"]["error_code"] == "unreadable"
    assert entries["ok.jpg"]["counts"] == {"face": 1}
    assert "locked" in result.stderr and "secret.jpg" in result.stderr
    # Given explicitly: reported as unreadable, not "no images found".
    assert alone.returncode == 1, alone.stderr
    assert "cannot list folder" in alone.stderr and "no images" not in alone.stderr
    # An unreadable file given explicitly: named, the other one redacted.
    assert given.returncode == 1 and "no permission to read" in given.stderr, given.stderr
    assert (tmp_path / "o2" / "ok.jpg").is_file() and not (tmp_path / "o2" / "secret.jpg").exists()
    assert digests(photos) == before


def test_unwritable_out_and_report_folders_are_refused_before_any_work(tmp_path: Path):
    photos = tmp_path / "photos"
    photo(photos / "a.jpg")
    photo(photos / "b.jpg")
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    (tmp_path / "afile").write_text("a file, not a folder")
    before = digests(tmp_path)
    os.chmod(readonly, 0o555)
    try:
        cases = [
            (["--out", readonly], "no permission to write"),
            (["--out", readonly / "new"], "no permission to write"),
            (["--out", tmp_path / "afile"], "is a file"),
            (["--out", tmp_path / "o", "--report", readonly / "r.jsonl"], "no permission"),
        ]
        for args, needle in cases:
            result = cli_without_root_powers(photos, "--hide", "face", *args, cwd=tmp_path)
            assert result.returncode == 2, (args, result.stderr)
            assert result.stderr.count("\n") == 1 and needle in result.stderr, result.stderr
            assert not result.stdout.strip(), result.stdout  # no work, no summary
    finally:
        os.chmod(readonly, 0o755)
    assert digests(tmp_path) == before
    assert not (tmp_path / "o").exists() and not (tmp_path / "photos_redacted").exists()


# -- case 6: Ctrl-C -----------------------------------------------------------------------------


# In one process Ctrl-C lands when the running stage returns (a native call cannot be cut):
# faces only keeps stages short. Workers are given the default hide (OCR: longer images).
@pytest.mark.parametrize("workers,hide", [(1, "face"), (2, "defaults")])
def test_ctrl_c_keeps_the_report_of_what_finished_and_leaves_no_temp_files(
    tmp_path: Path, workers: int, hide: str
):
    photos = tmp_path / "photos"
    card = ROOT / "samples" / "badge_photo.jpg"
    photos.mkdir()
    for i in range(20):
        shutil.copy(card, photos / f"p{i:02d}.jpg")
    before = digests(photos)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "redactor.cli",
        str(photos),
        "--out",
        str(out),
        "-j",
        str(workers),
        *(["--hide", hide] if hide != "defaults" else []),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    # Its own process group, as a shell gives a job: Ctrl-C reaches the workers too.
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    report = out / "report.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if report.exists() and report.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=30)
    took = time.monotonic() - sent
    assert process.returncode == 130, stderr
    assert took < 5, took
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    listed = [json.loads(line) for line in report.read_text().splitlines()]
    written = sorted(p.name for p in out.iterdir() if p.name != "report.jsonl")
    assert sorted(Path(e["output"]).name for e in listed) == written  # the report is true
    assert 1 <= len(listed) < 20
    assert f"interrupted: {len(listed)} of 20 images done" in stderr
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert digests(photos) == before


# -- cases 7 and 8: previews and permissions ----------------------------------------------------


def test_previews_go_to_their_own_private_folder_with_unique_names(tmp_path: Path):
    photos = tmp_path / "photos"
    photo(photos / "a.jpg")
    photo(photos / "a.png")
    photo(photos / "mine.preview.jpg")  # the user's own file, not one of our previews
    os.chmod(photos / "a.jpg", 0o600)
    before = digests(photos)
    result = redact(photos, "--hide", "face", "--preview")
    assert result.exit_code == 0, result.output
    out, previews = tmp_path / "photos_redacted", tmp_path / "photos_previews_UNREDACTED"
    assert sorted(p.name for p in out.iterdir()) == [
        "a.jpg",
        "a.png",
        "mine.preview.jpg",
        "report.jsonl",
    ]
    assert sorted(p.name for p in previews.iterdir()) == [
        "a.jpg.preview.jpg",
        "a.png.preview.jpg",
        "mine.preview.jpg.preview.jpg",
    ]
    for preview in previews.iterdir():
        assert stat.S_IMODE(preview.stat().st_mode) == 0o600, preview
    assert "UNREDACTED" in result.stderr and "do not share" in result.stderr
    # Case 8: outputs keep the input's permission bits.
    assert stat.S_IMODE((out / "a.jpg").stat().st_mode) == 0o600
    # A later run (without --preview) leaves no preview beside the redacted images; a run
    # with --preview again replaces its own previews.
    assert redact(photos, "--hide", "face").exit_code == 0
    assert not [p for p in out.iterdir() if p.name.endswith(".preview.jpg.preview.jpg")]
    assert redact(photos, "--hide", "face", "--preview").exit_code == 0
    assert digests(photos) == before


def test_an_earlier_versions_preview_beside_the_outputs_is_named(tmp_path: Path):
    """Earlier versions put `a.preview.jpg` (the original) into photos_redacted/: not provably
    ours, so it is kept, and the summary says what it may be."""
    photos, out = tmp_path / "photos", tmp_path / "photos_redacted"
    photo(photos / "a.jpg")
    photo(out / "a.preview.jpg")
    before = digests(tmp_path)
    result = redact(photos, "--hide", "face")
    assert result.exit_code == 0, result.output
    assert "a.preview.jpg beside the redacted images may be an UNREDACTED preview" in result.stderr
    assert {k: v for k, v in digests(tmp_path).items() if "a.preview" in k or "/photos/" in k} == {
        k: v for k, v in before.items()
    }


def test_dry_run_preview_writes_no_originals_into_an_output_folder(tmp_path: Path):
    photos = tmp_path / "photos"
    photo(photos / "a.jpg")
    before = digests(photos)
    result = redact(photos, "--hide", "face", "--dry-run", "--preview")
    assert result.exit_code == 0, result.output
    redacted = tmp_path / "photos_redacted"
    assert not redacted.exists() or sorted(p.name for p in redacted.iterdir()) == ["report.jsonl"]
    assert [p.name for p in (tmp_path / "photos_previews_UNREDACTED").iterdir()] == [
        "a.jpg.preview.jpg"
    ]
    assert digests(photos) == before


def test_outputs_are_never_more_readable_than_their_input(tmp_path: Path):
    photos = tmp_path / "photos"
    for name, mode in (("private.jpg", 0o600), ("group.jpg", 0o640), ("script.jpg", 0o755)):
        photo(photos / name)
        os.chmod(photos / name, mode)
    before = digests(photos)
    assert redact(photos, "--hide", "face").exit_code == 0
    out = tmp_path / "photos_redacted"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.glob("*.jpg")}
    umask = os.umask(0)
    os.umask(umask)
    assert modes == {
        "private.jpg": 0o600,
        "group.jpg": 0o640 & ~umask,
        "script.jpg": 0o644 & ~umask,
    }
    assert digests(photos) == before


# -- case 9: a re-run that would hide less ------------------------------------------------------


def test_a_rerun_that_would_hide_less_is_refused(tmp_path: Path, face_detector):
    photos = tmp_path / "photos"
    photo(photos / "a.jpg", size=512)
    before = digests(photos)
    assert redact(photos, "--hide", "face").exit_code == 0
    out = tmp_path / "photos_redacted"
    redacted = digests(out)
    one_line_error(redact(photos, "--hide", "name"), "hiding face", "--overwrite")
    assert digests(out) == redacted  # the face stays hidden
    import numpy as np

    assert not face_detector.detect(np.asarray(Image.open(out / "a.jpg").convert("RGB")))
    # The same or more: fine. Less, with --overwrite: as asked.
    assert redact(photos, "--hide", "face,name").exit_code == 0
    assert redact(photos, "--hide", "name", "--overwrite").exit_code == 0
    assert face_detector.detect(np.asarray(Image.open(out / "a.jpg").convert("RGB")))
    assert digests(photos) == before


# -- no traceback, ever ------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_with_the_details_in_a_file(tmp_path: Path, monkeypatch):
    import redactor.batch

    photo(tmp_path / "a.jpg")

    def broken(*args, **kwargs):
        raise TypeError("something nobody expected")

    monkeypatch.setattr(redactor.batch, "plan_batch", broken)
    result = redact(tmp_path / "a.jpg", "--hide", "face")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "internal error (TypeError: something nobody expected)" in result.stderr
    details = Path(result.stderr.split("details in ")[1].split(";")[0])
    try:
        assert "Traceback" in details.read_text() and stat.S_IMODE(details.stat().st_mode) == 0o600
    finally:
        details.unlink()
