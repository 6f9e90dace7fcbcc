"""Shared test set-up. Each area keeps its own fixtures in its own conftest or test module."""

from __future__ import annotations

import os

# Keep test runs offline and quiet: tldextract (used by presidio) must not try the network.
os.environ.setdefault(
    "TLDEXTRACT_CACHE", os.path.join(os.path.dirname(__file__), ".cache", "tldextract")
)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

TESTS = Path(__file__).resolve().parent
SAMPLES = TESTS.parent / "samples"
# The fast loop, `pytest -m "not slow"`, leaves out what starts other programs or trains a model:
# browsers (every `browser` test), Ray clusters, torchrun, `redact` run as a subprocess per test,
# multi-process generation and training runs. Single tests elsewhere carry @pytest.mark.slow.
# CI runs everything.
SLOW_PLACES = (
    "ray/",
    "training/test_torchrun.py",
    "training/test_synthetic_set.py",
    "training/test_collapse.py",  # training runs
    "server/test_native_host.py",
    "server/test_slow_clients.py",  # waits for timeouts by design
    "text/test_tiling.py",  # OCR over whole scrolling screenshots and panoramas
    "export/test_real_eval.py",  # builds a real-image set and runs the CLI on it
)
# Single tests of several seconds each (subprocesses, whole-image OCR checks, golden sets).
SLOW_TESTS = frozenset({
    "test_ctrl_c_keeps_the_report_of_what_finished_and_leaves_no_temp_files",
    "test_unreadable_folders_and_files_are_reported_and_the_run_goes_on",
    "test_unwritable_out_and_report_folders_are_refused_before_any_work",
    "test_redact_serve_refuses_in_one_line_and_trust_model_starts",
    "test_serve_hide_defaults_plus_a_name_starts",
    "test_package_images_make_a_valid_labelled_set",
    "test_faces_in_a_scrolling_strip_are_found_and_hidden",
    "test_float_tiff_is_seen_scaled_and_written_as_float_with_the_private_parts_hidden",
    "test_16_bit_png_keeps_its_depth_and_hides_the_face_and_text",
    "test_16_bit_rgb_tiff_keeps_its_depth_tags_and_profile",
    "test_generated_sets_are_byte_identical_for_the_same_seed",
    "test_pixelated_id_card_text_cannot_be_read",
})  # fmt: skip


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(item.path)
        where = path.relative_to(TESTS).as_posix() if TESTS in path.parents else ""
        slow_test = getattr(item, "originalname", item.name) in SLOW_TESTS
        if "browser" in item.keywords or where.startswith(SLOW_PLACES) or slow_test:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def samples_dir():
    """The project's committed sample images."""
    return SAMPLES


@pytest.fixture(scope="session")
def shared_redactor():
    """One Redactor for the whole test session: each detector is built on first use, once, and
    every test area can reuse it (building OCR + private text costs several seconds)."""
    from redactor import Redactor

    return Redactor()
