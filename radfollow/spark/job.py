"""The driver of ``radfollow spark``: read, process on the executors, write the tables.

Stages (one Spark job each):

1. read: the input becomes one row per unit (``radfollow.spark.inputs``), kept
   (``persist``) so the units are counted once and read once;
2. process: ``mapInPandas`` runs the processing core in each Python worker
   (``radfollow.spark.worker``) and stages one row per report or rejected input
   as Parquet;
3. write: ``reports``, ``findings``, ``recommendations`` and ``errors`` (Parquet,
   columns in ``radfollow.spark.tables``), optionally ``records`` (the JSON lines
   ``extract``/``process`` write) and ``bundles`` (FHIR, HL7 input) as text.

Nothing is lost: the job checks that every input unit gave a report or an
error row and raises InternalError (RF900) if not. A local output folder is
written beside its final name (``OUT.partial-*``) and renamed into place at the end, so a failed
run leaves no half-written output under that name.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyspark import AccumulatorParam, StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from radfollow.errors import InputFileError, InternalError
from radfollow.spark import inputs
from radfollow.spark.output import Output
from radfollow.spark.paths import local_path, uri
from radfollow.spark.settings import SparkSettings
from radfollow.spark.tables import ERRORS, KEYS, REPORTS, STAGED, Columns, ddl, names
from radfollow.spark.worker import Counters, hl7_stage, text_stage

Say = Callable[[str], None]


class _Max(AccumulatorParam[int]):
    """An accumulator that keeps the largest value added."""

    def zero(self, value: int) -> int:
        return 0

    def addInPlace(self, value1: int, value2: int) -> int:
        return max(value1, value2)


@dataclass(frozen=True)
class SparkSummary:
    """What one run read and wrote."""

    inputs: int  # units read: lines, rows, or HL7 messages and unreadable files
    reports: int
    errors: int  # rejected inputs
    ignored: int  # order and appointment messages (HL7): only a tracker reads them
    findings: int
    recommendations: int
    pipelines_built: int
    peak_worker_rss_mb: float
    seconds: float


def session(
    master: str | None = None, *, app_name: str = "radfollow", conf: dict[str, str] | None = None
) -> SparkSession:
    """A Spark session (``master`` e.g. ``local[2]``; None: what spark-submit gives).

    The Python workers run this interpreter unless PYSPARK_PYTHON says otherwise.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    settings = {"spark.sql.session.timeZone": "UTC", **(conf or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def run(
    spark: SparkSession,
    paths: list[str],
    out: str,
    settings: SparkSettings,
    *,
    partitions: int | None = None,
    records: bool = False,
    overwrite: bool = False,
    say: Say | None = None,
) -> SparkSummary:
    """Process ``paths`` (files or folders, as ``settings.input_format``) into ``out``.

    Raises RuleFileError/ModelError/ValueError for bad settings (checked here
    first), InputFileError when ``out`` exists (without ``overwrite``) or a
    Parquet input lacks ``id`` or ``text``, InternalError when a unit is lost.
    """
    say = say or (lambda _: None)
    started = time.perf_counter()
    settings.processing_options()  # a bad rules folder or time zone stops the run here
    output = Output.prepare(spark, out, overwrite=overwrite, inputs=paths)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(settings.batch_size))
    for path in settings.shipped().values():
        spark.sparkContext.addFile(str(path), recursive=path.is_dir())
    counters = Counters(
        pipelines=spark.sparkContext.accumulator(0),
        peak_rss_kb=spark.sparkContext.accumulator(0, _Max()),
    )
    try:
        say("reading the input")
        units = _read(spark, paths, settings).persist(StorageLevel.MEMORY_AND_DISK)
        total = units.count()
        say(f"processing {total:,} input units")
        hl7 = settings.input_format == "hl7"
        stage = hl7_stage(settings, counters) if hl7 else text_stage(settings, counters)
        parts = partitions or spark.sparkContext.defaultParallelism
        units.repartition(parts).mapInPandas(stage, ddl(STAGED)).write.parquet(output.staged)
        units.unpersist()
        staged = spark.read.schema(ddl(STAGED)).parquet(output.staged)
        _check_accounted(staged, total, hl7)
        say("writing the tables")
        counts = _write_tables(staged, output.work, records=records, bundles=settings.bundles)
        output.publish()
    except BaseException:
        output.discard()  # no half-written output is left behind
        raise
    return SparkSummary(
        inputs=total,
        reports=counts["reports"],
        errors=counts["errors"],
        ignored=counts["ignored"],
        findings=counts["findings"],
        recommendations=counts["recommendations"],
        pipelines_built=int(counters.pipelines.value),
        peak_worker_rss_mb=round(counters.peak_rss_kb.value / 1024, 1),
        seconds=round(time.perf_counter() - started, 1),
    )


def _read(spark: SparkSession, paths: list[str], settings: SparkSettings) -> DataFrame:
    """One row per input unit (``inputs.TEXT_INPUT`` or ``inputs.HL7_INPUT``)."""
    limit = settings.max_file_bytes
    if settings.input_format == "parquet":
        return _parquet(spark, paths)
    local = [p for p in paths if local_path(p) is not None]
    remote = [p for p in paths if local_path(p) is None]
    if settings.input_format == "jsonl":
        if remote:
            raise InputFileError(
                "JSONL input must be local paths (or use Parquet)", where=remote[0]
            )
        return _listed(spark, local, inputs.jsonl_files(limit), inputs.TEXT_INPUT)
    frames = []
    if local:
        frames.append(_listed(spark, local, inputs.hl7_local_files(limit), inputs.HL7_INPUT))
    if remote:
        frames.append(_binary_files(spark, remote, limit))
    return frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])


