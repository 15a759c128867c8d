"""Critical results and documented communication on the blind-labelled real reports (issue 17).

    python benchmarks/critical_accuracy.py --half tuning [--errors]
    python benchmarks/critical_accuracy.py --half test            # once, at the end
    python benchmarks/critical_accuracy.py --agreement            # reader A against reader B
    python benchmarks/critical_accuracy.py --synthetic            # corpora/gold/critical.jsonl

Gold: ``labels/critical_spans.jsonl`` (reader A, adjudicated; labels/README.md).
Figures per level, with 95% percentile bootstrap intervals over reports:

* critical, report level ("has a critical result"): sensitivity, specificity,
  precision, F1 (the anchors: pyConTextNLP 0.92 / 0.99, Heilbrun 2019);
* critical, (report, category) pairs and mentions (same category, overlapping);
* communication, report level (the anchor: 0.84 / 0.99, Eur Radiol 2022) and
  mentions (overlapping), with role, method, time and acknowledgement agreement
  on the matched mentions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _shared import unsealed_reports
from critical_labels import read_critical_sample
from followup_labels import bootstrap, check_half, cohen_kappa, half_arguments, prf

LABELS = Path(__file__).parent / "labels"
GOLD = LABELS / "critical_spans.jsonl"
SYNTHETIC = Path(__file__).resolve().parents[1] / "corpora" / "gold" / "critical.jsonl"
READER_A = LABELS / "critical_spans.reader_a.jsonl"
READER_B = LABELS / "critical_spans.reader_b.jsonl"
ATTRIBUTES = ("recipient_role", "method", "time", "acknowledged", "name_present")


def read(path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def _matched(
    gold: list[dict[str, Any]], found: list[dict[str, Any]], *, same: str | None
) -> list[tuple[int, int]]:
    pairs, used = [], set()
    for i, g in enumerate(gold):
        for j, f in enumerate(found):
            if j in used or f["start"] >= g["end"] or g["start"] >= f["end"]:
                continue
            if same is not None and f[same] != g[same]:
                continue
            pairs.append((i, j))
            used.add(j)
            break
    return pairs


def score(gold: dict[str, Any], found: dict[str, Any]) -> Counter[str]:
    """Counts of one report: gold labels against another reading (radfollow or reader B)."""
    c: Counter[str] = Counter()
    for name, key in (("crit", "critical_results"), ("comm", "communications")):
        g, f = bool(gold[key]), bool(found[key])
        c[f"{name}_rep_{'tp' if g and f else 'fp' if f else 'fn' if g else 'tn'}"] += 1
    gc = {x["category"] for x in gold["critical_results"]}
    fc = {x["category"] for x in found["critical_results"]}
    c["crit_cat_tp"] += len(gc & fc)
    c["crit_cat_fp"] += len(fc - gc)
    c["crit_cat_fn"] += len(gc - fc)
    pairs = _matched(gold["critical_results"], found["critical_results"], same="category")
    c["crit_span_tp"] += len(pairs)
    c["crit_span_fp"] += len(found["critical_results"]) - len(pairs)
    c["crit_span_fn"] += len(gold["critical_results"]) - len(pairs)
    pairs = _matched(gold["communications"], found["communications"], same=None)
    c["comm_span_tp"] += len(pairs)
    c["comm_span_fp"] += len(found["communications"]) - len(pairs)
    c["comm_span_fn"] += len(gold["communications"]) - len(pairs)
    for i, j in pairs:
        for key in ATTRIBUTES:
            if key in gold["communications"][i]:
                c[f"{key}_ok"] += gold["communications"][i][key] == found["communications"][j][key]
                c[f"{key}_pairs"] += 1
    return c


def figures(scores: Sequence[Counter[str]]) -> dict[str, float]:
    total: Counter[str] = Counter()
    for s in scores:
        total.update(s)
    out: dict[str, float] = {}
    for level in ("crit_rep", "crit_cat", "crit_span", "comm_rep", "comm_span"):
        tp, fp, fn = total[f"{level}_tp"], total[f"{level}_fp"], total[f"{level}_fn"]
        out[f"{level}_p"], out[f"{level}_r"], out[f"{level}_f1"] = prf(tp, fp, fn)
        if level.endswith("_rep"):
            tn = total[f"{level}_tn"]
            out[f"{level}_spec"] = tn / (tn + fp) if tn + fp else 0.0
    for key in ATTRIBUTES:
        pairs = total[f"{key}_pairs"]
        if pairs:
            out[f"{key}_acc"] = total[f"{key}_ok"] / pairs
    return out


def radfollow_reading(texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    """radfollow's critical results and communications of each report, by id."""
    from radfollow.nlp.extract import Extractor, ReportText

    ids = list(texts)
    extractor = Extractor()
    out = {}
    results = extractor.extract_many(ReportText(texts[i]) for i in ids)
    for report_id, result in zip(ids, results, strict=True):
        out[report_id] = {
            "critical_results": [c.model_dump(mode="json") for c in result.critical_results],
            "communications": [
                {
                    **m.model_dump(mode="json"),
                    "time": m.stated_time,
                    "date": m.stated_date.isoformat() if m.stated_date else None,
                }
                for m in result.communications
            ],
        }
    return out


