"""Typed records shared by every boundary: JSONL output, FHIR mapping, tracker.

One schema drives every output (STYLE.md #9). The JSONL record follows
ANNOTATION.md section 3; extra keys are allowed there and used for HL7
identifiers and linking.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The largest report text radfollow processes, in characters (docs/processing.md,
#: "Maximum report size"): 15 times the longest report of the shared corpora, a few
#: seconds of NLP (benchmarks/sentences.py). Larger reports are rejected one by one
#: (RF202); a site can change it with ``PipelineConfig.max_length``.
MAX_REPORT_CHARS = 100_000


class Assertion(StrEnum):
    PRESENT = "present"
    POSSIBLE = "possible"
    ABSENT = "absent"
    HISTORICAL = "historical"
    HYPOTHETICAL = "hypothetical"


class FindingType(StrEnum):
    PULMONARY_NODULE = "pulmonary_nodule"
    LUNG_MASS = "lung_mass"
    THYROID_NODULE = "thyroid_nodule"
    ADRENAL_NODULE = "adrenal_nodule"
    RENAL_LESION = "renal_lesion"
    HEPATIC_LESION = "hepatic_lesion"
    PANCREATIC_LESION = "pancreatic_lesion"
    ADNEXAL_LESION = "adnexal_lesion"
    AORTIC_ANEURYSM = "aortic_aneurysm"
    LYMPHADENOPATHY = "lymphadenopathy"
    BREAST_LESION = "breast_lesion"
    BONE_LESION = "bone_lesion"
    OTHER_MASS = "other_mass"


class IncidentalReason(StrEnum):
    """Why a present or possible finding is not incidental (issue 13), first that applies."""

    PROCEDURE_TARGET = "procedure_target"  # the report is a procedure on it
    INDICATION = "indication"  # the indication or history names it, its disease or its type
    KNOWN_PRIOR = "known_prior"  # described as known disease against a prior study
    BENIGN = "benign"  # the report calls it benign


class Composition(StrEnum):
    """Composition of a nodule or lesion as the report states it (Fleischner 2017 terms)."""

    SOLID = "solid"
    PART_SOLID = "part-solid"
    GROUND_GLASS = "ground-glass"
    CYSTIC = "cystic"
    CALCIFIED = "calcified"


class Multiplicity(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"


class Modality(StrEnum):
    """Recommended-action kinds of ANNOTATION.md section 1."""

    CT = "CT"
    MR = "MR"
    US = "US"
    XR = "XR"
    MG = "MG"
    NM = "NM"
    PET = "PET"
    FLUORO = "FLUORO"
    BIOPSY = "BIOPSY"
    PROCEDURE = "PROCEDURE"
    CONSULT = "CONSULT"
    LAB = "LAB"
    OTHER = "OTHER"


class Laterality(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class ResultStatus(StrEnum):
    """OBR-25 result status (HL7 table 0123), the values radfollow maps."""

    PRELIMINARY = "P"
    FINAL = "F"
    CORRECTED = "C"
    CANCELLED = "X"


_RECORD_CONFIG = ConfigDict(extra="forbid", frozen=False)


class Finding(BaseModel):
    """One finding mention (ANNOTATION.md section 2)."""

    model_config = _RECORD_CONFIG

    id: str = Field(description="Stable id within the report, e.g. 'f1'.")
    type: FindingType
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    assertion: Assertion
    benign: bool = False
    incidental: bool = False
    size_mm: list[float] | None = None
    section: str | None = None
    laterality: Laterality | None = None
    location: str | None = None
    sentence: str | None = Field(default=None, description="The sentence quoted as evidence.")
    incidental_reason: IncidentalReason | None = Field(
        default=None,
        description="Why a present/possible finding is not incidental; null when it is, or"
        " when it is absent, historical or hypothetical.",
    )
    composition: Composition | None = None
    multiplicity: Multiplicity | None = Field(
        default=None, description="single / multiple ('nodules', 'several cysts'); null: unstated."
    )
    largest_size_mm: float | None = Field(
        default=None, ge=0, description="Largest dimension stated for it, in mm."
    )
    density_hu: float | None = Field(
        default=None, description="Attenuation stated for it, in Hounsfield units."
    )


class Recommendation(BaseModel):
    """One follow-up recommendation (ANNOTATION.md section 1)."""

    model_config = _RECORD_CONFIG

    id: str = Field(description="Stable id within the report, e.g. 'r1'.")
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    modality: Modality | None = None
    body_region: str | None = None
    interval_months: tuple[float, float] | None = None
    conditional: bool = False
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    finding_id: str | None = Field(default=None, description="Id of the finding it refers to.")
    section: str | None = None
    modality_options: list[Modality] = Field(
        default_factory=list,
        description=(
            "The acceptable modalities in sentence order ('CT or MRI' -> [CT, MR]);"
            " the first is 'modality'; [] when there is none."
        ),
    )

    @model_validator(mode="after")
    def _options_start_with_modality(self) -> Recommendation:
        """Fill ``modality_options`` from ``modality`` (or the reverse) when only one is given.

        Raises ValueError when both are given and the first option is not ``modality``.
        """
        if not self.modality_options:
            if self.modality is not None:
                self.modality_options = [self.modality]
        elif self.modality is None:
            self.modality = self.modality_options[0]
        elif self.modality_options[0] != self.modality:
            raise ValueError("modality_options must start with modality")
        return self


class PatientClass(StrEnum):
    """PV1-2 patient class (HL7 v2.5.1 table 0004), the values radfollow maps.

    C (commercial account), N (not applicable), U (unknown) and site codes read as None.
    """

    EMERGENCY = "emergency"  # E
    INPATIENT = "inpatient"  # I
    OUTPATIENT = "outpatient"  # O
    PREADMIT = "preadmit"  # P
    RECURRING = "recurring"  # R
    OBSTETRICS = "obstetrics"  # B


class Patient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    assigning_authority: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    postal_code: str | None = Field(
        default=None, description="PID-11 patient address, first repetition, component 5."
    )


class Coding(BaseModel):
    """A coded value as HL7 v2 CE/CWE carries it (identifier^text^system)."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = None
    text: str | None = None
    system: str | None = None


