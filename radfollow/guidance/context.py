"""What the guidance engine, the measures and the checks know of one report besides its
findings: the exam, the order and the patient (issue 16).

Built from an HL7 report (:meth:`ReportContext.of_report`: OBR-4, OBR-7, OBR-24, PID-7,
PID-8) or from a JSONL input line's metadata (:meth:`ReportContext.of_metadata`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from radfollow.models import RadiologyReport


class ReportContext(BaseModel):
    """One report's text with its exam and patient facts; every fact may be unknown (None)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    indication: str | None = None
    procedure: str | None = Field(default=None, description="OBR-4 text, e.g. 'CT CHEST W/O'.")
    exam_modality: str | None = Field(default=None, description="DICOM-style: CT, MR, US...")
    exam_date: date | None = Field(default=None, description="OBR-7's date.")
    exam_time: datetime | None = Field(
        default=None, description="OBR-7 with its offset; None when unknown or without one."
    )
    birth_date: date | None = Field(default=None, description="PID-7.")
    sex: str | None = Field(default=None, description="PID-8 (HL7 table 0001): F, M, O, U...")
    age_years: float | None = Field(
        default=None, description="Given directly (JSONL 'age'); else from PID-7 and OBR-7."
    )
    radiologist: str | None = Field(default=None, description="OBR-32, for the measures.")

    @property
    def age(self) -> float | None:
        """Age at the exam in whole years: ``age_years`` when given, else from the birth
        date and the exam date; None when either is unknown or the dates disagree."""
        if self.age_years is not None:
            return self.age_years
        if self.birth_date is None or self.exam_date is None:
            return None
        born, on = self.birth_date, self.exam_date
        years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return float(years) if years >= 0 else None

    @property
    def female(self) -> bool | None:
        """PID-8 F -> True, M -> False, anything else (O, U, A, N, unknown) -> None."""
        code = (self.sex or "").strip().upper()[:1]
        return {"F": True, "M": False}.get(code)

    @classmethod
    def of_report(cls, report: RadiologyReport) -> ReportContext:
        """The context of an HL7 report."""
        observed = report.observation_time
        return cls(
            text=report.text,
            indication=report.indication,
            procedure=report.procedure.text or report.procedure.code,
            exam_modality=report.modality,
            exam_date=observed.date() if observed else None,
            exam_time=observed if observed and observed.tzinfo else None,
            birth_date=report.patient.birth_date,
            sex=report.patient.sex,
            radiologist=report.principal_interpreter,
        )

    @classmethod
    def of_metadata(cls, text: str, record: Mapping[str, Any]) -> ReportContext:
        """The context of a JSONL input line: ``text`` and the optional keys ``indication``,
        ``procedure``, ``modality``, ``observation_time`` (or ``exam_date``),
        ``birth_date``, ``sex``, ``age`` (years: a number or a string holding one) and
        ``radiologist``. A value of the wrong shape is left unknown rather than failing
        the line."""
        values: dict[str, Any] = {"text": text}
        for key, field in (
            ("indication", "indication"),
            ("procedure", "procedure"),
            ("modality", "exam_modality"),
            ("sex", "sex"),
            ("radiologist", "radiologist"),
        ):
            if isinstance(record.get(key), str):
                values[field] = record[key]
        exam = record.get("observation_time") or record.get("exam_date")
        values["exam_date"] = _date(exam)
        values["exam_time"] = _aware(exam)
        values["birth_date"] = _date(record.get("birth_date"))
        age = _number(record.get("age"))
        if age is not None and 0 <= age < 150:
            values["age_years"] = age
        try:
            return cls(**values)
        except ValidationError:  # pragma: no cover - every value was checked above
            return cls(text=text)


def _aware(value: object) -> datetime | None:
    """An ISO 8601 date-time string with an offset; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _number(value: object) -> float | None:
    """A number, or a string holding one ("60", " 60.5 "); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _date(value: object) -> date | None:
    """An ISO date or date-time string's date; None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
