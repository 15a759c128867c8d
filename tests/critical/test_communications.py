"""Documented communication of results (issue 17): who, how, when, read-back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from radfollow.guidance.critical import resolve_sent
from radfollow.models import Communication, CommunicationMethod, RecipientRole
from radfollow.nlp.extract import Extractor, ReportText

FOUND = [
    (
        "Findings discussed with Dr. Smith by telephone at 2:10 p.m. on 3/14/2024,"
        " who read back the findings.",
        RecipientRole.PHYSICIAN, CommunicationMethod.PHONE, "14:10", date(2024, 3, 14), True, True,
    ),
    (
        "These results were called to the ordering physician at 1410 hours.",
        RecipientRole.ORDERING_PROVIDER, CommunicationMethod.PHONE, "14:10", None, False, False,
    ),
    (
        "Critical result notification documented through XXXX.",
        RecipientRole.OTHER, CommunicationMethod.RESULTS_SYSTEM, None, None, False, False,
    ),
    (
        "Dr. Jones in the emergency department was paged at 09:05 and acknowledged receipt.",
        RecipientRole.EMERGENCY_PROVIDER, CommunicationMethod.PAGE, "09:05", None, True, True,
    ),
    (
        "The findings were discussed in person with the patient's nurse.",
        RecipientRole.NURSE, CommunicationMethod.IN_PERSON, None, None, False, False,
    ),
    (
        "Results were sent to the referring clinician by secure message.",
        RecipientRole.ORDERING_PROVIDER, CommunicationMethod.SECURE_MESSAGE,
        None, None, False, False,
    ),
    (
        "Preliminary report given to emergency room at conclusion of exam.",
        RecipientRole.EMERGENCY_PROVIDER, CommunicationMethod.UNKNOWN, None, None, False, False,
    ),
    (
        "Results were faxed.",
        RecipientRole.OTHER, CommunicationMethod.SECURE_MESSAGE, None, None, False, False,
    ),
    (
        "Wet read given to Dr. Smith.",
        RecipientRole.PHYSICIAN, CommunicationMethod.UNKNOWN, None, None, True, False,
    ),
    (
        "The findings were called to Dr. Smith, extension 12:30.",
        RecipientRole.PHYSICIAN, CommunicationMethod.PHONE, None, None, True, False,
    ),
]  # fmt: skip

NOT_FOUND = [
    "These results will be communicated to the ordering physician.",
    "Please call Dr. Smith with the results.",
    "Findings should be discussed with the surgical team.",
    "The patient was informed of the risks and benefits of the procedure.",
    "Given the patient's presentation, this likely represents pneumonia.",
    "As discussed above, the nodule is stable.",
    "A phone call will be placed to the emergency room.",
    # review regressions: negated, failed, conferences, colleagues, views
    "No physician was notified of these findings.",
    "The ordering physician was paged twice with no response.",
    "These findings were discussed at the multidisciplinary tumor board.",
    "The findings were reviewed with the radiology resident.",
    "PA and lateral views were reviewed with prior studies.",
]


@pytest.mark.parametrize(
    ("sentence", "role", "method", "clock", "day", "named", "acknowledged"), FOUND
)
def test_communication_found(
    extractor: Extractor,
    sentence: str,
    role: RecipientRole,
    method: CommunicationMethod,
    clock: str | None,
    day: date | None,
    named: bool,
    acknowledged: bool,
) -> None:
    text = f"IMPRESSION:\nLarge right pneumothorax.\n\n{sentence}\n"
    result = extractor.extract(ReportText(text))
    (m,) = result.communications
    assert text[m.start : m.end].strip() == sentence
    assert (m.recipient_role, m.method, m.stated_time, m.stated_date) == (role, method, clock, day)
    assert (m.name_present, m.acknowledged) == (named, acknowledged)
    assert result.critical_results and all(c.communicated for c in result.critical_results)
    assert not result.uncommunicated_critical
    assert "Smith" not in m.model_dump_json() and "Jones" not in m.model_dump_json()


@pytest.mark.parametrize("sentence", NOT_FOUND)
def test_not_a_communication(extractor: Extractor, sentence: str) -> None:
    result = extractor.extract(
        ReportText(f"IMPRESSION:\nLarge right pneumothorax.\n\n{sentence}\n")
    )
    assert result.communications == []
    assert result.uncommunicated_critical


EST = timezone(timedelta(hours=-5))


def _at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=EST)


def _said(clock: str | None, day: date | None = None) -> Communication:
    return Communication(
        id="m1", start=0, end=1, recipient_role=RecipientRole.PHYSICIAN, name_present=False,
        method=CommunicationMethod.PHONE, stated_time=clock, stated_date=day, acknowledged=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("clock", "day", "exam", "sent"),
    [
        ("14:10", None, _at(2024, 3, 14, 13, 0), _at(2024, 3, 14, 14, 10)),
        ("00:20", None, _at(2024, 3, 14, 23, 50), _at(2024, 3, 15, 0, 20)),
        ("09:00", date(2024, 3, 16), _at(2024, 3, 14, 23, 50), _at(2024, 3, 16, 9, 0)),
        (None, None, datetime(2024, 3, 14, 13, 0, tzinfo=UTC), None),
        ("14:10", None, None, None),
    ],
)  # fmt: skip
def test_sent_resolved_against_the_exam(
    clock: str | None, day: date | None, exam: datetime | None, sent: datetime | None
) -> None:
    assert resolve_sent(_said(clock, day), exam) == sent


def test_history_and_comparison_are_not_this_exams_communication(extractor: Extractor) -> None:
    text = (
        "HISTORY:\nPatient was told by her doctor that the prior CT showed a nodule.\n"
        "COMPARISON:\nPrior CT reviewed with Dr. Adams from the outside hospital.\n"
        "IMPRESSION:\nLarge right pneumothorax.\n"
    )
    result = extractor.extract(ReportText(text))
    assert result.communications == [] and result.uncommunicated_critical
