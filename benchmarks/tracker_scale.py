"""Tracker at scale: ingest and load rates, and worklist latency with 1,000,000
recommendations.

    python benchmarks/tracker_scale.py [--db URL ...] [--total 1000000] [--ingest 2000]
        [--load 20000] [--rates-only]

For each database:
1. ingest rate: ``--ingest`` synthetic reports (two recommendations each)
   through ``radfollow.tracker.ingest.ingest``, one transaction per report, as
   ``radfollow process --db`` does (NLP excluded);
2. load rate: ``--load`` more of the same synthetic reports, written as the
   records ``process`` writes (``records.jsonl``, with the report text), read
   and loaded by ``radfollow.tracker.bulk`` as ``radfollow tracker load`` does
   (reading and checking the file included); ``--rates-only`` stops here;
3. bulk-load synthetic rows up to ``--total`` recommendations (Core inserts);
3. ``tracker list`` latency: the worklist call for the first 100 rows with
   one filter (``--status overdue``) and with two filters (status and
   radiologist, status and site, status and modality), and apart the time to
   run the already-built statement and read its rows (the query time); the
   count of all overdue rows, and the whole CLI command (which also counts the
   total).
Synthetic data only; no ../shared needed. Defaults: a temporary SQLite file and
database radfollow_bench on the loopback PostgreSQL server of .ci/run
(createdb -O radfollow radfollow_bench).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from radfollow.models import (
    ExtractionResult,
    Finding,
    FindingType,
    Modality,
    Patient,
    RadiologyReport,
    Recommendation,
)
from radfollow.tracker.bulk import load_records
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import ingest
from radfollow.tracker.queries import (
    Filters,
    rows_of,
    status_condition,
    worklist,
    worklist_query,
)
from radfollow.tracker.records import read_records
from radfollow.tracker.schema import PENDING
from radfollow.tracker.schema import Patient as PatientRow
from radfollow.tracker.schema import Recommendation as RecRow
from radfollow.tracker.schema import Study as StudyRow

PG = "postgresql+psycopg://radfollow:radfollow@127.0.0.1:5432/radfollow_bench"
START = datetime(2020, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
TEXT = (
    "IMPRESSION: 6 mm nodule in the right upper lobe. Recommend follow-up CT chest in 6-12 months."
)


def _report(i: int, rng: random.Random) -> tuple[RadiologyReport, ExtractionResult]:
    when = START + timedelta(hours=rng.randrange(24 * 365 * 6))
    report = RadiologyReport(
        control_id=f"BENCH{i}",
        sending_facility="BENCH",
        patient=Patient(id=f"P{rng.randrange(200_000)}", assigning_authority="BENCH"),
        accession=f"B{i}",
        procedure={"text": "CT CHEST WITHOUT CONTRAST"},
        modality="CT",
        observation_time=when,
        text=TEXT,
    )
    finding = Finding(
        id="f1",
        type=FindingType.PULMONARY_NODULE,
        text="6 mm nodule",
        start=12,
        end=23,
        assertion="present",
        incidental=True,
    )
    recs = [
        Recommendation(
            id="r1",
            text=TEXT[50:],
            start=50,
            end=len(TEXT),
            modality=Modality.CT,
            body_region="chest",
            interval_months=(6.0, 12.0),
            finding_id="f1",
        ),
        Recommendation(
            id="r2",
            text="Consider PET/CT.",
            start=0,
            end=15,
            modality=Modality.PET,
            conditional=True,
            finding_id="f1",
        ),
    ]
    return report, ExtractionResult(findings=[finding], recommendations=recs)


def ingest_rate(tracker: Tracker, n: int) -> float:
    rng = random.Random(1)
    items = [_report(i, rng) for i in range(n)]
    started = time.perf_counter()
    created = 0
    for report, result in items:
        with tracker.session() as session:
            created += ingest(session, report, result, tracker.policy).created
    return created / (time.perf_counter() - started)


def load_rate(tracker: Tracker, n: int, first: int) -> tuple[float, float]:
    """(recommendations/s, records/s) of ``radfollow tracker load`` on ``n`` records
    (reports ``first`` on, so none is a resend of the ingested ones)."""
    from radfollow.processing.core import report_record

    rng = random.Random(1)
    for i in range(first):  # the same draws as ingest_rate, then on
        _report(i, rng)
    path = Path(tempfile.mkdtemp()) / "records.jsonl"
    with path.open("w") as out:
        for i in range(first, first + n):
            report, result = _report(i, rng)
            record = report_record(report, result).model_dump(mode="json")
            out.write(json.dumps({**record, "text": report.text}) + "\n")
    started = time.perf_counter()
    summary = load_records(tracker, read_records([str(path)], tz=UTC))
    elapsed = time.perf_counter() - started
    if summary.errors or summary.retried_batches:
        sys.exit(f"load failed: {summary.errors[:3]} ({summary.retried_batches} batches retried)")
    return summary.created / elapsed, summary.records / elapsed


def bulk_load(tracker: Tracker, total: int, batch: int = 20_000) -> float:
    """Rows straight into the tables (two recommendations per study)."""
    rng = random.Random(2)
    with tracker.engine.begin() as conn:
        have = conn.execute(sa.select(sa.func.count()).select_from(RecRow)).scalar_one()
        pid = conn.execute(sa.select(sa.func.max(PatientRow.id))).scalar() or 0
        conn.execute(
            sa.insert(PatientRow),
            [{"identifier": f"BULK{p}", "assigning_authority": "BULK"} for p in range(50_000)],
        )
    started = time.perf_counter()
    sid = 0
    while have < total:
        studies, recs = [], []
        with tracker.engine.begin() as conn:
            first = (conn.execute(sa.select(sa.func.max(StudyRow.id))).scalar() or 0) + 1
            for k in range(batch // 2):
                sid = first + k
                when = START + timedelta(hours=rng.randrange(24 * 365 * 6))
                patient = pid + 1 + rng.randrange(50_000)
                studies.append(
                    {
                        "id": sid,
                        "patient_id": patient,
                        "accession": f"BULK{sid}",
                        "control_id": f"BULK{sid}",
                        "modality": "CT",
                        "procedure": "CT CHEST",
                        "body_region": "chest",
                        "regions": "chest",
                        "procedure_kind": "diagnostic",
                        "facility": f"SITE{rng.randrange(5)}",
                        "interpreter": f"RAD{rng.randrange(40)}",
                        "ordering_provider": f"DOC{rng.randrange(500)}",
                        "patient_class": rng.choice(("outpatient", "inpatient", "emergency")),
                        "observed_at": when,
                        "result_status": "F",
                        "report_text": TEXT,
                    }
                )
                study = studies[-1]
                for local, months in (("r1", (6.0, 12.0)), ("r2", (0.0, 3.0))):
                    done = when + timedelta(days=200) if rng.random() < 0.5 else None
                    recs.append(
                        {
                            "study_id": sid,
                            "patient_id": patient,
                            "local_id": local,
                            "finding_type": "pulmonary_nodule",
                            "modality": "CT",
                            "body_region": "chest",
                            "interval_min": months[0],
                            "interval_max": months[1],
                            "window_source": "report",
                            "due_start": when + timedelta(days=30 * months[0]),
                            "due_end": when + timedelta(days=30 * months[1]),
                            "conditional": False,
                            "score": 0.9,
                            "evidence": TEXT[50:],
                            "start": 50,
                            "end": len(TEXT),
                            "state": "active",
                            "reported_at": when,
                            "completed_at": done,
                            "resolved_at": done or PENDING,
                            "interpreter": study["interpreter"],
                            "ordering_provider": study["ordering_provider"],
                            "facility": study["facility"],
                            "created_at": when,
                        }
                    )
            conn.execute(sa.insert(StudyRow), studies)
            conn.execute(sa.insert(RecRow), recs)
        have += len(recs)
    if tracker.engine.dialect.name == "postgresql":
        with tracker.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    else:
        with tracker.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


#: (label, filters) of the first-page queries timed.
PAGES = (
    ("overdue", Filters(statuses=["overdue"])),
    ("overdue+radiologist", Filters(statuses=["overdue"], radiologist="RAD7")),
    ("overdue+site", Filters(statuses=["overdue"], site="SITE3")),
    ("due+modality", Filters(statuses=["due"], modality="CT")),
    ("open,due+provider", Filters(statuses=["open", "due"], provider="DOC42")),
)


def latency(tracker: Tracker, db: str) -> dict[str, float]:
    grace = tracker.policy.grace
    result: dict[str, float] = {}
    for label, filters in PAGES:
        page, run = [], []
        query = worklist_query(filters, as_of=AS_OF, grace=grace, limit=100)
        for _ in range(7):
            t = time.perf_counter()
            with tracker.session() as session:
                worklist(session, filters, as_of=AS_OF, grace=grace, limit=100)
            page.append(time.perf_counter() - t)
            t = time.perf_counter()
            with tracker.session() as session:
                rows_of(session, query)
            run.append(time.perf_counter() - t)
        result[label] = statistics.median(page) * 1000
        result[label + " query"] = statistics.median(run) * 1000
    count = []
    for _ in range(3):
        t = time.perf_counter()
        with tracker.session() as session:
            overdue = session.scalar(
                sa.select(sa.func.count())
                .select_from(RecRow)
                .where(status_condition("overdue", AS_OF, grace))
            )
        count.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "radfollow.cli",
            "tracker",
            "list",
            "--db",
            db,
            "--status",
            "overdue",
            "--as-of",
            AS_OF.date().isoformat(),
            "--limit",
            "100",
            "--format",
            "json",
        ],
        check=True,
        capture_output=True,
    )
    cli = time.perf_counter() - t
    return {
        **result,
        "count_ms": statistics.median(count) * 1000,
        "overdue_rows": float(overdue or 0),
        "cli_s": cli,
    }


def run(db: str, total: int, n: int, loaded: int, rates_only: bool) -> None:
    tracker = Tracker(db)
    with tracker.engine.connect() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(RecRow)).scalar_one():
            sys.exit(f"{db} is not empty; give an empty database")
    rate = ingest_rate(tracker, n)
    bulk, records = load_rate(tracker, loaded, n)
    print(
        f"{tracker.engine.dialect.name:<10} ingest {rate:,.0f} recs/s (one transaction per "
        f"report, {n:,} reports); tracker load {bulk:,.0f} recs/s ({records:,.0f} records/s, "
        f"{loaded:,} records): {bulk / rate:.1f}x"
    )
    if rates_only:
        tracker.close()
        return
    load = bulk_load(tracker, total)
    with tracker.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(RecRow)).scalar_one()
    lat = latency(tracker, db)
    print(
        f"{tracker.engine.dialect.name:<10} recommendations {rows:>9,}  ingest "
        f"{rate:,.0f} recs/s  bulk load {load:,.0f} s  overdue {int(lat['overdue_rows']):,}  "
        f"count {lat['count_ms']:.0f} ms  CLI {lat['cli_s']:.2f} s"
    )
    for label, _ in PAGES:
        print(
            f"{'':<10} first 100 rows, {label:<22} {lat[label]:>7.1f} ms "
            f"(statement built: {lat[label + ' query']:.1f} ms to run and read)"
        )
    tracker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+")
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--ingest", type=int, default=2000)
    parser.add_argument("--load", type=int, default=20_000)
    parser.add_argument("--rates-only", action="store_true")
    args = parser.parse_args()
    targets = args.db or [f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}", PG]
    for db in targets:
        run(db, args.total, args.ingest, args.load, args.rates_only)


if __name__ == "__main__":
    main()
