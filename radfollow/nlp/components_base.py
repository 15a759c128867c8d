"""Shared plumbing for rule-file-driven components: save and load with the pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from radfollow.rules.loader import load_rule_file
from radfollow.rules.schema import RuleFile


class RuleFileComponent:
    """A component configured by one validated rule file.

    ``to_disk`` writes the rules it runs with next to the pipeline, and
    ``from_disk`` reloads them, so a saved pipeline carries its own rules.
    """

    rules_model: ClassVar[type[RuleFile]]
    rules: Any

    def _load(self, path: str | Path | None) -> None:
        self.rules = load_rule_file(self.rules_model, path)
        self._compile()

    def _compile(self) -> None:
        """Build matchers and regexes from ``self.rules``; subclasses override."""

    def to_disk(self, path: str | Path, *, exclude: tuple[str, ...] = ()) -> None:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        payload = self.rules.model_dump(mode="json")
        (folder / "rules.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: tuple[str, ...] = ()) -> RuleFileComponent:
        self._load(Path(path) / "rules.json")
        return self
