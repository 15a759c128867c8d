"""Agreement of two independent readers' finding labels (labels/README.md, issue 13).

    python benchmarks/findings_agreement.py [--round 1|2]

On the reports both readers labelled: Cohen's kappa of "has an incidental
finding" per report; incidental-type micro F1 and finding-mention F1 (same
type, overlapping span) with reader A as reference (the F1 is symmetric);
and, on matched mentions, agreement on assertion, benign, incidental and the
other attributes (``findings_labels.score_report``), each with its 95%
bootstrap interval over reports.
"""

from __future__ import annotations

import argparse

from findings_labels import (
    READER_A,
    READER_A_2,
    READER_B,
    READER_B_2,
    counts,
    figures,
    score_report,
)
from followup_labels import bootstrap, by_id, cohen_kappa, read_jsonl

SHOWN = ("inc_f1", "det_f1", "assertion_acc", "benign_acc", "incidental_acc", "reason_acc",
         "size_acc", "composition_acc", "multiplicity_acc")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, choices=(1, 2), default=1, help="labelling round")
    args = parser.parse_args()
    paths = (READER_A, READER_B) if args.round == 1 else (READER_A_2, READER_B_2)
    a, b = by_id(read_jsonl(paths[0])), by_id(read_jsonl(paths[1]))
    both = sorted(set(a) & set(b))
    scores = [score_report(a[i], b[i]) for i in both]
    kappa = cohen_kappa(
        [bool(a[i]["incidental_types"]) for i in both],
        [bool(b[i]["incidental_types"]) for i in both],
    )
    print(
        f"{len(both)} reports read twice; reports with an incidental finding: A"
        f" {sum(bool(a[i]['incidental_types']) for i in both)}, B"
        f" {sum(bool(b[i]['incidental_types']) for i in both)}; kappa {kappa:.3f}"
    )
    print(
        f"mentions: A {sum(len(a[i]['findings']) for i in both)},"
        f" B {sum(len(b[i]['findings']) for i in both)}"
    )
    f, ci = figures(scores), bootstrap(scores, figures)
    for k in SHOWN:
        print(f"{k:<18} {f[k]:.3f} [{ci[k][0]:.2f}, {ci[k][1]:.2f}]")
    print("counts:", counts(scores))
    for i, s in zip(both, scores, strict=True):
        for kind, g, _ in s.misses:
            where = f"{g.get('start', '')}-{g.get('end', '')}"
            print(f"  {i} [{kind}] {g.get('type')} {where}")


if __name__ == "__main__":
    main()
