"""Open-i chest X-ray: Nodule and Mass P/R/F1 against NegBio's gold labels.

    python benchmarks/openi_accuracy.py [--include-sealed]

Sealed reports (../shared/corpora/sealed_ids.txt) are left out unless asked.
Mapping of radfollow findings to the ChestX-ray14 labels, fixed in advance:
- Nodule: a ``pulmonary_nodule`` mention outside the indication/exam/comparison
  sections that is not called a granuloma (NegBio labels granulomas as neither);
- Mass: a ``lung_mass`` mention outside those sections.
Rows are printed for assertion ``present`` only and for ``present`` or
``possible`` (the peers in ../shared/corpora/README.md count any non-negated
mention).
"""

from __future__ import annotations

import argparse
import time

from _shared import load

from radfollow.evaluation.metrics import PRF
from radfollow.models import ExtractionResult, Finding
from radfollow.nlp.extract import Extractor, ReportText

SKIPPED_SECTIONS = {"indication", "exam", "comparison"}
LABELS = {"Nodule": {"pulmonary_nodule"}, "Mass": {"lung_mass"}}


def counts(finding: Finding, label: str, assertions: set[str]) -> bool:
    return (
        finding.type.value in LABELS[label]
        and finding.assertion.value in assertions
        and finding.section not in SKIPPED_SECTIONS
        and "granulom" not in finding.text.lower()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--include-sealed", action="store_true")
    args = parser.parse_args()
    rows = load("openi_reports.jsonl", include_sealed=args.include_sealed)
    extractor = Extractor()
    started = time.perf_counter()
    results: list[ExtractionResult] = list(
        extractor.extract_many(ReportText(r["text"], r.get("indication")) for r in rows)
    )
    elapsed = time.perf_counter() - started
    print(f"Open-i reports: {len(rows)} ({'with' if args.include_sealed else 'without'} sealed)")
    print(f"NLP time: {elapsed:.1f} s, {len(rows) / elapsed:.0f} reports/s (one process)")
    print(f"{'label':<8} {'assertions':<18} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn")
    for label in LABELS:
        for name, assertions in (
            ("present", {"present"}),
            ("present+possible", {"present", "possible"}),
        ):
            prf = PRF()
            for row, result in zip(rows, results, strict=True):
                predicted = any(counts(f, label, assertions) for f in result.findings)
                prf.add(predicted, label in row["negbio_gold_labels"])
            print(
                f"{label:<8} {name:<18} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f}"
                f"  {prf.tp}/{prf.fp}/{prf.fn}"
            )


if __name__ == "__main__":
    main()
