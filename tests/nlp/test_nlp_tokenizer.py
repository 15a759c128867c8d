"""The pipeline's tokenizer gives exactly the tokens of spaCy's blank English one."""

from __future__ import annotations

import pytest
import spacy

CASES = [
    "a\nb",
    "a \nb",
    "a\n b",
    "a  \nb",
    "a.\n\n  B:",
    "\na",
    "a\n",
    "  \n a",
    "a\t\nb",
    "a\r\nb",
    "x.\nY",
    "(a)\n(b)",
    "don't\nwon't",
    "e.g.\nfoo",
    "a\tb \t c",
    "a\u00a0b",
    "EXAM: CT CHEST\nIMPRESSION:\n1. 6 mm nodule.\n2. Recommend CT in 6-12 months.",
    "",
]


@pytest.mark.parametrize("text", CASES)
def test_tokens_equal_stock_spacy(extractor, text: str) -> None:  # type: ignore[no-untyped-def]
    stock = spacy.blank("en")

    def tokens(doc):  # type: ignore[no-untyped-def]
        return [(t.text, t.whitespace_, t.norm_, t.is_space) for t in doc]

    # Twice: the second pass reads spaCy's token cache.
    for _ in range(2):
        assert tokens(extractor.nlp.make_doc(text)) == tokens(stock.make_doc(text))


def test_identity_whitespace_special_cases_are_dropped(extractor) -> None:  # type: ignore[no-untyped-def]
    rules = extractor.nlp.tokenizer.rules
    assert "\n" not in rules and "\t" not in rules and " " not in rules
    assert "\u00a0" in rules  # not an identity: it sets a norm


LONG_RUNS = [
    # (text, the long run kept whole?)
    ("Findings: " + "&" * 5000 + " end.", True),
    ("Findings: " + "=" * 64 + " end.", True),
    ("Findings: " + "a&" * 40 + ". end", True),
    ("Findings: " + "=" * 63 + " end.", False),
    ("Findings: " + "&" * 10 + " end.", False),
]


@pytest.mark.parametrize(("text", "whole"), LONG_RUNS)
def test_long_runs_are_one_token(extractor, text: str, whole: bool) -> None:  # type: ignore[no-untyped-def]
    """A run of MAX_TOKEN_CHARS or more non-space characters is one token (spaCy's
    affix search is quadratic in it); shorter runs split as stock spaCy does."""
    run = text.split()[1]
    tokens = [t.text for t in extractor.nlp.make_doc(text)]
    stock = [t.text for t in spacy.blank("en").make_doc(text[:200])]
    assert (run in tokens) is whole
    if not whole:
        assert tokens == stock
