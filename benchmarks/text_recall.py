"""Recall of private text per class and false positives on ordinary words, on a labelled set of
rendered documents: forms with label/value boxes, letters, e-mail and chat screenshots, a tall
chat screenshot, receipts, ID cards, medical image overlays, meeting notes.

    python benchmarks/text_recall.py                # every technique, then each one switched off
    python benchmarks/text_recall.py --docs 2       # fewer documents per layout (faster)
    python benchmarks/text_recall.py --only all --no-cues   # one configuration

Every word is drawn with its class ("name", "phone", "email", "address", "id", "date", or
"plain" for ordinary words; a few like "F" for sex are "other" and not counted). A word counts
as hidden when private-text regions cover at least half of it. OCR runs once per image; each
configuration of the private-text detector then reads the same OCR lines.

The names come from Faker (28 locales), not from the detector's name lists (names-dataset):
recall is also reported for name words that are in none of the detector's lists.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redactor.detectors import names as nm  # noqa: E402
from redactor.detectors.base import Context  # noqa: E402
from redactor.detectors.ocr import OcrSettings, TextDetector  # noqa: E402
from redactor.detectors.pii import TECHNIQUES, PrivateTextDetector  # noqa: E402
from tests.text.rendering import Canvas, covered_fraction, polygon_mask  # noqa: E402

# The project's samples (samples/*.json) label whole phrases ("Shaun Castro"): each counts as
# one unit there; rendered documents count words.

CLASSES = ("name", "phone", "email", "address", "id", "date")
PERSONAL = ("name", "phone", "email", "address", "id")  # the 97 % goal
LOCALES = (
    "en_US en_GB en_IE en_AU es_ES es_MX de_DE fr_FR it_IT pl_PL nl_NL pt_BR sv_SE tr_TR en_IN "
    "yo_NG zu_ZA tw_GH en_NG ig_NG id_ID cs_CZ hu_HU fi_FI ro_RO hr_HR da_DK no_NO"
).split()
_FOLD = str.maketrans({"Ł": "L", "ł": "l", "ı": "i", "Ø": "O", "ø": "o", "ß": "ss", "Đ": "D",
                       "đ": "d", "Æ": "AE", "æ": "ae"})  # fmt: skip

STREETS = ("Oak Street", "Maple Avenue", "Cedar Lane", "Elm Road", "Station Road", "Hill Drive",
           "Park Lane", "Church Street", "Mill Road", "Willow Way")  # fmt: skip
CITIES = (("Springfield", "IL", "62704"), ("Portland", "OR", "97205"), ("Austin", "TX", "78701"),
          ("Denver", "CO", "80202"), ("Madison", "WI", "53703"),
          ("Columbus", "OH", "43215"))  # fmt: skip
COMPANIES = ("Northwind Traders", "Blue Harbor Logistics", "Acme Widgets", "Green Leaf Market",
             "Summit Dental Care", "Riverside Clinic")  # fmt: skip
SUBJECTS = ("Quarterly Budget Review", "Project Phoenix Kickoff", "Invoice Overdue Notice",
            "Team Offsite Planning", "Annual Safety Training")  # fmt: skip
PLAIN_SENTENCES = (
    "Thank you for your order and for shopping with us.",
    "Please find the Annual Report attached for your review.",
    "The Board meets on Monday in the Main Conference Room.",
    "Our Customer Service team will reply within two working days.",
    "Payment is due within thirty days of the Invoice Date.",
    "Remember to bring the Safety Guidelines to the next meeting.",
    "The New Product Launch was a great success in Europe.",
    "Parking is available at the North Entrance after six.",
)
HEADINGS = ("INVOICE", "RECEIPT", "MEETING NOTES", "TERMS AND CONDITIONS", "ORDER SUMMARY",
            "PAYMENT DUE", "CONFIDENTIAL", "SHIPPING DETAILS")  # fmt: skip
ITEMS = ("MILK 2L", "BREAD WHOLE WHEAT", "ORGANIC BANANAS", "COFFEE BEANS", "OLIVE OIL",
         "GREEN TEA", "CHEDDAR CHEESE", "PAPER TOWELS", "FREE RANGE EGGS")  # fmt: skip
GREETINGS = ("Dear", "Hi", "Hello", "Hey")
SIGN_OFFS = ("Kind regards,", "Best regards,", "Sincerely,", "Thanks,", "Best,", "Cheers,")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return text.encode("ascii", "ignore").decode()


class People:
    """Names from Faker across locales, ASCII-folded, reproducible under the seed."""

    def __init__(self, seed: int):
        from faker import Faker

        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for i, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed * 100 + i)

    def person(self) -> tuple[str, str]:
        faker = self.fakers[self.rng.choice(LOCALES)]
        first = fold(faker.first_name()).split()[0]
        last = " ".join(fold(faker.last_name()).split()[:3])  # "das Neves" stays whole
        return (first or "Ana"), (last or "Silva")

    def phone(self) -> str:
        r = self.rng
        return r.choice([
            f"+1 ({r.randint(201, 989)}) 555-{r.randint(100, 9999):04d}",
            f"+44 7{r.randint(100, 999)} {r.randint(100000, 999999)}",
            f"({r.randint(201, 989)}) 555-{r.randint(1000, 9999)}",
            f"+49 30 {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
        ])  # fmt: skip

    def email(self, first: str, last: str) -> str:
        domain = self.rng.choice(("example.com", "example.org", "example.net"))
        last = last.replace(" ", "")
        user = self.rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[:3]}"))
        return f"{user.lower()}@{domain}"

    def address(self) -> tuple[str, str]:
        city, state, zipcode = self.rng.choice(CITIES)
        street = f"{self.rng.randint(2, 9899)} {self.rng.choice(STREETS)}"
        return street, f"{city}, {state} {zipcode}"

    def date(self, birth: bool = False) -> str:
        r = self.rng
        y = r.randint(1940, 2005) if birth else r.randint(2020, 2025)
        m, d = r.randint(1, 12), r.randint(1, 28)
        months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
        return r.choice([f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d} {months[m - 1]} {y}",
                         f"{months[m - 1]} {d}, {y}"])  # fmt: skip

    def ident(self) -> str:
        r = self.rng
        return r.choice(
            [
                f"{r.randint(10000000, 99999999)}",
                f"X{r.randint(1000000, 9999999)}",
                f"{r.randint(100, 999)}-{r.randint(10, 99)}-{r.randint(1000, 9999)}",
            ]
        )


# --- layouts -------------------------------------------------------------------------------

GREY = (95, 100, 110)


def _name_variants(p: People, r: random.Random) -> str:
    """A name as people write it: full, capitals, surname first, initialled."""
    first, last = p.person()
    return r.choice([
        f"{first} {last}", f"{first.upper()} {last.upper()}", f"{last.upper()} {first.upper()}",
        f"{first[0]}. {last}", f"{first[0]}. {p.person()[0][0]}. {last}", f"{last}, {first}",
    ])  # fmt: skip


def form_boxes(p: People, r: random.Random) -> Canvas:
    """A form of label/value boxes: label at the top of a box, value inside it or in the box to
    the right."""
    c = Canvas.blank(1100, 900, (250, 250, 247))
    d = ImageDraw.Draw(c.image)
    c.write((40, 24), [(r.choice(("PATIENT REGISTRATION FORM", "APPLICATION FORM",
                                  "VISITOR FORM")), "plain")], size=30, bold=True)  # fmt: skip
    first, last = p.person()
    street, city = p.address()
    fields = [
        ("Name", [(_name_variants(p, r), "name")]),
        (r.choice(("Patient", "Attn:", "Contact:")), [(p.person()[0], "name")]),
        ("Date of Birth", [(p.date(birth=True), "date")]),
        ("Phone", [(p.phone(), "phone")]),
        ("Email", [(p.email(first, last), "email")]),
        ("Address", [(street, "address")]),
        ("", [(city, "address")]),
        (r.choice(("ID No.", "Member ID", "MRN")), [(p.ident(), "id")]),
        (
            "Reason for visit",
            [(r.choice(("Routine check-up", "Annual review", "Follow up")), "plain")],
        ),  # fmt: skip
        (
            "Signed by",
            [
                (
                    r.choice(
                        (
                            f"{first[0]}{last.split()[-1][0]}{r.choice('KLMRT')}",
                            f"{first[0]}. {last}",
                        )
                    ),
                    "name",
                )
            ],
        ),  # fmt: skip
    ]
    right = r.random() < 0.5
    y = 90
    for label, value in fields:
        if right:
            d.rectangle((40, y, 330, y + 60), outline=(60, 60, 60), width=2)
            d.rectangle((330, y, 1060, y + 60), outline=(60, 60, 60), width=2)
            if label:
                c.write((52, y + 18), [(label, "plain")], size=20, fill=GREY)
            c.write((345, y + 16), value, size=24)
            y += 60
        else:
            d.rectangle((40, y, 1060, y + 76), outline=(60, 60, 60), width=2)
            if label:
                c.write((52, y + 6), [(label, "plain")], size=16, fill=GREY)
            c.write((52, y + 34), value, size=24)
            y += 76
    c.write((40, y + 20), [("Please print clearly. Office use only.", "plain")], size=18, fill=GREY)
    return c


def letter(p: People, r: random.Random) -> Canvas:
    c = Canvas.blank(1000, 1100)
    first, last = p.person()
    street, city = p.address()
    c.write((60, 40), [(r.choice(COMPANIES), "plain")], size=28, bold=True)
    c.write((60, 110), [(p.date(), "date")], size=20)
    c.write((60, 160), [(_name_variants(p, r), "name")], size=22)
    c.write((60, 192), [(street, "address")], size=22)
    c.write((60, 224), [(city, "address")], size=22)
    c.write((60, 300), [(f"{r.choice(GREETINGS)} ", "plain"), (first, "name"), (",", "plain")],
            size=22)  # fmt: skip
    y = 350
    for sentence in r.sample(PLAIN_SENTENCES, 4):
        c.write((60, y), [(sentence, "plain")], size=20)
        y += 40
    label = r.choice(("Account No.: ", "Policy number: ", "Customer ID: ", "Reference No. "))
    c.write((60, y), [(label, "plain"), (p.ident(), "id")], size=20)
    y += 40
    c.write((60, y + 10), [("You can reach me on ", "plain"), (p.phone(), "phone")], size=20)
    c.write((60, y + 50), [("or write to ", "plain"), (p.email(first, last), "email")], size=20)
    c.write((60, y + 120), [(r.choice(SIGN_OFFS), "plain")], size=22)
    sig_first, sig_last = p.person()
    signer = r.choice((f"{sig_first[0]}. {p.person()[0][0]}. {sig_last}", f"{sig_first} {sig_last}",
                       f"{sig_first[0]}{sig_last.split()[-1][0]}{r.choice('ABKLMR')}"))  # fmt: skip
    c.write((60, y + 165), [(signer, "name")], size=24)
    return c


def email_screen(p: People, r: random.Random) -> Canvas:
    c = Canvas.blank(1200, 800, (248, 249, 252))
    d = ImageDraw.Draw(c.image)
    d.rectangle((0, 0, 1200, 56), fill=(32, 96, 200))
    c.write((24, 14), [("Inbox", "plain")], size=24, bold=True, fill=(255, 255, 255))
    sender_first, sender_last = p.person()
    c.write((40, 90), [("From: ", "plain"), (f"{sender_first} {sender_last}", "name"),
                       (" <", "other"), (p.email(sender_first, sender_last), "email"),
                       (">", "other")], size=20)  # fmt: skip
    to = [p.person() for _ in range(r.randint(1, 3))]
    parts: list[tuple[str, str]] = [("To: ", "plain")]
    for i, (f, last) in enumerate(to):
        if i:
            parts.append((", ", "other"))
        parts.append((r.choice((f"{f} {last}", f"{f[0]}. {last}", f)), "name"))
    c.write((40, 124), parts, size=20)
    cc = [p.person() for _ in range(3)]
    c.write((40, 158), [("Cc: ", "plain"), (cc[0][1], "name"), ("/ ", "other"),
                        (f"{cc[1][0][0]}. {p.person()[0][0]}. {cc[1][1]}", "name"), ("/ ", "other"),
                        (f"{cc[2][0][0]}. {cc[2][1]}", "name")], size=20)  # fmt: skip
    c.write((40, 192), [("Subject: ", "plain"), (r.choice(SUBJECTS), "plain")], size=20)
    c.write((40, 226), [("Date: ", "plain"), (p.date(), "date")], size=20)
    d.line((40, 262, 1160, 262), fill=(200, 200, 210), width=2)
    c.write((40, 290), [(f"{r.choice(GREETINGS)} ", "plain"), (to[0][0], "name"), (",", "plain")],
            size=22)  # fmt: skip
    y = 340
    for sentence in r.sample(PLAIN_SENTENCES, 3):
        c.write((40, y), [(sentence, "plain")], size=20)
        y += 38
    label = r.choice(("Your member ID is ", "Passport No. ", "Employee ID: ", "SSN: "))
    c.write((40, y), [(label, "plain"), (p.ident(), "id")], size=20)
    y += 40
    c.write((40, y + 10), [("Call me at ", "plain"), (p.phone(), "phone"),
                           (" if needed.", "plain")], size=20)  # fmt: skip
    c.write((40, y + 70), [(r.choice(SIGN_OFFS), "plain")], size=20)
    initials = f"{sender_first[0]}{sender_last.split()[-1][0]}"
    c.write((40, y + 108), [(r.choice((sender_first, initials)), "name")], size=22)
    return c


def _chat(p: People, r: random.Random, messages: int, height: int) -> Canvas:
    c = Canvas.blank(720, height, (236, 229, 221))
    d = ImageDraw.Draw(c.image)
    d.rectangle((0, 0, 720, 80), fill=(7, 94, 84))
    friend_first, friend_last = p.person()
    c.write((90, 24), [(f"{friend_first} {friend_last}", "name")], size=26, bold=True,
            fill=(255, 255, 255))  # fmt: skip
    y = 110
    templates = [
        lambda: [(f"{r.choice(('Hey', 'Hi', 'Morning'))} ", "plain"), (friend_first, "name"),
                 ("!", "other")],
        lambda: [("My new number is ", "plain"), (p.phone(), "phone")],
        lambda: [("Send it to ", "plain"), (p.email(*p.person()), "email")],
        lambda: [("Ask ", "plain"), (f"{p.person()[0][0]}. {p.person()[1]}", "name"),
                 (" about the keys", "plain")],
        lambda: [("See you on Friday at the Station", "plain")],
        lambda: [("The Parcel arrived this Morning", "plain")],
        lambda: [("Party at ", "plain"), (p.address()[0], "address"), (" tonight", "plain")],
        lambda: [("Thanks, ", "plain"), (p.person()[0], "name")],
    ]  # fmt: skip
    for i in range(messages):
        parts = templates[i % len(templates)]() if i < len(templates) else r.choice(templates)()
        text = "".join(t for t, _ in parts)
        mine = i % 2 == 1
        width = int(len(text) * 11.5) + 30
        x = 720 - width - 20 if mine else 20
        d.rounded_rectangle((x, y, x + width, y + 50), 12,
                            fill=(220, 248, 198) if mine else (255, 255, 255))  # fmt: skip
        c.write((x + 14, y + 13), parts, size=20)
        y += 70
    return c


def chat_screen(p: People, r: random.Random) -> Canvas:
    return _chat(p, r, 8, 720)


def tall_chat(p: People, r: random.Random) -> Canvas:
    """A scrolling screenshot, 720 x 1800."""
    return _chat(p, r, 24, 1800)


def receipt(p: People, r: random.Random) -> Canvas:
    c = Canvas.blank(560, 900, (252, 252, 248))
    store = r.choice(COMPANIES).upper()
    c.write((40, 30), [(store, "plain")], size=26, bold=True)
    street, city = p.address()
    c.write((40, 76), [(street.upper(), "address")], size=18)
    c.write((40, 102), [(city.upper(), "address")], size=18)
    c.write((40, 128), [("TEL ", "plain"), (p.phone(), "phone")], size=18)
    y = 180
    for item in r.sample(ITEMS, 5):
        c.write((40, y), [(item, "plain")], size=18)
        c.write((420, y), [(f"{r.randint(1, 19)}.{r.randint(0, 99):02d}", "plain")], size=18)
        y += 32
    for word in ("SUBTOTAL", "TAX", "TOTAL"):
        c.write((40, y + 10), [(word, "plain")], size=20, bold=word == "TOTAL")
        c.write((420, y + 10), [(f"{r.randint(20, 80)}.{r.randint(0, 99):02d}", "plain")], size=20)
        y += 34
    c.write((40, y + 20), [("VISA DEBIT", "plain")], size=18)
    cashier = p.person()[0]
    c.write((40, y + 60), [("CASHIER: ", "plain"), (r.choice((cashier, cashier.upper())), "name")],
            size=18)  # fmt: skip
    c.write((40, y + 92), [(p.date(), "date")], size=18)
    c.write((40, y + 140), [("THANK YOU FOR SHOPPING WITH US", "plain")], size=18)
    return c


def id_card(p: People, r: random.Random) -> Canvas:
    c = Canvas.blank(900, 560, (226, 236, 246))
    first, last = p.person()
    street, city = p.address()
    c.write((30, 20), [(r.choice(("IDENTITY CARD", "RESIDENT PERMIT", "DRIVER LICENSE")),
                        "plain")], size=30, bold=True, fill=(20, 40, 120))  # fmt: skip
    ImageDraw.Draw(c.image).rectangle((30, 90, 230, 340), fill=(180, 190, 205))
    rows = [
        ("SURNAME", last.upper(), "name"),
        ("GIVEN NAMES", f"{first.upper()} {p.person()[0].upper()}", "name"),
        ("DATE OF BIRTH", p.date(birth=True).upper(), "date"),
        ("ID NO", p.ident(), "id"),
        ("ADDRESS", street.upper(), "address"),
    ]
    y = 84
    for label, value, tag in rows:
        c.write((260, y), [(label, "plain")], size=15, fill=GREY)
        c.write((260, y + 22), [(value, tag)], size=24, bold=True)
        y += 72
    c.write((260, y), [(city.upper(), "address")], size=24, bold=True)
    return c


def medical_overlay(p: People, r: random.Random) -> Canvas:
    """An X-ray render with the patient's details burned into the corners, in capitals."""
    rng = np.random.default_rng(r.randint(0, 10**6))
    yy, xx = np.mgrid[0:768, 0:768]
    body = np.exp(-(((xx - 384) / 230.0) ** 2 + ((yy - 420) / 300.0) ** 2)) * 150
    noise = rng.normal(0, 8, (768, 768))
    scan = Image.fromarray((body + noise + 10).clip(0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(2)
    )
    c = Canvas(scan.convert("RGB"))
    first, last = p.person()
    white = (235, 235, 235)
    name = r.choice((f"{last.upper()}^{first.upper()}", f"{last.upper()}, {first.upper()}",
                     f"{first.upper()} {last.upper()}"))  # fmt: skip
    c.write((12, 10), [(name, "name")], size=18, fill=white)
    c.write((12, 34), [(r.choice("FM"), "other"), (f" {r.randint(18, 90)}Y", "other")],
            size=18, fill=white)  # fmt: skip
    c.write((12, 58), [("DOB: ", "plain"), (p.date(birth=True).upper(), "date")], size=18,
            fill=white)  # fmt: skip
    c.write((12, 82), [(r.choice(("ID: ", "MRN: ", "PID: ")), "plain"), (p.ident(), "id")],
            size=18, fill=white)  # fmt: skip
    hospital = r.choice(("ST MARY HOSPITAL", "CITY GENERAL", "RIVERSIDE CLINIC"))
    c.write((520, 10), [(hospital, "plain")], size=18, fill=white)
    c.write((520, 34), [(r.choice(("CHEST PA", "KNEE LAT", "HAND AP")), "plain")], size=18,
            fill=white)  # fmt: skip
    c.write((12, 736), [(f"KVP {r.randint(60, 120)} MAS {r.randint(2, 9)}", "plain")], size=16,
            fill=white)  # fmt: skip
    c.write((560, 736), [(p.date(), "date")], size=16, fill=white)
    return c


def meeting_notes(p: People, r: random.Random) -> Canvas:
    """Headings in capitals, an attendee list with slashes or commas, ordinary capitalised
    words."""
    c = Canvas.blank(1000, 700)
    c.write((50, 30), [(r.choice(HEADINGS), "plain")], size=32, bold=True)
    people = [p.person() for _ in range(4)]
    separator = r.choice(("/ ", ", ", "; "))
    parts: list[tuple[str, str]] = [("Attendees: ", "plain")]
    for i, (f, last) in enumerate(people):
        if i:
            parts.append((separator, "other"))
        style = r.choice(
            (last, f"{f[0]}. {last}", f"{f} {last}", f"{f[0]}. {p.person()[0][0]}. {last}")
        )
        parts.append((style, "name"))
    c.write((50, 100), parts, size=20)
    c.write((50, 150), [("Apologies: ", "plain"), (p.person()[0], "name")], size=20)
    y = 210
    for sentence in r.sample(PLAIN_SENTENCES, 5):
        c.write((50, y), [(sentence, "plain")], size=20)
        y += 42
    c.write((50, y + 20), [("Dear Customer, the TOTAL is due by Friday.", "plain")], size=20)
    c.write((50, y + 70), [("Prepared by: ", "plain"), (_name_variants(p, r), "name")], size=20)
    return c


LAYOUTS = {
    "form": form_boxes,
    "letter": letter,
    "email": email_screen,
    "chat": chat_screen,
    "tall_chat": tall_chat,
    "receipt": receipt,
    "id_card": id_card,
    "medical": medical_overlay,
    "notes": meeting_notes,
}


SAMPLE_KINDS = {"name": "name", "phone": "phone", "email": "email", "address": "address",
                "id": "id", "card": "id", "date": "date", "plain": "plain"}  # fmt: skip


def project_samples() -> list[tuple[str, Canvas]]:
    """samples/*.png|jpg with their ground truth: each labelled piece of text as one unit."""
    import json

    from redactor.imageio import load
    from tests.text.rendering import Word

    found = []
    for truth_path in sorted((ROOT / "samples").glob("*.json")):
        truth = json.loads(truth_path.read_text())
        items = truth.get("items", [])
        if not any(item["attributes"] for item in items):
            continue
        canvas = Canvas(Image.fromarray(load(ROOT / "samples" / truth["image"]).pixels))
        for item in items:
            tag = SAMPLE_KINDS.get(item["kind"], "other")
            canvas.words.append(Word(item["text"], tag, np.asarray(item["polygon"], float)))
        found.append((f"sample_{truth_path.stem}", canvas))
    return found


def real_scan(ocr) -> list[tuple[str, Canvas]]:
    """scikit-image's page.png, a photographed book page with no personal data: every word the
    OCR reads on it is an ordinary word (false positives only). Skipped if not installed."""
    try:
        from skimage import data
    except ImportError:
        return []
    from tests.text.rendering import Word

    canvas = Canvas(Image.fromarray(data.page()).convert("RGB"))
    pixels = canvas.pixels()
    for line in ocr.lines(pixels, Context(pixels)):
        for word in line.words:
            canvas.words.append(Word(word.text, "plain", line.word_polygon(word.start, word.end)))
    return [("scan_page", canvas)]


def documents(per_layout: int, seed: int = 0) -> list[tuple[str, Canvas]]:
    people = People(seed)
    r = random.Random(seed)
    return [
        (f"{name}_{i}", make(people, r))
        for i in range(per_layout)
        for name, make in LAYOUTS.items()
    ]


# --- scoring -------------------------------------------------------------------------------


def score(canvas: Canvas, regions, listed) -> Counter:
    """Counts: "<class>" / "<class>_hit" per private class, "plain" / "plain_hit", and
    "name_unlisted" / "name_unlisted_hit" for name words in none of the detector's lists."""
    shape = (canvas.image.height, canvas.image.width)
    mask = polygon_mask(shape, [r.polygon for r in regions])
    counts: Counter = Counter()
    for word in canvas.words:
        if word.tag == "other" or not any(ch.isalnum() for ch in word.text):
            continue
        hit = covered_fraction(word.polygon, mask) >= 0.5
        counts[word.tag] += 1
        counts[word.tag + "_hit"] += hit
        if word.tag == "name" and not listed(word.text):
            counts["name_unlisted"] += 1
            counts["name_unlisted_hit"] += hit
    return counts


def configurations(only: str | None, off: set[str]) -> dict[str, tuple[str, ...]]:
    if only:
        return {only: tuple(t for t in TECHNIQUES if t not in off)}
    configs = {"all": TECHNIQUES}
    for technique in TECHNIQUES:
        configs[f"no {technique}"] = tuple(t for t in TECHNIQUES if t != technique)
    for technique in TECHNIQUES:
        configs[f"only {technique}"] = (technique,)
    configs["none (Presidio + fields)"] = ()
    return configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3, help="documents per layout")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="run one configuration under this name")
    for technique in TECHNIQUES:
        parser.add_argument(f"--no-{technique}", action="store_true",
                            help=f"with --only: switch '{technique}' off")  # fmt: skip
    parser.add_argument("--misses", action="store_true", help="print missed and covered words")
    parser.add_argument("--prose", nargs="+", type=Path, metavar="FILE",
                        help="instead: share of words of these text files (ordinary prose, no "
                        "OCR) that each configuration calls a person")  # fmt: skip
    args = parser.parse_args()
    if args.prose:
        prose_false_positives(args.prose)
        return
    off = {t for t in TECHNIQUES if getattr(args, f"no_{t}")}

    ocr = TextDetector(settings=OcrSettings(threads=args.threads))
    docs = documents(args.docs, args.seed) + project_samples() + real_scan(ocr)
    started = time.perf_counter()
    read = []
    for name, canvas in docs:
        pixels = canvas.pixels()
        read.append((name, canvas, ocr.lines(pixels, Context(pixels))))
    ocr_s = time.perf_counter() - started
    first, last = nm.name_lists()

    def listed(word: str) -> bool:
        parts = [w.lower() for w in word.replace("^", " ").replace(".", " ").split()]
        return any(w in first or w in last for w in parts if len(w) > 1)

    print(f"{len(docs)} documents ({args.docs} per layout: {', '.join(LAYOUTS)}; the project's "
          f"samples; scikit-image's scanned page), OCR {ocr_s:.1f} s")  # fmt: skip
    header = f"{'configuration':26s}" + "".join(f"{c:>9s}" for c in CLASSES)
    print(header + f"{'unlisted':>10s}{'FP plain':>10s}{'s/doc':>7s}")
    for label, techniques in configurations(args.only, off).items():
        pii = PrivateTextDetector(ocr, techniques=techniques)
        total: Counter = Counter()
        started = time.perf_counter()
        for name, canvas, lines in read:
            regions = pii.regions(lines)
            counts = score(canvas, regions, listed)
            total += counts
            if args.misses and label in ("all", args.only):
                _print_misses(name, canvas, regions)
        seconds = (time.perf_counter() - started) / len(read)
        row = f"{label:26s}"
        for cls in CLASSES:
            row += f"{100 * total[cls + '_hit'] / max(1, total[cls]):8.1f}%"
        row += f"{100 * total['name_unlisted_hit'] / max(1, total['name_unlisted']):9.1f}%"
        row += f"{100 * total['plain_hit'] / max(1, total['plain']):9.1f}%{seconds:7.2f}"
        print(row, flush=True)
    print("words: " + ", ".join(f"{c} {total[c]}" for c in (*CLASSES, "name_unlisted", "plain")))
    print("goal: personal classes (" + ", ".join(PERSONAL) + ") >= 97 %, FP plain <= 3 %")


