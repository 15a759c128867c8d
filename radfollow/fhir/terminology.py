"""Code tables for the FHIR mapping, kept as data in ``terminology.json``.

The JSON is validated by the pydantic models below (unknown keys rejected,
every finding type and modality required). ``verified`` records whether a
code was checked against a published source; it is documentation only and
never emitted. A site can pass its own file to ``load_terminology``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from radfollow.errors import RuleFileError
from radfollow.models import FindingType, Laterality, Modality

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class CodingEntry(BaseModel):
    model_config = _FROZEN

    system: str
    code: str
    display: str
    verified: bool

    def to_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


class Concept(BaseModel):
    model_config = _FROZEN

    text: str
    codings: tuple[CodingEntry, ...] = ()

    def to_fhir(self, text: str | None = None) -> dict[str, Any]:
        """A CodeableConcept dict; ``text`` overrides the table's text."""
        concept: dict[str, Any] = {}
        if self.codings:
            concept["coding"] = [c.to_fhir() for c in self.codings]
        concept["text"] = text or self.text
        return concept


class FindingConcept(Concept):
    body_site: str | None = None


class BodySiteConcept(Concept):
    aliases: tuple[str, ...]


class ModalityConcept(BaseModel):
    model_config = _FROZEN

    label: str
    follow_up: bool
    codings: tuple[CodingEntry, ...] = ()


class Terminology(BaseModel):
    model_config = _FROZEN

    findings: dict[FindingType, FindingConcept]
    body_sites: dict[str, BodySiteConcept]
    modalities: dict[Modality, ModalityConcept]
    laterality: dict[Laterality, Concept]

    @model_validator(mode="after")
    def _complete(self) -> Terminology:
        for name, table, enum in (
            ("findings", self.findings, FindingType),
            ("modalities", self.modalities, Modality),
            ("laterality", self.laterality, Laterality),
        ):
            missing = sorted(set(enum) - set(table))
            if missing:
                raise ValueError(f"{name} lacks {missing}")
        for kind, concept in self.findings.items():
            if concept.body_site is not None and concept.body_site not in self.body_sites:
                raise ValueError(f"finding {kind} names unknown body site {concept.body_site!r}")
        return self

    def body_site(self, text: str | None) -> BodySiteConcept | None:
        """The most specific body site whose alias occurs in ``text`` as whole words."""
        if not text:
            return None
        lowered = text.lower()
        best: tuple[int, BodySiteConcept] | None = None
        for site in self.body_sites.values():
            for alias in site.aliases:
                if re.search(rf"\b{re.escape(alias)}\b", lowered) and (
                    best is None or len(alias) > best[0]
                ):
                    best = (len(alias), site)
        return best[1] if best else None


def load_terminology(path: str | Path | None = None) -> Terminology:
    """Load and validate a terminology file; the packaged one when ``path`` is None."""
    if path is None:
        return _default_terminology()
    return _parse(Path(path).read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=1)
def _default_terminology() -> Terminology:
    text = resources.files("radfollow.fhir").joinpath("terminology.json").read_text("utf-8")
    return _parse(text, "radfollow/fhir/terminology.json")


def _parse(text: str, where: str) -> Terminology:
    try:
        return Terminology.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise RuleFileError(f"invalid terminology file: {exc}", where=where) from exc
