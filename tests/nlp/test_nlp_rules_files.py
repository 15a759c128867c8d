"""Rule files are data: every packaged file validates, bad files fail with their name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radfollow.errors import RuleFileError
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.nlp.ruleset import DEFAULT_FILES, default_rule_path, load_rules


@pytest.mark.parametrize("model", list(DEFAULT_FILES), ids=lambda m: DEFAULT_FILES[m])
def test_packaged_rules_validate(model) -> None:  # type: ignore[no-untyped-def]
    assert load_rules(model) is not None


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        ("targets.json", lambda d: d["target_rules"][0].update(colour="red"), "Extra inputs"),
        (
            "targets.json",
            lambda d: d["target_rules"][0].update(category="spleen"),
            "unknown category",
        ),
        ("context.json", lambda d: d["context_rules"][0].update(direction="SIDEWAYS"), "direction"),
        ("recommendations.json", lambda d: d["triggers"][0].update(pattern="(unclosed"), "regular"),
    ],
)
def test_bad_rule_file_is_rejected(tmp_path: Path, name: str, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(default_rule_path(name).read_text())
    mutate(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    model = next(m for m, f in DEFAULT_FILES.items() if f == name)
    with pytest.raises(RuleFileError, match=message) as info:
        load_rules(model, path)
    assert str(path) in str(info.value)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    model = next(iter(DEFAULT_FILES))
    with pytest.raises(RuleFileError, match="not found"):
        load_rules(model, tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(RuleFileError, match="not valid JSON"):
        load_rules(model, tmp_path / "bad.json")


def test_site_rules_folder_overrides_a_file(tmp_path: Path) -> None:
    data = json.loads(default_rule_path("targets.json").read_text())
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
