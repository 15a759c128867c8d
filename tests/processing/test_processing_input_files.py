"""What ``process`` reads: every message of every file, or one error line per unit.

Regressions of issue 11: each of these inputs used to be skipped silently, lose
messages, hang the run (a FIFO) or fill memory (``/dev/zero``).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from processing_messages import oru, write_messages
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.processing.batch import JobSummary, run_process
from radfollow.processing.core import ProcessingOptions

HEADERS_ONLY = b"FHS|^~\\&|RIS\rBHS|^~\\&|RIS\rBTS|0\rFTS|1\r"

#: File name -> (content, or None for a special entry made below; expected error line).
FILES: dict[str, tuple[bytes | None, tuple[str, str] | None]] = {
    "a-good.hl7": (oru(1), None),
    "b-mixed.hl7": (oru(2) + b"\x0b" + oru(3) + b"\x1c\r", None),
    "c-stray-0b.hl7": (oru(4, text="Nodule\x0bnoted."), None),
    "d-empty.hl7": (b"", ("RF203", "empty file (0 bytes): no HL7 message")),
    "e-whitespace.hl7": (b" \r\n\t\r\n", ("RF203", "no HL7 message: only whitespace")),
    "f-headers.hl7": (HEADERS_ONLY, ("RF203", "no HL7 message: only batch header and trailer")),
    "g-empty-mllp.hl7": (b"\x0b\x1c\r", ("RF203", "no HL7 message: only whitespace or MLLP")),
    "h-fifo.hl7": (None, ("RF203", "not a regular file but a FIFO (named pipe)")),
    "i-socket.hl7": (None, ("RF203", "not a regular file but a socket")),
    "j-dangling.hl7": (None, ("RF201", "cannot read file: dangling symbolic link")),
    "k-base64.hl7": (
        oru(5).replace(b"|P|2.5.1", b"|P|2.5.1||||||base64"),
        ("RF304", "unsupported charset 'base64' in MSH-18"),
    ),
    "l-nul-charset.hl7": (
        oru(6).replace(b"|P|2.5.1", b"|P|2.5.1||||||a\x00b"),
        ("RF304", "unsupported charset (a value that is not a code) in MSH-18"),
    ),
    "m-utf16.hl7": (
        oru(7).decode().encode("utf-16"),
        ("RF304", "the message is UTF-16; HL7 v2 over files and MLLP needs an ASCII-compatible"),
    ),
    "n-utf16-no-bom.hl7": (
        oru(8).decode().encode("utf-16-le"),
        ("RF304", "the message is UTF-16;"),
    ),
}
GOOD = ["ACC1", "ACC2", "ACC3", "ACC4"]


def _make(folder: Path) -> Iterator[socket.socket]:
    write_messages(folder, {name: data for name, (data, _) in FILES.items() if data is not None})
    os.mkfifo(folder / "h-fifo.hl7")
    (folder / "j-dangling.hl7").symlink_to(folder / "no-such-target.hl7")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(folder / "i-socket.hl7"))
        yield listening


@pytest.fixture(scope="module")
def processed(
    tmp_path_factory: pytest.TempPathFactory, rules_only: ProcessingOptions
) -> tuple[Path, JobSummary]:
    root = tmp_path_factory.mktemp("inputs")
    folder, out = root / "in", root / "out"
    for _ in _make(folder):
        summary = run_process([folder], out, options=rules_only)
    return root, summary


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_good_message_is_processed(processed: tuple[Path, JobSummary]) -> None:
    """The unframed message before an MLLP block used to be dropped, and a stray 0x0B
    to split a message and lose its control id."""
    root, summary = processed
    records = _lines(root / "out" / "records.jsonl")
    assert [r["id"] for r in records] == GOOD
    assert summary.processed == len(GOOD)


@pytest.mark.parametrize(
    ("name", "expected"),
    [(name, expected) for name, (_, expected) in FILES.items() if expected is not None],
)
def test_each_unusable_file_or_message_has_one_error_line(
    processed: tuple[Path, JobSummary], name: str, expected: tuple[str, str]
) -> None:
    root, summary = processed
    errors = [
        e for e in _lines(root / "out" / "errors.ndjson") if Path(str(e["source"])).name == name
    ]
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["source"] == str(root / "in" / name)
    assert error["code"] == expected[0]
    assert str(error["reason"]).startswith(expected[1])
    assert summary.rejected == sum(1 for _, e in FILES.values() if e is not None)


def test_file_over_the_size_limit_is_one_error_line(
    tmp_path: Path, rules_only: ProcessingOptions
) -> None:
    folder = write_messages(tmp_path / "in", {"big.hl7": oru(1, text="x" * 2000), "ok.hl7": oru(2)})
    limit = (folder / "ok.hl7").stat().st_size
    summary = run_process([folder], tmp_path / "out", options=rules_only, max_file_bytes=limit)
    (error,) = _lines(tmp_path / "out" / "errors.ndjson")
    size = (folder / "big.hl7").stat().st_size
    assert error["code"] == "RF203"
    assert error["reason"] == (
        f"file of {size:,} bytes is over the {limit:,}-byte limit (--max-file-size)"
    )
    assert summary.processed == 1


def test_entries_gone_after_the_listing_have_an_error_line(
    tmp_path: Path, rules_only: ProcessingOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file removed between the folder listing and the reading used to vanish silently."""
    folder = write_messages(tmp_path / "in", {"a.hl7": oru(1)})
    listed = [folder / "a.hl7", folder / "gone-before-stat.hl7"]
    real_iterdir = Path.iterdir
    monkeypatch.setattr(
        Path, "iterdir", lambda self: iter(listed) if self == folder else real_iterdir(self)
    )
    summary = run_process([folder], tmp_path / "out", options=rules_only)
    (error,) = _lines(tmp_path / "out" / "errors.ndjson")
    assert error["source"] == str(folder / "gone-before-stat.hl7")
    assert (error["code"], error["reason"]) == (
        "RF201",
        "cannot read file: No such file or directory",
    )
    assert summary.processed == 1


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("1KiB", False, id="too-small"),
        pytest.param("1GiB", True, id="default-size"),
        pytest.param("lots", None, id="not-a-size"),
    ],
)
def test_cli_max_file_size(tmp_path: Path, value: str, ok: bool | None) -> None:
    folder = write_messages(tmp_path / "in", {"a.hl7": oru(1, text="y" * 2000)})
    args = ["process", str(folder), "--out", str(tmp_path / "out"), "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--no-classifier", "--max-file-size", value])
    if ok is None:
        assert result.exit_code == 2
        assert "not a size" in " ".join(result.output.split())
        return
    assert result.exit_code == (0 if ok else 1), result.output
    errors = (tmp_path / "out" / "errors.ndjson").read_text()
    assert ("over the 1,024-byte limit" in errors) is (not ok)


def test_dangling_symlink_given_by_name_is_an_error_line(tmp_path: Path) -> None:
    """Given on the command line, a dangling link was a usage error that stopped the run."""
    good = write_messages(tmp_path / "in", {"a.hl7": oru(1)}) / "a.hl7"
    link = tmp_path / "link.hl7"
    link.symlink_to(tmp_path / "gone.hl7")
    args = ["process", str(link), str(good), "--out", str(tmp_path / "out"), "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--no-classifier"])
    assert result.exit_code == 1, result.output
    (error,) = _lines(tmp_path / "out" / "errors.ndjson")
    assert (error["source"], error["code"]) == (str(link), "RF201")
    assert error["reason"] == "cannot read file: dangling symbolic link (its target does not exist)"
    assert len(_lines(tmp_path / "out" / "records.jsonl")) == 1
