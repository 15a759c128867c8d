"""Rejection reasons go to logs and errors.ndjson: they must not quote field values (PHI)."""

from __future__ import annotations

import pytest

from radfollow.errors import HL7Error
from radfollow.hl7 import parse_message
from radfollow.hl7.framing import RawMessage

BASE = (
    "MSH|^~\\&|RIS|HOSP|RF|HOSP|20260301120000||ORU^R01|C1|P|2.5.1\r"
    "PID|1||MRN1^^^HOSP^MR||DOE^JANE||{dob}|F\r"
    "OBR|1||ACC1|71250^CT CHEST^CPT|||{obr7}||||||||||||||||CT|F\r"
    "OBX|1|TX|RPT||Text.||||||F\r"
)


@pytest.mark.parametrize(
    ("dob", "obr7", "secret"),
    [
        ("1960O1O1", "20260301", "1960O1O1"),
        ("19600101", "2026X301", "2026X301"),
        ("19601399", "20260301", "19601399"),
    ],
)
def test_bad_dates_are_reported_without_their_value(dob: str, obr7: str, secret: str) -> None:
    raw = RawMessage("f.hl7", 1, BASE.format(dob=dob, obr7=obr7).encode())
    with pytest.raises(HL7Error) as info:
        parse_message(raw)
    assert secret not in str(info.value)


@pytest.mark.parametrize("end", [b"\r", b"\n", b"\r\n"])
def test_raw_line_break_inside_obx_text_is_kept(end: bytes) -> None:
    """Regression: a bare LF inside OBX-5 used to cut the report (and its recommendation)."""
    message = (
        end.join(
            [
                b"MSH|^~\\&|RIS|HOSP|RF|HOSP|20250110||ORU^R01|C1|P|2.5.1",
                b"PID|1||P1^^^H^MR",
                b"OBR|1||A1|1^CT CHEST^L|||20250110",
                b"OBX|1|TX|RPT||FINDINGS: Nodule.\n"
                b"IMPRESSION: Recommend CT chest in 6 months.||||||F",
            ]
        )
        + end
    )
    text = parse_message(RawMessage("f.hl7", 1, message))[0].text
    assert text == "FINDINGS: Nodule.\nIMPRESSION: Recommend CT chest in 6 months."