class RadiologyReport(BaseModel):
    """One ORU^R01 observation request (OBR group) with its report text."""

    model_config = ConfigDict(extra="forbid")

    control_id: str = Field(description="MSH-10")
    sending_facility: str | None = None
    hl7_version: str | None = None
    patient: Patient
    accession: str
    procedure: Coding = Field(default_factory=Coding)
    modality_raw: str | None = Field(default=None, description="OBR-24 as sent.")
    modality: str | None = Field(default=None, description="DICOM-style modality, e.g. CT, MR.")
    observation_time: datetime | None = Field(default=None, description="OBR-7, timezone-aware.")
    message_time: datetime | None = Field(
        default=None,
        description="MSH-7, when the message was sent (a correction takes effect then);"
        " timezone-aware.",
    )
    result_status: ResultStatus = ResultStatus.FINAL
    ordering_provider: str | None = None
    principal_interpreter: str | None = Field(
        default=None,
        description="OBR-32 principal result interpreter (NDL component 1, a CNN), as"
        " 'GIVEN MIDDLE FAMILY (ID)'.",
    )
    department: str | None = Field(
        default=None,
        description="PV1-3 assigned patient location: point of care (component 1), else"
        " facility (component 4); else ORC-21 ordering facility name (component 1).",
    )
    patient_class: PatientClass | None = Field(
        default=None, description="PV1-2 patient class (table 0004); null when absent or unknown."
    )
    indication: str | None = None
    text: str
    source: str | None = Field(default=None, description="Input file the message came from.")
    position: int | None = Field(default=None, description="1-based message index in its file.")


