"""Nodule and Mass P/R/F1 of the timed Open-i outputs against NegBio's gold labels.

radfollow's findings are mapped as ``benchmarks/openi_accuracy.py`` maps them (assertion
``present`` only); a peer entity counts when its label is Nodule or Mass and it is not
negated, as in ../shared/corpora/README.md. Sealed reports are never scored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _shared import load
from openi_accuracy import LABELS, counts

from radfollow.evaluation.metrics import PRF
from radfollow.models import Finding

Record = dict[str, Any]


def gold_labels() -> dict[str, set[str]]:
    """Open-i id -> NegBio labels, sealed reports left out."""
    rows = load("openi_reports.jsonl", include_sealed=False)
    return {row["id"]: set(row["negbio_gold_labels"]) for row in rows}


def radfollow_labels(record: Record) -> set[str]:
    findings = [Finding.model_validate(f) for f in record.get("findings", [])]
    return {label for label in LABELS if any(counts(f, label, {"present"}) for f in findings)}


def peer_labels(record: Record) -> set[str]:
    return {e["label"] for e in record["entities"] if not e["negated"]} & set(LABELS)


def records(output: Path) -> Iterator[Record]:
    with output.open(encoding="utf-8") as lines:
        yield from (json.loads(line) for line in lines if line.strip())


def score(
    output: Path, gold: dict[str, set[str]], labels_of: Callable[[Record], set[str]]
) -> tuple[dict[str, PRF], int]:
    """Per-label PRF over the scored reports of ``output``, and how many were scored."""
    prf = {label: PRF() for label in LABELS}
    scored = 0
    for record in records(output):
        expected = gold.get(record["id"])
        if expected is None:  # sealed
            continue
        predicted = labels_of(record)
        scored += 1
        for label, counter in prf.items():
            counter.add(label in predicted, label in expected)
    return prf, scored
