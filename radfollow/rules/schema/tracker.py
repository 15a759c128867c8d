"""Model of ``tracker.json``: the follow-up tracker's windows, grace and matching."""

from __future__ import annotations

from typing import ClassVar

from radfollow.rules.schema.base import RuleFile


class TrackerPolicy(RuleFile):
    file_name: ClassVar[str] = "tracker.json"
    description: str = ""
    grace_days: int
    default_windows_months: dict[str, tuple[float, float]]
    fulfilled_by: dict[str, list[str]]
    region_covers: dict[str, list[str]]
