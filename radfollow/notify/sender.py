"""The sender loop: plan events and deliveries, claim, deliver, settle (issue 17).

One pass (:meth:`Sender.run_once`):

1. in one transaction, refresh the stored statuses and write the coming-due,
   overdue and reminder events they call for, then plan a pending delivery per
   configured channel for each new event of its kinds
   (:mod:`radfollow.tracker.outbox`);
2. claim due deliveries with a lease (a committed transaction of its own), so a
   second sender, or this one restarted, never sends a claimed row before the
   lease ends;
3. deliver, after checking that each event still holds (else it is withdrawn:
   the follow-up was done, the report corrected to document the call, or
   cancelled) and that the claim is still this sender's: FHIR and webhook one
   request per event; e-mail one digest per address holding all that
   address's claimed events;
4. settle each delivery in its own short transaction: delivered, retried after
   an exponential backoff, or failed for good.

A sender killed between 3 and 4 leaves its rows ``sending``; after the lease
they are claimed and sent again with the same idempotency key (HTTP header,
e-mail Message-ID), which the receiver uses to drop the repeat.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session

from radfollow.errors import DeliveryError, NotifyError
from radfollow.notify.content import Notice, notice_of
from radfollow.notify.email import address_of, digest, send_email
from radfollow.notify.fhir_channel import send_fhir
from radfollow.notify.webhook import send_webhook
from radfollow.rules.loader import load_rules
from radfollow.rules.schema.notify import EmailChannel, FhirChannel, NotifyRules, WebhookChannel
from radfollow.tracker.db import Tracker
from radfollow.tracker.outbox import (
    DELIVERED,
    FAILED,
    PENDING,
    WITHDRAWN,
    Backoff,
    Claimed,
    Schedule,
    claim,
    plan_deliveries,
    plan_due_events,
    settle,
    still_claimed,
    still_wanted,
)
from radfollow.tracker.transaction import write

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class SendReport:
    """What one pass did (counts only: no identifiers)."""

    events: int = 0
    planned: int = 0
    claimed: int = 0
    delivered: int = 0
    withdrawn: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def worker_name() -> str:
    """``host:pid``: who holds a claim, shown in ``radfollow notify status``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


