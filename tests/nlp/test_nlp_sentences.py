from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("No effusion. Nodule in the RUL.", ["No effusion.", "Nodule in the RUL."]),
        ("Line one\nLine two", ["Line one", "Line two"]),
        ("Nodule measures 1.2 x 0.8 cm. Stable.", ["Nodule measures 1.2 x 0.8 cm.", "Stable."]),
        ("FINDINGS: No mass.", ["FINDINGS:", "No mass."]),
        ("1. Nodule.\n2. Recommend CT.", ["1. Nodule.", "2. Recommend CT."]),
        ("Seen by Dr. Smith today.", ["Seen by Dr. Smith today."]),
        ("size 3.5 mm. nodule", ["size 3.5 mm. nodule"]),
    ],
)
def test_sentence_boundaries(extractor, text: str, sentences: list[str]) -> None:  # type: ignore[no-untyped-def]
    doc = extractor.nlp(text)
    assert [s.text.strip() for s in doc.sents if s.text.strip()] == sentences
