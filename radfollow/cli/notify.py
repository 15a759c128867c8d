"""``radfollow notify``: deliver the tracker's outbox and show delivery status (issue 17).

``send`` runs passes of the sender (plan events and deliveries, claim, deliver,
settle): once with ``--once``, else every ``--interval`` seconds until
interrupted. ``status`` shows deliveries per channel and status, and the recent
ones with their attempts and last error. Channels come from the site's
``notify.json`` in ``--rules`` (docs/notifications.md).
"""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from radfollow.cli.options import RulesDir, fail
from radfollow.cli.tracker import (
    Db,
    Format,
    Limit,
    Offset,
    Output,
    _count_line,
    _emit,
    _open,
    _reading,
)
from radfollow.errors import RadfollowError
from radfollow.tracker.db import DEFAULT_URL
from radfollow.tracker.outbox import (
    DELIVERED,
    FAILED,
    PENDING,
    SENDING,
    WITHDRAWN,
    DeliveryCount,
    DeliveryRow,
    delivery_counts,
    recent_deliveries,
    retry_failed,
)

app = typer.Typer(
    help="Outreach: deliver notifications and show their status.", no_args_is_help=True
)
STATUSES = (PENDING, SENDING, DELIVERED, FAILED, WITHDRAWN)


@app.command()
def send(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="Seconds between passes.")
    ] = 30.0,
) -> None:
    """Deliver due notifications through the channels of the site's notify.json.

    With ``--once`` the exit status is 1 when any delivery failed or is to be retried.
    """
    from radfollow.notify import Sender

    tracker = _open(db, rules)
    try:
        sender = Sender(tracker, rules_dir=str(rules) if rules else None)
    except RadfollowError as error:
        fail(error)
    if not sender.channels:
        typer.echo(
            "no channel configured in notify.json: events are kept, nothing is sent", err=True
        )
    if once:
        report = sender.run_once()
        typer.echo(
            f"{report.events} new event(s), {report.planned} delivery(ies) planned,"
            f" {report.delivered} delivered, {report.retried} to retry, {report.failed} failed"
        )
        if report.retried or report.failed:
            undelivered = report.retried + report.failed
            fail(f"{undelivered} delivery(ies) did not go through: {report.errors[0]}")
        return
    stop = threading.Event()
    try:
        sender.run_forever(stop, interval=interval)
    except KeyboardInterrupt:
        stop.set()


@app.command()
def retry(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="Only this channel's; default all.")
    ] = None,
) -> None:
    """Failed deliveries back to pending, with a fresh count of attempts, once the
    cause is fixed (an expired token, a receiver that refused them); the next
    ``send`` pass delivers them."""
    from datetime import UTC, datetime

    from radfollow.tracker.transaction import write

    tracker = _open(db, rules)
    try:
        count = write(tracker, lambda s: retry_failed(s, now=datetime.now(UTC), channel=channel))
    except RadfollowError as error:
        fail(error)
    typer.echo(f"{count} failed delivery(ies) set to pending")


@app.command()
def status(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    only: Annotated[
        str | None,
        typer.Option("--status", help="pending, sending, delivered, failed or withdrawn."),
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Counts per channel and status only.")
    ] = False,
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Deliveries: counts per channel and status, or the recent ones (newest event
    first) with attempts, next attempt and last error."""
    if only is not None and only not in STATUSES:
        raise typer.BadParameter(f"--status must be one of {', '.join(STATUSES)}")
    tracker = _open(db, rules)
    with _reading(tracker) as session:
        if summary:
            counts = delivery_counts(session)
        else:
            rows = recent_deliveries(session, status=only, limit=limit or 100, offset=offset)
    if summary:
        _emit(list(counts), fmt, output, ["channel", "status", "count"], model=DeliveryCount)
        _count_line(len(counts), fmt, output)
        return
    columns = ["id", "channel", "event", "status", "attempts", "created_at", "next_attempt_at",
               "delivered_at", "last_error"]  # fmt: skip
    _emit(list(rows), fmt, output, columns, model=DeliveryRow)
    _count_line(len(rows), fmt, output)
