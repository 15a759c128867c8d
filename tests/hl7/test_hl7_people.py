"""People and places of a report: OBR-32 interpreter, PV1-2 class, PV1-3/ORC-21
department, PID-11 postal code (docs/hl7-orders.md). Each field has positive
cases and negative (absent or unknown) ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel

from radfollow.hl7 import parse_message
from radfollow.models import Patient, PatientClass, RadiologyReport

if TYPE_CHECKING:
    from conftest import HL7Builder


def _reports(
    build: HL7Builder, *, pv1: dict[int, str] | None = None, **parts: Any
) -> list[RadiologyReport]:
    """Reports of the default ORU, with a PV1 after the PID when ``pv1`` is given."""
    segments = build.oru(**parts).split("\r")
    if pv1 is not None:
        segments.insert(2, build.seg("PV1", pv1))
    return parse_message(build.raw("\r".join(segments)))


@pytest.mark.parametrize(
    ("obr32", "expected"),
    [
        pytest.param("D456&READER&RITA&M", "RITA M READER (D456)", id="id-and-full-name"),
        pytest.param("D456&READER&RITA^20240101^20240102", "RITA READER (D456)", id="with-times"),
        pytest.param("&READER&RITA", "RITA READER", id="name-only"),
        pytest.param("D456", "D456", id="id-only"),
        pytest.param("D456&READER&RITA~D789&OTHER&OLA", "RITA READER (D456)", id="first-rep"),
        pytest.param("D456&READ\\T\\ER&RITA", "RITA READ&ER (D456)", id="escaped-subcomponent"),
        pytest.param("", None, id="absent"),
        pytest.param("^20240101", None, id="times-without-person"),
        pytest.param('""', None, id="hl7-null"),
    ],
)
def test_principal_interpreter(build: HL7Builder, obr32: str, expected: str | None) -> None:
    (report,) = _reports(build, obr={32: obr32})
    assert report.principal_interpreter == expected


def test_interpreter_formats_like_the_ordering_provider(build: HL7Builder) -> None:
    (report,) = _reports(build, obr={16: "D1^FAMILY^GIVEN^MID", 32: "D1&FAMILY&GIVEN&MID"})
    assert report.principal_interpreter == report.ordering_provider == "GIVEN MID FAMILY (D1)"


@pytest.mark.parametrize(
    ("pv1", "orc", "expected"),
    [
        pytest.param({3: "CT1^R1^B1^MAIN"}, None, "CT1", id="point-of-care"),
        pytest.param({3: "^^^MAIN&1.2.3&ISO"}, None, "MAIN", id="facility-namespace"),
        pytest.param({3: "CT1"}, {1: "RE", 21: "RADIOLOGY^L^123"}, "CT1", id="pv1-before-orc21"),
        pytest.param(None, {1: "RE", 21: "RADIOLOGY^L^123"}, "RADIOLOGY", id="orc21-no-pv1"),
        pytest.param({2: "O"}, {1: "RE", 21: "RADIOLOGY"}, "RADIOLOGY", id="orc21-empty-pv1-3"),
        pytest.param({3: "^R1^B1"}, None, None, id="room-and-bed-only"),
        pytest.param({2: "O"}, None, None, id="pv1-without-location"),
        pytest.param(None, {1: "RE"}, None, id="orc-without-facility"),
        pytest.param(None, None, None, id="absent"),
    ],
)
def test_department(
    build: HL7Builder, pv1: dict[int, str] | None, orc: dict[int, str] | None, expected: str | None
) -> None:
    (report,) = _reports(build, pv1=pv1, orc=orc)
    assert report.department == expected


def test_department_of_each_group_from_its_own_orc(build: HL7Builder) -> None:
    first = build.oru(orc={1: "RE", 21: "WARD A"}).rstrip("\r").split("\r")
    second = [
        build.seg("ORC", {1: "RE", 21: "WARD B"}),
        build.seg("OBR", {1: "2", 3: "ACC002", 4: "X^MR BRAIN"}),
        build.seg("OBX", {1: "1", 2: "TX", 5: "Normal."}),
    ]
    reports = parse_message(build.raw("\r".join([*first, *second]) + "\r"))
    assert [r.department for r in reports] == ["WARD A", "WARD B"]


@pytest.mark.parametrize(
    ("pv1", "expected"),
    [
        pytest.param({2: "E"}, PatientClass.EMERGENCY, id="E"),
        pytest.param({2: "I"}, PatientClass.INPATIENT, id="I"),
        pytest.param({2: "O"}, PatientClass.OUTPATIENT, id="O"),
        pytest.param({2: "P"}, PatientClass.PREADMIT, id="P"),
        pytest.param({2: "R"}, PatientClass.RECURRING, id="R"),
        pytest.param({2: "B"}, PatientClass.OBSTETRICS, id="B"),
        pytest.param({2: "e"}, PatientClass.EMERGENCY, id="lower-case"),
        pytest.param({2: "O^Outpatient^HL70004"}, PatientClass.OUTPATIENT, id="v2.7-cwe"),
        pytest.param({2: "C"}, None, id="C-commercial"),
        pytest.param({2: "N"}, None, id="N-not-applicable"),
        pytest.param({2: "U"}, None, id="U-unknown"),
        pytest.param({2: "ZZ"}, None, id="site-code"),
        pytest.param({2: ""}, None, id="empty"),
        pytest.param(None, None, id="no-pv1"),
    ],
)
def test_patient_class(
    build: HL7Builder, pv1: dict[int, str] | None, expected: PatientClass | None
) -> None:
    (report,) = _reports(build, pv1=pv1)
    assert report.patient_class == expected


@pytest.mark.parametrize(
    ("pid11", "expected"),
    [
        pytest.param("1 MAIN ST^^TOWN^ST^12345^USA", "12345", id="zip"),
        pytest.param("^^BERLIN^^10115^DEU^H", "10115", id="postal-code"),
        pytest.param("^^TOWN^^ 12345-6789 ", "12345-6789", id="stripped-zip-plus-4"),
        pytest.param("^^TOWN^^SW1A 1AA~^^OLD^^EC1A 1BB", "SW1A 1AA", id="first-repetition"),
        pytest.param("~^^TOWN^^12345", None, id="empty-first-repetition"),
        pytest.param("1 MAIN ST^^TOWN", None, id="no-component-5"),
        pytest.param("", None, id="absent"),
    ],
)
def test_postal_code(build: HL7Builder, pid11: str, expected: str | None) -> None:
    (report,) = _reports(build, pid={11: pid11})
    assert report.patient.postal_code == expected


@pytest.mark.parametrize(
    ("model", "field", "hl7_field"),
    [
        (RadiologyReport, "principal_interpreter", "OBR-32"),
        (RadiologyReport, "department", "PV1-3"),
        (RadiologyReport, "department", "ORC-21"),
        (RadiologyReport, "patient_class", "PV1-2"),
        (Patient, "postal_code", "PID-11"),
    ],
)
def test_fields_name_their_hl7_field(model: type[BaseModel], field: str, hl7_field: str) -> None:
    assert hl7_field in (model.model_fields[field].description or "")
