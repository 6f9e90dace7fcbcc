"""What Presidio does not know about text read from images: street addresses, postcodes,
@usernames, and the labelled fields of forms and ID cards ("Surname" above "Hernandez",
"ID No." above "U35215622", "Tel. +1 391 555-0112").

Pure Python: the Presidio recognisers are built in `pattern_recognizers()`, which imports
Presidio only when called (the private-text detector calls it once per process).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

NAME_FULL = ("a19_name_full", "a20_name_first", "a21_name_last")
NAME_FIRST = ("a20_name_first",)
NAME_LAST = ("a21_name_last",)
NAME_ONE_WORD = ("a20_name_first", "a21_name_last")  # one word: first or last, we cannot tell
ADDRESS_ALL = (
    "a74_address_current_complete",
    "a75_address_current_partial",
    "a78_address_home_complete",
    "a79_address_home_partial",
)
ADDRESS_PARTIAL = ("a75_address_current_partial", "a79_address_home_partial")
BIRTH_CITY = ("a23_birth_city",)
BIRTH_DATE = ("a24_birth_date", "a82_date_time")
DATE_TIME = ("a82_date_time",)
NATIONALITY = ("a25_nationality",)
NATIONAL_ID = ("a29_ausweis",)
CARD = ("a30_credit_card",)
BANK_ACCOUNT = ("a30_credit_card", "a29_ausweis")
PASSPORT = ("a31_passport",)
DRIVERS_LICENSE = ("a32_drivers_license",)
STUDENT_ID = ("a33_student_id",)
PHONE = ("a49_phone",)
USERNAME = ("a85_username",)
EMAIL = ("a90_email",)

# Words before a date that make it a date of birth.
BIRTH_CONTEXT = re.compile(r"\b(?:d\.?\s?o\.?\s?b\.?|born|birth|birthday|geb(?:oren|\.))", re.I)


_MONTH_OR_DAY = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b"
    r"|\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b",
    re.I,
)
_NUMERIC_DATE = re.compile(r"\d{1,4}\s?[/.\-]\s?\d{1,2}(?:\s?[/.\-]\s?\d{1,4})?")
_TIME = re.compile(r"\b\d{1,2}[:h.]\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)", re.I)


def looks_like_date(span: str) -> bool:
    """A date or time with digits in it: "19 Jan 1969", "12/03/1985", "10:42 AM". Not a bare
    number (a year, a ZIP code, a group of a card number)."""
    if not any(ch.isdigit() for ch in span):
        return False
    return bool(_MONTH_OR_DAY.search(span) or _NUMERIC_DATE.search(span) or _TIME.search(span))


_BEFORE_PLACE = re.compile(
    r"(?:\b(?:in|to|from|at|near|visit|visiting|visited|via|of|around|towards?)|,)\s*$", re.I
)


def placed_like_a_place(text: str, start: int, end: int) -> bool:
    """Is text[start:end] used as a place: capitalised, after "in/to/from/at/..." or a comma,
    or before a comma ("Paris, France")? Alone at the start of a line it is usually a word
    that spaCy's small model mistakes for one ("Invoice")."""
    span = text[start:end]
    if not all(word[:1].isupper() for word in span.split()):
        return False
    after = text[end:].lstrip()
    return bool(_BEFORE_PLACE.search(text[:start]) or after.startswith(","))


@dataclass(frozen=True)
class TextFinding:
    """Private text found in one OCR line: characters [start, end) of `lines[line].text`."""

    line: int
    start: int
    end: int
    label: str  # entity type: "PERSON", "EMAIL_ADDRESS", "STREET_ADDRESS", ...
    attributes: tuple[str, ...]
    score: float
    source: str = "presidio"  # "field" for a value found next to its label


class LineLike(Protocol):
    """What the field finder needs of an OCR line (ocr.OcrLine has it)."""

    text: str

    @property
    def box(self) -> tuple[int, int, int, int]: ...