class Sender:
    """Delivers a tracker's outbox through the channels of ``notify.json``.

    ``rules_dir``: the site's rules folder (its notify.json); raises RuleFileError
    when the file is invalid. ``clock``: the current time (tests move it).
    """

    def __init__(
        self,
        tracker: Tracker,
        *,
        rules: NotifyRules | None = None,
        rules_dir: str | None = None,
        worker: str | None = None,
        clock: type[datetime] = datetime,
    ) -> None:
        self.tracker = tracker
        self.rules = rules or load_rules(NotifyRules, rules_dir)
        self.worker = worker or worker_name()
        self._clock = clock
        self.channels = {c.name: c for c in self.rules.channels if c.enabled}
        retry = self.rules.retry
        self.backoff = Backoff(
            attempts=retry.attempts,
            base=timedelta(seconds=retry.base_seconds),
            longest=timedelta(seconds=retry.longest_seconds),
        )
        self.lease = timedelta(seconds=retry.lease_seconds)
        plan = self.rules.schedule
        self.schedule = Schedule(
            coming_due=plan.coming_due,
            overdue=plan.overdue,
            reminder_every=timedelta(days=plan.reminder_every_days),
            reminder_limit=plan.reminder_limit,
            overdue_horizon=timedelta(days=plan.overdue_horizon_days),
        )

    def now(self) -> datetime:
        return self._clock.now(UTC)

    def plan(self, report: SendReport) -> None:
        """Step 1: events from the statuses, deliveries for the channels (one transaction)."""
        now = self.now()
        policy, tz = self.tracker.policy, self.tracker.timezone
        plan = self.rules.schedule

        def work(session: Session) -> tuple[int, int]:
            events = plan_due_events(
                session,
                as_of=now,
                grace=policy.grace,
                lead=policy.coming_due,
                tz=tz,
                schedule=self.schedule,
            )
            kinds = {name: c.events for name, c in self.channels.items()}
            planned = plan_deliveries(
                session,
                kinds,
                now=now,
                since=timedelta(days=plan.plan_within_days),
                horizon=timedelta(days=plan.event_horizon_days),
            )
            return events, planned

        report.events, report.planned = write(self.tracker, work)

    def run_once(self, *, limit: int = 100) -> SendReport:
        """One pass of plan, claim, deliver, settle; returns its counts."""
        report = SendReport()
        self.plan(report)
        now = self.now()
        claimed = write(
            self.tracker,
            lambda s: claim(
                s,
                worker=self.worker,
                channels=self.channels,
                now=now,
                lease=self.lease,
                backoff=self.backoff,
                limit=limit,
            ),
        )
        report.claimed = len(claimed)
        if claimed:
            self._deliver(claimed, report)
        return report

    def _deliver(self, claimed: list[Claimed], report: SendReport) -> None:
        tz = self.tracker.timezone
        with self.tracker.session() as session:
            wanted = {c.delivery_id: still_wanted(session, c) for c in claimed}
            notices = {
                c.delivery_id: notice_of(session, c, tz) if wanted[c.delivery_id] else None
                for c in claimed
            }
        now = self.now()
        digests: dict[tuple[str, str], list[tuple[Claimed, Notice]]] = defaultdict(list)
        for item in claimed:
            channel = self.channels[item.channel]
            notice = notices[item.delivery_id]
            if notice is None:  # the event no longer holds: withdrawn, never sent
                self._settle([item], report, None, withdrawn=True)
                continue
            if isinstance(channel, EmailChannel):
                address = address_of(channel, notice.recipient)
                if address is None:
                    missing = DeliveryError("no address for the ordering provider", retryable=False)
                    self._settle([item], report, missing)
                else:
                    digests[(channel.name, address)].append((item, notice))
                continue
            if self._lost([item]):
                continue
            self._settle([item], report, self._attempt(channel, notice, now))
        for (name, address), group in digests.items():
            email = self.channels[name]
            if not isinstance(email, EmailChannel):  # pragma: no cover - grouped above
                continue
            kept = [(item, n) for item, n in group if not self._lost([item])]
            if not kept:
                continue
            message = self._try(partial(digest, email, address, [n for _, n in kept], now))
            error = (
                message
                if isinstance(message, DeliveryError)
                else self._try(partial(send_email, email, message))
            )
            self._settle([item for item, _ in kept], report, error)

    def _lost(self, items: list[Claimed]) -> bool:
        """The claim ran out (this sender was slower than its lease): not sent; the
        sender that took the row over sends it."""
        now = self.now()
        with self.tracker.session() as session:
            return not all(still_claimed(session, item, now) for item in items)

    def _attempt(
        self, channel: FhirChannel | WebhookChannel | EmailChannel, notice: Notice, now: datetime
    ) -> DeliveryError | None:
        if isinstance(channel, FhirChannel):
            outcome = self._try(partial(send_fhir, channel, notice, now))
        elif isinstance(channel, WebhookChannel):
            outcome = self._try(partial(send_webhook, channel, notice, now))
        else:  # pragma: no cover - e-mail goes by digest
            raise TypeError(f"unknown channel kind {channel!r}")
        return outcome if isinstance(outcome, DeliveryError) else None

    @staticmethod
    def _try(step: Callable[[], T]) -> T | DeliveryError:
        """One step of a delivery; every failure becomes a DeliveryError (returned), so
        one bad delivery never stops the pass nor leaves its batch claimed."""
        try:
            return step()
        except DeliveryError as error:
            return error
        except NotifyError as error:  # a missing secret: retry, a person must fix it
            return DeliveryError(error.message, retryable=True)
        except Exception as error:  # names the class only: messages may quote values
            return DeliveryError(f"unexpected error ({type(error).__name__})", retryable=True)

    def _settle(
        self,
        items: list[Claimed],
        report: SendReport,
        error: DeliveryError | None,
        *,
        withdrawn: bool = False,
    ) -> None:
        now = self.now()
        for item in items:
            status = write(self.tracker, self._settler(item, now, error, withdrawn))
            if status == DELIVERED:
                report.delivered += 1
            elif status == PENDING:
                report.retried += 1
            elif status == FAILED:
                report.failed += 1
            elif status == WITHDRAWN:
                report.withdrawn += 1
        if error is not None:
            report.errors.append(f"{items[0].channel}: {error.message}")
            log.warning("delivery through %s failed: %s", items[0].channel, error.message)

    def _settler(
        self, item: Claimed, now: datetime, error: DeliveryError | None, withdrawn: bool
    ) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            return settle(
                session,
                item,
                now=now,
                error=None if error is None else error.message,
                permanent=error is not None and not error.retryable,
                withdrawn=withdrawn,
                backoff=self.backoff,
            )

        return work

    def run_forever(self, stop: threading.Event, *, interval: float = 30.0) -> None:
        """Passes every ``interval`` seconds until ``stop`` is set; a pass that fails
        (the database is down) is logged and the loop goes on."""
        while not stop.is_set():
            try:
                report = self.run_once()
                if report.claimed:
                    log.info(
                        "notifications: %d delivered, %d to retry, %d failed",
                        report.delivered,
                        report.retried,
                        report.failed,
                    )
            except Exception as error:  # the loop must outlive a bad pass
                log.error("notification pass failed (%s)", type(error).__name__)
            stop.wait(interval)
