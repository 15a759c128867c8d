"""docs/fhir.md shows a Bundle; keep it equal to what the code produces."""

from __future__ import annotations

import json
import re
from pathlib import Path

from radfollow.fhir import build_bundle

DOC = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"


def test_docs_example_is_current(report_factory, result_factory):
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert json.loads(blocks[-1]) == build_bundle(report_factory(), result_factory())
