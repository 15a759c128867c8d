"""A pool task that kills its worker process on a marked report (imported by the
spawned workers of tests/processing/test_processing_pool.py)."""

from __future__ import annotations

import os

from radfollow.nlp.extract import ReportText
from radfollow.processing import pool

MARK = "KILL-THE-WORKER"


def run_or_die(chunk: list[ReportText]) -> list[pool.Extracted]:
    """As the pool's own task, but the process dies (like a crash in native code or
    the out-of-memory killer) when the chunk holds the marked report."""
    if any(MARK in report.text for report in chunk):
        os._exit(9)
    return pool._run(chunk)
