"""``radfollow listen`` (MLLP server + processing workers), ``listen status``, ``replay``."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from radfollow.jobs import HL7Options

from radfollow.cli_options import (
    DEFAULT_ACCESSION,
    AccessionFields,
    RulesDir,
    Threshold,
    Timezone,
    UseClassifier,
)
from radfollow.errors import RadfollowError
from radfollow.tracker.db import DEFAULT_URL, open_tracker

app = typer.Typer(help="HL7 feed listener (MLLP).", invoke_without_command=True)
log = logging.getLogger("radfollow.listener")

Db = Annotated[str, typer.Option("--db", help="Tracker database URL (inbox and tracker).")]


def hl7_options(timezone: str, accession: str) -> HL7Options:
    """HL7 reading options, checked as usage errors (exit 2)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from radfollow.hl7.adapter import accession_refs
    from radfollow.jobs import HL7Options

    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise typer.BadParameter(f"unknown time zone {timezone!r}") from error
    fields = tuple(accession.split(","))
    try:
        accession_refs(fields)
    except ValueError as error:
        raise typer.BadParameter(f"--accession-fields: {error}") from error
    return HL7Options(fields, tz)


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"radfollow: error: {error}", err=True)
    return typer.Exit(1)


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
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key")] = None,
    tls_client_ca: Annotated[
        Path | None,
        typer.Option("--tls-client-ca", help="Require client certificates from this CA."),
    ] = None,
    classifier: UseClassifier = True,
    timezone: Timezone = "UTC",
    accession: AccessionFields = DEFAULT_ACCESSION,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
) -> None:
    """Receive ORU^R01 over MLLP: store durably, ACK, process in the background."""
    if ctx.invoked_subcommand is not None:
        return
    from radfollow.listener.server import ListenerConfig
    from radfollow.nlp.pipeline import PipelineConfig

    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    if tls_client_ca is not None and tls_cert is None:
        raise typer.BadParameter("--tls-client-ca needs --tls-cert and --tls-key")
    hl7 = hl7_options(timezone, accession)
    config = ListenerConfig(
        host,
        port,
        max_message_bytes,
        idle_timeout,
        reject_other_types,
        tls_cert,
        tls_key,
        tls_client_ca,
        hl7,
    )
    pipeline = PipelineConfig(classifier=classifier, rules_dir=rules, threshold=threshold)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        _serve(config, db, out, workers, pipeline)
    except (RadfollowError, OSError) as error:
        raise _fail(error) from error


def _serve(config: object, db: str, out: Path | None, workers: int, pipeline: object) -> None:
    from radfollow.listener.server import Listener, ListenerConfig
    from radfollow.listener.worker import WorkerPool, recover

    assert isinstance(config, ListenerConfig)
    tracker = open_tracker(db, durable=True)
    recovered = recover(tracker)
    if recovered:
        log.info("recovered %d inbox rows left processing", recovered)
    pool = WorkerPool(db, str(out) if out else None, pipeline, workers, config.hl7)

    async def watch() -> None:
        while True:
            await asyncio.sleep(5)
            await asyncio.to_thread(pool.restart_dead)

    async def main() -> None:
        listener = Listener(tracker, config)
        host, port = await listener.start()
        watchdog = asyncio.create_task(watch())
        print(f"listening on {host}:{port}", flush=True)
        log.info("listening on %s:%d with %d workers", host, port, workers)
        await listener.serve_until_stopped()
        watchdog.cancel()
        counters = listener.counters
        log.info(
            "stopped: %d received, acks %s, %d dead letters",
            counters.received,
            counters.acked,
            counters.dead_letters,
        )

    try:
        asyncio.run(main())
    finally:
        pool.shutdown()
        tracker.close()


@app.command("status")
def status(
    db: Db = DEFAULT_URL,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Inbox depth, processed/s over the last minute, failures and dead letters."""
    from radfollow.listener.admin import inbox_status

    try:
        found = inbox_status(open_tracker(db))
    except RadfollowError as error:
        raise _fail(error) from error
    if fmt == "json":
        typer.echo(found.model_dump_json(indent=2))
        return
    oldest = f"{found.oldest_pending_seconds:.0f} s" if found.oldest_pending_seconds else "none"
    typer.echo(
        f"inbox depth {found.depth} (oldest {oldest}), processed {found.processed_per_second}/s "
        f"over the last minute, failed {found.failed}, dead letters {found.dead_letters}"
    )
    typer.echo("by status: " + json.dumps(found.by_status, sort_keys=True))


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
    classifier: UseClassifier = True,
    timezone: Timezone = "UTC",
    accession: AccessionFields = DEFAULT_ACCESSION,
    rules: RulesDir = None,
) -> None:
    """Process inbox or dead-letter messages again (after a rule update or a sender fix)."""
    from radfollow.listener.admin import replay as do_replay
    from radfollow.listener.worker import process_pending
    from radfollow.nlp.pipeline import PipelineConfig

    statuses = status or ([] if dead_letters else ["failed"])
    bad = [s for s in statuses if s not in ("failed", "done", "unusable", "ignored", "duplicate")]
    if bad:
        raise typer.BadParameter(f"cannot replay status {bad[0]!r}")
    try:
        when = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError as error:
        raise typer.BadParameter(f"--since: not a date: {since!r} (use YYYY-MM-DD)") from error
    try:
        tracker = open_tracker(db)
        result = do_replay(tracker, statuses=statuses, dead_letters=dead_letters, since=when)
        typer.echo(
            f"requeued {result.requeued}, dead letters stored {result.dead_letters_stored}, "
            f"still unreadable {result.dead_letters_still_bad}"
        )
        if process:
            pipeline = PipelineConfig(classifier=classifier, rules_dir=rules)
            counts = process_pending(tracker, out, pipeline, hl7_options(timezone, accession))
            typer.echo(f"processed: {json.dumps(counts, sort_keys=True)}")
    except RadfollowError as error:
        raise _fail(error) from error
    if sys.stdout.isatty():
        typer.echo("a running listener's workers process requeued rows")
