"""Privacy preference profiles: how sensitive each attribute is, and an image's privacy score.

The paper trains the privacy score against "the user privacy preference" (§3.4). A profile
holds one sensitivity in [0, 1] per VISPR attribute and a rule that combines the sensitivities
of the attributes an image shows into one score in [0, 1].

Default sensitivities come from VISPR's user study 2a (copies in redactor/training/data/): 50 people
rated attributes a1–a38 from 1 (not sensitive) to 5 (very sensitive), once from a description
(`attr`) and once from example images (`img`). An attribute's sensitivity is the mean of all
100 ratings mapped linearly to [0, 1]: s = (mean - 1) / 4. The study did not rate a0_safe
(sensitivity 0 by definition) nor a39 and beyond: each of those takes the sensitivity of a
rated proxy attribute named, with the reason, in redactor/training/data/sensitivity_proxies.tsv.

Rules (s_a = sensitivity of each attribute present, p_a its presence: 1/0 for labels, or a
probability for soft predictions, so the rule also applies to a model's outputs):
  max       max_a p_a s_a: the most sensitive thing shown;
  noisy_or  1 - prod_a (1 - p_a s_a): each attribute is an independent chance of harm;
  mix       (max + noisy_or) / 2, the default: dominated by the most sensitive attribute,
            rising with every further one, and spreading VISPR's images over [0, 1] more
            evenly than either rule alone (noisy_or saturates on the many images with ten
            person attributes; max ignores how much an image reveals).
A safe image (a0_safe only, or no label) scores 0.

A user's own profile is a JSON or TSV file:
  JSON  {"rule": "mix", "sensitivity": {"face": 1.0, "a19_name_full": 0.9, ...},
         "scale": "unit" | "rating"}
  TSV   lines `attribute<TAB>value` (a header line is allowed), optional `#rule: max` line.
Names may be attribute ids, short ids or aliases (`face`, `name`, ...); "rating" values are on
the study's 1–5 scale and are mapped as above. Attributes a profile leaves out keep their
default sensitivity.
"""

from __future__ import annotations

import csv
import functools
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from redactor.attributes import NUM_VISPR, VISPR_IDS, resolve
from redactor.errors import RedactorError, UsageError
from redactor.privacy_score import RULES, ProfileError, combine  # pure scoring: in redactor/

DATA_DIR = Path(__file__).resolve().parent / "data"
STUDY_FILES = ("user_study_2a_attr.tsv", "user_study_2a_img.tsv")
PROXY_FILE = "sensitivity_proxies.tsv"
DEFAULT_RULE = "mix"
SAFE = "a0_safe"


@dataclass(frozen=True)
class PrivacyProfile:
    sensitivity: dict[str, float]  # every VISPR id -> [0, 1]
    rule: str = DEFAULT_RULE
    source: str = "default"
    origin: dict[str, str] = field(default_factory=dict)  # id -> "study" | "proxy:<id>" | "user"

    def vector(self) -> np.ndarray:
        """Sensitivities in VISPR order, (68,) float64."""
        return np.array([self.sensitivity[a] for a in VISPR_IDS], dtype=np.float64)

    def to_json(self) -> dict:
        return {
            "rule": self.rule,
            "source": self.source,
            "sensitivity": {a: round(self.sensitivity[a], 6) for a in VISPR_IDS},
        }


def rating_to_unit(rating: float) -> float:
    return min(1.0, max(0.0, (float(rating) - 1.0) / 4.0))


def read_study(path: Path) -> dict[str, list[int]]:
    """attribute id -> the participants' ratings (1-5) from one user-study TSV."""
    ratings: dict[str, list[int]] = {}
    with path.open(newline="") as f:
        rows = csv.reader(f, delimiter="\t")
        next(rows)  # header
        for row in rows:
            if row and row[0].strip():
                ratings[row[0]] = [int(v) for v in row[2:] if v.strip()]
    return ratings


def read_proxies(path: Path) -> dict[str, str]:
    with path.open(newline="") as f:
        return {row["attribute_id"]: row["proxy_id"] for row in csv.DictReader(f, delimiter="\t")}


@functools.lru_cache(maxsize=1)
def default_profile() -> PrivacyProfile:
    ratings: dict[str, list[int]] = {}
    for name in STUDY_FILES:
        for attribute, values in read_study(DATA_DIR / name).items():
            ratings.setdefault(attribute, []).extend(values)
    proxies = read_proxies(DATA_DIR / PROXY_FILE)
    sensitivity: dict[str, float] = {}
    origin: dict[str, str] = {}
    for attribute in VISPR_IDS:
        if attribute in ratings:
            sensitivity[attribute] = rating_to_unit(statistics.fmean(ratings[attribute]))
            origin[attribute] = "study"
    for attribute in VISPR_IDS:
        if attribute in sensitivity:
            continue
        proxy = proxies.get(attribute)
        if attribute == SAFE:
            sensitivity[attribute], origin[attribute] = 0.0, "definition"
        elif proxy in sensitivity and origin.get(proxy) == "study":
            sensitivity[attribute], origin[attribute] = sensitivity[proxy], f"proxy:{proxy}"
        else:
            raise RedactorError(f"{DATA_DIR / PROXY_FILE}: no rated proxy for {attribute}")
    return PrivacyProfile(sensitivity, DEFAULT_RULE, "default (VISPR user study 2a)", origin)


