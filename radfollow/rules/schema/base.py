"""What every rule-file model shares: strict, frozen, and its packaged file name."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

#: Unknown keys are errors (a typo in a site's file must not do nothing); loaded
#: rules are shared by every caller, so they are frozen (STYLE.md #4).
STRICT = ConfigDict(extra="forbid", frozen=True)


class RuleFile(BaseModel):
    """Base of the model of one whole rule file.

    ``file_name`` is the file's name under ``radfollow/rules/`` and the name a
    site's file must have in its rules folder to replace the packaged one.
    """

    model_config = STRICT
    file_name: ClassVar[str]


def check_regex(pattern: str) -> str:
    """``pattern`` unchanged; ValueError when it is not a valid regular expression."""
    try:
        re.compile(pattern)
    except re.error as err:
        raise ValueError(f"invalid regular expression {pattern!r}: {err}") from err
    return pattern


_NON_WORD = re.compile(r"[^A-Z0-9*]+")


def keyword_text(text: str) -> str:
    """Upper-cased text with punctuation as single spaces, padded with spaces, the form
    :class:`KeywordRule` keywords are looked up in ("CT ABD/PELVIS" -> " CT ABD PELVIS ")."""
    return f" {_NON_WORD.sub(' ', text.upper()).strip()} "


class KeywordRule(BaseModel):
    """Keywords matched on whole words of :func:`keyword_text`; a trailing ``*`` matches
    the start of a word (``MAMMO*``). Used by modalities.json and procedures.json."""

    model_config = STRICT
    keywords: tuple[str, ...]

    @field_validator("keywords")
    @classmethod
    def _normalise(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(keyword_text(k).strip() for k in keywords)
        for keyword in cleaned:
            if not keyword.rstrip("*") or "*" in keyword.rstrip("*"):
                raise ValueError(f"bad keyword {keyword!r}: '*' is allowed only at the end")
        return tuple(sorted(cleaned, key=len, reverse=True))  # longest first, for find

    def find(self, words: str) -> str | None:
        """The longest keyword found in ``words`` (output of :func:`keyword_text`), as
        it stands there (a ``*`` keyword: the whole word); None when none is."""
        for keyword in self.keywords:
            if keyword.endswith("*"):
                at = words.find(f" {keyword[:-1]}")
                if at >= 0:
                    return words[at : words.index(" ", at + 1)].strip()
            elif f" {keyword} " in words:
                return keyword
        return None

    def matches(self, words: str) -> bool:
        """Whether a keyword occurs in ``words`` (the output of :func:`keyword_text`)."""
        return self.find(words) is not None
