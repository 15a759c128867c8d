"""Inbox rows for the listener tests, straight into the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mllp_client import oru

from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import InboxMessage


def add_inbox_rows(tracker: Tracker, numbers: range, **values: object) -> list[int]:
    """One ``pending`` row per ``oru(n)``, ids in order; ``values`` override columns, and
    ``lease_in`` (seconds from now) sets ``lease_until``."""
    lease_in = values.pop("lease_in", None)
    if isinstance(lease_in, int | float):
        values["lease_until"] = datetime.now(UTC) + timedelta(seconds=lease_in)
    rows = [
        InboxMessage(
            received_at=datetime.now(UTC),
            peer="test",
            sending_facility="HOSP",
            control_id=f"C{n}",
            message_type="ORU^R01",
            **{"raw": oru(n), "status": "pending", "attempts": 0, **values},
        )
        for n in numbers
    ]
    with tracker.session() as session:
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]
