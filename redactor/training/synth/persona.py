"""Fake personal data: one coherent identity per call, reproducible under a seed.

Faker (seeded per identity) supplies names, streets, cities and companies; numbers that have a
structure are built here so they are valid where a checker would look (card numbers pass Luhn,
IBANs pass mod-97). Emails use reserved example domains (RFC 2606) so no real mailbox is named.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import string
from dataclasses import dataclass

from faker import Faker

# Reserved example domains (RFC 2606) under real public suffixes, so validators accept them.
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d %b %Y", "%B %d, %Y", "%d.%m.%Y")
NATIONALITIES = (
    "American",
    "Canadian",
    "British",
    "Irish",
    "Australian",
    "German",
    "French",
    "Spanish",
    "Italian",
    "Dutch",
    "Swedish",
    "Mexican",
    "Brazilian",
    "Indian",
)
MARITAL = ("Single", "Married", "Divorced", "Widowed", "Separated")


@dataclass(frozen=True)
class Persona:
    first: str
    last: str
    birth_date: dt.date
    birth_city: str
    nationality: str
    marital_status: str
    street: str  # "1234 Oak Street"
    city_line: str  # "Springfield, IL 62704"
    email: str
    phone: str
    card_number: str  # grouped in fours, Luhn-valid
    card_expiry: str  # "08/29"
    iban: str
    id_number: str
    username: str
    url: str
    plate: str
    company: str
    job: str

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    def date(self, fmt: str | None = None, rng: random.Random | None = None) -> str:
        return format_date(self.birth_date, fmt or (rng or random).choice(DATE_FORMATS))


def format_date(value: dt.date, fmt: str) -> str:
    return value.strftime(fmt)


def luhn_complete(digits: str) -> str:
    """Appends the check digit that makes `digits` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return len(digits) > 1 and total % 10 == 0


def card_number(rng: random.Random) -> str:
    prefix = rng.choice(("4", "51", "52", "53", "54", "55"))  # Visa, Mastercard ranges
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    number = luhn_complete(body)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def iban(rng: random.Random) -> str:
    """A German-format IBAN with valid mod-97 check digits, grouped in fours."""
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    numeric = bban + "131400"  # "DE" -> 13 14, then "00"
    check = 98 - int(numeric) % 97
    raw = f"DE{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def plate(rng: random.Random) -> str:
    letters = string.ascii_uppercase.replace("I", "").replace("O", "")
    style = rng.randrange(3)
    if style == 0:
        return f"{''.join(rng.choices(letters, k=3))} {rng.randrange(1000, 9999)}"
    if style == 1:
        return f"{rng.randrange(1, 9)}{''.join(rng.choices(letters, k=3))}{rng.randrange(100, 999)}"
    head, tail = "".join(rng.choices(letters, k=2)), "".join(rng.choices(letters, k=3))
    return f"{head}{rng.randrange(10, 99)} {tail}"


def phone(rng: random.Random) -> str:
    area = rng.randrange(201, 989)
    # 555-01xx is reserved for fiction in the North American numbering plan.
    line = f"555-01{rng.randrange(0, 100):02d}"
    style = rng.randrange(3)
    if style == 0:
        return f"({area}) {line}"
    if style == 1:
        return f"+1 {area} {line}"
    return f"{area}-{line}"


@functools.lru_cache(maxsize=1)
def _faker() -> Faker:
    return Faker("en_US")  # building one costs ~70 ms: once per process, reseeded per persona


def make_persona(seed: int, gender: str | None = None) -> Persona:
    """`gender` "female" or "male" picks a matching first name (for a photo beside it)."""
    rng = random.Random(seed)
    fake = _faker()
    fake.seed_instance(seed)
    first = {"female": fake.first_name_female, "male": fake.first_name_male}.get(
        gender or "", fake.first_name
    )()
    last = fake.last_name()
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 65))
    domain = rng.choice(EXAMPLE_DOMAINS)
    sep = rng.choice((".", "_", ""))
    email = (
        f"{first.lower()}{sep}{last.lower()}{rng.choice(('', str(rng.randrange(1, 99))))}@{domain}"
    )
    username = rng.choice(
        (
            f"@{first.lower()}{last[:1].lower()}{rng.randrange(10, 999)}",
            f"@{last.lower()}_{rng.randrange(70, 99)}",
            f"@{first[:1].lower()}{last.lower()}",
        )
    )
    url = f"{rng.choice(('social', 'photos', 'blog'))}.example.com/{username[1:]}"
    return Persona(
        first=first,
        last=last,
        birth_date=birth,
        birth_city=fake.city(),
        nationality=rng.choice(NATIONALITIES),
        marital_status=rng.choice(MARITAL),
        street=fake.street_address(),
        city_line=f"{fake.city()}, {fake.state_abbr()} {fake.zipcode()}",
        email=email,
        phone=phone(rng),
        card_number=card_number(rng),
        card_expiry=f"{rng.randrange(1, 13):02d}/{rng.randrange(26, 33)}",
        iban=iban(rng),
        id_number=f"{rng.choice(string.ascii_uppercase)}{rng.randrange(10**7, 10**8)}",
        username=username,
        url=url,
        plate=plate(rng),
        company=fake.company(),
        job=fake.job(),
    )
