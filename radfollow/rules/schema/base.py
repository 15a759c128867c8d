"""What every rule-file model shares: strict, frozen, and its packaged file name."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

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
