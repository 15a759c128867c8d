"""Review-app fixtures: ``site``, a tracker with a few reports (on SQLite and
PostgreSQL), three users (admin, reviewer, viewer) and clients on a clock the
test controls (tests/web_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_helpers import NOW, PASSWORD, Clock, Site, feed_reports

from radfollow.nlp.extract import Extractor
from radfollow.tracker.accounts import add_user
from radfollow.tracker.db import Tracker


@pytest.fixture()
def site(db_url: str, extractor: Extractor) -> Iterator[Site]:
    tracker = Tracker(db_url)
    feed_reports(tracker, extractor)
    with tracker.session() as session:
        for name in ("admin", "reviewer", "viewer"):
            add_user(session, name, role=name, password=PASSWORD, at=NOW)
    made = Site(tracker=tracker, clock=Clock())
    yield made
    for client in made.clients:
        client.close()
    tracker.close()
