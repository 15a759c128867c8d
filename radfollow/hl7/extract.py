"""Field-level readers: PID patient and the OBR values of a report (MSH: hl7/header.py)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from radfollow.errors import HL7MissingDataError, HL7ParseError, quoted_code
from radfollow.hl7.fields import Reader, Segment
from radfollow.hl7.timefmt import parse_date
from radfollow.models import Coding, Patient, ResultStatus

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


def read_patient(segments: list[Segment], reader: Reader) -> Patient:
    """PID-3 (first repetition with an id), PID-7 date of birth, PID-8 sex."""
    pid = next((seg for seg in segments if seg.name == "PID"), None)
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
            )
    raise HL7MissingDataError("PID-3 patient identifier is empty")


def read_coding(raw_field: str, reader: Reader) -> Coding:
    """CE/CWE identifier^text^system, or the alternate triplet when the first is empty."""
    for first in (1, 4):
        code, text, system = (reader.value(raw_field, first + i) for i in range(3))
        if code or text:
            return Coding(code=code or None, text=text or None, system=system or None)
    return Coding()


def read_provider(raw_field: str, reader: Reader) -> str | None:
    """XCN ``ID^FAMILY^GIVEN^MIDDLE`` as ``GIVEN MIDDLE FAMILY (ID)``."""
    ident = reader.value(raw_field, 1)
    family, given, middle = (reader.value(raw_field, n) for n in (2, 3, 4))
    name = " ".join(part for part in (given, middle, family) if part)
    if name and ident:
        return f"{name} ({ident})"
    return name or ident or None


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
