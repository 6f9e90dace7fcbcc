"""The detector registry's contract, checked over every registered spec (as timm tests every
registered model): each spec imports, builds from DetectorSettings alone where its extra is
installed, and its `detect` on a real photo returns Regions named after it whose attributes
are among the ones it declares, and fills the Context keys it says it provides."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import tomllib
from PIL import Image

from redactor import attributes
from redactor.detectors import BY_NAME, REGISTRY, SPECS, Context, DetectorSettings, Key, Region
from redactor.pipeline import STAGES, Redactor

ROOT = Path(__file__).resolve().parents[1]
# A real photo with a face, a person and private text (a name on a badge).
PHOTO = ROOT / "samples" / "badge_photo.jpg"
KINDS = {"face", "text", "person", "model"}
SHAPES = {"box", "ellipse", "polygon", "mask"}
# What each extra needs importable before its detectors can be built.
EXTRA_MODULES = {"human": "mediapipe"}


def extra_installed(extra: str | None) -> bool:
    if extra is None:
        return True
    return importlib.util.find_spec(EXTRA_MODULES.get(extra, extra)) is not None


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.asarray(Image.open(PHOTO).convert("RGB"))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.server.test_model_batching import tiny_checkpoint

    return tiny_checkpoint(tmp_path_factory.mktemp("registry") / "tiny.pt")


def settings_for(spec, model_file: Path, built: dict) -> DetectorSettings:
    return DetectorSettings(
        model=model_file if spec.loaded_attributes else None,
        upstream={name: built[name] for name in spec.reads},
    )


def test_the_table_is_whole():
    assert list(REGISTRY) == [spec.name for spec in SPECS] == list(BY_NAME)
    assert list(STAGES[1:-2]) == [spec.name for spec in SPECS]
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    provided = {key for spec in SPECS for key in spec.provides}
    for position, spec in enumerate(SPECS):
        assert spec.extra is None or spec.extra in extras, spec
        assert spec.hint, spec
        # A detector reads only detectors of earlier stages, and what it needs someone provides.
        earlier = {s.name for s in SPECS[:position]}
        assert set(spec.reads) <= earlier, spec
        assert set(spec.needs) <= provided, spec
        assert all(isinstance(key, Key) for key in spec.needs + spec.provides), spec
        for name in spec.reads:
            assert BY_NAME[name].fill is not None, f"{spec.name} reads {name}, which fills nothing"
        hinted = spec.hint_for()
        assert hinted <= set(attributes.BY_ID), spec


@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
def test_every_detector_honours_its_spec(spec, photo, model_file):
    cls = spec.load()
    assert cls.name == spec.name
    if spec.fill is not None:
        assert callable(getattr(cls, spec.fill))
    if spec.batches:
        assert callable(cls.detect_batch)
    if not extra_installed(spec.extra):
        pytest.skip(f"the {spec.extra!r} extra is not installed here")
    built: dict = {}
    for name in spec.reads:  # what it reads, built the same way
        other = BY_NAME[name]
        built[name] = other.build(settings_for(other, model_file, built))
    detector = spec.build(settings_for(spec, model_file, built))
    declared = frozenset(detector.attributes)
    if not spec.loaded_attributes:
        assert declared == cls.attributes  # known before anything is built (coverage check)
    assert declared and declared <= set(attributes.BY_ID)

    ctx = Context(photo)
    found = detector.detect(photo, ctx)
    assert found, f"{spec.name} found nothing in {PHOTO.name}"
    for region in found:
        assert isinstance(region, Region)
        assert region.detector == spec.name
        assert region.attributes and set(region.attributes) <= declared, region
        assert region.kind in KINDS and region.shape in SHAPES
        x0, y0, x1, y1 = region.box
        assert 0 <= x0 < x1 <= photo.shape[1] and 0 <= y0 < y1 <= photo.shape[0], region
    for key in spec.provides:
        assert ctx.peek(key) is not None, f"{spec.name} did not provide {key}"


def test_every_spec_can_be_asked_for_and_its_hint_is_what_users_see():
    plain = Redactor()
    assert set(plain.configured) == {spec.name for spec in SPECS if spec.default}
    for spec in SPECS:
        if spec.default or spec.loaded_attributes:
            continue
        # An opt-in detector's attributes are refused with its hint until it is asked for.
        attribute_id = min(spec.hint_for())
        with pytest.raises(Exception) as refused:
            plain.resolve_hide([attribute_id])
        assert spec.hint in str(refused.value)
    model = BY_NAME["model"]
    with pytest.raises(Exception) as refused:
        plain.resolve_hide(["nudity"])
    assert model.hint in str(refused.value)
    assert Redactor(person=True).configured == tuple(s.name for s in SPECS if s.name != "model")


def test_person_masks_work_after_ocr_ran_in_the_same_thread(samples_dir):
    """OCR's ONNX Runtime sessions flush denormals to zero on the calling thread; MediaPipe's
    graph failed to open on such a thread (a crash when a request asked for person masks after
    one that read text)."""
    pytest.importorskip("mediapipe", reason="person masks need the `human` extra")
    from redactor import RedactOptions, Redactor

    redactor = Redactor(person=True)
    data = (samples_dir / "badge_photo.jpg").read_bytes()
    _, report = redactor.redact_bytes(data, RedactOptions(hide=("name",)))
    assert report.error is None and any(r.detector == "pii" for r in report.hidden)
    _, report = redactor.redact_bytes(data, RedactOptions(hide=("person",)))
    assert report.error is None
    assert [r.detector for r in report.hidden] == ["person"]
