"""Where the Spark job writes: the output folder, through Hadoop's FileSystem API.

A folder on a file system that renames atomically (local, HDFS) is written as
``OUT.partial-<id>`` beside ``OUT`` and renamed into place at the end, so a
failed run leaves nothing under ``OUT``. On object stores (``s3a://``,
``gs://``, ``abfss://``, ``dbfs:/``), where a rename copies every object, the
tables are written in place with Spark's output committer and the staged rows
under ``OUT/_staged`` are deleted at the end. A plain path is a local path.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from pyspark.sql import SparkSession

from radfollow.errors import InputFileError
from radfollow.spark.paths import uri

log = logging.getLogger(__name__)

#: Schemes whose file systems rename a folder atomically.
RENAMES = ("file", "hdfs", "viewfs")


@dataclass(frozen=True)
class Output:
    """The output folder of one run: ``final`` (the URI the user named) and ``work``
    (where the run writes until :meth:`publish`)."""

    spark: SparkSession
    final: str
    work: str

    @classmethod
    def prepare(
        cls, spark: SparkSession, out: str, *, overwrite: bool, inputs: list[str]
    ) -> Output:
        """Check ``out`` and choose where to write. Raises InputFileError when it
        exists (without ``overwrite``), or when it is, or holds, one of ``inputs``
        (``--overwrite`` would delete the input)."""
        final = uri(out).rstrip("/")
        for given in inputs:
            source = uri(given).rstrip("/")
            if source == final or source.startswith(final + "/"):
                raise InputFileError("the output folder holds the input", where=out)
        if _exists(spark, final) and not overwrite:
            raise InputFileError("output folder exists (use --overwrite)", where=out)
        if urlparse(final).scheme in RENAMES:
            _warn_leftovers(spark, final)
            return cls(spark, final, f"{final}.partial-{uuid.uuid4().hex[:8]}")
        if _exists(spark, final):
            _delete(spark, final)
        return cls(spark, final, final)

    @property
    def staged(self) -> str:
        return f"{self.work}/_staged"

    def publish(self) -> None:
        """Drop the staged rows; move the finished folder to ``final``."""
        _delete(self.spark, self.staged)
        if self.work == self.final:
            return
        if _exists(self.spark, self.final):
            _delete(self.spark, self.final)
        fs, source = _fs(self.spark, self.work)
        if not fs.rename(source, _fs(self.spark, self.final)[1]):
            raise InputFileError("cannot move the finished output into place", where=self.final)

    def discard(self) -> None:
        """After a failure: remove what this run wrote (a failed in-place run's folder too)."""
        _delete(self.spark, self.work)


def leftovers(spark: SparkSession, final: str) -> list[str]:
    """``final.partial-*`` folders beside ``final``: runs that were killed (``kill -9``,
    a lost driver) before they could remove what they wrote, or runs writing now.
    The parent folder is listed and names compared as text, so a name with glob
    characters ("out[1]", "o{a,b}") matches only itself."""
    fs, path = _fs(spark, final)
    parent = path.getParent()
    if parent is None or not fs.exists(parent):
        return []
    prefix = f"{path.getName()}.partial-"
    return sorted(
        str(status.getPath().toString())
        for status in fs.listStatus(parent)
        if str(status.getPath().getName()).startswith(prefix)
    )


def _warn_leftovers(spark: SparkSession, final: str) -> None:
    try:
        found = leftovers(spark, final)
    except Exception:  # py4j: a listing this warning depends on failed; the run goes on
        log.info("could not list the folder beside %s for leftovers", final)
        return
    if found:
        log.warning(
            "%d unfinished output folder(s) beside %s from runs that were killed or are"
            " running now (%s): delete them once no run writes to them",
            len(found),
            final,
            ", ".join(found),
        )


def _fs(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def _exists(spark: SparkSession, path: str) -> bool:
    fs, hadoop_path = _fs(spark, path)
    return bool(fs.exists(hadoop_path))


def _delete(spark: SparkSession, path: str) -> None:
    fs, hadoop_path = _fs(spark, path)
    fs.delete(hadoop_path, True)
