"""The text samples in `samples/`: images with private text and their ground truth.

    python -m redactor.training.synth.samples [--out samples]

writes id_card.png, letter.jpg, chat.png and badge_photo.jpg, each with a JSON beside it
(`<stem>.json`) that lists every rendered text item: its text, kind (name, address, email,
phone, card, date, id, username, or plain for harmless text), the VISPR attribute ids it is
evidence of, its box [x0, y0, x1, y1] (x1/y1 exclusive) and its 4-point polygon (the badge is
tilted), plus non-text regions (the ID card's photo). All personal data is fake (seeded Faker,
reserved example domains, 555-01xx phone numbers, Luhn-valid but unissued card numbers).

The photos come from installed packages, both public domain: scikit-image's astronaut (NASA,
Eileen Collins) and matplotlib's grace_hopper.jpg (U.S. Navy official portrait).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from redactor.training.synth import persona as personas
from redactor.training.synth.typeset import Page, font, rotate_page
from redactor.training.synth.sources import package_photo

# The VISPR attribute ids each kind of sample text is evidence of.
KIND_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "name": ("a19_name_full",),
    "first_name": ("a20_name_first",),
    "last_name": ("a21_name_last",),
    "address": ("a78_address_home_complete",),
    "email": ("a90_email",),
    "phone": ("a49_phone",),
    "card": ("a30_credit_card",),
    "date": ("a82_date_time",),
    "birth_date": ("a24_birth_date",),
    "id": ("a29_ausweis",),
    "username": ("a85_username",),
    "plain": (),
}
INK = (25, 25, 30)
GREY = (95, 100, 110)


def seg(text: str, kind: str, detail: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """A segment whose kind is one of the JSON kinds; `detail` picks finer attribute ids."""
    return (text, kind, KIND_ATTRIBUTES[detail or kind])


def id_card(seed: int = 7) -> tuple[Image.Image, dict]:
    rng = random.Random(seed)
    who = personas.make_persona(seed, gender="female")
    w, h = 1100, 720
    page = Page(Image.new("RGB", (w, h), (214, 210, 202)))
    # Faint desk texture so the background is not flat.
    noise = (
        np.random.default_rng(seed).normal(0, 2.5, (h // 4, w // 4, 1)).repeat(4, 0).repeat(4, 1)
    )
    page.image = Image.fromarray(np.clip(np.asarray(page.image) + noise, 0, 255).astype(np.uint8))
    card = Page(Image.new("RGBA", (1000, 630), (0, 0, 0, 0)))
    d = card.draw
    d.rounded_rectangle(
        (0, 0, 999, 629), radius=36, fill=(232, 240, 246), outline=(150, 170, 190), width=3
    )
    d.rounded_rectangle((0, 0, 999, 96), radius=36, fill=(38, 84, 140))
    d.rectangle((0, 60, 999, 96), fill=(38, 84, 140))
    for i in range(0, 1000, 24):  # guilloche-like lines
        d.arc((i - 300, 300, i + 300, 900), 200, 340, fill=(210, 222, 232), width=1)
    card.draw_line(
        (40, 22),
        [seg("REPUBLIC OF EXAMPLIA", "plain")],
        font("sans-bold", 34),
        fill=(255, 255, 255),
    )
    card.draw_line(
        (650, 30), [seg("IDENTITY CARD", "plain")], font("sans", 28), fill=(220, 230, 245)
    )
    photo_box = (40, 130, 300, 470)
    face = (
        package_photo("astronaut")
        .crop((140, 10, 330, 250))
        .resize((photo_box[2] - photo_box[0], photo_box[3] - photo_box[1]), Image.LANCZOS)
    )
    card.image.paste(face, photo_box[:2])
    d.rectangle(photo_box, outline=(120, 130, 140), width=2)
    label, value = font("sans", 22), font("sans-bold", 32)
    x, y = 340, 122
    fields = [
        ("Surname", [[seg(who.last, "name", "last_name")]]),
        ("Given names", [[seg(who.first, "name", "first_name")]]),
        ("Date of birth", [[seg(who.date("%d %b %Y"), "date", "birth_date")]]),
        ("Address", [[seg(who.street, "address")], [seg(who.city_line, "address")]]),
    ]
    for caption, lines in fields:
        card.draw_line((x, y), [seg(caption, "plain")], label, fill=GREY)
        y += 26
        for segments in lines:
            card.draw_line((x, y), segments, value, fill=INK)
            y += 40
        y += 12
    card.draw_line((x, y), [seg("ID No.", "plain")], label, fill=GREY)
    card.draw_line((x, y + 26), [seg(who.id_number, "id")], font("mono-bold", 32), fill=INK)
    card.draw_line((40, 500), [seg("Signature of holder", "plain")], label, fill=GREY)
    # A scribble for a signature (not text: no item).
    pts = [(60 + i * 9, 560 + 14 * np.sin(i * 0.9 + rng.random())) for i in range(26)]
    d.line(pts, fill=(30, 40, 120), width=3)
    page.paste(card, (50, 45))
    truth = {
        "regions": [
            {
                "kind": "face_photo",
                "attributes": ["a9_face_complete"],
                "box": [50 + photo_box[0], 45 + photo_box[1], 50 + photo_box[2], 45 + photo_box[3]],
            }
        ]
    }
    return page_result(page, truth)


# Harmless body text: no names, places or temporal words (an NER model reads "every month" or
# "another year" as a date), so "plain" really means nothing private.
LETTER_BODY = (
    "Thank you for your message about my membership. I would like to keep",
    "the current plan and switch to paying by card. Please charge the fee",
    "to my card {card} and send the receipt",
    "to the address above. If anything is unclear, please give me a call.",
    "",
    "The garden club is a joy, and I look forward to the flower exhibition",
    "in the old library hall. Many thanks for your help.",
)


def letter(seed: int = 11) -> tuple[Image.Image, dict]:
    sender, recipient = personas.make_persona(seed), personas.make_persona(seed + 1)
    w, h = 990, 1280
    page = Page(Image.new("RGB", (w, h), (252, 251, 247)))
    body, small = font("serif", 22), font("serif", 20)
    x, y = 90, 80
    for segments in (
        [seg(sender.full_name, "name")],
        [seg(sender.street, "address")],
        [seg(sender.city_line, "address")],
        [seg("Tel. ", "plain"), seg(sender.phone, "phone")],
        [seg(sender.email, "email")],
    ):
        page.draw_line((x, y), segments, small, fill=INK)
        y += 30
    page.draw_line(
        (640, 250),
        [seg(personas.format_date(personas.dt.date(2025, 3, 14), "%B %d, %Y"), "date")],
        body,
        fill=INK,
    )
    y = 300
    for segments in (
        [seg(recipient.full_name, "name")],
        [seg("Garden Club Membership Office", "plain")],
        [seg(recipient.street, "address")],
        [seg(recipient.city_line, "address")],
    ):
        page.draw_line((x, y), segments, body, fill=INK)
        y += 32
    y += 40
    page.draw_line(
        (x, y), [seg("Re: Membership renewal", "plain")], font("serif-bold", 24), fill=INK
    )
    y += 56
    page.draw_line(
        (x, y),
        [seg("Dear ", "plain"), seg(recipient.full_name, "name"), seg(",", "plain")],
        body,
        fill=INK,
    )
    y += 50
    for text in LETTER_BODY:
        if "{card}" in text:
            before, after = text.split("{card}")
            page.draw_line(
                (x, y),
                [seg(before, "plain"), seg(sender.card_number, "card"), seg(after, "plain")],
                body,
                fill=INK,
            )
        elif text:
            page.draw_line((x, y), [seg(text, "plain")], body, fill=INK)
        y += 36
    y += 30
    page.draw_line((x, y), [seg("Yours sincerely,", "plain")], body, fill=INK)
    page.draw_line(
        (x, y + 50), [seg(sender.full_name, "name")], font("italic", 34), fill=(30, 40, 120)
    )
    page.draw_line((x, y + 100), [seg(sender.full_name, "name")], body, fill=INK)
    page.draw_line(
        (x, 1190), [seg("Membership no. ", "plain"), seg(sender.id_number, "id")], small, fill=GREY
    )
    return page_result(page, {})


def chat(seed: int = 23) -> tuple[Image.Image, dict]:
    me, them = personas.make_persona(seed), personas.make_persona(seed + 1)
    w, h = 720, 1280
    page = Page(Image.new("RGB", (w, h), (236, 229, 221)))
    d = page.draw
    d.rectangle((0, 0, w, 130), fill=(7, 94, 84))
    d.ellipse((24, 40, 84, 100), fill=(180, 200, 196))
    page.draw_line(
        (104, 42), [seg(them.full_name, "name")], font("sans-bold", 32), fill=(255, 255, 255)
    )
    page.draw_line((104, 84), [seg("online", "plain")], font("sans", 22), fill=(200, 230, 220))
    messages = [
        ("in", [seg("Hi! Is the bike from your ad still for sale?", "plain")]),
        ("out", [seg("Yes, it is. It has new tyres and a fresh chain.", "plain")]),
        (
            "in",
            [
                seg("Great. I am ", "plain"),
                seg(them.full_name, "name"),
                seg(", by the way.", "plain"),
            ],
        ),
        ("out", [seg("Nice to meet you. Call me on ", "plain")]),
        ("out", [seg(me.phone, "phone")]),
        ("in", [seg("Or write to ", "plain"), seg(them.email, "email")]),
        ("out", [seg("Photos are on my page", "plain")]),
        ("out", [seg(me.url, "username")]),
        ("in", [seg("Thanks! I follow you there as ", "plain"), seg(them.username, "username")]),
        ("out", [seg("The weather looks lovely for a ride.", "plain")]),
    ]
    text_font = font("sans", 25)
    y = 160
    for side, segments in messages:
        text_w = sum(text_font.getlength(s[0]) for s in segments)
        bw = int(text_w) + 36
        x0 = 24 if side == "in" else w - 24 - bw
        fill = (255, 255, 255) if side == "in" else (220, 248, 198)
        d.rounded_rectangle((x0, y, x0 + bw, y + 56), radius=14, fill=fill)
        page.draw_line((x0 + 18, y + 13), segments, text_font, fill=(30, 30, 30))
        y += 76
    d.rectangle((0, h - 90, w, h), fill=(245, 245, 245))
    d.rounded_rectangle((20, h - 72, w - 100, h - 18), radius=27, fill=(255, 255, 255))
    page.draw_line(
        (50, h - 60), [seg("Type a message", "plain")], font("sans", 24), fill=(150, 150, 150)
    )
    return page_result(page, {})


def badge_photo(seed: int = 31) -> tuple[Image.Image, dict]:
    who = personas.make_persona(seed, gender="female")
    photo = package_photo("grace_hopper")
    photo = photo.resize((photo.width * 3 // 2, photo.height * 3 // 2), Image.LANCZOS)
    page = Page(photo.convert("RGB"))
    badge = Page(Image.new("RGBA", (300, 150), (0, 0, 0, 0)))
    bd = badge.draw
    bd.rounded_rectangle(
        (0, 0, 299, 149), radius=12, fill=(250, 250, 246), outline=(90, 90, 90), width=2
    )
    bd.rectangle((0, 0, 299, 36), fill=(160, 30, 40))
    badge.draw_line(
        (14, 6), [seg("EXAMPLE LABS", "plain")], font("sans-bold", 21), fill=(255, 255, 255)
    )
    name_font = font("sans-bold", 36 if len(who.full_name) < 14 else 30)
    badge.draw_line((14, 50), [seg(who.first, "name", "first_name")], name_font, fill=INK)
    badge.draw_line((14, 96), [seg(who.last, "name", "last_name")], font("sans", 28), fill=INK)
    tilted = rotate_page(badge, 5.0)
    # Soft shadow, then the badge over the uniform's own name tag (so no real name shows).
    shadow = Image.new("L", tilted.image.size, 0)
    shadow.paste(tilted.image.getchannel("A"))
    shadow = shadow.filter(ImageFilter.GaussianBlur(5))
    at = (95, 670)
    page.image.paste((10, 10, 10), (at[0] + 6, at[1] + 8), shadow.point(lambda v: v * 0.5))
    page.paste(tilted, at)
    # The face box was placed by eye (the photo has no annotation): approximate.
    truth = {
        "regions": [
            {
                "kind": "face",
                "attributes": ["a9_face_complete"],
                "box": [230, 190, 565, 480],
                "approximate": True,
            }
        ]
    }
    return page_result(page, truth)


def page_result(page: Page, extra: dict) -> tuple[Image.Image, dict]:
    image = page.image.convert("RGB")
    truth = {
        "width": image.width,
        "height": image.height,
        "items": [item.to_json() for item in page.items],
        **extra,
    }
    truth.setdefault("regions", [])
    return image, truth


SAMPLES = {
    "id_card.png": id_card,
    "letter.jpg": letter,
    "chat.png": chat,
    "badge_photo.jpg": badge_photo,
}


def truth_json(truth: dict) -> str:
    """JSON with one item or region per line: readable in a diff, still plain JSON."""
    lines = ["{"]
    keys = list(truth)
    for i, key in enumerate(keys):
        value = truth[key]
        end = "," if i < len(keys) - 1 else ""
        if isinstance(value, list):
            rows = [json.dumps(v, ensure_ascii=False) for v in value]
            body = ",\n".join(f"  {r}" for r in rows)
            lines.append(f' "{key}": [\n{body}\n ]{end}' if rows else f' "{key}": []{end}')
        else:
            lines.append(f' "{key}": {json.dumps(value)}{end}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_samples(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in SAMPLES.items():
        image, truth = make()
        path = out / name
        if name.endswith(".jpg"):
            image.save(path, quality=88, optimize=True)
        else:
            image.save(path, optimize=True)
        truth = {"image": name, **truth}
        json_path = path.with_suffix(".json")
        json_path.write_text(truth_json(truth))
        written += [path, json_path]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[3] / "samples")
    args = parser.parse_args()
    for path in write_samples(args.out):
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
