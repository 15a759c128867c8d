"""The systems compared by ``benchmarks/peers.py`` and what one timed run measured."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    RADFOLLOW = "radfollow"
    MEDSPACY = "medspacy"
    NEGSPACY = "negspacy"


@dataclass(frozen=True)
class System:
    name: str
    kind: Kind
    workers: tuple[int, ...]
    note: str
    classifier: bool = True
    quiet: bool = False

    @property
    def is_peer(self) -> bool:
        return self.kind is not Kind.RADFOLLOW


SYSTEMS = (
    System(
        "radfollow",
        Kind.RADFOLLOW,
        (1, 2),
        "`radfollow.processing.batch.run_extract`, what `radfollow extract` runs: read JSONL, "
        "sections, 13 finding types, ConText assertion, sizes, recommendations scored by the ONNX "
        "transformer classifier, write JSONL. 2 workers = its spawn process pool.",
    ),
    System(
        "radfollow rules-only",
        Kind.RADFOLLOW,
        (1,),
        "The same job with `classifier=False` (`radfollow extract --no-classifier`).",
        classifier=False,
    ),
    System(
        "medspaCy (stock)",
        Kind.MEDSPACY,
        (1, 2),
        "`medspacy.load()` (PyRuSH sentences, TargetMatcher, ConText) plus "
        "`medspacy_sectionizer`, TargetRules for the head nouns in "
        "`benchmarks/peers/targets.json`; PyRuSH's loguru DEBUG logging left on, as shipped "
        "(written to a file).",
    ),
    System(
        "medspaCy, PyRuSH logging off",
        Kind.MEDSPACY,
        (1, 2),
        "The same pipeline after `loguru.logger.remove()`.",
        quiet=True,
    ),
    System(
        "negspacy",
        Kind.NEGSPACY,
        (1, 2),
        '`spacy.blank("en")` + `sentencizer` + `entity_ruler` (the same phrases, LOWER) + '
        '`negex` (negspacy 1.1.0, termset "en_clinical"), spaCy 3.8 in its own venv.',
    ),
)


@dataclass(frozen=True)
class Corpus:
    name: str
    path: Path
    reports: int
    words: int


@dataclass
class Measurement:
    """The best of ``--repeat`` runs of one system on one corpus with ``workers`` processes."""

    system: System
    corpus: Corpus
    workers: int
    output: Path
    load_s: float = 0.0
    run_s: float = 0.0
    rss_kb: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def reports_per_s(self) -> float:
        return self.corpus.reports / self.run_s if self.run_s else 0.0

    @property
    def words_per_s(self) -> float:
        return self.corpus.words / self.run_s if self.run_s else 0.0

    @property
    def rss_mb(self) -> float:
        return self.rss_kb / 1024

    @property
    def label(self) -> str:
        """``radfollow, 2 workers`` or ``negspacy, 1 process``."""
        unit, plural = ("worker", "s") if self.system.kind is Kind.RADFOLLOW else ("process", "es")
        return f"{self.system.name}, {self.workers} {unit}{plural if self.workers > 1 else ''}"
