"""``radfollow listen`` (MLLP server and workers), ``listen status`` and ``replay``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from radfollow.cli.options import (
    DEFAULT_ACCESSION,
    AcceptTestMessages,
    AccessionFields,
    Backend,
    Heads,
    ModelDir,
    RulesDir,
    Threshold,
    Timezone,
    UseClassifier,
    fail,
    processing_options,
    utc_datetime,
)
from radfollow.errors import RadfollowError
from radfollow.tracker.db import DEFAULT_URL, open_tracker

app = typer.Typer(help="HL7 feed listener (MLLP).", invoke_without_command=True)

Db = Annotated[str, typer.Option("--db", help="Tracker database URL (inbox and tracker).")]


@app.callback()
def listen(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port; 0 picks a free one.")] = 2575,
    db: Db = DEFAULT_URL,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for bundles-YYYYMMDD.ndjson.")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Processing worker processes.")
    ] = 1,
    max_message_bytes: Annotated[int, typer.Option("--max-message-bytes", min=1024)] = 4
    * 1024
    * 1024,
    idle_timeout: Annotated[float, typer.Option("--idle-timeout", help="Seconds.")] = 300.0,
    reject_other_types: Annotated[
        bool, typer.Option("--reject-other-types", help="AR (not AA) for non-ORU messages.")
    ] = False,
    max_connections: Annotated[
        int,
        typer.Option("--max-connections", min=1, help="Connections open at once; more are closed."),
    ] = 64,
    max_buffered_bytes: Annotated[
        int,
        typer.Option(
            "--max-buffered-bytes",
            min=1024,
            help="Bytes buffered by all connections together; over it, reading waits.",
        ),
    ] = 64 * 1024 * 1024,
    accept_test_messages: AcceptTestMessages = False,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key")] = None,
    tls_client_ca: Annotated[
        Path | None,
        typer.Option("--tls-client-ca", help="Require client certificates from this CA."),
    ] = None,
    timezone: Timezone = "UTC",
    accession: AccessionFields = DEFAULT_ACCESSION,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    classifier: UseClassifier = None,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
    notify_every: Annotated[
        float,
        typer.Option(
            "--notify-every",
            min=0.0,
            help="Also deliver notifications (the --rules folder's notify.json) every"
            " this many seconds; 0: not in this process (run `radfollow notify send`).",
        ),
    ] = 0.0,
    lease_seconds: Annotated[
        float,
        typer.Option(
            "--lease-seconds",
            min=1.0,
            help="How long a worker's claim on inbox rows holds without a renewal; then"
            " another listener on the same database takes the rows over.",
        ),
    ] = 60.0,
    heartbeat_seconds: Annotated[
        float | None,
        typer.Option(
            "--heartbeat-seconds",
            min=0.1,
            help="How often a worker renews its claims (default: a third of the lease).",
        ),
    ] = None,
    max_worker_deaths: Annotated[
        int,
        typer.Option(
            "--max-worker-deaths",
            min=2,
            help="Fail a message (a poison message) once a worker process has died this"
            " many times while holding it; rows of a dead worker are retried one at a"
            " time. `radfollow replay` retries a failed one.",
        ),
    ] = 3,
) -> None:
    """Receive ORU^R01 over MLLP: store durably, ACK, process in the background."""
    if ctx.invoked_subcommand is not None:
        return
    from radfollow.listener.claims import Lease
    from radfollow.listener.run import serve
    from radfollow.listener.server import ListenerConfig
    from radfollow.listener.worker import LOG_FORMAT

    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    if tls_client_ca is not None and tls_cert is None:
        raise typer.BadParameter("--tls-client-ca needs --tls-cert and --tls-key")
    try:
        lease = Lease(lease_seconds, heartbeat_seconds, max_worker_deaths)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    options = processing_options(
        rules=rules,
        threshold=threshold,
        classifier=classifier,
        model=model,
        heads=heads,
        backend=backend,
        timezone=timezone,
        accession=accession,
        accept_test_messages=accept_test_messages,
    )
    config = ListenerConfig(
        host=host,
        port=port,
        max_message_bytes=max_message_bytes,
        idle_timeout=idle_timeout,
        reject_other_types=reject_other_types,
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_client_ca=tls_client_ca,
        hl7=options.hl7,
        max_report_chars=options.max_report_chars,
        max_connections=max_connections,
        max_buffered_bytes=max_buffered_bytes,
        accept_test_messages=accept_test_messages,
    )
    try:
        config.check()
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)

    def ready(bound_host: str, bound_port: int) -> None:
        print(f"listening on {bound_host}:{bound_port}", flush=True)

    try:
        serve(
            config,
            db,
            out,
            workers,
            options,
            ready=ready,
            notify_every=notify_every or None,
            lease=lease,
        )
    except (RadfollowError, OSError) as error:
        fail(error)


@app.command("status")
def status(
    db: Db = DEFAULT_URL,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Inbox depth, processed/s over the last minute, failures, dead letters, and the rows
    each listener worker holds (with expired leases, which another listener takes over)."""
    from radfollow.listener.admin import inbox_status

    try:
        found = inbox_status(open_tracker(db, create=False))
    except RadfollowError as error:
        fail(error)
    if fmt == "json":
        typer.echo(found.model_dump_json(indent=2))
        return
    oldest = f"{found.oldest_pending_seconds:.0f} s" if found.oldest_pending_seconds else "none"
    typer.echo(
        f"inbox depth {found.depth} (oldest {oldest}), processed {found.processed_per_second}/s "
        f"over the last minute, failed {found.failed}, dead letters {found.dead_letters}"
    )
    typer.echo("by status: " + json.dumps(found.by_status, sort_keys=True))
    if found.poison or found.suspect:
        typer.echo(
            f"poison messages: {found.poison} failed (`radfollow replay` retries them),"
            f" {found.suspect} pending to be retried one at a time"
        )
    for held in found.claims:
        beat = (
            f"last heartbeat {held.heartbeat_age_seconds:.0f} s ago"
            if held.heartbeat_age_seconds is not None
            else "no heartbeat"
        )
        lapsed = f", {held.expired} with an expired lease" if held.expired else ""
        typer.echo(f"claimed by {held.claimed_by}: {held.rows} in processing{lapsed}, {beat}")


