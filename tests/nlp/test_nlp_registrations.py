from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

from radfollow.nlp import registrations
from radfollow.nlp.extract import Extractor, ReportText

SNAPSHOT = (
    "radfollow_sectionizer_v1",
    "radfollow_sentences_v1",
    "radfollow_targets_v1",
    "radfollow_finding_typer_v1",
    "radfollow_context_v1",
    "radfollow_assertion_v1",
    "radfollow_anatomy_v1",
    "radfollow_incidental_v1",
    "radfollow_recommendation_rules_v1",
    "radfollow_recommendation_selector_v1",
)

TEXT = (
    "INDICATION: Trauma.\nFINDINGS: 6 mm nodule in the right upper lobe. No adrenal mass.\n"
    "IMPRESSION: Recommend follow-up CT chest in 6-12 months."
)


def test_registered_factory_names() -> None:
    assert registrations.REGISTERED == SNAPSHOT
    for name in SNAPSHOT:
        assert Language.has_factory(name)


def test_pipeline_order(extractor) -> None:  # type: ignore[no-untyped-def]
    assert tuple(extractor.nlp.pipe_names) == SNAPSHOT


def test_save_load_round_trip(extractor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    extractor.nlp.to_disk(tmp_path / "pipeline")
    assert (tmp_path / "pipeline" / "radfollow_targets_v1" / "rules.json").is_file()
    loaded = Extractor(spacy.load(tmp_path / "pipeline"))
    report = ReportText(TEXT)
    assert loaded.extract(report) == extractor.extract(report)
