"""Things that carry text: forms, ID documents, cards, mail, receipts, screens, signs.

Each renderer draws onto a transparent `Page` at the scene's scale and returns a `Doc`: the page
(text items tagged with the attribute ids they evidence) and the attribute ids the whole object
evidences (an ID card, a passport, a ticket: VISPR's un-masked document attributes, whose
ground-truth mask is the whole object). Text the scene did not ask for is either left out, made
unreadable (grey "greeked" bars) or replaced by harmless filler, so an image never shows private
text that its labels do not name.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from redactor.training.synth.canvas import Layer
from redactor.training.synth.persona import DATE_FORMATS, Persona, format_date
from redactor.training.synth.typeset import (
    Page,
    TextItem,
    box_polygon,
    font,
    polygon_mask,
    rotate_page,
)

INK = (25, 25, 32)
GREY = (110, 115, 125)

# Text attributes a form-like document can hold, with the caption shown before the value.
FIELD_CAPTIONS = {
    "a19_name_full": ("Name", "Full name", "Name of holder"),
    "a20_name_first": ("First name", "Given name"),
    "a21_name_last": ("Surname", "Last name", "Family name"),
    "a23_birth_city": ("Place of birth", "Born in"),
    "a24_birth_date": ("Date of birth", "DOB", "Born on"),
    "a25_nationality": ("Nationality", "Citizenship"),
    "a27_marital_status": ("Marital status", "Civil status"),
    "a49_phone": ("Phone", "Tel.", "Mobile"),
    "a90_email": ("Email", "E-mail"),
    "a85_username": ("Username", "User"),
    "a78_address_home_complete": ("Home address", "Address"),
    "a79_address_home_partial": ("Street", "Town"),
    "a82_date_time": ("Date", "Issued", "Time"),
    "a70_education_history": ("Education", "Degree"),
    "a43_medicine": ("Medication", "Diagnosis"),
}
FORM_FIELDS = tuple(FIELD_CAPTIONS)
FILLER = (
    ("Status", "Approved"),
    ("Colour", "Blue"),
    ("Category", "General"),
    ("Copies", "Two"),
    ("Priority", "Normal"),
    ("Section", "Sales"),
    ("Type", "Standard"),
    ("Size", "Large"),
    ("Language", "English"),
    ("Payment", "Cash"),
    ("Room", "Main hall"),
)
DEGREES = (
    "Bachelor of Science",
    "Master of Arts",
    "Bachelor of Arts",
    "Diploma in Nursing",
    "Master of Engineering",
    "PhD in Chemistry",
    "High School Diploma",
)
SCHOOLS = (
    "University of Westbrook",
    "Northfield College",
    "Lakeside University",
    "St. Andrew's School",
    "Institute of Technology",
)
DRUGS = (
    "Amoxicillin 500 mg",
    "Metformin 850 mg",
    "Lisinopril 10 mg",
    "Insulin glargine",
    "Sertraline 50 mg",
    "Atorvastatin 20 mg",
    "Salbutamol inhaler",
    "Ibuprofen 400 mg",
)
DIAGNOSES = (
    "Type 2 diabetes",
    "Hypertension",
    "Asthma",
    "Depression",
    "Migraine",
    "Fractured wrist",
    "Allergy to penicillin",
)
OPINIONS = (
    "Best pizza in town!",
    "I love rainy days",
    "This film was awful",
    "Cats > dogs",
    "Worst service ever",
    "Pineapple on pizza is fine",
    "Never going back there",
    "So proud of this!",
    "Totally overrated",
    "Highly recommend it",
)
POLITICAL = (
    "VOTE YES ON 12",
    "NO NEW TAXES",
    "STOP THE WAR",
    "REFORM NOW",
    "VOTE GREEN",
    "JOBS NOT CUTS",
    "UNION STRONG",
    "CLIMATE ACTION NOW",
    "RE-ELECT MAYOR",
    "SAY NO",
)
HARMLESS_MESSAGES = (
    "See you soon",
    "Sounds good!",
    "On my way",
    "Thanks a lot",
    "Did you see the game?",
    "That looks great",
    "Haha yes",
    "Good idea",
    "Lunch was lovely",
    "Okay, no problem",
)
HANDWRITTEN = (
    "buy milk and bread",
    "water the plants",
    "call the plumber",
    "pick up parcel",
    "remember the keys",
    "book club notes",
    "grocery list",
    "fix the bike",
    "thank you so much",
    "have a great trip",
)
SHOP_ITEMS = (
    "Coffee",
    "Bagel",
    "Milk",
    "Apples",
    "Bread",
    "Soap",
    "Pasta",
    "Tea",
    "Cheese",
    "Juice",
    "Eggs",
    "Rice",
    "Butter",
    "Tomatoes",
)
PLAIN_SIGNS = (
    "OPEN",
    "EXIT",
    "SALE",
    "CAFE",
    "PARKING",
    "WELCOME",
    "PUSH",
    "NO SMOKING",
    "FRESH BREAD",
    "BOOKS",
    "PHARMACY",
    "TAXI",
    "INFO",
    "HOTEL",
    "BAKERY",
    "MENU",
)


@dataclass
class Doc:
    page: Page
    whole: tuple[str, ...] = ()  # attribute ids the whole object is evidence of
    kind: str = ""
    extra_parts: dict[str, np.ndarray] = field(default_factory=dict)  # more object-level parts


def doc_layer(doc: Doc) -> Layer:
    """The page as a Layer: one part per attribute id (union of its items' polygons, or the
    whole object), plus 'text_plain' for harmless text (for checks, not an attribute)."""
    image = doc.page.image
    alpha = np.asarray(image.getchannel("A")) >= 128
    by_attr: dict[str, list] = {}
    for item in doc.page.items:
        keys = item.attributes or ("text_plain",)
        for key in keys:
            by_attr.setdefault(key, []).append(item.polygon)
    # Text evidence is the text's box, also where the page itself is transparent (a camera's
    # date stamp has no background).
    parts = {k: polygon_mask(v, image.size) for k, v in by_attr.items()}
    for key in doc.whole:
        parts[key] = alpha.copy()
    for key, mask in doc.extra_parts.items():
        parts[key] = mask & alpha
    parts["object"] = alpha.copy()
    return Layer(image, parts)


def rotated(doc: Doc, degrees: float) -> Doc:
    if abs(degrees) < 0.01:
        return doc
    page = rotate_page(doc.page, degrees)
    extra = {}
    for key, mask in doc.extra_parts.items():
        m = Image.fromarray(mask.astype(np.uint8) * 255).rotate(degrees, expand=True)
        extra[key] = np.asarray(m) > 127
    return Doc(page, doc.whole, doc.kind, extra)


def greek(
    page: Page,
    x: float,
    y: float,
    width: float,
    height: float,
    rng: random.Random,
    color=(185, 188, 195),
) -> None:
    """Unreadable placeholder text: grey bars of word-like lengths."""
    d = page.draw
    cx = x
    while cx < x + width:
        w = rng.uniform(0.12, 0.35) * width
        d.rectangle((cx, y + height * 0.2, min(x + width, cx + w), y + height * 0.8), fill=color)
        cx += w + height * 0.6


def handwriting(
    page: Page,
    xy: tuple[float, float],
    text: str,
    kind: str,
    attributes: tuple[str, ...],
    size: int,
    rng: random.Random,
    ink=(25, 40, 120),
) -> float:
    """Handwriting-like text: italic glyphs, each with its own jitter in position, size and
    slant; recorded as one item. Returns the x after the text."""
    x, y = xy
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for ch in text:
        s = max(6, int(size * rng.uniform(0.88, 1.12)))
        f = font("italic", s, rng.randrange(3))
        w = f.getlength(ch)
        if ch.strip():
            glyph = Image.new("RGBA", (int(w + s), int(s * 1.6)), (0, 0, 0, 0))
            ImageDraw.Draw(glyph).text((s * 0.3, s * 0.2), ch, font=f, fill=ink + (255,))
            glyph = glyph.rotate(rng.uniform(-12, 12), resample=Image.BICUBIC)
            gx, gy = int(x - s * 0.3), int(y - s * 0.2 + rng.uniform(-0.12, 0.12) * s)
            page.image.alpha_composite(glyph, (max(0, gx), max(0, gy)))
            bbox = glyph.getchannel("A").getbbox()
            if bbox:
                x0, y0 = min(x0, gx + bbox[0]), min(y0, gy + bbox[1])
                x1, y1 = max(x1, gx + bbox[2]), max(y1, gy + bbox[3])
        x += w * rng.uniform(0.92, 1.05)
    if x1 > x0:
        box = (int(x0), int(y0), int(math.ceil(x1)), int(math.ceil(y1)))
        page.items.append(TextItem(text, kind, box, box_polygon(box), attributes, page._lines))
        page._lines += 1
    return x


def signature(
    page: Page, box: tuple[float, float, float, float], rng: random.Random, ink=(20, 30, 110)
) -> None:
    """A scribbled signature: a few looping strokes, evidence of a8_signature."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    pts = []
    n = rng.randint(18, 30)
    phase = rng.uniform(0, 6)
    for i in range(n):
        t = i / (n - 1)
        pts.append(
            (
                x0 + t * w + math.sin(t * 9 + phase) * w * 0.04,
                y0 + h * (0.5 + 0.38 * math.sin(t * rng.uniform(10, 16) + phase)),
            )
        )
    d = page.draw
    d.line(pts, fill=ink, width=max(1, int(h / 10)), joint="curve")
    d.line(
        [(x0 + w * 0.1, y0 + h * 0.85), (x1, y0 + h * 0.75)], fill=ink, width=max(1, int(h / 14))
    )
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    bx = (
        int(min(xs)) - 1,
        int(min(ys)) - 1,
        int(max(max(xs), x1)) + 2,
        int(max(max(ys), y0 + h * 0.9)) + 2,
    )
    page.items.append(
        TextItem("<signature>", "signature", bx, box_polygon(bx), ("a8_signature",), page._lines)
    )
    page._lines += 1


