"""The Redactor: what it hides, failing closed, reports, and the faces really gone."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from redactor import RedactOptions, Redactor, attributes
from redactor.errors import UncoveredAttributeError, UsageError
from redactor.imageio import decode
from tests.batch.conftest import ASTRONAUT, ASTRONAUT_FACE, overlaps

FACE = RedactOptions(hide=("face",))


def test_unknown_attribute_is_a_usage_error_listing_valid_names(redactor):
    with pytest.raises(UsageError, match=r"unknown attribute 'faces'.*valid names: .*face"):
        redactor.resolve_hide(["faces"])


def test_uncovered_attribute_fails_closed_naming_what_would_cover_it(redactor):
    with pytest.raises(UncoveredAttributeError, match=r"nudity.*--model FILE"):
        redactor.resolve_hide(["face", "nudity"])
    with pytest.raises(UncoveredAttributeError, match=r"person.*--person"):
        redactor.resolve_hide(["person"])
    with pytest.raises(UncoveredAttributeError):
        redactor.check(RedactOptions(hide=("a31_passport", "tattoo")))


def test_default_and_all(redactor):
    faces = attributes.resolve(["face"])
    default = redactor.resolve_hide(None)
    assert faces <= default <= redactor.covered
    # The default is faces plus every kind of private text the loaded detectors know.
    assert default == attributes.resolve(attributes.DEFAULT_HIDE) & redactor.covered
    assert redactor.resolve_hide(["all"]) == redactor.covered
    assert redactor.resolve_hide(["face_complete", "a10_face_partial"]) == faces


@pytest.mark.parametrize(
    "options,message",
    [
        (RedactOptions(hide=("face",), mode="smear"), "valid modes"),
        (RedactOptions(hide=("face",), margin=5.0), "margin"),
        (RedactOptions(hide=("face",), thresholds={"eyes": 0.5}), "unknown detector 'eyes'"),
        (RedactOptions(hide=("face",), thresholds={"faces": 1.5}), "between 0 and 1"),
        (RedactOptions(hide=()), "nothing to hide"),
    ],
)
def test_bad_options_are_usage_errors(redactor, options, message):
    with pytest.raises(UsageError, match=message):
        redactor.check(options)


@pytest.mark.parametrize("mode", ["blur", "fill"])
def test_face_in_the_sample_is_hidden_so_a_detector_no_longer_finds_it(
    redactor, face_detector, mode
):
    data, report = redactor.redact_bytes(
        ASTRONAUT.read_bytes(), RedactOptions(hide=("face",), mode=mode)
    )
    assert report.counts == {"face": 1}
    assert overlaps(report.hidden[0].box, ASTRONAUT_FACE, 0.8)
    out = decode(data).pixels
    # The independent check: a fresh detector, on the encoded output, finds no face there.
    assert not [f for f in face_detector.detect(out) if overlaps(f.box, ASTRONAUT_FACE, 0.3)]
    before = decode(ASTRONAUT.read_bytes()).pixels
    x0, y0, x1, y1 = ASTRONAUT_FACE
    assert np.abs(out[y0:y1, x0:x1].astype(int) - before[y0:y1, x0:x1]).mean() > 20
    assert np.abs(out[400:, :100].astype(int) - before[400:, :100]).mean() < 3  # rest kept


def test_report_json(redactor):
    _, report = redactor.redact_bytes(ASTRONAUT.read_bytes(), FACE)
    entry = json.loads(json.dumps(report.to_json()))
    assert entry["width"] == 512 and entry["height"] == 512 and entry["format"] == "JPEG"
    assert entry["hide"] == ["a10_face_partial", "a9_face_complete"]
    assert entry["counts"] == {"face": 1}
    (region,) = entry["regions"]
    assert (
        region["detector"] == "faces" and region["hidden"] is True and 0 < region["confidence"] <= 1
    )
    assert set(entry["timings"]) == {"decode", "faces", "obfuscate", "encode"}
    assert "error" not in entry and "privacy_score" not in entry


def test_options_travel_to_worker_processes():
    import pickle

    for options in (RedactOptions(), RedactOptions(hide=("face",), thresholds={"faces": 0.4})):
        assert pickle.loads(pickle.dumps(options)) == options


def test_thresholds_reach_the_detector(redactor):
    _, report = redactor.redact_bytes(
        ASTRONAUT.read_bytes(), RedactOptions(hide=("face",), thresholds={"faces": 0.999})
    )
    assert report.counts == {}


def test_redact_many_matches_redact(redactor):
    image = decode(ASTRONAUT.read_bytes())
    single = redactor.redact(image, FACE)
    many = redactor.redact_many([image, image], FACE)
    assert len(many) == 2
    for result in many:
        assert np.array_equal(result.pixels, single.pixels)
        assert result.report.counts == {"face": 1}


def test_redact_file_reports_bad_input_instead_of_raising(redactor, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(ASTRONAUT.read_bytes()[:4000])
    report = redactor.redact_file(bad, tmp_path / "out" / "broken.jpg", FACE)
    assert report.failed and report.error_code == "bad_image" and "truncated" in report.error
    assert not (tmp_path / "out").exists()
    with pytest.raises(UsageError):
        redactor.redact_file(bad, tmp_path / "x.jpg", RedactOptions(hide=("bogus",)))


def test_dry_run_writes_only_the_preview(redactor, tmp_path):
    preview = tmp_path / "astronaut.preview.jpg"
    report = redactor.redact_file(ASTRONAUT, None, FACE, preview=preview)
    assert report.output is None and report.counts == {"face": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["astronaut.preview.jpg"]
    from PIL import Image

    shown = np.asarray(Image.open(io.BytesIO(preview.read_bytes())).convert("RGB")).astype(int)
    x0, y0, x1, y1 = ASTRONAUT_FACE
    assert (
        shown[(y0 + y1) // 2, (x0 + x1) // 2, 0] > shown[(y0 + y1) // 2, (x0 + x1) // 2, 2] + 40
    )  # red tint
    assert (shown[y0 - 2 : y0 + 1, x0 + 10, 0] > 180).any()  # the outline (label above it)


def test_recognised_text_stays_out_of_reports_unless_asked():
    from redactor.detectors.base import Region
    from redactor.pipeline import Report

    secret = Region(
        attributes=("a19_name_full",),
        box=(0, 0, 5, 5),
        score=0.9,
        detector="pii",
        kind="text",
        text="Jane Roe",
        label="PERSON",
    )
    report = Report(regions=[secret], hidden=[secret])
    assert "Jane Roe" not in json.dumps(report.to_json())
    assert report.to_json(with_text=True)["regions"][0]["text"] == "Jane Roe"
    assert report.counts == {"name": 1}


def test_threads_are_passed_to_detectors():
    single = Redactor(threads=1)  # what each of several worker processes uses
    _, report = single.redact_bytes(ASTRONAUT.read_bytes(), FACE)
    assert report.counts == {"face": 1}
    session = single._detector("faces", None)._session
    assert session.get_session_options().intra_op_num_threads == 1
    assert session.get_providers() == ["CPUExecutionProvider"]


def test_every_public_form_reports_the_same_stages_in_order(redactor, tmp_path):
    """One core path (issue 15): bytes, files and dry runs all time decoding first, the
    detectors, then obfuscation and encoding when there is an output."""
    data = ASTRONAUT.read_bytes()
    written = ["decode", "faces", "obfuscate", "encode"]
    _, report = redactor.redact_bytes(data, FACE)
    assert list(report.timings) == written
    assert list(redactor.analyze_bytes(data, FACE).timings) == ["decode", "faces"]
    out = tmp_path / "out.jpg"
    report = redactor.redact_file(ASTRONAUT, out, FACE)
    assert list(report.timings) == written and report.output == str(out) and out.is_file()
    dry = redactor.redact_file(ASTRONAUT, None, FACE)
    assert list(dry.timings) == ["decode", "faces"] and dry.output is None
    assert dry.counts == report.counts == {"face": 1}
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(data[:200])
    failed = redactor.redact_file(broken, tmp_path / "never.jpg", FACE)
    assert failed.failed and failed.error_code == "bad_image" and failed.hide == report.hide
    assert not (tmp_path / "never.jpg").exists()
