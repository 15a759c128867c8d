"""The sentence-gated target matcher finds what medspaCy's TargetMatcher finds."""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from medspacy.target_matcher import TargetMatcher, TargetRule

from radfollow.nlp.target_gate import GatedTargetMatcher, rule_anchor

TEXTS = [
    "There is a 6 mm nodule in the right upper lobe.",
    "No nodules. Nodular opacity at the left base.\nMass-like opacity in the RLL.",
    "FINDINGS:\nMultinodular goiter. Enlarged right axillary lymph nodes.",
    "Clear lungs. No acute cardiopulmonary abnormality.",
    "",
    "   \n  ",
    "Bone island in the left iliac bone; mass effect on the ventricle.",
    "Lytic lesions of the spine and a 2 cm LEFT ADRENAL ADENOMA.",
]


@pytest.fixture(scope="module")
def target_rules(extractor) -> list[TargetRule]:  # type: ignore[no-untyped-def]
    return list(extractor.nlp.get_pipe("radfollow_targets_v1")._gated.rules)


def _reference(nlp: Any, rules: list[TargetRule], text: str) -> list[tuple[Any, ...]]:
    matcher = TargetMatcher(nlp, name="reference", rules=None)
    matcher.add(rules)
    doc = matcher(nlp(text))
    return _summary(doc)


def _summary(doc: Any) -> list[tuple[Any, ...]]:
    ents = [(s.start, s.end, s.label_, s._.target_rule.literal) for s in doc.ents]
    return [*ents, ("iob", tuple(t.ent_iob_ for t in doc))]


@pytest.mark.parametrize("text", TEXTS)
def test_gated_matches_equal_medspacy(extractor, target_rules, text: str) -> None:  # type: ignore[no-untyped-def]
    nlp = extractor.nlp
    gated = GatedTargetMatcher(nlp, target_rules)
    assert gated.enabled
    doc = nlp.make_doc(text)
    for name in ("radfollow_sectionizer_v1", "radfollow_sentences_v2"):
        doc = nlp.get_pipe(name)(doc)
    found = _summary(nlp.get_pipe("radfollow_targets_v1")(doc))
    with nlp.select_pipes(enable=["radfollow_sectionizer_v1", "radfollow_sentences_v2"]):
        assert found == _reference(nlp, target_rules, text)


@pytest.mark.parametrize(
    ("rule", "attr", "accepts", "rejects"),
    [
        (
            TargetRule("mass", "X", pattern=[{"LOWER": {"IN": ["mass", "masses"]}}]),
            "LOWER",
            "masses",
            "massive",
        ),
        (
            TargetRule("nodule", "X", pattern=[{"LOWER": {"REGEX": "^nodul(e|es)$"}}]),
            "LOWER",
            "nodules",
            "nodular",
        ),
        (TargetRule("AAA", "X", pattern=[{"TEXT": "AAA"}]), "TEXT", "AAA", "aaa"),
        (
            TargetRule(
                "lymph node", "X", pattern=[{"LOWER": "lymph", "OP": "?"}, {"LOWER": "node"}]
            ),
            "LOWER",
            "node",
            "lymph",
        ),
        (TargetRule("bone island", "X"), "LOWER", "bone", "island"),
        # a rule may name its rarer token for the gate (targets.json "gate_anchor")
        (
            TargetRule(
                "opacity suspicious for tumor",
                "X",
                pattern=[{"LOWER": "opacity"}, {"LOWER": "suspicious"}, {"LOWER": "tumor"}],
                metadata={"gate_anchor": 2},
            ),
            "LOWER",
            "tumor",
            "opacity",
        ),
    ],
)
def test_rule_anchor(rule: TargetRule, attr: str, accepts: str, rejects: str) -> None:
    found = rule_anchor(rule, spacy.blank("en"))
    assert found is not None
    assert found[0] == attr
    assert found[1].accepts(accepts)
    assert not found[1].accepts(rejects)


@pytest.mark.parametrize(
    "rule",
    [
        TargetRule("regex", "X", pattern=r"nodul\w+"),
        TargetRule(
            "optional only", "X", pattern=[{"LOWER": "small", "OP": "?"}, {"IS_ALPHA": True}]
        ),
        TargetRule("negated", "X", pattern=[{"LOWER": "mass", "OP": "!"}]),
    ],
)
def test_rule_without_anchor_turns_the_gate_off(rule: TargetRule) -> None:
    nlp = spacy.blank("en")
    assert rule_anchor(rule, nlp) is None
    assert not GatedTargetMatcher(nlp, [rule]).enabled


def test_doc_without_sentences_is_matched_whole() -> None:
    nlp = spacy.blank("en")
    rule = TargetRule("lymph node", "HEAD_NODE", pattern=[{"LOWER": "lymph"}, {"LOWER": "node"}])
    spans = GatedTargetMatcher(nlp, [rule]).spans(nlp.make_doc("An enlarged lymph node."))
    assert [(s.text, s.label_, s._.target_rule is rule) for s in spans] == [
        ("lymph node", "HEAD_NODE", True)
    ]


@pytest.mark.parametrize(
    ("pattern", "crosses"),
    [
        ([{"LOWER": "mass"}, {"ORTH": "-"}, {"LOWER": "like"}], False),
        ([{"LOWER": "node"}, {"IS_ALPHA": True, "OP": "?"}], False),
        ([{"LOWER": "mass"}, {"IS_PUNCT": True}, {"LOWER": "nodule"}], True),
        ([{"LOWER": "mass"}, {"ORTH": {"IN": [".", ";"]}}], True),
        ([{"LOWER": "mass"}, {"LOWER": "effect", "OP": "!"}], True),
        ([{"LOWER": "mass"}, {}], True),
    ],
)
def test_rules_that_may_span_sentences_turn_the_gate_off(pattern: Any, crosses: bool) -> None:
    from radfollow.nlp.target_gate import can_cross_sentences

    rule = TargetRule("x", "X", pattern=pattern)
    assert can_cross_sentences(rule) is crosses
    assert GatedTargetMatcher(spacy.blank("en"), [rule]).enabled is not crosses
