"""``radfollow listen``: open the inbox, recover, start the workers, serve until stopped."""

from __future__ import annotations

import asyncio
import errno
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from radfollow.errors import RadfollowError, error_location
from radfollow.io.private import make_private_dirs
from radfollow.listener.claims import Lease, recover_at_start
from radfollow.listener.server import Counters, Listener, ListenerConfig
from radfollow.listener.worker import WorkerPool
from radfollow.tracker.db import open_tracker

if TYPE_CHECKING:
    from radfollow.processing.core import ProcessingOptions

log = logging.getLogger("radfollow.listener")

#: Seconds between checks for dead workers.
WATCH_INTERVAL_S = 5.0


def _quiet_exceptions(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's default handler prints a traceback, whose exception text can quote
    message values; log the exception class only (the location at INFO)."""
    error = context.get("exception")
    if error is None:
        log.error("listener event loop: %s", context.get("message", "unknown error"))
        return
    log.error("listener event loop: unexpected %s", type(error).__name__)
    log.info("listener event loop: %s at %s", type(error).__name__, error_location(error))


def check_out_dir(out: Path) -> None:
    """Create the Bundles folder ``out`` if needed and check that a file can be
    created in it, so that a bad ``--out`` stops the listener at start instead of
    failing every row after its AA. Raises OSError naming ``out`` and the reason."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder (--out names a folder)", str(out))
    try:
        make_private_dirs(out)
        with tempfile.TemporaryFile(dir=out, prefix=".radfollow-check-"):
            pass
    except OSError as error:
        why = error.strerror or type(error).__name__
        raise OSError(
            error.errno, f"cannot write Bundles in this folder ({why})", str(out)
        ) from None


async def watch_workers(pool: WorkerPool, interval: float = WATCH_INTERVAL_S) -> None:
    """Every ``interval`` seconds, give back dead workers' rows and restart them, for
    ever; a database that is away costs one ERROR line and a try at the next tick
    (before, the first error ended the watch: dead workers were never restarted)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(pool.restart_dead)
        except (SQLAlchemyError, RadfollowError) as error:
            log.error("cannot restart dead workers yet (%s)", type(error).__name__)


def serve(
    config: ListenerConfig,
    db: str,
    out: Path | None,
    workers: int,
    options: ProcessingOptions,
    *,
    ready: Callable[[str, int], None] | None = None,
    notify_every: float | None = None,
    lease: Lease | None = None,
) -> Counters:
    """Run the listener until SIGTERM/SIGINT; return its counters.

    ``notify_every``: also run the notification sender (radfollow.notify, the
    site's notify.json) in a thread, a pass every that many seconds, so that
    critical results without documented communication go out as they arrive.

    ``lease``: how long the workers' claims hold without a renewal, how often
    they renew them (several listeners may share the database), and after how
    many worker deaths while holding it a row is failed as a poison message.
    Rows left ``processing`` whose lease ran out, or whose worker ran on this
    host and is gone, go back to pending first, the death counted; a live lease
    of another listener is left alone. ``ready(host, port)`` is called once it listens.
    Raises, before anything is received: OSError when ``out`` is not a folder
    that can be written, TrackerError when the database cannot be opened,
    OSError when the address cannot be bound.
    """
    if out is not None:
        check_out_dir(out)
    tracker = open_tracker(db, rules_dir=options.rules_dir, durable=True, timezone=options.timezone)
    recovered = recover_at_start(tracker, lease)
    if recovered:
        log.info("recovered %d inbox rows left processing", recovered)
    pool = WorkerPool(tracker, db, str(out) if out else None, options, workers, lease=lease)
    stop_sending = threading.Event()
    sender_thread = None
    if notify_every:
        from radfollow.notify import Sender

        sender = Sender(tracker, rules_dir=str(options.rules_dir) if options.rules_dir else None)
        sender_thread = threading.Thread(
            target=sender.run_forever,
            args=(stop_sending,),
            kwargs={"interval": notify_every},
            name="radfollow-notify",
            daemon=True,
        )
        sender_thread.start()

    async def main() -> Counters:
        asyncio.get_running_loop().set_exception_handler(_quiet_exceptions)
        listener = Listener(tracker, config)
        host, port = await listener.start()
        watchdog = asyncio.create_task(watch_workers(pool))
        if ready is not None:
            ready(host, port)
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
        return counters

    try:
        return asyncio.run(main())
    finally:
        stop_sending.set()
        if sender_thread is not None:
            sender_thread.join(timeout=60)
        pool.shutdown()
        tracker.close()
