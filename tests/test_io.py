from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.errors import InputFormatError
from radfollow.io.atomic import atomic_writer
from radfollow.io.jsonl import MAX_DEPTH, iter_json_lines, load_jsonl, parse_line, read_jsonl
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
        ('{"id": 1}', "missing 'text'"),
        ('{"id": 1, "text": "x", "indication": 5}', "'indication' must be a string"),
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


def _old_read_jsonl(path: Path) -> list[tuple[int, object, str | None]]:
    """What read_jsonl read before the shared reader: text mode, errors="replace"."""
    items: list[tuple[int, object, str | None]] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if raw.strip():
                try:
                    items.append((line_no, parse_line(raw, where="w"), None))
                except InputFormatError as err:
                    items.append((line_no, None, err.message))
    return items


_LINE = st.one_of(
    st.builds(
        lambda i, t: json.dumps({"id": i, "text": t}, ensure_ascii=False).encode(),
        st.integers(),
        st.text(max_size=20),
    ),
    st.binary(max_size=30),
    st.sampled_from([b"", b"  ", b"\r", b"{bad", b'{"id": 1, "text": "\xe2\x82"}']),
)


@given(st.lists(st.tuples(_LINE, st.sampled_from([b"\n", b"\r\n", b"\r"])), max_size=8))
@settings(max_examples=200, deadline=None)
def test_read_jsonl_decodes_exactly_as_before(lines: list[tuple[bytes, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.jsonl"
        path.write_bytes(b"".join(line + end for line, end in lines))
        new = [
            (i.line_no, i.record, i.error.message if i.error else None) for i in read_jsonl(path)
        ]
        assert new == _old_read_jsonl(path)


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
    assert training_examples(corpora, extractor)[-1].text == text
