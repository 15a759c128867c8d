"""The recommendation classifier as a spaCy component (between the rules and the selector).

See docs/classifier.md.

For every sentence that passes the rules' cheap gate (an action or trigger
word, outside the indication/technique/comparison/exam sections) it scores
"is a follow-up recommendation" and "is hedged/conditional". ``predict`` is
pure and batches sentences of many documents by length; ``set_annotations``
writes ``rad_score`` on the rules' candidates and adds candidates for
sentences the rules missed (attributes from the rules' readers). The selector
decides with its threshold.

Heads: ``combined`` reads the embedding plus what the rules say of the
sentence; ``classifier`` reads the embedding alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.errors import ModelError
from radfollow.nlp.classifier.cache import EmbeddingCache
from radfollow.nlp.classifier.encoder import Encoder, resolve_model
from radfollow.nlp.classifier.head import Head, load_heads
from radfollow.nlp.classifier.onnx_export import Backend, Precision, load_encoder
from radfollow.nlp.extensions import CANDIDATES
from radfollow.nlp.recommendations import (
    RULES_COMPONENT,
    FindingIndex,
    RecommendationRulesComponent,
    sentence_text,
)

VERSION = 1
#: Distinct sentence embeddings kept per process (384 floats each: about 16 MB).
EMBEDDING_CACHE_SIZE = 10_000
HEADS_FILE = "heads.json"
RULE_FEATURES = (
    "rule_candidate",
    "rule_conditional",
    "rule_excluded",
    "rule_trigger",
    "rule_hedge",
)


#: Used when neither the pipeline config nor the heads' meta sets a threshold.
DEFAULT_ADD_THRESHOLD = 0.5
DEFAULT_VETO_THRESHOLD = 0.2


def fused_score(
    probability: float, rule_score: float | None, *, veto: float, combined: bool
) -> float:
    """The selector's score before calibration (``RecommendationClassifier.fuse``)."""
    if not combined or not rule_score or probability < veto:
        return probability
    return max(probability, rule_score)


def _first(*values: float | None) -> float:
    return float(next(v for v in values if v is not None))


def default_heads_path() -> Path:
    return Path(str(resources.files("radfollow.nlp.classifier").joinpath(HEADS_FILE)))


@dataclass(frozen=True)
class Prepared:
    """Gated sentences of a batch, ready for the encoder."""

    gated: list[tuple[int, Span, str | None]]
    texts: list[str]
    features: np.ndarray | None


@dataclass(frozen=True)
class Scored:
    """One gated sentence and its scores."""

    doc_index: int
    sentence: Span
    section: str | None
    recommendation: float
    conditional: float


