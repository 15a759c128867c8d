"""Case-insensitive yes/no regex tests that avoid ``re.IGNORECASE`` where they can.

CPython's ``re`` runs a long alternation about three times slower with
IGNORECASE. For an ASCII pattern with no upper-case letters outside its
escapes (``\\W``, ``\\S``, ...), no escapes that name a character by number,
and no inline flags, searching lower-cased ASCII text without the flag gives
the same answer, so that is what ``Caseless.test`` does; any other pattern or
text (Unicode case folding: the long s, U+017F, matches "s" under IGNORECASE)
uses the flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ESCAPE = re.compile(r"\\.")
_UPPER = re.compile(r"[A-Z]")
#: Escapes that name a character by number, and inline flag groups.
_UNSAFE = re.compile(r"\\(?:x|u|U|N|0|[1-7][0-7]{2})|\(\?[aiLmsux-]+[:)]")


def case_safe(pattern: str) -> bool:
    """True when ``pattern`` finds in lower-cased ASCII text what IGNORECASE finds in any case."""
    if not pattern.isascii() or _UNSAFE.search(pattern):
        return False
    return _UPPER.search(_ESCAPE.sub("", pattern)) is None


class Caseless:
    """One case-insensitive pattern, for searches whose position is not needed."""

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern, re.IGNORECASE)
        self._lowered = re.compile(pattern) if case_safe(pattern) else None

    def test(self, text: str, lowered: str | None = None) -> bool:
        """Whether the pattern occurs in ``text`` (``lowered``: ``text.lower()``, if at hand)."""
        if self._lowered is None or not text.isascii():
            return self.regex.search(text) is not None
        return self._lowered.search(text.lower() if lowered is None else lowered) is not None

    def starts(self, text: str) -> list[int]:
        """Offsets in ``text`` where the pattern matches (lower-casing ASCII keeps them)."""
        if self._lowered is None or not text.isascii():
            return [m.start() for m in self.regex.finditer(text)]
        return [m.start() for m in self._lowered.finditer(text.lower())]


class CaselessAny:
    """Whether any of several case-insensitive patterns occurs (``Caseless`` of their union).

    Patterns anchored at the start (``^...``) are searched apart from the
    others: one anchored branch in a long alternation makes CPython's ``re``
    try every branch at every position (measured on Open-i's sentences: the
    recommendation triggers took 638 ms as one alternation, 114 ms split).
    """

    def __init__(self, patterns: list[str]) -> None:
        """``patterns``: regular expressions; none at all never match."""
        anchored = [p for p in patterns if p.startswith("^")]
        floating = [p for p in patterns if not p.startswith("^")]
        self._parts = [Caseless(union(group)) for group in (floating, anchored) if group]

    def test(self, text: str, lowered: str | None = None) -> bool:
        """Whether one of the patterns occurs in ``text`` (``lowered``: ``text.lower()``)."""
        lowered = text.lower() if lowered is None else lowered
        return any(part.test(text, lowered) for part in self._parts)


def whole_words(terms: Iterable[str]) -> str:
    """A pattern for any of the literal ``terms`` as whole words, longest first."""
    words = sorted({t.lower() for t in terms}, key=len, reverse=True)
    return r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)" if words else "(?!)"


def union(patterns: Iterable[str]) -> str:
    """One alternation of ``patterns``; a pattern that never matches when there are none."""
    return "|".join(f"(?:{p})" for p in patterns) or "(?!)"
