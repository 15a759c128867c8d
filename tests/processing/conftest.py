"""Fixtures of the processing-core tests."""

from __future__ import annotations

import pytest

from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.core import ProcessingOptions


@pytest.fixture(scope="session")
def rules_only() -> ProcessingOptions:
    """Processing with the rule pipeline (no classifier): fast and enough here."""
    return ProcessingOptions(pipeline=PipelineConfig(classifier=False))
