"""Model of ``critical.json``: critical-result categories and communication wording (issue 17).

Every list carries its ``description`` and ``source``. Terms are regular
expressions matched case-insensitively on whole words (``\\b`` is added on both
sides); patterns with named groups say which groups they must have.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from radfollow.models import CommunicationMethod, CriticalTier, RecipientRole
from radfollow.rules.schema.base import STRICT, RuleFile, check_regex
from radfollow.rules.schema.checks import Terms

#: A list of regular expressions with its purpose (description) and origin (source).
CueTerms = Terms


class CriticalCategory(BaseModel):
    """One category of critical or actionable finding."""

    model_config = STRICT
    id: str = Field(pattern=r"^[a-z_]+$")
    label: str
    gate: tuple[str, ...] = Field(
        min_length=1,
        description="Lower-case substrings one of which every match of the terms contains:"
        " a report without any skips the category's regular expressions (speed only).",
    )
    tier: CriticalTier
    acr_category: int = Field(ge=1, le=3)
    source: str
    terms: tuple[str, ...] = Field(default=(), description="Words that state the finding.")
    possible_terms: tuple[str, ...] = Field(
        default=(), description="Words that raise it as suspected ('suspicious for'): possible."
    )
    exclude: tuple[str, ...] = Field(
        default=(), description="Words in the sentence that make a match not this finding."
    )
    not_if_indication: tuple[str, ...] = Field(
        default=(),
        description="Words in the indication or history that make it expected, not unexpected.",
    )

    @field_validator("gate")
    @classmethod
    def _lower(cls, gate: tuple[str, ...]) -> tuple[str, ...]:
        if any(g != g.lower() or not g for g in gate):
            raise ValueError("gate substrings must be lower-case and not empty")
        return gate

    @field_validator("terms", "possible_terms", "exclude", "not_if_indication")
    @classmethod
    def _valid(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        for term in terms:
            if re.compile(check_regex(term)).groupindex:
                raise ValueError(f"term {term!r} has a named group (terms are joined)")
        return terms

    @model_validator(mode="after")
    def _some_terms(self) -> CriticalCategory:
        if not self.terms and not self.possible_terms:
            raise ValueError(f"category {self.id!r} has no terms nor possible_terms")
        return self


class RoleTerms(BaseModel):
    model_config = STRICT
    role: RecipientRole
    terms: tuple[str, ...] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _valid(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(term) for term in terms)


class MethodTerms(BaseModel):
    model_config = STRICT
    method: CommunicationMethod
    terms: tuple[str, ...] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _valid(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(term) for term in terms)


def _groups(patterns: CueTerms, required: set[str]) -> CueTerms:
    for pattern in patterns.terms:
        missing = required - set(re.compile(pattern).groupindex)
        if missing:
            raise ValueError(f"pattern {pattern!r} lacks group(s) {sorted(missing)}")
    return patterns


class CommunicationRules(BaseModel):
    """What makes a sentence document that results were conveyed, and its attributes."""

    model_config = STRICT
    gate: tuple[str, ...] = Field(
        min_length=1,
        description="Lower-case substrings one of which every communication sentence"
        " contains: other sentences are not read further (speed only).",
    )
    strong_verbs: CueTerms
    weak_verbs: CueTerms
    results_nouns: CueTerms
    results_words: CueTerms
    recipients: CueTerms
    system_notices: CueTerms
    exclude: CueTerms
    future: CueTerms
    future_window_words: int = Field(default=4, ge=0, le=10)
    #: Sections whose sentences are not this exam's communication (history, comparison).
    skip_sections: tuple[str, ...] = ("indication", "comparison", "technique", "exam")
    roles: tuple[RoleTerms, ...] = Field(min_length=1)
    methods: tuple[MethodTerms, ...] = Field(min_length=1)
    names: CueTerms
    acknowledged: CueTerms
    times: CueTerms
    dates: CueTerms

    @field_validator("times")
    @classmethod
    def _time_groups(cls, value: CueTerms) -> CueTerms:
        return _groups(value, {"hour"})

    @field_validator("dates")
    @classmethod
    def _date_groups(cls, value: CueTerms) -> CueTerms:
        return _groups(value, {"year", "month", "day"})


class CriticalRules(RuleFile):
    """``critical.json``: critical-result categories, newness cues and communication wording."""

    file_name: ClassVar[str] = "critical.json"
    description: str
    categories: tuple[CriticalCategory, ...] = Field(min_length=1)
    not_new: CueTerms
    escalation: CueTerms
    not_affirmed_before: CueTerms
    terminators: CueTerms
    not_affirmed_window: int = Field(default=12, ge=1, le=40)
    window_words: int = Field(default=6, ge=1, le=20)
    skip_sections: tuple[str, ...] = ("indication", "technique", "comparison", "exam")
    assertions: tuple[Literal["present", "possible"], ...] = ("present", "possible")
    communication: CommunicationRules

    @field_validator("categories")
    @classmethod
    def _unique(cls, categories: tuple[CriticalCategory, ...]) -> tuple[CriticalCategory, ...]:
        ids = [c.id for c in categories]
        if len(ids) != len(set(ids)):
            raise ValueError("category ids must be unique")
        return categories
