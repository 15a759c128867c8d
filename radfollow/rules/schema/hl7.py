"""Models of the HL7 rule files: ``charsets.json`` (MSH-18 names to Python codecs),
``modalities.json`` (OBR-24 codes and OBR-4 keywords to a modality) and
``placeholders.json`` (OBX values whose report text follows in NTE segments)."""

from __future__ import annotations

import codecs
import re
from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from radfollow.models import Modality
from radfollow.rules.schema.base import KeywordRule, RuleFile, keyword_text

_NAME_NOISE = re.compile(r"[\s_-]+")


def normalise_charset_name(name: str) -> str:
    """``name`` upper-cased, with runs of spaces, '-' and '_' as one space."""
    return _NAME_NOISE.sub(" ", name.strip().upper())


def codec_name(codec: str) -> str | None:
    """Canonical name of a Python *text* codec that reads ASCII as ASCII, else None.

    None for an unknown name, a name Python refuses (a NUL character), a
    bytes-to-bytes or str-to-str codec (``base64``, ``hex``, ``zlib``,
    ``rot13``: ``str.encode`` refuses them) and a codec that is not
    ASCII-compatible (UTF-16, UTF-32: HL7 v2 framing and delimiters are ASCII
    bytes). Only rule-file values reach this: MSH-18 is looked up in the
    table, never passed to Python's codec registry.
    """
    try:
        info = codecs.lookup(codec)
        compatible = _PROBE.encode(info.name) == _PROBE_BYTES
        compatible = compatible and _PROBE_BYTES.decode(info.name) == _PROBE
    except (LookupError, ValueError, TypeError):  # ValueError covers UnicodeError
        return None
    return info.name if compatible else None


_PROBE = "MSH|^~\\&\r"
_PROBE_BYTES = _PROBE.encode("ascii")


class CharsetRules(RuleFile):
    """MSH-18 (HL7 v2 table 0211) to Python codecs.

    ``charsets``: table 0211 code -> codec (checked and made canonical: a text
    codec that is ASCII-compatible). ``aliases``: another spelling -> a
    ``charsets`` key. ``unsupported``: table 0211 code -> the reason it cannot
    be read. Every key is normalised (:func:`normalise_charset_name`); a name
    may appear in one of the three only.
    """

    file_name: ClassVar[str] = "charsets.json"
    default: str
    fallback: str
    notes: str = ""
    charsets: dict[str, str]
    aliases: dict[str, str] = Field(default_factory=dict)
    unsupported: dict[str, str] = Field(default_factory=dict)

    @field_validator("default", "fallback")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        name = codec_name(value)
        if name is None:
            raise ValueError(f"unknown codec, not a text codec, or not ASCII-compatible: {value!r}")
        return name

    @field_validator("charsets")
    @classmethod
    def _normalise(cls, table: dict[str, str]) -> dict[str, str]:
        return {normalise_charset_name(k): cls._known_codec(v) for k, v in table.items()}

    @field_validator("aliases")
    @classmethod
    def _normalise_aliases(cls, table: dict[str, str]) -> dict[str, str]:
        return {normalise_charset_name(k): normalise_charset_name(v) for k, v in table.items()}

    @field_validator("unsupported")
    @classmethod
    def _normalise_keys(cls, table: dict[str, str]) -> dict[str, str]:
        return {normalise_charset_name(k): v for k, v in table.items()}

    @model_validator(mode="after")
    def _consistent(self) -> CharsetRules:
        for alias, target in self.aliases.items():
            if target not in self.charsets:
                raise ValueError(f"alias {alias!r} names {target!r}, which is not in charsets")
        for names, other in ((self.aliases, "aliases"), (self.unsupported, "unsupported")):
            for name in names:
                if name in self.charsets:
                    raise ValueError(f"{name!r} is in both charsets and {other}")
        for name in self.unsupported:
            if name in self.aliases:
                raise ValueError(f"{name!r} is in both aliases and unsupported")
        return self


class InferenceRule(KeywordRule):
    modality: Modality


class ModalityRules(RuleFile):
    """The OBR-24 table (keys upper-cased) and the ordered OBR-4 inference rules."""

    file_name: ClassVar[str] = "modalities.json"
    notes: str = ""
    table: dict[str, Modality]
    inference: tuple[InferenceRule, ...]

    @field_validator("table")
    @classmethod
    def _upper_keys(cls, table: dict[str, Modality]) -> dict[str, Modality]:
        return {key.strip().upper(): value for key, value in table.items()}

    def resolve(self, service_section: str, procedure_text: str) -> str | None:
        """Modality from OBR-24 when in the table, else inferred from the procedure text."""
        mapped = self.table.get(service_section.strip().upper())
        if mapped is not None:
            return mapped.value
        return self.infer(procedure_text)

    def infer(self, procedure_text: str) -> str | None:
        """The first inference rule with a keyword in ``procedure_text``; None when none has."""
        words = keyword_text(procedure_text.replace("*", " "))
        for rule in self.inference:
            if rule.matches(words):
                return rule.modality.value
        return None


_PHRASE_NOISE = re.compile(r"[\W_]+")


def normalise_placeholder(text: str) -> str:
    """``text`` case-folded, with runs of punctuation and spaces as one space, trimmed."""
    return _PHRASE_NOISE.sub(" ", text.casefold()).strip()


class PlaceholderRules(RuleFile):
    """``placeholders.json``: OBX values that stand for report text sent in NTE segments.

    An OBX whose value type (OBX-2) is in ``value_types`` and whose value,
    normalised by :func:`normalise_placeholder`, equals one of ``phrases``
    (normalised the same way on load) is a placeholder: the NTE segments that
    follow it carry the report text (see :mod:`radfollow.hl7.text`).
    """

    file_name: ClassVar[str] = "placeholders.json"
    description: str = ""
    value_types: frozenset[str]
    phrases: frozenset[str]

    @field_validator("value_types")
    @classmethod
    def _upper_types(cls, types: frozenset[str]) -> frozenset[str]:
        return frozenset(t.strip().upper() for t in types)

    @field_validator("phrases")
    @classmethod
    def _normalise(cls, phrases: frozenset[str]) -> frozenset[str]:
        cleaned = frozenset(normalise_placeholder(p) for p in phrases)
        if "" in cleaned:
            raise ValueError("a phrase has no letters or digits")
        return cleaned

    def is_placeholder(self, value_type: str, value: str) -> bool:
        """Whether an OBX of ``value_type`` with (unescaped) ``value`` is a placeholder."""
        return (
            value_type.upper() in self.value_types and normalise_placeholder(value) in self.phrases
        )
