"""What every request needs: the tracker, the clock, the templates and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from radfollow.tracker.accounts import IDLE_TIMEOUT
from radfollow.tracker.db import Tracker
from radfollow.tracker.statuses import refresh
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
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=str(TEMPLATES))
    )

    def stored_statuses(self, session: Session, as_of: datetime) -> bool:
        """Bring the stored statuses up to ``as_of`` (radfollow.tracker.statuses);
        whether the queries may read them (``stored=``)."""
        policy = self.tracker.policy
        return refresh(
            session,
            as_of=as_of,
            grace=policy.grace,
            lead=policy.coming_due,
            tz=self.tracker.timezone,
        )
