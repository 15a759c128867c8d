"""Reports with guidance stored in a tracker, for the tracker and review-app tests of
issue 16 (the guideline worklist and the report checks)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from radfollow.guidance import Assessor, ReportContext
from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import IngestOutcome, ingest

ASSESSOR = Assessor()

#: (accession, patient, sex, born, date, procedure, modality, radiologist, site, status, text)
REPORTS = [
    (  # a 7 mm nodule and no recommendation: missing
        "G1", "MRN1", "F", date(1950, 3, 1), "2025-01-10", "CT CHEST", "CT", "Dr Lee", "NORTH", "F",
        "EXAM: CT chest.\nFINDINGS:\nA 7 mm solid nodule in the right upper lobe.\n"
        "IMPRESSION:\n7 mm right upper lobe nodule.\n",
    ),
    (  # a 4.5 cm AAA with yearly ultrasound: concordant
        "G2", "MRN2", "M", date(1948, 5, 5), "2025-02-10", "CT ABDOMEN", "CT", "Dr Kim",
        "SOUTH", "F",
        "EXAM: CT abdomen.\nFINDINGS:\nThe infrarenal abdominal aorta measures 4.5 cm, "
        "consistent with aneurysm.\nIMPRESSION:\n4.5 cm abdominal aortic aneurysm. Recommend "
        "ultrasound surveillance in 12 months.\n",
    ),
    (  # a man's report that describes a uterus: a sex check; no lesion
        "G3", "MRN3", "M", date(1970, 1, 1), "2025-03-10", "CT PELVIS", "CT", "Dr Lee",
        "NORTH", "F",
        "EXAM: CT pelvis.\nFINDINGS:\nThe uterus is unremarkable.\n"
        "IMPRESSION:\nNo acute findings.\n",
    ),
    (  # a 9 mm nodule, no recommendation, corrected below: only the correction counts
        "G4", "MRN4", "F", date(1955, 1, 1), "2025-04-10", "CT CHEST", "CT", "Dr Kim", "NORTH", "F",
        "EXAM: CT chest.\nFINDINGS:\nA 9 mm solid nodule in the left lower lobe.\n"
        "IMPRESSION:\n9 mm left lower lobe nodule.\n",
    ),
    (
        "G4", "MRN4", "F", date(1955, 1, 1), "2025-04-10", "CT CHEST", "CT", "Dr Kim", "NORTH", "C",
        "EXAM: CT chest.\nFINDINGS:\nA 9 mm solid nodule in the left lower lobe.\n"
        "IMPRESSION:\n9 mm left lower lobe nodule. Recommend PET/CT.\n",
    ),
]  # fmt: skip


def feed_guidance_reports(tracker: Tracker, extractor: Extractor) -> list[IngestOutcome]:
    """Process REPORTS (NLP, guidance, tracker) in order."""
    outcomes = []
    for n, (acc, mrn, sex, born, day, proc, modality, rad, site, status, text) in enumerate(
        REPORTS
    ):
        report = RadiologyReport(
            control_id=f"C-{acc}-{n}",
            sending_facility=site,
            patient=Patient(id=mrn, assigning_authority="HOSP", sex=sex, birth_date=born),
            accession=acc,
            procedure={"text": proc},
            modality=modality,
            observation_time=datetime.fromisoformat(day + "T10:00:00+00:00"),
            message_time=datetime.fromisoformat(day + "T10:00:00+00:00").replace(hour=12 + n)
            if status == "C"
            else None,
            result_status=ResultStatus(status),
            principal_interpreter=rad,
            text=text,
        )
        result = extractor.extract(ReportText(text, procedure=proc))
        result = ASSESSOR.assess(ReportContext.of_report(report), result)
        with tracker.session() as session:
            outcomes.append(ingest(session, report, result, tracker.policy))
    return outcomes


WHEN = datetime(2025, 6, 1, tzinfo=UTC)
