"""Report-level follow-up P/R/F1 on hand-labelled ../shared reports (labels/README.md).

    python benchmarks/followup_review.py

Scores rules only, classifier only and combined against
``labels/followup_review.jsonl``, overall and per sampling stratum.
"""

from __future__ import annotations

import json
from pathlib import Path

from _shared import load

from radfollow.evaluation.metrics import PRF
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig

LABELS = Path(__file__).parent / "labels" / "followup_review.jsonl"
SYSTEMS = {
    "rules-only": PipelineConfig(classifier=False),
    "classifier-only": PipelineConfig(head="classifier"),
    "combined": PipelineConfig(head="combined"),
}


def main() -> None:
    labels = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    texts = {
        r["id"]: r
        for name in ("mtsamples_radiology.jsonl", "openi_reports.jsonl")
        for r in load(name, include_sealed=False)
    }
    rows = [texts[label["id"]] for label in labels]
    strata = sorted({label["stratum"] for label in labels})
    print(
        f"{len(labels)} reports, {sum(x['has_followup_recommendation'] for x in labels)} positive"
    )
    print(f"{'system':<16} {'stratum':<14} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn")
    for name, config in SYSTEMS.items():
        extractor = Extractor(config=config)
        results = list(
            extractor.extract_many(ReportText(r["text"], r.get("indication")) for r in rows)
        )
        for stratum in [*strata, "mtsamples", "openi", "all"]:
            prf = PRF()
            for label, result in zip(labels, results, strict=True):
                corpus = label["id"].split("-", 1)[0]
                if stratum in ("all", label["stratum"], corpus):
                    prf.add(
                        result.has_followup_recommendation, label["has_followup_recommendation"]
                    )
            print(
                f"{name:<16} {stratum:<14} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f}"
                f"  {prf.tp}/{prf.fp}/{prf.fn}"
            )


if __name__ == "__main__":
    main()
