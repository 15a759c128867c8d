"""A site's rules folder reaches the pipeline: its file replaces the packaged one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radfollow.errors import RuleFileError
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.rules.loader import packaged_rule_file
from radfollow.rules.schema import TargetRules


def test_site_rules_folder_overrides_a_file(tmp_path: Path) -> None:
    data = json.loads(packaged_rule_file(TargetRules).read_text())
    data["target_rules"].append(
        {
            "literal": "hamartoma",
            "category": "pulmonary_nodule",
            "pattern": [{"LOWER": "hamartoma"}],
        }
    )
    (tmp_path / "targets.json").write_text(json.dumps(data))
    site = Extractor(config=PipelineConfig(rules_dir=tmp_path, classifier=False))
    text = "Pulmonary hamartoma in the right lower lobe."
    assert [f.type.value for f in site.extract(ReportText(text)).findings] == ["pulmonary_nodule"]
    assert (
        Extractor(config=PipelineConfig(classifier=False)).extract(ReportText(text)).findings == []
    )


@pytest.mark.parametrize(
    ("present", "expected"),
    [(True, "sections.json"), (False, None)],
    ids=["site-file", "packaged"],
)
def test_rule_path_looks_in_the_rules_folder(
    tmp_path: Path, present: bool, expected: str | None
) -> None:
    if present:
        (tmp_path / "sections.json").write_text("{}")
    path = PipelineConfig(rules_dir=tmp_path).rule_path("sections.json")
    assert path == (str(tmp_path / expected) if expected else None)


def test_bad_rules_folder_fails_the_pipeline_build(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="rules folder not found"):
        Extractor(config=PipelineConfig(rules_dir=tmp_path / "nope", classifier=False))
