"""Scores of guidance items and report checks against gold (issue 16).

Only reports whose gold record has a ``guidance`` key count for the guidance
scores, and only those with a ``checks`` key for the check scores
(corpora/gold/guidance.jsonl has both; the other gold files have neither).

Guidance items are matched one to one within a report: same guideline, and the
gold item's finding (``finding_id``, and ``mention_ids`` when given) overlaps the
predicted item's finding or one of its mentions, by the records' finding offsets;
the largest overlap of the two ``finding_id`` spans first. Then:

- items: P/R/F1 of the matching itself;
- applied: P/R/F1 of "the guideline applies": a predicted item applies when its
  ``not_applicable_reason`` is null, a gold item unless it says
  ``"not_applicable": true`` (then its ``band`` is null); an unmatched item
  counts as a miss or a false alarm when it applies;
- band, concordance and missing-inputs accuracy over matched items whose gold
  item applies (missing inputs only when gold lists them; null bands and
  concordances compare like values);
- not-applicable reason accuracy over matched items whose gold item does not
  apply and gives ``not_applicable_reason``: the gold reason must begin the
  predicted one ("not incidental" matches "not incidental (indication)");
- a concordance confusion table, gold value -> predicted value, over every
  matched item (``none`` for null) and the unmatched ones (``unmatched``).

Checks: per report, the kinds of gold and predicted checks as multisets; P/R/F1
per kind and over all kinds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from radfollow.evaluation.metrics import PRF, Accuracy, overlap

Record = Mapping[str, Any]
Span = tuple[int, int]

#: The label of a null value or an unmatched item in the confusion table.
NONE, UNMATCHED = "none", "unmatched"


class GuidanceScores(BaseModel):
    reports: int = Field(description="Gold reports with a 'guidance' key.")
    items: dict[str, float | int]
    applied: dict[str, float | int]
    band_accuracy: float
    concordance_accuracy: float
    missing_inputs_accuracy: float
    reason_accuracy: float
    matched_applied: int = Field(description="Matched items whose gold item applies.")
    matched_missing_inputs: int
    matched_reasons: int = Field(description="Matched items with a gold not-applicable reason.")
    concordance_confusion: dict[str, dict[str, int]] = Field(
        description="Gold concordance -> predicted concordance -> items."
    )


class CheckScores(BaseModel):
    reports: int = Field(description="Gold reports with a 'checks' key.")
    checks: dict[str, float | int]
    by_kind: dict[str, dict[str, float | int]]


@dataclass(frozen=True)
class ItemPair:
    """One gold guidance item and its predicted match (None: unmatched), or an unmatched
    predicted item (``gold`` None); ``report`` is the report id."""

    report: str
    gold: Record | None
    pred: Record | None


def _finding_spans(findings: Sequence[Record]) -> dict[str, Span]:
    """Finding id -> (start, end); a finding without an id is 'f<n>' by position."""
    return {
        str(f.get("id") or f"f{i + 1}"): (int(f["start"]), int(f["end"]))
        for i, f in enumerate(findings)
        if "start" in f and "end" in f
    }


def _item_spans(item: Record, spans: Mapping[str, Span]) -> list[Span]:
    """The spans of an item's finding (first) and its other mentions."""
    ids = [str(item.get("finding_id")), *(str(m) for m in item.get("mention_ids") or ())]
    return [spans[i] for i in dict.fromkeys(ids) if i in spans]


def _closeness(gold: list[Span], pred: list[Span]) -> tuple[int, int]:
    """(overlap of the two first spans, largest overlap of any two); (0, 0) when none."""
    if not gold or not pred:
        return 0, 0
    first = overlap(*gold[0], *pred[0])
    return first, max(overlap(*g, *p) for g in gold for p in pred)


