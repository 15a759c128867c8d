"""hl7/header.py: the one MSH reader (bytes helpers, MessageHeader, the adapter's checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radfollow.errors import HL7Error, HL7MissingDataError, HL7UnsupportedMessageError
from radfollow.hl7.adapter import tokenise
from radfollow.hl7.delimiters import Delimiters
from radfollow.hl7.header import (
    MessageHeader,
    check_oru_header,
    find_msh,
    header_from_segment,
    msh_field,
    read_header,
)

if TYPE_CHECKING:
    from conftest import HL7Builder

FULL = (
    b"MSH|^~\\&|RIS^1.2.9^ISO|HOSP|RADFOLLOW|CENTRAL|20250110120000||ORU^R01^ORU_R01|C1|P|"
    b"2.5.1||||||UNICODE UTF-8\rPID|1||P1^^^HOSP^MR\r"
)


def _msh(**fields: str) -> bytes:
    """A one-segment message: MSH-3..MSH-18 with the given overrides (keys f3..f18)."""
    values = {3: "RIS", 4: "HOSP", 9: "ORU^R01", 10: "C1", 11: "P", 12: "2.5.1"}
    values |= {int(key[1:]): value for key, value in fields.items()}
    last = max(values)
    return (
        "|".join(["MSH", "^~\\&", *(values.get(n, "") for n in range(3, last + 1))]) + "\r"
    ).encode("latin-1")


def test_read_header_reads_every_field() -> None:
    assert read_header(FULL) == MessageHeader(
        delimiters=Delimiters(),
        sending_application="RIS",
        sending_facility="HOSP",
        receiving_application="RADFOLLOW",
        receiving_facility="CENTRAL",
        message_type="ORU",
        trigger="R01",
        control_id="C1",
        processing_id="P",
        version="2.5.1",
        charset="UNICODE UTF-8",
        codec="utf-8",
    )


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        pytest.param(_msh(f4="^1.2.3^ISO"), "sending_facility", "1.2.3", id="facility-component-2"),
        pytest.param(_msh(f4="HOSP^1.2.3^ISO"), "sending_facility", "HOSP", id="facility-comp-1"),
        pytest.param(_msh(f3="^9.8^ISO"), "sending_application", "9.8", id="application-hd"),
        pytest.param(_msh(f4="A\\T\\B"), "sending_facility", "A&B", id="escaped-facility"),
        pytest.param(_msh(f10="C\\F\\1"), "control_id", "C|1", id="escaped-control-id"),
        pytest.param(_msh(f10="C1~C2"), "control_id", "C1", id="first-repetition"),
        pytest.param(_msh(f10=" C1 "), "control_id", "C1", id="stripped"),
        pytest.param(_msh(f10="C" * 100), "control_id", "C" * 100, id="never-cut"),
        pytest.param(_msh(f4='""'), "sending_facility", "", id="hl7-null-is-empty"),
        pytest.param(_msh(f9="oru^r01"), "message_type", "oru", id="type-as-sent"),
        pytest.param(_msh(f12="2.8^HL70104"), "version", "2.8", id="version-components"),
        pytest.param(_msh(f18="8859/1"), "charset", "8859/1", id="msh-18"),
        pytest.param(_msh(f18="8859/1"), "codec", "iso8859-1", id="codec-from-msh-18"),
        pytest.param(_msh(f4="M\xfcnster"), "sending_facility", "M\xfcnster", id="latin-1-bytes"),
        pytest.param(_msh(f4="M\xfcnster"), "codec", "iso8859-1", id="latin-1-fallback"),
        pytest.param(_msh(f18="KLINGON"), "codec", "iso8859-1", id="unknown-charset-falls-back"),
        pytest.param(_msh(f18="rot13"), "codec", "iso8859-1", id="text-transform-codec"),
        pytest.param(b"\xef\xbb\xbf" + _msh(), "control_id", "C1", id="bom"),
        pytest.param(b"\x0b" + _msh()[:-1] + b"\x1c\r", "control_id", "C1", id="mllp"),
        pytest.param(b"FHS|^~\\&\n" + _msh(), "control_id", "C1", id="after-fhs"),
        pytest.param(b"MSH!@*$%!A!B!!!2024!!ORU@R01!CID8!P", "trigger", "R01", id="custom"),
    ],
)
def test_read_header_fields(data: bytes, field: str, expected: str) -> None:
    header = read_header(data)
    assert header is not None
    assert getattr(header, field) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"MSH", id="msh-only"),
        pytest.param(b"\x00\xff garbage", id="garbage"),
        pytest.param(b"this is not HL7 at all", id="text"),
        pytest.param(b"PID|1|MSH|^~\\&|A|B|||2024||ORU^R01|C1|P", id="msh-inside-another-segment"),
        pytest.param(b"XMSH|^~\\&|A|B|||2024||ORU^R01|C1|P", id="msh-not-at-segment-start"),
        pytest.param(b"MSH|^^\\&|A|B|||2024||ORU^R01|C1|P", id="delimiters-not-distinct"),
        pytest.param(b"MSH||A|B|||2024||ORU^R01|C1|P", id="empty-msh-2"),
        pytest.param(_msh(f10=""), id="empty-control-id"),
        pytest.param(_msh(f10='""'), id="null-control-id"),
        pytest.param(b"MSH|^~\\&|A|B", id="truncated"),
    ],
)
def test_read_header_none(data: bytes) -> None:
    assert read_header(data) is None


_BASE = _msh(f18="UNICODE UTF-8") + b"PID|1||P1^^^HOSP^MR\rOBR|1||A1\r"


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(_BASE)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = draw(st.binary(max_size=12))
    return bytes(data)


@given(st.one_of(st.binary(max_size=300), _mutated()))
@settings(max_examples=500, deadline=None)
def test_read_header_never_raises(data: bytes) -> None:
    header = read_header(data)
    assert header is None or header.control_id


@pytest.mark.parametrize(
    "msh",
    [
        pytest.param({}, id="default"),
        pytest.param({4: "^1.2.3^ISO", 3: "^9.8^ISO"}, id="hd-component-2"),
        pytest.param({4: "A\\T\\B", 10: "C\\F\\1", 3: "R\\S\\S"}, id="escapes"),
        pytest.param({10: "X" * 200}, id="long-control-id"),
        pytest.param({9: "ORU^R01", 12: "2.8^HL70104", 18: "UNICODE UTF-8"}, id="components"),
    ],
)
def test_listener_and_adapter_read_the_same_header(build: HL7Builder, msh: dict[int, str]) -> None:
    data = build.oru(msh=msh).encode()
    segments, reader = tokenise(data)
    assert read_header(data) == header_from_segment(segments[0], reader)


def _header(**values: Any) -> MessageHeader:
    header = read_header(_msh())
    assert header is not None
    fields = {**header.__dict__, **values}
    return MessageHeader(**fields)


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({}, id="oru-r01"),
        pytest.param({"message_type": "oru", "trigger": "r01"}, id="lower-case"),
        pytest.param({"trigger": ""}, id="oru-without-event"),
        pytest.param({"version": ""}, id="no-version"),
        pytest.param({"version": "2.3"}, id="v2.3"),
    ],
)
def test_check_oru_header_accepts(values: dict[str, str]) -> None:
    header = _header(**values)
    assert check_oru_header(header) is header


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        pytest.param(
            {"message_type": "ADT", "trigger": "A01"},
            HL7UnsupportedMessageError,
            "message type ADT^A01 is not ORU^R01 (MSH-9)",
            id="adt",
        ),
        pytest.param(
            {"message_type": "", "trigger": ""},
            HL7UnsupportedMessageError,
            "message type (empty) is not ORU^R01 (MSH-9)",
            id="no-type",
        ),
        pytest.param(
            {"version": "3.0"},
            HL7UnsupportedMessageError,
            "HL7 version '3.0' is not a v2 version (MSH-12)",
            id="v3",
        ),
        pytest.param(
            {"control_id": ""},
            HL7MissingDataError,
            "MSH-10 message control id is empty",
            id="no-control-id",
        ),
        pytest.param(
            {"message_type": "ADT", "control_id": ""},
            HL7UnsupportedMessageError,
            "message type ADT^R01",
            id="type-checked-before-control-id",
        ),
    ],
)
def test_check_oru_header_rejects(
    values: dict[str, str], error: type[HL7Error], message: str
) -> None:
    with pytest.raises(error) as info:
        check_oru_header(_header(**values))
    assert info.value.message.startswith(message)


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        pytest.param(b"MSH|^~\\&|A", 0, id="start"),
        pytest.param(b"FHS|^~\\&\r  MSH|^~\\&|A", 11, id="after-segment-and-blanks"),
        pytest.param(b"\x0bMSH|", 1, id="mllp"),
        pytest.param(b"PID|1|MSH|x", -1, id="inside-a-field"),
        pytest.param(b"MSHA", -1, id="letter-separator"),
        pytest.param(b"", -1, id="empty"),
    ],
)
def test_find_msh(data: bytes, offset: int) -> None:
    assert find_msh(data) == offset


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        pytest.param(2, b"^~\\&", id="msh-2"),
        pytest.param(4, b"HOSP", id="first-component"),
        pytest.param(10, b"C\\F\\1", id="not-unescaped"),
        pytest.param(18, b"8859/1", id="msh-18"),
        pytest.param(19, None, id="past-the-end"),
        pytest.param(1, None, id="msh-1"),
    ],
)
def test_msh_field(number: int, expected: bytes | None) -> None:
    data = _msh(f4="HOSP^1.2.3~OTHER", f10="C\\F\\1", f18="8859/1")
    assert msh_field(data, number) == expected
