"""Shared fixtures: one pipeline per test session, built from the packaged rules;
``db_url``, every database test on SQLite and on PostgreSQL; and a guard that
fails the session when a test leaves a process behind.

PostgreSQL comes from RADFOLLOW_TEST_PG_URL (default: the loopback server that
.ci/run starts). Outside CI the PostgreSQL cases skip when no server answers;
in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

# Nothing may download at run time: the tests run offline, and the classifier's
# ONNX exports go to a cache of this test session.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("RADFOLLOW_CACHE", tempfile.mkdtemp(prefix="radfollow-test-cache-"))

# Every process this session starts inherits the mark; survivors are found by it.
os.environ["RADFOLLOW_TEST_SESSION"] = f"radfollow-tests-{uuid.uuid4().hex}"

import pytest
import sqlalchemy as sa

from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.tracker.db import Tracker

SESSION_MARK = os.environ["RADFOLLOW_TEST_SESSION"]
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    """The rule pipeline (no classifier): what the rule tests check."""
    return Extractor(config=PipelineConfig(classifier=False))


@pytest.fixture(scope="session")
def full_extractor() -> Extractor:
    """The pipeline with the classifier (an option: the default runs the rules alone)."""
    return Extractor(config=PipelineConfig(classifier=True))


@pytest.fixture(scope="session")
def run(extractor: Extractor):  # type: ignore[no-untyped-def]
    def _run(
        text: str, indication: str | None = None, procedure: str | None = None
    ) -> ExtractionResult:
        return extractor.extract(ReportText(text, indication, procedure))

    return _run


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/corpora is absent")
    return SHARED


PG_URL = os.environ.get(
    "RADFOLLOW_TEST_PG_URL",
    "postgresql+psycopg://radfollow:radfollow@127.0.0.1:5432/radfollow_test",
)


def _postgres_ready() -> bool:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect():
            pass
    except Exception:
        return False
    engine.dispose()
    return True


def _reset_postgres() -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    if not _postgres_ready():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} in CI")
        pytest.skip("no PostgreSQL server reachable")
    _reset_postgres()
    yield PG_URL


@pytest.fixture
def tracker(db_url: str) -> Iterator[Tracker]:
    """A tracker on ``db_url`` (SQLite and PostgreSQL), closed after the test."""
    opened = Tracker(db_url)
    yield opened
    opened.close()


def _survivors() -> list[str]:
    """Processes other than this one that carry this session's mark, except this
    process's own multiprocessing resource tracker (it ends with this process)."""
    needle = f"RADFOLLOW_TEST_SESSION={SESSION_MARK}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if parent == os.getpid() and "multiprocessing.resource_tracker" in command:
            continue
        found.append(f"{entry.name}: {command[:120]}")
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test left a process alive (an orphaned worker, a listener)."""
    if not Path("/proc").is_dir():
        return
    deadline = time.monotonic() + 15
    while (left := _survivors()) and time.monotonic() < deadline:
        time.sleep(0.5)
    if left:
        print("\nprocesses left behind by the tests:\n  " + "\n  ".join(left))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
