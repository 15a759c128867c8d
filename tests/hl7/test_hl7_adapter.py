"""parse_message: ORU^R01 to RadiologyReport, and every typed rejection."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from radfollow.errors import (
    HL7DecodeError,
    HL7Error,
    HL7MissingDataError,
    HL7ParseError,
    HL7UnsupportedMessageError,
)
from radfollow.hl7 import RawMessage, parse_message, peek_control_id
from radfollow.models import Coding, Patient, ResultStatus

if TYPE_CHECKING:
    from conftest import HL7Builder


def _one(build: HL7Builder, **parts: Any) -> Any:
    (report,) = parse_message(build.raw(build.oru(**parts)))
    return report


def test_default_message_maps_every_field(build: HL7Builder) -> None:
    report = _one(build)
    assert report.model_dump() == {
        "control_id": "MSG0001",
        "sending_facility": "FACILITY_A",
        "hl7_version": "2.5.1",
        "patient": Patient(
            id="PAT001", assigning_authority="HOSP_A", sex="F", birth_date=date(1970, 1, 1)
        ).model_dump(),
        "accession": "ACC001",
        "procedure": Coding(
            code="CTCHEST", text="CT CHEST WITHOUT CONTRAST", system="L"
        ).model_dump(),
        "modality_raw": "CT",
        "modality": "CT",
        "observation_time": datetime(2024, 1, 1, 10, 15, tzinfo=UTC),
        "message_time": datetime(2024, 1, 2, 8, 30, tzinfo=UTC),
        "result_status": ResultStatus.FINAL,
        "ordering_provider": "TEST DOCTOR (D123)",
        "principal_interpreter": None,
        "department": None,
        "patient_class": None,
        "indication": None,
        "text": "No acute findings.",
        "source": "test.hl7",
        "position": 1,
    }


@pytest.mark.parametrize(
    ("parts", "field", "expected"),
    [
        pytest.param(
            {"msh": {12: "2.3"}, "obr": {7: "20240101101500^S"}, "pid": {7: "19700101^D"}},
            "observation_time",
            datetime(2024, 1, 1, 10, 15, tzinfo=UTC),
            id="v2.3-ts-with-precision",
        ),
        pytest.param({"msh": {12: "2.3"}}, "hl7_version", "2.3", id="v2.3-version"),
        pytest.param({"msh": {12: "2.8"}}, "hl7_version", "2.8", id="v2.8-version"),
        pytest.param({"msh": {12: "2.8^HL70104"}}, "hl7_version", "2.8", id="v2.8-vid-components"),
        pytest.param({"msh": {12: ""}}, "hl7_version", None, id="no-version"),
        pytest.param({"msh": {4: "^1.2.3^ISO"}}, "sending_facility", "1.2.3", id="facility-uid"),
        pytest.param({"msh": {9: "ORU"}}, "control_id", "MSG0001", id="oru-without-event"),
    ],
)
def test_header_and_versions(build: HL7Builder, parts: dict, field: str, expected: object) -> None:
    assert getattr(_one(build, **parts), field) == expected


@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        pytest.param({8: "F^Female^HL70001"}, {"sex": "F"}, id="v2.8-sex-cwe"),
        pytest.param({8: "m"}, {"sex": "M"}, id="sex-upper"),
        pytest.param({8: ""}, {"sex": None}, id="sex-empty"),
        pytest.param({7: "1970"}, {"birth_date": None}, id="dob-year-only"),
        pytest.param({3: "~PAT002^^^HOSP_B"}, {"id": "PAT002"}, id="first-repetition-with-id"),
        pytest.param(
            {3: "PAT003^^^&1.2.3&ISO^MR"}, {"assigning_authority": "1.2.3"}, id="authority-uid"
        ),
        pytest.param({3: "PAT004"}, {"assigning_authority": None}, id="no-authority"),
    ],
)
def test_patient(build: HL7Builder, pid: dict, expected: dict) -> None:
    patient = _one(build, pid=pid).patient
    assert {key: getattr(patient, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("obx", "expected"),
    [
        pytest.param(
            [{5: "FINDINGS:"}, {5: "Nodule."}, {5: "IMPRESSION:"}, {5: "Benign."}],
            "FINDINGS:\nNodule.\nIMPRESSION:\nBenign.",
            id="multi-obx-joined",
        ),
        pytest.param([{5: "line 1~line 2~~line 4"}], "line 1\nline 2\n\nline 4", id="repetitions"),
        pytest.param([{5: "A"}, {5: ""}, {5: "B"}], "A\n\nB", id="empty-tx-keeps-blank-line"),
        pytest.param([{5: ""}, {5: "A"}, {5: '""'}], "A", id="blank-ends-trimmed"),
        pytest.param([{5: "size 5^7 mm"}], "size 5^7 mm", id="tx-literal-component-separator"),
        pytest.param([{5: "a \\F\\ b \\S\\ c \\R\\ d"}], "a | b ^ c ~ d", id="escaped-delimiters"),
        pytest.param([{2: "FT", 5: "one\\.br\\two"}], "one\ntwo", id="ft-br"),
        pytest.param([{2: "ST", 5: "short"}], "short", id="st"),
        pytest.param([{2: "CE", 5: "R91^Lung nodule^I10"}], "Lung nodule", id="ce-text"),
        pytest.param([{2: "CE", 5: "R91^^I10^^Nodule alt"}], "Nodule alt", id="ce-alt-text"),
        pytest.param([{5: "Text"}, {2: "CE", 5: "R91^^I10"}], "Text", id="ce-code-only-skipped"),
        pytest.param([{2: "CWE", 5: "1^Normal^L~2^Stable^L"}], "Normal\nStable", id="cwe-reps"),
        pytest.param([{5: "Text"}, {2: "NM", 5: "5.2"}], "Text", id="numeric-skipped"),
        pytest.param([{5: "Old", 11: "D"}, {5: "New"}], "New", id="deleted-obx-skipped"),
        pytest.param([{5: "Wrong", 11: "W"}, {5: "Right"}], "Right", id="wrong-obx-skipped"),
        pytest.param([{5: "trailing   "}], "trailing", id="trailing-space"),
    ],
)
def test_report_text(build: HL7Builder, obx: list[dict], expected: str) -> None:
    assert _one(build, obx=obx).text == expected


@pytest.mark.parametrize(
    ("eol", "enc", "sep"),
    [
        pytest.param("\r", "^~\\&", "|", id="default"),
        pytest.param("\n", "@*$%", "!", id="custom-lf"),
        pytest.param("\r\n", "@*$%", "!", id="custom-crlf"),
    ],
)
def test_non_default_encoding_characters(build: HL7Builder, eol: str, enc: str, sep: str) -> None:
    component, repetition, esc, sub = enc[0], enc[1], enc[2], enc[3]
    value = f"A{esc}F{esc}B{esc}.br{esc}C{repetition}D {component} E {sub}"
    text = build.oru(
        obx=[{5: value}],
        obr={4: f"X{component}CT HEAD{component}L", 16: f"D9{component}DOC{component}ANN"},
        sep=sep,
        enc=enc,
        eol=eol,
    ).replace("^", component)
    (report,) = parse_message(build.raw(text))
    assert report.text == f"A{sep}B\nC\nD {component} E {sub}"
    assert (report.procedure.text, report.ordering_provider) == ("CT HEAD", "ANN DOC (D9)")


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [
        pytest.param("8859/1", "latin-1", id="declared-latin1"),
        pytest.param("", "latin-1", id="undeclared-latin1-fallback"),
        pytest.param("UNICODE UTF-8", "utf-8", id="utf8"),
    ],
)
def test_non_ascii_text(build: HL7Builder, charset: str, encoding: str) -> None:
    text = build.oru(msh={18: charset}, obx=[{5: "Läsion 5 mm, Größe stabil"}])
    (report,) = parse_message(build.raw(text, encoding))
    assert report.text == "Läsion 5 mm, Größe stabil"


@pytest.mark.parametrize(
    ("obr", "orc", "fields", "expected"),
    [
        pytest.param({3: "A-OBR"}, {3: "A-ORC"}, None, "A-OBR", id="obr3-first"),
        pytest.param({3: ""}, {3: "A-ORC"}, None, "A-ORC", id="orc3-fallback"),
        pytest.param({3: "", 18: "A-18"}, {3: ""}, None, "A-18", id="obr18-fallback"),
        pytest.param({3: "", 18: "A-18"}, None, None, "A-18", id="no-orc"),
        pytest.param({3: "A-OBR^RIS^1.2^ISO"}, None, None, "A-OBR", id="ei-first-component"),
        pytest.param({3: "A-OBR", 18: "A-18"}, None, ("OBR-18", "OBR-3"), "A-18", id="custom"),
        pytest.param({3: "A-OBR", 2: "A-2"}, None, ["obr-2"], "A-2", id="custom-lowercase-list"),
        pytest.param({3: "A-OBR"}, {2: "P-ORC"}, "ORC-2", "P-ORC", id="single-string"),
    ],
)
def test_accession_order(
    build: HL7Builder, obr: dict, orc: dict | None, fields: Any, expected: str
) -> None:
    raw = build.raw(build.oru(obr=obr, orc=orc))
    kwargs = {} if fields is None else {"accession_fields": fields}
    assert parse_message(raw, **kwargs)[0].accession == expected


@pytest.mark.parametrize("fields", [("PID-3",), ("OBR3",), ("OBR-0",), ()])
def test_accession_fields_config_is_checked(build: HL7Builder, fields: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="accession"):
        parse_message(build.raw(build.oru()), accession_fields=fields)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("P", ResultStatus.PRELIMINARY),
        ("F", ResultStatus.FINAL),
        ("C", ResultStatus.CORRECTED),
        ("X", ResultStatus.CANCELLED),
        ("", ResultStatus.FINAL),
        ("f", ResultStatus.FINAL),
        ("A", ResultStatus.PRELIMINARY),
        ("R", ResultStatus.PRELIMINARY),
    ],
)
def test_result_status(build: HL7Builder, code: str, expected: ResultStatus) -> None:
    assert _one(build, obr={25: code}).result_status == expected


@pytest.mark.parametrize("code", ["I", "O", "S", "Z", "FINAL"])
def test_result_status_unknown_is_rejected(build: HL7Builder, code: str) -> None:
    with pytest.raises(HL7ParseError, match="OBR-25"):
        parse_message(build.raw(build.oru(obr={25: code})))


@pytest.mark.parametrize(
    ("obr", "expected"),
    [
        pytest.param({7: "20240101101500+0200"}, timedelta(hours=2), id="with-offset"),
        pytest.param({7: "20240101101500"}, timedelta(hours=-4), id="no-offset-default-tz"),
    ],
)
def test_observation_time_zone(build: HL7Builder, obr: dict, expected: timedelta) -> None:
    raw = build.raw(build.oru(obr=obr))
    (report,) = parse_message(raw, default_tz=timezone(timedelta(hours=-4)))
    assert report.observation_time is not None
    assert report.observation_time.utcoffset() == expected


@pytest.mark.parametrize(
    ("obr", "field", "expected"),
    [
        pytest.param({24: "NMR"}, "modality", "MR", id="table"),
        pytest.param({24: "NMR"}, "modality_raw", "NMR", id="raw-kept"),
        pytest.param({24: "", 4: "^US ABDOMEN"}, "modality", "US", id="inferred"),
        pytest.param({24: "", 4: "^US ABDOMEN"}, "modality_raw", None, id="raw-empty"),
        pytest.param({24: "", 4: "^ROUTINE"}, "modality", None, id="unknown"),
        pytest.param(
            {4: "^^^CTH^CT HEAD^L"},
            "procedure",
            Coding(code="CTH", text="CT HEAD", system="L"),
            id="alt-coding",
        ),
        pytest.param({4: ""}, "procedure", Coding(), id="no-procedure"),
        pytest.param(
            {16: "D1^ROE^RAE^Q"}, "ordering_provider", "RAE Q ROE (D1)", id="provider-middle"
        ),
        pytest.param({16: "^ROE^RAE"}, "ordering_provider", "RAE ROE", id="provider-no-id"),
        pytest.param({16: "D1"}, "ordering_provider", "D1", id="provider-id-only"),
        pytest.param({16: ""}, "ordering_provider", None, id="provider-empty"),
        pytest.param({13: "Cough, weight loss"}, "indication", "Cough, weight loss", id="obr13"),
        pytest.param({31: "R05^Cough^I10~^Fever"}, "indication", "Cough; Fever", id="obr31"),
        pytest.param({13: "Staging", 31: "^Cough"}, "indication", "Staging", id="obr13-first"),
        pytest.param({}, "indication", None, id="no-indication"),
    ],
)
def test_obr_fields(build: HL7Builder, obr: dict, field: str, expected: object) -> None:
    assert getattr(_one(build, obr=obr), field) == expected


def test_multiple_obr_groups(build: HL7Builder) -> None:
    s = build.seg
    text = "\r".join(
        [
            s("MSH", {9: "ORU^R01", 10: "M2", 12: "2.4"}),
            s("PID", {3: "PAT9"}),
            s("ORC", {1: "RE", 3: "ORC-A"}),
            s("OBR", {1: "1", 4: "^CT CHEST"}),
            s("OBX", {1: "1", 2: "TX", 5: "Chest text."}),
            s("OBR", {1: "2", 3: "ACC-B", 4: "^MR BRAIN"}),
            s("OBX", {1: "1", 2: "NM", 5: "3"}),
            s("ORC", {1: "RE", 3: "ORC-C"}),
            s("OBR", {1: "3", 4: "^US NECK", 25: "P"}),
            s("NTE", {1: "1", 3: "comment is not report text"}),
            s("OBX", {1: "1", 2: "TX", 5: "Neck text."}),
        ]
    )
    reports = parse_message(build.raw(text))
    got = [(r.accession, r.modality, r.text, r.result_status.value) for r in reports]
    assert got == [("ORC-A", "CT", "Chest text.", "F"), ("ORC-C", "US", "Neck text.", "P")]


@pytest.mark.parametrize(
    ("text", "error", "reason"),
    [
        pytest.param("", HL7ParseError, "no MSH segment found", id="empty"),
        pytest.param("PID|1||X\r", HL7ParseError, "no MSH segment found", id="no-msh"),
        pytest.param("just some text", HL7ParseError, "no MSH segment found", id="not-hl7"),
        pytest.param("EVN|A\rMSH|^~\\&|A\r", HL7ParseError, "before the MSH", id="before-msh"),
        pytest.param(
            "MSH|^~\\&|A|||||ORU^R01|1\rMSH|^~\\&|B|||||ORU^R01|2\r",
            HL7ParseError,
            "more than one MSH",
            id="two-msh",
        ),
        pytest.param("MSH|^^\\&|A\r", HL7ParseError, "not distinct", id="bad-delimiters"),
    ],
)
def test_unparseable_input(text: str, error: type[HL7Error], reason: str) -> None:
    with pytest.raises(error, match=reason):
        parse_message(RawMessage("x.hl7", 1, text.encode()))


@pytest.mark.parametrize(
    ("parts", "error", "reason"),
    [
        pytest.param({"msh": {9: "ADT^A01"}}, HL7UnsupportedMessageError, "ADT\\^A01", id="adt"),
        pytest.param({"msh": {9: "ORU^R30"}}, HL7UnsupportedMessageError, "ORU\\^R30", id="r30"),
        pytest.param({"msh": {9: ""}}, HL7UnsupportedMessageError, "\\(empty\\)", id="no-type"),
        pytest.param({"msh": {12: "3.0"}}, HL7UnsupportedMessageError, "MSH-12", id="v3"),
        pytest.param({"msh": {10: ""}}, HL7MissingDataError, "MSH-10", id="no-control-id"),
        pytest.param({"drop": ["OBR"]}, HL7MissingDataError, "no OBR segment", id="no-obr"),
        pytest.param(
            {"obx": [{2: "NM", 5: "4"}]}, HL7MissingDataError, "no OBX with report", id="no-text"
        ),
        pytest.param({"obx": []}, HL7MissingDataError, "no OBX with report", id="no-obx"),
        pytest.param({"obx": [{5: ""}]}, HL7MissingDataError, "no OBX with report", id="empty-tx"),
        pytest.param({"drop": ["PID"]}, HL7MissingDataError, "no PID segment", id="no-pid"),
        pytest.param({"pid": {3: ""}}, HL7MissingDataError, "PID-3", id="empty-pid3"),
        pytest.param({"pid": {3: "^^^HOSP~"}}, HL7MissingDataError, "PID-3", id="pid3-no-id"),
        pytest.param(
            {"obr": {3: "", 18: ""}}, HL7MissingDataError, "no accession", id="no-accession"
        ),
        pytest.param({"obr": {7: "2024-01-01"}}, HL7ParseError, "OBR-7", id="bad-obr7"),
        pytest.param({"pid": {7: "19701301"}}, HL7ParseError, "PID-7", id="bad-dob"),
        pytest.param({"msh": {18: "KLINGON"}}, HL7DecodeError, "MSH-18", id="bad-charset"),
    ],
)
def test_rejections(build: HL7Builder, parts: dict, error: type[HL7Error], reason: str) -> None:
    with pytest.raises(error, match=reason) as info:
        parse_message(build.raw(build.oru(**parts)))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"MSH|^~\\&|A|B|||2024||ORU^R01|CID7|P|2.5\rPID|", "CID7", id="ok"),
        pytest.param(b"MSH|^~\\&|A|B|||2024||ORU^R01|CID7^X|P", "CID7", id="components"),
        pytest.param(b"MSH!@*$%!A!B!!!2024!!ORU@R01!CID8!P", "CID8", id="custom-delimiters"),
        pytest.param(b"\x0bMSH|^~\\&|A|B|||2024||ADT^A01|CID9\x1c\r", "CID9", id="mllp"),
        pytest.param(b"FHS|^~\\&\nMSH|^~\\&|A|B|||2024||ORU|CIDA\n", "CIDA", id="after-fhs"),
        pytest.param(
            b"MSH|^~\\&|A|B|||2024||ORU^R01|\xff\xfe|P",
            "\xff\xfe",
            id="bad-bytes-read-as-latin-1-like-the-adapter",
        ),
        pytest.param(b"MSH|^~\\&|A|B|||2024||ORU^R01|C\\T\\7|P", "C&7", id="escapes-decoded"),
        pytest.param(b"MSH|^~\\&|A|B|||2024||ORU^R01||P", None, id="empty-control-id"),
        pytest.param(b"MSH|^~\\&|A|B", None, id="truncated"),
        pytest.param(b"MSH", None, id="msh-only"),
        pytest.param(b"", None, id="empty"),
        pytest.param(b"\x00\xff garbage", None, id="garbage"),
        pytest.param(b"PID|1|MSH|x", None, id="msh-not-at-segment-start"),
    ],
)
def test_peek_control_id(data: bytes, expected: str | None) -> None:
    assert peek_control_id(data) == expected


@pytest.mark.parametrize(("runs", "refused"), [(1000, False), (60_000, True)])
def test_separator_count_is_bounded(runs: int, refused: bool) -> None:
    """A run of repetition separators made python-hl7 build an object per
    separator (900 KB of "~": 31 s); over MAX_SEPARATORS the message is refused."""
    from radfollow.errors import HL7ParseError
    from radfollow.hl7.adapter import check_separator_count
    from radfollow.hl7.delimiters import Delimiters

    text = "MSH|^~\\&|A\rOBX|1|TX|||" + "~" * runs + "\r"
    if refused:
        with pytest.raises(HL7ParseError, match="separators; the limit is 50,000"):
            check_separator_count(text, Delimiters())
    else:
        check_separator_count(text, Delimiters())
