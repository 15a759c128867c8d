"""Named mutators of HL7 v2 files, and the one seeded choice of input ``i``.

Each mutator takes a seeded :class:`random.Random` and the bytes of one corpus
message (segments joined by CR, as :func:`radfollow.hl7.framing.split_messages`
gives them) and returns the bytes of a *file*: the input goes through the
file-framing split again, so framing mutations reach it. :func:`make_input`
derives everything from ``(seed, index)``, so input ``i`` of a run is rebuilt
exactly from those two numbers.

Families (the prefix of each name): ``byte`` (flips, runs, control bytes,
truncation), ``field`` (empty, huge, separators, odd header/date/PID/OBX values),
``seg`` (drop, duplicate, reorder, unknown segments, NTE after a placeholder OBX),
``esc`` (HL7 escape sequences, sections 2.7.4-2.7.6 of HL7 v2.5), ``cs`` (MSH-18
values of HL7 table 0211, bogus names, re-encodings, BOMs), ``frame`` (MLLP,
stray block bytes, FHS/BHS batches, line ends, concatenations) and ``text``
(HTML/RTF report text, hard-wrapped lines, lowercased exports, long lines).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Mutate = Callable[[random.Random, bytes], bytes]
CR = b"\r"


@dataclass(frozen=True)
class FuzzInput:
    """Input ``index`` of a run: the file bytes, the mutators applied, the corpus message."""

    seed: int
    index: int
    mutator: str
    base: int
    data: bytes


# ------------------------------------------------------------------ helpers


def _segments(msg: bytes) -> list[bytes]:
    return [s for s in msg.split(CR) if s]


def _join(segments: Sequence[bytes]) -> bytes:
    return CR.join(segments)


def _pick(rng: random.Random, segments: list[bytes], name: bytes) -> int | None:
    found = [i for i, s in enumerate(segments) if s.startswith(name + b"|")]
    return rng.choice(found) if found else None


def _set_field(segment: bytes, number: int, value: bytes) -> bytes:
    """``segment`` with field ``number`` (MSH counted as HL7 does: MSH-1 is the '|')."""
    parts = segment.split(b"|")
    index = number - 1 if segment.startswith(b"MSH|") else number
    while len(parts) <= index:
        parts.append(b"")
    parts[index] = value
    return b"|".join(parts)


def _get_field(segment: bytes, number: int) -> bytes:
    parts = segment.split(b"|")
    index = number - 1 if segment.startswith(b"MSH|") else number
    return parts[index] if index < len(parts) else b""


def _with_field(rng: random.Random, msg: bytes, name: bytes, number: int, value: bytes) -> bytes:
    segments = _segments(msg)
    i = _pick(rng, segments, name)
    if i is None:
        return msg
    segments[i] = _set_field(segments[i], number, value)
    return _join(segments)


def _report_lines(msg: bytes) -> list[bytes]:
    return [_get_field(s, 5) for s in _segments(msg) if s.startswith(b"OBX|")]


def _replace_obx(rng: random.Random, msg: bytes, lines: list[bytes], kind: bytes = b"TX") -> bytes:
    """The message with its OBX segments replaced by one OBX per line."""
    segments = _segments(msg)
    first = next((i for i, s in enumerate(segments) if s.startswith(b"OBX|")), len(segments))
    kept = [s for s in segments if not s.startswith(b"OBX|")]
    obx = [
        b"OBX|%d|%s|18782-3^Radiology Study observation^LN||%s||||||F" % (n, kind, line)
        for n, line in enumerate(lines, start=1)
    ]
    return _join(kept[:first] + obx + kept[first:])


def _position(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _run(rng: random.Random, data: bytes, longest: int = 64) -> tuple[int, int]:
    start = rng.randrange(max(1, len(data)))
    return start, min(len(data), start + rng.randint(1, longest))


# ------------------------------------------------------------------ byte

CONTROL_BYTES = (b"\x00", b"\x0b", b"\x1c", b"\x0d", b"\xff")


def byte_flip(rng: random.Random, msg: bytes) -> bytes:
    data = bytearray(msg)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def byte_insert(rng: random.Random, msg: bytes) -> bytes:
    at = _position(rng, msg)
    return msg[:at] + rng.randbytes(rng.randint(1, 64)) + msg[at:]


def byte_delete(rng: random.Random, msg: bytes) -> bytes:
    start, end = _run(rng, msg)
    return msg[:start] + msg[end:]


def byte_duplicate(rng: random.Random, msg: bytes) -> bytes:
    start, end = _run(rng, msg, 256)
    return msg[:end] + msg[start:end] * rng.randint(1, 20) + msg[end:]


def byte_control(rng: random.Random, msg: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        at = _position(rng, msg)
        msg = msg[:at] + rng.choice(CONTROL_BYTES) + msg[at:]
    return msg


def byte_truncate(rng: random.Random, msg: bytes) -> bytes:
    return msg[: _position(rng, msg)]


# ------------------------------------------------------------------ field

ODD_TYPES = (
    b"",
    b"ORU",
    b"ORU^R01^ORU_R01^X",
    b"ADT^A01",
    b"^^^",
    b"ORU^R01~ORU^R01",
    b"oru^r01",
    b"ORU^R30",
    b"ACK",
    b"ORU^^ORU_R01",
    b"ORU^R01^" + b"X" * 300,
    b"\\X4F\\RU^R01",
)
ODD_PROCESSING = (b"", b"T", b"D", b"X", b"P^T", b"PPPP", b"p", b"P~T", b"\x00")
ODD_VERSIONS = (
    b"",
    b"2.3",
    b"2.5.1",
    b"9.9",
    b"2",
    b"v2.5",
    b"2.5^USA",
    b"2.8.2",
    b"3.0",
    b"2.x",
    b"2.5~2.6",
    b"-1",
    b"2.5" * 100,
)
ODD_TIMES = (
    b"",
    b"0",
    b"20250230",
    b"99999999999999",
    b"20251301",
    b"202501031641+2500",
    b"2025",
    b"20250103164161",
    b"19000101",
    b"00010101",
    b"202501031641.1234567",
    b"-20250101",
    b"2025-01-03T16:41",
    b"202501031641-0000",
    b"1e10",
    "२०२५०१०३".encode(),
    b"20250103164\x00",
    b"99991231235959",
    b"202501031641+14",
    b"2025010316411",
    b"20250103^20250104",
    b"202501031641~202501031642",
    b"9" * 400,
    b'""',
)
ODD_PID = (
    b"",
    b'""',
    b"^^^^",
    b"MRN1~MRN2~~",
    b"X" * 70_000,
    b"^^^SYNTHHOSP^MR",
    b"\\F\\",
    b"12345^^^" + b"A" * 300,
    "ñandú^^^HOSP".encode(),
    b"\x00\x00",
    b"1" * 40,
)
OBX_TYPES = (
    b"",
    b"ST",
    b"FT",
    b"TX",
    b"RP",
    b"ED",
    b"NM",
    b"CE",
    b"XX",
    b"tx",
    b"TX^TX",
    b"CWE",
    b"SN",
    b"TX~FT",
)
OBX_STATUSES = (b"", b"X", b"D", b"W", b"P", b"C", b"F~F", b"Z", b"f", b"FF", b"R", b"I")
OBX_VALUES = (
    b"",
    b'""',
    b"   ",
    b"|||",
    b"^^^^~~~",
    b"12345",
    b"X" * 5000,
    "e\u0301\u0301\u0301".encode(),
    "\u202eRTL text".encode(),
    "emoji \U0001f600 text".encode(),
    b"\xed\xa0\x80 surrogate",
    b"See Comments",
    b"\\.br\\",
    b"IMPRESSION:",
    b"\t\t\t",
    b"~" * 200,
    b"a" * 20_000,
)


def field_empty(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    i = rng.randrange(len(segments)) if segments else 0
    if not segments:
        return msg
    count = segments[i].count(b"|")
    segments[i] = _set_field(segments[i], rng.randint(2, max(2, count)), b"")
    return _join(segments)


def field_huge(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    if not segments:
        return msg
    i = rng.randrange(len(segments))
    size = rng.choice((1_000, 10_000, 70_000, 300_000))
    unit = rng.choice((b"A", b"word ", b"^", b"~", b"\\", b"x^y~", b"9"))
    count = segments[i].count(b"|")
    segments[i] = _set_field(segments[i], rng.randint(2, max(2, count)), unit * (size // len(unit)))
    return _join(segments)


def field_separators(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    if not segments:
        return msg
    i = rng.randrange(len(segments))
    run = rng.choice((b"|", b"^", b"~", b"&", b"\\", b"^~\\&")) * rng.choice((2, 10, 100, 5000))
    at = rng.randrange(len(segments[i]) + 1)
    segments[i] = segments[i][:at] + run + segments[i][at:]
    return _join(segments)


def field_msh9(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"MSH", 9, rng.choice(ODD_TYPES))


def field_msh11(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"MSH", 11, rng.choice(ODD_PROCESSING))


def field_msh12(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"MSH", 12, rng.choice(ODD_VERSIONS))


def field_msh7(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"MSH", 7, rng.choice(ODD_TIMES))


def field_msh10(rng: random.Random, msg: bytes) -> bytes:
    value = rng.choice((b"", b"X" * 65, b"X" * 5000, b"id\x00", b"~~", "ид".encode()))
    return _with_field(rng, msg, b"MSH", 10, value)


def field_obr_date(rng: random.Random, msg: bytes) -> bytes:
    number = rng.choice((6, 7, 8, 14, 22, 27))
    return _with_field(rng, msg, b"OBR", number, rng.choice(ODD_TIMES))


def field_pid(rng: random.Random, msg: bytes) -> bytes:
    number = rng.choice((2, 3, 3, 5, 7, 8))
    return _with_field(rng, msg, b"PID", number, rng.choice((*ODD_PID, *ODD_TIMES)))


def field_obx2(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"OBX", 2, rng.choice(OBX_TYPES))


def field_obx5(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"OBX", 5, rng.choice(OBX_VALUES))


def field_obx11(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"OBX", 11, rng.choice(OBX_STATUSES))


def field_obr_other(rng: random.Random, msg: bytes) -> bytes:
    number = rng.choice((2, 3, 4, 18, 24, 25, 13))
    value = rng.choice((*ODD_PID, b"CT", b"XX", b"MR^MR", b"F", b"Z"))
    return _with_field(rng, msg, b"OBR", number, value)


def field_msh2(rng: random.Random, msg: bytes) -> bytes:
    odd = (b"", b"^", b"^~", b"^~\\", b"^~\\&#", b"^^\\&", b"||||", b"abcd", b"\x00~\\&", b"^~&\\")
    if not msg.startswith(b"MSH|"):
        return msg
    end = msg.find(b"|", 4)
    return msg[:4] + rng.choice(odd) + (msg[end:] if end >= 0 else b"")


# ------------------------------------------------------------------ segment


def seg_drop(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    for _ in range(rng.randint(1, 3)):
        if segments:
            del segments[rng.randrange(len(segments))]
    return _join(segments)


def seg_duplicate(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    if segments:
        i = rng.randrange(len(segments))
        segments[i:i] = [segments[i]] * rng.choice((1, 2, 50))
    return _join(segments)


def seg_reorder(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    if rng.random() < 0.5:
        rng.shuffle(segments)
    elif len(segments) > 1:
        i, j = rng.sample(range(len(segments)), 2)
        segments[i], segments[j] = segments[j], segments[i]
    return _join(segments)


def seg_unknown(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    odd = (
        b"ZXY|1|custom",
        b"ZDS|1.2.3^RIS^Application^DICOM",
        b"XYZ",
        b"obx|1|TX|||lower",
        b"NTE|1||comment",
        b"OBX",
        b"OBR",
        b"MSH",
        b"MSH|",
        b"PID|",
        b"ZZ|" + b"z" * 1000,
        b"|||",
        b"OBX|1|TX|||",
        b"OBR|2",
        b"ORC|RE",
        b"SPM|1",
        b"EVN|R01",
    )
    at = rng.randrange(len(segments) + 1)
    segments.insert(at, rng.choice(odd))
    return _join(segments)


def seg_nte_placeholder(rng: random.Random, msg: bytes) -> bytes:
    """The report moved into NTE segments after a placeholder OBX (OBX-2 TX or RP)."""
    lines = _report_lines(msg)
    kind = rng.choice((b"TX", b"RP", b"ST", b"FT"))
    value = rng.choice((b"See Comments", b"SEE NOTE", b"see comments", b"", b"Report^^^RP"))
    segments = [s for s in _segments(msg) if not s.startswith(b"OBX|")]
    obx = b"OBX|1|%s|18782-3^Radiology Study observation^LN||%s||||||F" % (kind, value)
    nte = [b"NTE|%d|L|%s" % (n, line) for n, line in enumerate(lines, start=1)]
    if rng.random() < 0.3:
        nte.insert(rng.randrange(len(nte) + 1), b"NTE")
    return _join([*segments, obx, *nte])


# ------------------------------------------------------------------ escape

ESCAPES = (
    b"\\X00F2\\",
    b"\\X00\\",
    b"\\XF\\",
    b"\\XZZ\\",
    b"\\X0D0A\\",
    b"\\X1C0B\\",
    b"\\XC3A9\\",
    b"\\XFFFE\\",
    b"\\X" + b"41" * 2000 + b"\\",
    b"\\H\\bold\\N\\",
    b"\\H\\",
    b"\\N\\",
    b"\\F\\",
    b"\\S\\",
    b"\\T\\",
    b"\\R\\",
    b"\\E\\",
    b"\\.br\\",
    b"\\.fi\\",
    b"\\.nf\\",
    b"\\.ce\\",
    b"\\Zcustom\\",
    b"\\Z\\",
    b"\\C2842\\",
    b"\\M2442\\",
    b"\\C\\",
    b"\\",
    b"\\X",
    b"\\.sp",
    b"\\E",
    b"\\\\",
    b"\\Q\\",
    b"\\.sp-1\\",
    b"\\.sp+3\\",
    b"\\.sp 5\\",
    b"\\.sp\\",
    b"\\.in+4\\",
    b"\\.ti-4\\",
    b"\\.skx\\",
    b"\\Xd800\\",
    b"\\XEDA080\\",
)
FORMATS = (b".sp", b".sk", b".in", b".ti", b".in+", b".in-", b".ti+", b".ti-")
COUNTS = (
    b"0",
    b"1",
    b"5",
    b"99",
    b"1000",
    b"65535",
    b"999999",
    b"999999999",
    b"99999999999999999999",
    b"-999999999",
    b"1e9",
    b"0x10",
)


def _insert_in_text(rng: random.Random, msg: bytes, piece: bytes, times: int = 1) -> bytes:
    segments = _segments(msg)
    i = (
        _pick(rng, segments, b"OBX")
        if rng.random() < 0.85
        else rng.randrange(max(1, len(segments)))
    )
    if i is None or not segments:
        return msg + piece
    segment = segments[i]
    for _ in range(times):
        at = rng.randrange(len(segment) + 1)
        segment = segment[:at] + piece + segment[at:]
    segments[i] = segment
    return _join(segments)


def esc_sequence(rng: random.Random, msg: bytes) -> bytes:
    return _insert_in_text(rng, msg, rng.choice(ESCAPES), rng.randint(1, 5))


def esc_format(rng: random.Random, msg: bytes) -> bytes:
    piece = b"\\" + rng.choice(FORMATS) + rng.choice(COUNTS) + b"\\"
    return _insert_in_text(rng, msg, piece, rng.choice((1, 1, 3, 200)))


def esc_huge_count(rng: random.Random, msg: bytes) -> bytes:
    piece = (
        b"\\" + rng.choice(FORMATS) + rng.choice((b"999999999", b"2147483648", b"9" * 30)) + b"\\"
    )
    return _insert_in_text(rng, msg, piece)


def esc_unterminated(rng: random.Random, msg: bytes) -> bytes:
    piece = rng.choice((b"\\X0", b"\\.sp5", b"\\H", b"\\Zabc", b"\\", b"\\X" + b"A" * 5000))
    segments = _segments(msg)
    i = _pick(rng, segments, b"OBX")
    if i is None:
        return msg + piece
    segments[i] = _set_field(segments[i], 5, _get_field(segments[i], 5) + piece)
    return _join(segments)


# ------------------------------------------------------------------ charset

TABLE_0211 = (
    b"ASCII",
    b"8859/1",
    b"8859/2",
    b"8859/3",
    b"8859/4",
    b"8859/5",
    b"8859/6",
    b"8859/7",
    b"8859/8",
    b"8859/9",
    b"8859/15",
    b"ISO IR6",
    b"ISO IR14",
    b"ISO IR87",
    b"ISO IR159",
    b"GB 18030-2000",
    b"KS X 1001",
    b"CNS 11643-1992",
    b"BIG-5",
    b"UNICODE",
    b"UNICODE UTF-8",
    b"UNICODE UTF-16",
    b"UNICODE UTF-32",
    b"ISO IR192",
    b"ISO IR100",
)
BOGUS_CHARSETS = (
    b"base64",
    b"hex",
    b"rot13",
    b"rot_13",
    b"\x00",
    b"utf-8\x00",
    b"zlib",
    b"bz2",
    b"uu",
    b"quopri",
    b"idna",
    b"punycode",
    b"utf_8_sig",
    b"mbcs",
    b"UTF-7",
    b"cp037",
    b"undefined",
    b"raw_unicode_escape",
    b"unicode_escape",
    b"utf-16",
    b"utf_32",
    b"X" * 500,
    b"../../etc",
    b"ascii~utf-8",
    b"UTF-8^x",
    b"hex_codec",
    b"base64_codec",
    b"string_escape",
    b"charmap",
    b"\xff\xfe",
    b"latin-1",
    b"8859/1~ISO IR87",
)
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


def cs_table(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"MSH", 18, rng.choice(TABLE_0211))


def cs_bogus(rng: random.Random, msg: bytes) -> bytes:
    return _with_field(rng, msg, b"MSH", 18, rng.choice(BOGUS_CHARSETS))


def cs_reencode(rng: random.Random, msg: bytes) -> bytes:
    codec = rng.choice(
        (
            "utf-16",
            "utf-16-le",
            "utf-16-be",
            "utf-32",
            "latin-1",
            "cp1252",
            "gb18030",
            "shift_jis",
            "utf-8",
        )
    )
    data = msg.decode("utf-8", "replace").encode(codec, "replace")
    if rng.random() < 0.4:
        name = rng.choice((b"UNICODE UTF-16", b"8859/1", b"UNICODE UTF-8", b"GB 18030-2000"))
        return _with_field(rng, data, b"MSH", 18, name) if codec in ("latin-1", "cp1252") else data
    return data


def cs_bom(rng: random.Random, msg: bytes) -> bytes:
    bom = rng.choice(BOMS)
    if rng.random() < 0.7:
        return bom + msg
    at = _position(rng, msg)
    return msg[:at] + bom + msg[at:]


def cs_high_bytes(rng: random.Random, msg: bytes) -> bytes:
    """Bytes invalid in the declared charset: lone continuation bytes, overlongs, Latin-1."""
    piece = rng.choice(
        (
            b"\x80",
            b"\xc3",
            b"\xc0\xaf",
            b"\xe9",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            "ü".encode("latin-1"),
            b"\xa0",
        )
    )
    return _insert_in_text(rng, msg, piece, rng.randint(1, 4))


# ------------------------------------------------------------------ framing


def frame_mllp(rng: random.Random, msg: bytes) -> bytes:
    start = rng.choice((b"\x0b", b"\x0b\x0b", b""))
    end = rng.choice((b"\x1c\r", b"\x1c", b"", b"\x1c\r\n", b"\x1c\x1c\r"))
    return start + msg + end


def frame_stray(rng: random.Random, msg: bytes) -> bytes:
    piece = rng.choice((b"\x0b", b"\x1c", b"\x1c\r", b"\x0b\x1c"))
    if rng.random() < 0.5:
        return _insert_in_text(rng, msg, piece)
    segments = _segments(msg)
    at = rng.randrange(len(segments) + 1)
    return _join(segments[:at]) + piece + CR + _join(segments[at:])


def frame_batch(rng: random.Random, msg: bytes) -> bytes:
    fhs = b"FHS|^~\\&|RIS|SITE|||20250101"
    bhs = b"BHS|^~\\&|RIS|SITE|||20250101"
    parts = rng.choice(
        (
            [fhs, bhs, msg, b"BTS|1", b"FTS|1"],
            [bhs, msg, b"BTS|1"],
            [fhs, msg],
            [msg, b"BTS|1", b"FTS|1"],
            [fhs, bhs, b"BTS|0", b"FTS|1"],
            [bhs, bhs, msg],
        )
    )
    return CR.join(parts)


def frame_line_ends(rng: random.Random, msg: bytes) -> bytes:
    segments = _segments(msg)
    ends = (b"\r", b"\n", b"\r\n", b"\n\r", b"\r\r", b"\n\n")
    if rng.random() < 0.5:
        end = rng.choice(ends)
        return end.join(segments) + rng.choice((b"", end))
    return b"".join(s + rng.choice(ends) for s in segments)


def frame_concat(rng: random.Random, msg: bytes) -> bytes:
    pieces = []
    for _ in range(rng.randint(2, 5)):
        kind = rng.random()
        if kind < 0.4:
            pieces.append(msg + b"\r")
        elif kind < 0.8:
            pieces.append(b"\x0b" + msg + b"\x1c\r")
        else:
            pieces.append(msg + b"\n\n")
    return b"".join(pieces)


# ------------------------------------------------------------------ report text


def text_html(rng: random.Random, msg: bytes) -> bytes:
    lines = _report_lines(msg)
    tags = (
        b"<br>",
        b"<BR/>",
        b"<P>",
        b"</P>",
        b"<STRONG>",
        b"</STRONG>",
        b"&quot;",
        b"&amp;",
        b"&nbsp;",
        b'<div class="x">',
        b"</div>",
        b"<script>x</script>",
        b"<!-- c -->",
        b"<b",
        b"&#0;",
        b"&#x110000;",
        b"<table><tr><td>",
        b"</td></tr></table>",
        b"<" * 50,
        b"&" * 50,
    )
    parts = [rng.choice(tags) + line + rng.choice(tags) for line in lines]
    body = b"".join(parts) if rng.random() < 0.5 else rng.choice(tags).join(parts)
    return _replace_obx(rng, msg, [body], rng.choice((b"FT", b"TX")))


def text_rtf(rng: random.Random, msg: bytes) -> bytes:
    lines = _report_lines(msg)
    body = b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs20 " + b"\\par ".join(lines) + b"}"
    if rng.random() < 0.3:
        body = body[: rng.randrange(len(body) + 1)]  # unbalanced braces
    escaped = body.replace(b"\\", b"\\E\\") if rng.random() < 0.5 else body
    return _replace_obx(rng, msg, [escaped], rng.choice((b"FT", b"TX")))


def text_hard_wrap(rng: random.Random, msg: bytes) -> bytes:
    text = b" ".join(_report_lines(msg))
    width = rng.choice((40, 60, 72, 80))
    lines = [text[i : i + width] for i in range(0, len(text), width)] or [b""]
    return _replace_obx(rng, msg, lines)


def text_lowercase(rng: random.Random, msg: bytes) -> bytes:
    lines = [line.lower().replace(b".", b" .").replace(b",", b" ,") for line in _report_lines(msg)]
    return _replace_obx(rng, msg, lines)


def text_long_line(rng: random.Random, msg: bytes) -> bytes:
    """One OBX with a long single-line report (sentence splitter, maximum report size)."""
    text = b" ".join(_report_lines(msg)) or b"No acute findings."
    target = rng.choice((20_000, 100_000, 400_000))
    joiner = rng.choice((b" ", b"", b"; "))
    body = joiner.join([text] * (target // max(1, len(text)) + 1))[:target]
    return _replace_obx(rng, msg, [body])


# ------------------------------------------------------------------ table

#: Each mutator with its weight: cheap, varied mutations often; huge inputs rarely.
MUTATORS: dict[str, tuple[Mutate, int]] = {
    "byte.flip": (byte_flip, 6),
    "byte.insert": (byte_insert, 4),
    "byte.delete": (byte_delete, 4),
    "byte.duplicate": (byte_duplicate, 3),
    "byte.control": (byte_control, 5),
    "byte.truncate": (byte_truncate, 3),
    "field.empty": (field_empty, 5),
    "field.huge": (field_huge, 1),
    "field.separators": (field_separators, 3),
    "field.msh2": (field_msh2, 2),
    "field.msh7": (field_msh7, 3),
    "field.msh9": (field_msh9, 3),
    "field.msh10": (field_msh10, 2),
    "field.msh11": (field_msh11, 3),
    "field.msh12": (field_msh12, 3),
    "field.obr_date": (field_obr_date, 4),
    "field.obr_other": (field_obr_other, 2),
    "field.pid": (field_pid, 3),
    "field.obx2": (field_obx2, 3),
    "field.obx5": (field_obx5, 3),
    "field.obx11": (field_obx11, 3),
    "seg.drop": (seg_drop, 4),
    "seg.duplicate": (seg_duplicate, 3),
    "seg.reorder": (seg_reorder, 3),
    "seg.unknown": (seg_unknown, 3),
    "seg.nte_placeholder": (seg_nte_placeholder, 3),
    "esc.sequence": (esc_sequence, 5),
    "esc.format": (esc_format, 4),
    "esc.huge_count": (esc_huge_count, 2),
    "esc.unterminated": (esc_unterminated, 2),
    "cs.table0211": (cs_table, 4),
    "cs.bogus": (cs_bogus, 4),
    "cs.reencode": (cs_reencode, 3),
    "cs.bom": (cs_bom, 2),
    "cs.high_bytes": (cs_high_bytes, 3),
    "frame.mllp": (frame_mllp, 3),
    "frame.stray": (frame_stray, 3),
    "frame.batch": (frame_batch, 2),
    "frame.line_ends": (frame_line_ends, 3),
    "frame.concat": (frame_concat, 2),
    "text.html": (text_html, 3),
    "text.rtf": (text_rtf, 2),
    "text.hard_wrap": (text_hard_wrap, 3),
    "text.lowercase": (text_lowercase, 2),
    "text.long_line": (text_long_line, 1),
}
_NAMES = list(MUTATORS)
_WEIGHTS = [MUTATORS[name][1] for name in _NAMES]
#: Share of inputs that get two or three mutations stacked instead of one.
STACKED = 0.25


def make_input(corpus: Sequence[bytes], seed: int, index: int) -> FuzzInput:
    """Input ``index`` of the run with ``seed``: the same bytes every time."""
    rng = random.Random(f"radfollow-fuzz:{seed}:{index}")
    base = rng.randrange(len(corpus))
    count = 1 if rng.random() >= STACKED else rng.randint(2, 3)
    names = rng.choices(_NAMES, weights=_WEIGHTS, k=count)
    data = corpus[base]
    for name in names:
        data = MUTATORS[name][0](rng, data)
    return FuzzInput(seed, index, "+".join(names), base, data)
