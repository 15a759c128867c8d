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


def test_site_additions_file_adds_wording_to_the_packaged_rules(tmp_path: Path) -> None:
    additions = {
        "triggers": [
            {"name": "site_kindly", "pattern": "\\bkindly\\s+arrange\\b", "conditional": False}
        ]
    }
    (tmp_path / "recommendations.additions.json").write_text(json.dumps(additions))
    text = "IMPRESSION: Kindly arrange a CT of the chest."
    site = Extractor(config=PipelineConfig(rules_dir=tmp_path, classifier=False))
    packaged = Extractor(config=PipelineConfig(classifier=False))
    assert [r.modality for r in site.extract(ReportText(text)).recommendations] == ["CT"]
    assert packaged.extract(ReportText(text)).recommendations == []
    # the packaged triggers are all still there
    assert site.extract(ReportText("IMPRESSION: Recommend MRI of the pelvis.")).recommendations


@pytest.mark.parametrize(
    ("base", "additions", "merged"),
    [
        pytest.param({"a": [1]}, {"a": [2]}, {"a": [1, 2]}, id="list-appended"),
        pytest.param({"a": {"x": 1}}, {"a": {"y": 2}}, {"a": {"x": 1, "y": 2}}, id="object-merged"),
        pytest.param({"a": {"x": 1}}, {"a": {"x": 3}}, {"a": {"x": 3}}, id="value-replaced"),
        pytest.param({"a": 1}, {"b": 2}, {"a": 1, "b": 2}, id="new-key"),
    ],
)
def test_merge_additions(base: dict, additions: dict, merged: dict) -> None:  # type: ignore[type-arg]
    from radfollow.rules.loader import merge_additions

    assert merge_additions(base, additions) == merged


def test_additions_apply_on_top_of_a_site_replacement_file(tmp_path: Path) -> None:
    from radfollow.rules.loader import load_rules
    from radfollow.rules.schema import RecommendationRules

    data = json.loads(packaged_rule_file(RecommendationRules).read_text())
    data["triggers"] = data["triggers"][:1]
    (tmp_path / "recommendations.json").write_text(json.dumps(data))
    extra = {"triggers": [{"name": "site_x", "pattern": "\\bsite\\b", "conditional": False}]}
    (tmp_path / "recommendations.additions.json").write_text(json.dumps(extra))
    rules = load_rules(RecommendationRules, tmp_path)
    assert [t.name for t in rules.triggers] == [data["triggers"][0]["name"], "site_x"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("[]", "must hold a JSON object", id="not-an-object"),
        pytest.param('{"triggers": [{"name": "x"}]}', "triggers", id="fails-the-schema"),
        pytest.param("{", "not valid JSON", id="not-json"),
    ],
)
def test_bad_additions_file_names_itself(tmp_path: Path, content: str, message: str) -> None:
    from radfollow.rules.loader import load_rules
    from radfollow.rules.schema import RecommendationRules

    path = tmp_path / "recommendations.additions.json"
    path.write_text(content)
    with pytest.raises(RuleFileError, match=message) as info:
        load_rules(RecommendationRules, tmp_path)
    assert info.value.where == str(path)
