"""Open-i chest X-ray: Nodule and Mass P/R/F1 against NegBio's gold labels.

    python benchmarks/openi_accuracy.py [--half study] [--disagreements]
    python benchmarks/openi_accuracy.py --half check        # scored, never studied

Sealed reports (../shared/corpora/sealed_ids.txt) are left out unless asked.
Mapping of radfollow findings to the ChestX-ray14 labels, fixed in advance:
- Nodule: a ``pulmonary_nodule`` mention outside the indication/exam/comparison
  sections that is not called a granuloma (NegBio labels granulomas as neither);
- Mass: a ``lung_mass`` mention outside those sections.
Rows are printed for assertion ``present`` only and for ``present`` or
``possible`` (the peers in ../shared/corpora/README.md count any non-negated
mention), each with a 95% bootstrap interval over reports.

NegBio misses some true nodules and counts some non-nodules (labels/README.md,
"Open-i adjudication"): the reports where radfollow and NegBio disagreed on
2026-12-01, with 40 agreeing reports mixed in, were read by an independent
reader blind to both outputs (``labels/openi_adjudication.jsonl``). The
"adjudicated" rows score against NegBio's labels with that reader's verdict
put in their place on those reports; ``--disagreements`` lists each report
where radfollow and NegBio differ now, with the verdict when there is one.

Halves (2026-12-02): the non-sealed reports are split once by a hash of their
id (``half_of``) into ``study`` and ``check``, about 1,800 each. Rule changes
made from NegBio disagreements after that date were studied on ``study``
only; ``--disagreements`` is refused on ``check``, whose figures are quoted as
the held-out ones. ``all`` (the default) is both, as quoted before the split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from _shared import load
from followup_labels import bootstrap

from radfollow.evaluation.metrics import PRF
from radfollow.models import ExtractionResult, Finding
from radfollow.nlp.extract import Extractor, ReportText

SKIPPED_SECTIONS = {"indication", "exam", "comparison"}
LABELS = {"Nodule": {"pulmonary_nodule"}, "Mass": {"lung_mass"}}
ADJUDICATION = Path(__file__).parent / "labels" / "openi_adjudication.jsonl"
ASSERTIONS = (("present", {"present"}), ("present+possible", {"present", "possible"}))
HALVES = ("all", "study", "check")


def half_of(report_id: str) -> str:
    """``study`` or ``check``: the low bit of SHA-256 of ``negbio-half:<id>`` (fixed, seedless)."""
    digest = hashlib.sha256(f"negbio-half:{report_id}".encode()).digest()
    return "check" if digest[0] & 1 else "study"


def counts(finding: Finding, label: str, assertions: set[str]) -> bool:
    return (
        finding.type.value in LABELS[label]
        and finding.assertion.value in assertions
        and finding.section not in SKIPPED_SECTIONS
        and "granulom" not in finding.text.lower()
    )


def prf(pairs: list[tuple[bool, bool]]) -> PRF:
    out = PRF()
    for predicted, gold in pairs:
        out.add(predicted, gold)
    return out


def interval(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    """95% percentile bootstrap interval of F1, resampling reports (``followup_labels``)."""
    return bootstrap(pairs, lambda sample: {"f1": prf(list(sample)).f1})["f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--include-sealed", action="store_true")
    parser.add_argument("--disagreements", action="store_true", help="list them (ids only)")
    parser.add_argument("--half", choices=HALVES, default="all")
    args = parser.parse_args()
    if args.disagreements and args.half == "check":
        parser.error("--disagreements lists the study half only (the check half is held out)")
    rows = load("openi_reports.jsonl", include_sealed=args.include_sealed)
    if args.half != "all":
        rows = [r for r in rows if half_of(r["id"]) == args.half]
    verdicts = {
        (v := json.loads(line))["id"]: v for line in ADJUDICATION.read_text().splitlines() if line
    }
    extractor = Extractor()
    started = time.perf_counter()
    results: list[ExtractionResult] = list(
        extractor.extract_many(ReportText(r["text"], r.get("indication")) for r in rows)
    )
    elapsed = time.perf_counter() - started
    print(
        f"Open-i reports: {len(rows)} ({'with' if args.include_sealed else 'without'} sealed,"
        f" half {args.half})"
    )
    print(f"NLP time: {elapsed:.1f} s, {len(rows) / elapsed:.0f} reports/s (one process)")
    print(f"{'label':<8} {'assertions':<18} {'gold':<11} {'P':>6} {'R':>6} {'F1':>6}  95% CI"
          "        tp/fp/fn")  # fmt: skip
    for label in LABELS:
        for name, assertions in ASSERTIONS:
            predicted = [any(counts(f, label, assertions) for f in res.findings) for res in results]
            negbio = [label in row["negbio_gold_labels"] for row in rows]
            adjudicated = [
                verdicts[row["id"]][label] if row["id"] in verdicts else gold
                for row, gold in zip(rows, negbio, strict=True)
            ]
            for gold_name, gold in (("NegBio", negbio), ("adjudicated", adjudicated)):
                pairs = list(zip(predicted, gold, strict=True))
                score, (low, high) = prf(pairs), interval(pairs)
                print(
                    f"{label:<8} {name:<18} {gold_name:<11} {score.precision:6.3f}"
                    f" {score.recall:6.3f} {score.f1:6.3f}  [{low:.2f}, {high:.2f}]"
                    f"  {score.tp}/{score.fp}/{score.fn}"
                )
            if args.disagreements and name == "present+possible":
                for row, p, g in zip(rows, predicted, negbio, strict=True):
                    if p != g:
                        verdict = verdicts.get(row["id"], {}).get(label)
                        kind = "radfollow only" if p else "NegBio only"
                        print(f"    {label} {kind:<15} {row['id']:<12} reader: {verdict}")
    by_id = {row["id"]: row for row in rows}
    controls = [v for v in verdicts.values() if v["role"] == "control" and v["id"] in by_id]
    agree = sum(
        v[label] == (label in by_id[v["id"]]["negbio_gold_labels"])
        for v in controls
        for label in LABELS
    )
    print(
        f"reader vs NegBio on {len(controls)} control reports (both labels): agreement"
        f" {agree / (2 * len(controls)):.3f}"
    )


if __name__ == "__main__":
    main()
