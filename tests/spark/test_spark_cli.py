"""``radfollow spark``: usage errors before Spark starts, and a real run's exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "--format must be jsonl, parquet or hl7"),
        (["--bundles"], "--bundles needs HL7 input"),
        (["--conf", "novalue"], "--conf must be KEY=VALUE"),
    ],
)
def test_usage_errors_stop_before_spark_starts(
    tmp_path: Path, args: list[str], message: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "x"}\n')
    result = CliRunner().invoke(app, ["spark", str(source), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize(("exists", "code"), [(True, 1), (False, 2)])
def test_output_or_input_problems_are_one_line(tmp_path: Path, exists: bool, code: int) -> None:
    source = tmp_path / "in.jsonl"
    if exists:
        source.write_text('{"id": "a", "text": "x"}\n')
    (tmp_path / "o").mkdir()
    result = CliRunner().invoke(app, ["spark", str(source), "--out", str(tmp_path / "o")])
    assert result.exit_code == code
    assert ("output folder exists" if exists else "no such file") in result.output


def test_a_run_with_a_rejected_line_exits_1(spark: object, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "IMPRESSION: Normal."}\n{"id": 7}\n')
    out = tmp_path / "out"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "radfollow",
            "spark",
            str(source),
            "--out",
            str(out),
            "--master",
            "local[1]",
            "--no-progress",
            "--conf",
            "spark.ui.enabled=false",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "2 inputs: 1 reports, 1 rejected" in done.stderr
    assert f"rejected inputs listed in {out}/errors" in done.stderr
    assert {p.name for p in out.iterdir()} == {"reports", "findings", "recommendations", "errors"}


class AnalysisException(Exception):
    """Stands for pyspark's (the CLI looks at the class name and message only)."""


class PythonException(Exception):
    """A Python worker's failure: its traceback may quote a value."""


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            AnalysisException(
                "[PATH_NOT_FOUND] Path does not exist: file:/data/x. SQLSTATE: 42K03"
            ),
            "Spark: [PATH_NOT_FOUND] Path does not exist: file:/data/x. SQLSTATE: 42K03",
        ),
        (
            Exception("Job aborted\nCaused by: [CANNOT_READ_FILE_FOOTER] Could not read footer"),
            "Spark: [CANNOT_READ_FILE_FOOTER] Could not read footer",
        ),
        (PythonException("ValueError: could not convert 'Jane Doe, 61F'"), "internal error"),
        (RuntimeError("something about 'Jane Doe'"), "internal error"),
    ],
)
def test_spark_failures_are_one_line_without_values(error: Exception, shown: str) -> None:
    from radfollow.cli.spark import _reason
    from radfollow.errors import contained

    reason = _reason(error)
    text = reason if isinstance(reason, str) else str(contained(reason))
    assert text.startswith(shown)
    assert "Jane" not in text
