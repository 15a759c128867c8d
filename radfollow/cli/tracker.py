"""``radfollow tracker ...``: worklists, detail, review actions and statistics."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from radfollow.cli.options import RulesDir, fail, utc_datetime
from radfollow.errors import RadfollowError
from radfollow.io.atomic import atomic_writer
from radfollow.io.spreadsheet import to_csv
from radfollow.tracker.db import DEFAULT_URL, Tracker, database_error, database_url, open_tracker
from radfollow.tracker.queries import MAX_ID, STATUSES, Filters, detail, stats, worklist
from radfollow.tracker.review import CloseReason, close, reopen

app = typer.Typer(help="Follow-up tracker for quality teams.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 200)

Db = Annotated[
    str, typer.Option("--db", help="Tracker database URL, or the path of a SQLite file.")
]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Compute statuses at this date (YYYY-MM-DD); default now."),
]
Format = Annotated[str, typer.Option("--format", help="table, csv or json.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
#: A recommendation id: 1 up to the largest a table holds; others are usage errors.
RecId = Annotated[int, typer.Argument(help="Recommendation id.", min=1, max=MAX_ID)]


def _open(db: str, rules: Path | None) -> Tracker:
    """The tracker with the site's policy (``--rules``: its tracker.json and the body
    regions of its recommendations.json)."""
    try:
        return open_tracker(db, rules_dir=rules)
    except RadfollowError as error:
        fail(error)


@contextmanager
def _reading(tracker: Tracker) -> Iterator[Session]:
    """A session whose database errors (a file found corrupt while reading, a lost
    server) end the command with a one-line reason naming the database."""
    try:
        with tracker.session() as session:
            yield session
    except SQLAlchemyError as error:
        fail(database_error(error, database_url(tracker.url)))


def _emit(rows: list[BaseModel], fmt: str, output: Path | None, columns: list[str]) -> None:
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")
    data = [r.model_dump(mode="json") for r in rows]
    if fmt == "table" and output is None:
        table = Table(*columns, show_lines=False)
        for item in data:
            table.add_row(*[_cell(item.get(c)) for c in columns])
        console.print(table)
        return
    text = json.dumps(data, indent=2) + "\n" if fmt == "json" else _csv(data)
    if output is None:
        sys.stdout.write(text)
        return
    with atomic_writer(output, encoding="utf-8-sig" if fmt == "csv" else "utf-8") as handle:
        handle.write(text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "-".join(f"{v:g}" for v in value)
    return str(value)


def _csv(data: list[dict[str, Any]]) -> str:
    """CSV a spreadsheet opens cleanly: every field, header row, every cell quoted,
    ranges as "6-12", numbers as numbers, text that could run as a formula prefixed
    with ' (radfollow.io.spreadsheet); no rows: empty."""
    if not data:
        return ""
    cells = [{k: v if isinstance(v, int | float) else _cell(v) for k, v in d.items()} for d in data]
    return to_csv(cells, list(data[0]))


