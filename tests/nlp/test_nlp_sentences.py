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


def _reference_starts(doc, starts: set[int]) -> list[bool]:  # type: ignore[no-untyped-def]
    """The splitter's rule, one token at a time (what ``sentence_starts`` vectorises)."""
    result, pending = [], True
    for token in doc:
        if token.is_space:
            result.append(pending and token.i == 0)
            pending = pending and token.i != 0
            continue
        result.append(pending or token.idx in starts)
        pending = token.idx + len(token.text) in starts
    return result


@pytest.mark.parametrize(
    "text",
    [
        "No effusion. Nodule in the RUL.",
        "  \n\nIMPRESSION:\n1. Nodule.\n\n2. Recommend CT in 3 months.  ",
        "FINDINGS: Stable. IMPRESSION: No change.",
        "one",
        " ",
        "Seen by Dr. Smith. Then Mr. Jones!  Why? (Unclear.)",
    ],
)
def test_sentence_starts_match_the_token_rule(extractor, text: str) -> None:  # type: ignore[no-untyped-def]
    from radfollow.nlp.sentences import sentence_starts

    nlp = extractor.nlp
    doc = nlp.get_pipe("radfollow_sectionizer_v1")(nlp.make_doc(text))
    splitter = nlp.get_pipe("radfollow_sentences_v1")
    starts = splitter.boundaries(doc)
    assert [v == 1 for v in sentence_starts(doc, starts).ravel().astype("int64")] == (
        _reference_starts(doc, starts)
    )


def test_cached_text_of_a_span_copy_is_its_own(extractor) -> None:  # type: ignore[no-untyped-def]
    from radfollow.nlp.extensions import doc_text

    doc = extractor.nlp("FINDINGS: No effusion.\nIMPRESSION: Nodule.")
    assert doc_text(doc) == doc.text
    copy = doc[4:].as_doc(copy_user_data=True)
    assert doc_text(copy) == copy.text != doc.text
