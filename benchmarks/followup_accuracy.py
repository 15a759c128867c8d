"""Follow-up recommendation accuracy on the blind-labelled real reports (labels/README.md).

    python benchmarks/followup_accuracy.py --half tuning [--errors] [--json OUT]
    python benchmarks/followup_accuracy.py --half test            # once, at the end

Runs rules only, classifier only and combined over one half of the labelled
set and prints, per corpus and overall, report-level and span-level P/R/F1
and the modality / interval / conditional accuracy on matched spans, each
with its 95% bootstrap interval (``followup_labels``), and the calibration of
``score`` (Brier score and reliability bins over every sentence the
classifier scored). ``--errors`` prints each miss with its sentence, for
study on the tuning half only: it is refused on the test half unless
``--final`` says the test half has had its one final score (the closing note
lists the remaining misses; nothing is tuned after that). Nothing it prints
may be copied into the repository.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from _shared import unsealed_reports
from followup_labels import (
    ReportScore,
    bootstrap,
    check_half,
    figures,
    final_labels,
    half_arguments,
    sample,
)
from followup_labels import score_report as compare

from radfollow.errors import ModelError
from radfollow.nlp.extract import Extractor, ReportText, doc_to_result
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.training.calibration import classifier_of, score_docs

SYSTEMS = {
    "rules-only": PipelineConfig(classifier=False),
    "classifier-only": PipelineConfig(classifier=True, head="classifier"),
    "combined": PipelineConfig(classifier=True, head="combined"),
}
SHOWN = ("rep_p", "rep_r", "rep_f1", "span_p", "span_r", "span_f1",
         "modality_acc", "interval_acc", "conditional_acc")  # fmt: skip
BINS = 10


def _predicted(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "start": r.start,
            "end": r.end,
            "modality": r.modality.value if r.modality else None,
            "interval_months": list(r.interval_months) if r.interval_months else None,
            "conditional": r.conditional,
        }
        for r in result.recommendations
    ]


def _calibration(
    nlp: Any, docs: list[Any], gold: list[list[dict[str, Any]]]
) -> list[tuple[float, bool]]:
    """(score, is a gold recommendation) for every sentence the classifier scored."""
    try:
        component = classifier_of(nlp)
    except ModelError:
        return []  # rules only: no scored sentences
    return [
        (component.fuse(s.probability, s.rule_score), s.label)
        for s in score_docs(component, docs, gold)
    ]


def _reliability(pairs: list[tuple[float, bool]]) -> tuple[float, list[tuple[float, float, int]]]:
    brier = sum((s - y) ** 2 for s, y in pairs) / len(pairs)
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(BINS)]
    for s, y in pairs:
        bins[min(int(s * BINS), BINS - 1)].append((s, y))
    rows = [
        (sum(s for s, _ in b) / len(b), sum(y for _, y in b) / len(b), len(b)) for b in bins if b
    ]
    return brier, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    half_arguments(parser)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--plot", type=Path, help="write a reliability plot (PNG) here")
    args = parser.parse_args()
    check_half(args)
    chosen = [i for i, row in sample().items() if row["half"] == args.half]
    labels = final_labels()
    texts = unsealed_reports()
    rows = [texts[i] for i in chosen]
    gold = [labels[i]["recommendations"] for i in chosen]
    print(
        f"{args.half} half: {len(chosen)} reports, {sum(bool(g) for g in gold)} with a "
        f"recommendation, {sum(map(len, gold))} recommendations"
    )
    out: dict[str, Any] = {}
    for name in args.systems.split(","):
        extractor = Extractor(config=SYSTEMS[name])
        docs = list(
            extractor.nlp.pipe(
                (extractor.make_doc(ReportText(r["text"], r.get("indication"))) for r in rows),
                batch_size=64,
            )
        )
        results = [doc_to_result(d) for d in docs]
        scores: list[ReportScore] = [
            compare(g, _predicted(res)) for g, res in zip(gold, results, strict=True)
        ]
        print(f"\n== {name}")
        print(f"{'corpus':<10} " + " ".join(f"{k:>20}" for k in SHOWN))
        out[name] = {}
        for corpus in ("mtsamples", "openi", "all"):
            picked = [
                s
                for i, s in zip(chosen, scores, strict=True)
                if corpus == "all" or i.startswith(corpus)
            ]
            if not picked:
                continue  # round 2 is Open-i only
            f, ci = figures(picked), bootstrap(picked)
            out[name][corpus] = {k: [f[k], *ci[k]] for k in SHOWN}
            print(
                f"{corpus:<10} "
                + " ".join(f"{f[k]:.3f} [{ci[k][0]:.2f},{ci[k][1]:.2f}]".rjust(20) for k in SHOWN)
            )
        pairs = _calibration(extractor.nlp, docs, gold)
        if pairs:
            brier, rel = _reliability(pairs)
            out[name]["calibration"] = {"brier": brier, "bins": rel, "sentences": len(pairs)}
            print(f"calibration over {len(pairs)} scored sentences: Brier {brier:.4f}")
            for mean, rate, n in rel:
                print(f"  mean score {mean:.2f}  gold rate {rate:.2f}  n={n}")
        if args.errors:
            for i, s, row in zip(chosen, scores, rows, strict=True):
                for kind, g, p in s.misses:
                    text = row["text"][g["start"] : g["end"]].replace("\n", " ")
                    detail = ""
                    if p is not None:
                        keys = ("modality", "interval_months", "conditional")
                        gold_ = {k: g.get(k) for k in keys}
                        pred_ = {k: p.get(k) for k in keys}
                        detail = f" gold={gold_} pred={pred_}"
                    print(f"  [{kind}] {i}: {text[:220]!r}{detail}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    if args.plot:
        _plot(out, args.plot, args.half)


def _plot(out: dict[str, Any], path: Path, half: str) -> None:
    """Reliability diagram: mean score against the observed rate per bin, per head."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name, figures_ in out.items():
        calibration = figures_.get("calibration")
        if not calibration:
            continue
        xs, ys, ns = zip(*calibration["bins"], strict=True)
        ax.plot(xs, ys, marker="o", label=f"{name} (Brier {calibration['brier']:.3f})")
        for x, y, n in zip(xs, ys, ns, strict=True):
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("score (mean in bin)")
    ax.set_ylabel("share that are labelled recommendations")
    ax.set_title(f"Recommendation score reliability, {half} half (n per bin)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