# --- street addresses, postcodes, usernames (Presidio pattern recognisers) --------------------

# USPS street suffixes (what Faker and real addresses use), singular; plurals are added below.
STREET_SUFFIXES = """
Alley Allee Annex Arcade Avenue Ave Av Bayou Beach Bend Bluff Bottom Boulevard Blvd Branch Bridge
Brook Burg Bypass Camp Canyon Cape Causeway Center Centre Ctr Circle Cir Cliff Close Club Common
Corner Course Court Ct Cove Creek Crescent Cres Crest Crossing Crossroad Curve Dale Dam Divide
Drive Dr Estate Expressway Extension Fall Ferry Field Flat Ford Forest Forge Fork Fort Freeway
Garden Gardens Gate Gateway Glen Green Grove Harbor Harbour Haven Heights Highway Hwy Hill Hollow
Inlet Island Isle Junction Key Knoll Lake Land Landing Lane Ln Light Loaf Lock Lodge Loop Mall
Manor Meadow Mews Mill Mission Motorway Mount Mountain Neck Orchard Oval Overpass Park Parkway
Pkwy Pass Passage Path Pike Pine Place Pl Plain Plaza Point Port Prairie Quay Radial Ramp Ranch
Rapid Rest Ridge River Road Rd Route Row Rue Run Shoal Shore Skyway Spring Spur Square Sq Station
Stravenue Stream Street St Summit Terrace Ter Throughway Trace Track Trafficway Trail Trl Tunnel
Turnpike Underpass Union Valley Via Viaduct View Village Ville Vista Walk Wall Way Well Wynd
""".split()

US_STATES = """
AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY
NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY
""".split()


def _suffix_alternation() -> str:
    forms: set[str] = set()
    for suffix in STREET_SUFFIXES:
        for word in (suffix, suffix + "s") if len(suffix) > 3 else (suffix,):
            forms.update({word, word.upper()})
    # Longest first so "Streets" wins over "Street" and "St".
    return "|".join(sorted(forms, key=len, reverse=True))


# Case matters in these patterns (names and suffixes capitalised, states in capitals), so the
# recognisers run without Presidio's default IGNORECASE.
_NAME_WORD = r"[A-Z][A-Za-z'’.-]*"
STREET_PATTERN = (
    r"\b\d{1,6}[A-Za-z]?(?:[-/]\d{1,4})?,?\s+"  # house number: 221, 221B, 12-14
    rf"(?:{_NAME_WORD}\s+){{1,4}}"  # street name: one to four capitalised words
    rf"(?:{_suffix_alternation()})\b\.?"  # suffix
    r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b\.?)?"  # directional: Avenue NW
    r"(?:,?\s+(?:Apt|APT|Apartment|Suite|SUITE|Ste|Unit|UNIT|Flat|FLAT|Floor|Fl|Room|Rm|#)\.?"
    r"\s*#?\s*[A-Za-z0-9-]{1,6})?"  # secondary unit: Apt. 318, Suite 525, # 4
)
# Continental style: Hauptstraße 12, Via Roma 5, Rue de Rivoli 10 (name first, then number).
STREET_NAME_FIRST_PATTERN = (
    r"\b[A-Z][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)"
    r"\s+\d{1,4}[a-z]?\b"
    r"|\b(?:Rue|Via|Calle|Avenida|Rua|Viale|Piazza|Plaza)\s+(?:[A-Za-zÀ-ÿ'’-]+\s+){1,4}"
    r"\d{1,4}\b"
)
PO_BOX_PATTERN = r"\bP\.?\s?O\.?\s+Box\s+\d{1,8}\b"
_STATES = "|".join(US_STATES)
US_LOCALITY_PATTERN = (
    rf"\b{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}},?\s+(?:{_STATES})\s+\d{{5}}(?:-\d{{4}})?\b"
)
US_STATE_ZIP_PATTERN = rf"\b(?:{_STATES})\s+\d{{5}}(?:-\d{{4}})?\b"
UK_POSTCODE_PATTERN = r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2}\b"
CA_POSTCODE_PATTERN = r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b"
# @handle not preceded by a word character (so never the @ of an e-mail address).
USERNAME_PATTERN = r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?\b"

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"[0-3]?\d(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]|20)\d{2}"
# Dates spaCy cuts short ("4 July 2024" tagged as "July 2024" leaves the day readable).
DATE_PATTERNS = (
    rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b",  # 4 July 2024, 4th of July 2024
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",  # July 4, 2024
    r"\b[0-3]?\d[./-][01]?\d[./-](?:1[89]|20)?\d{2}\b",  # 04.07.2024, 4/7/24
    r"\b(?:1[89]|20)\d{2}-[01]\d-[0-3]\d\b",  # 2024-07-04
)