def prose_false_positives(paths: list[Path]) -> None:
    """Person words found in ordinary text (each line of the files as one OCR line): the false
    positives of the name techniques on prose full of capitalised words, without rendering."""
    import re

    class Line:
        def __init__(self, text: str, y: int):
            self.text = text
            self.box = (10, y, 10 + 9 * len(text), y + 20)

    texts = []
    for path in paths:
        for raw in path.read_text(encoding="utf-8").splitlines():
            text = re.sub(r"\s+", " ", re.sub(r"[`*|#<>\[\]()_]", " ", raw)).strip()
            if len(text) > 3:
                texts.append(text[:110])
    lines = [Line(text, 30 * i) for i, text in enumerate(texts)]
    words = sum(len(text.split()) for text in texts)
    ocr = TextDetector()
    for label, techniques in configurations(None, set()).items():
        found = PrivateTextDetector(ocr, techniques=techniques).find(lines)
        named = sum(
            len(lines[f.line].text[f.start : f.end].split()) for f in found if f.label == "PERSON"
        )
        print(f"{label:26s} person words {named:5d} of {words} ({100 * named / words:.2f}%)")


def _print_misses(name: str, canvas: Canvas, regions) -> None:
    shape = (canvas.image.height, canvas.image.width)
    mask = polygon_mask(shape, [r.polygon for r in regions])
    for word in canvas.words:
        if word.tag == "other" or not any(ch.isalnum() for ch in word.text):
            continue
        hit = covered_fraction(word.polygon, mask) >= 0.5
        if (word.tag == "plain") == hit:
            kind = "COVERED" if hit else "MISSED"
            print(f"  {name}: {kind} {word.tag} {word.text!r}")


if __name__ == "__main__":
    main()
