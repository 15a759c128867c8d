"""Case-insensitive yes/no regex tests that avoid ``re.IGNORECASE`` where they can.

CPython's ``re`` runs a long alternation about three times slower with
IGNORECASE. When a pattern has no upper-case letters outside escapes
(``\\W``, ``\\S``, ...), searching the lower-cased text without the flag gives
the same answer, so that is what ``Caseless.test`` does.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\.")
_UPPER = re.compile(r"[A-Z]")


def case_safe(pattern: str) -> bool:
    """True when ``pattern`` matches lower-cased text as it matches any case with IGNORECASE."""
    return _UPPER.search(_ESCAPE.sub("", pattern)) is None


class Caseless:
    """One case-insensitive pattern, for searches whose position is not needed."""

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern, re.IGNORECASE)
        self._lowered = re.compile(pattern) if case_safe(pattern) else None

    def test(self, text: str, lowered: str | None = None) -> bool:
        """Whether the pattern occurs in ``text`` (``lowered``: ``text.lower()``, if at hand)."""
        if self._lowered is None:
            return self.regex.search(text) is not None
        return self._lowered.search(text.lower() if lowered is None else lowered) is not None
