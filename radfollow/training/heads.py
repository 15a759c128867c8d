"""``radfollow train``: fit the classifier heads from ``corpora/`` (written by this project).

Training sentences: every gated sentence of the gold *dev* split (labelled by
overlap with a gold recommendation) and ``corpora/sentences/train.jsonl``, plus a
site's own files: labelled reports (``--reports``, the gold shape: ``id``,
``text``, optional ``indication``, ``recommendations`` with character
``start``/``end`` and ``conditional``) and sentences (``--sentences``, the
shape of ``corpora/sentences/train.jsonl``: ``text``, ``is_recommendation``,
``conditional``). The gold *test* split is only scored, never trained on.
Everything is deterministic: the same files and encoder give the same heads;
the heads record each extra file's name, sha256 and sentence count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radfollow import __version__
from radfollow.evaluation.report import Scores, predict, score
from radfollow.io.jsonl import load_jsonl
from radfollow.nlp.classifier.component import RULE_FEATURES, VERSION
from radfollow.nlp.classifier.encoder import resolve_model
from radfollow.nlp.classifier.head import Head, fit_logistic, save_heads
from radfollow.nlp.classifier.onnx_export import Backend, Precision, load_encoder
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.nlp.recommendations import (
    RULES_COMPONENT,
    RecommendationRulesComponent,
    sentence_text,
)
from radfollow.nlp.sectionizer import section_at
from radfollow.training.calibration import calibrate, scored_sentences


@dataclass(frozen=True)
class Example:
    text: str
    section: str | None
    recommendation: bool
    conditional: bool


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return load_jsonl(path)  # raises InputFormatError located as path:line


def gold_examples(rows: list[dict[str, Any]], extractor: Extractor) -> list[Example]:
    """Gated sentences of gold reports, labelled by overlap with gold recommendations."""
    rules = extractor.nlp.get_pipe(RULES_COMPONENT)
    assert isinstance(rules, RecommendationRulesComponent)
    docs = extractor.nlp.pipe(
        extractor.make_doc(ReportText(r["text"], r.get("indication"))) for r in rows
    )
    examples = []
    for row, doc in zip(rows, docs, strict=True):
        recs = row.get("recommendations", [])
        for sent in doc.sents:
            section = section_at(doc._.rad_sections, sent.start_char)
            category = section.category if section else None
            if rules.skips(category) or not rules.gate(sent.text):
                continue
            hits = [r for r in recs if r["start"] < sent.end_char and sent.start_char < r["end"]]
            conditional = any(bool(r.get("conditional")) for r in hits)
            examples.append(Example(sentence_text(sent), category, bool(hits), conditional))
    return examples


def sentence_examples(rows: Iterable[dict[str, Any]]) -> list[Example]:
    return [
        Example(r["text"], "impression", bool(r["is_recommendation"]), bool(r.get("conditional")))
        for r in rows
    ]


@dataclass(frozen=True)
class ExtraFiles:
    """A site's own training files, read after the project's corpora (in this order)."""

    reports: tuple[Path, ...] = ()
    sentences: tuple[Path, ...] = ()
    #: labelled reports (the ``reports`` shape) to calibrate the scores and
    #: choose the thresholds on (radfollow.training.calibration); not trained on.
    calibrate_on: tuple[Path, ...] = ()


def training_examples(
    corpora: Path, extractor: Extractor, extra: ExtraFiles | None = None
) -> tuple[list[Example], list[dict[str, Any]]]:
    """Gold dev sentences, corpora/sentences/train.jsonl, then the extra files.

    Returns the examples in a fixed order and one provenance record per extra
    file (name, sha256, sentences, recommendations). Raises InputFormatError
    (located as path:line) for a malformed file.
    """
    examples = gold_examples(_read_jsonl(corpora / "gold" / "dev.jsonl"), extractor)
    sentences = corpora / "sentences" / "train.jsonl"
    if sentences.is_file():
        examples += sentence_examples(_read_jsonl(sentences))
    provenance = []
    extra = extra or ExtraFiles()
    for kind, paths in (("reports", extra.reports), ("sentences", extra.sentences)):
        for path in paths:
            rows = _read_jsonl(path)
            added = gold_examples(rows, extractor) if kind == "reports" else sentence_examples(rows)
            examples += added
            provenance.append(
                {
                    "kind": kind,
                    "file": path.name,
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                    "sentences": len(added),
                    "recommendations": sum(e.recommendation for e in added),
                }
            )
    return examples, provenance


def _file_record(path: Path) -> dict[str, str]:
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def fit_heads(
    embeddings: np.ndarray, rule_features: np.ndarray, examples: list[Example], *, l2: float
) -> dict[str, Head]:
    y_rec = np.array([e.recommendation for e in examples], dtype=np.float64)
    y_cond = np.array([e.conditional for e in examples], dtype=np.float64)
    positives = y_rec == 1
    dims = [f"e{i}" for i in range(embeddings.shape[1])]
    heads = {}
    for name, x, features in (
        ("classifier", embeddings, dims),
        ("combined", np.hstack([embeddings, rule_features]), dims + list(RULE_FEATURES)),
    ):
        w_rec, b_rec = fit_logistic(x, y_rec, l2=l2)
        w_cond, b_cond = fit_logistic(x[positives], y_cond[positives], l2=l2)
        heads[name] = Head(
            weights={"recommendation": w_rec.tolist(), "conditional": w_cond.tolist()},
            bias={"recommendation": b_rec, "conditional": b_cond},
            features=features,
        )
    return heads


@dataclass
class TrainReport:
    examples: int
    positives: int
    heads_path: Path
    evaluation: dict[str, Scores]
    calibration: dict[str, dict[str, Any]] = field(default_factory=dict)

    def render(self) -> str:
        lines = [
            f"training sentences: {self.examples} ({self.positives} recommendations)",
            f"heads written to {self.heads_path}",
            "gold test split (never trained on):",
            f"  {'system':<16} {'report P':>8} {'R':>6} {'F1':>6}"
            f"   {'span P':>6} {'R':>6} {'F1':>6}",
        ]
        for name, s in self.evaluation.items():
            r, sp = s.followup_report, s.recommendation_span
            lines.append(
                f"  {name:<16} {r['precision']:>8.3f} {r['recall']:>6.3f} {r['f1']:>6.3f}"
                f"   {sp['precision']:>6.3f} {sp['recall']:>6.3f} {sp['f1']:>6.3f}"
                f"   conditional acc {s.conditional_accuracy:.3f}"
            )
        for name, meta in self.calibration.items():
            c, t = meta["calibration"], meta["thresholds"]
            lines.append(
                f"  {name} head calibrated on {c['sentences']} sentences: Platt a={c['a']:.3f}"
                f" b={c['b']:.3f}, Brier {c['brier_before']:.4f} -> {c['brier_after']:.4f};"
                f" veto {t['veto']}, add {t['add']} (sentence F1 {t['sentence_f1']:.3f})"
            )
        return "\n".join(lines)


def train(
    corpora: Path,
    out: Path,
    *,
    model: str | None = None,
    backend: Backend = "torch",
    precision: Precision = "fp32",
    l2: float = 1.0,
    extra: ExtraFiles | None = None,
) -> TrainReport:
    """Fit both heads, write them to ``out``, and score three systems on the test split."""
    rules_only = Extractor(config=PipelineConfig(classifier=False))
    examples, provenance = training_examples(corpora, rules_only, extra)
    encoder = load_encoder(model, backend=backend, precision=precision)
    embeddings = encoder.encode([e.text for e in examples])
    rules = rules_only.nlp.get_pipe(RULES_COMPONENT)
    assert isinstance(rules, RecommendationRulesComponent)
    rule_x = np.array([rules.features(e.text, e.section) for e in examples], dtype=np.float64)
    heads = fit_heads(embeddings.astype(np.float64), rule_x, examples, l2=l2)
    folder = resolve_model(model)
    meta = {
        "version": VERSION,
        "radfollow": __version__,
        "encoder": folder.path.parent.name if folder.default else str(folder.path),
        "encoder_sha256": folder.sha256,
        "training_sentences": len(examples),
        "positives": sum(e.recommendation for e in examples),
        "l2": l2,
    }
    if provenance:
        meta["extra_training_files"] = provenance
    out.parent.mkdir(parents=True, exist_ok=True)
    save_heads(out, heads, meta)
    if extra and extra.calibrate_on:
        meta["calibrated_on"] = [_file_record(path) for path in extra.calibrate_on]
        rows = [row for path in extra.calibrate_on for row in _read_jsonl(path)]
        for name, head in heads.items():
            config = PipelineConfig(
                classifier=True,
                head=name,  # type: ignore[arg-type]
                heads=out,
                model=Path(model) if model else None,
            )
            sentences = scored_sentences(Extractor(config=config), rows)
            head.meta.update(calibrate(sentences, combined=name == "combined"))
        save_heads(out, heads, meta)
    test = _read_jsonl(corpora / "gold" / "test.jsonl")
    evaluation = evaluate_systems(test, model=model, heads=out)
    calibration = {
        name: {k: head.meta[k] for k in ("calibration", "thresholds")}
        for name, head in heads.items()
        if "calibration" in head.meta
    }
    return TrainReport(
        len(examples), sum(e.recommendation for e in examples), out, evaluation, calibration
    )


def evaluate_systems(
    gold: list[dict[str, Any]], *, model: str | None = None, heads: Path | None = None
) -> dict[str, Scores]:
    """Rules only, classifier only and combined, scored on the same gold reports."""
    systems = {
        "rules-only": PipelineConfig(classifier=False),
        "classifier-only": PipelineConfig(
            classifier=True, head="classifier", model=Path(model) if model else None, heads=heads
        ),
        "combined": PipelineConfig(
            classifier=True, head="combined", model=Path(model) if model else None, heads=heads
        ),
    }
    return {name: score(gold, predict(gold, config)) for name, config in systems.items()}
