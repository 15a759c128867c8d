"""Shared fixtures: one pipeline per test session, built from the packaged rules."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Nothing may download at run time: the tests run offline, and the classifier's
# ONNX exports go to a cache of this test session.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("RADFOLLOW_CACHE", tempfile.mkdtemp(prefix="radfollow-test-cache-"))

import pytest

from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    """The rule pipeline (no classifier): what the rule tests check."""
    return Extractor(config=PipelineConfig(classifier=False))


@pytest.fixture(scope="session")
def full_extractor() -> Extractor:
    """The default pipeline, classifier included."""
    return Extractor()


@pytest.fixture(scope="session")
def run(extractor: Extractor):  # type: ignore[no-untyped-def]
    def _run(
        text: str, indication: str | None = None, procedure: str | None = None
    ) -> ExtractionResult:
        return extractor.extract(ReportText(text, indication, procedure))

    return _run


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/corpora is absent")
    return SHARED
