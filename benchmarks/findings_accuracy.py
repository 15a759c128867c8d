"""Finding and incidental-finding accuracy on the blind-labelled real reports (labels/README.md).

    python benchmarks/findings_accuracy.py --half tuning [--errors] [--json OUT]
    python benchmarks/findings_accuracy.py --half test            # once, at the end

Runs the default pipeline over one half of the labelled set and prints, per
corpus and overall, incidental-type micro P/R/F1, finding detection P/R/F1
(same type, overlapping span) and, on matched mentions, assertion, benign,
incidental, ``incidental_reason``, size, composition and multiplicity
accuracy, each with its 95% bootstrap interval (``findings_labels``).
``--errors`` prints each miss with its words, for study on the tuning half
only: the test half needs ``--final`` (after its one final score, for the
closing note). Nothing it prints may be copied into the repository.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from _shared import unsealed_reports
from findings_labels import FINAL, FINAL_2, ReportScore, counts, figures, predicted, score_report
from followup_labels import bootstrap, by_id, check_half, half_arguments, read_jsonl, sample

from radfollow.nlp.extract import Extractor, ReportText

SHOWN = ("inc_p", "inc_r", "inc_f1", "det_p", "det_r", "det_f1", "assertion_acc",
         "benign_acc", "incidental_acc", "reason_acc", "size_acc", "composition_acc",
         "multiplicity_acc")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    half_arguments(parser)
    parser.add_argument("--labels", type=Path, default=FINAL, help="label file to score against")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    check_half(args)
    labels = by_id(read_jsonl(args.labels))
    if args.labels == FINAL and FINAL_2.is_file():
        labels |= by_id(read_jsonl(FINAL_2))  # round 2's halves: tuning-2, test-2
    chosen = [i for i, row in sample().items() if row["half"] == args.half and i in labels]
    texts = unsealed_reports()
    rows = [texts[i] for i in chosen]
    gold = [labels[i] for i in chosen]
    print(
        f"{args.half} half: {len(chosen)} reports, {sum(len(g['findings']) for g in gold)}"
        f" finding mentions, {sum(bool(g['incidental_types']) for g in gold)} reports with an"
        f" incidental finding, {sum(len(g['incidental_types']) for g in gold)} incidental types"
    )
    extractor = Extractor()
    results = extractor.extract_many(ReportText(r["text"], r.get("indication")) for r in rows)
    preds = [predicted(res) for res in results]
    scores: list[ReportScore] = [score_report(g, p) for g, p in zip(gold, preds, strict=True)]
    print(f"{'corpus':<10} " + " ".join(f"{k:>18}" for k in SHOWN))
    out: dict[str, Any] = {}
    for corpus in ("mtsamples", "openi", "all"):
        picked = [
            s
            for i, s in zip(chosen, scores, strict=True)
            if corpus == "all" or i.startswith(corpus)
        ]
        f, ci = figures(picked), bootstrap(picked, figures)
        out[corpus] = {k: [f[k], *ci[k]] for k in SHOWN} | {"counts": counts(picked)}
        print(
            f"{corpus:<10} "
            + " ".join(f"{f[k]:.3f} [{ci[k][0]:.2f},{ci[k][1]:.2f}]".rjust(18) for k in SHOWN)
        )
    print("counts (all):", counts(scores))
    if args.errors:
        for i, s, row in zip(chosen, scores, rows, strict=True):
            for kind, g, p in s.misses:
                words = ""
                if "start" in g:
                    words = row["text"][g["start"] : g["end"]].replace("\n", " ")
                keys = ("type", "assertion", "benign", "incidental", "reason", "size_mm",
                        "composition", "multiplicity", "section")  # fmt: skip
                detail = {k: g.get(k) for k in keys if k in g}
                if p is not None:
                    detail = {k: (g.get(k), p.get(k)) for k in keys if g.get(k) != p.get(k)}
                print(f"  [{kind}] {i}: {words[:120]!r} {detail}")
                if kind == "false positive" or p is not None:
                    print(f"      sentence: {(p or g).get('sentence', '')[:200]!r}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