@app.command("list")
def list_command(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    status: Annotated[str | None, typer.Option("--status", help=", ".join(STATUSES))] = None,
    as_of: AsOf = None,
    modality: Annotated[str | None, typer.Option("--modality")] = None,
    finding: Annotated[str | None, typer.Option("--finding", help="Finding type.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Reported on or after.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Reported on or before.")] = None,
    patient: Annotated[str | None, typer.Option("--patient", help="Patient id.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, max=MAX_ID)] = None,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Recommendations with their status, most urgent first."""
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"--status must be one of {', '.join(STATUSES)}")
    when = utc_datetime(as_of, "--as-of") or datetime.now(UTC)
    filters = Filters(
        status=status,
        modality=modality,
        finding_type=finding,
        since=utc_datetime(since, "--since", end_of_day=False),
        until=utc_datetime(until, "--until"),
        patient=patient,
    )
    tracker = _open(db, rules)
    with _reading(tracker) as session:
        rows = worklist(session, filters, as_of=when, grace=tracker.policy.grace, limit=limit)
    columns = [
        "id",
        "status",
        "patient_id",
        "accession",
        "finding_type",
        "modality",
        "body_region",
        "interval_months",
        "due_start",
        "due_end",
        "completed_by",
    ]
    _emit(list(rows), fmt, output, columns)


@app.command()
def show(
    rec_id: RecId,
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    as_of: AsOf = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """One recommendation: the report text around it, its finding, matching and audit trail."""
    when = utc_datetime(as_of, "--as-of") or datetime.now(UTC)
    tracker = _open(db, rules)
    with _reading(tracker) as session:
        found = detail(session, rec_id, as_of=when, grace=tracker.policy.grace)
    if found is None:
        fail(f"no recommendation {rec_id}")
    if fmt == "json":
        typer.echo(found.model_dump_json(indent=2))
        return
    row = found.row
    console.print(f"[bold]Recommendation {row.id}[/bold]  status: [bold]{row.status}[/bold]")
    for label, value in [
        ("patient", row.patient_id),
        ("study", f"{row.accession} {row.procedure or ''} {row.study_date}"),
        ("recommends", f"{row.modality or 'follow-up'} {row.body_region or ''}"),
        ("interval", _cell(row.interval_months) or f"none ({row.window} window)"),
        ("due", f"{row.due_start} to {row.due_end}"),
        ("conditional", str(row.conditional)),
        ("score", _cell(row.score)),
        ("completed by", row.completed_by or ""),
        ("matched because", found.completion_reason or ""),
        ("closed", row.closed_reason or ""),
    ]:
        console.print(f"  {label:<16} {value}", highlight=False, markup=False)
    if found.finding:
        console.print(
            f"  {'finding':<16} {json.dumps(found.finding)}", highlight=False, markup=False
        )
    console.print("\n[bold]Report text[/bold]")
    console.print(found.context, highlight=False, markup=False)
    console.print("\n[bold]Audit trail[/bold]")
    for action in found.audit:
        console.print(
            f"  {action['at']}  {action['actor']:<12} {action['action']:<10} "
            f"{action['reason'] or ''}",
            highlight=False,
            markup=False,
        )


@app.command("close")
def close_command(
    rec_id: RecId,
    reason: Annotated[CloseReason, typer.Option("--reason", help="Why it is closed.")],
    by: Annotated[str, typer.Option("--by", help="Who closes it.")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
) -> None:
    """Close a recommendation with a reason (recorded in the audit trail)."""
    tracker = _open(db, rules)
    try:
        with _reading(tracker) as session:
            close(session, rec_id, reason=reason, by=by, at=datetime.now(UTC), note=note)
    except RadfollowError as error:
        fail(error)
    typer.echo(f"recommendation {rec_id} closed: {reason.value}")


@app.command("reopen")
def reopen_command(
    rec_id: RecId,
    by: Annotated[str, typer.Option("--by", help="Who reopens it.")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
) -> None:
    """Reopen a closed recommendation."""
    tracker = _open(db, rules)
    try:
        with _reading(tracker) as session:
            reopen(session, rec_id, by=by, at=datetime.now(UTC), note=note)
    except RadfollowError as error:
        fail(error)
    typer.echo(f"recommendation {rec_id} reopened")


@app.command("stats")
def stats_command(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    since: Annotated[str | None, typer.Option("--since", help="Reported on or after.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Reported on or before.")] = None,
    as_of: AsOf = None,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Recommendations, completion rate, overdue count and median days to completion."""
    filters = Filters(
        since=utc_datetime(since, "--since", end_of_day=False), until=utc_datetime(until, "--until")
    )
    when = utc_datetime(as_of, "--as-of") or datetime.now(UTC)
    tracker = _open(db, rules)
    with _reading(tracker) as session:
        rows = stats(session, filters, as_of=when, grace=tracker.policy.grace)
    columns = [
        "group",
        "value",
        "recommendations",
        "open",
        "due",
        "overdue",
        "completed",
        "closed",
        "completion_rate",
        "median_days_to_completion",
    ]
    _emit(list(rows), fmt, output, columns)