class OrderEventKind(StrEnum):
    """What an order or appointment message says happened to an exam (docs/hl7-orders.md)."""

    ORDERED = "ordered"  # a new or changed order: ORC-1 NW, XO, SC (ORM^O01, OMI^O23)
    SCHEDULED = "scheduled"  # an appointment booked, moved or changed: SIU S12, S13, S14
    CANCELLED = "cancelled"  # ORC-1 CA, OC, DC, CR, OD; SIU S15, S17
    NO_SHOW = "no_show"  # SIU S26


class OrderEvent(BaseModel):
    """One order group (ORC/OBR) of an ORM^O01 or OMI^O23, or one SIU appointment message."""

    model_config = ConfigDict(extra="forbid")

    control_id: str = Field(description="MSH-10")
    sending_facility: str | None = Field(default=None, description="MSH-4")
    message_type: str = Field(description="MSH-9 type^trigger, e.g. 'ORM^O01', 'SIU^S12'.")
    event: OrderEventKind
    event_time: datetime | None = Field(
        default=None, description="MSH-7, when the event was sent; timezone-aware."
    )
    patient: Patient
    placer_order_number: str | None = Field(
        default=None, description="ORC-2, else OBR-2 (orders); SCH-1, else ARQ-1 (SIU)."
    )
    filler_order_number: str | None = Field(
        default=None, description="ORC-3, else OBR-3 (orders); SCH-2 (SIU)."
    )
    accession: str | None = Field(
        default=None,
        description="IPC-1, else OBR-18, ORC-3, OBR-3 (orders); null for SIU or when unknown.",
    )
    procedure: Coding = Field(
        default_factory=Coding, description="OBR-4 (orders); AIS-3, else SCH-7 (SIU)."
    )
    modality: str | None = Field(
        default=None,
        description="DICOM-style modality from IPC-5 or OBR-24, else inferred from the"
        " procedure text.",
    )
    scheduled_time: datetime | None = Field(
        default=None,
        description="When the exam is planned: TQ1-7, OBR-27.4, ORC-7.4 (orders);"
        " AIS-4, TQ1-7, SCH-11.4 (SIU). Timezone-aware.",
    )
    ordering_provider: str | None = Field(
        default=None, description="ORC-12, else OBR-16 (orders); null for SIU."
    )
    source: str | None = Field(default=None, description="Input file the message came from.")
    position: int | None = Field(default=None, description="1-based message index in its file.")


class Concordance(StrEnum):
    """How a report's recommendation compares with what a guideline expects (issue 16)."""

    CONCORDANT = "concordant"  # the guideline's follow-up (or none) is what the report says
    DISCORDANT = "discordant"  # a recommendation, but another modality or interval
    MISSING = "missing"  # the guideline expects follow-up; the report recommends none
    UNNECESSARY = "unnecessary"  # the guideline expects none; the report recommends some


class ExpectedFollowUp(BaseModel):
    """One answer of a guideline for a finding: follow-up (modality, interval) or none."""

    model_config = _RECORD_CONFIG

    condition: str | None = Field(
        default=None,
        description="The case this answer is for when an input is not stated, e.g. 'low risk';"
        " None when the answer holds as it is.",
    )
    follow_up: bool = Field(description="False: the guideline expects no follow-up.")
    modality_options: list[Modality] = Field(
        default_factory=list, description="Acceptable actions; [] for none."
    )
    interval_months: tuple[float, float] | None = Field(
        default=None, description="When, in months after the exam; [0, 0] for now."
    )
    optional: bool = Field(
        default=False,
        description="The guideline leaves the follow-up to the reader (e.g."
        " Fleischner's 'optional CT at 12 months'): none is concordant too.",
    )
    text: str = Field(description="The guideline's management, in its own terms.")
    concordance: Concordance | None = None


