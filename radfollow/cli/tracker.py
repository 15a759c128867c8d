"""``radfollow tracker ...``: worklists, detail, review actions and statistics."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from radfollow.cli.options import (
    RulesDir,
    ShowProgress,
    Timezone,
    err_console,
    fail,
    progress,
    utc_datetime,
)
from radfollow.errors import RadfollowError
from radfollow.io.atomic import atomic_writer
from radfollow.io.spreadsheet import to_csv
from radfollow.models import CheckKind, FindingType, Modality, PatientClass
from radfollow.tracker.bulk import CHUNK_SIZE
from radfollow.tracker.db import DEFAULT_URL, Tracker, database_error, database_url, open_tracker
from radfollow.tracker.decisions import choose, unmatch
from radfollow.tracker.judgements import (
    CONCORDANCES,
    CheckRow,
    CriticalRow,
    GuidelineRow,
    JudgementFilters,
    critical_worklist,
    guideline_worklist,
    report_checks,
)
from radfollow.tracker.queries import (
    MAX_ID,
    STATS_DIMENSIONS,
    STATUSES,
    Filters,
    StatsRow,
    WorklistRow,
    count,
    detail,
    known_values,
    stats,
    worklist,
)
from radfollow.tracker.review import CloseReason, close, reopen
from radfollow.tracker.worklog import labels

MODALITIES = [m.value for m in Modality]
FINDING_TYPES = [f.value for f in FindingType]
PATIENT_CLASSES = tuple(c.value for c in PatientClass)

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
    regions of its recommendations.json). Every ``tracker`` command acts on an
    existing tracker: a database without one is an error (RF707), never created."""
    try:
        return open_tracker(db, rules_dir=rules, create=False)
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


def _emit(
    rows: list[BaseModel],
    fmt: str,
    output: Path | None,
    columns: list[str],
    *,
    model: type[BaseModel],
) -> None:
    """``rows`` (instances of ``model``) as a table (``columns``), JSON or CSV (every
    field of ``model``, in its order, so an empty export still has its header); CSV
    is UTF-8 with a BOM, to a file and to stdout alike."""
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")
    data = [r.model_dump(mode="json") for r in rows]
    if fmt == "table" and output is None:
        table = Table(*columns, show_lines=False)
        for item in data:
            table.add_row(*[_cell(item.get(c)) for c in columns])
        console.print(table)
        return
    if fmt == "json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = _csv(data, list(model.model_fields))
    if output is None and fmt == "csv":  # bytes: the BOM and the CRLFs as they are
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8-sig"))
        sys.stdout.buffer.flush()
        return
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


def _csv(data: list[dict[str, Any]], columns: list[str]) -> str:
    """CSV a spreadsheet opens cleanly: the header row (``columns``, also when there
    are no rows), every cell quoted, ranges as "6-12", numbers as numbers, text that
    could run as a formula prefixed with ' (radfollow.io.spreadsheet)."""
    cells = [{k: v if isinstance(v, int | float) else _cell(v) for k, v in d.items()} for d in data]
    return to_csv(cells, columns)


def _choice(value: str | None, option: str, known: list[str]) -> str | None:
    """``value`` when it is one of ``known``; a usage error listing them otherwise."""
    if value is None or value in known:
        return value
    shown = ", ".join(known[:40]) + (" ..." if len(known) > 40 else "")
    message = f"{value!r} is not known; known values: {shown or 'none'}"
    raise typer.BadParameter(message, param_hint=option)


