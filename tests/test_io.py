from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.errors import InputFileError, InputFormatError
from radfollow.io.atomic import atomic_writer
from radfollow.io.inputs import read_input
from radfollow.io.jsonl import (
    MAX_DEPTH,
    count_lines,
    iter_json_lines,
    load_jsonl,
    parse_line,
    read_jsonl,
)
from radfollow.nlp.extract import Extractor
from radfollow.training.heads import training_examples


def test_atomic_writer_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write("partial")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_writer(target) as handle:
        handle.write("new")
    assert target.read_text() == "new"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{bad", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"text": "x"}', "missing 'id'"),
        ('{"id": null, "text": "x"}', "missing 'id'"),
        ('{"id": "1"}', "missing 'text'"),
        (
            '{"id": "1", "text": "x", "indication": 5}',
            "'indication' must be a string, not a number",
        ),
        # Regressions (issue 11): these ids were stored as Python reprs ("[1, 2]", "True").
        ('{"id": 1, "text": "x"}', "'id' must be a string, not a number"),
        ('{"id": 1.5, "text": "x"}', "'id' must be a string, not a number"),
        ('{"id": [1, 2], "text": "x"}', "'id' must be a string, not an array"),
        ('{"id": {"a": 1}, "text": "x"}', "'id' must be a string, not an object"),
        ('{"id": true, "text": "x"}', "'id' must be a string, not a boolean"),
        ('{"id": "1", "text": ["x"]}', "'text' must be a string, not an array"),
    ],
)
def test_bad_lines_are_located(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "ok", "text": "fine"}\n\n' + line + "\n")
    items = list(read_jsonl(path))
    assert items[0].record == {"id": "ok", "text": "fine"}
    assert items[1].record is None and items[1].error is not None
    assert message in items[1].error.message
    assert str(items[1].error.where).endswith(":3")


GOOD = json.dumps({"id": "r1", "text": "FINDINGS: 6 mm nodule in the right upper lobe."})
LAST = json.dumps({"id": "r3", "text": "IMPRESSION: Recommend MRI abdomen in 3 months."})
#: The line from the bug report: json.loads raises RecursionError on it.
DEEP = '{"id": "x", "text": "t", "a": ' + "[" * 100000 + "]" * 100000 + "}"


def _nested(levels: int) -> str:
    """An extract record whose value nests ``levels`` levels (the record is level 1)."""
    inner = levels - 1
    return '{"id": "x", "text": "t", "a": ' + "[" * inner + "]" * inner + "}"


@pytest.mark.parametrize(
    ("line", "too_deep"),
    [
        pytest.param(DEEP, True, id="recursion-error-in-json-loads"),
        pytest.param(_nested(995), True, id="near-the-recursion-limit"),
        pytest.param(_nested(300), True, id="over-the-pydantic-serialiser-limit"),
        pytest.param(_nested(MAX_DEPTH + 1), True, id="one-over-max-depth"),
        pytest.param(_nested(MAX_DEPTH), False, id="max-depth"),
        pytest.param('{"id": "x", "text": "t", "a": {"b": [1, {"c": []}]}}', False, id="shallow"),
    ],
)
def test_deeply_nested_line_is_an_error_of_that_line(
    tmp_path: Path, line: str, too_deep: bool
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([GOOD, line, LAST]) + "\n")
    items = list(read_jsonl(path))
    assert [item.line_no for item in items] == [1, 2, 3]
    assert items[0].id == "r1" and items[2].id == "r3"
    if too_deep:
        assert items[1].record is None and items[1].error is not None
        assert "nested too deeply" in items[1].error.message
        assert str(items[1].error.where) == f"{path}:2"
    else:
        assert items[1].id == "x"


