"""What every request needs: the tracker, the clock, the templates and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.templating import Jinja2Templates

from radfollow.tracker.accounts import IDLE_TIMEOUT
from radfollow.tracker.db import Tracker
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
