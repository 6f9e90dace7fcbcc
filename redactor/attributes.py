"""The attribute table: the one source of truth for what can be found and hidden.

The 68 VISPR privacy attributes in the data set's own order (the position is the index in a
label vector and in the model's outputs), each with its group and the mask type that refines its
attention map (paper §3.2, Table 1): "human" (body/person mask), "text" (OCR text mask) or
"none" (the whole attention map). Two product attributes follow that are not VISPR labels and
never appear in a model's outputs: any text at all, and whole persons.

Users type aliases (`face`, `name`, ...), full ids (`a9_face_complete`) or the id without its
number (`face_complete`). `resolve` turns what they typed into attribute ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from redactor.errors import UsageError

MaskType = Literal["none", "human", "text"]


@dataclass(frozen=True)
class Attribute:
    id: str  # the data set's id, spelling kept ("a48_occassion_work")
    index: int  # position in VISPR label vectors; -1 for product attributes
    group: str
    description: str
    mask_type: MaskType

    @property
    def short(self) -> str:
        """The id without its "aN_" prefix: "face_complete"."""
        return self.id.split("_", 1)[1] if self.index >= 0 else self.id


# (id, group, description, mask type), in VISPR order: idx 47 is a70, 48 is a99, 49 is a64.
_VISPR = (
    ("a0_safe", "Safe", "Safe", "none"),
    ("a1_age_approx", "Personal Description", "Age Group", "human"),
    ("a2_weight_approx", "Personal Description", "Weight Group", "human"),
    ("a3_height_approx", "Personal Description", "Height Group", "human"),
    ("a4_gender", "Personal Description", "Gender", "human"),
    ("a5_eye_color", "Personal Description", "Eye Color", "human"),
    ("a6_hair_color", "Personal Description", "Hair Color", "human"),
    ("a7_fingerprint", "Personal Description", "Fingerprint", "human"),
    ("a8_signature", "Personal Description", "Signature", "text"),
    ("a9_face_complete", "Personal Description", "Face (Complete)", "human"),
    ("a10_face_partial", "Personal Description", "Face (Partial)", "human"),
    ("a11_tattoo", "Personal Description", "Tattoo", "human"),
    ("a12_semi_nudity", "Personal Description", "Semi-nudity", "human"),
    ("a13_full_nudity", "Personal Description", "Complete nudity", "human"),
    ("a16_race", "Personal Description", "Race", "human"),
    ("a17_color", "Personal Description", "Skin Color", "human"),
    ("a18_ethnic_clothing", "Personal Description", "Traditional clothing", "human"),
    ("a19_name_full", "Personal Description", "Full Name", "text"),
    ("a20_name_first", "Personal Description", "First Name", "text"),
    ("a21_name_last", "Personal Description", "Last Name", "text"),
    ("a23_birth_city", "Personal Description", "Place of Birth", "text"),
    ("a24_birth_date", "Personal Description", "Date of Birth", "text"),
    ("a25_nationality", "Personal Description", "Nationality", "text"),
    ("a26_handwriting", "Personal Description", "Handwriting", "text"),
    ("a27_marital_status", "Personal Description", "Marital status", "text"),
    ("a29_ausweis", "Documents", "National Identification", "none"),
    ("a30_credit_card", "Documents", "Credit Card", "none"),
    ("a31_passport", "Documents", "Passport", "none"),
    ("a32_drivers_license", "Documents", "Drivers License", "none"),
    ("a33_student_id", "Documents", "Student ID", "none"),
    ("a35_mail", "Documents", "Mail", "text"),
    ("a37_receipt", "Documents", "Receipts", "text"),
    ("a38_ticket", "Documents", "Tickets", "none"),
    ("a39_disability_physical", "Health", "Physical disability", "human"),
    ("a41_injury", "Health", "Medical Treatment", "human"),
    ("a43_medicine", "Health", "Medical History", "text"),
    ("a46_occupation", "Employment", "Occupation", "human"),
    ("a48_occassion_work", "Employment", "Work Occassion", "none"),
    ("a49_phone", "Personal Life", "Phone number", "text"),
    ("a55_religion", "Personal Life", "Religion", "none"),
    ("a56_sexual_orientation", "Personal Life", "Sexual Orientation", "none"),
    ("a57_culture", "Personal Life", "Culture", "human"),
    ("a58_hobbies", "Personal Life", "Hobbies", "none"),
    ("a59_sports", "Personal Life", "Sports", "human"),
    ("a60_occassion_personal", "Personal Life", "Personal Occassion", "none"),
    ("a61_opinion_general", "Personal Life", "General Opinion", "text"),
    ("a62_opinion_political", "Personal Life", "Political Opinion", "text"),
    ("a70_education_history", "Personal Life", "Education history", "text"),
    ("a99_legal_involvement", "Personal Life", "Legal involvement", "none"),
    ("a64_rel_personal", "Relationship", "Personal Relationships", "human"),
    ("a65_rel_social", "Relationship", "Social Circle", "human"),
    ("a66_rel_professional", "Relationship", "Professional Circle", "human"),
    ("a67_rel_competitors", "Relationship", "Competitors", "human"),
    ("a68_rel_spectators", "Relationship", "Spectators", "human"),
    ("a69_rel_views", "Relationship", "Similar view", "human"),
    ("a73_landmark", "Whereabouts", "Visited Landmark or Street Sign", "none"),
    ("a74_address_current_complete", "Whereabouts", "Visited Location (Complete)", "text"),
    ("a75_address_current_partial", "Whereabouts", "Visited Location (Partial)", "text"),
    ("a78_address_home_complete", "Whereabouts", "Home address (Complete)", "text"),
    ("a79_address_home_partial", "Whereabouts", "Home address (Partial)", "text"),
    ("a82_date_time", "Whereabouts", "Date/Time of Activity", "text"),
    ("a85_username", "Internet", "Username", "text"),
    ("a90_email", "Internet", "Email address", "text"),
    ("a92_email_content", "Internet", "Email content", "text"),
    ("a97_online_conversation", "Internet", "Online conversations", "text"),
    ("a102_vehicle_ownership", "Automobile", "Vehicle Ownership", "none"),
    ("a103_license_plate_complete", "Automobile", "License Plate (Complete)", "text"),
    ("a104_license_plate_partial", "Automobile", "License Plate (Partial)", "text"),
)

VISPR_ATTRIBUTES: tuple[Attribute, ...] = tuple(
    Attribute(id_, i, group, description, mask)  # type: ignore[arg-type]
    for i, (id_, group, description, mask) in enumerate(_VISPR)
)
VISPR_IDS: tuple[str, ...] = tuple(a.id for a in VISPR_ATTRIBUTES)
NUM_VISPR = len(VISPR_ATTRIBUTES)  # 68

# Product attributes: found by detectors, not VISPR labels, not in any model's outputs.
TEXT_ANY = "text_any"
PERSON = "person"
EXTRA_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(TEXT_ANY, -1, "Product", "Any text found by OCR", "text"),
    Attribute(PERSON, -1, "Product", "Whole person (body mask)", "human"),
)

ATTRIBUTES: tuple[Attribute, ...] = VISPR_ATTRIBUTES + EXTRA_ATTRIBUTES
BY_ID: dict[str, Attribute] = {a.id: a for a in ATTRIBUTES}

# What users type. Each alias names a set of attribute ids.
ALIASES: dict[str, tuple[str, ...]] = {
    "face": ("a9_face_complete", "a10_face_partial"),
    "name": ("a19_name_full", "a20_name_first", "a21_name_last"),
    "address": (
        "a74_address_current_complete",
        "a75_address_current_partial",
        "a78_address_home_complete",
        "a79_address_home_partial",
    ),
    "email": ("a90_email",),
    "phone": ("a49_phone",),
    "card": ("a30_credit_card",),
    "date": ("a24_birth_date", "a82_date_time"),
    "birthdate": ("a24_birth_date",),
    "id": ("a29_ausweis", "a31_passport", "a32_drivers_license", "a33_student_id"),
    "username": ("a85_username",),
    "url": ("a85_username",),
    "plate": ("a103_license_plate_complete", "a104_license_plate_partial"),
    "nudity": ("a12_semi_nudity", "a13_full_nudity"),
    "signature": ("a8_signature",),
    "handwriting": ("a26_handwriting",),
    "tattoo": ("a11_tattoo",),
    "ticket": ("a38_ticket",),
    "passport": ("a31_passport",),
    "conversation": ("a97_online_conversation",),
    "text": (TEXT_ANY,),
    "person": (PERSON,),
}

# Hidden when the user names nothing: faces and every kind of private text.
DEFAULT_HIDE: tuple[str, ...] = (
    "face", "name", "address", "email", "phone", "card", "date", "id", "username",
)  # fmt: skip

ALL = "all"
DEFAULTS = "defaults"  # in --hide / ?hide=: the front end's default set


def _lookup(name: str) -> tuple[str, ...] | None:
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    if key in BY_ID:
        return (key,)
    for attribute in ATTRIBUTES:
        if attribute.short == key:
            return (attribute.id,)
    return None


def resolve(names: Iterable[str], *, all_covered: Iterable[str] = ()) -> frozenset[str]:
    """Turn aliases, ids and short ids into attribute ids.

    `all` expands to `all_covered` (what the loaded detectors can find). An unknown name is a
    UsageError that lists the valid names.
    """
    ids: set[str] = set()
    unknown: list[str] = []
    for name in names:
        if not name.strip():
            continue
        if name.strip().lower() == ALL:
            ids.update(all_covered)
            continue
        found = _lookup(name)
        if found is None:
            unknown.append(name)
        else:
            ids.update(found)
    if unknown:
        raise UsageError(
            f"unknown attribute {', '.join(repr(u) for u in unknown)}; valid names: "
            f"{', '.join(sorted(ALIASES))}, all, or an id/short id from `redact attributes`"
        )
    return frozenset(ids)


def split_names(text: str) -> list[str]:
    """ "face, name" -> ["face", "name"]."""
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_hide(
    values: str | Iterable[str] | None, default: Sequence[str] | None = None
) -> tuple[str, ...] | None:
    """What a user asked to hide, as names for `Redactor.resolve_hide`: the one parser of
    `redact --hide`, `redact serve --hide` and the daemon's `?hide=`.

    `values`: comma-separated strings (one option, or a repeated query parameter). Nothing, or
    only `defaults`: `default` (None: the pipeline's default). `defaults` beside other names
    stands for `default` (or DEFAULT_HIDE), so `defaults,nudity` adds nudity to the usual set.
    Names are checked later, by the redactor that knows what its detectors cover.
    """
    if values is None:
        return tuple(default) if default else None
    names = [n for value in ([values] if isinstance(values, str) else values)
             for n in split_names(value)]  # fmt: skip
    if all(name.lower() == DEFAULTS for name in names):  # also: no names at all
        return tuple(default) if default else None
    base = tuple(default) if default else DEFAULT_HIDE
    return tuple(n for name in names for n in (base if name.lower() == DEFAULTS else (name,)))


def aliases_of(attribute_id: str) -> list[str]:
    return [alias for alias, ids in ALIASES.items() if attribute_id in ids]


def display_name(attribute_ids: Sequence[str]) -> str:
    """The alias users type for a region's attribute ids ("face", "name"), else the first id."""
    ids = set(attribute_ids)
    best: tuple[int, int, str] | None = None
    for order, (alias, members) in enumerate(ALIASES.items()):
        if ids <= set(members):
            candidate = (len(members) - len(ids), order, alias)
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        return best[2]
    return attribute_ids[0] if attribute_ids else "?"


def names_for(ids: Iterable[str]) -> list[str]:
    """Attribute ids -> the shortest list of names: an alias where all its ids are present."""
    remaining = set(ids)
    names: list[str] = []
    for alias, members in ALIASES.items():
        if set(members) and set(members) <= remaining:
            names.append(alias)
            remaining -= set(members)
    names.extend(sorted(remaining, key=table_order))
    return names


def table_order(attribute_id: str) -> int:
    """Sort key: VISPR order, then the product attributes, then unknown ids."""
    found = BY_ID.get(attribute_id)
    if found is None:
        return 10_000
    return found.index if found.index >= 0 else 1_000 + list(BY_ID).index(attribute_id)


def mask_type_vector() -> list[MaskType]:
    """Mask type per VISPR index, for the model's attention weighting."""
    return [a.mask_type for a in VISPR_ATTRIBUTES]
