"""Bytes to text: the charset comes from MSH-18, UTF-8 by default.

Policy (the table is ``radfollow/rules/charsets.json``, :class:`CharsetRules`; a site's
``--rules`` folder may replace it):

* MSH-18 empty: UTF-8, then Latin-1 when the bytes are not valid UTF-8.
* MSH-18 names UTF-8 or ASCII but the bytes are not valid in it: the same
  UTF-8 then Latin-1 chain (senders often declare ASCII and send 8-bit text).
* MSH-18 names another charset: that charset only; invalid bytes raise
  :class:`HL7DecodeError`, as does a name that is neither in the table nor a
  Python codec, or a charset that is not ASCII-compatible (UTF-16/32).
"""

from __future__ import annotations

from dataclasses import dataclass

from radfollow.errors import HL7DecodeError, quoted_code
from radfollow.hl7.header import msh_field
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
    rules = rules or load_rule_file(CharsetRules)
    data = data.removeprefix(_BOM)
    raw = msh_field(data, 18)
    declared = raw.decode("ascii", "replace").strip() if raw else None
    candidates = _candidates(declared, rules)
    for codec in candidates:
        try:
            return DecodedMessage(data.decode(codec), codec, declared)
        except UnicodeDecodeError as exc:
            error = exc
    shown = quoted_code(declared).strip("'") if declared else candidates[0]
    raise HL7DecodeError(
        f"bytes are not valid {shown} (MSH-18): "
        f"byte 0x{data[error.start]:02x} at offset {error.start}"
    )


def _candidates(declared: str | None, rules: CharsetRules) -> list[str]:
    chain = [rules.default, rules.fallback]
    if not declared:
        return chain
    codec = rules.charsets.get(normalise_charset_name(declared)) or codec_name(declared)
    if codec is None:
        raise HL7DecodeError(f"unsupported charset {quoted_code(declared)} in MSH-18")
    if codec in ("utf-8", "ascii"):
        return list(dict.fromkeys([codec, *chain]))
    return [codec]