@pytest.mark.parametrize(
    "line",
    [pytest.param(DEEP, id="recursion-error"), pytest.param(_nested(300), id="serialiser-limit")],
)
def test_extract_deeply_nested_line_does_not_stop_the_run(tmp_path: Path, line: str) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join([GOOD, line, LAST]) + "\n")
    result = CliRunner().invoke(
        app, ["extract", str(src), "--out", str(out), "--no-progress", "--no-classifier"]
    )
    assert result.exit_code == 1, result.output
    assert "in.jsonl:2: JSON nested too deeply" in " ".join(result.output.split())
    records = [json.loads(text) for text in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["r1", None, "r3"]
    assert "nested too deeply" in records[1]["error"]["reason"]
    assert records[0]["findings"] and records[2]["recommendations"]


def test_iter_json_lines_values_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "any.jsonl"
    path.write_bytes(b'{"a": 1}\r\n\r\n[1, 2]\n"s"\r  \nnull\n7')
    assert list(iter_json_lines(path)) == [(1, {"a": 1}), (3, [1, 2]), (4, "s"), (6, None), (7, 7)]
    assert load_jsonl(path) == [{"a": 1}, [1, 2], "s", None, 7]


@pytest.mark.parametrize(
    ("content", "line_no", "message"),
    [
        pytest.param(
            b'{"a": 1}\n\n{bad\n', 3, "not valid JSON (Expecting property name", id="json"
        ),
        pytest.param(b'{"a": 1} 2\n', 1, "not valid JSON (Extra data at column 10)", id="two"),
        pytest.param(b'{"a": "\xff"}\n', 1, "not valid UTF-8 (byte 0xff at column 8)", id="utf8"),
        pytest.param(DEEP.encode() + b"\n", 1, "JSON nested too deeply", id="too-deep"),
    ],
)
def test_iter_json_lines_errors_are_located(
    tmp_path: Path, content: bytes, line_no: int, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content + b'{"after": true}\n')
    with pytest.raises(InputFormatError) as info:
        list(iter_json_lines(path))
    assert info.value.message.startswith(message)
    assert info.value.where == f"{path}:{line_no}"
    assert str(info.value).startswith(f"{path}:{line_no}: ")
    items = list(iter_json_lines(path, on_error="yield"))
    assert [n for n, _ in items][-1] == line_no + 1 and items[-1][1] == {"after": True}
    assert next(v for n, v in items if n == line_no).where == f"{path}:{line_no}"


def _reference_read_jsonl(path: Path) -> list[tuple[int, object, str | None]]:
    """What read_jsonl reads, written out plainly: a BOM at the start skipped; lines
    end at LF, CR LF or a lone CR; a line that is not UTF-8 is an error."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    items: list[tuple[int, object, str | None]] = []
    for line_no, raw in enumerate(re.split(rb"\r\n|\r|\n", data), start=1):
        if not raw.decode("utf-8", "surrogateescape").strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            items.append((line_no, None, "not valid UTF-8"))
            continue
        try:
            items.append((line_no, parse_line(text, where="w"), None))
        except InputFormatError as err:
            items.append((line_no, None, err.message))
    return items


_LINE = st.one_of(
    st.builds(
        lambda i, t: json.dumps({"id": i, "text": t}, ensure_ascii=False).encode(),
        st.one_of(st.integers(), st.text(max_size=5)),
        st.text(max_size=20),
    ),
    st.binary(max_size=30),
    st.sampled_from([b"", b"  ", b"\r", b"{bad", b'{"id": "1", "text": "\xe2\x82"}']),
)


@given(
    st.booleans(),
    st.lists(st.tuples(_LINE, st.sampled_from([b"\n", b"\r\n", b"\r"])), max_size=8),
)
@settings(max_examples=200, deadline=None)
def test_read_jsonl_reads_as_the_reference(bom: bool, lines: list[tuple[bytes, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.jsonl"
        path.write_bytes(b"\xef\xbb\xbf" * bom + b"".join(line + end for line, end in lines))
        new = [
            (i.line_no, i.record, i.error.message.split(" (")[0] if i.error else None)
            for i in read_jsonl(path)
        ]
        assert new == [
            (n, r, m.split(" (")[0] if m else None) for n, r, m in _reference_read_jsonl(path)
        ]
        assert count_lines(path) == len(new)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b'\xef\xbb\xbf{"id": "a", "text": "x"}\n', [(1, "a", None)], id="bom-on-line-1"
        ),
        pytest.param(
            b'{"id": "a", "text": "x"}\n\xef\xbb\xbf{"id": "b", "text": "y"}\n',
            [(1, "a", None), (2, None, "not valid JSON (Unexpected UTF-8 BOM")],
            id="bom-on-line-2",
        ),
        pytest.param(
            b'{"id": "a", "text": "caf\xe9"}\n{"id": "b", "text": "y"}\n',
            [(1, None, "not valid UTF-8 (byte 0xe9 at column 25)"), (2, "b", None)],
            id="latin1-byte-is-that-lines-error",
        ),
        pytest.param(
            b'{"id": "a", "text": "x"}\r{"id": "b", "text": "y"}\r\r{bad\r',
            [(1, "a", None), (2, "b", None), (4, None, "not valid JSON")],
            id="lone-cr-ends-a-line",
        ),
        pytest.param(
            b'{"id": "a", "text": "x"}\r\n\r\n{bad\n{"id": "c", "text": "z"}',
            [(1, "a", None), (3, None, "not valid JSON"), (4, "c", None)],
            id="crlf-and-lf",
        ),
    ],
)
def test_read_jsonl_bom_utf8_and_line_ends(
    tmp_path: Path, content: bytes, expected: list[tuple[int, str | None, str | None]]
) -> None:
    """Issue 11: a BOM made line 1 'not valid JSON'; bytes that are not UTF-8 were
    replaced by U+FFFD silently; count_lines did not count a lone CR as a line end."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    got = [(i.line_no, i.id, i.error.message if i.error else None) for i in read_jsonl(path)]
    assert [(n, i) for n, i, _ in got] == [(n, i) for n, i, _ in expected]
    for (_, _, message), (_, _, start) in zip(got, expected, strict=True):
        assert (message is None) if start is None else str(message).startswith(start)
    assert count_lines(path) == len(expected)


def test_extract_error_records_for_bad_ids_and_bytes(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(
        b"\n".join(
            [
                GOOD.encode(),
                b'{"id": [1, 2], "text": "x"}',
                b'{"id": "b", "text": "\xff"}',
                LAST.encode(),
            ]
        )
        + b"\n"
    )
    result = CliRunner().invoke(
        app, ["extract", str(src), "--out", str(out), "--no-progress", "--no-classifier"]
    )
    assert result.exit_code == 1, result.output
    records = [json.loads(text) for text in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["r1", None, None, "r3"]
    assert [r.get("line") for r in records] == [None, 2, 3, None]
    assert records[1]["error"] == {"code": "RF200", "reason": "'id' must be a string, not an array"}
    assert records[2]["error"]["reason"] == "not valid UTF-8 (byte 0xff at column 22)"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(
            lambda p: os.mkfifo(p), "not a regular file but a FIFO (named pipe)", id="fifo"
        ),
        pytest.param(lambda p: p.mkdir(), "not a regular file but a directory", id="dir"),
        pytest.param(
            lambda p: p.symlink_to("/dev/zero"),
            "not a regular file but a character device",
            id="zero",
        ),
        pytest.param(
            lambda p: p.write_bytes(b"x" * 2048),
            "file of 2,048 bytes is over the 1,024-byte limit (--max-file-size)",
            id="too-large",
        ),
    ],
)
def test_extract_reads_regular_files_only_within_the_limit(
    tmp_path: Path, make: Callable[[Path], None], reason: str
) -> None:
    """A FIFO used to be refused as 'no such file'; /dev/zero was read until memory ran out."""
    src = tmp_path / "in.jsonl"
    make(src)
    args = ["extract", str(src), "--out", str(tmp_path / "out.jsonl"), "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--no-classifier", "--max-file-size", "1KiB"])
    assert result.exit_code == 1, result.output
    assert f"{src}: {reason}" in " ".join(result.output.split())
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("make", "error"),
    [
        pytest.param(lambda p: os.mkfifo(p), InputFileError, id="fifo-not-opened"),
        pytest.param(lambda p: p.symlink_to(p.parent / "none"), FileNotFoundError, id="dangling"),
        pytest.param(lambda p: p.write_bytes(b"x" * 11), InputFileError, id="over-limit"),
        pytest.param(lambda p: p.write_bytes(b"x" * 10), None, id="at-limit"),
    ],
)
def test_read_input(tmp_path: Path, make: Callable[[Path], None], error: type | None) -> None:
    path = tmp_path / "f"
    make(path)
    if error is None:
        assert read_input(path, max_bytes=10) == b"x" * 10
        return
    with pytest.raises(error):
        read_input(path, max_bytes=10)


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_bounded_read_stops_a_file_larger_than_its_size_says() -> None:
    """/proc files say 0 bytes and hold more: the read itself is bounded, not only stat."""
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(InputFileError, match="over the 16-byte limit"):
        read_input("/proc/self/status", max_bytes=16)
    assert read_input("/proc/self/status").startswith(b"Name:")


