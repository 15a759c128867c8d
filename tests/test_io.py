from __future__ import annotations

from pathlib import Path

import pytest

from radfollow.io.atomic import atomic_writer
from radfollow.io.jsonl import read_jsonl


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
