"""HL7 escape sequences, with default and non-default encoding characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radfollow.errors import HL7ParseError
from radfollow.hl7.delimiters import Delimiters
from radfollow.hl7.escapes import escape, unescape

DEFAULT = Delimiters()
CUSTOM = Delimiters(field="!", component="@", repetition="*", escape="$", subcomponent="%")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("a\\.br\\b", "a\nb", id="br"),
        pytest.param("a\\.BR\\b", "a\nb", id="br-upper"),
        pytest.param("a\\.sp\\b", "a\nb", id="sp"),
        pytest.param("a\\.sp2\\b", "a\n\nb", id="sp-count"),
        pytest.param("a\\.ce\\b", "a\nb", id="ce"),
        pytest.param("a\\.sk3\\b", "a   b", id="sk"),
        pytest.param("a\\.in+4\\b\\.ti-2\\c\\.fi\\\\.nf\\", "abc", id="indent-fill-dropped"),
        pytest.param("1\\F\\2", "1|2", id="F"),
        pytest.param("1\\S\\2", "1^2", id="S"),
        pytest.param("1\\T\\2", "1&2", id="T"),
        pytest.param("1\\R\\2", "1~2", id="R"),
        pytest.param("1\\E\\2", "1\\2", id="E"),
        pytest.param("\\H\\BOLD\\N\\ text", "BOLD text", id="highlight-removed"),
        pytest.param("\\X41\\", "A", id="hex"),
        pytest.param("\\X4142\\", "AB", id="hex-two-bytes"),
        pytest.param("caf\\XC3A9\\", "café", id="hex-utf8-multibyte"),
        pytest.param("\\Zlocal\\x", "x", id="local-removed"),
        pytest.param("\\C2842\\x", "x", id="charset-switch-removed"),
        pytest.param("plain text", "plain text", id="no-escape"),
        pytest.param("C:\\temp\\file", "C:\\temp\\file", id="unknown-kept"),
        pytest.param("trailing \\", "trailing \\", id="unterminated-kept"),
        pytest.param("\\X4\\", "\\X4\\", id="odd-hex-kept"),
        pytest.param("\\XZZ\\", "\\XZZ\\", id="non-hex-kept"),
    ],
)
def test_unescape_default_delimiters(value: str, expected: str) -> None:
    assert unescape(value, DEFAULT) == expected


@pytest.mark.parametrize(
    ("value", "charset", "expected"),
    [
        pytest.param("\\XE9\\", "latin-1", "é", id="latin1"),
        pytest.param("\\XE9\\", "utf-8", "é", id="invalid-utf8-falls-back"),
    ],
)
def test_unescape_hex_uses_message_charset(value: str, charset: str, expected: str) -> None:
    assert unescape(value, DEFAULT, charset) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1$F$2", "1!2", id="F"),
        pytest.param("1$S$2", "1@2", id="S"),
        pytest.param("1$T$2", "1%2", id="T"),
        pytest.param("1$R$2", "1*2", id="R"),
        pytest.param("1$E$2", "1$2", id="E"),
        pytest.param("a$.br$b", "a\nb", id="br"),
        pytest.param("a\\.br\\b", "a\\.br\\b", id="backslash-is-literal"),
    ],
)
def test_unescape_custom_delimiters(value: str, expected: str) -> None:
    assert unescape(value, CUSTOM) == expected


@pytest.mark.parametrize(
    ("msh", "expected"),
    [
        pytest.param("MSH|^~\\&|A", Delimiters(), id="default"),
        pytest.param("MSH!@*$%!A", CUSTOM, id="custom"),
        pytest.param("MSH|^~\\&#|A", Delimiters(), id="truncation-char-ignored"),
        pytest.param("MSH|^~|A", Delimiters(), id="short-takes-defaults"),
    ],
)
def test_delimiters_from_msh(msh: str, expected: Delimiters) -> None:
    assert Delimiters.from_msh(msh) == expected


@pytest.mark.parametrize(
    ("msh", "reason"),
    [
        pytest.param("MSH||A", "empty", id="empty-msh2"),
        pytest.param("MSH|^^\\&|A", "not distinct", id="repeated"),
        pytest.param("MSHA^~\\&A", "invalid HL7 delimiter", id="alnum-separator"),
        pytest.param("MSH", "too short", id="too-short"),
    ],
)
def test_delimiters_from_msh_rejects(msh: str, reason: str) -> None:
    with pytest.raises(HL7ParseError, match=reason):
        Delimiters.from_msh(msh)


@pytest.mark.parametrize(
    ("value", "delimiters", "expected", "read_back"),
    [
        pytest.param("plain", DEFAULT, "plain", "plain", id="plain-unchanged"),
        pytest.param(
            "a|b^c&d~e", DEFAULT, "a\\F\\b\\S\\c\\T\\d\\R\\e", "a|b^c&d~e", id="delimiters"
        ),
        pytest.param("a\\F\\b", DEFAULT, "a\\E\\F\\E\\b", "a\\F\\b", id="escape-char-first"),
        # CR LF is written as two hex escapes and read back as one line end.
        pytest.param("a\r\nb", DEFAULT, "a\\X0D\\\\X0A\\b", "a\nb", id="line-breaks"),
        pytest.param("1!2@3$4", CUSTOM, "1$F$2$S$3$E$4", "1!2@3$4", id="custom"),
    ],
)
def test_escape(value: str, delimiters: Delimiters, expected: str, read_back: str) -> None:
    assert escape(value, delimiters) == expected
    assert unescape(escape(value, delimiters), delimiters) == read_back


@pytest.mark.parametrize(
    ("value", "charset", "expected"),
    [
        pytest.param("a\\X00F2\\b", "utf-8", "aòb", id="nul-dropped-issue-case"),
        pytest.param("a\\X00\\b", "utf-8", "ab", id="nul-alone"),
        pytest.param("a\\X0B0C1B7F\\b", "utf-8", "ab", id="vt-ff-esc-del-dropped"),
        pytest.param("a\\X85\\b", "latin-1", "ab", id="c1-dropped"),
        pytest.param("a\\XC285\\b", "utf-8", "ab", id="c1-from-utf8-dropped"),
        pytest.param("a\\X09\\b", "utf-8", "a\tb", id="tab-kept"),
        pytest.param("a\\X0A\\b", "utf-8", "a\nb", id="lf-line-end"),
        pytest.param("a\\X0D\\b", "utf-8", "a\nb", id="cr-line-end"),
        pytest.param("a\\X0D0A\\b", "utf-8", "a\nb", id="crlf-one-line-end"),
        pytest.param("a\\X0D\\\\X0A\\b", "utf-8", "a\nb", id="crlf-in-two-escapes"),
        pytest.param("a\\X41\\b", "utf-8", "aAb", id="printable-negative-case"),
    ],
)
def test_hex_escape_control_characters(value: str, charset: str, expected: str) -> None:
    assert unescape(value, DEFAULT, charset) == expected


HUGE = "9" * 9
OVER_INT_LIMIT = "9" * 5000  # more digits than int() accepts by default


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(f"a\\.sp{HUGE}\\b", "a\n\n\nb", id="sp-huge-issue-case"),
        pytest.param(f"a\\.sp{OVER_INT_LIMIT}\\b", "a\n\n\nb", id="sp-over-int-limit"),
        pytest.param("a\\.sp4\\b", "a\n\n\nb", id="sp-just-over-cap"),
        pytest.param("a\\.sp3\\b", "a\n\n\nb", id="sp-at-cap-negative-case"),
        pytest.param(f"a\\.sk{HUGE}\\b", "a" + " " * 10 + "b", id="sk-huge"),
        pytest.param(f"a\\.sk-{HUGE}\\b", "a" + " " * 10 + "b", id="sk-negative-huge"),
        pytest.param("a\\.sk10\\b", "a" + " " * 10 + "b", id="sk-at-cap-negative-case"),
        pytest.param(f"a\\.in{HUGE}\\b\\.ti-{HUGE}\\c", "abc", id="in-ti-huge"),
        pytest.param(f"a\\.in+{OVER_INT_LIMIT}\\b", "ab", id="in-over-int-limit"),
    ],
)
def test_formatting_counts_are_capped(value: str, expected: str) -> None:
    assert unescape(value, DEFAULT) == expected


@pytest.mark.parametrize("command", [".sp", ".sk", ".in", ".ti", ".br", "X00", "H"])
def test_many_escapes_grow_linearly(command: str) -> None:
    """10,000 sequences of the largest count give at most 10 characters each."""
    sequence = f"\\{command}{HUGE if command[0] == '.' and command != '.br' else ''}\\"
    decoded = unescape(sequence * 10_000, DEFAULT)
    assert len(decoded) <= 10 * 10_000


_ESCAPE_PARTS = st.sampled_from(
    ["\\", "X", "00", "0D", "0A", "F2", "C2", "85", ".sp", ".sk", ".in", ".ti", ".br", "9" * 6,
     "-", "+", "Z", "C2842", "H", "N", "E", "a", " "]
)  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_ESCAPE_PARTS, max_size=40).map("".join))
def test_unescape_is_bounded_and_has_no_controls(value: str) -> None:
    decoded = unescape(value, DEFAULT)
    assert len(decoded) <= 4 * len(value)
    assert not any(ord(c) < 0x20 and c not in "\t\n" for c in decoded)
    assert not any(0x7F <= ord(c) < 0xA0 for c in decoded)