def field_value(attr: str, who: Persona, rng: random.Random) -> list[str]:
    """The value lines a field shows for an attribute."""
    if attr == "a19_name_full":
        return [who.full_name]
    if attr == "a20_name_first":
        return [who.first]
    if attr == "a21_name_last":
        return [who.last]
    if attr == "a23_birth_city":
        return [who.birth_city]
    if attr == "a24_birth_date":
        return [who.date(rng=rng)]
    if attr == "a25_nationality":
        return [who.nationality]
    if attr == "a27_marital_status":
        return [who.marital_status]
    if attr == "a49_phone":
        return [who.phone]
    if attr == "a90_email":
        return [who.email]
    if attr == "a85_username":
        return [who.username]
    if attr == "a78_address_home_complete":
        return [who.street, who.city_line]
    if attr == "a79_address_home_partial":
        return (
            [who.street.split(" ", 1)[-1]] if rng.random() < 0.5 else [who.city_line.split(",")[0]]
        )
    if attr == "a82_date_time":
        return [random_date(rng)]
    if attr == "a70_education_history":
        return [f"{rng.choice(DEGREES)}, {rng.choice(SCHOOLS)}"]
    if attr == "a43_medicine":
        return [rng.choice(DRUGS) if rng.random() < 0.5 else rng.choice(DIAGNOSES)]
    raise KeyError(attr)


def random_date(rng: random.Random, with_time: bool | None = None) -> str:
    import datetime as dt

    day = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(0, 7000))
    text = format_date(day, rng.choice(DATE_FORMATS))
    if with_time or (with_time is None and rng.random() < 0.3):
        text += f" {rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}"
    return text


def fields_block(
    page: Page,
    x: float,
    y: float,
    width: float,
    fields: list[str],
    who: Persona,
    rng: random.Random,
    size: int,
    hand: bool,
    fillers: int,
) -> float:
    """Caption/value rows for `fields` (attribute ids) mixed with harmless filler rows."""
    rows: list[tuple[str, str | None]] = [(f, None) for f in fields]
    for caption, value in rng.sample(FILLER, k=min(fillers, len(FILLER))):
        rows.insert(rng.randrange(len(rows) + 1), (caption, value))
    cap_font = font("sans", max(6, int(size * 0.8)), rng.randrange(3))
    val_font = font(rng.choice(("sans-bold", "serif", "sans", "mono")), size, rng.randrange(3))
    for key, filler in rows:
        if filler is not None:
            page.draw_line((x, y), [(key, "plain")], cap_font, fill=GREY)
            page.draw_line((x, y + size * 0.95), [(filler, "plain")], val_font, fill=INK)
            y += size * 2.3
            continue
        caption = rng.choice(FIELD_CAPTIONS[key])
        page.draw_line((x, y), [(caption, "plain")], cap_font, fill=GREY)
        y += size * 0.95
        for value in field_value(key, who, rng):
            kind = KIND_OF.get(key, "plain")
            if hand or key == "a26_handwriting":
                handwriting(
                    page,
                    (x, y),
                    value,
                    kind,
                    (key,) + (("a26_handwriting",) if hand else ()),
                    int(size * 1.15),
                    rng,
                )
            else:
                page.draw_line((x, y), [(value, kind, (key,))], val_font, fill=INK)
            y += size * 1.25
        y += size * 0.3
    return y


