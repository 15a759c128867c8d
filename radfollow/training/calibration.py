"""Calibrate the classifier's score and choose its thresholds on labelled reports.

``radfollow train --calibrate-on FILE`` runs the freshly fitted heads over a
site's labelled reports (the ``--reports`` shape) and, per head:

1. collects every sentence the classifier scores: its probability, the rules'
   score when the rules proposed it, and whether it overlaps a labelled
   recommendation;
2. for each candidate ``veto_threshold`` and ``add_threshold`` (grids below),
   fits Platt scaling (Platt 1999: a logistic regression on the logit of the
   fused score, so a reported ``score`` of 0.8 means about 8 in 10 such
   sentences are recommendations) and keeps the pair whose decisions at the
   selector's default threshold of 0.5 give the best sentence-level F1
   (ties: the pair nearest the previous defaults 0.2 / 0.5);
3. stores ``calibration`` (a, b, Brier score before and after) and
   ``thresholds`` in the head's ``meta``; the runtime reads them from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from radfollow.nlp.classifier.component import fused_score
from radfollow.nlp.classifier.head import fit_logistic, sigmoid

VETO_GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
ADD_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
DEFAULT_VETO, DEFAULT_ADD = 0.2, 0.5
_EPS = 1e-6


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence the classifier scored on a labelled report."""

    probability: float
    rule_score: float | None
    label: bool


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def fused(sentences: Sequence[ScoredSentence], veto: float, combined: bool) -> np.ndarray:
    """The score the selector sees (RecommendationClassifier.fuse), before calibration."""
    return np.array(
        [fused_score(s.probability, s.rule_score, veto=veto, combined=combined) for s in sentences],
        dtype=np.float64,
    )


def fit_platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(a, b) of p = sigmoid(a * logit(score) + b), lightly regularised (l2 = 0.01)."""
    w, b = fit_logistic(logit(scores)[:, None], labels.astype(np.float64), l2=0.01)
    return float(w[0]), b


def apply_platt(scores: np.ndarray, a: float, b: float) -> np.ndarray:
    return sigmoid(a * logit(scores) + b)


def _f1(selected: np.ndarray, labels: np.ndarray) -> float:
    tp = float(np.sum(selected & labels))
    fp = float(np.sum(selected & ~labels))
    fn = float(np.sum(~selected & labels))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def calibrate(
    sentences: Sequence[ScoredSentence], *, combined: bool, threshold: float = 0.5
) -> dict[str, Any]:
    """Choose thresholds and fit the calibration; returns the meta to store in the head.

    Raises ValueError when the sentences hold no positive or no negative example.
    """
    labels = np.array([s.label for s in sentences], dtype=bool)
    if labels.all() or not labels.any():
        raise ValueError("calibration needs both recommendations and other sentences")
    probability = np.array([s.probability for s in sentences])
    proposed = np.array([bool(s.rule_score) for s in sentences])
    best: tuple[float, float, float, float, float, float] | None = None
    for veto in VETO_GRID if combined else (DEFAULT_VETO,):
        raw = fused(sentences, veto, combined)
        a, b = fit_platt(raw, labels)
        calibrated = apply_platt(raw, a, b)
        for add in ADD_GRID if combined else (DEFAULT_ADD,):
            kept = np.where(proposed, probability >= veto, probability >= add) if combined else True
            f1 = _f1((calibrated >= threshold) & kept, labels)
            distance = abs(veto - DEFAULT_VETO) + abs(add - DEFAULT_ADD)
            key = (f1, -distance)
            if best is None or key > (best[0], -best[5]):
                best = (f1, veto, add, a, b, distance)
    assert best is not None
    f1, veto, add, a, b, _ = best
    raw = fused(sentences, veto, combined)
    calibrated = apply_platt(raw, a, b)
    return {
        "calibration": {
            "method": "platt",
            "a": round(a, 6),
            "b": round(b, 6),
            "sentences": len(sentences),
            "recommendations": int(labels.sum()),
            "brier_before": round(float(np.mean((raw - labels) ** 2)), 4),
            "brier_after": round(float(np.mean((calibrated - labels) ** 2)), 4),
        },
        "thresholds": {"veto": veto, "add": add, "sentence_f1": round(f1, 4)},
    }


def scored_sentences(extractor: Any, rows: Sequence[dict[str, Any]]) -> list[ScoredSentence]:
    """Every sentence the classifier of ``extractor`` scores on labelled reports ``rows``.

    ``rows``: the ``--reports`` shape (``text``, optional ``indication``,
    ``recommendations`` with ``start``/``end``). Raises ModelError when the
    pipeline has no classifier.
    """
    from radfollow.nlp.extract import ReportText

    component = classifier_of(extractor.nlp)
    docs = list(
        extractor.nlp.pipe(
            extractor.make_doc(ReportText(r["text"], r.get("indication"))) for r in rows
        )
    )
    return score_docs(component, docs, [r.get("recommendations", []) for r in rows])


def classifier_of(nlp: Any) -> Any:
    """The pipeline's RecommendationClassifier; raises ModelError when it has none."""
    from radfollow.errors import ModelError
    from radfollow.nlp.classifier.component import RecommendationClassifier

    for _, pipe in nlp.pipeline:
        if isinstance(pipe, RecommendationClassifier):
            return pipe
    raise ModelError("calibration needs the classifier in the pipeline")


def score_docs(
    component: Any, docs: Sequence[Any], gold: Sequence[Sequence[dict[str, Any]]]
) -> list[ScoredSentence]:
    """The classifier's sentences of processed ``docs``, labelled by overlap with ``gold``
    (one list of recommendations with ``start``/``end`` per doc)."""
    from radfollow.nlp.extensions import CANDIDATES

    rule_scores = [
        {
            s.sent.start: s._.rad_rule_score
            for s in doc.spans.get(CANDIDATES, [])
            if s._.rad_rule != "classifier"
        }
        for doc in docs
    ]
    out = []
    for item in component.predict(list(docs)):
        start, end = item.sentence.start_char, item.sentence.end_char
        label = any(min(end, g["end"]) > max(start, g["start"]) for g in gold[item.doc_index])
        rule_score = rule_scores[item.doc_index].get(item.sentence.start)
        out.append(ScoredSentence(float(item.recommendation), rule_score, label))
    return out
