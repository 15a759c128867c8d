"""Shared fixtures: one pipeline per test session, built from the packaged rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
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
