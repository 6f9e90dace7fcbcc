"""Text detection tests: real PP-OCR models and a real Presidio analyzer, built once per session,
on images drawn here (with the box of every word drawn) and on the project's samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from redactor.detectors.base import Context, Region
from tests.text.rendering import Canvas

# What each tag in the scenes below must be hidden as (an attribute its regions must list).
EXPECTED_ATTRIBUTE = {
    "name": "a19_name_full",
    "first": "a20_name_first",
    "last": "a21_name_last",
    "birthdate": "a24_birth_date",
    "date": "a82_date_time",
    "address": "a78_address_home_complete",
    "email": "a90_email",
    "phone": "a49_phone",
    "card": "a30_credit_card",
    "iban": "a30_credit_card",
    "ssn": "a29_ausweis",
    "passport": "a31_passport",
    "licence": "a32_drivers_license",
    "url": "a85_username",
    "username": "a85_username",
}


@dataclass
class Scene:
    canvas: Canvas
    pixels: np.ndarray
    ctx: Context
    lines: list  # OcrLine
    regions: list[Region]  # the private-text detector's


@pytest.fixture(scope="session")
def ocr():
    from redactor.detectors.ocr import TextDetector

    return TextDetector()


@pytest.fixture(scope="session")
def pii(ocr):
    from redactor.detectors.pii import PrivateTextDetector

    return PrivateTextDetector(ocr)


def _scene(canvas: Canvas, ocr, pii) -> Scene:
    pixels = canvas.pixels()
    ctx = Context(pixels)
    regions = pii.detect(pixels, ctx)
    return Scene(canvas, pixels, ctx, ocr.lines(pixels, ctx), regions)


def form_canvas() -> Canvas:
    """A flat form: inline labelled values of every kind, and non-private text."""
    c = Canvas.blank(1000, 760, (236, 241, 250))
    c.write((30, 20), [("IDENTITY CARD", "plain")], size=34, bold=True, fill=(20, 40, 120))
    rows = [
        [("Name: ", "plain"), ("John Michael Smith", "name")],
        [("Date of birth: ", "plain"), ("12/03/1985", "birthdate")],
        [("Address: ", "plain"), ("1600 Pennsylvania Avenue NW", "address")],
        [("Washington, DC 20500", "address")],
        [("Email: ", "plain"), ("john.smith@example.com", "email")],
        [("Phone: ", "plain"), ("+1 (415) 555-0132", "phone")],
        [("Card: ", "plain"), ("4111 1111 1111 1111", "card")],
        [("SSN: ", "plain"), ("536-22-8726", "ssn")],
        [("Passport No: ", "plain"), ("X12345678", "passport")],
        [("Driver License: ", "plain"), ("D1234567", "licence")],
        [("IBAN: ", "plain"), ("GB82 WEST 1234 5698 7654 32", "iban")],
        [("Hello, how are you?", "plain")],
        [("ACME Widget Pro is on sale", "plain")],
    ]
    for row, parts in enumerate(rows):
        c.write((40 if parts[0][1] != "address" else 160, 90 + 50 * row), parts, size=24)
    return c


def note_canvas() -> Canvas:
    """Labels above their values (an ID card's layout), free text with dates, URLs, handles."""
    c = Canvas.blank(900, 620)
    c.write((40, 20), [("Surname", "plain")], size=18, fill=(90, 90, 90))
    c.write((40, 46), [("Hernandez", "last")], size=28, bold=True)
    c.write((40, 100), [("Given names", "plain")], size=18, fill=(90, 90, 90))
    c.write((40, 126), [("Erica", "first")], size=28, bold=True)
    c.write((40, 200), [("Meeting on ", "plain"), ("14 March 2025", "date"), (" at noon", "plain")])
    c.write((40, 260), [("Visit ", "plain"), ("https://example.org/u/jdoe", "url")])
    c.write((40, 320), [("Follow ", "plain"), ("@jane_doe99", "username"), (" for news", "plain")])
    c.write((40, 380), [("(474) 555-0156", "phone")])
    c.write((40, 440), [("Thank you for your order", "plain")])
    c.write((40, 500), [("Lovely weather for a ride today", "plain")])
    return c


def badge_canvas() -> Canvas:
    """A photo-like 1280x720 background with a name badge tilted by 4 degrees."""
    rng = np.random.default_rng(7)
    noise = (rng.normal(0, 1, (720, 1280, 3)).cumsum(axis=1) * 1.5 + 130).clip(0, 255)
    from PIL import Image, ImageFilter

    photo = Canvas(Image.fromarray(noise.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3)))
    white = (255, 255, 255)
    photo.write((60, 60), [("Welcome to the Spring Meetup", "plain")], size=28, fill=white)
    badge = Canvas.blank(320, 180)
    badge.write((14, 12), [("ACME CONFERENCE", "plain")], size=20, bold=True, fill=(30, 60, 160))
    badge.write((14, 62), [("Maria Garcia", "name")], size=30, bold=True)
    badge.write((14, 116), [("Product Manager", "plain")], size=20, fill=(60, 60, 60))
    photo.paste_rotated(badge, 4.0, (700, 300))
    return photo


@pytest.fixture(scope="session")
def form_scene(ocr, pii) -> Scene:
    return _scene(form_canvas(), ocr, pii)


@pytest.fixture(scope="session")
def note_scene(ocr, pii) -> Scene:
    return _scene(note_canvas(), ocr, pii)


@pytest.fixture(scope="session")
def badge_scene(ocr, pii) -> Scene:
    return _scene(badge_canvas(), ocr, pii)
