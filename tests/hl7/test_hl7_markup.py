"""HTML and RTF report text: detection, conversion with line structure, and what NLP finds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radfollow.hl7 import parse_message
from radfollow.hl7.markup import plain_text
from radfollow.hl7.rtf import rtf_to_text
from radfollow.nlp.extract import Extractor, ReportText

if TYPE_CHECKING:
    from conftest import HL7Builder


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Nodule <5 mm, stable.", id="less-than-number"),
        pytest.param("a < b and c > d", id="comparison"),
        pytest.param("<IMPRESSION> stable", id="pseudo-tag"),
        pytest.param("p <p value > 0.05", id="tag-like-without-attribute-value"),
        pytest.param("AT&T, R&D; A & E", id="ampersands"),
        pytest.param("{rtf} and \\rtf1 not at the start", id="rtf-word"),
        pytest.param("Size 5^7 mm\n\n  indented line  ", id="plain-layout-kept"),
    ],
)
def test_plain_text_is_untouched(text: str) -> None:
    assert plain_text(text) == text


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        pytest.param(
            "<P><STRONG>FINDINGS:</STRONG><br>No effusion<br>Nodule.</P><P>IMPRESSION: ok</P>",
            "FINDINGS:\nNo effusion\nNodule.\n\nIMPRESSION: ok",
            id="issue-case-p-br-strong",
        ),
        pytest.param("&quot;Nodule&quot; &amp; mass", '"Nodule" & mass', id="entities-only"),
        pytest.param("a&nbsp;&nbsp; b&#160;c&#x41;", "a b cA", id="nbsp-numeric"),
        pytest.param("<div>A</div><div>B</div>", "A\nB", id="div-one-line-end"),
        pytest.param("<div>A</div>\n\n<div>B</div>", "A\nB", id="blanks-between-blocks"),
        pytest.param("<ul><li>One</li><li>Two</li></ul>After", "One\nTwo\n\nAfter", id="list"),
        pytest.param("<table><tr><td>L</td><td>12 cm</td></tr></table>", "L\t12 cm", id="td"),
        pytest.param("<p class=\"x\" style='a'>A<BR/>B</p>", "A\nB", id="attributes-self-closing"),
        pytest.param("<p>A\\.br\\B\nC</p>", "A\\.br\\B\nC", id="hl7-line-end-kept"),
        pytest.param(
            "<html><head><title>t</title><style>p{x:1}</style></head><body><p>A<o:p></o:p></p>"
            "<!-- note --><script>x()</script></body></html>",
            "A",
            id="hidden-content-comments-namespaced",
        ),
        pytest.param("<p>Size <5 mm; a < b</p>", "Size <5 mm; a < b", id="less-than-in-html"),
        pytest.param("<p><IMPRESSION> stable</p>", "<IMPRESSION> stable", id="unknown-tag-kept"),
        pytest.param("<p>a    b\t </p>", "a b", id="spaces-collapsed"),
        pytest.param("<p>a&#0;b&#11;c&#13;d</p>", "a\ufffdbc\nd", id="control-references"),
        pytest.param("<p>unclosed <!-- comment", "unclosed", id="unclosed-comment"),
        pytest.param("<p>A<style>never closed", "A", id="unclosed-style"),
        pytest.param("<html><head><title>T</title><body>A", "A", id="head-never-closed"),
    ],
)
def test_html_to_plain_text(markup: str, expected: str) -> None:
    assert plain_text(markup) == expected


RTF_REPORT = (
    r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}{\colortbl;\red0\green0\blue0;}"
    r"{\*\generator Riched20 10.0;}{\info{\author X}}\viewkind4\uc1\pard\f0\fs20 "
    r"FINDINGS:\par No effusion.\par Nodule 6\'a0mm, caf\'e9 \u8364? 3.\line Liver\tab 12 cm\par}"
)


@pytest.mark.parametrize(
    ("rtf", "expected"),
    [
        pytest.param(
            RTF_REPORT,
            "FINDINGS:\nNo effusion.\nNodule 6\xa0mm, café € 3.\nLiver\t12 cm\n",
            id="wordpad-report",
        ),
        pytest.param(r"{\rtf1 a\\b\{c\}\~d\_e\-f}", "a\\b{c} d-ef", id="control-symbols"),
        pytest.param(r"{\rtf1 \u-10179?\u-8704? x}", "\U0001f600 x", id="surrogate-pair"),
        pytest.param(r"{\rtf1 \uc2\u8364ab c}", "\u20ac c", id="uc-fallback-skip"),
        pytest.param(r"{\rtf1 {\*\unknown hidden}shown}", "shown", id="starred-group-skipped"),
        pytest.param(
            r"{\rtf1 {\field{\*\fldinst HYPERLINK x}{\fldrslt link}} after}",
            "link after",
            id="field-result-kept",
        ),
        pytest.param("{\\rtf1 a\\\nb}", "a\nb", id="backslash-line-end-is-par"),
        pytest.param(r"{\rtf1 a}ignored", "a", id="text-after-document"),
        pytest.param(r"{\rtf1 \pict\bin4 {}}x}y", "", id="bin-skipped"),
        # Inputs that striprtf 0.0.35 raises on: never raise here.
        pytest.param(r"{\rtf1 a\uc b}", "ab", id="uc-without-number"),
        pytest.param(r"{\rtf1 a\u99999999?b}", "ab", id="u-out-of-range-fallback-skipped"),
        pytest.param(r"{\rtf1 \pict\bin x}", "", id="bin-without-length"),
        pytest.param("{\\rtf1\\ansicpg65001 \\'ff\\'fe}", "\ufffd\ufffd", id="undecodable-bytes"),
        pytest.param(r"{\rtf1\ansicpg99999 \'e9}", "é", id="unknown-codepage"),
        pytest.param(r"{\rtf1 {{{ unbalanced", " unbalanced", id="unbalanced"),
        pytest.param("{\\rtf1 trailing \\", "trailing ", id="lone-backslash"),
    ],
)
def test_rtf_to_text(rtf: str, expected: str) -> None:
    assert rtf_to_text(rtf) == expected


def test_rtf_split_over_obx_keeps_word_gaps(build: HL7Builder) -> None:
    """RTF source lines (one OBX each) join as RTF reads them: line ends are not text."""
    chunks = ["{\\E\\rtf1 FINDINGS:\\E\\par No ", "effusion; nod", "ule 6 mm.\\E\\par}"]
    obx = [{2: "TX", 5: chunk} for chunk in chunks]
    (report,) = parse_message(build.raw(build.oru(obx=obx)))
    assert report.text == "FINDINGS:\nNo effusion; nodule 6 mm."


def test_rtf_report_is_tidied() -> None:
    assert plain_text("  " + RTF_REPORT) == (
        "FINDINGS:\nNo effusion.\nNodule 6 mm, café € 3.\nLiver\t12 cm"
    )


HTML_FT = (
    "<P><STRONG>FINDINGS:</STRONG><br>No pleural effusion<br>"
    "Pulmonary nodule 6 mm in the right upper lobe<br></P>"
    "<P><STRONG>IMPRESSION:</STRONG><br>Pulmonary nodule 6 mm.</P>"
)
RTF_TX = (
    r"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\pard FINDINGS:\par No pleural effusion\par "
    r"Pulmonary nodule 6 mm in the right upper lobe\par\par IMPRESSION:\par "
    r"Pulmonary nodule 6 mm.\par}"
)
EXPECTED_TEXT = (
    "FINDINGS:\nNo pleural effusion\nPulmonary nodule 6 mm in the right upper lobe\n\n"
    "IMPRESSION:\nPulmonary nodule 6 mm."
)


@pytest.mark.parametrize(
    ("value_type", "value"),
    [
        pytest.param("FT", HTML_FT.replace("&", "\\T\\"), id="html-ft"),
        pytest.param("TX", RTF_TX.replace("\\", "\\E\\"), id="rtf-tx"),
    ],
)
def test_rich_text_report_reads_like_plain_text(
    build: HL7Builder, extractor: Extractor, value_type: str, value: str
) -> None:
    """Sections are found, lines stay apart and "No" does not negate the next line's nodule;
    offsets refer to the stored (converted) text."""
    (report,) = parse_message(build.raw(build.oru(obx=[{2: value_type, 5: value}])))
    assert report.text == EXPECTED_TEXT
    result = extractor.extract(ReportText(report.text, None, "CT CHEST"))
    nodules = [f for f in result.findings if f.type.value == "pulmonary_nodule"]
    assert [(f.assertion.value, f.section) for f in nodules] == [
        ("present", "findings"),
        ("present", "impression"),
    ]
    assert all(report.text[f.start : f.end] == "Pulmonary nodule" for f in nodules)


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("<p>" + "<a" * 20_000, id="unclosed-tags"),
        pytest.param("<p>" + "<p a=b" * 20_000, id="unclosed-attributes"),
        pytest.param("<p>" + "<!x" * 20_000, id="unclosed-declarations"),
        pytest.param("{\\rtf1 " + "{" * 20_000, id="rtf-open-groups"),
        pytest.param("{\\rtf1 " + "{\\field{\\*\\fldinst{ x" * 5_000, id="rtf-open-fields"),
    ],
)
def test_hostile_markup_converts_without_growth(markup: str) -> None:
    """Converted text is never longer than the input (no timing here: see the fuzz run)."""
    assert len(plain_text(markup)) <= len(markup)


_PIECES = st.sampled_from(
    [
        "<", ">", "&", ";", "<p>", "</p>", "<br>", "<td>", "</td>", "<style>", "</style>",
        "<!--", "-->", "<!x", "&quot;", "&#0;", "&#x1F600;", "\x00", "\x0b", "\x85", "\r",
        "\n", " ", "a", "{\\rtf1 ", "{", "}", "\\", "\\par", "\\u-10179?", "\\uc",
        "\\'e9", "\\'ff", "\\bin3 ", "\\*", "\\ansicpg932", "\\fonttbl", "5 mm",
    ]
)  # fmt: skip
_MARKUP = st.lists(_PIECES, max_size=60).map("".join) | st.text(max_size=200)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_MARKUP)
def test_plain_text_never_raises_nor_keeps_controls(text: str) -> None:
    converted = plain_text(text)
    if converted != text:
        assert not any(ord(c) < 0x20 and c not in "\t\n" for c in converted)
        assert not any(0x7F <= ord(c) < 0xA0 for c in converted)


@pytest.mark.parametrize(
    ("codepage", "expected"),
    [("1251", "Ж"), ("1252", "Æ"), ("866", "Ж"), ("12345", "Æ"), ("99999999", "Æ"), ("abc", "Æ")],
)
def test_rtf_code_pages_are_a_fixed_set(codepage: str, expected: str) -> None:
    """``\\ansicpgN`` switches only to a known code page; a sender's arbitrary N keeps
    the current one without a codec lookup (each new name grew Python's codec cache)."""
    import encodings

    byte = "c6" if codepage != "866" else "86"
    before = len(encodings._cache)  # type: ignore[attr-defined]
    names = [rf"\ansicpg{n}" for n in range(70_000, 70_200)]
    text = rtf_to_text(rf"{{\rtf1\ansi\ansicpg{codepage} \'{byte}}}")
    rtf_to_text("{\\rtf1 " + " ".join(names) + " x}")
    assert text == expected
    assert len(encodings._cache) - before <= 1  # type: ignore[attr-defined]