KIND_OF = {
    "a19_name_full": "name",
    "a20_name_first": "name",
    "a21_name_last": "name",
    "a23_birth_city": "address",
    "a24_birth_date": "date",
    "a25_nationality": "nationality",
    "a27_marital_status": "marital",
    "a49_phone": "phone",
    "a90_email": "email",
    "a85_username": "username",
    "a78_address_home_complete": "address",
    "a79_address_home_partial": "address",
    "a74_address_current_complete": "address",
    "a75_address_current_partial": "address",
    "a82_date_time": "date",
    "a70_education_history": "education",
    "a43_medicine": "medical",
}


def paper(width: int, height: int, rng: random.Random, tint=None) -> Page:
    color = tint or rng.choice(((252, 251, 246), (245, 245, 240), (255, 255, 255), (250, 246, 232)))
    page = Page(Image.new("RGBA", (width, height), color + (255,)))
    return page


# --- documents ------------------------------------------------------------------------------


def form(
    rng: random.Random, who: Persona, fields: list[str], scale: float, signed: bool, hand: bool
) -> Doc:
    """A paper form: title, caption/value rows, optional signature."""
    size = max(7, int(10 * scale))
    width = int(size * rng.uniform(20, 26))
    rows = len(fields) + 2
    height = int(
        size
        * (
            4.5
            + 2.4 * rows
            + 1.3 * sum(f == "a78_address_home_complete" for f in fields)
            + (3.5 if signed else 0)
        )
    )
    page = paper(width, height, rng)
    title = rng.choice(
        (
            "APPLICATION FORM",
            "REGISTRATION",
            "PATIENT RECORD",
            "MEMBER DETAILS",
            "ENROLMENT FORM",
            "CUSTOMER FORM",
        )
    )
    page.draw_line(
        (size, size * 0.8), [(title, "plain")], font("sans-bold", int(size * 1.2)), fill=INK
    )
    page.draw.line((size, size * 2.5, width - size, size * 2.5), fill=GREY, width=1)
    y = fields_block(
        page, size, size * 3.1, width - 2 * size, fields, who, rng, size, hand, fillers=2
    )
    if signed:
        page.draw_line(
            (size, y + size * 0.2),
            [("Signature", "plain")],
            font("sans", int(size * 0.8)),
            fill=GREY,
        )
        signature(page, (size * 6, y - size * 0.2, size * 6 + size * 7, y + size * 2.2), rng)
    return Doc(page, kind="form")


ID_TITLES = {
    "a29_ausweis": ("IDENTITY CARD", "NATIONAL ID"),
    "a32_drivers_license": ("DRIVER LICENSE", "DRIVING LICENCE"),
    "a33_student_id": ("STUDENT ID", "STUDENT CARD"),
}
CARD_FIELDS = (
    "a19_name_full",
    "a20_name_first",
    "a21_name_last",
    "a24_birth_date",
    "a23_birth_city",
    "a25_nationality",
    "a78_address_home_complete",
    "a82_date_time",
)


def id_card(rng: random.Random, who: Persona, kind: str, fields: list[str], scale: float) -> Doc:
    """ID card, driver licence or student card: coloured header, photo placeholder (a grey
    silhouette: a face here would be a face label), fields or greeked lines."""
    w = int(190 * scale * rng.uniform(0.9, 1.1))
    h = int(w * 0.63)
    page = Page(Image.new("RGBA", (w, h), (0, 0, 0, 0)))
    d = page.draw
    base = rng.choice(((230, 238, 245), (240, 236, 220), (226, 240, 230), (245, 230, 232)))
    head = rng.choice(((38, 84, 140), (150, 40, 50), (30, 110, 80), (90, 60, 130)))
    r = max(2, int(w * 0.05))
    d.rounded_rectangle((0, 0, w - 1, h - 1), radius=r, fill=base + (255,), outline=(150, 160, 170))
    d.rounded_rectangle((0, 0, w - 1, int(h * 0.2)), radius=r, fill=head + (255,))
    d.rectangle((0, int(h * 0.12), w - 1, int(h * 0.2)), fill=head + (255,))
    size = max(6, int(h * 0.075))
    title = rng.choice(ID_TITLES[kind])
    page.draw_line(
        (w * 0.05, h * 0.04),
        [(title, "plain")],
        font("sans-bold", int(size * 1.3)),
        fill=(255, 255, 255),
    )
    # Photo placeholder: a grey bust silhouette.
    px0, py0, px1, py1 = w * 0.05, h * 0.27, w * 0.32, h * 0.88
    d.rectangle((px0, py0, px1, py1), fill=(200, 205, 210))
    pw = px1 - px0
    d.ellipse(
        (px0 + pw * 0.28, py0 + pw * 0.15, px0 + pw * 0.72, py0 + pw * 0.68), fill=(150, 155, 165)
    )
    d.chord(
        (px0 + pw * 0.05, py0 + pw * 0.7, px1 - pw * 0.05, py1 + pw * 0.6),
        180,
        360,
        fill=(150, 155, 165),
    )
    x, y = w * 0.37, h * 0.25
    shown = [f for f in fields if f in CARD_FIELDS]
    for key in shown[:4]:
        page.draw_line(
            (x, y),
            [(rng.choice(FIELD_CAPTIONS[key]), "plain")],
            font("sans", max(5, int(size * 0.75))),
            fill=GREY,
        )
        y += size * 0.85
        for value in field_value(key, who, rng)[:1]:
            page.draw_line(
                (x, y), [(value, KIND_OF[key], (key,))], font("sans-bold", size), fill=INK
            )
            y += size * 1.35
    while y < h * 0.85:
        greek(page, x, y, w * 0.55, size * 0.8, rng)
        y += size * 1.4
    return Doc(page, whole=(kind,), kind="id_card")


