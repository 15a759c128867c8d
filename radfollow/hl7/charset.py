"""Bytes to text: the charset comes from MSH-18, UTF-8 by default.

Policy (the table is ``radfollow/rules/charsets.json``, :class:`CharsetRules`; a site's
``--rules`` folder may replace it):

* MSH-18 empty: UTF-8, then Latin-1 when the bytes are not valid UTF-8.
* MSH-18 names UTF-8 or ASCII but the bytes are not valid in it: the same
  UTF-8 then Latin-1 chain (senders often declare ASCII and send 8-bit text).
* MSH-18 names another charset of the table (HL7 v2 table 0211, section
  2.15.9.18, or one of its aliases): that charset only; invalid bytes raise
  :class:`HL7DecodeError`.
* Any other MSH-18 value (an unknown name, ``base64``, ``hex``, a NUL byte) and
  a table 0211 charset listed as unsupported (UNICODE UTF-16/UTF-32, CNS
  11643-1992) raise :class:`HL7DecodeError` with the reason. MSH-18 is never
  passed to Python's codec registry.
* Bytes that are UTF-16 or UTF-32 (a byte order mark, or ``MSH`` with NUL
  bytes between the letters) raise :class:`HL7DecodeError` saying so: HL7 v2
  over files and MLLP needs an ASCII-compatible charset.

NUL characters are dropped from the decoded text: no HL7 value may hold one,
and PostgreSQL text columns refuse them (the tracker and the listener's inbox
would fail on every retry). Other control characters are left to the text
layers (radfollow.hl7.escapes, radfollow.hl7.text).
"""

from __future__ import annotations

from dataclasses import dataclass

from radfollow.errors import HL7DecodeError, quoted_code
from radfollow.hl7.header import find_msh, msh_field
from radfollow.rules.loader import load_rule_file
from radfollow.rules.schema import CharsetRules, codec_name, normalise_charset_name

__all__ = ["CharsetRules", "DecodedMessage", "codec_name", "decode_message"]

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class DecodedMessage:
    text: str
    charset: str  # Python codec actually used; \X..\ hex escapes decode with it
    declared: str | None  # MSH-18 as sent


def decode_message(data: bytes, rules: CharsetRules | None = None) -> DecodedMessage:
    """The text of one message's bytes, with the codec used; raises HL7DecodeError."""
    rules = rules or load_rule_file(CharsetRules)
    wide = wide_encoding(data)
    if wide is not None:
        raise HL7DecodeError(
            f"the message is {wide}; HL7 v2 over files and MLLP needs an ASCII-compatible "
            "charset such as UTF-8"
        )
    data = data.removeprefix(_BOM)
    raw = msh_field(data, 18)
    declared = raw.decode("ascii", "replace").strip() if raw else None
    candidates = _candidates(declared, rules)
    for codec in candidates:
        try:
            text = data.decode(codec).replace("\x00", "")  # see the module docstring
            return DecodedMessage(text, codec, declared)
        except UnicodeDecodeError as exc:
            error = exc
    shown = quoted_code(declared).strip("'") if declared else candidates[0]
    raise HL7DecodeError(
        f"bytes are not valid {shown} (MSH-18): "
        f"byte 0x{data[error.start]:02x} at offset {error.start}"
    )


#: Byte order marks and ``MSH`` as the wide encodings write it; UTF-32 first
#: (its little-endian byte order mark starts with UTF-16's).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_WIDE_MSH = ((b"M\x00\x00\x00S\x00\x00\x00H", "UTF-32"), (b"M\x00S\x00H", "UTF-16"))


def wide_encoding(data: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when ``data`` is written in it, else None.

    Detected by a byte order mark at the start, or, when no ASCII ``MSH``
    segment is found, by ``MSH`` written with NUL bytes between its letters
    (either byte order).
    """
    for mark, name in _WIDE_BOMS:
        if data.startswith(mark):
            return name
    if find_msh(data) != -1:
        return None
    for pattern, name in _WIDE_MSH:
        if pattern in data:
            return name
    return None


def _candidates(declared: str | None, rules: CharsetRules) -> list[str]:
    """Codecs to try in order; raises HL7DecodeError for a charset that is not accepted."""
    chain = [rules.default, rules.fallback]
    if not declared:
        return chain
    name = normalise_charset_name(declared)
    reason = rules.unsupported.get(name)
    if reason is not None:
        raise HL7DecodeError(f"charset {quoted_code(declared)} in MSH-18: {reason}")
    codec = rules.charsets.get(rules.aliases.get(name, name))
    if codec is None:
        raise HL7DecodeError(
            f"unsupported charset {quoted_code(declared)} in MSH-18: "
            "not an HL7 table 0211 character set (a site may map it in its charsets.json)"
        )
    if codec in ("utf-8", "ascii"):
        return list(dict.fromkeys([codec, *chain]))
    return [codec]
