"""Field-level readers: PID patient, PV1 visit and the OBR values of a report (MSH:
hl7/header.py). Field numbers and tables are those of HL7 v2.5.1 chapters 3
(PID, PV1), 4 (ORC, OBR-32) and 7 (OBR)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from radfollow.errors import HL7MissingDataError, HL7ParseError, quoted_code
from radfollow.hl7.fields import Reader, Segment
from radfollow.hl7.timefmt import parse_date
from radfollow.models import Coding, Patient, PatientClass, ResultStatus

# OBR-25 (HL7 table 0123). Absent means final; A (some results available) and
# R (stored, not yet verified) are not final, so they read as preliminary.
RESULT_STATUSES: Mapping[str, ResultStatus] = MappingProxyType(
    {
        "": ResultStatus.FINAL,
        "P": ResultStatus.PRELIMINARY,
        "F": ResultStatus.FINAL,
        "C": ResultStatus.CORRECTED,
        "X": ResultStatus.CANCELLED,
        "A": ResultStatus.PRELIMINARY,
        "R": ResultStatus.PRELIMINARY,
    }
)

# PV1-2 (HL7 table 0004). C (commercial account), N (not applicable), U (unknown)
# and anything else read as None.
PATIENT_CLASSES: Mapping[str, PatientClass] = MappingProxyType(
    {
        "E": PatientClass.EMERGENCY,
        "I": PatientClass.INPATIENT,
        "O": PatientClass.OUTPATIENT,
        "P": PatientClass.PREADMIT,
        "R": PatientClass.RECURRING,
        "B": PatientClass.OBSTETRICS,
    }
)


def read_patient(segments: list[Segment], reader: Reader) -> Patient:
    """PID-3 (first repetition with an id), PID-7 date of birth, PID-8 sex, PID-11
    postal code (first repetition, XAD component 5)."""
    pid = find_segment(segments, "PID")
    if pid is None:
        raise HL7MissingDataError("no PID segment")
    for repetition in reader.repetitions(pid.raw(3)):
        patient_id = reader.component(repetition, 1)
        if patient_id:
            authority = reader.component(repetition, 4, 1) or reader.component(repetition, 4, 2)
            return Patient(
                id=patient_id,
                assigning_authority=authority or None,
                sex=reader.value(pid.raw(8)).upper() or None,
                birth_date=parse_date(reader.value(pid.raw(7)), where="PID-7"),
                postal_code=reader.value(pid.raw(11), 5) or None,
            )
    raise HL7MissingDataError("PID-3 patient identifier is empty")


def read_coding(raw_field: str, reader: Reader) -> Coding:
    """CE/CWE identifier^text^system, or the alternate triplet when the first is empty."""
    for first in (1, 4):
        code, text, system = (reader.value(raw_field, first + i) for i in range(3))
        if code or text:
            return Coding(code=code or None, text=text or None, system=system or None)
    return Coding()


def person_name(ident: str, family: str, given: str, middle: str) -> str | None:
    """``GIVEN MIDDLE FAMILY (ID)``, leaving out the empty parts; None when all are empty."""
    name = " ".join(part for part in (given, middle, family) if part)
    if name and ident:
        return f"{name} ({ident})"
    return name or ident or None


def read_provider(raw_field: str, reader: Reader) -> str | None:
    """XCN ``ID^FAMILY^GIVEN^MIDDLE`` as ``GIVEN MIDDLE FAMILY (ID)``."""
    ident, family, given, middle = (reader.value(raw_field, n) for n in (1, 2, 3, 4))
    return person_name(ident, family, given, middle)


def read_interpreter(obr: Segment, reader: Reader) -> str | None:
    """OBR-32 principal result interpreter (NDL): component 1 is a CNN whose
    sub-components are ``ID&FAMILY&GIVEN&MIDDLE``; read as :func:`read_provider`."""
    ident, family, given, middle = (reader.value(obr.raw(32), 1, n) for n in (1, 2, 3, 4))
    return person_name(ident, family, given, middle)


def find_segment(segments: list[Segment], name: str) -> Segment | None:
    """The first segment called ``name``, or None."""
    return next((seg for seg in segments if seg.name == name), None)


def read_patient_class(segments: list[Segment], reader: Reader) -> PatientClass | None:
    """PV1-2 patient class (table 0004); None without PV1 or for C, N, U and other codes."""
    pv1 = find_segment(segments, "PV1")
    return PATIENT_CLASSES.get(reader.value(pv1.raw(2)).upper()) if pv1 else None


def read_department(pv1: Segment | None, orc: Segment | None, reader: Reader) -> str | None:
    """PV1-3 assigned patient location (PL): point of care (component 1), else facility
    (component 4, sub-component 1); else ORC-21 ordering facility name (XON component 1)."""
    if pv1 is not None:
        location = pv1.raw(3)
        found = reader.value(location, 1) or reader.value(location, 4, 1)
        if found:
            return found
    return (reader.value(orc.raw(21), 1) or None) if orc is not None else None


def read_indication(obr: Segment, reader: Reader) -> str | None:
    """OBR-13 (relevant clinical information), else OBR-31 (reason for study) text."""
    for number in (13, 31):
        texts = [reader.coded_text(rep) for rep in reader.repetitions(obr.raw(number))]
        found = [text for text in texts if text]
        if found:
            return "; ".join(found)
    return None


def read_result_status(obr: Segment, reader: Reader) -> ResultStatus:
    code = reader.value(obr.raw(25)).upper()
    status = RESULT_STATUSES.get(code)
    if status is None:
        raise HL7ParseError(
            f"OBR-25 result status {quoted_code(code)} is not supported "
            "(P, F, C, X; A and R read as P)"
        )
    return status
