"""Command-line options shared by several commands, declared once, and the one
failure helper.

Every command that runs the NLP takes the same pipeline options
(:data:`PIPELINE_OPTIONS`, checked by tests/test_cli_options.py); every command
that reads HL7 takes ``--timezone`` and ``--accession-fields``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from radfollow.errors import RadfollowError, contained, error_location
from radfollow.hl7.adapter import DEFAULT_ACCESSION_FIELDS

if TYPE_CHECKING:
    from radfollow.hl7.options import HL7Options
    from radfollow.nlp.pipeline import PipelineConfig
    from radfollow.processing.core import BundleType, ProcessingOptions

err_console = Console(stderr=True)
log = logging.getLogger("radfollow.cli")

RulesDir = Annotated[
    Path | None,
    typer.Option("--rules", help="Folder of site rule files overriding the packaged ones."),
]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Worker processes for the NLP.")]
Threshold = Annotated[
    float,
    typer.Option("--threshold", min=0.0, max=1.0, help="Recommendation score threshold."),
]
UseClassifier = Annotated[
    bool | None,
    typer.Option(
        "--classifier/--no-classifier",
        help="Also score recommendations with the transformer classifier. Default: off"
        " (it did not beat the rules on real reports, docs/classifier.md), on when"
        " --model or --heads is given.",
        show_default=False,
    ),
]
ModelDir = Annotated[
    Path | None,
    typer.Option("--model", help="Hugging Face model folder for the classifier's encoder."),
]
Heads = Annotated[
    Path | None, typer.Option("--heads", help="Classifier heads JSON written by 'radfollow train'.")
]
Backend = Annotated[str, typer.Option("--backend", help="auto (ONNX), onnx or torch.")]
AcceptTestMessages = Annotated[
    bool,
    typer.Option(
        "--accept-test-messages",
        help="Process messages whose MSH-11 is T (training) or D (debugging) too.",
    ),
]
Timezone = Annotated[
    str, typer.Option("--timezone", help="Time zone of HL7 times sent without an offset.")
]
AccessionFields = Annotated[
    str, typer.Option("--accession-fields", help="Where the accession is read, in order.")
]
RecordText = Annotated[
    bool,
    typer.Option(
        "--record-text",
        help="Also write each report's text into its record, so that 'radfollow tracker"
        " load' stores it (records then hold whole reports).",
    ),
]
ShowProgress = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show a progress bar on a terminal.")
]
DEFAULT_ACCESSION = ",".join(DEFAULT_ACCESSION_FIELDS)

#: The options of every command that runs the NLP pipeline.
PIPELINE_OPTIONS = ("--rules", "--threshold", "--classifier", "--model", "--heads", "--backend")
#: The options of every command that reads HL7 messages.
HL7_OPTIONS = ("--timezone", "--accession-fields", "--rules")


def fail(reason: str | BaseException) -> NoReturn:
    """Print ``radfollow: error: <one line>`` on stderr and exit 1.

    An exception is shown through ``radfollow.errors.contained``: radfollow's
    own messages as they are, an OSError as its file name and reason, anything
    else by its class name only (exception messages may quote report text);
    with ``-v`` the location is logged.
    """
    if isinstance(reason, OSError) and reason.strerror:  # a file: its name and why
        name = f"{reason.filename}: " if reason.filename else ""
        reason = f"{name}{reason.strerror}"
    elif isinstance(reason, BaseException):
        if not isinstance(reason, RadfollowError):
            log.info("%s at %s", type(reason).__name__, error_location(reason))
        reason = str(contained(reason))
    err_console.print(f"radfollow: error: {reason}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(1)


def pipeline_config(
    rules: Path | None,
    threshold: float,
    classifier: bool | None,
    model: Path | None,
    heads: Path | None,
    backend: str,
) -> PipelineConfig:
    """The NLP settings from the shared options; bad values are usage errors (exit 2).

    ``classifier`` None (neither --classifier nor --no-classifier): on when a
    model or heads file is given, else ``CLASSIFIER_BY_DEFAULT``.
    """
    if backend not in ("auto", "onnx", "torch"):
        raise typer.BadParameter("--backend must be auto, onnx or torch")
    if rules is not None and not rules.is_dir():
        raise typer.BadParameter(f"--rules: no such folder: {rules}")
    from radfollow.nlp.pipeline import (  # spaCy loads only for NLP commands
        CLASSIFIER_BY_DEFAULT,
        PipelineConfig,
    )
    from radfollow.rules.loader import check_rules

    if classifier is None:
        classifier = bool(model or heads) or CLASSIFIER_BY_DEFAULT

    try:
        check_rules(rules)  # a broken site file stops the command now, not each report
    except RadfollowError as error:
        fail(error)

    return PipelineConfig.model_validate(
        {
            "rules_dir": rules,
            "threshold": threshold,
            "classifier": classifier,
            "model": model,
            "heads": heads,
            "backend": backend,
        }
    )


def hl7_options(timezone: str, accession: str, rules: Path | None = None) -> HL7Options:
    """HL7 reading options; bad values are usage errors (exit 2)."""
    from radfollow.hl7.options import HL7Options

    try:
        return HL7Options.from_settings(timezone, accession, rules)
    except RadfollowError as error:  # a broken site modalities.json or charsets.json
        fail(error)
    except ValueError as error:
        name = "--timezone" if "time zone" in str(error) else "--accession-fields"
        raise typer.BadParameter(f"{name}: {error}") from error


def processing_options(
    *,
    rules: Path | None,
    threshold: float,
    classifier: bool | None,
    model: Path | None,
    heads: Path | None,
    backend: str,
    timezone: str,
    accession: str,
    bundle_type: BundleType = "collection",
    accept_test_messages: bool = False,
    record_text: bool = False,
) -> ProcessingOptions:
    """The processing settings of an HL7 command (process, listen, replay) from its
    pipeline and reading options; bad values are usage errors (exit 2)."""
    from radfollow.processing.core import ProcessingOptions

    return ProcessingOptions(
        pipeline=pipeline_config(rules, threshold, classifier, model, heads, backend),
        hl7=hl7_options(timezone, accession, rules),
        bundle_type=bundle_type,
        accept_test_messages=accept_test_messages,
        record_text=record_text,
    )


@contextmanager
def progress(label: str, total: int | None, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr (``enabled`` and a terminal); yields ``advance(n)``."""
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn()]
    shown = enabled and err_console.is_terminal
    with Progress(
        *columns, TimeElapsedColumn(), console=err_console, disable=not shown, transient=True
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


_SIZE = re.compile(r"\s*(\d+)\s*(?:([kmgt])(i?))?b?\s*", re.IGNORECASE)


def parse_size(value: str | int) -> int:
    """A size in bytes from ``4096``, ``500MB`` (powers of 1000) or ``1GiB`` (of 1024).

    Raises typer.BadParameter for anything else, or for 0.
    """
    match = _SIZE.fullmatch(str(value))
    if match is None or int(match.group(1)) == 0:
        raise typer.BadParameter(f"not a size: {value!r} (examples: 1GiB, 500MB, 4096)")
    number, unit, binary = int(match.group(1)), (match.group(2) or "").lower(), match.group(3)
    power = " kmgt".index(unit) if unit else 0
    return number * (1024 if binary else 1000) ** power


MaxFileSize = Annotated[
    int,
    typer.Option(
        "--max-file-size",
        parser=parse_size,
        metavar="SIZE",
        show_default=False,
        help="Largest input file read (e.g. 1GiB, 500MB); larger ones are rejected. Default: 1GiB.",
    ),
]


def utc_datetime(
    value: str | None, option: str, *, end_of_day: bool = True, tz: tzinfo = UTC
) -> datetime | None:
    """``YYYY-MM-DD`` (the day's end, or start with ``end_of_day=False``) or an ISO
    date-time (no offset: in ``tz``, the site's zone, default UTC), as aware UTC.
    Not a date, or out of the range of representable UTC times (0001-01-01 to
    9999-12-31): a usage error (exit 2)."""
    if value is None:
        return None
    try:
        try:
            parsed = datetime.combine(
                date.fromisoformat(value), time.max if end_of_day else time.min
            )
        except ValueError:
            parsed = datetime.fromisoformat(value)
        aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
        return aware.astimezone(UTC)
    except ValueError:
        reason = f"not a date: {value!r} (use YYYY-MM-DD)"
    except OverflowError:
        reason = f"{value!r} is outside 0001-01-01 to 9999-12-31 in UTC"
    raise typer.BadParameter(reason, param_hint=option)
