from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from radfollow.nlp import registrations
from radfollow.nlp.extract import Extractor, ReportText

SNAPSHOT = (
    "radfollow_sectionizer_v1",
    "radfollow_sentences_v2",
    "radfollow_targets_v1",
    "radfollow_finding_typer_v1",
    "radfollow_context_v1",
    "radfollow_assertion_v1",
    "radfollow_anatomy_v1",
    "radfollow_attributes_v1",
    "radfollow_incidental_v1",
    "radfollow_recommendation_rules_v1",
    "radfollow_recommendation_classifier_v1",
    "radfollow_recommendation_selector_v1",
    "radfollow_critical_v1",
    "radfollow_communication_v1",
)

TEXT = (
    "INDICATION: Trauma.\nFINDINGS: 6 mm nodule in the right upper lobe. No adrenal mass.\n"
    "IMPRESSION: Recommend follow-up CT chest in 6-12 months."
)


def test_registered_factory_names() -> None:
    assert registrations.REGISTERED == SNAPSHOT
    for name in SNAPSHOT:
        assert Language.has_factory(name)


def test_pipeline_order(extractor, full_extractor) -> None:  # type: ignore[no-untyped-def]
    assert tuple(full_extractor.nlp.pipe_names) == SNAPSHOT
    rules_only = tuple(n for n in SNAPSHOT if n != "radfollow_recommendation_classifier_v1")
    assert tuple(extractor.nlp.pipe_names) == rules_only


@pytest.mark.parametrize("which", ["extractor", "full_extractor"])
def test_save_load_round_trip(which: str, request, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    extractor = request.getfixturevalue(which)
    extractor.nlp.to_disk(tmp_path / "pipeline")
    assert (tmp_path / "pipeline" / "radfollow_targets_v1" / "rules.json").is_file()
    loaded = Extractor(spacy.load(tmp_path / "pipeline"))
    report = ReportText(TEXT)
    assert loaded.extract(report) == extractor.extract(report)


def test_default_pipeline_runs_the_rules_alone() -> None:
    """docs/classifier.md: the classifier did not beat the rules on real reports."""
    from radfollow.nlp.pipeline import CLASSIFIER_BY_DEFAULT, PipelineConfig

    assert CLASSIFIER_BY_DEFAULT is False
    assert PipelineConfig().classifier is False
