"""What every request needs: the tracker, the clock, the templates and the settings."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.templating import Jinja2Templates

from radfollow.tracker.accounts import IDLE_TIMEOUT
from radfollow.tracker.db import Tracker
from radfollow.tracker.facts import Facts
from radfollow.tracker.statuses import refresh
from radfollow.web.cache import FigureCache
from radfollow.web.throttle import ClientThrottle

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebState:
    """``secure``: the site is served over TLS (cookies get Secure). ``clock``: the
    time statuses are computed at and actions stamped with (tests pin it)."""

    tracker: Tracker
    secure: bool = False
    idle: timedelta = IDLE_TIMEOUT
    clock: Callable[[], datetime] = utc_now
    page_size: int = 50
    #: Failed sign-ins per client address (one per app: radfollow.web.security).
    throttle: ClientThrottle = field(default_factory=ClientThrottle)
    #: Counts and dashboard figures per stored-status version (radfollow.web.cache).
    figures: FigureCache = field(default_factory=FigureCache)
    #: The in-memory copy the figures are computed from (radfollow.tracker.facts),
    #: made at the first figure a page needs (or by ``warm``).
    facts: Facts | None = None
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=str(TEMPLATES))
    )

    def stored_statuses(self, as_of: datetime) -> int | None:
        """Bring the stored statuses up to ``as_of`` (radfollow.tracker.statuses) in a
        transaction of its own, committed before the page reads (so its lock, which
        serialises refreshes and, on SQLite, writers, is held for the refresh
        only): their version when the queries may read them (``stored=True``),
        None when they cannot serve ``as_of`` (compute statuses instead)."""
        policy = self.tracker.policy
        with self.tracker.session() as session:
            return refresh(
                session,
                as_of=as_of,
                grace=policy.grace,
                lead=policy.coming_due,
                tz=self.tracker.timezone,
            )

    def copy(self) -> Facts:
        """The in-memory copy for the site's timezone (a new one if it changed)."""
        tz = self.tracker.timezone
        if self.facts is None or self.facts.tz != tz:
            self.facts = Facts(tz)
        return self.facts

    def warm(self) -> None:
        """Store the statuses and read the in-memory copy now, so the first page a
        person opens does not wait for them (``serve`` runs this at start-up). Then
        every object made so far is moved out of the garbage collector's reach
        (``gc.freeze``): a full collection no longer walks the libraries' and the
        copy's objects, which otherwise adds 100-200 ms to an occasional page."""
        version = self.stored_statuses(self.clock())
        if version is not None:
            with self.tracker.session() as session:
                self.copy().figures(session, version, lambda _: None)
        gc.freeze()
