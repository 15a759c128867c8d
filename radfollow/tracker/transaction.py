"""One write transaction, retried when a concurrent writer got there first.

Two writers can race on the same key: two ``process --db`` runs over one
database, or two listener workers storing messages of the same new patient.
The loser's transaction fails (a unique-constraint violation, SQLite "database
is locked", a PostgreSQL deadlock or serialization failure); run again, it
sees the winner's committed rows (the patient exists, the message is a
duplicate) and succeeds. Any other database error is final for that unit of
work and becomes a :class:`~radfollow.errors.TrackerWriteError` whose message
names the driver's error class and SQLSTATE only: SQLAlchemy's own messages
quote the statement's parameters, i.e. report text and patient identifiers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from radfollow.errors import TrackerWriteError

if TYPE_CHECKING:
    from radfollow.tracker.db import Tracker

log = logging.getLogger(__name__)

T = TypeVar("T")

#: PostgreSQL SQLSTATEs worth a retry: serialization failure, deadlock detected.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS = 4


def describe(error: SQLAlchemyError) -> str:
    """A one-line reason without values: the driver's error class and SQLSTATE."""
    original = getattr(error, "orig", None)
    name = type(original).__name__ if original is not None else type(error).__name__
    state = getattr(original, "sqlstate", None)
    detail = f"{name}, SQLSTATE {state}" if state else name
    return f"the database refused the write ({detail})"


def retryable(error: SQLAlchemyError) -> bool:
    """A race with a concurrent writer, which a fresh transaction resolves."""
    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None)
        if state in _RETRY_SQLSTATES:
            return True
        # SQLite reports lock contention past busy_timeout only in its message.
        return isinstance(error, OperationalError) and "locked" in str(error.orig)
    return False


def write(tracker: Tracker, work: Callable[[Session], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work(session)`` in one transaction and commit; retry a lost race.

    Raises TrackerWriteError (RF701) when the database refuses the write for
    any other reason, or still after ``attempts`` tries; its message carries no
    statement parameters, and the SQLAlchemy error is not chained to it.
    ``work`` must be safe to run again: all its effects are in the session.
    """
    attempt = 1
    while True:
        try:
            with tracker.session() as session:
                return work(session)
        except SQLAlchemyError as error:
            if attempt < attempts and retryable(error):
                attempt += 1
                log.info("tracker write raced a concurrent writer; attempt %d", attempt)
                time.sleep(0.01 * attempt)
                continue
            reason = describe(error)
        raise TrackerWriteError(reason) from None
