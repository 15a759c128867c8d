"""Platt scaling and threshold choice (radfollow.training.calibration)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from radfollow.training.calibration import (
    ScoredSentence,
    apply_platt,
    calibrate,
    fit_platt,
    fused,
)


def _overconfident(n: int = 400, seed: int = 1) -> list[ScoredSentence]:
    """Scores of 0.9 that are right only 60% of the time, and 0.1 right 90%."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        high = i % 2 == 0
        label = rng.random() < (0.6 if high else 0.1)
        out.append(ScoredSentence(0.9 if high else 0.1, None, label))
    return out


def test_platt_scaling_maps_scores_to_observed_rates() -> None:
    sentences = _overconfident()
    scores = np.array([s.probability for s in sentences])
    labels = np.array([s.label for s in sentences])
    a, b = fit_platt(scores, labels)
    calibrated = apply_platt(np.array([0.9, 0.1]), a, b)
    high_rate = labels[scores == 0.9].mean()
    low_rate = labels[scores == 0.1].mean()
    assert calibrated[0] == pytest.approx(high_rate, abs=0.02)
    assert calibrated[1] == pytest.approx(low_rate, abs=0.02)


def test_calibration_lowers_the_brier_score_of_overconfident_scores() -> None:
    meta = calibrate(_overconfident(), combined=False)
    assert meta["calibration"]["brier_after"] < meta["calibration"]["brier_before"]


@pytest.mark.parametrize(
    ("sentence", "veto", "expected"),
    [
        pytest.param(ScoredSentence(0.3, 0.9, True), 0.2, 0.9, id="rule-kept-above-veto"),
        pytest.param(ScoredSentence(0.1, 0.9, False), 0.2, 0.1, id="rule-vetoed"),
        pytest.param(ScoredSentence(0.7, None, True), 0.2, 0.7, id="classifier-alone"),
    ],
)
def test_fused_score_follows_the_runtime_rule(
    sentence: ScoredSentence, veto: float, expected: float
) -> None:
    assert fused([sentence], veto, combined=True)[0] == pytest.approx(expected)


def test_veto_threshold_is_chosen_to_drop_rule_false_positives() -> None:
    # rules propose 20 sentences; the 10 wrong ones have classifier probability 0.25
    sentences = [ScoredSentence(0.25, 0.9, False) for _ in range(10)]
    sentences += [ScoredSentence(0.8, 0.9, True) for _ in range(10)]
    sentences += [ScoredSentence(0.05, None, False) for _ in range(20)]
    meta = calibrate(sentences, combined=True)
    assert meta["thresholds"]["veto"] > 0.25
    assert meta["thresholds"]["sentence_f1"] == pytest.approx(1.0)


def test_calibration_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both"):
        calibrate([ScoredSentence(0.9, None, True)] * 3, combined=False)


def _component(tmp_path, meta: dict):  # type: ignore[no-untyped-def]
    import json

    from radfollow.nlp.classifier.component import RecommendationClassifier, default_heads_path
    from radfollow.nlp.pipeline import PipelineConfig, build_pipeline

    payload = json.loads(default_heads_path().read_text())
    payload["heads"]["combined"]["meta"] = meta
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps(payload))
    nlp = build_pipeline(PipelineConfig(classifier=True, heads=heads))
    component = next(p for _, p in nlp.pipeline if isinstance(p, RecommendationClassifier))
    return component


def test_runtime_reads_thresholds_and_calibration_from_the_heads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    meta = {
        "calibration": {"method": "platt", "a": 1.0, "b": -1.0},
        "thresholds": {"veto": 0.35, "add": 0.7},
    }
    component = _component(tmp_path, meta)
    assert (component.veto_threshold, component.add_threshold) == (0.35, 0.7)
    # a rule candidate above the veto: max(0.4, 0.9) = 0.9, then Platt(1, -1)
    expected = float(apply_platt(np.array([0.9]), 1.0, -1.0)[0])
    assert component.fuse(0.4, 0.9) == pytest.approx(expected)
    assert component.fuse(0.3, 0.9) == pytest.approx(
        float(apply_platt(np.array([0.3]), 1.0, -1.0)[0])
    )


def test_heads_without_calibration_keep_raw_scores_and_default_thresholds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    component = _component(tmp_path, {})
    assert (component.veto_threshold, component.add_threshold) == (0.2, 0.5)
    assert component.fuse(0.4, 0.9) == pytest.approx(0.9)
