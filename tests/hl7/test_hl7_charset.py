"""Charset from MSH-18, UTF-8 by default, Latin-1 fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radfollow.errors import HL7DecodeError
from radfollow.hl7.charset import decode_message, wide_encoding
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import CharsetRules

TEXT = "Befund: Läsion, Größe 5 mm"


def _msg(charset: str, body: str = TEXT) -> str:
    return f"MSH|^~\\&|RIS|FAC|||20240101||ORU^R01|C1|P|2.5||||||{charset}\rOBX|1|TX|||{body}\r"


@pytest.mark.parametrize(
    ("charset", "encoding", "expected_codec"),
    [
        pytest.param("", "utf-8", "utf-8", id="undeclared-utf8"),
        pytest.param("", "latin-1", "iso8859-1", id="undeclared-latin1-fallback"),
        pytest.param("UNICODE UTF-8", "utf-8", "utf-8", id="unicode-utf8"),
        pytest.param("UNICODE UTF-8", "latin-1", "iso8859-1", id="declared-utf8-but-latin1"),
        pytest.param("8859/1", "latin-1", "iso8859-1", id="8859-1"),
        pytest.param("8859/15", "iso8859-15", "iso8859-15", id="8859-15"),
        pytest.param("ASCII", "utf-8", "utf-8", id="declared-ascii-but-utf8"),
        pytest.param("unicode_utf-8", "utf-8", "utf-8", id="name-normalised"),
        pytest.param("8859/1~UNICODE UTF-8", "latin-1", "iso8859-1", id="first-repetition"),
        pytest.param("UTF-8", "utf-8", "utf-8", id="alias-of-unicode-utf8"),
        pytest.param("ISO_IR 100", "latin-1", "iso8859-1", id="dicom-alias-of-8859-1"),
    ],
)
def test_decode_message(charset: str, encoding: str, expected_codec: str) -> None:
    decoded = decode_message(_msg(charset).encode(encoding))
    assert TEXT in decoded.text
    assert decoded.charset == expected_codec


def test_ascii_message_declared_ascii_stays_ascii() -> None:
    decoded = decode_message(_msg("ASCII", "plain").encode("ascii"))
    assert (decoded.charset, decoded.declared) == ("ascii", "ASCII")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(_msg("KLINGON").encode(), "unsupported charset 'KLINGON'", id="unknown-name"),
        pytest.param(
            _msg("UTF-16").encode(), "'UTF-16' in MSH-18: the message is declared UTF-16", id="u16"
        ),
        pytest.param(
            _msg("UNICODE UTF-32").encode(),
            "MSH-18: the message is declared UTF-32; HL7 v2 over files and MLLP needs",
            id="table-0211-utf32",
        ),
        pytest.param(
            _msg("CNS 11643-1992").encode(), "no decoder for CNS 11643-1992", id="no-decoder"
        ),
        pytest.param(
            _msg("windows-1252").encode("cp1252"),
            "unsupported charset 'windows-1252' in MSH-18: not an HL7 table 0211",
            id="python-codec-name-not-in-table",
        ),
        pytest.param(
            _msg("8859/6", "#").encode().replace(b"#", b"\xa1"),
            "not valid 8859/6",
            id="invalid-bytes-for-declared",
        ),
    ],
)
def test_decode_message_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(HL7DecodeError, match=reason):
        decode_message(data)


@pytest.mark.parametrize(
    ("site_file", "expected"),
    [
        pytest.param(True, "iso8859-1", id="site-folder-names-the-charset"),
        pytest.param(False, None, id="packaged-table-lacks-it"),
    ],
)
def test_site_charsets_file(tmp_path: Path, site_file: bool, expected: str | None) -> None:
    if site_file:
        site = {"default": "utf-8", "fallback": "latin-1", "charsets": {"KLINGON": "latin-1"}}
        (tmp_path / "charsets.json").write_text(json.dumps(site), encoding="utf-8")
    rules = load_rules(CharsetRules, tmp_path)
    data = _msg("KLINGON").encode("latin-1")
    if expected is None:
        with pytest.raises(HL7DecodeError, match="unsupported charset"):
            decode_message(data, rules)
        return
    assert decode_message(data, rules).charset == expected


HOSTILE = [
    "base64",
    "hex",
    "rot13",
    "zlib",
    "bz2",
    "uu",
    "quopri",
    "a\x00b",
    "\x00",
    "idna",
    "mbcs",
]


@pytest.mark.parametrize("charset", HOSTILE, ids=lambda c: repr(c))
def test_non_text_codecs_and_nul_are_rejected_per_message(charset: str) -> None:
    """'base64' (a bytes-to-bytes codec) and a NUL used to raise inside Python's
    codec lookup (LookupError, ValueError) instead of an HL7 error."""
    with pytest.raises(HL7DecodeError, match=r"unsupported charset .* in MSH-18") as info:
        decode_message(_msg(charset).encode("latin-1"))
    assert "\x00" not in info.value.message


def _all_table_codes() -> list[tuple[str, str]]:
    rules = load_rules(CharsetRules)
    return sorted(rules.charsets.items()) + sorted(
        (alias, rules.charsets[code]) for alias, code in rules.aliases.items()
    )


@pytest.mark.parametrize(("name", "codec"), _all_table_codes(), ids=lambda v: v)
def test_every_table_0211_charset_and_alias_decodes(name: str, codec: str) -> None:
    data = _msg(name, "plain text").encode("ascii")
    decoded = decode_message(data)
    assert "plain text" in decoded.text
    assert decoded.charset in (codec, "utf-8")  # ASCII declared: UTF-8 chain


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        pytest.param("utf-16", "UTF-16", id="utf16-bom"),
        pytest.param("utf-16-le", "UTF-16", id="utf16-le-no-bom"),
        pytest.param("utf-16-be", "UTF-16", id="utf16-be-no-bom"),
        pytest.param("utf-32", "UTF-32", id="utf32-bom"),
        pytest.param("utf-32-le", "UTF-32", id="utf32-le-no-bom"),
        pytest.param("utf-32-be", "UTF-32", id="utf32-be-no-bom"),
    ],
)
def test_wide_encoded_message_says_so(encoding: str, name: str) -> None:
    """A UTF-16 file used to be rejected as 'no MSH segment found'."""
    data = _msg("").encode(encoding)
    assert wide_encoding(data) == name
    with pytest.raises(HL7DecodeError, match=f"the message is {name}; .*ASCII-compatible"):
        decode_message(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_msg("").encode("utf-8"), id="utf8"),
        pytest.param(b"\xef\xbb\xbf" + _msg("").encode("utf-8"), id="utf8-bom"),
        pytest.param(_msg("", "nul \x00 in text").encode("utf-8"), id="nul-in-text"),
    ],
)
def test_ascii_compatible_message_is_not_wide(data: bytes) -> None:
    assert wide_encoding(data) is None


@pytest.mark.parametrize(
    ("data", "kind", "reason"),
    [
        pytest.param(_msg("base64").encode(), "reject", "unsupported charset 'base64'", id="b64"),
        pytest.param(_msg("a\x00b").encode(), "reject", "unsupported charset (a value", id="nul"),
        pytest.param(_msg("rot13").encode(), "reject", "unsupported charset 'rot13'", id="rot13"),
        pytest.param(_msg("UNICODE UTF-8").encode(), "store", "", id="table-charset-accepted"),
    ],
)
def test_listener_inspection_rejects_a_bad_charset(data: bytes, kind: str, reason: str) -> None:
    """The listener used to drop the connection (no ACK, no dead letter): the codec
    lookup raised inside its inspection."""
    from radfollow.listener.inspect import inspect

    msg = data.replace(b"OBX|1|TX|||", b"PID|1||P1\rOBR|1||A1|X^CT HEAD|||20240101\rOBX|1|TX|||")
    verdict = inspect(msg)
    assert verdict.kind == kind
    assert reason in verdict.reason


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"MSH|^~\\&|A|B\rOBX|1|TX|||a\x00b\r", "MSH|^~\\&|A|B\rOBX|1|TX|||ab\r"),
        (b"MSH|^~\\&|A|B\rOBX|1|TX|||ab\r", "MSH|^~\\&|A|B\rOBX|1|TX|||ab\r"),
    ],
)
def test_nul_characters_are_dropped(data: bytes, text: str) -> None:
    """PostgreSQL text cannot hold NUL: a raw NUL failed every retry of the write."""
    assert decode_message(data).text == text