@pytest.mark.parametrize(
    ("gold", "message"),
    [
        pytest.param('{"id": "a", "text": "x"}\n{bad\n', "g.jsonl:2: not valid JSON", id="json"),
        pytest.param(
            '{"id": "a", "text": "x"}\n' + DEEP + "\n", "g.jsonl:2: JSON nested", id="deep"
        ),
    ],
)
def test_evaluate_names_file_and_line_of_a_bad_line(
    tmp_path: Path, gold: str, message: str
) -> None:
    gold_path, pred_path = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    gold_path.write_text(gold)
    pred_path.write_text(json.dumps({"id": "a", "findings": [], "recommendations": []}) + "\n")
    result = CliRunner().invoke(app, ["evaluate", str(gold_path), str(pred_path)])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def _corpora(root: Path, sentences: str) -> Path:
    (root / "gold").mkdir(parents=True)
    (root / "sentences").mkdir()
    report = {"id": "g1", "text": "IMPRESSION:\nRecommend follow-up CT chest in 6 months."}
    (root / "gold" / "dev.jsonl").write_text(json.dumps({**report, "recommendations": []}) + "\n")
    (root / "sentences" / "train.jsonl").write_text(sentences, encoding="utf-8")
    return root


def test_training_sentences_bad_line_names_file_and_line(
    tmp_path: Path, extractor: Extractor
) -> None:
    corpora = _corpora(tmp_path, '{"text": "Recommend MRI.", "is_recommendation": true}\n{bad\n')
    with pytest.raises(InputFormatError) as info:
        training_examples(corpora, extractor)
    assert info.value.where == f"{corpora / 'sentences' / 'train.jsonl'}:2"


@pytest.mark.parametrize(
    "separator",
    [
        pytest.param("\u2028", id="line-separator"),
        pytest.param("\x0c", id="form-feed-escaped-by-json"),
    ],
)
def test_training_sentence_with_a_unicode_line_break_is_read_whole(
    tmp_path: Path, extractor: Extractor, separator: str
) -> None:
    text = f"Recommend MRI.{separator}Consider PET/CT."
    row = {"text": text, "is_recommendation": True}
    corpora = _corpora(tmp_path, json.dumps(row, ensure_ascii=False) + "\n")
    assert training_examples(corpora, extractor)[0][-1].text == text
