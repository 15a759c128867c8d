"""OBR-24 (and, failing that, OBR-4 text) to a DICOM-style modality.

The code table and the inference keywords are data: ``modalities.json``,
validated by :class:`ModalityRules`; a site may load its own file.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from radfollow.hl7._resources import load_rules
from radfollow.models import Modality

_NON_WORD = re.compile(r"[^A-Z0-9*]+")


def _words(text: str) -> str:
    """Upper-cased text with punctuation as single spaces, padded with spaces."""
    return f" {_NON_WORD.sub(' ', text.upper()).strip()} "


class InferenceRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    modality: Modality
    keywords: tuple[str, ...]

    @field_validator("keywords")
    @classmethod
    def _normalise(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(_words(k).strip() for k in keywords)
        for keyword in cleaned:
            if not keyword.rstrip("*") or "*" in keyword.rstrip("*"):
                raise ValueError(f"bad keyword {keyword!r}: '*' is allowed only at the end")
        return cleaned

    def matches(self, words: str) -> bool:
        for keyword in self.keywords:
            needle = f" {keyword[:-1]}" if keyword.endswith("*") else f" {keyword} "
            if needle in words:
                return True
        return False


class ModalityRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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
        words = _words(procedure_text.replace("*", " "))
        for rule in self.inference:
            if rule.matches(words):
                return rule.modality.value
        return None


@cache
def default_modality_rules() -> ModalityRules:
    return load_rules(ModalityRules, "modalities.json")


def load_modality_rules(path: Path) -> ModalityRules:
    """A site's own modality file, same schema as the packaged ``modalities.json``."""
    return load_rules(ModalityRules, "modalities.json", path)
