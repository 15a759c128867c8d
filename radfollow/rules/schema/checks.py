"""Model of ``checks.json``: the wording the report mismatch checks read (issue 16).

Every list carries its own ``description`` (what it is for) and ``source`` (where
its wording comes from). Report-side lists are regular expressions matched
case-insensitively on whole words; order-side lists are :class:`KeywordRule`
keywords matched on the upper-cased order text.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import BaseModel, Field, field_validator

from radfollow.models import Assertion
from radfollow.rules.schema.base import STRICT, KeywordRule, RuleFile, check_regex


class Terms(BaseModel):
    """A list of regular expressions (whole words, case-insensitive) with its origin."""

    model_config = STRICT
    description: str
    source: str
    terms: tuple[str, ...] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _valid(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(term) for term in terms)


class Keywords(KeywordRule):
    """Order-text keywords (see :class:`KeywordRule`) with their origin."""

    description: str
    source: str


class BodyPart(BaseModel):
    """One sided body part: its keywords in an order and its words in a report."""

    model_config = STRICT
    name: str
    order: KeywordRule
    report: tuple[str, ...] = Field(min_length=1)

    @field_validator("order", mode="before")
    @classmethod
    def _keyword_list(cls, value: object) -> object:
        return {"keywords": value} if isinstance(value, list | tuple) else value

    @field_validator("report")
    @classmethod
    def _valid(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(term) for term in terms)


class BodyParts(BaseModel):
    model_config = STRICT
    description: str
    source: str
    parts: tuple[BodyPart, ...] = Field(min_length=1)


class LateralityChecks(BaseModel):
    """Order side against report side, and impression side against findings side."""

    model_config = STRICT
    order_left: Keywords
    order_right: Keywords
    order_bilateral: Keywords
    order_ignore: Keywords
    report_left: Terms
    report_right: Terms
    words_between: int = Field(default=2, ge=0, le=6)
    body_parts: BodyParts
    skip_lines: Terms
    findings_sections: tuple[str, ...] = ("findings",)
    impression_sections: tuple[str, ...] = ("impression",)
    assertions: tuple[Assertion, ...] = (Assertion.PRESENT, Assertion.POSSIBLE)


class SexChecks(BaseModel):
    """Sex-specific anatomy and words for the patient, against PID-8."""

    model_config = STRICT
    male_anatomy: Terms
    female_anatomy: Terms
    male_words: Terms
    female_words: Terms
    male_pronouns: Terms
    female_pronouns: Terms
    other_people: Terms


class AgeChecks(BaseModel):
    """Stated ages against the age at the exam; every pattern has a group ``age``."""

    model_config = STRICT
    patterns: Terms
    not_before: Terms
    not_after: Terms
    not_in_sentence: Terms
    tolerance_years: float = Field(default=1.0, ge=0)

    @field_validator("patterns")
    @classmethod
    def _age_group(cls, patterns: Terms) -> Terms:
        for pattern in patterns.terms:
            if "age" not in re.compile(pattern).groupindex:
                raise ValueError(f"pattern {pattern!r} has no group named 'age'")
        return patterns


class CheckRules(RuleFile):
    """``checks.json``: laterality, sex and age mismatch wording (issue 16)."""

    file_name: ClassVar[str] = "checks.json"
    description: str = ""
    sentence_boundary: str
    family: Terms
    laterality: LateralityChecks
    sex: SexChecks
    age: AgeChecks

    @field_validator("sentence_boundary")
    @classmethod
    def _boundary(cls, pattern: str) -> str:
        return check_regex(pattern)
