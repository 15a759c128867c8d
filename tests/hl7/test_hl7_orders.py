"""parse_order_message: ORM^O01, OMI^O23 and SIU messages to OrderEvent, and rejections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from radfollow.errors import (
    HL7Error,
    HL7MissingDataError,
    HL7ParseError,
    HL7UnsupportedMessageError,
)
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.orders import ORDER_MESSAGE_TYPES, parse_order_message
from radfollow.models import Coding, OrderEvent, OrderEventKind, Patient

Fields = dict[int, str]
Segments = list[tuple[str, Fields]]

MSH: Fields = {3: "RIS", 4: "FACILITY_A", 7: "20240102083000", 10: "MSG0001", 11: "P", 12: "2.5.1"}
PID: Fields = {1: "1", 3: "PAT001^^^HOSP_A^MR", 5: "TESTPATIENT^ALPHA", 7: "19700101", 8: "F"}
ORC: Fields = {1: "NW", 2: "PLC1", 3: "FIL1", 12: "D123^DOCTOR^TEST"}
OBR: Fields = {
    1: "1",
    2: "PLC1",
    3: "FIL1",
    4: "CTCHEST^CT CHEST WITHOUT CONTRAST^L",
    16: "D999^OTHER^ODA",
    18: "ACC001",
    24: "CT",
    27: "^^^20240110093000",
}
TQ1: Fields = {1: "1", 7: "20240111140000"}
IPC: Fields = {1: "ACC777", 2: "RP1", 3: "1.2.3.4", 4: "SPS1", 5: "MR^MR^DCM"}
SCH: Fields = {1: "APT1", 2: "FAPT1", 7: "FU^FOLLOW-UP CT CHEST^L", 11: "^^^20240115100000"}
AIS: Fields = {1: "1", 3: "MRBRAIN^MR BRAIN^L", 4: "20240116080000"}


def _seg(name: str, fields: Fields) -> str:
    if name == "MSH":
        return "|".join(["MSH|^~\\&", *(fields.get(n, "") for n in range(3, max(fields) + 1))])
    return "|".join([name, *(fields.get(n, "") for n in range(1, max(fields, default=0) + 1))])


def _raw(message_type: str, body: Segments, *, msh: Fields | None = None) -> RawMessage:
    segments = [("MSH", {**MSH, 9: message_type, **(msh or {})}), *body]
    return RawMessage("orders.hl7", 3, ("\r".join(_seg(n, f) for n, f in segments) + "\r").encode())


def _orm(orc: Fields | None = None, obr: Fields | None = None, **kwargs: Fields) -> RawMessage:
    body: Segments = [
        ("PID", PID),
        ("ORC", {**ORC, **(orc or {})}),
        ("OBR", {**OBR, **(obr or {})}),
    ]
    return _raw("ORM^O01^ORM_O01", body, **kwargs)


def _siu(trigger: str, body: Segments | None = None) -> RawMessage:
    segments = body if body is not None else [("SCH", SCH), ("PID", PID), ("RGS", {1: "1"})]
    return _raw(f"SIU^{trigger}^SIU_S12", segments)


def _one(raw: RawMessage, **options: Any) -> OrderEvent:
    (event,) = parse_order_message(raw, **options)
    return event


def test_default_orm_maps_every_field() -> None:
    assert _one(_orm()).model_dump() == {
        "control_id": "MSG0001",
        "sending_facility": "FACILITY_A",
        "message_type": "ORM^O01",
        "event": OrderEventKind.ORDERED,
        "event_time": datetime(2024, 1, 2, 8, 30, tzinfo=UTC),
        "patient": Patient(
            id="PAT001", assigning_authority="HOSP_A", sex="F", birth_date=date(1970, 1, 1)
        ).model_dump(),
        "placer_order_number": "PLC1",
        "filler_order_number": "FIL1",
        "accession": "ACC001",
        "procedure": Coding(
            code="CTCHEST", text="CT CHEST WITHOUT CONTRAST", system="L"
        ).model_dump(),
        "modality": "CT",
        "scheduled_time": datetime(2024, 1, 10, 9, 30, tzinfo=UTC),
        "ordering_provider": "TEST DOCTOR (D123)",
        "source": "orders.hl7",
        "position": 3,
    }


@pytest.mark.parametrize(
    ("orc", "expected"),
    [
        pytest.param({1: "NW"}, OrderEventKind.ORDERED, id="NW-new"),
        pytest.param({1: "XO"}, OrderEventKind.ORDERED, id="XO-change"),
        pytest.param({1: "SC"}, OrderEventKind.ORDERED, id="SC-status-changed"),
        pytest.param({1: "SC", 5: "SC"}, OrderEventKind.ORDERED, id="SC-scheduled"),
        pytest.param({1: "SC", 5: "IP"}, OrderEventKind.ORDERED, id="SC-in-process"),
        pytest.param({1: "SC", 5: "CM"}, OrderEventKind.ORDERED, id="SC-completed"),
        pytest.param({1: "SC", 5: "CA"}, OrderEventKind.CANCELLED, id="SC-status-cancelled"),
        pytest.param({1: "SC", 5: "DC"}, OrderEventKind.CANCELLED, id="SC-status-discontinued"),
        pytest.param({1: "CA"}, OrderEventKind.CANCELLED, id="CA-cancel-request"),
        pytest.param({1: "OC"}, OrderEventKind.CANCELLED, id="OC-cancelled"),
        pytest.param({1: "DC"}, OrderEventKind.CANCELLED, id="DC-discontinue-request"),
        pytest.param({1: "CR"}, OrderEventKind.CANCELLED, id="CR-cancelled-as-requested"),
        pytest.param({1: "OD"}, OrderEventKind.CANCELLED, id="OD-discontinued"),
        pytest.param({1: "ca"}, OrderEventKind.CANCELLED, id="lower-case"),
        pytest.param({1: ""}, OrderEventKind.ORDERED, id="empty-is-an-order"),
    ],
)
def test_order_control(orc: Fields, expected: OrderEventKind) -> None:
    assert _one(_orm(orc=orc)).event == expected


@pytest.mark.parametrize("control", ["HD", "RP", "ZZ", "N W"])
def test_unsupported_order_control_is_rejected(control: str) -> None:
    with pytest.raises(HL7UnsupportedMessageError, match=r"^ORC-1 order control .* not supported"):
        parse_order_message(_orm(orc={1: control}))


def test_obr_without_orc_is_a_new_order() -> None:
    event = _one(_raw("ORM^O01", [("PID", PID), ("OBR", OBR)]))
    assert (event.event, event.placer_order_number, event.ordering_provider) == (
        OrderEventKind.ORDERED,
        "PLC1",
        "ODA OTHER (D999)",
    )


@pytest.mark.parametrize(
    ("message_type", "expected"),
    [
        pytest.param("ORM^O01", OrderEventKind.ORDERED, id="ORM^O01"),
        pytest.param("OMI^O23^OMI_O23", OrderEventKind.ORDERED, id="OMI^O23"),
        pytest.param("SIU^S12", OrderEventKind.SCHEDULED, id="SIU^S12-booked"),
        pytest.param("SIU^S13", OrderEventKind.SCHEDULED, id="SIU^S13-rescheduled"),
        pytest.param("SIU^S14", OrderEventKind.SCHEDULED, id="SIU^S14-modified"),
        pytest.param("SIU^S15", OrderEventKind.CANCELLED, id="SIU^S15-cancelled"),
        pytest.param("SIU^S17", OrderEventKind.CANCELLED, id="SIU^S17-deleted"),
        pytest.param("SIU^S26", OrderEventKind.NO_SHOW, id="SIU^S26-no-show"),
        pytest.param("siu^s26", OrderEventKind.NO_SHOW, id="lower-case"),
    ],
)
def test_message_types(message_type: str, expected: OrderEventKind) -> None:
    siu = message_type.upper().startswith("SIU")
    body: Segments = (
        [("SCH", SCH), ("PID", PID)] if siu else [("PID", PID), ("ORC", ORC), ("OBR", OBR)]
    )
    event = _one(_raw(message_type, body))
    shown = "^".join(message_type.upper().split("^")[:2])
    assert (event.event, event.message_type) == (expected, shown)
    assert shown in ORDER_MESSAGE_TYPES


@pytest.mark.parametrize(
    ("message_type", "shown"),
    [
        pytest.param("ORM^O05", "ORM^O05", id="unknown-trigger"),
        pytest.param("ORU^R01", "ORU^R01", id="a-report"),
        pytest.param("ADT^A01", "ADT^A01", id="adt"),
        pytest.param("SIU^S16", "SIU^S16", id="siu-discontinuation"),
        pytest.param("OMI", "OMI", id="no-trigger"),
        pytest.param("", "(empty)", id="empty"),
        pytest.param("PAT<SMITH>^X", "(a value that is not a code)", id="not-a-code"),
    ],
)
def test_other_message_types_are_rejected(message_type: str, shown: str) -> None:
    with pytest.raises(HL7UnsupportedMessageError) as info:
        parse_order_message(_raw(message_type, [("PID", PID), ("ORC", ORC), ("OBR", OBR)]))
    assert str(info.value).startswith(f"MSH-9 {shown} is not an order or appointment message")


@pytest.mark.parametrize(
    ("msh", "error", "match"),
    [
        pytest.param({12: "3.0"}, HL7UnsupportedMessageError, "MSH-12", id="not-v2"),
        pytest.param({10: ""}, HL7MissingDataError, "MSH-10", id="no-control-id"),
        pytest.param({12: "2.3"}, None, None, id="v2.3-accepted"),
    ],
)
def test_header_checks(msh: Fields, error: type[HL7Error] | None, match: str | None) -> None:
    if error is None:
        assert _one(_orm(msh=msh)).control_id == "MSG0001"
        return
    with pytest.raises(error, match=match):
        parse_order_message(_orm(msh=msh))


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("orc", "obr", "tz", "expected"),
    [
        pytest.param({}, {}, UTC, datetime(2024, 1, 10, 9, 30, tzinfo=UTC), id="obr27-utc"),
        pytest.param({}, {}, BERLIN, datetime(2024, 1, 10, 9, 30, tzinfo=BERLIN), id="default-tz"),
        pytest.param(
            {},
            {27: "^^^202401100930-0500"},
            BERLIN,
            datetime(2024, 1, 10, 9, 30, tzinfo=timezone(timedelta(hours=-5))),
            id="offset-kept",
        ),
        pytest.param(
            {},
            {27: "^^^20240110093000&S"},
            UTC,
            datetime(2024, 1, 10, 9, 30, tzinfo=UTC),
            id="v2.3-ts-precision",
        ),
        pytest.param(
            {7: "^^^20240112"},
            {27: ""},
            UTC,
            datetime(2024, 1, 12, tzinfo=UTC),
            id="orc7-when-no-obr27",
        ),
        pytest.param({}, {27: ""}, UTC, None, id="none"),
    ],
)
def test_order_scheduled_time(orc: Fields, obr: Fields, tz: object, expected: object) -> None:
    assert _one(_orm(orc=orc, obr=obr), default_tz=tz).scheduled_time == expected


@pytest.mark.parametrize(
    ("msh7", "tz", "expected"),
    [
        pytest.param("20240102083000", UTC, datetime(2024, 1, 2, 8, 30, tzinfo=UTC), id="utc"),
        pytest.param(
            "20240102083000", BERLIN, datetime(2024, 1, 2, 8, 30, tzinfo=BERLIN), id="site-zone"
        ),
        pytest.param(
            "20240102083000+0100",
            UTC,
            datetime(2024, 1, 2, 8, 30, tzinfo=timezone(timedelta(hours=1))),
            id="offset",
        ),
        pytest.param("", UTC, None, id="absent"),
    ],
)
def test_event_time_is_msh7(msh7: str, tz: object, expected: object) -> None:
    assert _one(_orm(msh={7: msh7}), default_tz=tz).event_time == expected


@pytest.mark.parametrize(
    ("raw", "where", "secret"),
    [
        pytest.param(_orm(obr={27: "^^^2024X110"}), "OBR-27.4", "2024X110", id="obr27"),
        pytest.param(_orm(msh={7: "2024010299"}), "MSH-7", "2024010299", id="msh7"),
        pytest.param(
            _siu("S12", [("SCH", SCH), ("PID", PID), ("AIS", {**AIS, 4: "20241399"})]),
            "AIS-4",
            "20241399",
            id="ais4",
        ),
    ],
)
def test_bad_times_name_the_field_not_the_value(raw: RawMessage, where: str, secret: str) -> None:
    with pytest.raises(HL7ParseError) as info:
        parse_order_message(raw)
    assert where in str(info.value)
    assert secret not in str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(_raw("ORM^O01", [("ORC", ORC), ("OBR", OBR)]), id="orm"),
        pytest.param(_siu("S12", [("SCH", SCH), ("RGS", {1: "1"}), ("AIS", AIS)]), id="siu"),
    ],
)
def test_missing_pid(raw: RawMessage) -> None:
    with pytest.raises(HL7MissingDataError, match="no PID segment"):
        parse_order_message(raw)


def test_omi_with_tq1_and_ipc() -> None:
    body: Segments = [
        ("PID", PID),
        ("PV1", {1: "1", 2: "O"}),
        ("ORC", ORC),
        ("TQ1", TQ1),
        ("OBR", {**OBR, 4: "MRBRAIN^MR BRAIN^L", 24: "", 27: ""}),
        ("IPC", IPC),
        ("IPC", {**IPC, 1: "ACC888", 5: "CT"}),
    ]
    event = _one(_raw("OMI^O23^OMI_O23", body))
    assert (event.accession, event.modality, event.scheduled_time) == (
        "ACC777",
        "MR",
        datetime(2024, 1, 11, 14, tzinfo=UTC),
    )


def test_tq1_before_obr27() -> None:
    body: Segments = [("PID", PID), ("ORC", ORC), ("TQ1", TQ1), ("OBR", OBR)]
    assert _one(_raw("ORM^O01", body)).scheduled_time == datetime(2024, 1, 11, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("orc", "obr", "options", "expected"),
    [
        pytest.param({}, {}, {}, "ACC001", id="obr18"),
        pytest.param({3: "FIL9"}, {18: ""}, {}, "FIL9", id="orc3"),
        pytest.param({3: ""}, {18: "", 3: "FIL8"}, {}, "FIL8", id="obr3"),
        pytest.param({3: ""}, {18: "", 3: ""}, {}, None, id="none"),
        pytest.param({}, {}, {"accession_fields": ("OBR-3",)}, "FIL1", id="site-fields"),
    ],
)
def test_accession(orc: Fields, obr: Fields, options: dict, expected: str | None) -> None:
    assert _one(_orm(orc=orc, obr=obr), **options).accession == expected


@pytest.mark.parametrize(
    ("orc", "obr", "expected"),
    [
        pytest.param({}, {}, ("PLC1", "FIL1", "TEST DOCTOR (D123)"), id="orc"),
        pytest.param(
            {2: "", 3: "", 12: ""}, {}, ("PLC1", "FIL1", "ODA OTHER (D999)"), id="obr-fallback"
        ),
        pytest.param({2: "", 3: "", 12: ""}, {2: "", 16: ""}, (None, "FIL1", None), id="absent"),
    ],
)
def test_order_numbers_and_provider(orc: Fields, obr: Fields, expected: tuple) -> None:
    event = _one(_orm(orc=orc, obr=obr))
    assert (event.placer_order_number, event.filler_order_number, event.ordering_provider) == (
        expected
    )


@pytest.mark.parametrize(
    ("obr", "expected"),
    [
        pytest.param({24: "CT"}, "CT", id="obr24"),
        pytest.param({24: "", 4: "X^MRI BRAIN"}, "MR", id="from-procedure-text"),
        pytest.param({24: "", 4: "X^CONSULTATION"}, None, id="unknown"),
    ],
)
def test_order_modality(obr: Fields, expected: str | None) -> None:
    assert _one(_orm(obr=obr)).modality == expected


def test_two_order_groups_give_two_events() -> None:
    body: Segments = [
        ("PID", PID),
        ("ORC", ORC),
        ("OBR", OBR),
        ("NTE", {1: "1", 3: "Note"}),
        ("ORC", {1: "CA", 2: "PLC2", 3: "FIL2"}),
        ("OBR", {1: "2", 2: "PLC2", 3: "FIL2", 4: "USABD^US ABDOMEN^L", 18: "ACC002"}),
    ]
    events = parse_order_message(_raw("ORM^O01", body))
    assert [(e.event, e.accession, e.modality) for e in events] == [
        (OrderEventKind.ORDERED, "ACC001", "CT"),
        (OrderEventKind.CANCELLED, "ACC002", "US"),
    ]


def test_orc_without_obr_is_its_own_group() -> None:
    body: Segments = [
        ("PID", PID),
        ("ORC", {1: "CA", 2: "PLC2", 3: "FIL2"}),
        ("ORC", ORC),
        ("OBR", OBR),
    ]
    events = parse_order_message(_raw("ORM^O01", body))
    assert [(e.event, e.filler_order_number, e.procedure.code) for e in events] == [
        (OrderEventKind.CANCELLED, "FIL2", None),
        (OrderEventKind.ORDERED, "FIL1", "CTCHEST"),
    ]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        pytest.param(
            [("PID", PID), ("ORC", {1: "CA"})], "no order number .* order group 1", id="empty-orc"
        ),
        pytest.param(
            [("PID", PID), ("ORC", ORC), ("OBR", OBR), ("ORC", {1: "NW"}), ("OBR", {1: "2"})],
            "no order number .* order group 2",
            id="second-group-empty",
        ),
        pytest.param([("PID", PID), ("NTE", {1: "1"})], "no ORC or OBR segment", id="no-group"),
    ],
)
def test_order_without_numbers_or_procedure(body: Segments, match: str) -> None:
    with pytest.raises(HL7MissingDataError, match=match):
        parse_order_message(_raw("ORM^O01", body))


def test_siu_with_ais() -> None:
    body: Segments = [("SCH", SCH), ("TQ1", TQ1), ("PID", PID), ("RGS", {1: "1"}), ("AIS", AIS)]
    assert _one(_siu("S12", body)).model_dump(exclude={"patient", "event_time"}) == {
        "control_id": "MSG0001",
        "sending_facility": "FACILITY_A",
        "message_type": "SIU^S12",
        "event": OrderEventKind.SCHEDULED,
        "placer_order_number": "APT1",
        "filler_order_number": "FAPT1",
        "accession": None,
        "procedure": Coding(code="MRBRAIN", text="MR BRAIN", system="L").model_dump(),
        "modality": "MR",
        "scheduled_time": datetime(2024, 1, 16, 8, tzinfo=UTC),
        "ordering_provider": None,
        "source": "orders.hl7",
        "position": 3,
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            [("SCH", SCH), ("PID", PID)],
            ("FU", "CT", datetime(2024, 1, 15, 10, tzinfo=UTC)),
            id="no-ais-sch7-and-sch11",
        ),
        pytest.param(
            [("SCH", SCH), ("TQ1", TQ1), ("PID", PID)],
            ("FU", "CT", datetime(2024, 1, 11, 14, tzinfo=UTC)),
            id="no-ais-tq1-before-sch11",
        ),
        pytest.param(
            [("SCH", SCH), ("PID", PID), ("RGS", {1: "1"}), ("AIS", {1: "1"}), ("AIS", AIS)],
            ("MRBRAIN", "MR", datetime(2024, 1, 16, 8, tzinfo=UTC)),
            id="first-ais-with-a-service",
        ),
        pytest.param(
            [("SCH", {1: "APT1", 11: "^^^20240115100000+0200"}), ("PID", PID)],
            (None, None, datetime(2024, 1, 15, 10, tzinfo=timezone(timedelta(hours=2)))),
            id="no-procedure-offset",
        ),
        pytest.param(
            [("SCH", {1: "", 2: "FAPT1"}), ("PID", PID)], (None, None, None), id="no-time"
        ),
    ],
)
def test_siu_procedure_and_time(body: Segments, expected: tuple) -> None:
    event = _one(_siu("S13", body))
    assert (event.procedure.code, event.modality, event.scheduled_time) == expected


def test_siu_s26_no_show() -> None:
    event = _one(_siu("S26", [("SCH", {1: "APT1"}), ("PID", PID)]))
    assert (event.event, event.placer_order_number, event.filler_order_number) == (
        OrderEventKind.NO_SHOW,
        "APT1",
        None,
    )


@pytest.mark.parametrize(
    ("body", "match"),
    [
        pytest.param(
            [("PID", PID), ("RGS", {1: "1"}), ("AIS", AIS)], "no SCH segment", id="no-sch"
        ),
        pytest.param([("SCH", {1: ""}), ("PID", PID)], "no appointment id", id="empty-sch"),
    ],
)
def test_siu_missing_data(body: Segments, match: str) -> None:
    with pytest.raises(HL7MissingDataError, match=match):
        parse_order_message(_siu("S15", body))


def test_siu_placer_id_from_arq() -> None:
    body: Segments = [("ARQ", {1: "REQ1"}), ("SCH", {1: "", 2: "", 7: "X^CT HEAD"}), ("PID", PID)]
    assert _one(_siu("S12", body)).placer_order_number == "REQ1"
