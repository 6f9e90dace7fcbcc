"""The `redact` command on real files: outputs, reports, failures, workers, safety of originals."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from redactor.cli import app
from tests.batch.conftest import ASTRONAUT, ASTRONAUT_FACE, overlaps

runner = CliRunner()
NUDITY_ERROR = (
    "error: cannot hide nudity: no loaded detector finds it; "
    "needs a PrivObfNet model: pass --model FILE"
)


def redact(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """photos/: the sample photo, a PNG and a greyscale TIFF made from it, a corrupt JPEG, a
    text file, and a sub-folder with a WebP."""
    folder = tmp_path / "photos"
    (folder / "trip").mkdir(parents=True)
    shutil.copy(ASTRONAUT, folder / "astronaut.jpg")
    upright = Image.open(ASTRONAUT)
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(upright)
    upright.save(folder / "portrait.png")
    upright.convert("L").save(folder / "grey.tif")
    upright.save(folder / "trip" / "day1.webp")
    (folder / "broken.jpg").write_bytes(ASTRONAUT.read_bytes()[:5000])
    (folder / "notes.txt").write_text("not an image")
    return folder


def _add_bad_files(folder: Path) -> None:
    """A decompression bomb's header (40000 x 40000 px) and a text file named .jpg."""
    from tests.batch.test_imageio import _png_claiming

    (folder / "bomb.png").write_bytes(_png_claiming(40_000, 40_000))
    (folder / "fake.jpg").write_text("hello, I am not a photo")


def test_folder_with_a_corrupt_file_completes_reports_it_and_exits_non_zero(photos: Path):
    _add_bad_files(photos)
    before = _digests(photos)
    result = redact(photos, "--hide", "face", "--recursive")
    assert result.exit_code == 1, result.output
    out = photos.parent / "photos_redacted"
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == [
        "astronaut.jpg",
        "grey.tif",
        "portrait.png",
        "report.jsonl",
        "trip/day1.webp",
    ]
    assert _digests(photos) == before  # originals byte-identical

    lines = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    by_name = {Path(entry["input"]).name: entry for entry in lines}
    assert set(by_name) == {
        "astronaut.jpg",
        "broken.jpg",
        "grey.tif",
        "portrait.png",
        "day1.webp",
        "bomb.png",
        "fake.jpg",
        "notes.txt",
    }
    # Files that are not images are named, not redacted (no output, no error).
    assert by_name["notes.txt"]["skipped"].startswith("not an image")
    assert by_name["notes.txt"]["output"] is None and "error" not in by_name["notes.txt"]
    assert "notes.txt" in result.stderr
    assert by_name["broken.jpg"]["error_code"] == "bad_image"
    assert "truncated" in by_name["broken.jpg"]["error"]
    assert by_name["bomb.png"]["error_code"] == "image_too_large"
    assert by_name["fake.jpg"]["error_code"] == "bad_image"
    assert re.search(r"failed\W+3\b", result.stdout)  # the summary table's row
    for name in ("astronaut.jpg", "grey.tif", "portrait.png", "day1.webp"):
        assert by_name[name]["counts"] == {"face": 1}, name
        assert "text" not in json.dumps(by_name[name]["regions"])
    assert "broken.jpg" in result.stderr and "truncated" in result.stderr
    # Same format and mode out as in.
    assert Image.open(out / "grey.tif").mode == "L"
    assert Image.open(out / "trip" / "day1.webp").format == "WEBP"


def test_output_is_stripped_of_metadata_upright_and_faceless(tmp_path: Path, face_detector):
    shutil.copy(ASTRONAUT, tmp_path / "astronaut.jpg")
    result = redact(tmp_path / "astronaut.jpg", "--hide", "face")
    assert result.exit_code == 0, result.output
    # A file's output goes into <its folder>/<folder name>_redacted/.
    out = tmp_path / f"{tmp_path.name}_redacted" / "astronaut.jpg"
    data = out.read_bytes()
    for secret in (b"SN-0042-1337", b"Sample Owner", b"SampleCam", b"xmpmeta"):
        assert secret not in data
    image = Image.open(io.BytesIO(data))
    assert len(image.getexif()) == 0 and "comment" not in image.info
    pixels = np.asarray(image.convert("RGB"))
    # Upright: the face is where it is in the upright photo, and no detector finds it any more.
    assert not [f for f in face_detector.detect(pixels) if overlaps(f.box, ASTRONAUT_FACE, 0.3)]
    upright = np.asarray(Image.open(ASTRONAUT).transpose(Image.Transpose.ROTATE_270).convert("RGB"))
    assert np.abs(pixels[400:].astype(int) - upright[400:]).mean() < 4


