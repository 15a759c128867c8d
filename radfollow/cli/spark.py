"""``radfollow spark``: the batch job on Apache Spark (needs the ``.[spark]`` extra and Java)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    err_console,
    fail,
    pipeline_config,
)
from radfollow.errors import RadfollowError
from radfollow.io.inputs import DEFAULT_MAX_FILE_BYTES
from radfollow.spark.paths import local_path

if TYPE_CHECKING:
    from radfollow.spark.job import SparkSummary
    from radfollow.spark.settings import InputFormat, SparkSettings

FORMATS: tuple[InputFormat, ...] = ("jsonl", "parquet", "hl7")


def spark(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Input files or folders: JSONL or Parquet of {id, text[, indication, ...]},"
            " or HL7 files (folders read recursively). Any URI Spark reads for Parquet and"
            " HL7 (hdfs://, s3a://); JSONL paths must be visible to every executor."
        ),
    ],
    out: Annotated[str, typer.Option("--out", help="Output folder (docs/spark.md).")],
    input_format: Annotated[str, typer.Option("--format", help="jsonl, parquet or hl7.")] = "jsonl",
    master: Annotated[
        str | None,
        typer.Option(
            "--master", help="Spark master, e.g. local[2]; default: spark-submit's, else local[*]."
        ),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option("--partitions", min=1, help="Partitions of the NLP stage; default: cores."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Reports per Arrow batch.")
    ] = 256,
    bundles: Annotated[
        bool, typer.Option("--bundles", help="Also write FHIR Bundles as NDJSON (HL7 input).")
    ] = False,
    records: Annotated[
        bool,
        typer.Option("--records", help="Also write the JSON records extract/process write."),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output folder.")
    ] = False,
    conf: Annotated[
        list[str] | None,
        typer.Option("--conf", help="Spark setting KEY=VALUE (repeatable)."),
    ] = None,
    show_progress: ShowProgress = True,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    classifier: UseClassifier = None,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
    timezone: Timezone = "UTC",
    accession: AccessionFields = DEFAULT_ACCESSION,
    max_file_size: MaxFileSize = DEFAULT_MAX_FILE_BYTES,
    accept_test_messages: AcceptTestMessages = False,
    record_text: RecordText = False,
) -> None:
    """Run the processing core over many reports on Spark; write Parquet tables
    reports, findings, recommendations and errors to --out.

    Exits 1 when any input was rejected (listed in the errors table).
    """
    if input_format not in FORMATS:
        raise typer.BadParameter("--format must be jsonl, parquet or hl7")
    missing = [i for i in inputs if (p := local_path(i)) is not None and not _exists(p)]
    if missing:
        raise typer.BadParameter(f"no such file or directory: {', '.join(missing)}")
    if bundles and input_format != "hl7":
        raise typer.BadParameter("--bundles needs HL7 input (a text record has no patient)")
    if not overwrite and (target := local_path(out)) is not None and _exists(target):
        fail(f"{out}: output folder exists (use --overwrite)")
    settings_conf = _conf(conf or [], show_progress)
    config = pipeline_config(rules, threshold, classifier, model, heads, backend)
    try:
        from radfollow.spark.settings import SparkSettings

        settings = SparkSettings(
            input_format=next(f for f in FORMATS if f == input_format),
            batch_size=batch_size,
            bundles=bundles,
            rules=config.rules_dir,
            threshold=config.threshold,
            classifier=config.classifier,
            model=config.model,
            heads=config.heads,
            backend=config.backend,
            timezone=timezone,
            accession_fields=tuple(f.strip() for f in accession.split(",") if f.strip()),
            max_file_bytes=max_file_size,
            accept_test_messages=accept_test_messages,
            record_text=record_text,
        )
        settings.processing_options()
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    except RadfollowError as error:
        fail(error)
    summary = _run(inputs, out, settings, master, partitions, records, overwrite, settings_conf)
    ignored = f", {summary.ignored:,} order messages ignored" if summary.ignored else ""
    err_console.print(
        f"{summary.inputs:,} inputs: {summary.reports:,} reports, {summary.errors:,} rejected"
        f"{ignored}, {summary.findings:,} findings, {summary.recommendations:,} recommendations"
        f" in {summary.seconds:,.1f} s ({summary.pipelines_built} pipelines built in this run,"
        f" peak worker memory {summary.peak_worker_rss_mb:,.0f} MB)",
        highlight=False,
        soft_wrap=True,
    )
    if summary.errors:
        err_console.print(
            f"rejected inputs listed in {out}/errors", highlight=False, soft_wrap=True
        )
        raise typer.Exit(1)


def _conf(pairs: list[str], show_progress: bool) -> dict[str, str]:
    conf = {"spark.ui.showConsoleProgress": "true" if show_progress else "false"}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--conf must be KEY=VALUE, not {pair!r}")
        conf[key.strip()] = value
    return conf


def _run(
    inputs: list[str],
    out: str,
    settings: SparkSettings,
    master: str | None,
    partitions: int | None,
    records: bool,
    overwrite: bool,
    conf: dict[str, str],
) -> SparkSummary:
    try:
        from radfollow.spark import job
    except ImportError:
        fail("pyspark is not installed: pip install 'radfollow[spark]' (docs/spark.md)")
    try:
        spark = job.session(master, conf=conf)
    except Exception as error:  # the JVM did not start: Java missing or a bad setting
        fail(f"Spark did not start ({type(error).__name__}): is Java 17 installed? (docs/spark.md)")
    spark.sparkContext.setLogLevel("ERROR")  # Spark's WARN lines are not for a quality team
    try:
        return job.run(
            spark,
            inputs,
            out,
            settings,
            partitions=partitions,
            records=records,
            overwrite=overwrite,
            say=lambda text: err_console.print(text, highlight=False, soft_wrap=True),
        )
    except Exception as error:
        fail(_reason(error))
    finally:
        spark.stop()


def _exists(path: str) -> bool:
    return Path(path).exists() or Path(path).is_symlink()


#: Spark's error classes that name a path or a file format, never a record's values.
_PATH_ERRORS = re.compile(
    r"\[(PATH_NOT_FOUND|PATH_ALREADY_EXISTS|CANNOT_READ_FILE_FOOTER|FAILED_READ_FILE[.A-Z_]*"
    r"|UNABLE_TO_INFER_SCHEMA|FILE_NOT_EXIST|CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE)\][^\n]{0,300}"
)


def _reason(error: BaseException) -> BaseException | str:
    """A Spark failure in one line: an error about a path or file format with
    Spark's words (they name the path, not report text); anything else, such as a
    Python worker's traceback (which may quote a value), by its class only."""
    if isinstance(error, RadfollowError | OSError):
        return error
    if type(error).__name__ != "PythonException":
        found = _PATH_ERRORS.search(str(error))
        if found:
            return f"Spark: {found.group(0).strip()}"
    return error
