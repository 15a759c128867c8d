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
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from pyspark import AccumulatorParam, StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from radfollow.errors import InputFileError, InternalError
from radfollow.spark import inputs
from radfollow.spark.settings import SparkSettings
from radfollow.spark.tables import ERRORS, REPORTS, STAGED, ddl, names
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
    errors: int
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
    final, work = _output_folders(out, overwrite)
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
        staged_path = f"{work}/staged"
        units.repartition(parts).mapInPandas(stage, ddl(STAGED)).write.parquet(staged_path)
        units.unpersist()
        staged = spark.read.schema(ddl(STAGED)).parquet(staged_path)
        _check_accounted(staged, total, hl7)
        say("writing the tables")
        counts = _write_tables(staged, work, records=records, bundles=settings.bundles)
        _remove(staged_path)
        _publish(work, final)
    except BaseException:
        _remove(work)  # no half-written output is left behind
        raise
    return SparkSummary(
        inputs=total,
        reports=counts["reports"],
        errors=counts["errors"],
        findings=counts["findings"],
        recommendations=counts["recommendations"],
        pipelines_built=int(counters.pipelines.value),
        peak_worker_rss_mb=round(counters.peak_rss_kb.value / 1024, 1),
        seconds=round(time.perf_counter() - started, 1),
    )


def _read(spark: SparkSession, paths: list[str], settings: SparkSettings) -> DataFrame:
    """One row per input unit (``inputs.TEXT_INPUT`` or ``inputs.HL7_INPUT``)."""
    limit = settings.max_file_bytes
    if settings.input_format == "jsonl":
        files = inputs.jsonl_paths([Path(p) for p in paths])
        listed = spark.createDataFrame([(f,) for f in files], "path string")
        listed = listed.repartition(max(1, len(files)))
        return listed.mapInPandas(inputs.jsonl_files(limit), ddl(inputs.TEXT_INPUT))
    if settings.input_format == "parquet":
        table = spark.read.parquet(*paths)
        missing = [name for name in ("id", "text") if name not in table.columns]
        if missing:
            raise InputFileError(f"Parquet input has no column {', '.join(missing)}")
        columns = [c for c in table.columns if c != "_source"]
        table = table.withColumn("_source", F.input_file_name())
        return table.mapInPandas(inputs.parquet_rows(columns), ddl(inputs.TEXT_INPUT))
    found = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(paths)
    small = found.where(F.col("length") <= limit).select("path", "length", "content")
    large = found.where(F.col("length") > limit).select(
        "path", "length", F.lit(None).cast("binary").alias("content")
    )
    return small.unionByName(large).mapInPandas(inputs.hl7_files(limit), ddl(inputs.HL7_INPUT))


def _check_accounted(staged: DataFrame, total: int, hl7: bool) -> None:
    """Every unit gave a report or an error row (a message may give several reports)."""
    found = staged.select("source", "position").distinct().count() if hl7 else staged.count()
    if found != total:
        raise InternalError(f"{total:,} input units read but {found:,} accounted for")


def _write_tables(staged: DataFrame, work: str, *, records: bool, bundles: bool) -> dict[str, int]:
    """The output tables: projections of the staged rows (nested rows exploded in
    the JVM, no Python); returns each table's row count."""
    reports = staged.where(F.col("kind") == "report")
    tables = {
        "reports": reports.select(*names(REPORTS)),
        "findings": _exploded(reports, "findings"),
        "recommendations": _exploded(reports, "recommendations"),
        "errors": staged.where(F.col("kind") == "error").select(*names(ERRORS)),
    }
    counts: dict[str, int] = {}
    for name, frame in tables.items():
        frame.write.parquet(f"{work}/{name}")
        counts[name] = staged.sparkSession.read.parquet(f"{work}/{name}").count()
    if records:
        staged.where(F.col("record").isNotNull()).select("record").write.text(f"{work}/records")
    if bundles:
        staged.where(F.col("bundle").isNotNull()).select("bundle").write.text(f"{work}/bundles")
    return counts


def _exploded(reports: DataFrame, column: str) -> DataFrame:
    """One row per element of ``column`` (an array of structs), keyed by ``report_id``."""
    item = reports.select("report_id", F.explode(column).alias("item"))
    return item.select("report_id", "item.*")


def _output_folders(out: str, overwrite: bool) -> tuple[str, str]:
    """(final, work): a local ``out`` is written to a hidden folder beside it and
    renamed at the end; any other URI is written in place (Spark's own commit).
    Raises InputFileError when ``out`` exists and ``overwrite`` is not set."""
    parsed_uri = urlparse(out)
    if parsed_uri.scheme not in ("", "file"):
        return out, out
    final = Path(parsed_uri.path if parsed_uri.scheme else out).resolve()
    if final.exists() and not overwrite:
        raise InputFileError("output folder exists (use --overwrite)", where=str(final))
    work = final.parent / f"{final.name}.partial-{uuid.uuid4().hex[:8]}"
    return str(final), str(work)


def _publish(work: str, final: str) -> None:
    if work == final:
        return
    target = Path(final)
    if target.exists():
        shutil.rmtree(target)
    Path(work).rename(target)


def _remove(path: str) -> None:
    if urlparse(path).scheme in ("", "file"):
        shutil.rmtree(path, ignore_errors=True)
