"""Write the tuning half's MTSamples reports with their labels, for ``radfollow train --reports``.

    python benchmarks/followup_training.py --out /tmp/mtsamples_tuning.jsonl
    python benchmarks/followup_training.py --calibration --out /tmp/tuning.jsonl
    radfollow train --reports /tmp/mtsamples_tuning.jsonl --calibrate-on /tmp/tuning.jsonl

Training: only MTSamples (CC0) reports of the tuning half; Open-i text is for
evaluation only (its licence forbids derivatives). ``--calibration``: every
report of the tuning half, both corpora, for ``--calibrate-on`` (two Platt
numbers and two thresholds are chosen on it, as the thresholds of any
evaluation are; no text is learned from). The test half is never written.
The output holds report text: write it outside the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _shared import ROOT, load
from followup_labels import FINAL, by_id, read_jsonl, sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--calibration", action="store_true", help="both corpora, for calibration")
    args = parser.parse_args()
    if args.out.resolve().is_relative_to(ROOT):
        sys.exit("write the training reports outside the repository (they hold report text)")
    halves = sample()
    labels = by_id(read_jsonl(FINAL))
    rows = [
        {
            "id": r["id"],
            "text": r["text"],
            "indication": r.get("indication"),
            "recommendations": labels[r["id"]]["recommendations"],
        }
        for name in ("mtsamples_radiology.jsonl", "openi_reports.jsonl")
        if args.calibration or name.startswith("mtsamples")
        for r in load(name, include_sealed=False)
        if r["id"] in halves and halves[r["id"]]["half"] == "tuning"
    ]
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.replace(args.out)
    print(
        f"{len(rows)} reports, {sum(len(r['recommendations']) for r in rows)} recommendations"
        f" -> {args.out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
