"""A report as marked segments: section headers, the recommendation and its finding.

Section headers are those of ``rules/sections.json`` (the rules the NLP
sectionizer uses): a header at the start of a line, followed by ``:`` or alone
on its line, case-insensitive. The recommendation and finding come from the
offsets stored with them; overlapping spans are split so every character is
shown once. The page escapes every segment (Jinja2 autoescape).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from radfollow.rules.loader import load_rules
from radfollow.rules.schema import SectionRules


class Segment(BaseModel):
    """``text`` with the marks that cover it: "section", "recommendation", "finding"."""

    text: str
    marks: list[str]
    #: The section category a header starts (on "section" segments).
    category: str | None = None


@lru_cache(maxsize=4)
def _headers(rules_dir: str | None) -> re.Pattern[str]:
    rules = load_rules(SectionRules, Path(rules_dir) if rules_dir else None)
    names = sorted({h for s in rules.sections for h in s.headers}, key=len, reverse=True)
    words = "|".join(r"\s+".join(map(re.escape, h.split())) for h in names)
    return re.compile(rf"(?im)^[ \t]*(?P<h>{words})[ \t]*(?::|$)")


@lru_cache(maxsize=4)
def _categories(rules_dir: str | None) -> dict[str, str]:
    rules = load_rules(SectionRules, Path(rules_dir) if rules_dir else None)
    return {" ".join(h.lower().split()): s.category for s in rules.sections for h in s.headers}


def segments(
    text: str,
    spans: dict[str, tuple[int, int] | None],
    *,
    rules_dir: str | None = None,
) -> list[Segment]:
    """``text`` cut where a mark starts or ends. ``spans``: mark name to (start, end)
    offsets (None or out of range: not shown)."""
    marked: list[tuple[int, int, str, str | None]] = []
    names = _categories(rules_dir)
    for m in _headers(rules_dir).finditer(text):
        header = " ".join(m.group("h").lower().split())
        marked.append((m.start("h"), m.end(), "section", names.get(header)))
    for mark, span in spans.items():
        if span is not None and 0 <= span[0] < span[1] <= len(text):
            marked.append((span[0], span[1], mark, None))
    cuts = sorted({0, len(text), *(s for s, _, _, _ in marked), *(e for _, e, _, _ in marked)})
    out: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        covering = [(name, cat) for s, e, name, cat in marked if s <= start and end <= e]
        category = next((c for n, c in covering if n == "section"), None)
        piece = Segment(text=text[start:end], marks=[n for n, _ in covering], category=category)
        if out and out[-1].marks == piece.marks and out[-1].category == piece.category:
            out[-1].text += piece.text
        else:
            out.append(piece)
    return out


def section_at(text: str, offset: int, *, rules_dir: str | None = None) -> str | None:
    """The category of the section ``offset`` lies in (the last header before it)."""
    found = None
    names = _categories(rules_dir)
    for m in _headers(rules_dir).finditer(text):
        if m.start() > offset:
            break
        found = names.get(" ".join(m.group("h").lower().split()))
    return found
