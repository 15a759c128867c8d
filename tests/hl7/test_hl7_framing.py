"""Files and byte streams to RawMessage: separators, MLLP, batches, garbage."""

from __future__ import annotations

from pathlib import Path

import pytest

from radfollow.errors import HL7ParseError, HL7UnsupportedMessageError
from radfollow.hl7 import iter_files, iter_raw_messages, parse_message, split_messages

MSH_A = b"MSH|^~\\&|RIS|FAC|||20240101||ORU^R01|A1|P|2.5"
MSH_B = b"MSH|^~\\&|RIS|FAC|||20240101||ORU^R01|B2|P|2.5"
PID = b"PID|1||P1"
OBR = b"OBR|1||ACC1|X^CT HEAD"
OBX = b"OBX|1|TX|||Normal.||"


def _message(msh: bytes, eol: bytes = b"\r") -> bytes:
    return eol.join([msh, PID, OBR, OBX]) + eol


@pytest.mark.parametrize(
    ("data", "expected_controls"),
    [
        pytest.param(_message(MSH_A, b"\r"), ["A1"], id="cr"),
        pytest.param(_message(MSH_A, b"\n"), ["A1"], id="lf"),
        pytest.param(_message(MSH_A, b"\r\n"), ["A1"], id="crlf"),
        pytest.param(_message(MSH_A, b"\n") + b"\n\n", ["A1"], id="trailing-blank-lines"),
        pytest.param(_message(MSH_A) + _message(MSH_B), ["A1", "B2"], id="concatenated"),
        pytest.param(
            _message(MSH_A, b"\r\n") + b"\r\n" + _message(MSH_B, b"\r\n"),
            ["A1", "B2"],
            id="concatenated-crlf-blank-line",
        ),
        pytest.param(
            b"\x0b" + _message(MSH_A) + b"\x1c\r" + b"\x0b" + _message(MSH_B) + b"\x1c\r",
            ["A1", "B2"],
            id="mllp-two-blocks",
        ),
        pytest.param(b"\x0b" + _message(MSH_A, b"\n") + b"\x1c\r\n", ["A1"], id="mllp-lf"),
        pytest.param(
            b"FHS|^~\\&|RIS\rBHS|^~\\&|RIS\r"
            + _message(MSH_A)
            + _message(MSH_B)
            + b"BTS|2\rFTS|1\r",
            ["A1", "B2"],
            id="fhs-bhs-batch",
        ),
        pytest.param(b"\xef\xbb\xbf" + _message(MSH_A), ["A1"], id="utf8-bom"),
        # Regressions (issue 11): the plain message used to be dropped, the stray
        # 0x0B to split a message and lose its control id.
        pytest.param(
            _message(MSH_A) + b"\x0b" + _message(MSH_B) + b"\x1c\r",
            ["A1", "B2"],
            id="plain-then-mllp",
        ),
        pytest.param(
            b"\x0b" + _message(MSH_A) + b"\x1c\r" + _message(MSH_B, b"\n"),
            ["A1", "B2"],
            id="mllp-then-plain",
        ),
        pytest.param(
            _message(MSH_A, b"\r\n") + b"\r\n  \x0b" + _message(MSH_B) + b"\x1c\r\n",
            ["A1", "B2"],
            id="plain-crlf-then-indented-mllp",
        ),
        pytest.param(
            b"\x0b" + _message(MSH_A) + b"\x1c" + b"\x0b" + _message(MSH_B) + b"\x1c",
            ["A1", "B2"],
            id="mllp-blocks-without-cr-after-end",
        ),
        pytest.param(
            b"\x0b" + _message(MSH_A) + b"\x0b" + _message(MSH_B) + b"\x1c\r",
            ["A1", "B2"],
            id="mllp-block-without-end-byte",
        ),
        pytest.param(
            _message(MSH_A).replace(b"Normal.", b"Nor\x0bmal."), ["A1"], id="stray-0b-in-plain"
        ),
        pytest.param(
            b"\x0b" + _message(MSH_A).replace(b"Normal.", b"Nor\x0bmal.") + b"\x1c\r",
            ["A1"],
            id="stray-0b-in-mllp-block",
        ),
        pytest.param(_message(MSH_A) + b"\x1c\r", ["A1"], id="end-byte-without-start"),
        pytest.param(
            _message(MSH_A).rstrip(b"\r") + b"\x0b" + _message(MSH_B) + b"\x1c\r",
            ["A1", "B2"],
            id="plain-without-final-cr-then-mllp",
        ),
        pytest.param(
            b"\x0b"
            + _message(MSH_A)
            + b"\x1c\r"
            + b"\x0b"
            + _message(MSH_B).replace(b"Normal.", b"See\x0bMSH report")
            + b"\x1c\r",
            ["A1", "B2"],
            id="stray-0b-before-msh-word-without-separator",
        ),
    ],
)
def test_split_messages_finds_each_message(data: bytes, expected_controls: list[str]) -> None:
    raws = list(split_messages(data, "in.hl7"))
    assert [r.position for r in raws] == list(range(1, len(expected_controls) + 1))
    controls = [parse_message(r)[0].control_id for r in raws]
    assert controls == expected_controls


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_message(MSH_A, b"\n"), id="lf"),
        pytest.param(b"\x0b" + _message(MSH_A, b"\r\n") + b"\x1c\r", id="mllp-crlf"),
        pytest.param(b"BHS|^~\\&\r" + _message(MSH_A) + b"BTS|1\r", id="batch"),
    ],
)
def test_raw_message_is_cr_joined_without_framing(data: bytes) -> None:
    (raw,) = split_messages(data, "in.hl7")
    assert raw.data == b"\r".join([MSH_A, PID, OBR, OBX])


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_message(MSH_A), id="plain"),
        pytest.param(b"\x0b" + _message(MSH_A) + b"\x1c\r", id="mllp"),
    ],
)
def test_stray_0b_stays_in_the_text(data: bytes) -> None:
    """A 0x0B inside a field is data, not a block start: the segment is kept whole."""
    (raw,) = split_messages(data.replace(b"Normal.", b"Nor\x0bmal."), "in.hl7")
    assert raw.data.split(b"\r")[-1] == b"OBX|1|TX|||Nor\x0bmal.||"


