"""The tracker's policy (``rules/tracker.json``): windows, grace, what fulfils what.

Rules come from :mod:`radfollow.rules` (never from ``radfollow.nlp``: opening
the tracker must not import spaCy): ``tracker.json`` and ``procedures.json``,
each a site's file when its rules folder has one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from radfollow.due import due_window
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import ProcedureRules, TrackerPolicy
from radfollow.tracker.procedures import ProcedureInfo, read_procedure

__all__ = ["Policy", "ProcedureInfo", "TrackerPolicy", "Window"]

#: The mean Gregorian month in days (365.25 / 12), as in radfollow.due.
DAYS_PER_MONTH = 30.4375
#: Procedures whose reading a Policy remembers.
_REMEMBERED = 20_000


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    source: str  # "report" (an interval was stated) or "default"


class Policy:
    """Policy decisions, with the procedure reader and the region hierarchy built once.

    ``rules_dir``: a site's rules folder; its ``tracker.json`` and
    ``procedures.json`` replace the packaged ones. Raises RuleFileError when a
    file is invalid or ``rules_dir`` is not a folder.
    """

    def __init__(self, *, rules_dir: str | Path | None = None) -> None:
        self.rules = load_rules(TrackerPolicy, rules_dir)
        self.procedures = load_rules(ProcedureRules, rules_dir)
        self._covers = _closure(self.rules.region_covers)
        self._read: dict[tuple[str | None, str | None, str | None], ProcedureInfo] = {}

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.rules.grace_days)

    @property
    def coming_due(self) -> timedelta:
        """How long before its window opens a recommendation is ``coming_due``."""
        return timedelta(days=self.rules.coming_due_days)

    def window(
        self, observed_at: datetime, interval: tuple[float, float] | None, modality: str | None
    ) -> Window:
        if interval is not None:
            source, months = "report", interval
        else:
            windows = self.rules.default_windows_months
            source, months = "default", windows.get(modality or "null", windows["null"])
        bounds = due_window(observed_at, (float(months[0]), float(months[1])))
        if bounds is None:  # pragma: no cover - an interval was given
            raise ValueError("no due window")
        return Window(bounds[0], bounds[1], source)

    def procedure(
        self, text: str | None, code: str | None = None, modality: str | None = None
    ) -> ProcedureInfo:
        """What a procedure is (rules/procedures.json); see radfollow.tracker.procedures.
        Remembered (a site has a few thousand procedure names at most)."""
        key = (text, code, modality)
        info = self._read.get(key)
        if info is None:
            if len(self._read) >= _REMEMBERED:
                self._read.clear()
            info = self._read[key] = read_procedure(self.procedures, text, code, modality)
        return info

    def study_region(self, procedure: str | None) -> str | None:
        """The first body region ``procedure`` names; None when it names none known."""
        return self.procedure(procedure).region

    def minimum_delay(self, interval_min: float | None) -> timedelta:
        """How long after the recommending study a study must come to count.

        ``minimum_delay_fraction`` x the interval's lower bound in days (months x
        30.4375, rounded down), at least ``minimum_delay_days`` when the lower
        bound is above 0; 0 without an interval or with a lower bound of 0.
        """
        if not interval_min or interval_min <= 0:
            return timedelta(0)
        days = math.floor(self.rules.minimum_delay_fraction * interval_min * DAYS_PER_MONTH)
        return timedelta(days=max(days, self.rules.minimum_delay_days))

    @property
    def early(self) -> timedelta:
        return timedelta(days=self.rules.early_days)

    def manual_only(self, modality: str | None) -> bool:
        """Recommended kinds no study completes (consult, lab, procedure, other)."""
        return modality is not None and modality in self.rules.manual_only

    def biopsy_fulfils(self, modality: str | None) -> bool:
        return modality is not None and modality in self.rules.biopsy_fulfils

    def modality_fulfils(self, recommended: str, study: str | None) -> bool:
        return study is not None and study in self.rules.fulfilled_by.get(recommended, [])

    def region_covers(self, study_region: str | None, recommended: str | None) -> bool:
        """Whether ``study_region`` is ``recommended`` or contains it in the hierarchy."""
        if recommended is None:
            return True
        if study_region is None:
            return False
        return recommended == study_region or recommended in self._covers.get(study_region, ())

    def partly_covers(self, study_region: str | None, recommended: str | None) -> bool:
        """Whether ``study_region`` may have shown ``recommended`` only in part
        (``partial_regions``: a right upper quadrant ultrasound and the kidney)."""
        if study_region is None or recommended is None:
            return False
        return recommended in self.rules.partial_regions.get(study_region, ())

    def known_regions(self) -> list[str]:
        """Every region the procedure table or the hierarchy names, sorted."""
        names = {r.region for r in self.procedures.regions} | set(self._covers)
        names |= {p for parts in self.rules.partial_regions.values() for p in parts}
        for parts in self._covers.values():
            names |= parts
        return sorted(names)


def _closure(parts: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """Each region's parts, their parts, and so on (cycles are harmless)."""
    result: dict[str, frozenset[str]] = {}
    for region in parts:
        seen: set[str] = set()
        stack = list(parts[region])
        while stack:
            part = stack.pop()
            if part not in seen:
                seen.add(part)
                stack.extend(parts.get(part, ()))
        seen.discard(region)
        result[region] = frozenset(seen)
    return result
