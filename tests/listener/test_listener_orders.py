"""Order and appointment messages through the listener (issue 14): stored and ACKed
like reports, processed into the tracker's orders, where they schedule a
recommendation; other order triggers are ignored as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from radfollow.listener.inspect import inspect
from radfollow.listener.worker import process_pending
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.core import ProcessingOptions
from radfollow.tracker.db import Tracker
from radfollow.tracker.queries import Filters, worklist
from radfollow.tracker.schema import InboxMessage, Order

RULES_ONLY = ProcessingOptions(pipeline=PipelineConfig(classifier=False))
ORU = (
    "MSH|^~\\&|RIS|HOSP|RF|HOSP|20250110100000||ORU^R01|R1|P|2.5.1\r"
    "PID|1||MRN1^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "OBR|1||A1|^CT CHEST W/O CONTRAST|||20250110090000|||||||||||||||||CT|F\r"
    "OBX|1|TX|RPT||IMPRESSION: 6 mm nodule. Recommend CT chest in 12 months.||||||F\r"
)
SIU = (
    "MSH|^~\\&|RIS|HOSP|RF|HOSP|20251201100000||SIU^{trigger}|{control}|P|2.5.1\r"
    "SCH|APT1|FAPT1|||||||||^^^20260112090000\r"
    "PID|1||MRN1^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "AIS|1||^CT CHEST W/O CONTRAST|20260112090000\r"
)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        pytest.param(SIU.format(trigger="S12", control="S1"), "store", id="siu-booked"),
        pytest.param(SIU.format(trigger="S26", control="S2"), "store", id="siu-no-show"),
        pytest.param(SIU.format(trigger="S16", control="S3"), "ignore", id="siu-other-trigger"),
        pytest.param(
            SIU.format(trigger="S12", control="S4").replace("PID|", "ZZZ|"),
            "unusable",
            id="siu-without-pid",
        ),
    ],
)
def test_order_messages_are_inspected(message: str, kind: str) -> None:
    assert inspect(message.encode()).kind == kind


def test_an_appointment_through_the_inbox_schedules_the_recommendation(
    tmp_path: Path, db_url: str
) -> None:
    tracker = Tracker(db_url)
    with tracker.session() as session:
        for control, kind, raw in (
            ("R1", "ORU^R01", ORU),
            ("S1", "SIU^S12", SIU.format(trigger="S12", control="S1")),
        ):
            session.add(
                InboxMessage(
                    received_at=datetime.now(UTC),
                    peer="test",
                    sending_facility="HOSP",
                    control_id=control,
                    message_type=kind,
                    raw=raw.encode(),
                    status="pending",
                )
            )
    assert process_pending(tracker, tmp_path / "out", RULES_ONLY) == {"done": 2}
    as_of = datetime(2025, 12, 15, tzinfo=UTC)
    with tracker.session() as session:
        (row,) = worklist(session, Filters(), as_of=as_of, grace=tracker.policy.grace, limit=None)
        orders = session.scalar(sa.select(sa.func.count()).select_from(Order))
    bundles = list((tmp_path / "out").glob("bundles-*.ndjson"))
    tracker.close()
    assert (row.status, orders) == ("scheduled", 1)
    assert sum(len(p.read_text().splitlines()) for p in bundles) == 1  # the report's only