def match_items(report: str, gold: Record, pred: Record) -> list[ItemPair]:
    """The report's gold and predicted guidance items, paired one to one."""
    g_items, p_items = list(gold.get("guidance") or []), list(pred.get("guidance") or [])
    g_spans = _finding_spans(gold.get("findings") or [])
    p_spans = _finding_spans(pred.get("findings") or [])
    candidates = []
    for i, g in enumerate(g_items):
        for j, p in enumerate(p_items):
            if g.get("guideline") != p.get("guideline"):
                continue
            first, best = _closeness(_item_spans(g, g_spans), _item_spans(p, p_spans))
            if best > 0:
                candidates.append((-first, -best, i, j))
    pairs: dict[int, int] = {}
    for _, _, i, j in sorted(candidates):
        if i not in pairs and j not in pairs.values():
            pairs[i] = j
    out = [
        ItemPair(report, g, p_items[pairs[i]] if i in pairs else None)
        for i, g in enumerate(g_items)
    ]
    used = set(pairs.values())
    out += [ItemPair(report, None, p) for j, p in enumerate(p_items) if j not in used]
    return out


def gold_applies(item: Record) -> bool:
    return not item.get("not_applicable", False)


def pred_applies(item: Record) -> bool:
    return item.get("not_applicable_reason") is None


def _label(value: object) -> str:
    return NONE if value is None else str(value)


def guidance_pairs(gold: Iterable[Record], by_id: Mapping[str, Record]) -> list[ItemPair]:
    """Every gold report with a 'guidance' key: its items paired with the prediction's."""
    return [
        pair
        for g in gold
        if "guidance" in g
        for pair in match_items(str(g["id"]), g, by_id[str(g["id"])])
    ]


def score_guidance(gold: Sequence[Record], by_id: Mapping[str, Record]) -> GuidanceScores | None:
    """Guidance scores of the gold reports with a 'guidance' key; None when there are none.
    ``by_id``: the predicted record of every gold id."""
    reports = sum("guidance" in g for g in gold)
    if not reports:
        return None
    items, applied = PRF(), PRF()
    band, concordance, missing, reason = Accuracy(), Accuracy(), Accuracy(), Accuracy()
    confusion: dict[str, Counter[str]] = {}
    for pair in guidance_pairs(gold, by_id):
        g, p = pair.gold, pair.pred
        items.add(p is not None, g is not None)
        applied.add(p is not None and pred_applies(p), g is not None and gold_applies(g))
        row = _label(g.get("concordance")) if g is not None else UNMATCHED
        column = _label(p.get("concordance")) if p is not None else UNMATCHED
        confusion.setdefault(row, Counter())[column] += 1
        if g is None or p is None:
            continue
        if not gold_applies(g):
            if g.get("not_applicable_reason"):
                said = str(p.get("not_applicable_reason") or "")
                reason.add(said.startswith(str(g["not_applicable_reason"])))
            continue
        band.add(g.get("band") == p.get("band"))
        concordance.add(g.get("concordance") == p.get("concordance"))
        if "missing_inputs" in g:
            missing.add(set(g["missing_inputs"] or ()) == set(p.get("missing_inputs") or ()))
    return GuidanceScores(
        reports=reports,
        items=items.summary(),
        applied=applied.summary(),
        band_accuracy=round(band.value, 4),
        concordance_accuracy=round(concordance.value, 4),
        missing_inputs_accuracy=round(missing.value, 4),
        reason_accuracy=round(reason.value, 4),
        matched_applied=band.total,
        matched_missing_inputs=missing.total,
        matched_reasons=reason.total,
        concordance_confusion={
            row: dict(sorted(confusion[row].items())) for row in sorted(confusion)
        },
    )


def _kinds(record: Record) -> Counter[str]:
    return Counter(str(check.get("kind")) for check in record.get("checks") or ())


def score_checks(gold: Sequence[Record], by_id: Mapping[str, Record]) -> CheckScores | None:
    """Check scores of the gold reports with a 'checks' key; None when there are none."""
    reports = [g for g in gold if "checks" in g]
    if not reports:
        return None
    total, per_kind = PRF(), dict[str, PRF]()
    for g in reports:
        want, got = _kinds(g), _kinds(by_id[str(g["id"])])
        for kind in want | got:
            both = min(want[kind], got[kind])
            counts = per_kind.setdefault(kind, PRF())
            for prf in (counts, total):
                prf.tp += both
                prf.fp += got[kind] - both
                prf.fn += want[kind] - both
    return CheckScores(
        reports=len(reports),
        checks=total.summary(),
        by_kind={kind: per_kind[kind].summary() for kind in sorted(per_kind)},
    )
