"""One local[2] Spark session for the Spark tests (skipped without pyspark or Java,
failed in CI where .ci/run installs both)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing} in CI")
        pytest.skip(missing)
    from pyspark import SparkContext

    from radfollow.spark.job import session

    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.driver.memory": "1g",
    }
    session_ = session("local[2]", app_name="radfollow-tests", conf=conf)
    session_.sparkContext.setLogLevel("ERROR")
    yield session_
    session_.stop()
    gateway = SparkContext._gateway
    if gateway is not None:  # the JVM outlives stop(); the survivor guard would see it
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        SparkContext._gateway = None
        SparkContext._jvm = None