class Guidance(BaseModel):
    """What a published guideline expects for one finding (issue 16)."""

    model_config = _RECORD_CONFIG

    finding_id: str = Field(description="The lesion's mention that gives its size.")
    mention_ids: list[str] = Field(
        default_factory=list, description="Every mention of the lesion (findings, impression)."
    )
    guideline: str = Field(description="Guideline id, e.g. 'fleischner'.")
    version: str = Field(description="Guideline version, e.g. '2017'.")
    citation: str
    band: str | None = Field(
        default=None, description="The guideline's category the finding falls in."
    )
    expected: list[ExpectedFollowUp] = Field(default_factory=list)
    concordance: Concordance | None = Field(
        default=None,
        description="The report against the expected answers (the best when there are several);"
        " None when the guideline does not apply.",
    )
    recommendation_ids: list[str] = Field(
        default_factory=list, description="The report's recommendations compared."
    )
    missing_inputs: list[str] = Field(
        default_factory=list, description="Inputs the report does not state, e.g. 'risk'."
    )
    not_applicable_reason: str | None = None


class MeasureOutcome(StrEnum):
    """A report's result on a quality measure (CMS MIPS CQM terms)."""

    MET = "performance_met"
    NOT_MET = "performance_not_met"
    EXCEPTION = "exception"  # denominator exception (e.g. a medical reason stated)


class MeasureResult(BaseModel):
    """One MIPS quality measure for one report (issue 16; docs/guidance.md)."""

    model_config = _RECORD_CONFIG

    measure: str = Field(description="e.g. 'MIPS364'.")
    eligible: bool = Field(description="In the denominator.")
    exclusion_reason: str | None = Field(
        default=None, description="Why a report with a qualifying finding is not in it."
    )
    outcome: MeasureOutcome | None = Field(default=None, description="None when not eligible.")
    finding_ids: list[str] = Field(default_factory=list)
    inverse: bool = Field(default=False, description="A lower performance rate is better.")


class CheckKind(StrEnum):
    """Report mismatch checks (issue 16)."""

    LATERALITY = "laterality"
    SEX = "sex"
    AGE = "age"


class ReportCheck(BaseModel):
    """One mismatch between a report and its order or patient, with its evidence span."""

    model_config = _RECORD_CONFIG

    kind: CheckKind
    message: str = Field(
        description="What disagrees, in words that quote no identifier, e.g."
        " 'the order is for the left side; the report describes the right'."
    )
    expected: str | None = Field(
        default=None, description="What the order or patient says, e.g. 'left', 'F', '54'."
    )
    found: str | None = Field(default=None, description="What the report says.")
    evidence: str = Field(description="The report text that disagrees.")
    start: int = Field(ge=0, description="Character offset of the evidence in the report text.")
    end: int = Field(ge=0)


class CriticalTier(StrEnum):
    """How a critical or actionable finding must be communicated (ACR actionable
    findings, Larson et al., JACR 2014;11:1038-44: categories 1-2 within minutes to
    hours, category 3 within days; the Massachusetts Coalition's red/orange/yellow)."""

    CRITICAL = "critical"
    UNEXPECTED = "unexpected"


class CriticalResult(BaseModel):
    """One critical or significant unexpected finding affirmed in the report (issue 17)."""

    model_config = _RECORD_CONFIG

    id: str = Field(description="Stable id within the report, e.g. 'c1'.")
    category: str = Field(description="Category id of rules/critical.json, e.g. 'pneumothorax'.")
    label: str = Field(description="The category's display name, e.g. 'Pneumothorax'.")
    tier: CriticalTier
    acr_category: int = Field(ge=1, le=3, description="ACR actionable-finding category 1-3.")
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    assertion: Assertion = Field(description="present or possible (others are not critical).")
    section: str | None = None
    sentence: str | None = Field(default=None, description="The sentence quoted as evidence.")
    communicated: bool = Field(
        default=False, description="The report documents that its results were communicated."
    )


class CommunicationMethod(StrEnum):
    """How results were conveyed (FHIR Communication.medium via v3-ParticipationMode)."""

    PHONE = "phone"
    IN_PERSON = "in_person"
    SECURE_MESSAGE = "secure_message"
    PAGE = "page"
    RESULTS_SYSTEM = "results_system"
    UNKNOWN = "unknown"