def test_keep_metadata(tmp_path: Path):
    result = redact(ASTRONAUT, "--hide", "face", "--keep-metadata", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    image = Image.open(tmp_path / "astronaut.jpg")
    assert image.getexif().get_ifd(0x8825).get(1) == "N"
    assert image.getexif().get(0x0112) in (None, 1)


def test_dry_run_writes_no_images_and_preview_writes_overlays(photos: Path, tmp_path: Path):
    out = tmp_path / "dry"
    result = redact(photos, "--hide", "face", "--dry-run", "--out", out)
    assert result.exit_code == 1  # broken.jpg
    assert sorted(p.name for p in out.iterdir()) == ["report.jsonl"]
    entries = [json.loads(x) for x in (out / "report.jsonl").read_text().splitlines()]
    assert all(e["output"] is None for e in entries)
    assert sum(e.get("counts", {}).get("face", 0) for e in entries) == 3

    out = tmp_path / "preview"
    result = redact(
        photos / "portrait.png", "--hide", "face", "--dry-run", "--preview", "--out", out
    )
    assert result.exit_code == 0, result.output
    # The preview (the original, with overlays) never goes into the output folder.
    assert sorted(p.name for p in out.iterdir()) == ["report.jsonl"]
    previews = tmp_path / "preview_previews_UNREDACTED"
    assert sorted(p.name for p in previews.iterdir()) == ["portrait.png.preview.jpg"]


@pytest.mark.slow  # two spawned worker processes, each loading the models
def test_two_workers_give_the_same_outputs(photos: Path, tmp_path: Path):
    (photos / "broken.jpg").unlink()
    one, two = tmp_path / "one", tmp_path / "two"
    assert redact(photos, "--hide", "face", "-r", "--out", one).exit_code == 0
    result = redact(photos, "--hide", "face", "-r", "--out", two, "--workers", "2")
    assert result.exit_code == 0, result.output
    images_one = {k: v for k, v in _digests(one).items() if k != "report.jsonl"}
    images_two = {k: v for k, v in _digests(two).items() if k != "report.jsonl"}
    assert len(images_one) == 4 and images_one == images_two
    strip = lambda folder: [  # noqa: E731 - timings differ, the rest must not
        {k: v for k, v in json.loads(x).items() if k not in ("timings", "output")}
        for x in (folder / "report.jsonl").read_text().splitlines()
    ]
    assert strip(one) == strip(two)


def test_report_path_and_summary(photos: Path, tmp_path: Path):
    report = tmp_path / "all.jsonl"
    result = redact(
        photos / "portrait.png", "--hide", "face", "--out", tmp_path / "o", "--report", report
    )
    assert result.exit_code == 0
    assert len(report.read_text().splitlines()) == 1
    assert "hidden: face" in result.stdout and "images redacted" in result.stdout


def test_outputs_never_overwrite_inputs(photos: Path):
    before = _digests(photos)
    result = redact(photos, "--out", photos, "--hide", "face")
    assert result.exit_code == 2 and "originals would be overwritten" in result.stderr
    result = redact(photos / "portrait.png", "--out", photos, "--hide", "face")
    assert result.exit_code == 2 and "overwrite an input" in result.stderr
    assert _digests(photos) == before


@pytest.mark.parametrize(
    "args,message",
    [
        (["--hide", "faces"], "error: unknown attribute 'faces'; valid names:"),
        (["--hide", "face,nudity"], NUDITY_ERROR),
        (["--hide", "defaults,nudity"], NUDITY_ERROR),  # "defaults" is the usual set, not a name
        (["--mode", "swirl", "--hide", "face"], "error: unknown mode 'swirl'"),
        (["--threshold", "faces", "--hide", "face"], "error: --threshold wants NAME=VALUE"),
    ],
)
def test_usage_errors_are_one_line(photos: Path, args, message):
    result = redact(photos, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (photos.parent / "photos_redacted").exists()


@pytest.mark.slow  # a `redact` subprocess
def test_console_script_fails_closed_in_one_line(photos: Path):
    process = subprocess.run(
        [sys.executable, "-m", "redactor.cli", str(photos), "--hide", "nudity"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert process.stderr.strip().splitlines() == [NUDITY_ERROR]


def test_a_missing_extra_is_its_pip_install_line(tmp_path: Path):
    """One boundary for every command: an optional package that is not installed is named with
    the line that installs it (torch made unimportable in a fresh interpreter)."""
    process = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['torch'] = None; "
         "from redactor.cli import run_app; run_app()",
         "evaluate", "--checkpoint", str(tmp_path / "m.pt"), "--data", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 2, process.stderr
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: `redact evaluate` needs the `train` extra (pip install -e '.[train]'): "
    ), lines
    assert "torch" in lines[0]


def test_an_import_error_that_is_no_extra_is_not_disguised():
    from redactor.commands import missing_extra

    assert missing_extra(ModuleNotFoundError("x", name="torch"), "run") == "train"
    assert missing_extra(ModuleNotFoundError("x", name="ray.data"), "run") == "ray"
    # A typo in our own imports is a bug: no install line would fix it.
    assert (
        missing_extra(ImportError("cannot import name 'nope'", name="redactor.batch"), "run")
        is None
    )


def test_attributes_command_lists_every_attribute_and_its_detector():
    result = runner.invoke(app, ["attributes"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any("a9_face_complete" in line and "faces" in line and "face" in line for line in lines)
    assert any("a13_full_nudity" in line and "--model" in line for line in lines)
    assert any("a104_license_plate_partial" in line for line in lines)
    assert sum(1 for line in lines if " a" in line and "_" in line) >= 68


def _mean_abs(a: np.ndarray, b: np.ndarray, box) -> float:
    x0, y0, x1, y1 = box
    return float(np.abs(a[y0:y1, x0:x1].astype(int) - b[y0:y1, x0:x1]).mean())


@pytest.mark.slow  # the command loads its own OCR and private-text models (a second load)
def test_default_run_hides_faces_and_names_and_keeps_plain_text(tmp_path: Path, face_detector):
    """End to end on a committed sample, with the default hide (faces and private text)."""
    sample = ASTRONAUT.parent / "badge_photo.jpg"
    truth = json.loads((ASTRONAUT.parent / "badge_photo.json").read_text())
    result = redact(sample, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    before = np.asarray(Image.open(sample).convert("RGB"))
    after = np.asarray(Image.open(tmp_path / "badge_photo.jpg").convert("RGB"))

    face_box = truth["regions"][0]["box"]
    assert not [f for f in face_detector.detect(after) if overlaps(f.box, face_box, 0.3)]
    for item in truth["items"]:
        x0, y0, x1, y1 = item["box"]
        inner = after[y0 + 4 : y1 - 4, x0 + 4 : x1 - 4]  # inside the glyphs' box
        if item["kind"] == "name":
            assert (inner.max(axis=2) < 40).mean() > 0.95, item["kind"]  # solid black fill
        else:  # left alone (its lower edge may meet the next line's margin)
            upper = (x0, y0, x1, y0 + (y1 - y0) * 2 // 3)
            assert _mean_abs(after, before, upper) < 6, item["text"]

    (entry,) = [json.loads(x) for x in (tmp_path / "report.jsonl").read_text().splitlines()]
    assert entry["counts"].get("face", 0) >= 1 and entry["counts"].get("name", 0) >= 2
    assert {"ocr", "pii"} <= set(entry["timings"])
    report_text = (tmp_path / "report.jsonl").read_text()
    assert "Alexandria" not in report_text and '"text":' not in report_text

    result = redact(sample, "--out", tmp_path / "with_text", "--dry-run", "--report-text")
    assert "Alexandria" in (tmp_path / "with_text" / "report.jsonl").read_text()
