"""Names that spaCy's small model misses, found from cues a reader uses: first and last names
from offline lists, initials ("T. R. Baum"), lists of names ("Ortiz/ K. M. Lee/ P. Novak",
"GONZALEZ^MARIA"), a name after a greeting or a sign-off ("Dear Priya", "Regards," / "MKL"),
and the value of a person field ("To:", "Attn:", "Signed by", "Patient"), on the same line or
in the box to the right or below.

A name-list hit alone is weak evidence ("Grace", "Hall"): a run of words counts as a name only
with a second cue (a first name with another listed name, an initial, a label, a greeting).

The lists (data/first_names.txt, data/last_names.txt) were derived from the `names-dataset`
package (Apache-2.0 data) by redactor/training/name_lists.py: names ranked in the top 1500 (first) or
2500 (last) of at least one of its 105 countries, common English words removed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from redactor.detectors import text_patterns as tp

DATA = Path(__file__).resolve().parent / "data"
LISTS = "lists"  # name lists, initials, lists of names
CUES = "cues"  # greetings, sign-offs, person labels

# Capitalised words that address or describe someone without naming them ("Dear Customer"),
# and document words that follow a label ("To: Whom it may concern"). Lower case.
NOT_NAMES = frozenset(
    """
    customer customers sir sirs madam madame all everyone everybody team friend friends colleague
    colleagues valued member members guest guests client clients applicant applicants partner
    partners parent parents user users reader readers there whom it the a an to your our my his
    her their this that sender recipient patient patients doctor dr mr mrs ms miss mx prof
    professor hr admin administrator support sales service services billing accounts office
    manager management staff student students teacher teachers neighbour neighbor neighbours
    resident residents tenant tenants owner owners sender undisclosed recipients unknown n/a na
    none nobody anyone someone subscriber subscribers participant participants attendee
    attendees sender name names signature date signed print here no yes male female other
    morning afternoon evening night day week weekend again back soon you me us them him all
    board committee department company family community group club hospital clinic ward
    inbox me himself herself reply forward subject re fw fwd sent received st saint san santa
    sainte mt mount fort for with and of in on at by from you we our its be is are was
    hi hey hello hiya heya dear thanks thank cheers regards best love welcome bye congrats
    sincerely yours kind warm ok okay yes sure great good
    data navy army police university college school inc ltd llc gmbh corp co bank media studio
    studios labs lab systems solutions technologies software cloud network engine client server
    """.split()
)
# Lower-case particles inside a name: "Ana das Neves", "Jan van der Berg".
PARTICLES = frozenset(
    "da das de del della der den di do dos du la le van von ter ten bin binti al el".split()
)
# Honorifics before a name: skipped, the words after them are the name.
TITLES = frozenset("mr mrs ms miss mx dr prof sir dame rev fr sr sra herr frau".split())

_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*\.?")
# Words, spaces and . ' - only. Each repeat needs a separator: no nested optional parts, so no
# catastrophic backtracking on a long line that does not match.
_WORDS_ONLY = re.compile(r"[^\W\d_]+(?:(?:[.'’-]\s*|\s+)[^\W\d_]+)*\.?")
_SEPARATOR = re.compile(r"\s*(?:[/;,^|&+]|\band\b|\bund\b|\by\b|\bet\b)\s*")

GREETINGS = re.compile(
    r"^\W*(?:dear|hi|hello|hey|hiya|heya|morning|good\s+(?:morning|afternoon|evening)"
    r"|thanks|thank\s+you|many\s+thanks|cheers|congrats|congratulations|welcome|bye"
    r"|hallo|hola|bonjour|ciao|liebe|lieber|cher|chère|querida|querido)\b[\s,!:-]*",
    re.I,
)
SIGN_OFFS = re.compile(
    r"^\W*(?:(?:kind|best|warm|warmest|many|with|yours)?\s*(?:regards|wishes|thanks)"
    r"|best|sincerely|yours\s+(?:sincerely|truly|faithfully)|yours|cheers|thanks|thank\s+you"
    r"|love|respectfully|cordially|take\s+care|signed|signature|mit\s+freundlichen\s+grüßen"
    r"|saludos|cordialement)\W*$",
    re.I,
)
# Labels whose value is a person. Matched at the start of a line; "to"/"from"/"by" need a
# separator (":") when the value is on the same line: "From the team" is not a field.
PERSON_LABELS = re.compile(
    r"^\W*(?:to|from|cc|bcc|attn|attention|c/o|contact(?:\s+(?:person|name))?"
    r"|signed(?:\s+by)?|signature|sign|initials|patient(?:'s)?(?:\s+name)?|pt\.?(?:\s+name)?"
    r"|name|full\s+name|doctor|dr|physician|(?:referring|ref\.?)\s+(?:physician|doctor|phys\.?)"
    r"|consultant|(?:prepared|approved|reviewed|requested|issued|authori[sz]ed|checked|verified"
    r"|ordered|submitted|completed|witnessed|received|delivered|assigned)\s+(?:by|to)"
    r"|by|owner|customer|client|guest|passenger|recipient|sender|cashier|server|host|driver"
    r"|witness|parent|guardian|emergency\s+contact|next\s+of\s+kin|tenant|landlord|employee"
    r"|manager|supervisor|teacher|member|applicant|insured|policy\s*holder|beneficiary"
    r"|account\s+holder|sales\s*(?:rep|person)|agent|operator|technician|nurse|attending"
    r"|surgeon|radiologist|author|chair|assignee|reporter|interviewer|candidate|referee"
    r"|mother|father|spouse|partner|attendees?|participants?|present|speakers?|team|apologies"
    r"|absent|invitees?|guests?|hosts?|organi[sz]er|minutes\s+by|note\s*taker|chaired\s+by)"
    r"(?=\W|$)\s*(?::|-|–|=|\.(?!\w))?\s*",
    re.I,
)


@functools.lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), lower case; read once (about 0.1 s, 200k short strings)."""

    def read(name: str) -> frozenset[str]:
        return frozenset((DATA / name).read_text(encoding="utf-8").split())

    return read("first_names.txt"), read("last_names.txt")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str

    @property
    def bare(self) -> str:
        return self.text.rstrip(".")

    @property
    def particle(self) -> bool:
        return self.bare.lower() in PARTICLES

    @property
    def initial(self) -> bool:
        """ "K." or "K" (one capital letter)."""
        return len(self.bare) == 1 and self.bare.isupper()

    @property
    def capitalised(self) -> bool:
        """ "Lee", "LEE", "O'Neil", "Smith-Jones"; not "lee" or "iPhone"."""
        bare = self.bare
        return (
            len(bare) > 1
            and bare[0].isupper()
            and (bare[1:].islower() or bare.isupper() or _mixed_name(bare))
        )