def _listed(spark: SparkSession, paths: list[str], reader: Any, columns: Columns) -> DataFrame:
    """The files under local ``paths``, listed here and read on the executors by
    ``reader``; a folder that cannot be listed is one error row."""
    files, errors = inputs.list_files(paths)
    slices = max(1, min(len(files), spark.sparkContext.defaultParallelism * 4))
    listed = spark.createDataFrame(files, "path string, name string").repartition(slices)
    read = listed.mapInPandas(reader, ddl(columns))
    if not errors:
        return read
    rows = [{name: row.get(name) for name in names(columns)} for row in errors]
    return read.unionByName(spark.createDataFrame(rows, ddl(columns)))


def _binary_files(spark: SparkSession, paths: list[str], limit: int) -> DataFrame:
    """HL7 files under non-local URIs, listed and read by Spark's ``binaryFile``
    source (which skips names starting with ``.`` or ``_`` and empty files)."""
    found = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(paths)
    small = found.where(F.col("length") <= limit).select("path", "length", "content")
    large = found.where(F.col("length") > limit).select(
        "path", "length", F.lit(None).cast("binary").alias("content")
    )
    return small.unionByName(large).mapInPandas(inputs.hl7_files(limit), ddl(inputs.HL7_INPUT))


#: How Parquet times become JSON: ISO 8601 with the offset (the session's zone, UTC).
_JSON_OPTIONS = {"timestampFormat": "yyyy-MM-dd'T'HH:mm:ssXXX", "ignoreNullFields": "true"}


def _parquet(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Each Parquet row as a JSON record, built in the JVM (``to_json``: lists,
    structs, dates and times with their offset; nulls left out). Files with
    different columns are merged; a non-text ``id`` is read as text."""
    table = spark.read.option("mergeSchema", "true").parquet(*(_literal(p) for p in paths))
    missing = [name for name in ("id", "text") if name not in table.columns]
    if missing:
        raise InputFileError(f"Parquet input has no column {', '.join(missing)}", where=paths[0])
    columns = [
        F.col(f"`{name}`").cast("string").alias(name) if name == "id" else F.col(f"`{name}`")
        for name in table.columns
    ]
    return table.select(
        F.input_file_name().alias("source"),
        F.lit(None).cast("bigint").alias("position"),
        F.to_json(F.struct(*columns), _JSON_OPTIONS).alias("value"),
        F.lit(None).cast("string").alias("code"),
        F.lit(None).cast("string").alias("reason"),
    )


def _literal(path: str) -> str:
    """A path Spark reads as it is: a local one as a ``file:`` URI with Hadoop's
    glob characters escaped (a folder named ``h[2]`` is not a pattern)."""
    if local_path(path) is None:
        return path
    return "".join("\\" + c if c in "*?[]{}\\" else c for c in uri(path))


def _check_accounted(staged: DataFrame, total: int, hl7: bool) -> None:
    """Every unit gave a report or an error row (a message may give several reports)."""
    found = staged.select("source", "position").distinct().count() if hl7 else staged.count()
    if found != total:
        raise InternalError(f"{total:,} input units read but {found:,} accounted for")


def _write_tables(staged: DataFrame, work: str, *, records: bool, bundles: bool) -> dict[str, int]:
    """The output tables: projections of the staged rows (nested rows exploded in
    the JVM, no Python); returns each table's row count and the ignored inputs'."""
    reports = staged.where(F.col("kind") == "report")
    tables = {
        "reports": reports.select(*names(REPORTS)),
        "findings": _exploded(reports, "findings"),
        "recommendations": _exploded(reports, "recommendations"),
        "errors": staged.where(F.col("kind") != "report").select(*names(ERRORS)),
    }
    counts: dict[str, int] = {}
    for name, frame in tables.items():
        frame.write.parquet(f"{work}/{name}")
        counts[name] = staged.sparkSession.read.parquet(f"{work}/{name}").count()
    counts["ignored"] = staged.where(F.col("kind") == "ignored").count()
    counts["errors"] -= counts["ignored"]
    in_order = staged.orderBy("source", "position")  # records and Bundles in input order
    if records:
        in_order.where(F.col("record").isNotNull()).select("record").write.text(f"{work}/records")
    if bundles:
        in_order.where(F.col("bundle").isNotNull()).select("bundle").write.text(f"{work}/bundles")
    return counts


def _exploded(reports: DataFrame, column: str) -> DataFrame:
    """One row per element of ``column`` (an array of structs), keyed by ``report_id``."""
    item = reports.select(*names(KEYS), F.explode(column).alias("item"))
    return item.select(*names(KEYS), "item.*")