def _print(title: str, scores: list[Counter[str]], counts: str) -> None:
    point = figures(scores)
    interval = bootstrap(scores, figures)
    print(f"## {title} ({counts})")
    for key, value in point.items():
        low, high = interval[key]
        print(f"  {key:22s} {value:.3f}  [{low:.3f}, {high:.3f}]")


def _errors(
    gold: dict[str, dict[str, Any]], found: dict[str, dict[str, Any]], texts: dict[str, str]
) -> None:
    for report_id, g in gold.items():
        f = found[report_id]
        text = texts[report_id]
        for key in ("critical_results", "communications"):
            gs = {(x["start"], x["end"], x.get("category")) for x in g[key]}
            fs = {(x["start"], x["end"], x.get("category")) for x in f[key]}
            for start, end, cat in sorted(gs - fs):
                if not any(s < end and start < e and c == cat for s, e, c in fs):
                    print(f"MISS {report_id} {key} {cat}: {text[start:end][:160]!r}")
            for start, end, cat in sorted(fs - gs):
                if not any(s < end and start < e and c == cat for s, e, c in gs):
                    print(f"FALSE {report_id} {key} {cat}: {text[start:end][:160]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreement", action="store_true", help="reader A against reader B")
    parser.add_argument("--synthetic", action="store_true", help="corpora/gold/critical.jsonl")
    half_arguments(parser)
    if "--synthetic" in sys.argv:
        gold = read(SYNTHETIC)
        found = radfollow_reading({i: g["text"] for i, g in gold.items()})
        ids = sorted(gold)
        crit = sum(len(g["critical_results"]) for g in gold.values())
        comm = sum(len(g["communications"]) for g in gold.values())
        scores = [score(gold[i], found[i]) for i in ids]
        _print(
            "synthetic gold", scores, f"{len(ids)} reports, {crit} critical, {comm} communications"
        )
        if "--errors" in sys.argv:
            _errors(gold, found, {i: g["text"] for i, g in gold.items()})
        return
    if "--agreement" in sys.argv:
        b = read(READER_B)
        a = read(READER_A)
        ids = sorted(b)
        scores = [score(a[i], b[i]) for i in ids]
        kappa_c = cohen_kappa(
            [bool(a[i]["critical_results"]) for i in ids],
            [bool(b[i]["critical_results"]) for i in ids],
        )
        kappa_m = cohen_kappa(
            [bool(a[i]["communications"]) for i in ids], [bool(b[i]["communications"]) for i in ids]
        )
        print(f"kappa: critical {kappa_c:.3f}, communication {kappa_m:.3f}")
        _print("reader B against reader A", scores, f"{len(ids)} reports")
        return
    args = parser.parse_args()
    check_half(args)
    gold = read(GOLD)
    halves = {r["id"]: r["half"] for r in read_critical_sample()}
    ids = sorted(i for i in gold if halves[i] == args.half)
    gold = {i: gold[i] for i in ids}
    texts = unsealed_reports()
    found = radfollow_reading({i: texts[i]["text"] for i in ids})
    crit = sum(len(g["critical_results"]) for g in gold.values())
    comm = sum(len(g["communications"]) for g in gold.values())
    scores = [score(gold[i], found[i]) for i in ids]
    counts = f"{len(ids)} reports, {crit} critical mentions, {comm} communications"
    _print(f"{args.half} half", scores, counts)
    for corpus in ("mtsamples", "openi"):
        part = [score(gold[i], found[i]) for i in ids if i.startswith(corpus + "-")]
        _print(f"{args.half} half, {corpus}", part, f"{len(part)} reports")
    if args.errors:
        _errors(gold, found, {i: texts[i]["text"] for i in ids})


if __name__ == "__main__":
    main()