def passport(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    shown = [f for f in fields if f in CARD_FIELDS]
    if not shown and rng.random() < 0.6:  # the cover
        w = int(120 * scale * rng.uniform(0.9, 1.1))
        h = int(w * 1.42)
        page = Page(Image.new("RGBA", (w, h), (0, 0, 0, 0)))
        color = rng.choice(((110, 20, 35), (20, 35, 80), (20, 60, 40), (40, 30, 30)))
        page.draw.rounded_rectangle(
            (0, 0, w - 1, h - 1), radius=max(2, w // 20), fill=color + (255,)
        )
        gold = (212, 175, 80)
        page.draw_line(
            (w * 0.18, h * 0.12),
            [("PASSPORT", "plain")],
            font("serif-bold", max(6, int(w * 0.13))),
            fill=gold,
        )
        cx, cy, rr = w / 2, h * 0.5, w * 0.22
        page.draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=gold, width=max(1, w // 40))
        page.draw.polygon(
            [(cx, cy - rr * 0.6), (cx + rr * 0.5, cy + rr * 0.4), (cx - rr * 0.5, cy + rr * 0.4)],
            outline=gold,
        )
        page.draw_line(
            (w * 0.2, h * 0.8),
            [("REPUBLIC OF EXAMPLIA", "plain")],
            font("serif", max(5, int(w * 0.06))),
            fill=gold,
        )
        return Doc(page, whole=("a31_passport",), kind="passport_cover")
    doc = id_card(rng, who, "a29_ausweis", shown, scale * 1.1)
    page = doc.page
    w, h = page.image.size
    # Re-title as a passport data page and add the machine-readable zone.
    page.draw.rectangle((0, 0, w - 1, int(h * 0.2)), fill=(60, 40, 90, 255))
    page.items = [it for it in page.items if it.line != 0]
    page.draw_line(
        (w * 0.05, h * 0.04),
        [("PASSPORT", "plain")],
        font("sans-bold", max(6, int(h * 0.1))),
        fill=(255, 255, 255),
    )
    mrz_font = font("mono", max(5, int(h * 0.06)))
    for k in range(2):
        line = (
            "P<UTO"
            + "<" * 8
            + "".join(rng.choice("ABCDEFGHKLMNPRSTUVWXYZ0123456789<") for _ in range(18))
        )
        page.draw.text(
            (w * 0.04, h * (0.88 + 0.06 * k) - h * 0.02),
            line[: int(w / (h * 0.036))],
            font=mrz_font,
            fill=(40, 40, 40),
        )
    return Doc(page, whole=("a31_passport",), kind="passport")


def credit_card(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    w = int(170 * scale * rng.uniform(0.9, 1.1))
    h = int(w * 0.63)
    page = Page(Image.new("RGBA", (w, h), (0, 0, 0, 0)))
    top = rng.choice(((20, 60, 140), (10, 10, 12), (150, 20, 30), (30, 120, 90), (200, 160, 40)))
    bottom = tuple(min(255, c + 60) for c in top)
    grad = np.linspace(0, 1, w)[None, :, None]
    arr = np.array(top)[None, None] * (1 - grad) + np.array(bottom)[None, None] * grad
    arr = np.repeat(arr, h, axis=0).astype(np.uint8)
    rgba = Image.fromarray(arr).convert("RGBA")
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius=max(2, w // 16), fill=255)
    rgba.putalpha(mask)
    page.image = rgba
    d = page.draw
    d.rounded_rectangle((w * 0.1, h * 0.33, w * 0.26, h * 0.52), radius=2, fill=(215, 190, 110))
    d.line((w * 0.1, h * 0.42, w * 0.26, h * 0.42), fill=(160, 130, 60))
    d.ellipse((w * 0.72, h * 0.72, w * 0.84, h * 0.91), fill=(235, 40, 40))
    d.ellipse((w * 0.79, h * 0.72, w * 0.91, h * 0.91), fill=(250, 170, 30))
    size = max(6, int(h * 0.11))
    white = (245, 245, 245)
    page.draw_line(
        (w * 0.08, h * 0.58),
        [(who.card_number, "card", ("a30_credit_card",))],
        font("mono-bold", size),
        fill=white,
    )
    name = who.full_name.upper() if "a19_name_full" in fields else "CARDHOLDER"
    name_attr = ("a19_name_full",) if "a19_name_full" in fields else ()
    page.draw_line(
        (w * 0.08, h * 0.78),
        [(name, "name" if name_attr else "plain", name_attr)],
        font("sans", max(5, int(size * 0.7))),
        fill=white,
    )
    page.draw_line(
        (w * 0.55, h * 0.1),
        [(rng.choice(("BANK", "CREDIT", "PLATINUM", "DEBIT")), "plain")],
        font("sans-bold", size),
        fill=white,
    )
    return Doc(page, whole=("a30_credit_card",), kind="credit_card")


def ticket(rng: random.Random, scale: float, dated: bool) -> Doc:
    """A ticket or boarding pass: stub, perforation, barcode."""
    w = int(200 * scale * rng.uniform(0.9, 1.1))
    h = int(w * rng.uniform(0.36, 0.45))
    page = paper(
        w,
        h,
        rng,
        tint=rng.choice(((250, 235, 200), (225, 240, 250), (250, 250, 250), (235, 250, 225))),
    )
    d = page.draw
    band = rng.choice(((200, 40, 40), (30, 90, 170), (30, 130, 80), (230, 140, 20)))
    d.rectangle((0, 0, w, h * 0.22), fill=band)
    size = max(6, int(h * 0.13))
    title = rng.choice(("ADMIT ONE", "BOARDING PASS", "TRAIN TICKET", "CONCERT", "BUS PASS"))
    page.draw_line(
        (w * 0.04, h * 0.03), [(title, "plain")], font("sans-bold", size), fill=(255, 255, 255)
    )
    for k in range(14):
        d.ellipse((w * 0.72 - 1.5, k * h / 14, w * 0.72 + 1.5, k * h / 14 + 3), fill=(0, 0, 0, 0))
    x = w * 0.76
    while x < w * 0.96:
        bw = rng.choice((1, 1, 2, 3))
        d.rectangle((x, h * 0.35, x + bw, h * 0.85), fill=(20, 20, 20))
        x += bw + rng.choice((1, 2))
    page.draw_line(
        (w * 0.04, h * 0.3),
        [(rng.choice(("Seat 14B", "Row 7", "Gate 12", "Zone 2", "Coach C")), "plain")],
        font("sans", size),
        fill=INK,
    )
    if dated:
        page.draw_line(
            (w * 0.04, h * 0.55),
            [(random_date(rng, True), "date", ("a82_date_time",))],
            font("sans-bold", size),
            fill=INK,
        )
    else:
        greek(page, w * 0.04, h * 0.58, w * 0.6, size * 0.8, rng)
    return Doc(page, whole=("a38_ticket",), kind="ticket")


def envelope(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    """Mail: an envelope with a stamp, postmark and an address block (evidence of a35)."""
    w = int(210 * scale * rng.uniform(0.9, 1.1))
    h = int(w * 0.55)
    page = paper(w, h, rng, tint=rng.choice(((250, 250, 245), (240, 225, 190), (235, 240, 250))))
    d = page.draw
    d.rectangle(
        (w * 0.8, h * 0.08, w * 0.94, h * 0.36),
        fill=rng.choice(((200, 50, 60), (40, 120, 70), (40, 80, 160))),
    )
    d.ellipse((w * 0.62, h * 0.1, w * 0.84, h * 0.38), outline=(60, 60, 60), width=1)
    for k in range(3):
        d.arc(
            (w * 0.55, h * (0.12 + 0.07 * k), w * 0.95, h * (0.32 + 0.07 * k)),
            200,
            340,
            fill=(80, 80, 80),
        )
    size = max(6, int(h * 0.09))
    x, y = w * 0.35, h * 0.5
    f = font(rng.choice(("sans", "serif", "mono")), size, rng.randrange(3))
    name = who.full_name if "a19_name_full" in fields else None
    lines: list[tuple[str, str, tuple[str, ...]]] = []
    if name:
        lines.append((name, "name", ("a19_name_full", "a35_mail")))
    if "a78_address_home_complete" in fields:
        lines += [
            (who.street, "address", ("a78_address_home_complete", "a35_mail")),
            (who.city_line, "address", ("a78_address_home_complete", "a35_mail")),
        ]
    hand = "a26_handwriting" in fields
    for text, kind, attrs in lines:
        if hand:
            handwriting(
                page, (x, y), text, kind, attrs + ("a26_handwriting",), int(size * 1.1), rng
            )
        else:
            page.draw_line((x, y), [(text, kind, attrs)], f, fill=INK)
        y += size * 1.35
    # Without a name or address to show, the block is scribbled-out (still mail, nothing legible).
    while y < h * 0.88:
        greek(page, x, y, w * 0.5, size * 0.8, rng, color=(120, 120, 140))
        page.items.append(
            TextItem(
                "<greeked>",
                "mail",
                (int(x), int(y), int(x + w * 0.5), int(y + size * 0.8)),
                box_polygon((x, y, x + w * 0.5, y + size * 0.8)),
                ("a35_mail",),
            )
        )
        y += size * 1.35
    return Doc(page, whole=(), kind="envelope")


def receipt(rng: random.Random, fields: list[str], scale: float) -> Doc:
    size = max(6, int(8.5 * scale))
    n = rng.randint(4, 8)
    w = int(size * 17)
    h = int(size * (7 + 1.3 * n + (1.5 if "a82_date_time" in fields else 0)))
    page = paper(w, h, rng, tint=(250, 250, 247))
    f = font("mono", size, rng.randrange(2))
    shop = rng.choice(("CORNER MARKET", "CITY DELI", "GREEN GROCER", "BOOK NOOK", "CAFE ROMA"))
    page.draw_line(
        (size, size * 0.6), [(shop, "receipt", ("a37_receipt",))], font("mono-bold", size), fill=INK
    )
    y = size * 2.2
    if "a82_date_time" in fields:
        page.draw_line(
            (size, y),
            [(random_date(rng, True), "date", ("a82_date_time", "a37_receipt"))],
            f,
            fill=INK,
        )
        y += size * 1.5
    total = 0.0
    for _ in range(n):
        price = rng.uniform(0.5, 20)
        total += price
        item = rng.choice(SHOP_ITEMS)
        page.draw_line(
            (size, y), [(f"{item:<10}{price:>6.2f}", "receipt", ("a37_receipt",))], f, fill=INK
        )
        y += size * 1.3
    page.draw.line((size, y + 2, w - size, y + 2), fill=INK)
    page.draw_line(
        (size, y + size * 0.5),
        [(f"{'TOTAL':<10}{total:>6.2f}", "receipt", ("a37_receipt",))],
        font("mono-bold", size),
        fill=INK,
    )
    # A torn zig-zag bottom edge.
    zig = [(x, h - (3 if (x // 4) % 2 else 0)) for x in range(0, w + 4, 4)]
    page.draw.polygon(zig + [(w, h), (0, h)], fill=(0, 0, 0, 0))
    return Doc(page, kind="receipt")


def prescription(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    """Medical history: a pill bottle label or a prescription slip."""
    size = max(6, int(9 * scale))
    w, h = int(size * 18), int(size * 10)
    page = paper(w, h, rng, tint=(255, 255, 255))
    page.draw.rectangle((0, 0, w, size * 1.8), fill=(40, 120, 170))
    page.draw_line(
        (size * 0.5, size * 0.3),
        [("Rx  PHARMACY", "plain")],
        font("sans-bold", size),
        fill=(255, 255, 255),
    )
    y = size * 2.4
    f = font("sans", size)
    for text in (
        rng.choice(DRUGS),
        rng.choice(("Take 1 tablet twice daily", "Apply as directed", "Take with food")),
        rng.choice(DIAGNOSES),
    ):
        page.draw_line((size * 0.5, y), [(text, "medical", ("a43_medicine",))], f, fill=INK)
        y += size * 1.4
    if "a19_name_full" in fields:
        page.draw_line(
            (size * 0.5, y),
            [("Patient: ", "plain"), (who.full_name, "name", ("a19_name_full",))],
            f,
            fill=INK,
        )
    return Doc(page, kind="prescription")


def certificate(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    size = max(6, int(9 * scale))
    w, h = int(size * 26), int(size * 18)
    page = paper(w, h, rng, tint=(250, 245, 225))
    d = page.draw
    d.rectangle(
        (size * 0.5, size * 0.5, w - size * 0.5, h - size * 0.5),
        outline=(150, 120, 50),
        width=max(1, size // 4),
    )
    title = rng.choice(("DIPLOMA", "CERTIFICATE", "DEGREE"))
    tf = font("serif-bold", int(size * 2))
    page.draw_line(
        ((w - tf.getlength(title)) / 2, size * 1.5), [(title, "plain")], tf, fill=(90, 60, 20)
    )
    y = size * 5
    f = font("serif", int(size * 1.1))
    for text in (rng.choice(SCHOOLS), rng.choice(DEGREES)):
        page.draw_line(
            ((w - f.getlength(text)) / 2, y),
            [(text, "education", ("a70_education_history",))],
            f,
            fill=INK,
        )
        y += size * 2
    if "a19_name_full" in fields:
        nf = font("italic", int(size * 1.5))
        page.draw_line(
            ((w - nf.getlength(who.full_name)) / 2, y),
            [(who.full_name, "name", ("a19_name_full",))],
            nf,
            fill=INK,
        )
    d.ellipse((w - size * 5, h - size * 5, w - size * 1.5, h - size * 1.5), fill=(200, 40, 40))
    return Doc(page, kind="certificate")


def email_window(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    """An email client: header rows, then the message body (evidence of a92)."""
    size = max(6, int(8.5 * scale))
    w, h = int(size * 30), int(size * 20)
    page = paper(w, h, rng, tint=(255, 255, 255))
    d = page.draw
    d.rectangle((0, 0, w, size * 2), fill=(225, 228, 235))
    for k, c in enumerate(((240, 90, 80), (240, 190, 60), (90, 190, 90))):
        d.ellipse((size * (0.5 + 1.2 * k), size * 0.5, size * (1.4 + 1.2 * k), size * 1.4), fill=c)
    f = font("sans", size)
    y = size * 2.6
    sender = [("From: ", "plain")]
    if "a90_email" in fields:
        sender.append((who.email, "email", ("a90_email",)))
    elif "a19_name_full" in fields:
        sender.append((who.full_name, "name", ("a19_name_full",)))
    else:
        sender.append(("Newsletter Team", "plain"))
    page.draw_line((size, y), sender, f, fill=INK)
    y += size * 1.4
    page.draw_line(
        (size, y),
        [
            ("Subject: ", "plain"),
            (rng.choice(("Re: plans", "Weekend", "Quick question", "Photos")), "plain"),
        ],
        f,
        fill=INK,
    )
    y += size * 1.8
    d.line((size, y - size * 0.4, w - size, y - size * 0.4), fill=(210, 210, 215))
    body = [
        "Hi there,",
        "Thanks for your note. I am attaching",
        "the files we talked about and",
        "will call you once I am back home.",
        "Take care and speak soon.",
    ]
    for line in body[: rng.randint(3, 5)]:
        page.draw_line((size, y), [(line, "email_content", ("a92_email_content",))], f, fill=INK)
        y += size * 1.35
    if "a49_phone" in fields:
        page.draw_line(
            (size, y + size * 0.3),
            [("Tel. ", "plain"), (who.phone, "phone", ("a49_phone",))],
            f,
            fill=INK,
        )
    return Doc(page, kind="email")


def chat_screen(
    rng: random.Random, who: Persona, other: Persona, fields: list[str], scale: float
) -> Doc:
    """A phone chat: contact header, bubbles (evidence of a97), private details inside."""
    size = max(6, int(8 * scale))
    w, h = int(size * 21), int(size * 36)
    page = Page(Image.new("RGBA", (w, h), (0, 0, 0, 0)))
    d = page.draw
    d.rounded_rectangle((0, 0, w - 1, h - 1), radius=size * 2, fill=(25, 25, 28, 255))
    sx0, sy0, sx1, sy1 = size * 0.8, size * 2.5, w - size * 0.8, h - size * 2.5
    d.rectangle(
        (sx0, sy0, sx1, sy1), fill=rng.choice(((236, 229, 221), (245, 245, 250), (30, 32, 40)))
    )
    dark = d.im.getpixel((int(sx0 + 2), int(sy0 + 2)))[0] < 100
    d.rectangle(
        (sx0, sy0, sx1, sy0 + size * 3), fill=rng.choice(((7, 94, 84), (40, 90, 200), (60, 60, 70)))
    )
    f = font("sans", size)
    header = (
        ("a19_name_full", who.full_name)
        if "a19_name_full" in fields
        else (("a20_name_first", who.first) if "a20_name_first" in fields else (None, "Group chat"))
    )
    page.draw_line(
        (sx0 + size, sy0 + size * 0.8),
        [(header[1], "name" if header[0] else "plain", (header[0],) if header[0] else ())],
        font("sans-bold", size),
        fill=(255, 255, 255),
    )
    inserts = []
    if "a49_phone" in fields:
        inserts.append(
            [
                ("call me: ", "conversation", ("a97_online_conversation",)),
                (who.phone, "phone", ("a49_phone", "a97_online_conversation")),
            ]
        )
    if "a90_email" in fields:
        inserts.append(
            [
                ("mail: ", "conversation", ("a97_online_conversation",)),
                (who.email, "email", ("a90_email", "a97_online_conversation")),
            ]
        )
    if "a85_username" in fields:
        inserts.append(
            [
                ("I'm ", "conversation", ("a97_online_conversation",)),
                (who.username, "username", ("a85_username", "a97_online_conversation")),
            ]
        )
    if "a20_name_first" in fields and header[0] != "a20_name_first":
        inserts.append(
            [
                ("Hi ", "conversation", ("a97_online_conversation",)),
                (other.first, "name", ("a20_name_first", "a97_online_conversation")),
            ]
        )
    msgs = [
        [(m, "conversation", ("a97_online_conversation",))]
        for m in rng.sample(HARMLESS_MESSAGES, k=4)
    ]
    for ins in inserts:
        msgs.insert(rng.randrange(len(msgs) + 1), ins)
    y = sy0 + size * 4
    for k, segs in enumerate(msgs):
        tw = sum(f.getlength(s[0]) for s in segs)
        bw = min(sx1 - sx0 - size, tw + size * 1.2)
        right = rng.random() < 0.5
        bx0 = sx1 - size * 0.5 - bw if right else sx0 + size * 0.5
        if y + size * 2 > sy1:
            break
        fill = (220, 248, 198) if right else (255, 255, 255)
        if dark:
            fill = (0, 92, 75) if right else (50, 52, 60)
        d.rounded_rectangle((bx0, y, bx0 + bw, y + size * 1.8), radius=size // 2, fill=fill)
        page.draw_line(
            (bx0 + size * 0.6, y + size * 0.35),
            segs,
            f,
            fill=(240, 240, 240) if dark else (25, 25, 25),
        )
        y += size * 2.4
    return Doc(page, kind="chat")


def social_post(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    """A social media post: avatar, handle (a85), post text (opinion a61 or harmless)."""
    size = max(6, int(8.5 * scale))
    w, h = int(size * 26), int(size * 9)
    page = paper(w, h, rng, tint=(255, 255, 255))
    d = page.draw
    d.ellipse(
        (size * 0.6, size * 0.6, size * 3.2, size * 3.2),
        fill=rng.choice(((120, 160, 220), (220, 140, 120))),
    )
    handle = (
        [(who.username, "username", ("a85_username",))]
        if "a85_username" in fields
        else [("Daily Photo", "plain")]
    )
    page.draw_line((size * 4, size * 0.9), handle, font("sans-bold", size), fill=INK)
    if "a61_opinion_general" in fields:
        post = [(rng.choice(OPINIONS), "opinion", ("a61_opinion_general",))]
    elif "a62_opinion_political" in fields:
        post = [(rng.choice(POLITICAL).title(), "opinion", ("a62_opinion_political",))]
    else:
        post = [
            (rng.choice(("Look at this view", "New post", "Sunday walk", "Hello world")), "plain")
        ]
    page.draw_line((size * 0.8, size * 4.2), post, font("sans", int(size * 1.2)), fill=INK)
    if "a82_date_time" in fields:
        page.draw_line(
            (size * 0.8, size * 6.6),
            [(random_date(rng, True), "date", ("a82_date_time",))],
            font("sans", size),
            fill=GREY,
        )
    return Doc(page, kind="post")


def handwritten_note(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    """A sticky note or lined paper with handwriting (a26), maybe holding a name or phone."""
    size = max(7, int(11 * scale))
    w, h = int(size * 13), int(size * 10)
    yellow = rng.random() < 0.5
    page = paper(w, h, rng, tint=(252, 240, 140) if yellow else (250, 250, 250))
    if not yellow:
        for k in range(1, 9):
            page.draw.line((0, k * size * 1.2, w, k * size * 1.2), fill=(170, 200, 230))
    lines: list[tuple[str, str, tuple[str, ...]]] = [
        (rng.choice(HANDWRITTEN), "handwriting", ("a26_handwriting",))
    ]
    if "a49_phone" in fields:
        lines.append((who.phone, "phone", ("a49_phone", "a26_handwriting")))
    if "a20_name_first" in fields:
        lines.append((who.first, "name", ("a20_name_first", "a26_handwriting")))
    if "a19_name_full" in fields:
        lines.append((who.full_name, "name", ("a19_name_full", "a26_handwriting")))
    lines.append((rng.choice(HANDWRITTEN), "handwriting", ("a26_handwriting",)))
    y = size * 0.5
    for text, kind, attrs in lines[:5]:
        handwriting(
            page,
            (size * 0.6, y),
            text,
            kind,
            attrs,
            size,
            rng,
            ink=rng.choice(((25, 40, 120), (20, 20, 20), (150, 30, 30))),
        )
        y += size * 1.7
    return Doc(page, kind="note")


def placard(rng: random.Random, political: bool, scale: float) -> Doc:
    """A protest placard or a sign with an opinion: big hand-painted letters."""
    text = rng.choice(POLITICAL if political else OPINIONS)
    attr = "a62_opinion_political" if political else "a61_opinion_general"
    size = max(8, int(15 * scale))
    f = font("sans-bold", size)
    words = text.split()
    mid = (len(words) + 1) // 2
    rows = [" ".join(words[:mid]), " ".join(words[mid:])] if len(text) > 12 else [text]
    w = int(max(f.getlength(r) for r in rows) + size * 1.6)
    h = int(size * (1.6 * len(rows) + 1.2))
    page = paper(w, h + int(size * 3), rng, tint=(245, 240, 225))
    page.draw.rectangle((0, h, w, h + size * 3), fill=(0, 0, 0, 0))
    page.draw.rectangle(
        (w / 2 - size * 0.2, h, w / 2 + size * 0.2, h + size * 3), fill=(140, 100, 60)
    )
    color = rng.choice(((200, 30, 30), (20, 20, 20), (20, 60, 160)))
    y = size * 0.6
    for row in rows:
        page.draw_line((size * 0.8, y), [(row, "opinion", (attr,))], f, fill=color)
        y += size * 1.6
    return Doc(page, kind="placard")


def street_sign(rng: random.Random, who: Persona, complete: bool, scale: float) -> Doc:
    """Where the photo was taken: a street-name sign (partial address, a75) or a building sign
    with a full street address (a74)."""
    size = max(7, int(12 * scale))
    if complete:
        text1 = who.street
        text2 = who.city_line
        f = font("sans-bold", size)
        w = int(max(f.getlength(text1), f.getlength(text2)) + size * 1.4)
        h = int(size * 3.6)
        page = paper(w, h, rng, tint=rng.choice(((30, 40, 60), (240, 240, 235), (120, 30, 30))))
        ink = (255, 255, 255) if page.image.getpixel((1, 1))[0] < 150 else INK
        page.draw_line(
            (size * 0.7, size * 0.5),
            [(text1, "address", ("a74_address_current_complete",))],
            f,
            fill=ink,
        )
        page.draw_line(
            (size * 0.7, size * 1.9),
            [(text2, "address", ("a74_address_current_complete",))],
            f,
            fill=ink,
        )
        return Doc(page, kind="address_sign")
    name = who.street.split(" ", 1)[-1].split(" Apt")[0].split(" Suite")[0].upper()
    f = font("sans-bold", size)
    w = int(f.getlength(name) + size * 1.4)
    h = int(size * 1.9)
    pole_h = int(size * 6)
    page = Page(Image.new("RGBA", (w, h + pole_h), (0, 0, 0, 0)))
    page.draw.rectangle(
        (w / 2 - size * 0.2, h, w / 2 + size * 0.2, h + pole_h), fill=(120, 120, 125)
    )
    page.draw.rounded_rectangle(
        (0, 0, w - 1, h),
        radius=size // 3,
        fill=rng.choice(((20, 110, 60), (30, 70, 150))) + (255,),
        outline=(255, 255, 255),
        width=max(1, size // 8),
    )
    page.draw_line(
        (size * 0.7, size * 0.35),
        [(name, "address", ("a75_address_current_partial",))],
        f,
        fill=(255, 255, 255),
    )
    return Doc(page, kind="street_sign")


def house_plaque(rng: random.Random, who: Persona, scale: float) -> Doc:
    """A house-number plaque with the street: partial home address (a79)."""
    size = max(7, int(11 * scale))
    number = who.street.split(" ", 1)[0]
    street = who.street.split(" ", 1)[-1].split(" Apt")[0].split(" Suite")[0]
    f1, f2 = font("serif-bold", int(size * 2)), font("serif", size)
    w = int(max(f1.getlength(number), f2.getlength(street)) + size * 1.6)
    h = int(size * 4.4)
    page = Page(Image.new("RGBA", (w, h), (0, 0, 0, 0)))
    page.draw.rounded_rectangle(
        (0, 0, w - 1, h - 1),
        radius=size // 2,
        fill=rng.choice(((240, 240, 232), (30, 60, 120), (60, 40, 30))) + (255,),
    )
    ink = INK if page.image.getpixel((w // 2, 2))[0] > 150 else (250, 250, 250)
    page.draw_line(
        ((w - f1.getlength(number)) / 2, size * 0.3),
        [(number, "address", ("a79_address_home_partial",))],
        f1,
        fill=ink,
    )
    page.draw_line(
        ((w - f2.getlength(street)) / 2, size * 2.8),
        [(street, "address", ("a79_address_home_partial",))],
        f2,
        fill=ink,
    )
    return Doc(page, kind="house_plaque")


def phone_sign(rng: random.Random, who: Persona, scale: float) -> Doc:
    size = max(7, int(11 * scale))
    f = font("sans-bold", size)
    lead = rng.choice(("CALL ", "TEL ", "FOR SALE  "))
    w = int(f.getlength(lead + who.phone) + size * 1.4)
    h = int(size * 2.0)
    page = paper(w, h, rng, tint=rng.choice(((250, 220, 40), (255, 255, 255), (240, 80, 60))))
    page.draw_line(
        (size * 0.7, size * 0.45),
        [(lead, "plain"), (who.phone, "phone", ("a49_phone",))],
        f,
        fill=INK,
    )
    return Doc(page, kind="phone_sign")


def business_card(rng: random.Random, who: Persona, fields: list[str], scale: float) -> Doc:
    """Name, email, phone on a small card (the fields asked for, others greeked)."""
    size = max(6, int(8 * scale))
    w, h = int(size * 22), int(size * 12)
    page = paper(w, h, rng, tint=rng.choice(((255, 255, 255), (245, 245, 240), (235, 240, 250))))
    y = size
    rows = [
        ("a19_name_full", who.full_name, "name", "sans-bold"),
        ("a20_name_first", who.first, "name", "sans-bold"),
        ("a21_name_last", who.last, "name", "sans-bold"),
        ("a90_email", who.email, "email", "sans"),
        ("a49_phone", who.phone, "phone", "sans"),
        ("a85_username", who.url, "username", "sans"),
    ]
    for attr, text, kind, style in rows:
        if attr in fields:
            page.draw_line(
                (size, y), [(text, kind, (attr,))], font(style, int(size * 1.1)), fill=INK
            )
            y += size * 1.7
    while y < h - size * 1.5:
        greek(page, size, y, w * 0.6, size * 0.8, rng)
        y += size * 1.5
    return Doc(page, kind="business_card")


def name_badge(rng: random.Random, who: Persona, attr: str, scale: float) -> Doc:
    """A badge worn on the chest: company line (plain) and the name."""
    text = {"a19_name_full": who.full_name, "a20_name_first": who.first, "a21_name_last": who.last}[
        attr
    ]
    size = max(6, int(9 * scale))
    f = font("sans-bold", size)
    w = int(max(f.getlength(text), size * 6) + size * 1.2)
    h = int(size * 3.3)
    page = Page(Image.new("RGBA", (w, h), (0, 0, 0, 0)))
    page.draw.rounded_rectangle(
        (0, 0, w - 1, h - 1), radius=max(1, size // 3), fill=(250, 250, 245, 255)
    )
    page.draw.rectangle((0, 0, w - 1, size * 1.1), fill=rng.choice(((160, 30, 40), (30, 80, 160))))
    page.draw_line((size * 0.5, size * 1.5), [(text, "name", (attr,))], f, fill=INK)
    return Doc(page, kind="badge")


def plain_sign(rng: random.Random, scale: float) -> Doc:
    """Harmless text (distractor): shop signs and labels."""
    text = rng.choice(PLAIN_SIGNS)
    size = max(7, int(rng.uniform(10, 20) * scale))
    f = font(rng.choice(("sans-bold", "serif-bold", "sans")), size, rng.randrange(3))
    w = int(f.getlength(text) + size * 1.2)
    h = int(size * 1.9)
    page = paper(
        w,
        h,
        rng,
        tint=rng.choice(
            ((250, 250, 250), (200, 30, 30), (20, 90, 50), (20, 40, 90), (250, 210, 40))
        ),
    )
    ink = INK if sum(page.image.getpixel((1, 1))[:3]) > 450 else (250, 250, 250)
    page.draw_line((size * 0.6, size * 0.35), [(text, "plain")], f, fill=ink)
    return Doc(page, kind="plain_sign")


def greeked_sheet(rng: random.Random, scale: float) -> Doc:
    """A page of unreadable text lines (distractor: document-like, nothing private)."""
    w, h = int(rng.uniform(90, 150) * scale), int(rng.uniform(110, 190) * scale)
    page = paper(w, h, rng)
    y = h * 0.08
    while y < h * 0.9:
        greek(page, w * 0.08, y, w * 0.84, max(3, 6 * scale), rng)
        y += max(5, 10 * scale)
    return Doc(page, kind="greeked")


def timestamp_stamp(rng: random.Random, scale: float) -> Doc:
    """The orange date a camera prints into a corner (a82)."""
    size = max(8, int(13 * scale))
    text = random_date(rng, rng.random() < 0.5)
    f = font("mono-bold", size)
    w, h = int(f.getlength(text) + 4), int(size * 1.4)
    page = Page(Image.new("RGBA", (w, h), (0, 0, 0, 0)))
    page.draw_line(
        (2, 1),
        [(text, "date", ("a82_date_time",))],
        f,
        fill=rng.choice(((255, 150, 30), (255, 200, 40), (250, 250, 250))),
    )
    return Doc(page, kind="timestamp")
