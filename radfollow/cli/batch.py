"""``radfollow process`` (HL7 files) and ``radfollow extract`` (JSONL): the batch jobs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from radfollow.cli.options import (
    DEFAULT_ACCESSION,
    AcceptTestMessages,
    AccessionFields,
    Backend,
    Heads,
    MaxFileSize,
    ModelDir,
    RecordText,
    RulesDir,
    ShowProgress,
    Threshold,
    Timezone,
    UseClassifier,
    Workers,
    err_console,
    fail,
    pipeline_config,
    processing_options,
    progress,
)
from radfollow.errors import RadfollowError
from radfollow.io.inputs import DEFAULT_MAX_FILE_BYTES

if TYPE_CHECKING:
    from radfollow.processing.batch import JobSummary


def _summary_line(summary: JobSummary, what: str) -> str:
    return (
        f"{summary.processed} {what} processed, {summary.rejected} rejected, "
        f"{summary.findings} findings, {summary.recommendations} recommendations"
    )


def process(
    paths: Annotated[list[Path], typer.Argument(help="HL7 files or directories of them.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Also store in the tracker (e.g. sqlite:///radfollow.db)."),
    ] = None,
    workers: Workers = 1,
    accession: AccessionFields = DEFAULT_ACCESSION,
    timezone: Timezone = "UTC",
    bundle_type: Annotated[
        str, typer.Option("--bundle-type", help="collection or transaction.")
    ] = "collection",
    show_progress: ShowProgress = True,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    classifier: UseClassifier = None,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
    max_file_size: MaxFileSize = DEFAULT_MAX_FILE_BYTES,
    accept_test_messages: AcceptTestMessages = False,
    record_text: RecordText = False,
) -> None:
    """Read ORU^R01 messages; write bundles.ndjson, records.jsonl and errors.ndjson to --out.

    Regular files only, each at most --max-file-size; any other input is an error line.
    """
    # A dangling symbolic link exists as an entry: it gets an error line, not a usage error.
    missing = [str(p) for p in paths if not (p.exists() or p.is_symlink())]
    if missing:
        raise typer.BadParameter(f"no such file or directory: {', '.join(missing)}")
    if bundle_type not in ("collection", "transaction"):
        raise typer.BadParameter("--bundle-type must be 'collection' or 'transaction'")
    kind: Literal["collection", "transaction"] = (
        "transaction" if bundle_type == "transaction" else "collection"
    )
    from radfollow.processing.batch import run_process

    options = processing_options(
        rules=rules,
        threshold=threshold,
        classifier=classifier,
        model=model,
        heads=heads,
        backend=backend,
        timezone=timezone,
        accession=accession,
        bundle_type=kind,
        accept_test_messages=accept_test_messages,
        record_text=record_text,
    )
    try:
        with progress("messages", None, show_progress) as tick:
            summary = run_process(
                list(paths),
                out,
                options=options,
                workers=workers,
                tick=tick,
                db=db,
                max_file_bytes=max_file_size,
            )
    except (RadfollowError, OSError) as error:
        fail(error)
    err_console.print(_summary_line(summary, "reports"), highlight=False)
    if summary.tracker:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(summary.tracker.items()))
        err_console.print(f"tracker: {counts}", highlight=False)
    if summary.rejected:
        err_console.print(f"rejected inputs listed in {out / 'errors.ndjson'}", highlight=False)
        raise typer.Exit(1)


def extract(
    input_path: Annotated[
        Path,
        typer.Argument(
            help="JSONL with {id, text[, indication]}; the guidance also reads procedure,"
            " modality, age or birth_date, observation_time, sex, radiologist"
            " (docs/guidance.md)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL, one record per input line.")],
    workers: Workers = 1,
    show_progress: ShowProgress = True,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    classifier: UseClassifier = None,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
    max_file_size: MaxFileSize = DEFAULT_MAX_FILE_BYTES,
    record_text: RecordText = False,
) -> None:
    """Extract findings and recommendations from plain-text JSONL reports.

    The input must be a regular file of at most --max-file-size.
    """
    if not input_path.exists():
        raise typer.BadParameter(f"no such file: {input_path}")
    from radfollow.io.jsonl import count_lines
    from radfollow.processing.batch import run_extract

    config = pipeline_config(rules, threshold, classifier, model, heads, backend)
    try:
        total = count_lines(input_path, max_bytes=max_file_size)
        with progress("reports", total, show_progress) as tick:
            summary = run_extract(
                input_path,
                out,
                config=config,
                workers=workers,
                tick=tick,
                max_file_bytes=max_file_size,
                record_text=record_text,
            )
    except (RadfollowError, OSError) as error:
        fail(error)
    err_console.print(_summary_line(summary, "reports"), highlight=False)
    for line in summary.errors[:20]:
        err_console.print(f"{line.source}:{line.position}: {line.reason}", highlight=False)
    if summary.rejected:
        raise typer.Exit(1)