def replay(
    db: Db = DEFAULT_URL,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status", help="Inbox statuses to process again (failed, done, unusable...)."
        ),
    ] = None,
    dead_letters: Annotated[
        bool, typer.Option("--dead-letters", help="Store dead letters that now parse.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Received on or after (YYYY-MM-DD).")
    ] = None,
    process: Annotated[
        bool, typer.Option("--process", help="Process them now, in this process.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Bundles folder, with --process.")
    ] = None,
    timezone: Timezone = "UTC",
    accession: AccessionFields = DEFAULT_ACCESSION,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    classifier: UseClassifier = None,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
) -> None:
    """Process inbox or dead-letter messages again (after a rule update or a sender fix)."""
    from radfollow.listener.admin import replay as do_replay
    from radfollow.listener.worker import process_pending

    statuses = status or ([] if dead_letters else ["failed"])
    bad = [s for s in statuses if s not in ("failed", "done", "unusable", "ignored", "duplicate")]
    if bad:
        raise typer.BadParameter(f"cannot replay status {bad[0]!r}")
    when = utc_datetime(since, "--since", end_of_day=False)
    options = processing_options(
        rules=rules,
        threshold=threshold,
        classifier=classifier,
        model=model,
        heads=heads,
        backend=backend,
        timezone=timezone,
        accession=accession,
    )
    try:
        tracker = open_tracker(db, rules_dir=rules, create=False)
        result = do_replay(
            tracker, statuses=statuses, dead_letters=dead_letters, since=when, hl7=options.hl7
        )
        typer.echo(
            f"requeued {result.requeued}, dead letters stored {result.dead_letters_stored}, "
            f"still unreadable {result.dead_letters_still_bad}"
        )
        if process:
            counts = process_pending(tracker, out, options)
            typer.echo(f"processed: {json.dumps(counts, sort_keys=True)}")
    except RadfollowError as error:
        fail(error)
    if sys.stdout.isatty():
        typer.echo("a running listener's workers process requeued rows")
