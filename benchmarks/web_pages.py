"""Review app page times over 1,000,000 recommendations, on SQLite and PostgreSQL.

    python benchmarks/web_pages.py [--db URL ...] [--total 1000000] [--repeat 20] [--reuse]

For each database: bulk-load synthetic rows (benchmarks/tracker_scale.py's
loader: six years of reports, 5 sites, 40 radiologists, 500 ordering providers,
50,000 patients given a sex, birth date and postal code here), sign in, then
request each page ``--repeat`` times in process (FastAPI's TestClient, so the
figure is server time: routing, the status refresh, queries, figures,
templates; no network) and print the median and 95th percentile in ms, cold
(one recommendation changed through the ORM just before each request, as after
any action or new report: the stored statuses refresh, the in-memory copy of the
figures' columns, radfollow.tracker.facts, reads that row again, and every count
and figure is computed again: what a busy site sees) and warm (nothing changed
since the last view: paging, going back). Before the pages, every status is
stored once (what the first page after upgrading to migration 0009 does) and the
in-memory copy is read (what ``radfollow serve`` does at start-up), each timed
apart. The target (issue 15): worklist and dashboard pages under 300 ms at the
95th percentile.

Synthetic data only; no ../shared needed. Defaults: a temporary SQLite file and
database radfollow_bench on the loopback PostgreSQL server of .ci/run
(createdb -O radfollow radfollow_bench; it must be empty).
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from tracker_scale import PG, bulk_load

from radfollow.tracker.accounts import add_user
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import Patient, Recommendation, User
from radfollow.web.app import create_app

PASSWORD = "benchmark password"
#: Three-digit ZIP prefixes, one rare enough to be pooled on the dashboard.
PREFIXES = ("021",) * 40 + ("024",) * 30 + ("945",) * 20 + ("100",) * 9 + ("606",)
#: (label, path) of the pages timed; {rec} is a recommendation id.
PAGES = (
    ("worklist, no filter", "/worklist"),
    ("worklist, overdue", "/worklist?status=overdue"),
    ("worklist, overdue + radiologist", "/worklist?status=overdue&radiologist=RAD7"),
    (
        "worklist, open,due + site, priority",
        "/worklist?status=open&status=due&site=SITE3&sort=priority",
    ),
    ("worklist, overdue, page 200", "/worklist?status=overdue&page=200"),
    ("worklist, my worklist", "/worklist?mine=1"),
    ("detail", "/recommendations/{rec}"),
    ("dashboard, last 12 months", "/dashboard"),
    ("dashboard, one site, 12 months", "/dashboard?site=SITE2"),
    ("dashboard, all time", "/dashboard?all=1"),
)


def _demographics(tracker: Tracker) -> None:
    """Sex, birth date and postal code for every patient (the loader leaves them empty)."""
    rng = random.Random(3)
    with tracker.engine.begin() as conn:
        ids = list(conn.execute(sa.select(Patient.id)).scalars())
        rows = [
            {
                "pid": pid,
                "sex": rng.choice("FM"),
                "born": date(1930 + rng.randrange(75), 1 + rng.randrange(12), 1),
                "zip": rng.choice(PREFIXES) + f"{rng.randrange(100):02d}",
            }
            for pid in ids
        ]
        statement = (
            sa.update(Patient)
            .where(Patient.id == sa.bindparam("pid"))
            .values(
                sex=sa.bindparam("sex"),
                birth_date=sa.bindparam("born"),
                postal_code=sa.bindparam("zip"),
            )
        )
        conn.execute(statement, rows)


def _sign_in(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _change(tracker: Tracker, rec_id: int) -> None:
    """Assign one recommendation (an ORM write, as the app's actions make): its stored
    status is refreshed, the stored statuses' version moves on, the in-memory copy
    reads that row again, and every figure is computed again at the next page."""
    with tracker.session() as session:
        rec = session.get(Recommendation, rec_id)
        assert rec is not None
        rec.assignee = "bench" if rec.assignee != "bench" else None


def _median(times: list[float]) -> float:
    return statistics.median(times)


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(db: str, total: int, repeat: int, *, reuse: bool = False) -> None:
    tracker = Tracker(db)
    with tracker.engine.connect() as conn:
        held = conn.execute(sa.select(sa.func.count()).select_from(Recommendation)).scalar_one()
        bench = conn.execute(sa.select(User.id).where(User.name == "bench")).first()
    if reuse and held == total and bench is not None:
        load = None  # this script's own rows, loaded by an earlier run
    elif held:
        sys.exit(f"{db} is not empty; give an empty database (or --reuse an earlier run's)")
    else:
        load = bulk_load(tracker, total)
        _demographics(tracker)
        with tracker.session() as session:
            add_user(session, "bench", role="reviewer", password=PASSWORD, at=datetime.now(UTC))
    with tracker.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(Recommendation)).scalar_one()
        rec = conn.execute(sa.select(sa.func.max(Recommendation.id))).scalar_one() // 2
    client = TestClient(create_app(tracker))
    _sign_in(client)
    started = time.perf_counter()
    web = client.app.state.web  # type: ignore[attr-defined]
    assert web.stored_statuses(web.clock()) is not None
    stored = time.perf_counter() - started
    started = time.perf_counter()
    web.warm()  # what `radfollow serve` does before it serves
    copied = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{tracker.engine.dialect.name}: {rows:,} recommendations ("
        + (f"bulk load {load:.0f} s; " if load is not None else "an earlier run's; ")
        + ("every status stored once" if load is not None else "stored statuses refreshed")
        + f": {stored:.1f} s; the in-memory copy read at start-up: "
        f"{copied:.1f} s; peak RSS so far {peak:,.0f} MB)"
    )
    print(f"  {'page':<36} {'cold median':>11} {'cold p95':>9} {'warm median':>12} {'warm p95':>9}")
    changes = 0
    for label, path in PAGES:
        url = path.format(rec=rec)
        assert client.get(url).status_code == 200, url  # templates compiled, pages cached
        cold, warm = [], []
        for series, change in ((cold, True), (warm, False)):
            for _ in range(repeat):
                if change:  # a person's change to one recommendation, as a busy site sees
                    changes += 1
                    _change(tracker, rec + changes)
                started = time.perf_counter()
                response = client.get(url)
                series.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        print(
            f"  {label:<36} {_median(cold):>11.0f} {_p95(cold):>9.0f} "
            f"{_median(warm):>12.0f} {_p95(warm):>9.0f}"
        )
    client.close()
    tracker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+")
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the pages over an earlier run's database (--db) without loading again",
    )
    args = parser.parse_args()
    targets = args.db or [f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}", PG]
    for db in targets:
        run(db, args.total, args.repeat, reuse=args.reuse)


if __name__ == "__main__":
    main()
