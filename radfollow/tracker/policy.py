"""The tracker's policy (``rules/tracker.json``): windows, grace, what fulfils what.

Rules come from :mod:`radfollow.rules` (never from ``radfollow.nlp``: opening
the tracker must not import spaCy): ``tracker.json`` and the body regions of
``recommendations.json``, each a site's file when its rules folder has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from radfollow.due import due_window
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import RecommendationRules, TrackerPolicy

__all__ = ["Policy", "TrackerPolicy", "Window"]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    source: str  # "report" (an interval was stated) or "default"


class Policy:
    """Policy decisions, with the study-region reader built once.

    ``rules_dir``: a site's rules folder; its ``tracker.json`` and
    ``recommendations.json`` replace the packaged ones. Raises RuleFileError
    when a file is invalid or ``rules_dir`` is not a folder.
    """

    def __init__(self, *, rules_dir: str | Path | None = None) -> None:
        self.rules = load_rules(TrackerPolicy, rules_dir)
        regions = load_rules(RecommendationRules, rules_dir).body_regions
        self._regions = [(r.region, re.compile(r.pattern, re.IGNORECASE)) for r in regions]

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.rules.grace_days)

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

    def study_region(self, procedure: str | None) -> str | None:
        if not procedure:
            return None
        found = [
            (m.start(), -len(m.group()), region)
            for region, rx in self._regions
            if (m := rx.search(procedure))
        ]
        return min(found)[2] if found else None  # earliest, then longest match

    def modality_fulfils(self, recommended: str, study: str | None) -> bool:
        return study is not None and study in self.rules.fulfilled_by.get(recommended, [])

    def region_covers(self, study_region: str | None, recommended: str | None) -> bool:
        if recommended is None:
            return True
        if study_region is None:
            return False
        return recommended == study_region or recommended in self.rules.region_covers.get(
            study_region, []
        )