@app.command("list")
def list_command(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Repeat or comma-separate: " + ", ".join(STATUSES)),
    ] = None,
    as_of: AsOf = None,
    modality: Annotated[str | None, typer.Option("--modality")] = None,
    finding: Annotated[str | None, typer.Option("--finding", help="Finding type.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Recommended body region.")] = None,
    radiologist: Annotated[
        str | None, typer.Option("--radiologist", help="Principal result interpreter (OBR-32).")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Ordering provider (OBR-16).")
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="Sending facility (MSH-4).")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="PV1-3 point of care / ORC-21.")
    ] = None,
    patient_class: Annotated[
        str | None, typer.Option("--patient-class", help=", ".join(PATIENT_CLASSES))
    ] = None,
    due_from: Annotated[
        str | None, typer.Option("--due-from", help="Due window ends on or after (YYYY-MM-DD).")
    ] = None,
    due_to: Annotated[
        str | None, typer.Option("--due-to", help="Due window starts on or before (YYYY-MM-DD).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Reported on or after.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Reported on or before.")] = None,
    patient: Annotated[str | None, typer.Option("--patient", help="Patient id.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, max=MAX_ID)] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, max=MAX_ID, help="Skip rows.")] = 0,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Recommendations with their status, most urgent first; the total goes to stderr."""
    statuses = [s.strip() for item in status or [] for s in item.split(",") if s.strip()]
    for value in statuses:
        _choice(value, "--status", list(STATUSES))
    tracker = _open(db, rules)
    tz = tracker.timezone
    when = utc_datetime(as_of, "--as-of", tz=tz) or datetime.now(UTC)
    _choice(modality.upper() if modality else None, "--modality", MODALITIES)
    _choice(finding, "--finding", FINDING_TYPES)
    region = region.lower() if region else None
    _choice(region, "--region", tracker.policy.known_regions())
    _choice(patient_class, "--patient-class", list(PATIENT_CLASSES))
    filters = Filters(
        statuses=statuses,
        modality=modality,
        finding_type=finding,
        region=region,
        radiologist=radiologist,
        provider=provider,
        site=site,
        department=department,
        patient_class=patient_class,
        due_from=utc_datetime(due_from, "--due-from", end_of_day=False, tz=tz),
        due_to=utc_datetime(due_to, "--due-to", tz=tz),
        since=utc_datetime(since, "--since", end_of_day=False, tz=tz),
        until=utc_datetime(until, "--until", tz=tz),
        patient=patient,
    )
    with _reading(tracker) as session:
        dimensions: list[tuple[str | None, str, str]] = [
            (radiologist, "radiologist", "--radiologist"),
            (provider, "provider", "--provider"),
            (site, "site", "--site"),
            (department, "department", "--department"),
        ]
        for given, dimension, option in dimensions:
            if given is not None:
                _choice(given, option, known_values(session, dimension))
        grace, lead = tracker.policy.grace, tracker.policy.coming_due
        rows = worklist(
            session,
            filters,
            as_of=when,
            grace=grace,
            limit=limit,
            offset=offset,
            lead=lead,
            tz=tz,
        )
        total = count(session, filters, as_of=when, grace=grace, lead=lead, tz=tz)
    columns = [
        "id",
        "status",
        "patient_id",
        "accession",
        "finding_type",
        "modality",
        "body_region",
        "interval_min",
        "interval_max",
        "due_start",
        "due_end",
        "completed_by",
    ]
    _emit(list(rows), fmt, output, columns, model=WorklistRow)
    if fmt == "table" or output is not None:  # machine formats on stdout stay pure data
        shown = f"rows {offset + 1}-{offset + len(rows)} of {total}"
        if not rows:
            shown = f"no rows at offset {offset} ({total} in all)" if offset else "no rows"
        typer.echo(shown, err=output is not None)


Radiologist = Annotated[
    str | None, typer.Option("--radiologist", help="Principal result interpreter (OBR-32).")
]
Site = Annotated[str | None, typer.Option("--site", help="Sending facility (MSH-4).")]
Since = Annotated[str | None, typer.Option("--since", help="Exam on or after (YYYY-MM-DD).")]
Until = Annotated[str | None, typer.Option("--until", help="Exam on or before (YYYY-MM-DD).")]
Limit = Annotated[int | None, typer.Option("--limit", min=1, max=MAX_ID)]
Offset = Annotated[int, typer.Option("--offset", min=0, max=MAX_ID, help="Skip rows.")]


def _judgement_filters(
    tracker: Tracker,
    since: str | None,
    until: str | None,
    radiologist: str | None,
    site: str | None,
    **values: Any,
) -> JudgementFilters:
    tz = tracker.timezone
    return JudgementFilters(
        since=utc_datetime(since, "--since", end_of_day=False, tz=tz),
        until=utc_datetime(until, "--until", tz=tz),
        radiologist=radiologist,
        site=site,
        **values,
    )


def _count_line(rows: int, fmt: str, output: Path | None) -> None:
    """How many rows, under a table or on stderr beside a file; machine formats on
    stdout stay pure data."""
    if fmt == "table" or output is not None:
        typer.echo(f"{rows} row(s)" if rows else "no rows", err=output is not None)


@app.command("missing")
def missing_command(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    concordance: Annotated[
        list[str] | None,
        typer.Option(
            "--concordance",
            help="Repeat or comma-separate: "
            + ", ".join(CONCORDANCES)
            + " (default missing: a guideline follow-up and no recommendation).",
        ),
    ] = None,
    guideline: Annotated[
        str | None, typer.Option("--guideline", help="Guideline id, e.g. fleischner.")
    ] = None,
    radiologist: Radiologist = None,
    site: Site = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 500,
    offset: Offset = 0,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Incidental findings whose report disagrees with the guideline, newest exam first:
    by default those with a guideline follow-up and no recommendation (docs/guidance.md)."""
    values = [c.strip() for item in concordance or ["missing"] for c in item.split(",")]
    for value in values:
        _choice(value, "--concordance", list(CONCORDANCES))
    tracker = _open(db, rules)
    filters = _judgement_filters(
        tracker, since, until, radiologist, site, concordance=values, guideline=guideline
    )
    with _reading(tracker) as session:
        rows = guideline_worklist(session, filters, limit=limit, offset=offset)
    columns = ["finding_id", "concordance", "patient_id", "accession", "study_date"]
    columns += ["finding_type", "size_mm", "guideline", "band", "expected"]
    _emit(list(rows), fmt, output, columns, model=GuidelineRow)
    _count_line(len(rows), fmt, output)


@app.command("checks")
def checks_command(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="laterality, sex or age; default all.")
    ] = None,
    radiologist: Radiologist = None,
    site: Site = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 500,
    offset: Offset = 0,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Reports that disagree with their order or patient (laterality, sex, age), newest
    exam first, with the words that disagree."""
    _choice(kind, "--kind", [k.value for k in CheckKind])
    tracker = _open(db, rules)
    filters = _judgement_filters(tracker, since, until, radiologist, site)
    with _reading(tracker) as session:
        rows = report_checks(session, filters, kind=kind, limit=limit, offset=offset)
    columns = ["id", "kind", "patient_id", "accession", "study_date", "message", "evidence"]
    _emit(list(rows), fmt, output, columns, model=CheckRow)
    _count_line(len(rows), fmt, output)


@app.command("critical")
def critical_command(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    all_results: Annotated[
        bool,
        typer.Option("--all", help="Also results whose report documents a communication."),
    ] = False,
    radiologist: Radiologist = None,
    site: Site = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 500,
    offset: Offset = 0,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Critical and significant unexpected results whose report documents no
    communication of them (the "uncommunicated critical" worklist), ACR category 1
    first, then newest exam first."""
    tracker = _open(db, rules)
    filters = _judgement_filters(tracker, since, until, radiologist, site)
    with _reading(tracker) as session:
        rows = critical_worklist(
            session, filters, uncommunicated_only=not all_results, limit=limit, offset=offset
        )
    columns = ["id", "label", "acr_category", "assertion", "communicated", "patient_id",
               "accession", "study_date", "finding"]  # fmt: skip
    _emit(list(rows), fmt, output, columns, model=CriticalRow)
    _count_line(len(rows), fmt, output)


@app.command()
def show(
    rec_id: RecId,
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    as_of: AsOf = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """One recommendation: the report text around it, its finding, matching and audit trail."""
    tracker = _open(db, rules)
    when = utc_datetime(as_of, "--as-of", tz=tracker.timezone) or datetime.now(UTC)
    with _reading(tracker) as session:
        found = detail(
            session,
            rec_id,
            as_of=when,
            grace=tracker.policy.grace,
            lead=tracker.policy.coming_due,
            tz=tracker.timezone,
        )
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
        ("interval", _interval(row) or f"none ({row.window} window)"),
        ("side", row.laterality or ""),
        ("due", f"{row.due_start} to {row.due_end}"),
        ("conditional", str(row.conditional)),
        ("score", _cell(row.score)),
        ("completed by", f"{row.completed_by or ''}{' (early)' if row.early else ''}"),
        ("matched because", found.completion_reason or ""),
        ("closed", row.closed_reason or ""),
    ]:
        console.print(f"  {label:<16} {value}", highlight=False, markup=False)
    if found.finding:
        console.print(
            f"  {'finding':<16} {json.dumps(found.finding)}", highlight=False, markup=False
        )
    if found.candidates:
        console.print("\n[bold]Candidate studies (a person decides)[/bold]")
        for c in found.candidates:
            console.print(
                f"  {c['accession']}  {c['procedure'] or ''}  {c['study_date']}  "
                f"{c['strength']}: {c['reason']}",
                highlight=False,
                markup=False,
            )
    console.print("\n[bold]Report text[/bold]")
    console.print(found.context, highlight=False, markup=False)
    console.print("\n[bold]Audit trail[/bold]")
    for action in found.audit:
        console.print(
            f"  {action['at']}  {action['actor']:<12} {action['action']:<10} "
            f"{action['reason'] or ''}"
            + (f" (clinical time {action['clinical_at']})" if action["clinical_at"] else ""),
            highlight=False,
            markup=False,
        )


def _interval(row: WorklistRow) -> str:
    """ "6-12" months, "3" when both ends agree, "" without an interval."""
    if row.interval_min is None or row.interval_max is None:
        return ""
    if row.interval_min == row.interval_max:
        return f"{row.interval_min:g}"
    return f"{row.interval_min:g}-{row.interval_max:g}"


@app.command("unmatch")
def unmatch_command(
    rec_id: RecId,
    by: Annotated[str, typer.Option("--by", help="Who decides (recorded in the audit trail).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the study does not fulfil it.")],
    study: Annotated[
        str | None,
        typer.Option("--study", help="Accession of one candidate to turn down (default: all)."),
    ] = None,
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
) -> None:
    """Undo a wrong completion (or turn down review candidates): back to the worklist.

    The study is never matched to this recommendation again.
    """
    if not by.strip():
        raise typer.BadParameter("must name who acts", param_hint="--by")
    if not reason.strip():
        raise typer.BadParameter("must say why the study does not fulfil it", param_hint="--reason")
    tracker = _open(db, rules)
    try:
        with _reading(tracker) as session:
            gone = unmatch(
                session,
                rec_id,
                by=by,
                reason=reason,
                at=datetime.now(UTC),
                accession=study,
                policy=tracker.policy,
            )
    except RadfollowError as error:
        fail(error)
    typer.echo(f"recommendation {rec_id}: {', '.join(gone)} no longer fulfils it")


@app.command("match")
def match_command(
    rec_id: RecId,
    study: Annotated[str, typer.Option("--study", help="Accession of the fulfilling study.")],
    by: Annotated[str, typer.Option("--by", help="Who decides (recorded in the audit trail).")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
) -> None:
    """Complete a recommendation with the study a person chose (e.g. a review candidate)."""
    if not by.strip():
        raise typer.BadParameter("must name who acts", param_hint="--by")
    tracker = _open(db, rules)
    early = tracker.policy.early
    try:
        with _reading(tracker) as session:
            choose(
                session,
                rec_id,
                accession=study,
                by=by,
                note=note,
                at=datetime.now(UTC),
                early_days=early,
            )
    except RadfollowError as error:
        fail(error)
    typer.echo(f"recommendation {rec_id} completed by {study}")


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
    if not by.strip():
        raise typer.BadParameter(
            "must name who acts (the audit trail records it)", param_hint="--by"
        )
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
    if not by.strip():
        raise typer.BadParameter(
            "must name who acts (the audit trail records it)", param_hint="--by"
        )
    tracker = _open(db, rules)
    try:
        with _reading(tracker) as session:
            reopen(session, rec_id, by=by, at=datetime.now(UTC), note=note, policy=tracker.policy)
    except RadfollowError as error:
        fail(error)
    typer.echo(f"recommendation {rec_id} reopened")


@app.command("stats")
def stats_command(
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Group by (repeatable): " + ", ".join(STATS_DIMENSIONS)),
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Reported on or after.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Reported on or before.")] = None,
    as_of: AsOf = None,
    fmt: Format = "table",
    output: Output = None,
) -> None:
    """Adherence and closed-loop rates (docs/tracker.md, "Statistics"), overall and by group."""
    named = [g.strip() for item in by or ["finding,modality"] for g in item.split(",")]
    groups = tuple(dict.fromkeys(g for g in named if g))  # once each, in the order given
    for group in groups:
        _choice(group, "--by", list(STATS_DIMENSIONS))
    tracker = _open(db, rules)
    tz = tracker.timezone
    filters = Filters(
        since=utc_datetime(since, "--since", end_of_day=False, tz=tz),
        until=utc_datetime(until, "--until", tz=tz),
    )
    when = utc_datetime(as_of, "--as-of", tz=tz) or datetime.now(UTC)
    policy = tracker.policy
    with _reading(tracker) as session:
        rows = stats(
            session,
            filters,
            as_of=when,
            grace=policy.grace,
            by=groups,
            lead=policy.coming_due,
            manual_only=frozenset(policy.rules.manual_only),
            tz=tz,
            age_bands=tuple(policy.rules.age_bands),
            suppress_below=policy.rules.small_count_suppression,
            postal_prefix=policy.rules.postal_prefix_length,
        )
    columns = [
        "group",
        "value",
        "recommendations",
        "adherent",
        "overdue",
        "coming_due",
        "scheduled",
        "needs_review",
        "non_compliant",
        "mature",
        "adherence",
        "closed_loop_rate",
        "median_days_to_completion",
    ]
    _emit(list(rows), fmt, output, columns, model=StatsRow)


@app.command("export-labels")
def export_labels_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write.")],
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
) -> None:
    """Verified extractions (the review app's "verify") as JSONL training examples.

    One line per verified recommendation, its latest verdict: the sentence and its
    offsets in the report, what radfollow extracted, and the verdict with the
    corrected modality and interval (months). The file holds report text: keep it
    where the reports are kept."""
    tracker = _open(db, rules)
    with _reading(tracker) as session, atomic_writer(output, encoding="utf-8") as handle:
        written = 0
        for label in labels(session):
            handle.write(label.model_dump_json() + "\n")
            written += 1
    typer.echo(f"{written} labelled examples written to {output}")


@app.command("load")
def load_command(
    records: Annotated[
        list[str],
        typer.Argument(
            help="JSONL records of `process` (records.jsonl) or `extract` with"
            " metadata; - for stdin.",
            show_default=False,
        ),
    ],
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
    timezone: Timezone = "UTC",
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Records per transaction.")
    ] = CHUNK_SIZE,
    show_progress: ShowProgress = True,
) -> None:
    """Bulk-load records into the tracker: the state `process --db` would have given,
    at many times its rate (docs/tracker.md, "Bulk loading"). A line that is not a
    usable record is reported as file:line and skipped (exit 1); the rest load."""
    missing = [p for p in records if p != "-" and not Path(p).exists()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}")
    try:
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise typer.BadParameter(
            f"unknown time zone: {timezone!r}", param_hint="--timezone"
        ) from None
    from radfollow.io.jsonl import count_lines
    from radfollow.tracker.bulk import load_records
    from radfollow.tracker.records import TrackerInput, read_records

    try:
        tracker = open_tracker(db, rules_dir=rules, timezone=timezone)
        total = None if "-" in records else sum(count_lines(p) for p in records)
        textless = [0]

        def counted(items: Iterable[Any]) -> Iterator[Any]:
            for item in items:
                if isinstance(item, TrackerInput) and not item.report.text:
                    textless[0] += 1
                yield item

        with progress("records", total, show_progress) as tick:
            inputs = counted(read_records(records, tz=tracker.timezone))
            summary = load_records(tracker, inputs, chunk_size=chunk_size, tick=tick)
        tracker.close()
    except (RadfollowError, OSError) as error:
        fail(error)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(summary.outcomes.items()))
    err_console.print(
        f"{summary.records} records loaded ({counts or 'none'}), {len(summary.errors)} failed; "
        f"{summary.created} recommendations created, {summary.superseded} superseded by"
        f" corrections, {summary.completed} completed, {summary.needs_review} to review,"
        f" {summary.scheduled} scheduled",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if textless[0]:
        err_console.print(
            f"{textless[0]} records carry no report text (written without --record-text):"
            " their studies have no text, and a later correction with the same status is"
            " read as a resend",
            highlight=False,
            soft_wrap=True,
        )
    if summary.retried_batches:
        err_console.print(
            f"{summary.retried_batches} batch(es) refused as a whole were loaded one by one",
            highlight=False,
        )
    for bad in summary.errors[:20]:
        line = f"{bad.where}: {bad.code} {bad.reason}"
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)
    if summary.errors:
        raise typer.Exit(1)
