"""Private text: each kind found and covered on the words it was drawn with, non-private text
left alone, the right attributes (full vs first/last name, birth date vs other dates),
thresholds, nothing recognised in the logs, no network."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

import pytest

from redactor.detectors import text_patterns as tp
from tests.text.conftest import EXPECTED_ATTRIBUTE
from tests.text.rendering import covered_fraction, polygon_mask


def _coverage(scene, attribute: str | None = None):
    """Mask of the private-text regions (those listing `attribute`, or all)."""
    polygons = [r.polygon for r in scene.regions if attribute is None or attribute in r.attributes]
    return polygon_mask(scene.pixels.shape[:2], polygons)


def _check_private_words_covered(scene):
    missed = []
    for tag in sorted({w.tag for w in scene.canvas.words} - {"plain"}):
        mask = _coverage(scene, EXPECTED_ATTRIBUTE[tag])
        for word in scene.canvas.tagged(tag):
            cover = covered_fraction(word.polygon, mask)
            if cover < 0.9:
                missed.append(f"{tag}: {word.text!r} covered {cover:.2f}")
    assert not missed, missed


def _check_plain_words_left_alone(scene):
    mask = _coverage(scene)
    touched = []
    for word in scene.canvas.tagged("plain"):
        cover = covered_fraction(word.polygon, mask)
        if cover > 0.1:
            touched.append(f"{word.text!r} covered {cover:.2f}")
    assert not touched, touched


def test_every_kind_of_private_text_on_a_form_is_covered(form_scene):
    _check_private_words_covered(form_scene)


def test_form_labels_and_other_text_are_left_alone(form_scene):
    _check_plain_words_left_alone(form_scene)


def test_labels_above_values_dates_urls_and_handles(note_scene):
    _check_private_words_covered(note_scene)
    _check_plain_words_left_alone(note_scene)


def test_tilted_badge_name_is_covered_and_nothing_else(badge_scene):
    _check_private_words_covered(badge_scene)
    _check_plain_words_left_alone(badge_scene)
    (person,) = [r for r in badge_scene.regions if r.label == "PERSON"]
    assert person.text == "Maria Garcia"
    assert person.shape == "polygon" and person.kind == "text" and person.detector == "pii"


def _region_with(scene, text: str):
    (region,) = [r for r in scene.regions if r.text == text]
    return region


def test_attributes_say_what_kind_of_private_text_it_is(form_scene, note_scene):
    assert set(_region_with(form_scene, "John Michael Smith").attributes) == set(tp.NAME_FULL)
    assert _region_with(note_scene, "Erica").attributes == ("a20_name_first",)
    assert _region_with(note_scene, "Hernandez").attributes == ("a21_name_last",)
    birth = _region_with(form_scene, "12/03/1985")
    assert "a24_birth_date" in birth.attributes
    meeting = _region_with(note_scene, "14 March 2025")
    assert meeting.attributes == ("a82_date_time",)
    assert _region_with(form_scene, "4111 1111 1111 1111").label == "CREDIT_CARD"
    assert _region_with(form_scene, "john.smith@example.com").attributes == ("a90_email",)
    assert _region_with(form_scene, "X12345678").attributes == ("a31_passport",)
    assert _region_with(form_scene, "D1234567").attributes == ("a32_drivers_license",)
    assert _region_with(form_scene, "536-22-8726").attributes == ("a29_ausweis",)
    from redactor.detectors.pii import PrivateTextDetector

    for scene in (form_scene, note_scene):
        texts = [line.text for line in scene.lines]
        for region in scene.regions:
            assert set(region.attributes) <= PrivateTextDetector.attributes
            assert any(region.text in text for text in texts)


def test_threshold_overrides_the_per_entity_defaults(ocr, note_scene):
    from redactor.detectors.pii import PrivateTextDetector

    def phones(detector):
        return [r.text for r in detector.regions(note_scene.lines) if r.label == "PHONE_NUMBER"]

    assert phones(PrivateTextDetector(ocr)) == ["(474) 555-0156"]  # Presidio scores it 0.4
    assert phones(PrivateTextDetector(ocr, threshold=0.45)) == []
    strict = PrivateTextDetector(ocr, threshold=0.99)
    assert {r.label for r in strict.regions(note_scene.lines)} <= {"CREDIT_CARD", "EMAIL_ADDRESS"}


def test_recognised_text_never_reaches_the_logs(pii, form_scene, caplog):
    caplog.set_level(logging.DEBUG)
    regions = pii.regions(form_scene.lines)
    assert regions
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for region in regions:
        assert region.text not in logged


def test_email_domains_are_checked_without_the_network(pii, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the private-text detector tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    registry = pii.analyzer.engine.registry
    (email,) = [r for r in registry.recognizers if "EMAIL_ADDRESS" in r.supported_entities]
    fresh = type(email)()  # a new tldextract extractor that has read nothing yet
    assert fresh.validate_result("someone@mail.example.co.uk")
    assert not fresh.validate_result("someone@localhost")


@dataclass
class Line:
    """Text and box: what the private-text logic reads of an OCR line."""

    text: str
    box: tuple[int, int, int, int]


def _find(pii, rows):
    lines = [Line(text, box) for text, box in rows]
    return {(lines[f.line].text[f.start : f.end], f.label, f.attributes) for f in pii.find(lines)}


def test_labelled_fields_right_of_and_below_their_labels(pii):
    found = _find(
        pii,
        [
            ("Surname", (40, 20, 140, 40)),
            ("SMITH", (40, 44, 150, 74)),
            ("Place of birth", (300, 20, 450, 40)),
            ("Lyon", (300, 44, 380, 74)),
            ("Address", (40, 90, 130, 110)),
            ("12 Rose Lane", (40, 114, 250, 144)),
            ("Springfield IL 62704", (40, 148, 330, 178)),
            ("ID No.", (40, 200, 110, 220)),
            ("Nationality", (300, 200, 420, 220)),
            ("AB-9923-771", (40, 224, 200, 254)),
            ("French", (300, 224, 380, 254)),
            ("Tel.", (40, 280, 80, 300)),
            ("0161 496 0000", (90, 278, 260, 302)),
        ],
    )
    assert ("SMITH", "PERSON", tp.NAME_LAST) in found
    assert ("Lyon", "BIRTH_PLACE", tp.BIRTH_CITY) in found
    assert ("12 Rose Lane", "STREET_ADDRESS", tp.ADDRESS_ALL) in found
    assert ("Springfield IL 62704", "STREET_ADDRESS", tp.ADDRESS_ALL) in found
    assert ("AB-9923-771", "ID_NUMBER", tp.NATIONAL_ID) in found
    assert ("French", "NATIONALITY", tp.NATIONALITY) in found
    assert ("0161 496 0000", "PHONE_NUMBER", tp.PHONE) in found
    labels = {"Surname", "Place of birth", "Address", "ID No.", "Nationality", "Tel."}
    assert not {text for text, _, _ in found} & labels


@pytest.mark.parametrize(
    "text",
    [
        "IDENTITY CARD",
        "Hello, how are you?",
        "Driver License",
        "Thank you for your order",
        "Welcome to the Spring Meetup 2024",
        "Total: $45.90 incl. 20% VAT",
        "Name the place you liked most",
        "Meet me at the North entrance today",
        "Signature of holder",
    ],
)
def test_ordinary_text_is_not_private(pii, text):
    assert _find(pii, [(text, (10, 10, 600, 40))]) == set()


@pytest.mark.parametrize(
    ("text", "span", "label"),
    [
        ("Ship to 221B Baker Street, London NW1 6XE", "221B Baker Street", "STREET_ADDRESS"),
        ("Ship to 221B Baker Street, London NW1 6XE", "NW1 6XE", "POSTCODE"),
        ("Hauptstraße 12, 10115 Berlin", "Hauptstraße 12", "STREET_ADDRESS"),
        ("PO Box 4410", "PO Box 4410", "STREET_ADDRESS"),
        ("DOB 04.07.1976", "04.07.1976", "DATE_OF_BIRTH"),
        ("Born on 4 July 1976", "4 July 1976", "DATE_OF_BIRTH"),
        ("Invoice of 4 July 2024, 10:30", "4 July 2024", "DATE_TIME"),
        ("ping @jane_doe99 or jane@example.com", "@jane_doe99", "USERNAME"),
        ("ping @jane_doe99 or jane@example.com", "jane@example.com", "EMAIL_ADDRESS"),
        ("Pay to GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32", "IBAN_CODE"),
        ("Card number 5425 2334 3010 9903", "5425 2334 3010 9903", "CREDIT_CARD"),
    ],
)
def test_patterns_find_the_exact_span(pii, text, span, label):
    assert any(s == span and lab == label for s, lab, _ in _find(pii, [(text, (0, 0, 900, 30))]))


def test_card_numbers_must_pass_the_checksum(pii):
    found = _find(pii, [("Card number 5425 2334 3010 9904", (0, 0, 900, 30))])
    assert not [f for f in found if f[1] == "CREDIT_CARD"]


def test_a_born_date_is_a_birth_date_and_other_dates_are_not(pii):
    found = _find(
        pii,
        [("Born on 4 July 1976", (0, 0, 400, 30)), ("Invoice date 4 July 2024", (0, 40, 400, 70))],
    )
    dates = {text: attributes for text, _, attributes in found}
    assert "a24_birth_date" in dates["4 July 1976"]
    assert dates["4 July 2024"] == tp.DATE_TIME


def test_declared_attributes_cover_every_private_text_alias():
    from redactor import attributes
    from redactor.detectors.pii import PrivateTextDetector

    declared = PrivateTextDetector.attributes
    assert declared <= set(attributes.BY_ID)
    for alias in ("name", "address", "email", "phone", "card", "date", "id", "username"):
        assert set(attributes.ALIASES[alias]) <= declared, alias
    assert not declared & set(attributes.ALIASES["plate"])  # not detected: fails closed
