"""The Spark job on local[2]: the same records as extract and process, nothing lost.

Each test runs the whole job (about 10-20 s on two cores)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from radfollow.processing.batch import ORDER_WITHOUT_TRACKER, run_extract, run_process
from radfollow.spark.settings import SparkSettings
from radfollow.spark.tables import TABLES, names

ROOT = Path(__file__).resolve().parents[2]
CORPUS = [ROOT / "corpora" / "gold" / "dev.txt.jsonl", ROOT / "corpora" / "gold" / "test.txt.jsonl"]
SAMPLE = ROOT / "corpora" / "sample"


def _job(spark: Any, paths: list[str], out: Path, **settings: Any) -> Any:
    from radfollow.spark.job import run

    options = {k: settings.pop(k) for k in ("records", "partitions", "overwrite") if k in settings}
    return run(spark, paths, str(out), SparkSettings(**settings), **options)


def _lines(folder: Path) -> list[str]:
    return sorted(
        line for part in sorted(folder.glob("part-*")) for line in part.read_text().splitlines()
    )


def _table(out: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(out / name).to_pylist()


def test_records_equal_extract_on_the_synthetic_corpus(spark: Any, tmp_path: Path) -> None:
    summary = _job(
        spark,
        [str(p) for p in CORPUS],
        tmp_path / "out",
        input_format="jsonl",
        records=True,
        batch_size=16,
    )
    expected: list[str] = []
    for path in CORPUS:
        run_extract(path, tmp_path / f"{path.stem}.out.jsonl")
        expected += (tmp_path / f"{path.stem}.out.jsonl").read_text().splitlines()
    assert _lines(tmp_path / "out" / "records") == sorted(expected)
    assert summary.inputs == summary.reports == len(expected) == 340
    assert summary.errors == 0
    # one pipeline per Python worker, not one per batch (22 batches of 16)
    assert 1 <= summary.pipelines_built <= 4
    findings = _table(tmp_path / "out", "findings")
    recommendations = _table(tmp_path / "out", "recommendations")
    records = [json.loads(line) for line in expected]
    assert len(findings) == summary.findings == sum(len(r["findings"]) for r in records)
    assert len(recommendations) == sum(len(r["recommendations"]) for r in records)
    for name in TABLES:
        assert pq.read_schema(next((tmp_path / "out" / name).glob("*.parquet"))).names == names(
            TABLES[name]
        )
    assert not list(tmp_path.glob("out.partial-*"))


ORM = (
    b"MSH|^~\\&|RIS|FACILITY_A|RF|RF|20240102083000||ORM^O01|MSG0001|P|2.5.1\r"
    b"PID|1||PAT001^^^HOSP_A^MR||DOE^JANE||19700101|F\rORC|NW|PLC1|FIL1||SC\r"
    b"OBR|1|PLC1|FIL1|71020^CHEST XRAY^C4|||20240102083000\r"
)


def test_hl7_records_bundles_and_errors_equal_process(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE, folder)
    (folder / "_underscore.hl7").write_bytes((SAMPLE / "syn-0068.hl7").read_bytes())
    (folder / "empty.hl7").write_bytes(b"")
    (folder / "order.hl7").write_bytes(ORM)
    (folder / "gone.hl7").symlink_to(tmp_path / "nowhere")
    monkeypatch.chdir(tmp_path)  # relative paths, named as process names them
    summary = _job(spark, ["in"], tmp_path / "out", input_format="hl7", bundles=True, records=True)
    done = run_process([Path("in")], tmp_path / "process")
    assert _lines(tmp_path / "out" / "records") == sorted(
        (tmp_path / "process" / "records.jsonl").read_text().splitlines()
    )
    assert _lines(tmp_path / "out" / "bundles") == sorted(
        (tmp_path / "process" / "bundles.ndjson").read_text().splitlines()
    )
    rows = _table(tmp_path / "out", "errors")
    errors = [{k: v for k, v in row.items() if k != "report_id"} for row in rows]
    expected = [json.loads(line) for line in (tmp_path / "process" / "errors.ndjson").open()]
    expected.append(
        {
            "source": "in/order.hl7",
            "position": 1,
            "control_id": "MSG0001",
            "code": "RF302",
            "reason": ORDER_WITHOUT_TRACKER,
        }
    )
    key = lambda row: (row["source"], row["position"] or 0)  # noqa: E731
    assert sorted(errors, key=key) == sorted(expected, key=key)
    assert (summary.reports, summary.errors, summary.ignored) == (done.processed, done.rejected, 1)
    assert (summary.reports, summary.errors) == (16, 4)  # a FIFO-free copy of process's walk
    # records come out in input order (a correction after its original)
    ordered = [
        (r["source"], r["position"])
        for part in sorted((tmp_path / "out" / "records").glob("part-*"))
        for r in map(json.loads, part.read_text().splitlines())
    ]
    assert ordered == sorted(ordered)


def test_every_bad_line_is_an_error_row(spark: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "a", "text": "IMPRESSION: 6 mm nodule. Recommend CT chest in 6 months."}\n'
        "{broken\n"
        '{"id": "c"}\n'
        '{"id": "d", "text": "' + "x " * 600_000 + '"}\n'
        '{"id": "e", "text": "IMPRESSION: Normal."}\n'
    )
    summary = _job(spark, [str(source)], tmp_path / "out", input_format="jsonl", records=True)
    assert (summary.inputs, summary.reports, summary.errors) == (5, 2, 3)
    errors = sorted(_table(tmp_path / "out", "errors"), key=lambda row: row["position"])
    assert [(e["position"], e["code"]) for e in errors] == [
        (2, "RF200"),
        (3, "RF200"),
        (4, "RF202"),
    ]
    assert all("x x" not in e["reason"] for e in errors)  # no report text in a reason
    run_extract(source, tmp_path / "extract.jsonl")
    assert _lines(tmp_path / "out" / "records") == sorted(
        (tmp_path / "extract.jsonl").read_text().splitlines()
    )


def test_parquet_input_with_metadata(spark: Any, tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa

    rows = [json.loads(line) for line in CORPUS[0].read_text().splitlines()[:30]]
    (tmp_path / "in").mkdir()
    first = [{"id": r["id"], "text": r["text"]} for r in rows[:20]]
    pq.write_table(pa.Table.from_pylist(first), tmp_path / "in" / "part-0.parquet")
    when = dt.datetime(2025, 3, 1, 13, 0, tzinfo=dt.UTC)
    rest = [
        {
            "id": r["id"],
            "text": r["text"],
            "indication": r.get("indication"),
            "age": 61,
            "tags": ["a", "b"],
            "observation_time": when,
        }
        for r in rows[20:]
    ]
    rest.append(
        {
            "id": "no-text",
            "text": None,
            "indication": None,
            "age": None,
            "tags": [],
            "observation_time": None,
        }
    )
    pq.write_table(pa.Table.from_pylist(rest), tmp_path / "in" / "part-1.parquet")
    summary = _job(
        spark, [str(tmp_path / "in")], tmp_path / "out", input_format="parquet", records=True
    )
    assert (summary.inputs, summary.reports, summary.errors) == (31, 30, 1)
    (error,) = _table(tmp_path / "out", "errors")
    assert (error["report_id"], error["code"], error["position"]) == ("no-text", "RF200", None)
    by_id = {row["report_id"]: row for row in _table(tmp_path / "out", "reports")}
    plain = tmp_path / "plain.jsonl"
    with plain.open("w") as out:
        for row in first + rest[:-1]:
            value = {k: v for k, v in row.items() if v is not None}
            if "observation_time" in value:
                value["observation_time"] = "2025-03-01T13:00:00Z"
            out.write(json.dumps(value) + "\n")
    run_extract(plain, tmp_path / "extract.jsonl")
    for line in (tmp_path / "extract.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert json.loads(by_id[record["id"]]["record"]) == record
    assert record["tags"] == ["a", "b"] and record["age"] == 61


def test_an_integer_id_column_is_read_as_text(spark: Any, tmp_path: Path) -> None:
    import pyarrow as pa

    (tmp_path / "in").mkdir()
    table = pa.Table.from_pylist([{"id": 7, "text": "IMPRESSION: Normal."}])
    pq.write_table(table, tmp_path / "in" / "a.parquet")
    summary = _job(spark, [str(tmp_path / "in")], tmp_path / "out", input_format="parquet")
    assert (summary.reports, summary.errors) == (1, 0)
    assert [row["report_id"] for row in _table(tmp_path / "out", "reports")] == ["7"]


def test_the_output_may_not_hold_the_input(spark: Any, tmp_path: Path) -> None:
    from radfollow.errors import InputFileError

    source = tmp_path / "in" / "a.jsonl"
    source.parent.mkdir()
    source.write_text('{"id": "a", "text": "IMPRESSION: Normal."}\n')
    for out in (tmp_path / "in", tmp_path):
        with pytest.raises(InputFileError, match="holds the input"):
            _job(spark, [str(source.parent)], out, input_format="jsonl", overwrite=True)
    assert source.exists()


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_existing_output_folder_is_kept_unless_overwrite(
    spark: Any, tmp_path: Path, overwrite: bool
) -> None:
    from radfollow.errors import InputFileError

    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "IMPRESSION: Normal."}\n')
    if not overwrite:
        with pytest.raises(InputFileError, match="exists"):
            _job(spark, [str(source)], out, input_format="jsonl")
        assert (out / "keep.txt").exists()
        return
    _job(spark, [str(source)], out, input_format="jsonl", overwrite=True)
    assert not (out / "keep.txt").exists()
    assert len(_table(out, "reports")) == 1


def test_shipped_rules_are_read_from_the_workers_copy(spark: Any, tmp_path: Path) -> None:
    """On a cluster the driver's rules folder does not exist on the executors: a
    worker reads the copy Spark fetched (SparkContext.addFile), or the driver's
    path where it is visible (local mode, a shared file system)."""
    import pandas as pd

    from radfollow.spark.worker import _copies

    rules = tmp_path / "site-rules-shipped"
    rules.mkdir()
    (rules / "marker.json").write_text("{}")
    spark.sparkContext.addFile(str(rules), recursive=True)
    elsewhere = SparkSettings(input_format="jsonl", rules=Path("/nowhere") / rules.name)
    here = SparkSettings(input_format="jsonl", rules=rules)

    def probe(batches: Any) -> Any:
        for _ in batches:
            found = [_copies(elsewhere).get("rules"), _copies(here).get("rules")]
            yield pd.DataFrame(
                {
                    "path": [str(p) if p else None for p in found],
                    "marker": [bool(p and (p / "marker.json").exists()) for p in found],
                }
            )

    rows = spark.range(1).mapInPandas(probe, "path string, marker boolean").collect()
    (shipped, local) = rows
    assert shipped.marker and shipped.path != str(elsewhere.rules)
    assert local.path is None  # the driver's path is visible: nothing to replace


def test_spark_records_load_into_the_tracker_as_process_stores_them(
    spark: Any, tmp_path: Path
) -> None:
    """``radfollow spark --records --record-text`` then ``tracker load``: the
    recommendations, their due windows, states and report texts as ``process --db``
    stores them."""
    import sqlalchemy as sa

    from radfollow.tracker.bulk import load_records
    from radfollow.tracker.db import open_tracker
    from radfollow.tracker.records import read_records

    _job(spark, [str(SAMPLE)], tmp_path / "out", input_format="hl7", records=True, record_text=True)
    processed = f"sqlite:///{tmp_path / 'process.db'}"
    run_process([SAMPLE], tmp_path / "process", db=processed)
    loaded = f"sqlite:///{tmp_path / 'loaded.db'}"
    tracker = open_tracker(loaded)
    parts = [str(p) for p in sorted((tmp_path / "out" / "records").glob("part-*"))]
    summary = load_records(tracker, read_records(parts, tz=tracker.timezone))
    tracker.close()
    assert not summary.errors

    def state(url: str) -> list[tuple[Any, ...]]:
        engine = sa.create_engine(url)
        query = sa.text(
            "SELECT s.accession, r.local_id, r.modality, r.due_start, r.due_end, r.state,"
            " r.superseded_at IS NOT NULL, s.report_text FROM recommendations r"
            " JOIN studies s ON s.id = r.study_id ORDER BY 1, 2, 6"
        )
        with engine.connect() as conn:
            rows = [tuple(row) for row in conn.execute(query)]
        engine.dispose()
        return rows

    expected = state(processed)
    assert state(loaded) == expected
    assert len(expected) == 15


def test_a_killed_runs_partial_output_is_named_at_the_next_start(
    spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from radfollow.spark.output import Output, leftovers

    out = tmp_path / "out"
    stale = tmp_path / "out.partial-0badc0de"
    stale.mkdir()  # what a kill -9 leaves behind
    with caplog.at_level("WARNING", logger="radfollow.spark.output"):
        output = Output.prepare(spark, str(out), overwrite=False, inputs=[])
    assert "1 unfinished output folder(s)" in caplog.text and "0badc0de" in caplog.text
    assert [Path(p.removeprefix("file:")).name for p in leftovers(spark, output.final)] == [
        stale.name
    ]
    stale.rmdir()
    caplog.clear()
    with caplog.at_level("WARNING", logger="radfollow.spark.output"):
        Output.prepare(spark, str(out), overwrite=False, inputs=[])
    assert "unfinished" not in caplog.text


@pytest.mark.parametrize("name", ["out[1]", "o{a,b}", "out{a", "out*x", "out?"])
def test_leftovers_of_an_output_named_with_glob_characters(
    spark: Any, tmp_path: Path, name: str
) -> None:
    from radfollow.spark.output import Output, leftovers

    mine = tmp_path / f"{name}.partial-11111111"
    other = tmp_path / "outx.partial-22222222"  # another output's, never listed
    mine.mkdir()
    other.mkdir()
    output = Output.prepare(spark, str(tmp_path / name), overwrite=False, inputs=[])
    found = [Path(p.removeprefix("file:")).name for p in leftovers(spark, output.final)]
    assert found == [mine.name]
