"""Hand labels of follow-up recommendations (labels/README.md) and how they are scored.

Shapes: a label row is ``{"id", "reader", "has_followup_recommendation",
"recommendations": [{"start", "end", "modality", "modality_options",
"body_region", "interval_months", "conditional"}]}`` with character offsets
into the report text of ../shared/corpora (no text is stored).

Scoring (ANNOTATION.md section 1): report level = has a recommendation; span
level = one-to-one pairs of overlapping spans, largest overlap first
(``radfollow.evaluation.metrics.match_spans``); attributes are compared on
matched pairs only. A modality is right when it is one of the gold
``modality_options`` (or equals the gold ``modality``; null matches null),
an interval when both ends agree within 0.05 months (null matches null).
95% intervals: percentile bootstrap over reports (2,000 resamples, seeded).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radfollow.evaluation.metrics import match_spans

LABELS = Path(__file__).parent / "labels"
SAMPLE = LABELS / "followup_sample.jsonl"
FINAL = LABELS / "followup_spans.jsonl"
READER_A = LABELS / "followup_spans.reader_a.jsonl"
READER_B = LABELS / "followup_spans.reader_b.jsonl"
#: Round 2 (2026-12-02): fresh Open-i reports, halves ``tuning-2`` / ``test-2`` (README).
SAMPLE_2 = LABELS / "followup_sample_2.jsonl"
FINAL_2 = LABELS / "followup_spans_2.jsonl"
READER_A_2 = LABELS / "followup_spans_2.reader_a.jsonl"
READER_B_2 = LABELS / "followup_spans_2.reader_b.jsonl"
ADJUDICATION_2 = LABELS / "followup_adjudication_2.json"
HALVES = ("tuning", "test", "tuning-2", "test-2")
COUNTS = ("rep_tp", "rep_fp", "rep_fn", "span_tp", "span_fp", "span_fn")
ATTRIBUTES = ("modality", "interval", "conditional")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def by_id(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def sample() -> dict[str, dict[str, Any]]:
    """The labelled set, both rounds: id -> {stratum, half, batch, second_reading}."""
    rows = read_jsonl(SAMPLE)
    if SAMPLE_2.is_file():
        rows += read_jsonl(SAMPLE_2)
    return by_id(rows)


def final_labels() -> dict[str, dict[str, Any]]:
    """The adjudicated labels used for scoring, both rounds, by report id."""
    rows = read_jsonl(FINAL)
    if FINAL_2.is_file():
        rows += read_jsonl(FINAL_2)
    return by_id(rows)


def readers(round_: int) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Reader A's and reader B's labels of one round, by report id."""
    a, b = (READER_A, READER_B) if round_ == 1 else (READER_A_2, READER_B_2)
    return by_id(read_jsonl(a)), by_id(read_jsonl(b))


def modality_ok(gold: dict[str, Any], predicted: str | None) -> bool:
    options = gold.get("modality_options") or []
    return predicted == gold.get("modality") or predicted in options


def interval_ok(gold: list[float] | None, predicted: Sequence[float] | None) -> bool:
    if gold is None or predicted is None:
        return gold is None and predicted is None
    return abs(gold[0] - predicted[0]) <= 0.05 and abs(gold[1] - predicted[1]) <= 0.05


@dataclass
class ReportScore:
    """Counts of one report; summed over a (bootstrap) sample of reports."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))
    pairs: int = 0
    misses: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)


def score_report(gold: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> ReportScore:
    """Compare one report's gold and predicted recommendations (same dict shape)."""
    result = ReportScore()
    c = result.counts
    has_gold, has_pred = bool(gold), bool(predicted)
    c["rep_tp"] = int(has_gold and has_pred)
    c["rep_fp"] = int(has_pred and not has_gold)
    c["rep_fn"] = int(has_gold and not has_pred)
    pairs = match_spans(
        gold, predicted, lambda g: (g["start"], g["end"]), lambda p: (p["start"], p["end"])
    )
    c["span_tp"] = len(pairs)
    c["span_fp"] = len(predicted) - len(pairs)
    c["span_fn"] = len(gold) - len(pairs)
    matched_gold = {i for i, _ in pairs}
    matched_pred = {j for _, j in pairs}
    for i, g in enumerate(gold):
        if i not in matched_gold:
            result.misses.append(("missed", g, None))
    for j, p in enumerate(predicted):
        if j not in matched_pred:
            result.misses.append(("false positive", p, None))
    for i, j in pairs:
        g, p = gold[i], predicted[j]
        result.pairs += 1
        checks = {
            "modality": modality_ok(g, p.get("modality")),
            "interval": interval_ok(g.get("interval_months"), p.get("interval_months")),
            "conditional": bool(g["conditional"]) == bool(p.get("conditional")),
        }
        for name, ok in checks.items():
            result.right[name] += ok
            if not ok:
                result.misses.append((f"wrong {name}", g, p))
    return result


def summed(rows: Iterable[dict[str, int]], keys: Sequence[str]) -> dict[str, int]:
    """Per-key sums of count dictionaries (one per report)."""
    total = dict.fromkeys(keys, 0)
    for row in rows:
        for k in keys:
            total[k] += row[k]
    return total


def figures(scores: Sequence[ReportScore]) -> dict[str, float]:
    """P/R/F1 at report and span level and attribute accuracies of summed counts."""
    total = summed((s.counts for s in scores), COUNTS)
    right = summed((s.right for s in scores), ATTRIBUTES)
    pairs = sum(s.pairs for s in scores)
    out: dict[str, float] = {}
    for level in ("rep", "span"):
        tp, fp, fn = total[f"{level}_tp"], total[f"{level}_fp"], total[f"{level}_fn"]
        out[f"{level}_p"], out[f"{level}_r"], out[f"{level}_f1"] = prf(tp, fp, fn)
    for k in ATTRIBUTES:
        out[f"{k}_acc"] = right[k] / pairs if pairs else 0.0
    return out


def bootstrap(
    scores: Sequence[ReportScore],
    statistic: Callable[[Sequence[ReportScore]], dict[str, float]] = figures,
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of each figure, resampling reports with replacement."""
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {}
    n = len(scores)
    for _ in range(resamples):
        resampled = [scores[rng.randrange(n)] for _ in range(n)]
        for key, value in statistic(resampled).items():
            draws.setdefault(key, []).append(value)
    intervals = {}
    for key, values in draws.items():
        values.sort()
        intervals[key] = (values[int(0.025 * resamples)], values[int(0.975 * resamples) - 1])
    return intervals


def half_arguments(parser: argparse.ArgumentParser) -> None:
    """``--half``, ``--errors`` and ``--final``: misses are for the tuning half only."""
    parser.add_argument("--half", choices=HALVES, required=True)
    parser.add_argument("--errors", action="store_true", help="print misses (tuning half only)")
    parser.add_argument(
        "--final",
        action="store_true",
        help="allow --errors on the test half: only after its final score, for the closing"
        " note's list of remaining misses; nothing may be tuned after it",
    )


def check_half(args: argparse.Namespace) -> None:
    """Exit when misses are asked of the test half before its final score."""
    if args.errors and not args.half.startswith("tuning") and not args.final:
        sys.exit("--errors is for the tuning half (or the test half with --final)")


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of counts (0.0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Cohen's kappa of two readers' yes/no labels on the same items."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0
