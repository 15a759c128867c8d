"""The Spark job's reading stages (no Spark needed): one row per unit, as extract/process read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from radfollow.processing.batch import file_messages
from radfollow.spark import inputs
from radfollow.spark.inputs import (
    HL7_INPUT,
    TEXT_INPUT,
    chunked,
    hl7_files,
    hl7_local_files,
    jsonl_files,
    list_files,
)
from radfollow.spark.paths import local_path, uri

ROOT = Path(__file__).resolve().parents[2]
HL7 = (ROOT / "corpora" / "sample" / "syn-0068.hl7").read_bytes()


def _read(reader: object, path: Path) -> list[dict]:
    given = pd.DataFrame({"path": [str(path)], "name": [f"given/{path.name}"]})
    frames = reader(iter([given]))  # type: ignore[operator]
    return [row for frame in frames for row in frame.to_dict("records")]


def _plain(value: object) -> object:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def test_jsonl_lines_numbered_as_extract_numbers_them(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"id": "a", "text": "one"}\n\n'
        b'{"id": "b"}\r\nnot json\r{"id": "c", "text": "x"}\n'
    )
    rows = _read(jsonl_files(1 << 30), path)
    assert [(r["position"], _plain(r["code"])) for r in rows] == [
        (1, None),
        (3, "RF200"),
        (4, "RF200"),
        (5, None),
    ]
    assert json.loads(rows[0]["value"]) == {"id": "a", "text": "one"}
    assert set(rows[0]) == {name for name, _ in TEXT_INPUT}


@pytest.mark.parametrize(
    ("limit", "expected"), [(10, [(None, "RF203")]), (1000, [(1, None), (2, None)])]
)
def test_jsonl_file_over_the_limit_is_one_error_row(
    tmp_path: Path, limit: int, expected: list
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    rows = _read(jsonl_files(limit), path)
    assert [(_plain(r["position"]), _plain(r["code"])) for r in rows] == expected


def test_an_unreadable_jsonl_file_is_rf201(tmp_path: Path) -> None:
    (tmp_path / "gone.jsonl").symlink_to(tmp_path / "nowhere")
    (row,) = _read(jsonl_files(1 << 30), tmp_path / "gone.jsonl")
    assert (row["code"], row["reason"]) == (
        "RF201",
        "cannot read file: dangling symbolic link (its target does not exist)",
    )


def test_list_files_walks_as_process_walks(tmp_path: Path) -> None:
    (tmp_path / "b.hl7").write_bytes(HL7)
    (tmp_path / "_a.hl7").write_bytes(HL7)  # Spark's own listing would skip it
    (tmp_path / "empty.hl7").write_bytes(b"")
    (tmp_path / ".hidden.hl7").write_bytes(HL7)
    (tmp_path / "gone.hl7").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "pipe.hl7")
    files, errors = list_files([str(tmp_path)])
    assert [Path(name).name for _, name in files] == [
        "_a.hl7",
        "b.hl7",
        "empty.hl7",
        "gone.hl7",
        "pipe.hl7",
    ]
    assert all(Path(path).is_absolute() for path, _ in files)
    assert errors == []


def test_hl7_local_files_give_what_process_gives(tmp_path: Path) -> None:
    for name, data in [("a.hl7", HL7 + b"\r" + HL7), ("empty.hl7", b""), ("junk.hl7", b"  \n")]:
        (tmp_path / name).write_bytes(data)
    (tmp_path / "gone.hl7").symlink_to(tmp_path / "nowhere")
    for path in sorted(tmp_path.iterdir()):
        rows = _read(hl7_local_files(1 << 30), path)
        expected = list(file_messages([path]))
        assert [(_plain(r["position"]), _plain(r["code"])) for r in rows] == [
            (u.position, getattr(u, "code", None)) for u in expected
        ]
        assert {r["source"] for r in rows} == {f"given/{path.name}"}


@pytest.mark.parametrize(
    ("content", "limit", "expected"),
    [
        (HL7 + b"\r" + HL7, 1 << 30, [(1, None), (2, None)]),  # two messages
        (b"   \n", 1 << 30, [(None, "RF203")]),  # no message
        (HL7, 10, [(None, "RF203")]),  # over --max-file-size
    ],
)
def test_hl7_files_under_a_uri_split_on_the_executor(
    content: bytes, limit: int, expected: list
) -> None:
    frame = pd.DataFrame(
        {"path": ["hdfs://nn/data/a.hl7"], "length": [len(content)], "content": [content]}
    )
    rows = [r for out in hl7_files(limit)(iter([frame])) for r in out.to_dict("records")]
    assert [(_plain(r["position"]), _plain(r["code"])) for r in rows] == expected
    assert {r["source"] for r in rows} == {"hdfs://nn/data/a.hl7"}
    assert set(rows[0]) == {name for name, _ in HL7_INPUT}


@pytest.mark.parametrize(("count", "frames"), [(0, []), (2, [2]), (5, [2, 2, 1])])
def test_chunked_bounds_each_frame(
    monkeypatch: pytest.MonkeyPatch, count: int, frames: list
) -> None:
    monkeypatch.setattr(inputs, "CHUNK", 2)
    rows = ({"source": "s", "position": i} for i in range(count))
    assert [len(frame) for frame in chunked(rows, TEXT_INPUT)] == frames


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("file:/a/b%20c.hl7", "/a/b c.hl7"),
        ("results#1", "results#1"),  # a plain path keeps '#' and '?'
        ("what?.jsonl", "what?.jsonl"),
        ("hdfs://nn/a.hl7", None),
        ("s3a://bucket/x", None),
    ],
)
def test_local_path(given: str, path: str | None) -> None:
    assert local_path(given) == path


@pytest.mark.parametrize(
    ("given", "expected"), [("/data/h[2]", "file:///data/h[2]"), ("hdfs://nn/x", "hdfs://nn/x")]
)
def test_uri_keeps_the_characters_hadoop_reads(given: str, expected: str) -> None:
    assert uri(given) == expected