def _ids(name: str) -> frozenset[str]:
    ids = resolve([name])
    vispr = frozenset(i for i in ids if i in VISPR_IDS)
    if not vispr:
        raise ProfileError(f"'{name}' is not a VISPR attribute a privacy profile can weigh")
    return vispr


def _value(name: str, raw: object, scale: str) -> float:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProfileError(f"sensitivity of '{name}' must be a number, got {raw!r}") from None
    if scale == "rating":
        if not 1.0 <= value <= 5.0:
            raise ProfileError(f"rating of '{name}' must be within 1-5, got {value}")
        return rating_to_unit(value)
    if not 0.0 <= value <= 1.0:
        raise ProfileError(
            f'sensitivity of \'{name}\' must be within 0-1 (or use "scale": "rating" for '
            f"1-5 ratings), got {value}"
        )
    return value


def load_profile(path: str | Path | None = None) -> PrivacyProfile:
    """The default profile (None), or a user's JSON/TSV profile over the defaults."""
    if path is None:
        return default_profile()
    p = Path(path)
    if not p.is_file():
        raise ProfileError(f"privacy profile {p} not found")
    base = default_profile()
    rule, scale = base.rule, "unit"
    entries: list[tuple[str, object]] = []
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError(f"cannot read privacy profile {p}: {error}") from None
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ProfileError(f"privacy profile {p} is not valid JSON: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("sensitivity"), dict):
            raise ProfileError(f'privacy profile {p} needs a "sensitivity" object')
        unknown = set(data) - {"rule", "sensitivity", "scale", "name"}
        if unknown:
            raise ProfileError(f"privacy profile {p}: unknown keys {sorted(unknown)}")
        rule = data.get("rule", rule)
        scale = data.get("scale", scale)
        entries = list(data["sensitivity"].items())
    else:
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if stripped.lower().startswith("#rule:"):
                rule = stripped.split(":", 1)[1].strip()
                continue
            if stripped.lower().startswith("#scale:"):
                scale = stripped.split(":", 1)[1].strip()
                continue
            if not stripped or stripped.startswith("#"):
                continue
            parts = [s.strip() for s in stripped.split("\t")]
            if len(parts) < 2:
                raise ProfileError(f"{p}:{number}: expected 'attribute<TAB>value'")
            if number == 1 and not _is_number(parts[1]):
                continue  # header line
            entries.append((parts[0], parts[1]))
    if rule not in RULES:
        raise ProfileError(f"unknown rule '{rule}' in {p}; valid rules: {', '.join(RULES)}")
    if scale not in ("unit", "rating"):
        raise ProfileError(f"unknown scale '{scale}' in {p}; use 'unit' (0-1) or 'rating' (1-5)")
    sensitivity = dict(base.sensitivity)
    origin = dict(base.origin)
    for name, raw in entries:
        value = _value(name, raw, scale)
        for attribute in _ids(name):
            sensitivity[attribute] = value
            origin[attribute] = "user"
    return PrivacyProfile(sensitivity, rule, str(p), origin)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def presence_vector(labels: Sequence[str] | Sequence[int] | np.ndarray | Iterable) -> np.ndarray:
    """(68,) presence in [0, 1] from attribute ids, label indices, or a 68-vector."""
    if (
        isinstance(labels, np.ndarray)
        and labels.dtype.kind == "f"
        or (
            isinstance(labels, (list, tuple, np.ndarray))
            and len(labels) == NUM_VISPR
            and all(isinstance(v, (float, np.floating)) for v in labels)
        )
    ):
        vec = np.asarray(labels, dtype=np.float64).reshape(-1)
        if vec.shape != (NUM_VISPR,):
            raise UsageError(f"a label vector must have {NUM_VISPR} entries, got {vec.shape}")
        return np.clip(vec, 0.0, 1.0)
    vec = np.zeros(NUM_VISPR, dtype=np.float64)
    items = list(labels)
    if (
        isinstance(labels, np.ndarray)
        and labels.dtype == bool
        or (len(items) == NUM_VISPR and all(isinstance(v, (bool, np.bool_)) for v in items))
    ):
        return np.asarray(items, dtype=np.float64)
    for item in items:
        if isinstance(item, str):
            if item not in VISPR_IDS:
                raise UsageError(f"unknown attribute id '{item}'")
            vec[VISPR_IDS.index(item)] = 1.0
        else:
            i = int(item)
            if not 0 <= i < NUM_VISPR:
                raise UsageError(f"label index {i} out of range 0-{NUM_VISPR - 1}")
            vec[i] = 1.0
    return vec


def image_score(
    labels: Sequence[str] | Sequence[int] | np.ndarray, profile: PrivacyProfile | None = None
) -> float:
    """Privacy score in [0, 1] of one image from its labels (ids, indices, or a 68-vector of
    0/1 or probabilities)."""
    profile = profile or default_profile()
    return float(combine(presence_vector(labels) * profile.vector(), profile.rule))


def image_scores(presence: np.ndarray, profile: PrivacyProfile | None = None) -> np.ndarray:
    """Scores of a batch: presence (N, 68) in [0, 1] -> (N,) float64."""
    profile = profile or default_profile()
    presence = np.asarray(presence, dtype=np.float64)
    if presence.ndim != 2 or presence.shape[1] != NUM_VISPR:
        raise UsageError(f"expected an (N, {NUM_VISPR}) presence matrix, got {presence.shape}")
    return combine(np.clip(presence, 0, 1) * profile.vector(), profile.rule)