def _mixed_name(word: str) -> bool:
    """McDonald, O'Neil, Smith-Jones, DeLuca: each part capitalised, the rest lower."""
    return all(_NAME_PART.fullmatch(p) for p in re.split(r"['’-]", word) if p)


_NAME_PART = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|Le|La|Van|Von)?[^\W\d_][^\W\d_A-Z]*")


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    end = len(text) if end is None else end
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, start, end)]


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) split at separators ("/", ",", ";", "^", "&", "and"), e-mail addresses and
    bracketed parts dropped."""
    spans = []
    cursor = start
    for m in _SEPARATOR.finditer(text, start, end):
        spans.append((cursor, m.start()))
        cursor = m.end()
    spans.append((cursor, end))
    out = []
    for s, e in spans:
        piece = text[s:e]
        cut = re.search(r"[<(\[]|\S+@\S+", piece)  # "Maria Lopez <maria@example.com>"
        if cut:
            e = s + cut.start()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


class NameFinder:
    """Finds names in OCR lines (text and boxes), given what the other recognisers found."""

    def __init__(
        self,
        techniques: Iterable[str] = (LISTS, CUES),
        load_lists: bool = False,
        lexicon: frozenset[str] = frozenset(),
    ):
        """`lexicon`: English words in lower case (spaCy's lemmatizer tables), to tell a name
        nobody listed from an ordinary word."""
        self.techniques = frozenset(techniques)
        self.lexicon = lexicon
        wanted = load_lists or LISTS in self.techniques
        self.first, self.last = name_lists() if wanted else (frozenset(),) * 2

    # -- words --------------------------------------------------------------------------------

    def listed(self, token: Token) -> bool:
        word = token.bare.lower()
        if word in NOT_NAMES:
            return False
        if word in self.first or word in self.last:
            return True
        parts = re.split(r"[-'’]", word)
        return len(parts) > 1 and all(p in self.first or p in self.last for p in parts if p)

    def is_first(self, token: Token) -> bool:
        return token.bare.lower() in self.first and token.bare.lower() not in NOT_NAMES

    def plausible(self, text: str) -> bool:
        """Could a span that NER calls a person be one: every word a listed name or a word
        English does not have ("OKAFOR CHINEDU", "NOMATHEMBA NDONDAKUSUKA"; not "KNEE LAT" or
        "VISA DEBIT")?"""
        words = [t for t in tokens(text) if not t.initial]
        if not words or any(t.bare.lower() in NOT_NAMES for t in words):
            return False
        unknown_ok = bool(self.lexicon)  # without a lexicon nothing is known to be unusual
        return all(
            self.listed(t) or (unknown_ok and not self.english(t.bare.lower())) for t in words
        )

    def _same_case(self, run: Sequence[Token]) -> bool:
        words = [t.bare for t in run if not t.initial and not t.particle]
        return all(w.isupper() for w in words) or all(not w.isupper() for w in words)

    def name_run(self, run: Sequence[Token]) -> bool:
        """Is this run of 2-4 capitalised words / initials a name on its own evidence?"""
        if not 2 <= len(run) <= 5 or run[0].particle or run[-1].particle:
            return False
        if not all(t.initial or t.capitalised or t.particle for t in run):
            return False
        words = [t for t in run if not t.initial and not t.particle]
        if not words or not self._same_case(run):
            return False
        if any(t.bare.lower() in NOT_NAMES or tp.is_label_only(t.bare) for t in words):
            return False
        dotted = [t for t in run if t.initial and t.text.endswith(".")]
        if dotted and run[-1] not in dotted and len(words) <= 2:
            # "K. M. Lee", "T. R. Baum", "Maria K. Lopez"; not "Ask K. Novak" (that is
            # "K. Novak").
            before = run[: run.index(dotted[0])]
            if not before or (len(before) == 1 and self.is_first(before[0])):
                return True
        if LISTS not in self.techniques:
            return False
        listed = [t for t in words if self.listed(t)]
        # A first name and every other word a listed name: "Maria Gonzalez", "OKAFOR CHINEDU".
        return len(words) >= 2 and len(listed) == len(words) and any(map(self.is_first, words))

    def value_name(self, run: Sequence[Token]) -> bool:
        """After a cue (a label, a greeting), a looser test: 1-4 capitalised words or initials
        that are not ordinary words ("Customer", "Team")."""
        if not 1 <= len(run) <= 5 or run[-1].particle:  # "de Keijzer" may start with one
            return False
        if not all(t.initial or t.capitalised or t.particle or self.is_first(t) for t in run):
            return False
        words = [t for t in run if not t.particle]
        if any(t.bare.lower() in NOT_NAMES or tp.is_label_only(t.bare) for t in words):
            return False
        return True

    # -- lines --------------------------------------------------------------------------------

    def find(
        self, lines: Sequence[tp.LineLike], findings: Sequence[tp.TextFinding]
    ) -> list[tp.TextFinding]:
        taken: dict[int, list[tuple[int, int]]] = {}
        for f in findings:
            taken.setdefault(f.line, []).append((f.start, f.end))
        found: list[tp.TextFinding] = []

        def add(index: int, start: int, end: int, score: float) -> None:
            spans = taken.setdefault(index, [])
            if any(s <= start and end <= e for s, e in spans):
                return  # already covered; a partial overlap ("Marcelina" as a place) is not
            spans.append((start, end))
            words = len(lines[index].text[start:end].split())
            attributes = tp.NAME_FULL if words >= 2 else tp.NAME_ONE_WORD
            found.append(tp.TextFinding(index, start, end, "PERSON", attributes, score, "names"))

        if CUES in self.techniques:
            for index, start, end in self._cued(lines):
                add(index, start, end, 0.7)
        for index, line in enumerate(lines):
            for start, end in self._in_line(line.text):
                add(index, start, end, 0.65)
        return found

    def _runs(self, text: str, start: int, end: int) -> list[list[Token]]:
        """Runs of capitalised words / initials / listed names, broken by anything else."""
        runs: list[list[Token]] = []
        current: list[Token] = []
        for token in tokens(text, start, end):
            gap = text[current[-1].end : token.start] if current else ""
            usable = token.initial or token.capitalised or (token.particle and bool(current))
            if usable and current and gap.strip() == "":
                current.append(token)
            else:
                if current:
                    runs.append(current)
                current = [token] if usable else []
        if current:
            runs.append(current)
        for run in runs:  # "Maria de" ends before the particle
            while run and run[-1].particle:
                run.pop()
        return [run for run in runs if run]

    def _in_line(self, text: str) -> list[tuple[int, int]]:
        """Names a line shows on its own: full names, initialled names, lists of names."""
        spans: list[tuple[int, int]] = []
        segments = _segments(text, 0, len(text))
        named_segments = 0
        candidates: list[tuple[int, int]] = []
        for s, e in segments:
            seg_tokens = tokens(text, s, e)
            # Only words (no digits or symbols): a segment that could be a name as a whole.
            whole = bool(seg_tokens) and _WORDS_ONLY.fullmatch(text[s:e]) is not None
            for run in self._runs(text, s, e):
                for i in range(len(run)):
                    # The longest name run starting at each word (a name inside a sentence).
                    for j in range(min(len(run), i + 5), i + 1, -1):
                        if self.name_run(run[i:j]):
                            spans.append((run[i].start, run[j - 1].end))
                            break
            inside = any(s <= a and b <= e for a, b in spans)
            if whole and len(seg_tokens) <= 3:
                # One listed word that is not also an English word: "Ortiz", not "Pears".
                single = (
                    LISTS in self.techniques
                    and len(seg_tokens) == 1
                    and seg_tokens[0].capitalised
                    and self.listed(seg_tokens[0])
                    and not self.english(seg_tokens[0].bare.lower())
                )
                if inside or single:
                    named_segments += 1
                if self.value_name(seg_tokens):
                    candidates.append((s, e))
        if len(segments) == 1 and not spans and self._unknown_words_line(text):
            spans.append(segments[0])
        if LISTS in self.techniques:
            spans += [span for span in self._surname_first(text, segments) if span not in spans]
        # A list of names: two or more segments are names, so the others like them are too.
        if LISTS in self.techniques and len(segments) >= 2 and named_segments >= 2:
            if named_segments * 2 >= len(segments):
                for s, e in candidates:
                    if not any(a <= s and e <= b for a, b in spans):
                        spans.append((s, e))
        return spans

    def _surname_first(self, text: str, segments: list[tuple[int, int]]) -> list[tuple]:
        """ "GONZALEZ^MARIA" (DICOM's person name), "BROWN, EMILY", "Smith, John A.": a whole line
        of a capitalised word, a separator, then listed first names or initials."""
        if len(segments) != 2 or not re.fullmatch(r"[^,^]+[,^]\s*[^,^]+", text.strip()):
            return []
        caret = "^" in text
        (s0, e0), (s1, e1) = segments
        last, given = tokens(text, s0, e0), tokens(text, s1, e1)
        if len(last) != 1 or not 1 <= len(given) <= 3 or not last[0].capitalised:
            return []
        if _WORDS_ONLY.fullmatch(text[s0:e0]) is None or _WORDS_ONLY.fullmatch(text[s1:e1]) is None:
            return []
        run = [*last, *given]
        if not self._same_case(run) or any(t.bare.lower() in NOT_NAMES for t in run):
            return []
        if caret and text[s0:e0].isupper():  # only names are written LAST^FIRST
            return [(s0, e0), (s1, e1)]
        if self.is_first(given[0]) and all(t.initial or t.capitalised for t in given):
            return [(s0, e0), (s1, e1)]
        return []

    def _unknown_words_line(self, text: str) -> bool:
        """A line that is only 2-3 capitalised words, each a listed name or a word English does
        not have, at least one of them unknown ("Marwata Pertiwi", a chat's header; not
        "Acme Widgets" or "RIVERSIDE CLINIC")."""
        if not self.lexicon or LISTS not in self.techniques or _WORDS_ONLY.fullmatch(text) is None:
            return False
        words = tokens(text)
        if not 2 <= len(words) <= 3 or not self.name_like_case(words):
            return False
        unknown = 0
        for t in words:
            word = t.bare.lower()
            if len(word) < 3 or word in NOT_NAMES or tp.is_label_only(t.bare):
                return False
            if not self.english(word):
                unknown += 1
            elif not self.is_first(t):
                return False  # an English word that is at most a surname: "Northwind Traders"
        return unknown >= 1

    def english(self, word: str) -> bool:
        """Is `word` (lower case) in the lexicon, as itself or as the singular of a plural?"""
        return (
            word in self.lexicon
            or (word.endswith("s") and word[:-1] in self.lexicon)
            or (word.endswith("es") and word[:-2] in self.lexicon)
            or (word.endswith("ies") and word[:-3] + "y" in self.lexicon)
        )

    def name_like_case(self, run: Sequence[Token]) -> bool:
        return all(t.capitalised for t in run) and self._same_case(run)

    def _value_spans(self, text: str, start: int, end: int, signature: bool) -> list[tuple]:
        """Names in a value after a cue: each segment that is 1-4 name-like words."""
        spans = []
        for s, e in _segments(text, start, end):
            seg = tokens(text, s, e)
            while seg and seg[0].bare.lower() in TITLES:
                seg = seg[1:]
            if not seg:
                continue
            leftover = re.sub(r"[\W_]", "", text[seg[-1].end : e])
            if leftover:  # digits or symbols after the words: not a plain name value
                continue
            if self.value_name(seg):
                spans.append((seg[0].start, seg[-1].end))
            elif (
                signature and len(seg) == 1 and seg[0].bare.isupper() and 2 <= len(seg[0].bare) <= 4
            ):
                spans.append((seg[0].start, seg[0].end))  # "MKL": initials as a signature
        return spans

    def _cued(self, lines: Sequence[tp.LineLike]) -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        for index, line in enumerate(lines):
            text = line.text
            sign_off = False
            greeting = GREETINGS.match(text)
            if greeting and greeting.end() < len(text):
                words = tokens(text, greeting.end())
                run = []
                for t in words:  # "Dear Dr. Priya Shah," "Hi Sam!"
                    if t.bare.lower() in TITLES and not run:
                        continue
                    if t.initial or t.capitalised or self.is_first(t):
                        run.append(t)
                        if len(run) == 3:
                            break
                    else:
                        break
                if run and self.value_name(run):
                    out.append((index, run[0].start, run[-1].end))
            label = PERSON_LABELS.match(text)
            signature = False
            if label is not None:
                head = text[: label.end()]
                signature = bool(re.search(r"sign|initial|\bby\b", head, re.I))
                if text[label.end() :].strip(" :.-"):
                    # A value on the label's own line needs a separator: "From the team" and
                    # "Driver Side Airbag" are not fields.
                    if re.search(r"[:=–-]\s*$", head):
                        for s, e in self._value_spans(text, label.end(), len(text), signature):
                            out.append((index, s, e))
                    continue
            if label is None and not SIGN_OFFS.match(text):
                continue
            if label is None:
                signature = sign_off = True
            # The value in the box to the right of or below the label / sign-off.
            for value_index in tp.value_lines_of(index, lines, multiline=False):
                value = lines[value_index].text
                if not sign_off and PERSON_LABELS.match(value):
                    continue  # another label ("From" beside "To"), unless it signs ("CC")
                for s, e in self._value_spans(value, 0, len(value), signature):
                    out.append((value_index, s, e))
        return out
