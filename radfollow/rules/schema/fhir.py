"""Model of ``terminology.json``: the code tables of the FHIR mapping.

Unknown keys are rejected and every finding type, modality and laterality
must be present. ``verified`` records whether a code was checked against a
published source; it is documentation only and never emitted.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, model_validator

from radfollow.models import FindingType, Laterality, Modality
from radfollow.rules.schema.base import STRICT, RuleFile


class CodingEntry(BaseModel):
    model_config = STRICT

    system: str
    code: str
    display: str
    verified: bool

    def to_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


class Concept(BaseModel):
    model_config = STRICT

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
    model_config = STRICT

    label: str
    follow_up: bool
    codings: tuple[CodingEntry, ...] = ()


class Terminology(RuleFile):
    file_name: ClassVar[str] = "terminology.json"

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
