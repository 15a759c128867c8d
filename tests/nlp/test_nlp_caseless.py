"""Caseless: lower-cased search answers as IGNORECASE does, or falls back to it."""

from __future__ import annotations

import re

import pytest

from radfollow.nlp.caseless import Caseless, case_safe


@pytest.mark.parametrize(
    ("pattern", "safe"),
    [
        (r"\bfollow[- ]?up\b", True),
        (r"^\W*\d+[.)]\s*\S+", True),
        (r"\bCT\b", False),
        (r"[A-Z]{2,}", False),
    ],
)
def test_case_safe(pattern: str, safe: bool) -> None:
    assert case_safe(pattern) is safe


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (r"\brecommend(?:ed)?\b", "RECOMMENDED: CT in 3 months.", True),
        (r"\brecommend(?:ed)?\b", "Recommendation letter", False),
        (r"\bCT\b", "follow-up ct chest", True),
        (r"\bCT\b", "octreotide", False),
        (r"^\W*\d+[.)]\s*\S+", "  2) Follow-up", True),
        (r"^\W*\d+[.)]\s*\S+", "No list here.", False),
    ],
)
def test_caseless_agrees_with_ignorecase(pattern: str, text: str, found: bool) -> None:
    assert Caseless(pattern).test(text) is found
    assert Caseless(pattern).test(text, text.lower()) is found
    assert (re.search(pattern, text, re.IGNORECASE) is not None) is found


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\b\u00c9chographie\b", "\u00e9chographie"),  # non-ASCII pattern
        (r"\x41", "a"),  # a character named by number
        (r"(?-i:us)", "US"),  # an inline flag
        (r"\bsize\b", "\u017fize"),  # long s: folds to "s" under IGNORECASE
        (r"\bik\b", "I\u212a"),  # Kelvin sign: folds to "k"
    ],
)
def test_caseless_falls_back_where_lowering_differs(pattern: str, text: str) -> None:
    expected = re.search(pattern, text, re.IGNORECASE) is not None
    assert Caseless(pattern).test(text) is expected
