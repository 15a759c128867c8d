"""``radfollow measures``: MIPS 364/405/406 counts and rates from records."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from radfollow.cli.options import err_console, fail

log = logging.getLogger(__name__)


def _records(paths: list[Path], bad: list[str]) -> Iterator[dict[str, Any]]:
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    bad.append(f"{path}:{number}")
                    continue
                if isinstance(record, dict):
                    yield record
                else:
                    bad.append(f"{path}:{number}")


def measures(
    records: Annotated[
        list[Path], typer.Argument(help="records.jsonl of `process` or output of `extract`.")
    ],
    period: Annotated[str, typer.Option("--period", help="month, quarter, year or all.")] = "month",
    per_radiologist: Annotated[
        bool,
        typer.Option(
            "--per-radiologist/--overall",
            help="A row per radiologist (OBR-32) besides the '(all)' rows.",
        ),
    ] = True,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default stdout.")
    ] = None,
) -> None:
    """MIPS quality measures 364, 405 and 406 per period and radiologist (docs/guidance.md).

    Reads the ``measures`` each record carries; a line that is not a JSON object is
    skipped and counted on stderr.
    """
    from pydantic import ValidationError

    from radfollow.guidance.summary import summarise, to_csv, to_json
    from radfollow.io.atomic import atomic_writer

    if period not in ("month", "quarter", "year", "all"):
        raise typer.BadParameter("--period must be month, quarter, year or all")
    if output_format not in ("csv", "json"):
        raise typer.BadParameter("--format must be 'csv' or 'json'")
    bad: list[str] = []
    try:
        rows = summarise(_records(records, bad), period=period, per_radiologist=per_radiologist)  # type: ignore[arg-type]
    except OSError as error:
        fail(error)
    except ValidationError:
        fail("a record's 'measures' is not in the shape radfollow writes")
    text = to_csv(rows) if output_format == "csv" else to_json(rows)
    if bad:
        err_console.print(
            f"radfollow: skipped {len(bad)} line(s) that are not JSON objects, first at {bad[0]}",
            highlight=False,
            markup=False,
        )
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        with atomic_writer(output) as handle:
            handle.write(text)
    except OSError as error:
        fail(error)
    err_console.print(
        f"radfollow: wrote {len(rows)} row(s) to {output}", highlight=False, markup=False
    )