# A number written with its "+country code" is a phone even where the phonenumbers library calls
# it invalid (an unallocated range): 8-15 digits in groups.
INTL_PHONE_PATTERN = r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){1,2}(?:[\s.-]?\d{2,6}){1,3}\b"
# An ID number named in a sentence: "Your member ID is 77818046", "account number: X1234567".
ID_IN_TEXT_PATTERN = (
    r"(?i:\b(?:id|number|no\.?|nr\.?|#)\s*(?:is|:|=)?\s*)"
    r"(?P<value>(?=[A-Z0-9-]*\d{3})[A-Z]{0,3}\d[\dA-Z-]{4,18}\d)\b"
)

ADDRESS_CONTEXT = ["address", "street", "road", "home", "residence", "lives", "postcode", "zip"]


def pattern_recognizers() -> list:
    """Presidio recognisers for what its predefined ones miss. Imports Presidio."""
    from presidio_analyzer import Pattern, PatternRecognizer

    case_sensitive = re.MULTILINE | re.DOTALL

    class IntlPhoneRecognizer(PatternRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return 8 <= sum(ch.isdigit() for ch in pattern_text) <= 15

    return [
        PatternRecognizer(
            supported_entity="STREET_ADDRESS",
            name="StreetAddressRecognizer",
            patterns=[
                Pattern("number street suffix", STREET_PATTERN, 0.6),
                Pattern("street number", STREET_NAME_FIRST_PATTERN, 0.6),
                Pattern("PO box", PO_BOX_PATTERN, 0.6),
                Pattern("city, state ZIP", US_LOCALITY_PATTERN, 0.7),
            ],
            context=ADDRESS_CONTEXT,
            global_regex_flags=case_sensitive,
        ),
        PatternRecognizer(
            supported_entity="POSTCODE",
            name="PostcodeRecognizer",
            patterns=[
                Pattern("US state ZIP", US_STATE_ZIP_PATTERN, 0.5),
                Pattern("UK postcode", UK_POSTCODE_PATTERN, 0.5),
                Pattern("CA postcode", CA_POSTCODE_PATTERN, 0.5),
            ],
            context=ADDRESS_CONTEXT,
            global_regex_flags=case_sensitive,
        ),
        PatternRecognizer(
            supported_entity="DATE_TIME",
            name="FullDateRecognizer",
            patterns=[Pattern(f"date {i}", p, 0.6) for i, p in enumerate(DATE_PATTERNS)],
            context=["date", "born", "birth", "dob"],
            global_regex_flags=re.IGNORECASE | case_sensitive,
        ),
        IntlPhoneRecognizer(
            supported_entity="PHONE_NUMBER",
            name="IntlPhoneRecognizer",
            patterns=[Pattern("+cc phone", INTL_PHONE_PATTERN, 0.5)],
            context=["phone", "tel", "mobile", "call", "number", "whatsapp"],
            global_regex_flags=case_sensitive,
        ),
        PatternRecognizer(
            supported_entity="USERNAME",
            name="UsernameRecognizer",
            patterns=[Pattern("@handle", USERNAME_PATTERN, 0.6)],
            context=["follow", "user", "username", "handle", "twitter", "instagram"],
            global_regex_flags=case_sensitive,
        ),
    ]


# --- labelled fields ---------------------------------------------------------------------------


def _has_digits(count: int) -> Callable[[str], bool]:
    return lambda value: sum(ch.isdigit() for ch in value) >= count


def _looks_like_name(value: str) -> bool:
    words = value.split()
    return (
        0 < len(words) <= 5
        and not any(ch.isdigit() or ch == "@" for ch in value)
        and all(w[0].isalpha() and w[0].isupper() for w in words if w[0].isalpha())
        and any(ch.isalpha() for ch in value)
    )


def _looks_like_id(value: str) -> bool:
    tokens = value.split()
    return 0 < len(tokens) <= 4 and sum(ch.isdigit() for ch in value) >= 3


def _card_number(value: str) -> bool:
    """12-19 digits that pass the Luhn checksum (as Presidio checks card numbers)."""
    digits = [int(ch) for ch in value if ch.isdigit()]
    if not 12 <= len(digits) <= 19 or any(ch.isalpha() for ch in value):
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _any_alnum(value: str) -> bool:
    return any(ch.isalnum() for ch in value)


def _is_word(value: str) -> bool:
    return 0 < len(value.split()) <= 3 and all(ch.isalpha() or ch in " -'" for ch in value)


@dataclass(frozen=True)
class FieldKind:
    label: str  # entity type reported for the value
    attributes: tuple[str, ...]
    valid: Callable[[str], bool]  # does the value look like this kind of field?
    # A value on the label's own line needs a ":" (or similar) between them unless it passes
    # `valid` on something specific (digits, an @): "Name the place" is not a name field.
    inline_without_separator: bool = False
    multiline: bool = False  # an address may continue on the lines below


_NO = r"(?:no\.?|nr\.?|num\.?|number|#|n°|n\.?º)"
FIELD_LABELS: tuple[tuple[re.Pattern[str], FieldKind], ...] = tuple(
    (re.compile(rf"(?:{pattern})", re.I), kind)
    for pattern, kind in (
        (r"(?:sur|last|family)\s*name|nom", FieldKind("PERSON", NAME_LAST, _looks_like_name)),
        (
            r"(?:given|first|fore|christian)\s*names?|prénoms?|vorname",
            FieldKind("PERSON", NAME_FIRST, _looks_like_name),
        ),
        (
            r"(?:full\s+|legal\s+|holder'?s?\s+|card\s*holder'?s?\s+)?name"
            r"|(?:card\s*)?holder|patient|employee|student|name\s+of\s+holder",
            FieldKind("PERSON", NAME_FULL, _looks_like_name),
        ),
        (
            r"date\s+of\s+birth|birth\s*date|d\.?\s?o\.?\s?b\.?|born|birthday|geburtsdatum",
            FieldKind("DATE_OF_BIRTH", BIRTH_DATE, _has_digits(2), inline_without_separator=True),
        ),
        (r"place\s+of\s+birth|birth\s*place", FieldKind("BIRTH_PLACE", BIRTH_CITY, _is_word)),
        (r"nationality|citizenship", FieldKind("NATIONALITY", NATIONALITY, _is_word)),
        (
            r"(?:home\s+|postal\s+|mailing\s+|street\s+|residential\s+|billing\s+|shipping\s+)?"
            r"address|residence|domicile|adresse|anschrift",
            FieldKind("STREET_ADDRESS", ADDRESS_ALL, _any_alnum, multiline=True),
        ),
        (
            rf"passport(?:\s*{_NO})?|passport\s+id",
            FieldKind("PASSPORT", PASSPORT, _looks_like_id, inline_without_separator=True),
        ),
        (
            rf"driv(?:er|ing)'?s?\s+licen[cs]e(?:\s*{_NO})?|licen[cs]e\s*{_NO}|d\.?l\.?\s*{_NO}",
            FieldKind("DRIVERS_LICENSE", DRIVERS_LICENSE, _looks_like_id, True),
        ),
        (
            rf"student\s*(?:id|card)(?:\s*{_NO})?|student\s*{_NO}|matriculation(?:\s*{_NO})?",
            FieldKind("STUDENT_ID", STUDENT_ID, _looks_like_id, inline_without_separator=True),
        ),
        (
            rf"(?:id|identity|identification|personal|document|national\s+id|membership|member"
            rf"|customer|account|client|policy|patient|employee|tax|social\s+security|insurance"
            rf"|serial|reference|ref\.?)\s*(?:card\s*)?(?:id\s*)?{_NO}"
            r"|ssn|social\s+security|national\s+id|id|personal\s+id|tax\s+id|member\s+id"
            r"|(?:employee|customer|client|patient|account|policy|staff|member)\s+id"
            rf"|mrn|pid|medical\s+record(?:\s*{_NO})?|accession(?:\s*{_NO})?",
            FieldKind("ID_NUMBER", NATIONAL_ID, _looks_like_id, inline_without_separator=True),
        ),
        (
            r"tel\.?|phone|telephone|mobile|cell|fax|ph\.?|mob\.?|handy|telefon",
            FieldKind("PHONE_NUMBER", PHONE, _has_digits(6), inline_without_separator=True),
        ),
        (
            r"e-?mail|mail",
            FieldKind("EMAIL_ADDRESS", EMAIL, lambda v: "@" in v, inline_without_separator=True),
        ),
        (
            r"user\s*name|user\s*id|login|handle",
            FieldKind("USERNAME", USERNAME, lambda v: len(v.split()) == 1),
        ),
        (
            rf"(?:credit\s+|debit\s+)?card\s*(?:number|{_NO})|cc\s*{_NO}",
            FieldKind("CREDIT_CARD", CARD, _card_number, inline_without_separator=True),
        ),
    )
)
_SEPARATOR = re.compile(r"\s*[:#.=\-–]+\s*|\s+")


def match_label(text: str) -> tuple[FieldKind, int, bool] | None:
    """If `text` starts with a field label: its kind, where the value may start, and whether a
    separator (":", ".", "#", ...) follows the label. The longest label wins ("ID No." over
    "ID")."""
    best: tuple[FieldKind, int, bool] | None = None
    best_length = -1
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    for pattern, kind in FIELD_LABELS:
        found = pattern.match(stripped)
        if found is None or found.end() <= best_length:
            continue
        end = found.end()
        if end < len(stripped) and stripped[end - 1].isalnum() and stripped[end].isalnum():
            continue  # "Nameless", "Identity" are not labels
        separator = _SEPARATOR.match(stripped, end)
        value_start = separator.end() if separator else end
        has_separator = bool(separator and separator.group().strip())
        best = (kind, offset + value_start, has_separator)
        best_length = end
    return best


def is_label_only(text: str) -> FieldKind | None:
    """The kind of field when the whole text is a label ("Date of birth", "ID No.")."""
    found = match_label(text)
    if found is None:
        return None
    kind, value_start, _ = found
    return kind if not text[value_start:].strip(" :#.") else None


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def value_lines_of(label_index: int, lines: Sequence[LineLike], multiline: bool) -> list[int]:
    """Lines that hold the value of the label line `label_index`: the nearest line to its right
    on the same row, else the line(s) just below it that start near its left edge."""
    lx0, ly0, lx1, ly1 = lines[label_index].box
    height = max(1, ly1 - ly0)
    right: list[tuple[int, int]] = []
    below: list[tuple[int, int]] = []
    for index, line in enumerate(lines):
        if index == label_index or is_label_only(line.text) is not None:
            continue  # a label beside or below another label is not its value
        x0, y0, x1, y1 = line.box
        same_row = _overlap((ly0, ly1), (y0, y1)) > 0.5 * min(height, y1 - y0)
        if same_row and x0 >= lx1 - 0.5 * height and x0 - lx1 < 12 * height:
            right.append((x0 - lx1, index))
        elif y0 >= ly1 - 0.3 * height and y0 - ly1 < 1.2 * height:
            if abs(x0 - lx0) < 2 * height or _overlap((lx0, lx1), (x0, x1)) > 0:
                below.append((y0, index))
    if right:
        return [min(right)[1]]
    if not below:
        return []
    first = min(below)[1]
    chosen = [first]
    if multiline:  # follow an address block down while lines stay aligned and close
        current = first
        for _ in range(3):
            cx0, cy0, cx1, cy1 = lines[current].box
            step = max(1, cy1 - cy0)
            following = [
                (line.box[1], index)
                for index, line in enumerate(lines)
                if index not in chosen
                and index != label_index
                and 0 <= line.box[1] - cy1 + 0.3 * step < 1.0 * step
                and abs(line.box[0] - cx0) < 1.5 * step
                and match_label(line.text) is None
            ]
            if not following:
                break
            current = min(following)[1]
            chosen.append(current)
    return chosen


def label_lines(lines: Sequence[LineLike]) -> dict[int, int]:
    """For each line that is the value of a label-only line ("Hernandez" below "Surname"), the
    index of that label line."""
    labels: dict[int, int] = {}
    for index, line in enumerate(lines):
        kind = is_label_only(line.text)
        if kind is None:
            continue
        for value_index in value_lines_of(index, lines, kind.multiline):
            labels.setdefault(value_index, index)
    return labels


_FILLER = re.compile(r"(?:on|in|at|is|was|to|of|the)\s+")


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim separators and a leading filler word ("Born on 4 July": the value is the date)."""
    while start < end and not text[start].isalnum() and text[start] not in "+(@#":
        start += 1
    filler = _FILLER.match(text, start, end)
    if filler and filler.end() < end:
        start = filler.end()
    while end > start and not text[end - 1].isalnum() and text[end - 1] not in ").":
        end -= 1
    return start, end


def find_fields(lines: Sequence[LineLike], score: float = 0.75) -> list[TextFinding]:
    """Values of labelled fields: inline ("Name: John Smith") or in the line to the right of or
    below a label-only line ("Surname" / "Hernandez")."""
    findings: list[TextFinding] = []

    def add(index: int, start: int, end: int, kind: FieldKind) -> None:
        start, end = _strip_span(lines[index].text, start, end)
        if end > start:
            findings.append(
                TextFinding(index, start, end, kind.label, kind.attributes, score, "field")
            )

    for index, line in enumerate(lines):
        found = match_label(line.text)
        if found is None:
            continue
        kind, value_start, has_separator = found
        value = line.text[value_start:].strip()
        if value.strip(":#."):
            if (has_separator or kind.inline_without_separator) and kind.valid(value):
                add(index, value_start, len(line.text), kind)
            continue
        for value_index in value_lines_of(index, lines, kind.multiline):
            text = lines[value_index].text
            if is_label_only(text) is None and kind.valid(text.strip()):
                add(value_index, 0, len(text), kind)
    labelled = {(f.line, f.start, f.end) for f in findings}
    for index, line in enumerate(lines):
        for found in _ID_IN_TEXT.finditer(line.text):
            start, end = _strip_span(line.text, found.start("value"), found.end("value"))
            if (index, start, end) not in labelled:  # "Passport No. X3320022" is a passport
                add(index, start, end, _ID_KIND)
    return findings


_ID_IN_TEXT = re.compile(ID_IN_TEXT_PATTERN)
_ID_KIND = FieldKind("ID_NUMBER", NATIONAL_ID, _looks_like_id)
