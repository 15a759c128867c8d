"""The Spark job's reading stages (no Spark needed): one row per unit, as extract/process read."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radfollow.spark.inputs import (
    HL7_INPUT,
    TEXT_INPUT,
    hl7_files,
    jsonl_files,
    jsonl_paths,
    local_path,
    parquet_rows,
)

ROOT = Path(__file__).resolve().parents[2]


def _read_jsonl(path: Path, max_bytes: int = 1 << 30) -> list[dict]:
    frames = jsonl_files(max_bytes)(iter([pd.DataFrame({"path": [str(path)]})]))
    return [row for frame in frames for row in frame.to_dict("records")]


def test_jsonl_lines_numbered_as_extract_numbers_them(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"id": "a", "text": "one"}\n\n'
        b'{"id": "b"}\r\nnot json\r{"id": "c", "text": "x"}\n'
    )
    rows = _read_jsonl(path)
    assert [(r["position"], r["code"]) for r in rows] == [
        (1, None),
        (3, "RF200"),
        (4, "RF200"),
        (5, None),
    ]
    assert json.loads(rows[0]["value"]) == {"id": "a", "text": "one"}
    assert set(rows[0]) == {name for name, _ in TEXT_INPUT}


@pytest.mark.parametrize(("limit", "rows"), [(10, 1), (1000, 2)])
def test_jsonl_file_over_the_limit_is_one_error_row(tmp_path: Path, limit: int, rows: int) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    read = _read_jsonl(path, limit)
    assert len(read) == rows
    assert (read[0]["code"] == "RF203") is (limit == 10)


def test_jsonl_paths_walk_folders_without_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text("")
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / ".hidden.jsonl").write_text("")
    assert jsonl_paths([tmp_path]) == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]


def test_parquet_rows_become_json_records_without_nulls() -> None:
    frame = pd.DataFrame(
        {
            "_source": ["file:/x.parquet"] * 2,
            "id": ["a", "b"],
            "text": ["one", None],
            "exam_date": [dt.date(2024, 5, 1), None],
            "age": [np.int64(61), np.nan],
        }
    )
    read = parquet_rows(["id", "text", "exam_date", "age"])
    (out,) = list(read(iter([frame])))
    values = [json.loads(v) for v in out["value"]]
    assert values[0] == {"id": "a", "text": "one", "exam_date": "2024-05-01", "age": 61}
    assert values[1] == {"id": "b"}  # no text: the processing stage rejects it (RF200)
    assert out["position"].isna().all()


HL7 = (ROOT / "corpora" / "sample" / "syn-0068.hl7").read_bytes()


@pytest.mark.parametrize(
    ("content", "limit", "expected"),
    [
        (HL7 + b"\r" + HL7, 1 << 30, [(1, None), (2, None)]),  # two messages
        (b"   \n", 1 << 30, [(None, "RF203")]),  # no message
        (HL7, 10, [(None, "RF203")]),  # over --max-file-size
    ],
)
def test_hl7_files_split_into_messages_on_the_executor(
    content: bytes, limit: int, expected: list
) -> None:
    frame = pd.DataFrame(
        {"path": ["file:/data/in%20box/a.hl7"], "length": [len(content)], "content": [content]}
    )
    (out,) = list(hl7_files(limit)(iter([frame])))
    assert [
        (p if pd.notna(p) else None, c) for p, c in zip(out["position"], out["code"], strict=True)
    ] == expected
    assert set(out.columns) == {name for name, _ in HL7_INPUT}
    assert set(out["source"]) == {"/data/in box/a.hl7"}


@pytest.mark.parametrize(
    ("uri", "path"),
    [("file:/a/b%20c.hl7", "/a/b c.hl7"), ("hdfs://nn/a.hl7", "hdfs://nn/a.hl7")],
)
def test_local_path(uri: str, path: str) -> None:
    assert local_path(uri) == path