class RecipientRole(StrEnum):
    """Who was told, by role; a person's name is never kept, only whether one was given."""

    ORDERING_PROVIDER = "ordering_provider"
    PHYSICIAN = "physician"
    EMERGENCY_PROVIDER = "emergency_provider"
    NURSE = "nurse"
    CARE_TEAM = "care_team"
    PATIENT = "patient"
    OTHER = "other"


class Communication(BaseModel):
    """One documented communication of the report's results (issue 17).

    Holds no text: the sentence names people, so only its offsets are kept.
    """

    model_config = _RECORD_CONFIG

    id: str = Field(description="Stable id within the report, e.g. 'm1'.")
    start: int = Field(ge=0, description="Character offset of the sentence in the report.")
    end: int = Field(ge=0)
    recipient_role: RecipientRole
    name_present: bool = Field(description="A recipient's name (or its placeholder) was given.")
    method: CommunicationMethod
    stated_date: date | None = Field(default=None, description="The date written, if any.")
    stated_time: str | None = Field(
        default=None, pattern=r"^\d{2}:\d{2}$", description="The time written, 24-hour HH:MM."
    )
    sent: datetime | None = Field(
        default=None,
        description="When it happened: the stated date (or the exam's date) and time,"
        " resolved against the exam time; null when no time is stated.",
    )
    acknowledged: bool = Field(description="Read-back or acknowledgement is documented.")
    section: str | None = None


class ExtractionResult(BaseModel):
    """What the NLP pipeline found in one report text."""

    model_config = ConfigDict(extra="forbid")

    findings: list[Finding] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    impression: str | None = Field(default=None, description="Impression section text.")
    indication: str | None = Field(default=None, description="Indication used for incidental.")
    guidance: list[Guidance] = Field(
        default_factory=list, description="Filled after the NLP by radfollow.guidance."
    )
    measures: list[MeasureResult] = Field(default_factory=list)
    checks: list[ReportCheck] = Field(default_factory=list)
    critical_results: list[CriticalResult] = Field(default_factory=list)
    communications: list[Communication] = Field(default_factory=list)

    @property
    def has_followup_recommendation(self) -> bool:
        return bool(self.recommendations)

    @property
    def uncommunicated_critical(self) -> bool:
        """A critical or unexpected result with no documented communication in the report."""
        return bool(self.critical_results) and not self.communications

    @property
    def incidental_types(self) -> list[str]:
        return sorted({f.type.value for f in self.findings if f.incidental})


class OutputRecord(BaseModel):
    """The JSONL record of ANNOTATION.md section 3 (extra keys allowed)."""

    model_config = ConfigDict(extra="allow")

    id: str
    findings: list[Finding]
    recommendations: list[Recommendation]
    has_followup_recommendation: bool
    incidental_types: list[str]
    guidance: list[Guidance] = Field(default_factory=list)
    measures: list[MeasureResult] = Field(default_factory=list)
    checks: list[ReportCheck] = Field(default_factory=list)
    critical_results: list[CriticalResult] = Field(default_factory=list)
    communications: list[Communication] = Field(default_factory=list)
    uncommunicated_critical: bool = False

    @classmethod
    def build(cls, record_id: str, result: ExtractionResult, /, **extra: object) -> OutputRecord:
        """The record of one report; ``extra`` keys (any names) are kept beside it."""
        return cls(
            id=record_id,
            findings=result.findings,
            recommendations=result.recommendations,
            has_followup_recommendation=result.has_followup_recommendation,
            incidental_types=result.incidental_types,
            guidance=result.guidance,
            measures=result.measures,
            checks=result.checks,
            critical_results=result.critical_results,
            communications=result.communications,
            uncommunicated_critical=result.uncommunicated_critical,
            **extra,
        )


class RejectedInput(BaseModel):
    """One line of errors.ndjson: an input that was not processed."""

    model_config = ConfigDict(extra="forbid")

    source: str
    position: int | None = None
    control_id: str | None = None
    code: str
    reason: str
