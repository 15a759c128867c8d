"""``radfollow evaluate``: score predictions against gold annotations.

Scores (ANNOTATION.md):
- report-level ``has_followup_recommendation`` P/R/F1;
- recommendation span P/R/F1: a predicted span matches a gold span when they
  overlap (one-to-one, largest overlap first);
- modality, interval and conditional accuracy over matched recommendations;
- incidental finding types, micro P/R/F1 over (report, type) pairs;
- assertion accuracy over gold findings matched to a predicted finding of the
  same type (overlapping spans), and that finding detection P/R/F1;
- when gold records have ``guidance`` or ``checks`` (corpora/gold/guidance.jsonl):
  guideline applied P/R/F1, band, concordance and missing-input accuracy, and
  check P/R/F1 per kind (radfollow/evaluation/guidance.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from radfollow.errors import EvaluationError
from radfollow.evaluation.guidance import (
    CheckScores,
    GuidanceScores,
    score_checks,
    score_guidance,
)
from radfollow.evaluation.metrics import PRF, Accuracy, match_spans
from radfollow.guidance import Assessor, ReportContext
from radfollow.io.jsonl import load_jsonl
from radfollow.nlp.pipeline import PipelineConfig

if TYPE_CHECKING:
    from radfollow.nlp.extract import Extractor


class Scores(BaseModel):
    reports: int
    followup_report: dict[str, float | int]
    recommendation_span: dict[str, float | int]
    modality_accuracy: float
    interval_accuracy: float
    conditional_accuracy: float
    matched_recommendations: int
    incidental_types: dict[str, float | int]
    incidental_by_type: dict[str, dict[str, float | int]] = Field(default_factory=dict)
    finding_detection: dict[str, float | int]
    assertion_accuracy: float
    matched_findings: int
    guidance: GuidanceScores | None = Field(
        default=None, description="Only when gold records have 'guidance'."
    )
    checks: CheckScores | None = Field(
        default=None, description="Only when gold records have 'checks'."
    )


def _read(path: Path) -> list[dict[str, Any]]:
    """Rows of a gold or prediction file; raises InputFormatError at ``path:line``."""
    return load_jsonl(path)


def make_extractor(config: PipelineConfig) -> Extractor:
    """The pipeline :func:`predict` runs (a seam: tests hand in their shared one)."""
    from radfollow.nlp.extract import Extractor

    return Extractor(config=config)


def predict(gold: list[dict[str, Any]], config: PipelineConfig) -> list[dict[str, Any]]:
    """Run the pipeline on gold texts, then the guidance on each result with its gold
    line's metadata (as ``radfollow extract`` does); records in the same order, ids
    kept. Raises RuleFileError when a guidance rules file is invalid."""
    from radfollow.nlp.extract import ReportText

    texts = (ReportText(g["text"], g.get("indication"), g.get("procedure")) for g in gold)
    results = make_extractor(config).extract_many(texts)
    assessor = Assessor(config.rules_dir)
    records = []
    for g, result in zip(gold, results, strict=True):
        done = assessor.assess(ReportContext.of_metadata(g["text"], g), result)
        records.append(
            {
                "id": g["id"],
                **done.model_dump(mode="json"),
                "incidental_types": done.incidental_types,
            }
        )
    return records


def _interval(value: Any) -> tuple[float, float] | None:
    return (float(value[0]), float(value[1])) if value else None


def score(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> Scores:
    by_id = {str(p.get("id")): p for p in pred}
    missing = [g["id"] for g in gold if str(g["id"]) not in by_id]
    if missing:
        raise EvaluationError(f"{len(missing)} gold reports have no prediction, e.g. {missing[0]}")
    report, spans, incidental, detection = PRF(), PRF(), PRF(), PRF()
    per_type: dict[str, PRF] = {}
    modality, interval, conditional, assertion = Accuracy(), Accuracy(), Accuracy(), Accuracy()
    for g in gold:
        p = by_id[str(g["id"])]
        g_recs, p_recs = g.get("recommendations", []), p.get("recommendations", [])
        report.add(bool(p_recs), bool(g_recs))
        pairs = match_spans(g_recs, p_recs, _span, _span)
        spans.tp += len(pairs)
        spans.fp += len(p_recs) - len(pairs)
        spans.fn += len(g_recs) - len(pairs)
        for i, j in pairs:
            modality.add(g_recs[i].get("modality") == p_recs[j].get("modality"))
            interval.add(
                _interval(g_recs[i].get("interval_months"))
                == _interval(p_recs[j].get("interval_months"))
            )
            conditional.add(
                bool(g_recs[i].get("conditional")) == bool(p_recs[j].get("conditional"))
            )
        g_types, p_types = set(g.get("incidental_types", [])), set(p.get("incidental_types", []))
        for t in g_types | p_types:
            incidental.add(t in p_types, t in g_types)
            per_type.setdefault(t, PRF()).add(t in p_types, t in g_types)
        g_f, p_f = g.get("findings", []), p.get("findings", [])
        same_type = match_spans(g_f, p_f, _span, _span, lambda a, b: a["type"] == b["type"])
        detection.tp += len(same_type)
        detection.fp += len(p_f) - len(same_type)
        detection.fn += len(g_f) - len(same_type)
        for i, j in same_type:
            assertion.add(g_f[i]["assertion"] == p_f[j]["assertion"])
    return Scores(
        reports=len(gold),
        followup_report=report.summary(),
        recommendation_span=spans.summary(),
        modality_accuracy=round(modality.value, 4),
        interval_accuracy=round(interval.value, 4),
        conditional_accuracy=round(conditional.value, 4),
        matched_recommendations=modality.total,
        incidental_types=incidental.summary(),
        incidental_by_type={t: per_type[t].summary() for t in sorted(per_type)},
        finding_detection=detection.summary(),
        assertion_accuracy=round(assertion.value, 4),
        matched_findings=assertion.total,
        guidance=score_guidance(gold, by_id),
        checks=score_checks(gold, by_id),
    )


def _span(item: dict[str, Any]) -> tuple[int, int]:
    return int(item["start"]), int(item["end"])


def evaluate_files(
    gold_path: Path,
    pred_path: Path | None,
    *,
    config: PipelineConfig,
) -> Scores:
    """Score ``pred_path`` against ``gold_path``; no ``pred_path``: run the pipeline
    and the guidance on the gold texts first."""
    gold = _read(gold_path)
    if not gold:
        raise EvaluationError("no gold reports", where=str(gold_path))
    pred = _read(pred_path) if pred_path else predict(gold, config)
    return score(gold, pred)


def _prf(name: str, d: dict[str, float | int]) -> str:
    return (
        f"{name:<34} P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f}"
        f"  (tp {d['tp']}, fp {d['fp']}, fn {d['fn']})"
    )


def render(scores: Scores) -> str:
    lines = [
        f"reports: {scores.reports}",
        _prf("follow-up (report level)", scores.followup_report),
        _prf("recommendation spans", scores.recommendation_span),
        f"{'  modality accuracy':<34} {scores.modality_accuracy:.3f}"
        f"  (n={scores.matched_recommendations})",
        f"{'  interval accuracy':<34} {scores.interval_accuracy:.3f}",
        f"{'  conditional accuracy':<34} {scores.conditional_accuracy:.3f}",
        _prf("incidental types (micro)", scores.incidental_types),
    ]
    lines += [_prf(f"  {t}", d) for t, d in scores.incidental_by_type.items()]
    lines += [
        _prf("finding detection (type + overlap)", scores.finding_detection),
        f"{'  assertion accuracy':<34} {scores.assertion_accuracy:.3f}"
        f"  (n={scores.matched_findings})",
    ]
    if scores.guidance is not None:
        lines += _render_guidance(scores.guidance)
    if scores.checks is not None:
        lines += _render_checks(scores.checks)
    return "\n".join(lines)


def _render_guidance(g: GuidanceScores) -> list[str]:
    columns = sorted({c for row in g.concordance_confusion.values() for c in row})
    width = max(len(c) for c in [*columns, *g.concordance_confusion, "gold \\ pred"]) + 2
    table = ["  " + "gold \\ pred".ljust(width) + "".join(c.rjust(width) for c in columns)]
    table += [
        "  " + row.ljust(width) + "".join(str(counts.get(c, 0)).rjust(width) for c in columns)
        for row, counts in g.concordance_confusion.items()
    ]
    return [
        f"guidance (reports: {g.reports})",
        _prf("  guidance items (matched)", g.items),
        _prf("  guideline applied", g.applied),
        f"{'  band accuracy':<34} {g.band_accuracy:.3f}  (n={g.matched_applied})",
        f"{'  concordance accuracy':<34} {g.concordance_accuracy:.3f}",
        f"{'  missing inputs accuracy':<34} {g.missing_inputs_accuracy:.3f}"
        f"  (n={g.matched_missing_inputs})",
        f"{'  not-applicable reason accuracy':<34} {g.reason_accuracy:.3f}"
        f"  (n={g.matched_reasons})",
        "  concordance confusion:",
        *table,
    ]


def _render_checks(c: CheckScores) -> list[str]:
    return [
        f"checks (reports: {c.reports})",
        _prf("  checks (all kinds)", c.checks),
        *(_prf(f"    {kind}", d) for kind, d in c.by_kind.items()),
    ]


def render_json(scores: Scores) -> str:
    """The scores as JSON; the guidance and checks sections only when scored."""
    absent = {name for name in ("guidance", "checks") if getattr(scores, name) is None}
    return scores.model_dump_json(indent=2, exclude=absent)
