"""Regression: extreme dates (--as-of 0001-01-01, 9999-12-31) and ids >= 2**63 gave
tracebacks or empty answers. Every tracker option taking a date or an integer id:
a correct answer, or a usage error (exit 2) with a one-line reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.tracker.queries import Filters, detail, worklist

runner = CliRunner()
CHEST = (
    "FINDINGS: 6 mm nodule in the right upper lobe.\n"
    "IMPRESSION: Recommend follow-up CT chest in 3 months."
)
HUGE = str(2**63)
HUGER = str(10**30)
BY = ["--by", "qa"]

#: (command line after "tracker", what the answer must be): "usage" is exit 2;
#: "rows:N" a JSON list of N rows; "open:N" N rows not closed, exit 0;
#: "missing" exit 1 naming the id.
CASES = [
    # dates: list
    (["list", "--as-of", "0001-01-01"], "rows:0"),
    (["list", "--as-of", "9999-12-31"], "rows:1"),
    (["list", "--as-of", "9999-12-31T23:59:59.999999"], "rows:1"),
    (["list", "--as-of", "9999-12-31T23:00:00-05:00"], "usage"),
    (["list", "--as-of", "0001-01-01T00:00:00+01:00"], "usage"),
    (["list", "--as-of", "10000-01-01"], "usage"),
    (["list", "--as-of", "2025-02-30"], "usage"),
    (["list", "--as-of", "2025-12-31"], "rows:1"),
    (["list", "--since", "0001-01-01", "--as-of", "2025-12-31"], "rows:1"),
    (["list", "--since", "9999-12-31", "--as-of", "9999-12-31"], "rows:0"),
    (["list", "--until", "0001-01-01", "--as-of", "2025-12-31"], "rows:0"),
    (["list", "--until", "9999-12-31", "--as-of", "2025-12-31"], "rows:1"),
    (["list", "--until", "9999-12-31T23:00-05:00"], "usage"),
    (["list", "--since", "0001-01-01T00:00+01:00"], "usage"),
    # dates: stats
    (["stats", "--as-of", "0001-01-01"], "rows:0"),
    (["stats", "--as-of", "9999-12-31"], "rows:3"),
    (["stats", "--since", "0001-01-01", "--until", "9999-12-31"], "rows:3"),
    (["stats", "--since", "9999-12-31T23:00-05:00"], "usage"),
    (["stats", "--until", "0001-01-01T00:00+01:00"], "usage"),
    (["stats", "--as-of", "9999-12-31T23:00-05:00"], "usage"),
    # ids and --limit
    (["show", HUGE], "usage"),
    (["show", HUGER], "usage"),
    (["show", "0"], "usage"),
    (["show", str(2**63 - 1)], "missing"),
    (["show", str(2**31)], "missing"),
    (["show", "{id}", "--as-of", "0001-01-01"], "status:not yet reported"),
    (["show", "{id}", "--as-of", "9999-12-31"], "status:overdue"),
    (["show", "{id}", "--as-of", "9999-12-31T23:00-05:00"], "usage"),
    (["close", HUGE, "--reason", "deceased", *BY], "usage"),
    (["close", str(2**63 - 1), "--reason", "deceased", *BY], "missing"),
    (["reopen", HUGE, *BY], "usage"),
    (["reopen", str(2**63 - 1), *BY], "missing"),
    (["list", "--limit", HUGE], "usage"),
    (["list", "--limit", str(2**63 - 1), "--as-of", "2025-12-31"], "rows:1"),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_extreme_dates_and_ids(tracker, feed, args: list[str], expected: str) -> None:  # type: ignore[no-untyped-def]
    outcome = feed(
        CHEST, when="2025-01-10", accession="A1", control="M1", procedure="CT CHEST", modality="CT"
    )
    assert outcome.created == 1
    with tracker.session() as session:
        rec_id = worklist(
            session,
            Filters(),
            as_of=datetime(2026, 1, 1, tzinfo=UTC),
            grace=tracker.policy.grace,
            limit=None,
        )[0].id
    line = [a.replace("{id}", str(rec_id)) for a in args]
    if line[0] in ("list", "stats") or expected.startswith("status:"):
        line += ["--format", "json"]
    result = runner.invoke(app, ["tracker", *line, "--db", tracker.url])
    kind, _, value = expected.partition(":")
    if kind == "usage":
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        return
    if kind == "missing":
        assert result.exit_code == 1, result.output
        assert result.output.strip() == f"radfollow: error: no recommendation {line[1]}"
        return
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    if kind == "rows":
        assert len(found) == int(value)
    else:
        assert found["row"]["status"] == value


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (datetime.min.replace(tzinfo=UTC), "not yet reported"),
        (datetime.max.replace(tzinfo=UTC), "overdue"),
        (datetime(2025, 4, 20, tzinfo=UTC), "due"),
    ],
)
def test_library_answers_at_extreme_as_of(tracker, feed, as_of: datetime, status: str) -> None:  # type: ignore[no-untyped-def]
    feed(
        CHEST, when="2025-01-10", accession="A1", control="M1", procedure="CT CHEST", modality="CT"
    )
    with tracker.session() as session:
        rows = worklist(session, Filters(), as_of=as_of, grace=tracker.policy.grace, limit=None)
        assert [r.status for r in rows] == ([] if status == "not yet reported" else [status])
        for rec_id in (2**63, -1, 0):
            assert detail(session, rec_id, as_of=as_of, grace=tracker.policy.grace) is None
