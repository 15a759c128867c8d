"""Agreement of two independent readers on the reports read twice (labels/README.md).

    python benchmarks/followup_agreement.py [--round 1|2] [--list]

Prints Cohen's kappa of the report-level label, span P/R/F1 of reader B
against reader A (overlap match, ANNOTATION.md section 1), and attribute
agreement on matched spans, with 95% bootstrap intervals. ``--list`` names
the reports where the readers disagree (ids only), for adjudication.
"""

from __future__ import annotations

import argparse

from followup_labels import (
    ReportScore,
    bootstrap,
    cohen_kappa,
    figures,
    readers,
    sample,
    score_report,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list disagreeing report ids")
    parser.add_argument("--round", type=int, choices=(1, 2), default=1, help="labelling round")
    args = parser.parse_args()
    a, b = readers(args.round)
    ids = sorted(i for i in b if i in a)
    strata = sample()
    print(
        f"{len(ids)} reports read twice; reader A {sum(len(a[i]['recommendations']) for i in ids)}"
        f" recommendations, reader B {sum(len(b[i]['recommendations']) for i in ids)}"
    )
    for corpus in ("mtsamples", "openi", "all"):
        chosen = [i for i in ids if corpus == "all" or i.startswith(corpus)]
        if not chosen:
            continue
        ya = [a[i]["has_followup_recommendation"] for i in chosen]
        yb = [b[i]["has_followup_recommendation"] for i in chosen]
        scores: list[ReportScore] = [
            score_report(a[i]["recommendations"], b[i]["recommendations"]) for i in chosen
        ]
        kappa_draws = bootstrap(
            [_Pair(x, y) for x, y in zip(ya, yb, strict=True)],  # type: ignore[list-item]
            lambda rows: {"kappa": cohen_kappa([r.a for r in rows], [r.b for r in rows])},  # type: ignore[attr-defined]
        )
        f = figures(scores)
        ci = bootstrap(scores)
        print(f"\n{corpus}: {len(chosen)} reports, A positive {sum(ya)}, B positive {sum(yb)}")
        lo, hi = kappa_draws["kappa"]
        print(f"  report-level kappa {cohen_kappa(ya, yb):.3f} [{lo:.3f}, {hi:.3f}]")
        for key in (
            "span_p",
            "span_r",
            "span_f1",
            "modality_acc",
            "interval_acc",
            "conditional_acc",
        ):
            lo, hi = ci[key]
            print(f"  {key:<16} {f[key]:.3f} [{lo:.3f}, {hi:.3f}]")
    if args.list:
        print("\ndisagreements (id: kinds):")
        for i in ids:
            score = score_report(a[i]["recommendations"], b[i]["recommendations"])
            kinds = sorted({kind for kind, _, _ in score.misses})
            if kinds:
                print(f"  {i} ({strata[i]['half']}): {', '.join(kinds)}")


class _Pair:
    def __init__(self, a: bool, b: bool) -> None:
        self.a, self.b = a, b


if __name__ == "__main__":
    main()
