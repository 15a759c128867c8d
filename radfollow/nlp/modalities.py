"""The recommended modality of a sentence and its acceptable alternatives.

Rules: ``actions`` and ``modality_choice`` of recommendations.json
(ANNOTATION.md section 1, ``modality``; issue 12 adds ``modality_options``).
"Compared with the prior CT, MRI is recommended" recommends MR; "CT or MRI"
gives the options (CT, MR); "MRI, compared with the prior CT" gives (MR,).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from radfollow.models import Modality
from radfollow.rules.schema import ActionRule, ModalityChoice

#: How far back ``not_after`` looks from a modality word, in characters.
_LOOK_BACK = 80


@dataclass(frozen=True)
class Mention:
    """One action word of a sentence: its character span and its modality (None: generic)."""

    start: int
    end: int
    modality: Modality | None


class ModalityReader:
    """Finds action words and chooses the recommended modality and its alternatives."""

    def __init__(self, actions: list[ActionRule], choice: ModalityChoice | None) -> None:
        flags = re.IGNORECASE
        self._actions = [(a.modality, re.compile(a.pattern, flags)) for a in actions]
        self._not_after = re.compile(choice.not_after, flags) if choice else None
        self._connector = re.compile(choice.connector, flags) if choice else None
        self._listed = re.compile(choice.listed, flags) if choice else None
        self._max_gap = choice.max_gap if choice else 0

    def mentions(self, text: str) -> list[Mention]:
        """The action words of ``text`` in order, none inside another.

        Where two overlap, the one that starts first wins, then the longer, then
        the earlier rule ("surgery consultation" is a consultation, "PET/CT" one
        PET, "fine needle aspiration" a biopsy).
        """
        found = sorted(
            (m.start(), -m.end(), k, modality)
            for k, (modality, regex) in enumerate(self._actions)
            for m in regex.finditer(text)
            if m.end() > m.start()
        )
        kept: list[Mention] = []
        for start, neg_end, _, modality in found:
            if kept and start < kept[-1].end:
                continue
            kept.append(Mention(start, -neg_end, modality))
        return kept

    def choose(self, text: str, mentions: list[Mention]) -> tuple[tuple[Modality, ...], int]:
        """The recommended modality and its alternatives in order, and where the first starts.

        The first named modality that does not name an earlier or the current
        exam (else the first named one), then each later one that the text
        between it and the previous option links as an alternative; the chain
        stops at the first that is not. ``((), 0)`` when none is named.
        """
        named = [m for m in mentions if m.modality is not None]
        if not named:
            return (), 0
        fresh = [m for m in named if not self._names_another_exam(text, m)]
        first = fresh[0] if fresh else named[0]
        chain = self._chain(text, named[named.index(first) :])
        return tuple(dict.fromkeys(m.modality for m in chain if m.modality)), first.start

    def _names_another_exam(self, text: str, mention: Mention) -> bool:
        if self._not_after is None:
            return False
        before = text[max(0, mention.start - _LOOK_BACK) : mention.start]
        return self._not_after.search(before) is not None

    def _chain(self, text: str, named: list[Mention]) -> list[Mention]:
        chain = [named[0]]
        pending: list[Mention] = []
        if self._connector is None or self._listed is None:
            return chain
        for previous, mention in pairwise(named):
            gap = text[previous.end : mention.start]
            if len(gap) > self._max_gap or self._names_another_exam(text, mention):
                break
            if self._connector.search(gap):
                chain.extend(pending)
                chain.append(mention)
                pending = []
            elif self._listed.search(gap):
                pending.append(mention)
            else:
                break
        return chain