@pytest.mark.parametrize(
    ("data", "count"),
    [
        pytest.param(b"", 0, id="empty-file"),
        pytest.param(b" \r\n\t", 0, id="whitespace-only"),
        pytest.param(b"FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1\r", 0, id="empty-batch"),
        pytest.param(b"\x0b\x1c\r", 0, id="empty-mllp-block"),
        pytest.param(b"hello world\nthis is not hl7\n", 1, id="text-garbage"),
        pytest.param(b"%PDF-1.4\x00\xff\xfe binary", 1, id="binary-garbage"),
        pytest.param(b"\x0bnot hl7\x1c\r", 1, id="mllp-garbage"),
    ],
)
def test_split_messages_without_msh(data: bytes, count: int) -> None:
    raws = list(split_messages(data, "junk.bin"))
    assert len(raws) == count
    for raw in raws:
        with pytest.raises(HL7ParseError, match="no MSH segment found"):
            parse_message(raw)


def test_garbage_file_comes_back_whole() -> None:
    data = b"hello\r\nworld\n"
    (raw,) = split_messages(data, "junk.txt")
    assert (raw.source, raw.position, raw.data) == ("junk.txt", 1, data)


@pytest.mark.parametrize(
    ("data", "first_error"),
    [
        pytest.param(b"EVN|A01\r" + _message(MSH_A), "no MSH segment found", id="stray-before-msh"),
    ],
)
def test_segments_before_first_msh_become_their_own_message(data: bytes, first_error: str) -> None:
    stray, message = split_messages(data, "in.hl7")
    with pytest.raises(HL7ParseError, match=first_error):
        parse_message(stray)
    assert (message.position, parse_message(message)[0].control_id) == (2, "A1")


def test_batch_with_adt_inside_yields_a_message_that_is_rejected() -> None:
    adt = b"MSH|^~\\&|ADT|FAC|||20240101||ADT^A01|ADT9|P|2.5\rPID|1||P1\r"
    data = b"FHS|^~\\&\rBHS|^~\\&\r" + _message(MSH_A) + adt + b"BTS|2\rFTS|1\r"
    oru, adt_raw = split_messages(data, "batch.hl7")
    assert parse_message(oru)[0].control_id == "A1"
    with pytest.raises(HL7UnsupportedMessageError, match="ADT\\^A01 is not ORU\\^R01"):
        parse_message(adt_raw)


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"b.hl7": b"", "a.hl7": b""}, ["a.hl7", "b.hl7"], id="sorted"),
        pytest.param({"sub/c.hl7": b"", "a.hl7": b""}, ["a.hl7", "sub/c.hl7"], id="recursive"),
        pytest.param({".hidden.hl7": b"", "a.hl7": b""}, ["a.hl7"], id="hidden-file-skipped"),
        pytest.param({".git/x.hl7": b"", "a.hl7": b""}, ["a.hl7"], id="hidden-dir-skipped"),
    ],
)
def test_iter_files_walks_directories(
    tmp_path: Path, files: dict[str, bytes], expected: list[str]
) -> None:
    _tree(tmp_path, files)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert found == expected


def test_iter_files_keeps_given_order_of_files(tmp_path: Path) -> None:
    _tree(tmp_path, {"z.hl7": b"", "a.hl7": b""})
    given = [tmp_path / "z.hl7", tmp_path / "a.hl7"]
    assert list(iter_files(given)) == given


def test_iter_raw_messages_numbers_messages_per_file(tmp_path: Path) -> None:
    _tree(tmp_path, {"one.hl7": _message(MSH_A) + _message(MSH_B), "two.hl7": _message(MSH_A)})
    raws = list(iter_raw_messages([tmp_path]))
    got = [(Path(r.source).name, r.position) for r in raws]
    assert got == [("one.hl7", 1), ("one.hl7", 2), ("two.hl7", 1)]
    assert raws[0].source == str(tmp_path / "one.hl7")


def test_blocks_without_end_bytes_each_give_a_message() -> None:
    """Start bytes and no end bytes: each block runs to the next start (the end byte
    is searched for once, not once per block: it was quadratic in the file size)."""
    block = b"\x0bMSH|^~\\&|RIS|HOSP|||20250101||ORU^R01|C%d|P|2.5.1\r"
    data = b"".join(block % n for n in range(2000))
    messages = list(split_messages(data, "f"))
    assert len(messages) == 2000
    assert [m.data.split(b"|")[9] for m in messages[:2]] == [b"C0", b"C1"]


def test_end_finder_reads_forward_once() -> None:
    from radfollow.hl7.framing import _EndFinder

    finder = _EndFinder(b"ab\x1ccd\x1c")
    assert [finder.next_end(p) for p in (0, 1, 2, 3, 6)] == [2, 2, 2, 5, -1]
