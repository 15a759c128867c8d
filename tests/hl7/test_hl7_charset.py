"""Charset from MSH-18, UTF-8 by default, Latin-1 fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radfollow.errors import HL7DecodeError
from radfollow.hl7.charset import decode_message
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
        pytest.param("windows-1252", "cp1252", "cp1252", id="python-codec-name"),
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
            _msg("UTF-16").encode(), "unsupported charset 'UTF-16'", id="not-ascii-compat"
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
