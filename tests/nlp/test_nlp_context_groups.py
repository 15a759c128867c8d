"""ConText by groups of touching scopes gives stock medspaCy ConText's edges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from radfollow.nlp.medspacy_wrappers import grouped_context
from radfollow.nlp.registrations import CONTEXT

GOLD = Path(__file__).resolve().parents[2] / "corpora" / "gold" / "dev.jsonl"
EXTRA = [
    "No nodule, no mass. There is no evidence of effusion but there is a 5 mm nodule.",
    "Possible 4 mm nodule versus scar\nno adrenal mass or nodule\nHistory of renal cyst.",
    "FINDINGS: " + "No pulmonary nodule. 6 mm nodule in the right lower lobe. " * 40,
]


def _texts() -> list[str]:
    rows = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    return [r["text"] for r in rows] + EXTRA


def _until_context(nlp: Language, text: str) -> Doc:
    doc = nlp.make_doc(text)
    for name, pipe in nlp.pipeline:
        if name == CONTEXT:
            return doc
        doc = pipe(doc)
    raise AssertionError("no ConText in the pipeline")


def _edges(doc: Doc) -> list[tuple[int, int, tuple[int, int], str]]:
    return [
        (target.start, target.end, modifier.modifier_span, modifier.category)
        for target, modifier in doc._.context_graph.edges
    ]


@pytest.mark.parametrize("text", _texts())
def test_grouped_context_matches_stock(extractor, text: str) -> None:  # type: ignore[no-untyped-def]
    nlp = extractor.nlp
    stock = nlp.get_pipe(CONTEXT)._context
    expected = stock(_until_context(nlp, text))
    grouped = grouped_context(stock, _until_context(nlp, text))
    assert _edges(grouped) == _edges(expected)
    assert [m.modifier_span for m in grouped._.context_graph.modifiers] == [
        m.modifier_span for m in expected._.context_graph.modifiers
    ]
    assert [[(m.modifier_span, m.category) for m in ent._.modifiers] for ent in grouped.ents] == [
        [(m.modifier_span, m.category) for m in ent._.modifiers] for ent in expected.ents
    ]
