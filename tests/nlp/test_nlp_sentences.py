from __future__ import annotations

import textwrap

import pytest

from radfollow.models import Assertion

#: A hard-wrapped report as an older RIS feed sends it (one OBX per 68-character line).
WRAPPED = (
    "EXAM: CT CHEST WITH CONTRAST\n"
    "FINDINGS: There is a 6 mm nodule in the right upper lobe which is\n"
    "stable compared to the prior examination. No pleural effusion or\n"
    "pneumothorax. The heart is normal in size. Recommend follow-up CT in\n"
    "12 months.\n"
    "IMPRESSION: Stable nodule."
)


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
    splitter = nlp.get_pipe("radfollow_sentences_v2")
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


def _sentences(extractor, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [" ".join(s.text.split()) for s in extractor.nlp(text).sents if s.text.strip()]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # soft wraps joined; a period before a capital still ends the sentence
        (
            WRAPPED,
            [
                "EXAM:",
                "CT CHEST WITH CONTRAST",
                "FINDINGS:",
                "There is a 6 mm nodule in the right upper lobe which is stable compared to "
                "the prior examination.",
                "No pleural effusion or pneumothorax.",
                "The heart is normal in size.",
                "Recommend follow-up CT in 12 months.",
                "IMPRESSION:",
                "Stable nodule.",
            ],
        ),
        # padded to the width, CRLF line ends: still one sentence per statement
        (
            WRAPPED.replace("\n", "   \r\n"),
            [
                "EXAM:",
                "CT CHEST WITH CONTRAST",
                "FINDINGS:",
                "There is a 6 mm nodule in the right upper lobe which is stable compared to "
                "the prior examination.",
                "No pleural effusion or pneumothorax.",
                "The heart is normal in size.",
                "Recommend follow-up CT in 12 months.",
                "IMPRESSION:",
                "Stable nodule.",
            ],
        ),
    ],
)
def test_hard_wrapped_lines_are_joined(extractor, text: str, sentences: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert _sentences(extractor, text) == sentences


#: What ends a line in a wrapped report: (second line, expected first sentence).
_WRAP_HEAD = (
    "There is a 6 mm nodule in the right upper lobe which is stable when\n"
    "compared to the prior examination of the chest from last year and\n"
    "again on the interval study, with no new nodule in either lung seen"
)


@pytest.mark.parametrize(
    ("after", "ends"),
    [
        ("\n\nthe adrenal glands are normal.", True),  # blank line
        ("\n1. Adrenal glands are normal.", True),  # numbered list item
        ("\n- adrenal glands are normal.", True),  # dash list item
        ("\n* adrenal glands are normal.", True),  # star list item
        ("\nIMPRESSION: Stable.", True),  # section header
        ("\ntoday. The adrenal glands are normal.", False),  # a soft wrap: negative case
    ],
)
def test_what_ends_a_line_in_a_wrapped_report(extractor, after: str, ends: bool) -> None:  # type: ignore[no-untyped-def]
    first = _sentences(extractor, _WRAP_HEAD + after)[0]
    assert first.endswith("either lung seen") == ends
    assert first.startswith("There is a 6 mm nodule")


@pytest.mark.parametrize(
    "text",
    [
        "No acute findings\nStable 4 mm nodule",
        # long statements, one per line, no periods: capitals start every line
        "Lungs are clear without focal consolidation or pleural effusion\n"
        "Heart size is normal\n"
        "Stable 4 mm nodule in the right upper lobe, no follow-up needed\n"
        "No acute osseous abnormality of the thoracic spine is seen here",
        # a lowercased export, one statement per line: case tells nothing
        "no pleural effusion or pneumothorax is seen on this examination\n"
        "stable 4 mm nodule in the right upper lobe since the prior exam\n"
        "mild degenerative changes of the thoracic spine are again noted",
        # lines longer than a feed's width are paragraphs, not printed lines
        ("word " * 30 + "\n") * 3 + "stable nodule",
    ],
)
def test_one_statement_per_line_keeps_line_breaks(extractor, text: str) -> None:  # type: ignore[no-untyped-def]
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert _sentences(extractor, text) == lines


@pytest.mark.parametrize(
    ("text", "assertion"),
    [
        # one statement per line: the negation stays on its line
        (
            "No pleural effusion or pneumothorax is seen on this examination\n"
            "Stable 4 mm nodule in the right upper lobe since the prior exam\n"
            "Mild degenerative changes of the thoracic spine are again noted",
            Assertion.PRESENT,
        ),
        # a soft wrap: the negation reaches the end of its sentence on the next line
        (
            "There is no pleural effusion or pneumothorax and no evidence of a\n"
            "pulmonary nodule or mass in either lung on this examination. The\n"
            "heart is normal in size and the mediastinum is within normal limits.",
            Assertion.ABSENT,
        ),
    ],
)
def test_negation_follows_the_sentence_not_the_line(run, text: str, assertion: Assertion) -> None:  # type: ignore[no-untyped-def]
    nodules = [f for f in run(text).findings if "nodule" in f.text]
    assert [f.assertion for f in nodules] == [assertion]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "no acute cardiopulmonary process . heart size is normal .",
            ["no acute cardiopulmonary process .", "heart size is normal ."],
        ),
        (
            "nodule measures 4.5 mm , e.g. stable . no effusion .",
            ["nodule measures 4.5 mm , e.g. stable .", "no effusion ."],
        ),
        # negative cases: decimals, abbreviations and attached periods stay
        ("nodule of 4.5 mm , e.g. stable", ["nodule of 4.5 mm , e.g. stable"]),
        ("seen by dr. smith today", ["seen by dr. smith today"]),
        ("size 3.5 mm. nodule", ["size 3.5 mm. nodule"]),
    ],
)
def test_lowercased_spaced_periods(extractor, text: str, sentences: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert _sentences(extractor, text) == sentences


@pytest.mark.parametrize("line_break", [" ", "\n"])
def test_a_megabyte_report_is_split(line_break: str) -> None:
    """Regression: on one line this took many minutes (a scan back to the line start per period)."""
    sentence = "Seen by Dr. Smith, nodule of 1.2 cm. "
    text = (sentence.strip() + line_break) * (1_000_000 // len(sentence))
    import spacy

    nlp = spacy.blank("en")  # over the maximum report size: the splitter alone
    nlp.max_length = len(text)
    doc = nlp.add_pipe("radfollow_sectionizer_v1")(nlp.make_doc(text))
    starts = nlp.add_pipe("radfollow_sentences_v2").boundaries(doc)
    expected = {i * len(sentence) for i in range(1, 1_000_000 // len(sentence))}
    assert starts - {len(text)} == expected


@pytest.mark.parametrize(
    ("factory", "config", "joined"),
    [
        ("radfollow_sentences_v2", {}, True),
        ("radfollow_sentences_v2", {"wrap_min_soft_breaks": 10}, False),
        ("radfollow_sentences_v2", {"wrap_max_width": 60}, False),
        ("radfollow_sentences_v1", {}, False),  # saved pipelines: every line break ends
    ],
)
def test_wrap_thresholds_come_from_config(
    factory: str, config: dict[str, int], joined: bool
) -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("radfollow_sectionizer_v1")
    nlp.add_pipe(factory, config=config)
    first = next(s.text for s in nlp(WRAPPED).sents if s.text.startswith("There"))
    assert first.endswith("prior examination.") == joined


def test_textwrap_output_is_joined(extractor) -> None:  # type: ignore[no-untyped-def]
    sentence = "The nodule in the right upper lobe is stable compared with the prior study."
    text = "\n".join(textwrap.wrap(" ".join([sentence] * 4), 60))
    assert _sentences(extractor, text) == [sentence] * 4


@pytest.mark.parametrize(("chars", "pieces"), [(900, 1), (1000, 1), (5000, 5)])
def test_long_sentences_are_cut(extractor, chars: int, pieces: int) -> None:  # type: ignore[no-untyped-def]
    """ConText compares every pair of cues in a sentence: 10 KB without a stop took 16 s."""
    text = ("no nodule or mass, " * 300)[:chars]
    sentences = list(extractor.nlp(text).sents)
    assert len(sentences) == pieces
    assert max(len(s.text) for s in sentences) <= 1000 + len("nodule ")
