"""Process one report: HL7 adapter -> NLP -> FHIR -> tracker write.

The one definition of what radfollow does with a report, shared by
``radfollow process`` (:mod:`radfollow.processing.batch`), the listener's
workers and the Spark job. Each step raises a catalogued
:class:`~radfollow.errors.RadfollowError` whose message names fields, never
their values, so a caller can record one line per failed unit and go on.

The NLP step is the caller's (a :class:`~radfollow.processing.pool.ExtractorPool`
or one :class:`~radfollow.nlp.extract.Extractor`), because it runs in batches
and, for batch jobs, in worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from radfollow.fhir import bundle_json
from radfollow.guidance import Assessor, ReportContext
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.header import read_header
from radfollow.hl7.options import HL7Options
from radfollow.models import ExtractionResult, OrderEvent, OutputRecord, RadiologyReport
from radfollow.nlp.extract import ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.checks import check_processing_id, check_report
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import Terminology

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from radfollow.tracker.db import Tracker
    from radfollow.tracker.ingest import IngestOutcome
    from radfollow.tracker.orders import OrderOutcome

BundleType = Literal["collection", "transaction"]


@dataclass(frozen=True)
class ProcessingOptions:
    """Everything that decides how one report is processed; picklable, so worker
    processes and Spark executors get the same settings as the caller."""

    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    hl7: HL7Options = field(default_factory=HL7Options)
    bundle_type: BundleType = "collection"
    #: Process messages whose MSH-11 is T (training) or D (debugging) too; by
    #: default they are refused (RF305) and stay out of the production tracker.
    accept_test_messages: bool = False
    #: Write each report's text into its record (``text``), so that ``tracker load``
    #: stores it as ``process --db`` does; records then hold whole reports.
    record_text: bool = False

    def __post_init__(self) -> None:
        if self.hl7.rules_dir != self.pipeline.rules_dir:
            raise ValueError("the HL7 options and the pipeline name different rules folders")

    @property
    def timezone(self) -> str | None:
        """The IANA name of ``--timezone`` (stored with the tracker's data); None
        for a zone without one (a fixed offset given in code)."""
        zone = self.hl7.default_tz
        return getattr(zone, "key", None) or ("UTC" if zone is UTC else None)

    @property
    def rules_dir(self) -> Path | None:
        """The site's rules folder (``--rules``): NLP, HL7, FHIR and tracker rule files."""
        return self.pipeline.rules_dir

    @property
    def max_report_chars(self) -> int:
        """The largest report text processed, in characters (spaCy's ``max_length``)."""
        return self.pipeline.max_length


@dataclass(frozen=True)
class Rendered:
    """The outputs of one report: its FHIR Bundle (validated JSON) and its record."""

    bundle: str
    record: OutputRecord


def report_text(report: RadiologyReport) -> ReportText:
    """What the NLP reads of an HL7 report: text, indication, procedure text."""
    return ReportText(report.text, report.indication, report.procedure.text)


def report_record(
    report: RadiologyReport, result: ExtractionResult, *, with_text: bool = False
) -> OutputRecord:
    """The ANNOTATION.md record of one HL7 report, with its identifiers (and its
    text under ``text`` when ``with_text``)."""
    extra = {"text": report.text} if with_text else {}
    patient = report.patient
    when = report.message_time
    return OutputRecord.build(
        report.accession,
        result,
        accession=report.accession,
        control_id=report.control_id,
        sending_facility=report.sending_facility,
        patient_id=report.patient.id,
        assigning_authority=report.patient.assigning_authority,
        result_status=report.result_status.value,
        observation_time=report.observation_time.isoformat() if report.observation_time else None,
        procedure=report.procedure.text,
        modality=report.modality,
        radiologist=report.principal_interpreter,
        source=report.source,
        position=report.position,
        # what the tracker stores beside the extraction, so tracker load gives process --db's
        message_time=when.isoformat() if when else None,
        procedure_code=report.procedure.code,
        ordering_provider=report.ordering_provider,
        department=report.department,
        patient_class=report.patient_class.value if report.patient_class else None,
        indication=report.indication,
        sex=patient.sex,
        birth_date=patient.birth_date.isoformat() if patient.birth_date else None,
        postal_code=patient.postal_code,
        **extra,
    )


class ReportProcessor:
    """The steps of processing one report, configured once per job or worker."""

    def __init__(self, options: ProcessingOptions | None = None) -> None:
        self.options = options or ProcessingOptions()
        self.terminology = load_rules(Terminology, self.options.rules_dir)
        self.assessor = Assessor(self.options.rules_dir)

    def read(self, raw: RawMessage) -> list[RadiologyReport]:
        """The reports of one HL7 message; raises HL7Error (RF3xx), among them
        HL7TestMessageError (RF305) for a test or debugging message (MSH-11 not P)
        unless ``accept_test_messages``."""
        header = read_header(raw.data, charset_rules=self.options.hl7.charset_rules)
        if header is not None:  # else parsing raises the reason
            check_processing_id(header.processing_id, accept_test=self.options.accept_test_messages)
        return self.options.hl7.parse(raw)

    def read_orders(self, raw: RawMessage) -> list[OrderEvent] | None:
        """The events of an order or appointment message (ORM^O01, OMI^O23, SIU^S12...),
        or None when ``raw`` is not one; raises HL7Error like :meth:`read`."""
        if not self.options.hl7.is_order(raw):
            return None
        header = read_header(raw.data, charset_rules=self.options.hl7.charset_rules)
        if header is not None:
            check_processing_id(header.processing_id, accept_test=self.options.accept_test_messages)
        return self.options.hl7.parse_orders(raw)

    def store_order(self, session: Session, tracker: Tracker, event: OrderEvent) -> OrderOutcome:
        """Write one order or appointment event to the tracker in the caller's transaction."""
        from radfollow.tracker.orders import ingest_order

        return ingest_order(session, event, tracker.policy)

    def track_order(self, tracker: Tracker, event: OrderEvent) -> OrderOutcome:
        """:meth:`store_order` in its own transaction, retried on a race."""
        from radfollow.tracker.transaction import write

        return write(tracker, lambda session: self.store_order(session, tracker, event))

    def check(self, report: RadiologyReport, *, tracking: bool) -> None:
        """Refuse a report that can never be processed, before any work is spent on it.

        Raises ReportTooLargeError (RF202) for a text over ``max_report_chars``,
        and, when the report is to be tracked, HL7MissingDataError (RF303) when it
        has no observation time (OBR-7), from which every due date is counted.
        """
        check_report(report, max_chars=self.options.max_report_chars, tracking=tracking)

    def assess(self, report: RadiologyReport, result: ExtractionResult) -> ExtractionResult:
        """``result`` with the guidelines' guidance, the MIPS measures and the report
        mismatch checks of :mod:`radfollow.guidance` (a copy); call before rendering."""
        return self.assessor.assess(ReportContext.of_report(report), result)

    def render(self, report: RadiologyReport, result: ExtractionResult) -> Rendered:
        """The Bundle and record of one report; raises FHIRMappingError (RF400)."""
        bundle = bundle_json(
            report, result, bundle_type=self.options.bundle_type, terminology=self.terminology
        )
        record = report_record(report, result, with_text=self.options.record_text)
        return Rendered(bundle, record)

    def store(
        self, session: Session, tracker: Tracker, report: RadiologyReport, result: ExtractionResult
    ) -> IngestOutcome:
        """Write one report to the tracker inside the caller's transaction."""
        from radfollow.tracker.ingest import ingest

        return ingest(session, report, result, tracker.policy)

    def track(
        self, tracker: Tracker, report: RadiologyReport, result: ExtractionResult
    ) -> IngestOutcome:
        """Write one report to the tracker in its own transaction, retried on a race.

        Raises TrackerError (RF700, e.g. no observation time) or TrackerWriteError
        (RF701: the database refused the write).
        """
        from radfollow.tracker.transaction import write

        return write(tracker, lambda session: self.store(session, tracker, report, result))
