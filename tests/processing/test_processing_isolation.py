"""The isolation contract of ``process``: every unit gives its outputs or one error line.

Each case was a whole-run failure before the processing core (issue 10): the
run aborted, lost the outputs of the good reports, or printed patient data.
Database cases run on SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from db_helpers import count, refuse_accession
from processing_messages import oru, write_messages
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.models import MAX_REPORT_CHARS
from radfollow.processing import batch
from radfollow.processing.batch import JobSummary, run_process
from radfollow.processing.core import ProcessingOptions, ReportProcessor, report_text
from radfollow.tracker.db import Tracker

runner = CliRunner()
SECRET = "MRN-SECRET-9"


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _count(url: str, table: str) -> int:
    return count(url, f"SELECT count(*) FROM {table}")


def _check_outputs(out: Path, summary: JobSummary, *, written: int, rejected: int) -> None:
    """Each unit once: written units in bundles and records, rejected ones in errors."""
    assert (summary.processed, summary.rejected) == (written, rejected)
    assert len(_lines(out / "bundles.ndjson")) == written
    assert len(_lines(out / "records.jsonl")) == written
    assert len(_lines(out / "errors.ndjson")) == rejected
    for path in out.iterdir():
        assert SECRET not in path.read_text(errors="replace"), path.name


def test_report_over_the_size_limit_is_one_error_line(
    tmp_path: Path, db_url: str, rules_only: ProcessingOptions
) -> None:
    """spaCy's max_length (E088) used to end the run, naming no file, writing nothing."""
    huge = "word " * (MAX_REPORT_CHARS // 5 + 1)
    inputs = write_messages(
        tmp_path / "in", {"1.hl7": oru(1), "2.hl7": oru(2, text=huge), "3.hl7": oru(3)}
    )
    out = tmp_path / "out"
    summary = run_process([inputs], out, options=rules_only, db=db_url)
    _check_outputs(out, summary, written=2, rejected=1)
    (error,) = _lines(out / "errors.ndjson")
    assert error["code"] == "RF202" and error["control_id"] == "MSG2"
    assert str(error["source"]).endswith("2.hl7") and error["position"] == 1
    assert f"{MAX_REPORT_CHARS:,}-character limit" in str(error["reason"])
    assert _count(db_url, "studies") == 2


@pytest.mark.parametrize("size", [MAX_REPORT_CHARS - 10, MAX_REPORT_CHARS + 1])
def test_size_limit_boundary(tmp_path: Path, rules_only: ProcessingOptions, size: int) -> None:
    options = ProcessingOptions(
        pipeline=rules_only.pipeline.model_copy(update={"max_length": MAX_REPORT_CHARS}),
    )
    text = "x" * (size - 60)  # the second OBX adds about 60 characters
    inputs = write_messages(tmp_path / "in", {"1.hl7": oru(1, text=text)})
    summary = run_process([inputs], tmp_path / "out", options=options)
    report_chars = len(text) + 1 + len("IMPRESSION: Recommend follow-up CT chest in 6-12 months.")
    assert summary.rejected == (report_chars > MAX_REPORT_CHARS)


def test_database_refusing_one_report_is_one_error_line(
    tmp_path: Path, db_url: str, rules_only: ProcessingOptions
) -> None:
    """A database error used to abort the run and print the SQL parameters."""
    Tracker(db_url).close()  # create the schema, then add the trigger
    refuse_accession(db_url, "ACC2", f"refused {SECRET}")
    inputs = write_messages(
        tmp_path / "in", {f"{n}.hl7": oru(n, patient=SECRET if n == 2 else None) for n in (1, 2, 3)}
    )
    out = tmp_path / "out"
    summary = run_process([inputs], out, options=rules_only, db=db_url)
    _check_outputs(out, summary, written=2, rejected=1)
    (error,) = _lines(out / "errors.ndjson")
    assert error["code"] == "RF701" and error["control_id"] == "MSG2"
    assert str(error["reason"]).startswith("the database refused the write (")
    assert _count(db_url, "studies") == 2
    assert summary.tracker == {"stored": 2, "completed": 0, "superseded": 0}


def test_database_refusal_through_the_cli_prints_no_values(tmp_path: Path, db_url: str) -> None:
    Tracker(db_url).close()
    refuse_accession(db_url, "ACC2", f"refused {SECRET}")
    inputs = write_messages(
        tmp_path / "in", {f"{n}.hl7": oru(n, patient=SECRET if n == 2 else None) for n in (1, 2)}
    )
    args = ["process", str(inputs), "--out", str(tmp_path / "o"), "--db", db_url]
    result = runner.invoke(app, [*args, "--no-classifier", "--no-progress"])
    assert result.exit_code == 1
    assert "1 reports processed, 1 rejected" in result.output
    assert SECRET not in result.output and "Traceback" not in result.output
    assert "[parameters" not in result.output and "INSERT" not in result.output


def test_nul_character_from_an_escape(
    tmp_path: Path, db_url: str, rules_only: ProcessingOptions
) -> None:
    """A NUL from a hex escape used to reach the tracker, which PostgreSQL refuses (RF701):
    control characters from escapes are dropped now, so the report is written on both."""
    inputs = write_messages(
        tmp_path / "in",
        {"1.hl7": oru(1), "2.hl7": oru(2, text="FINDINGS: A\\X00\\B nodule."), "3.hl7": oru(3)},
    )
    out = tmp_path / "out"
    summary = run_process([inputs], out, options=rules_only, db=db_url)
    _check_outputs(out, summary, written=3, rejected=0)
    assert "A\\u0000B" not in (out / "bundles.ndjson").read_text()
    assert "AB nodule" in (out / "bundles.ndjson").read_text()


def test_report_the_tracker_cannot_take_is_rejected_not_also_written(
    tmp_path: Path, db_url: str, rules_only: ProcessingOptions
) -> None:
    """A report without OBR-7 used to be counted written and rejected at once."""
    inputs = write_messages(
        tmp_path / "in", {"1.hl7": oru(1), "2.hl7": oru(2, when=""), "3.hl7": oru(3)}
    )
    out = tmp_path / "out"
    summary = run_process([inputs], out, options=rules_only, db=db_url)
    _check_outputs(out, summary, written=2, rejected=1)
    (error,) = _lines(out / "errors.ndjson")
    assert error["code"] == "RF303" and "OBR-7" in str(error["reason"])
    assert {r["accession"] for r in _lines(out / "records.jsonl")} == {"ACC1", "ACC3"}


def test_without_a_tracker_a_report_without_observation_time_is_written(
    tmp_path: Path, rules_only: ProcessingOptions
) -> None:
    inputs = write_messages(tmp_path / "in", {"1.hl7": oru(1, when="")})
    summary = run_process([inputs], tmp_path / "out", options=rules_only)
    _check_outputs(tmp_path / "out", summary, written=1, rejected=0)


def test_fhir_mapping_bug_is_one_error_line_naming_the_class_only(
    tmp_path: Path, db_url: str, rules_only: ProcessingOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    from radfollow.processing import core

    real = core.bundle_json

    def broken(report, result, **kwargs):  # type: ignore[no-untyped-def]
        if report.accession == "ACC2":
            raise KeyError(SECRET)
        return real(report, result, **kwargs)

    monkeypatch.setattr(core, "bundle_json", broken)
    inputs = write_messages(tmp_path / "in", {f"{n}.hl7": oru(n) for n in (1, 2, 3)})
    out = tmp_path / "out"
    summary = run_process([inputs], out, options=rules_only, db=db_url)
    _check_outputs(out, summary, written=2, rejected=1)
    assert _count(db_url, "studies") == 2  # the FHIR failure stops the report before the tracker
    (error,) = _lines(out / "errors.ndjson")
    assert (error["code"], error["reason"]) == ("RF900", "internal error (KeyError)")


@pytest.mark.parametrize("what", ["file", "folder"])
def test_unreadable_file_or_folder_is_one_error_line(
    tmp_path: Path,
    db_url: str,
    rules_only: ProcessingOptions,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
) -> None:
    """An unreadable entry used to end the run (root ignores permission bits, so the
    refusal is simulated at the same call the walk makes)."""
    inputs = write_messages(tmp_path / "in", {"a.hl7": oru(1), "c.hl7": oru(3)})
    blocked = write_messages(inputs / "b", {"b.hl7": oru(2)}) if what == "folder" else None
    if blocked is None:
        blocked = inputs / "b.hl7"
        blocked.write_bytes(oru(2))
        owner, method, real = batch, "read_input", batch.read_input
    else:
        owner, method, real = Path, "iterdir", Path.iterdir  # type: ignore[assignment]

    def refuse(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self == blocked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, refuse)
    out = tmp_path / "out"
    summary = run_process([inputs], out, options=rules_only, db=db_url)
    _check_outputs(out, summary, written=2, rejected=1)
    assert _count(db_url, "studies") == 2
    (error,) = _lines(out / "errors.ndjson")
    assert error == {
        "source": str(blocked),
        "position": None,
        "control_id": None,
        "code": "RF201",
        "reason": f"cannot read {what}: Permission denied",
    }
    assert [r["accession"] for r in _lines(out / "records.jsonl")] == ["ACC1", "ACC3"]


def test_two_concurrent_writers_store_each_report_once(
    db_url: str, rules_only: ProcessingOptions
) -> None:
    """Two ``process --db`` runs over one database raced on the unique keys: the loser's
    run aborted with a traceback quoting SQL parameters. Now the loser retries and sees
    a duplicate (same message) or the patient the winner created."""
    from radfollow.hl7.framing import RawMessage
    from radfollow.nlp.extract import Extractor

    core = ReportProcessor(rules_only)
    messages = [oru(n, patient=f"MRN{n % 3}") for n in range(12)]
    reports = [core.read(RawMessage("mem", i + 1, m))[0] for i, m in enumerate(messages)]
    extractor = Extractor(config=rules_only.pipeline)
    results = [extractor.extract(report_text(r)) for r in reports]
    trackers = [Tracker(db_url), Tracker(db_url)]
    start = threading.Barrier(2)
    outcomes: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            for report, result in zip(reports, results, strict=True):
                start.wait(30)
                outcomes[k].append(core.track(trackers[k], report, result).status)
        except BaseException as error:
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for tracker in trackers:
        tracker.close()
    assert errors == []
    for first, second in zip(*outcomes, strict=True):
        assert sorted((first, second)) == ["duplicate", "stored"]
    assert _count(db_url, "messages") == 12 and _count(db_url, "studies") == 12
    assert _count(db_url, "patients") == 3


@pytest.mark.parametrize("first", ["F", "C"])
def test_a_report_and_its_correction_written_at_the_same_moment(
    db_url: str, rules_only: ProcessingOptions, first: str
) -> None:
    """Both versions' recommendations stayed active when two writers stored a final
    report and its correction at once: each read 'no earlier version' before the
    other committed. Writers of one patient now wait for each other."""
    from contextlib import suppress

    from radfollow.hl7.framing import RawMessage
    from radfollow.nlp.extract import Extractor
    from radfollow.tracker.transaction import write

    core = ReportProcessor(rules_only)
    extractor = Extractor(config=rules_only.pipeline)

    def read(n: int, **fields: str) -> tuple[object, object]:
        (report,) = core.read(RawMessage("mem", n, oru(n, patient="P9", **fields)))
        return report, extractor.extract(report_text(report))

    earlier = read(8)  # the patient is known already: an earlier exam
    final = read(1, accession="ACC9", status="F")
    corrected = read(2, accession="ACC9", status="C", text="FINDINGS: 7 mm nodule, corrected.")
    tracker = Tracker(db_url)
    core.track(tracker, *earlier)  # type: ignore[arg-type]
    tracker.close()
    in_transaction = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(report: object, result: object) -> None:
        tracker = Tracker(db_url)
        waited = False

        def unit(session):  # type: ignore[no-untyped-def]
            nonlocal waited
            outcome = core.store(session, tracker, report, result)  # type: ignore[arg-type]
            session.flush()
            if not waited:  # hold the transaction open: the other writer races or waits
                waited = True
                with suppress(threading.BrokenBarrierError):
                    in_transaction.wait(2)
            return outcome

        try:
            write(tracker, unit)
        except BaseException as error:
            errors.append(error)
        finally:
            tracker.close()

    order = [final, corrected] if first == "F" else [corrected, final]
    threads = [threading.Thread(target=writer, args=pair) for pair in order]
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    for thread in threads:
        thread.join(120)
    assert errors == []
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        active = conn.execute(
            sa.text(
                "SELECT s.result_status FROM recommendations r JOIN studies s "
                "ON s.id = r.study_id WHERE r.state = 'active' AND s.accession = 'ACC9'"
            )
        ).all()
    engine.dispose()
    assert [row[0] for row in active] == ["C"]
