"""The README stays a user's page and every link in it and in docs/ leads somewhere inside the
repository (a moved section must not leave a dead link, and nothing may point at files that only
exist on the machine the project was built on)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


def _prose(text: str) -> str:
    """The text without fenced blocks and code spans, where a `[x](y)` is not a link."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def _links(path: Path) -> list[str]:
    prose = _prose(path.read_text(encoding="utf-8"))
    return INLINE_LINK.findall(prose) + REFERENCE.findall(prose)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors = set(HTML_ANCHOR.findall(text))
    for _, title in HEADING.findall(text):
        slug = _slug(title)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_the_readme_is_under_15_kb():
    size = len(README.read_bytes())
    assert size < 15_000, f"README.md is {size} bytes; move details into a docs/ page"


def test_the_pages_have_links_to_check():
    # The checks below pass vacuously if the link parser finds nothing.
    assert len(_links(README)) >= 10
    assert all(_links(page) for page in PAGES if page.name in {"usage.md", "benchmarks.md"})


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_stays_inside_the_repository_and_resolves(page: Path):
    problems = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("//"):
            problems.append(f"{target}: a link outside the repository")
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (page.parent / file_part).resolve() if file_part else page
        if ROOT not in resolved.parents and resolved != ROOT:
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            problems.append(f"{target}: no heading with anchor #{anchor} in {resolved.name}")
    assert not problems, f"{page.relative_to(ROOT)}: " + "; ".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_names_files_that_are_not_in_the_repository(page: Path):
    text = page.read_text(encoding="utf-8")
    for outside in ("../shared", "shared/paper", "FACTS.md"):
        assert outside not in text, f"{page.relative_to(ROOT)} mentions {outside}"


def test_the_anchor_rules_match_githubs():
    assert _slug("Table 4 on synthetic data (`benchmarks/train_synthetic.py`)") == (
        "table-4-on-synthetic-data-benchmarkstrain_syntheticpy"
    )
    assert _slug("Faces: partly hidden, and found again after blurring") == (
        "faces-partly-hidden-and-found-again-after-blurring"
    )