class RecommendationClassifier:
    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        model: str | None,
        heads: str | None,
        head: str,
        backend: Backend,
        precision: Precision,
        max_length: int,
        batch_size: int,
        add_threshold: float | None,
        veto_threshold: float | None,
        conditional_threshold: float,
    ) -> None:
        self.name = name
        self.nlp = nlp
        self.model = model
        self.heads_path = Path(heads) if heads else default_heads_path()
        self.head_name = head
        self.backend: Backend = backend
        self.precision: Precision = precision
        self.max_length = max_length
        self.batch_size = batch_size
        self.conditional_threshold = conditional_threshold
        self._config_thresholds = (add_threshold, veto_threshold)
        self._load_heads()
        self._encoder: Encoder | None = None
        # int8 embeddings depend on their batch-mates: a cache would make a
        # score depend on what the process saw before, so int8 runs without.
        self.embedding_cache = EmbeddingCache(EMBEDDING_CACHE_SIZE if precision == "fp32" else 0)

    def _load_heads(self) -> None:
        heads, self.meta = load_heads(self.heads_path)
        if self.head_name not in heads:
            raise ModelError(
                f"no head {self.head_name!r} (have {sorted(heads)})", where=str(self.heads_path)
            )
        self.head: Head = heads[self.head_name]
        # Thresholds: the pipeline config's, else those chosen when the heads
        # were calibrated (radfollow.training.calibration), else the defaults.
        chosen = self.head.meta.get("thresholds", {})
        add, veto = self._config_thresholds
        self.add_threshold = _first(add, chosen.get("add"), DEFAULT_ADD_THRESHOLD)
        self.veto_threshold = _first(veto, chosen.get("veto"), DEFAULT_VETO_THRESHOLD)
        platt = self.head.meta.get("calibration")
        self.calibration: tuple[float, float] | None = (
            (float(platt["a"]), float(platt["b"])) if platt else None
        )

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            folder = resolve_model(self.model)
            trained_for = self.meta.get("encoder_sha256")
            if trained_for and trained_for != folder.sha256:
                raise ModelError(
                    "these heads were trained for another encoder; run 'radfollow train --model'",
                    where=str(self.heads_path),
                )
            self._encoder = load_encoder(
                self.model,
                backend=self.backend,
                precision=self.precision,
                max_length=self.max_length,
            )
        return self._encoder

    @property
    def rules(self) -> RecommendationRulesComponent:
        component = self.nlp.get_pipe(RULES_COMPONENT)
        if not isinstance(component, RecommendationRulesComponent):  # pragma: no cover
            raise ModelError("the recommendation rules component must run before the classifier")
        return component

    # ------------------------------------------------------------ predict

    def gated(self, docs: list[Doc]) -> list[tuple[int, Span, str | None]]:
        rules = self.rules
        return [
            (index, sent, category)
            for index, doc in enumerate(docs)
            for sent, category in rules.gated(doc)
        ]

    def predict(self, docs: list[Doc]) -> list[Scored]:
        return self.score(self.prepare(docs))

    def prepare(self, docs: list[Doc]) -> Prepared:
        """The gated sentences of ``docs``, their texts and the rules' features (GIL-bound)."""
        gated = self.gated(docs)
        texts = [sentence_text(sent) for _, sent, _ in gated]
        features = None
        if gated and self._uses_rule_features:
            rules = self.rules
            features = np.array(
                [rules.features(t, c) for t, (_, _, c) in zip(texts, gated, strict=True)],
                dtype=np.float32,
            ).reshape(len(texts), len(RULE_FEATURES))
        return Prepared(gated, texts, features)

    def score(self, prepared: Prepared) -> list[Scored]:
        """Encoder and heads over prepared sentences (mostly native code, releases the GIL)."""
        if not prepared.gated:
            return []
        inputs = self.embed(prepared.texts)
        if prepared.features is not None:
            inputs = np.hstack([inputs, prepared.features])
        scores = self.head.predict(inputs)
        return [
            Scored(
                i, sent, cat, float(scores["recommendation"][k]), float(scores["conditional"][k])
            )
            for k, (i, sent, cat) in enumerate(prepared.gated)
        ]

    @property
    def _uses_rule_features(self) -> bool:
        return len(self.head.features) > self.encoder.dimension

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings in input order: cached ones reused, the rest in batches of similar length.

        Radiology reports repeat sentences verbatim (templates, standard
        impressions), so an embedding is kept per distinct sentence text.
        """
        out = np.zeros((len(texts), self.encoder.dimension), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for k, text in enumerate(texts):
            cached = self.embedding_cache.get(text)
            if cached is None:
                missing.setdefault(text, []).append(k)
            else:
                out[k] = cached
        todo = sorted(missing, key=len)
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            for text, vector in zip(chunk, self.encoder.encode(chunk), strict=True):
                self.embedding_cache.put(text, vector)
                out[missing[text]] = vector
        return out

    # ------------------------------------------------------------ annotate

    def set_annotations(self, docs: list[Doc], scored: list[Scored]) -> None:
        by_doc: dict[int, list[Scored]] = {}
        for item in scored:
            by_doc.setdefault(item.doc_index, []).append(item)
        for index, doc in enumerate(docs):
            self._annotate(doc, by_doc.get(index, []))

    def _annotate(self, doc: Doc, scored: list[Scored]) -> None:
        existing = {span.sent.start: span for span in doc.spans.get(CANDIDATES, [])}
        spans = list(doc.spans.get(CANDIDATES, []))
        findings: FindingIndex | None = None
        for item in scored:
            span = existing.get(item.sentence.start)
            if span is None:
                if item.recommendation < self.add_threshold:
                    continue
                text = sentence_text(item.sentence)
                if self.rules.exclusion(text) is not None:
                    continue  # the rules' exclusions ("no follow-up needed") bind it too
                described = self.rules.describe(text)
                findings = findings or FindingIndex.of(doc)
                span = self.rules.make_span(doc, item.sentence, described, item.section, findings)
                span._.rad_rule = "classifier"
                spans.append(span)
            span._.rad_score = self.fuse(item.recommendation, span._.rad_rule_score)
            span._.rad_conditional = item.conditional >= self.conditional_threshold
        doc.spans[CANDIDATES] = sorted(spans, key=lambda s: s.start)

    def fuse(self, probability: float, rule_score: float | None) -> float:
        """The score the selector sees.

        ``classifier``: the classifier's probability. ``combined``: the rules
        propose and the classifier disposes: a rule candidate keeps the rules'
        score unless the classifier is confident it is no recommendation
        (probability below ``veto_threshold``); a sentence the rules missed
        scores the classifier's probability.
        """
        raw = fused_score(
            probability, rule_score, veto=self.veto_threshold, combined=self.head_name == "combined"
        )
        return self.calibrated(raw)

    def calibrated(self, raw: float) -> float:
        """Platt scaling stored with the heads (docs/classifier.md); identity without it."""
        if self.calibration is None:
            return raw
        a, b = self.calibration
        clipped = min(max(raw, 1e-6), 1 - 1e-6)
        z = a * math.log(clipped / (1 - clipped)) + b
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    # ------------------------------------------------------------ spaCy API

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 64) -> Iterator[Doc]:
        """Score batch k on a background thread while batch k+1 runs the earlier components.

        The encoder (Rust tokenizer, ONNX Runtime) releases the GIL, so on two
        cores the rules of the next batch and the encoder of this one overlap.
        Documents still leave in input order.
        """
        iterator = iter(stream)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="radfollow-encoder") as pool:
            pending: tuple[list[Doc], Future[list[Scored]]] | None = None
            while True:
                try:
                    docs = list(islice(iterator, batch_size))
                except Exception:
                    # An earlier component failed on the next batch: this
                    # batch is scored already, so it still goes out first.
                    if pending is not None:
                        yield from self._finish(*pending)
                    raise
                if not docs:
                    break
                future = pool.submit(self.score, self.prepare(docs))
                if pending is not None:
                    yield from self._finish(*pending)
                pending = (docs, future)
            if pending is not None:
                yield from self._finish(*pending)

    def _finish(self, docs: list[Doc], future: Future[list[Scored]]) -> list[Doc]:
        self.set_annotations(docs, future.result())
        return docs

    def to_disk(self, path: str | Path, *, exclude: tuple[str, ...] = ()) -> None:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / HEADS_FILE).write_text(self.heads_path.read_text())
        (folder / "version.json").write_text(json.dumps({"version": VERSION}))

    def from_disk(
        self, path: str | Path, *, exclude: tuple[str, ...] = ()
    ) -> RecommendationClassifier:
        self.heads_path = Path(path) / HEADS_FILE
        self._load_heads()
        return self


def describe_config(component: RecommendationClassifier) -> dict[str, Any]:
    """What the closing notes and `radfollow train` print about the running classifier."""
    return {
        "head": component.head_name,
        "backend": component.backend,
        "precision": component.precision,
        "heads": str(component.heads_path),
        "meta": component.meta,
    }
