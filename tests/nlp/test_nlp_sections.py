from __future__ import annotations

import pytest

from radfollow.nlp.sectionizer import RadSectionizer


@pytest.fixture(scope="module")
def sectionizer(extractor):  # type: ignore[no-untyped-def]
    return extractor.nlp.get_pipe("radfollow_sectionizer_v1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FINDINGS: Normal.\nIMPRESSION: Normal.", ["findings", "impression"]),
        ("Findings:\nNormal.\nImpression\nNormal.", ["findings", "impression"]),
        ("IMPRESSION\n1. Nodule.", ["impression"]),
        (
            "CLINICAL HISTORY: cough\nTECHNIQUE: CT\nCOMPARISON: None",
            ["indication", "technique", "comparison"],
        ),
        ("RECOMMENDATION: CT in 3 months.", ["recommendation"]),
        ("ADDENDUM: Follow-up advised.", ["addendum"]),
        ("Reason for exam: trauma", ["indication"]),
        ("EXAM: CT chest\nHISTORY: cough", ["exam", "indication"]),
    ],
)
def test_headers_found(sectionizer: RadSectionizer, text: str, expected: list[str]) -> None:
    categories = [s.category for s in sectionizer.find_sections(text) if s.category]
    assert categories == expected


@pytest.mark.parametrize(
    "text",
    [
        "The impression of the radiologist is unchanged.",
        "No findings of note in the liver.",
        "Impression made on the soft tissues by the mass",
    ],
)
def test_words_inside_sentences_are_not_headers(sectionizer: RadSectionizer, text: str) -> None:
    assert [s.category for s in sectionizer.find_sections(text)] == [None]


def test_text_before_first_header_is_unlabelled(sectionizer: RadSectionizer) -> None:
    sections = sectionizer.find_sections("CT CHEST 1/1/2020\nFINDINGS: ok")
    assert [s.category for s in sections] == [None, "findings"]
    assert sections[1].end == len("CT CHEST 1/1/2020\nFINDINGS: ok")
