"""Hand labels of finding mentions (labels/README.md, issue 13) and how they are scored.

Shapes: a label row is ``{"id", "reader", "incidental_types": [type, ...],
"findings": [{"start", "end", "type", "assertion", "benign", "incidental",
"reason", "size_mm", "composition", "multiplicity"}]}`` with character offsets
into the report text of ../shared/corpora (no text is stored). A prediction
has the same shape (``predicted`` builds it from radfollow's records).

Scoring (ANNOTATION.md section 2, the project's ``radfollow evaluate``):
- incidental types: micro P/R/F1 over (report, type) pairs;
- finding detection: one-to-one pairs of overlapping mentions of the same
  type, largest overlap first (``radfollow.evaluation.metrics.match_spans``);
- on matched pairs: assertion, benign and incidental accuracy; the
  ``incidental_reason`` where both call an affirmed mention not incidental;
  largest size within 1 mm or 10% (null matches null), composition and
  multiplicity where the gold states them.
95% intervals: percentile bootstrap over reports (``followup_labels.bootstrap``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from followup_labels import LABELS, prf, summed

from radfollow.evaluation.metrics import match_spans
from radfollow.models import ExtractionResult

FINAL = LABELS / "findings_spans.jsonl"
READER_A = LABELS / "findings_spans.reader_a.jsonl"
READER_B = LABELS / "findings_spans.reader_b.jsonl"
#: Round 2 (2026-12-02): the fresh Open-i reports of followup_sample_2.jsonl.
FINAL_2 = LABELS / "findings_spans_2.jsonl"
READER_A_2 = LABELS / "findings_spans_2.reader_a.jsonl"
READER_B_2 = LABELS / "findings_spans_2.reader_b.jsonl"
ADJUDICATION_2 = LABELS / "findings_adjudication_2.json"
COUNTS = ("inc_tp", "inc_fp", "inc_fn", "det_tp", "det_fp", "det_fn")
ATTRIBUTES = ("assertion", "benign", "incidental", "reason", "size", "composition", "multiplicity")


def predicted(result: ExtractionResult) -> dict[str, Any]:
    """radfollow's record for one report in the label shape."""
    findings = [
        {
            "start": f.start,
            "end": f.end,
            "type": f.type.value,
            "assertion": f.assertion.value,
            "benign": f.benign,
            "incidental": f.incidental,
            "reason": _value(getattr(f, "incidental_reason", None)),
            "size_mm": max(f.size_mm) if f.size_mm else None,
            "composition": _value(getattr(f, "composition", None)),
            "multiplicity": _value(getattr(f, "multiplicity", None)),
            "text": f.text,
            "section": f.section,
            "sentence": f.sentence,
        }
        for f in result.findings
    ]
    return {
        "incidental_types": sorted({f["type"] for f in findings if f["incidental"]}),
        "findings": findings,
    }


def _value(member: Any) -> Any:
    """An enum member's value (None stays None); getattr lets older records be scored."""
    return None if member is None else member.value


def size_ok(gold: float | None, pred: float | None) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    return abs(gold - pred) <= max(1.0, 0.1 * gold)


@dataclass
class ReportScore:
    """Counts of one report; summed over a (bootstrap) sample of reports."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))
    asked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))
    misses: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)


def _span(item: dict[str, Any]) -> tuple[int, int]:
    return item["start"], item["end"]


def score_report(gold: dict[str, Any], pred: dict[str, Any]) -> ReportScore:
    """Compare one report's gold and predicted findings (label shape)."""
    result = ReportScore()
    c = result.counts
    g_types, p_types = set(gold["incidental_types"]), set(pred["incidental_types"])
    c["inc_tp"] = len(g_types & p_types)
    c["inc_fp"] = len(p_types - g_types)
    c["inc_fn"] = len(g_types - p_types)
    for t in sorted(p_types - g_types):
        result.misses.append(("incidental type FP", {"type": t}, None))
    for t in sorted(g_types - p_types):
        result.misses.append(("incidental type FN", {"type": t}, None))
    g_f, p_f = gold["findings"], pred["findings"]
    pairs = match_spans(g_f, p_f, _span, _span, lambda a, b: a["type"] == b["type"])
    c["det_tp"] = len(pairs)
    c["det_fp"] = len(p_f) - len(pairs)
    c["det_fn"] = len(g_f) - len(pairs)
    matched_g, matched_p = {i for i, _ in pairs}, {j for _, j in pairs}
    result.misses += [("missed", g, None) for i, g in enumerate(g_f) if i not in matched_g]
    result.misses += [("false positive", p, None) for j, p in enumerate(p_f) if j not in matched_p]
    for i, j in pairs:
        g, p = g_f[i], p_f[j]
        checks: dict[str, bool] = {
            "assertion": g["assertion"] == p["assertion"],
            "benign": g["benign"] == p["benign"],
            "incidental": g["incidental"] == p["incidental"],
        }
        if g["reason"] and not p["incidental"] and p["assertion"] in ("present", "possible"):
            checks["reason"] = g["reason"] == p["reason"]
        if g["assertion"] in ("present", "possible"):
            checks["size"] = size_ok(g["size_mm"], p["size_mm"])
            if g["composition"]:
                checks["composition"] = g["composition"] == p["composition"]
            if g["multiplicity"]:
                checks["multiplicity"] = g["multiplicity"] == p["multiplicity"]
        for name, ok in checks.items():
            result.asked[name] += 1
            result.right[name] += ok
            if not ok:
                result.misses.append((f"wrong {name}", g, p))
    return result


def figures(scores: Sequence[ReportScore]) -> dict[str, float]:
    """Micro P/R/F1 of incidental types and detection, accuracies on matched pairs."""
    total = summed((s.counts for s in scores), COUNTS)
    right = summed((s.right for s in scores), ATTRIBUTES)
    asked = summed((s.asked for s in scores), ATTRIBUTES)
    out: dict[str, float] = {}
    for level in ("inc", "det"):
        tp, fp, fn = total[f"{level}_tp"], total[f"{level}_fp"], total[f"{level}_fn"]
        out[f"{level}_p"], out[f"{level}_r"], out[f"{level}_f1"] = prf(tp, fp, fn)
    for k in ATTRIBUTES:
        out[f"{k}_acc"] = right[k] / asked[k] if asked[k] else 0.0
    return out


def counts(scores: Sequence[ReportScore]) -> dict[str, int]:
    """Summed counts and the number of matched pairs each accuracy is over."""
    asked = summed((s.asked for s in scores), ATTRIBUTES)
    return summed((s.counts for s in scores), COUNTS) | {f"n_{k}": asked[k] for k in ATTRIBUTES}
