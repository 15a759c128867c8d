"""Bytes to text: the charset comes from MSH-18, UTF-8 by default.

Policy (the table is ``charsets.json``):

* MSH-18 empty: UTF-8, then Latin-1 when the bytes are not valid UTF-8.
* MSH-18 names UTF-8 or ASCII but the bytes are not valid in it: the same
  UTF-8 then Latin-1 chain (senders often declare ASCII and send 8-bit text).
* MSH-18 names another charset: that charset only; invalid bytes raise
  :class:`HL7DecodeError`, as does a name that is neither in the table nor a
  Python codec, or a charset that is not ASCII-compatible (UTF-16/32).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from radfollow.errors import HL7DecodeError
from radfollow.hl7._resources import load_rules
from radfollow.hl7.header import msh_field

_BOM = b"\xef\xbb\xbf"
_NAME_NOISE = re.compile(r"[\s_-]+")


def normalise_charset_name(name: str) -> str:
    return _NAME_NOISE.sub(" ", name.strip().upper())


def codec_name(codec: str) -> str | None:
    """Canonical Python codec name, or None when unknown or not ASCII-compatible."""
    try:
        info = codecs.lookup(codec)
    except LookupError:
        return None
    try:
        compatible = "MSH|".encode(info.name) == b"MSH|"
    except UnicodeError:
        compatible = False
    return info.name if compatible else None


class CharsetRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str
    fallback: str
    notes: str = ""
    charsets: dict[str, str]

    @field_validator("default", "fallback")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        name = codec_name(value)
        if name is None:
            raise ValueError(f"unknown or not ASCII-compatible codec {value!r}")
        return name

    @field_validator("charsets")
    @classmethod
    def _normalise(cls, table: dict[str, str]) -> dict[str, str]:
        return {normalise_charset_name(k): cls._known_codec(v) for k, v in table.items()}


@cache
def default_charset_rules() -> CharsetRules:
    return load_rules(CharsetRules, "charsets.json")


def load_charset_rules(path: Path) -> CharsetRules:
    return load_rules(CharsetRules, "charsets.json", path)


@dataclass(frozen=True)
class DecodedMessage:
    text: str
    charset: str  # Python codec actually used; \X..\ hex escapes decode with it
    declared: str | None  # MSH-18 as sent


def decode_message(data: bytes, rules: CharsetRules | None = None) -> DecodedMessage:
    rules = rules or default_charset_rules()
    data = data.removeprefix(_BOM)
    raw = msh_field(data, 18)
    declared = raw.decode("ascii", "replace").strip() if raw else None
    candidates = _candidates(declared, rules)
    for codec in candidates:
        try:
            return DecodedMessage(data.decode(codec), codec, declared)
        except UnicodeDecodeError as exc:
            error = exc
    raise HL7DecodeError(
        f"bytes are not valid {declared or candidates[0]} (MSH-18): "
        f"byte 0x{data[error.start]:02x} at offset {error.start}"
    )


def _candidates(declared: str | None, rules: CharsetRules) -> list[str]:
    chain = [rules.default, rules.fallback]
    if not declared:
        return chain
    codec = rules.charsets.get(normalise_charset_name(declared)) or codec_name(declared)
    if codec is None:
        raise HL7DecodeError(f"unsupported charset {declared!r} in MSH-18")
    if codec in ("utf-8", "ascii"):
        return list(dict.fromkeys([codec, *chain]))
    return [codec]
