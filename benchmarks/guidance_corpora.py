"""Guidelines, MIPS measures and report checks over the real corpora (issue 16).

    python benchmarks/guidance_corpora.py [--json OUT.json] [--examples OUT.jsonl]

Runs the default pipeline and ``radfollow.guidance.Assessor`` over every non-sealed
report of ../shared/corpora (MTSamples and Open-i; progress on stderr) and prints, per
corpus and in total: reports read; per guideline, the lesions it applied to (a band
found) and those it did not, by reason; the concordance of the applied ones
(concordant / discordant / missing / unnecessary / none); the ten commonest missing
inputs over all guidance items; MIPS 364/405/406 results, eligible counts, outcomes
and exclusion reasons; report checks by kind. ``--json`` writes the same figures;
``--examples`` one JSONL line per guidance item with ids, offsets and the reading,
never report text (Open-i's licence forbids copies).

The corpora carry no PID-7/PID-8 or OBR-24. What the context gets (ReportContext via
``of_metadata``, as ``radfollow extract`` builds it from a JSONL line):
- MTSamples: ``procedure`` is the sample name (the exam title); ``modality`` is inferred
  from the sample name, else the description, by modalities.json's inference rules
  (None when neither names one); ``age`` and ``sex`` only when the description states
  them ("A 69-year-old male"; "middle-aged female" gives the sex alone).
- Open-i: ``indication`` from the corpus field; ``modality`` XR for all (the corpus
  README: Indiana University chest X-ray reports); no age, sex or procedure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from _shared import load

from radfollow.guidance import Assessor, ReportContext
from radfollow.io.atomic import atomic_writer
from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.rules.loader import load_rule_file
from radfollow.rules.schema.hl7 import ModalityRules

CORPORA = {"mtsamples": "mtsamples_radiology.jsonl", "openi": "openi_reports.jsonl"}
CONCORDANCE = ("concordant", "discordant", "missing", "unnecessary", "none")
_AGE = re.compile(r"\b(\d{1,3})[- ]years?[- ]old\b", re.IGNORECASE)
_SEX = re.compile(r"\b(male|female|man|woman|gentleman|lady|boy|girl)\b", re.IGNORECASE)
_FEMALE = {"female", "woman", "lady", "girl"}


def metadata(corpus: str, row: dict[str, Any], modalities: ModalityRules) -> dict[str, Any]:
    """The JSONL metadata keys ReportContext.of_metadata reads, derived from the corpus."""
    if corpus == "openi":
        return {"indication": row.get("indication"), "modality": "XR"}
    title, about = row.get("sample_name") or "", row.get("description") or ""
    out: dict[str, Any] = {"procedure": title or None}
    out["modality"] = modalities.infer(title) or modalities.infer(about)
    if age := _AGE.search(about):
        out["age"] = int(age.group(1))
    if sex := _SEX.search(about):
        out["sex"] = "F" if sex.group(1).lower() in _FEMALE else "M"
    return out


def tally(items: Iterable[tuple[str, dict[str, Any], ExtractionResult]]) -> dict[str, Any]:
    """The figures of one corpus (or all) from (corpus, metadata, assessed result)."""
    reports = 0
    applied: Counter[str] = Counter()
    not_applicable: dict[str, Counter[str]] = defaultdict(Counter)
    concordance: dict[str, Counter[str]] = defaultdict(Counter)
    missing: Counter[str] = Counter()
    measures: dict[str, Counter[str]] = defaultdict(Counter)
    checks: Counter[str] = Counter()
    for _, _, result in items:
        reports += 1
        for g in result.guidance:
            missing.update(g.missing_inputs)
            if g.not_applicable_reason is None and g.band is not None:
                applied[g.guideline] += 1
                concordance[g.guideline][g.concordance.value if g.concordance else "none"] += 1
            else:
                reason = g.not_applicable_reason or "size not stated"
                not_applicable[g.guideline][reason] += 1
        for m in result.measures:
            counts = measures[m.measure]
            counts["results"] += 1
            counts["eligible"] += m.eligible
            if m.outcome is not None:
                counts[f"outcome: {m.outcome.value}"] += 1
            if m.exclusion_reason:
                counts[f"excluded: {m.exclusion_reason}"] += 1
        checks.update(c.kind.value for c in result.checks)
    guidelines = sorted(set(applied) | set(not_applicable))
    return {
        "reports": reports,
        "guidelines": {
            name: {
                "applied": applied[name],
                "not_applicable": sum(not_applicable[name].values()),
                "not_applicable_by_reason": dict(not_applicable[name].most_common()),
                "concordance": {k: concordance[name][k] for k in CONCORDANCE},
            }
            for name in guidelines
        },
        "missing_inputs": dict(missing.most_common(10)),
        "measures": {name: dict(sorted(c.items())) for name, c in sorted(measures.items())},
        "checks": dict(sorted(checks.items())),
    }


def show(name: str, figures: dict[str, Any]) -> None:
    print(f"\n=== {name}: {figures['reports']} reports read")
    heads = " ".join(f"{k:>11}" for k in CONCORDANCE)
    print(f"{'guideline':<22}{'applied':>8}{'n/a':>6}  {heads}")
    for guideline, g in figures["guidelines"].items():
        row = " ".join(f"{g['concordance'][k]:>11}" for k in CONCORDANCE)
        print(f"{guideline:<22}{g['applied']:>8}{g['not_applicable']:>6}  {row}")
    for guideline, g in figures["guidelines"].items():
        for reason, n in g["not_applicable_by_reason"].items():
            print(f"  n/a {guideline}: {n:>4}  {reason}")
    print("missing inputs (top 10):", figures["missing_inputs"] or "none")
    for measure, counts in figures["measures"].items():
        print(f"{measure}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if not figures["measures"]:
        print("measures: no report with a qualifying finding")
    print("checks by kind:", figures["checks"] or "none")


def example_rows(corpus: str, row: dict[str, Any], result: ExtractionResult) -> list[str]:
    """One JSON line per guidance item: ids, offsets and the reading, no report text."""
    spans = {f.id: (f.start, f.end) for f in result.findings}
    rec_spans = {r.id: (r.start, r.end) for r in result.recommendations}
    by_id = {f.id: f for f in result.findings}
    lines = []
    for g in result.guidance:
        finding = by_id[g.finding_id]
        item = {
            "corpus": corpus,
            "id": row["id"],
            "finding_id": g.finding_id,
            "type": finding.type.value,
            "start": finding.start,
            "end": finding.end,
            "size_mm": finding.size_mm,
            "mentions": {m: spans[m] for m in g.mention_ids},
            "guideline": g.guideline,
            "applied": g.not_applicable_reason is None and g.band is not None,
            "band": g.band,
            "concordance": g.concordance.value if g.concordance else None,
            "expected": [e.model_dump(mode="json", exclude={"text"}) for e in g.expected],
            "recommendations": {r: rec_spans[r] for r in g.recommendation_ids},
            "missing_inputs": g.missing_inputs,
            "not_applicable_reason": g.not_applicable_reason,
        }
        lines.append(json.dumps(item))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--examples", type=Path, help="write every guidance item here (JSONL)")
    args = parser.parse_args()
    modalities = load_rule_file(ModalityRules)
    extractor, assessor = Extractor(config=PipelineConfig()), Assessor()
    done: list[tuple[str, dict[str, Any], ExtractionResult]] = []
    examples: list[str] = []
    for corpus, file_name in CORPORA.items():
        rows = load(file_name, include_sealed=False)  # sealed ids dropped before any reading
        texts = (ReportText(r["text"], r.get("indication")) for r in rows)
        for n, (row, result) in enumerate(zip(rows, extractor.extract_many(texts), strict=True)):
            meta = metadata(corpus, row, modalities)
            context = ReportContext.of_metadata(row["text"], meta)
            assessed = assessor.assess(context, result)
            done.append((corpus, meta, assessed))
            examples.extend(example_rows(corpus, row, assessed))
            if (n + 1) % 250 == 0 or n + 1 == len(rows):
                print(f"{corpus}: {n + 1}/{len(rows)}", file=sys.stderr, flush=True)
    out = {c: tally(d for d in done if d[0] == c) for c in CORPORA} | {"all": tally(done)}
    modality_counts = Counter(str(m.get("modality")) for c, m, _ in done if c == "mtsamples")
    out["context"] = {
        "mtsamples_modality": dict(modality_counts.most_common()),
        "mtsamples_with_age": sum("age" in m for c, m, _ in done if c == "mtsamples"),
        "mtsamples_with_sex": sum("sex" in m for c, m, _ in done if c == "mtsamples"),
    }
    for name in (*CORPORA, "all"):
        show(name, out[name])
    print("\ncontext derived (MTSamples):", out["context"])
    if args.json:
        with atomic_writer(args.json) as handle:
            handle.write(json.dumps(out, indent=1) + "\n")
    if args.examples:
        with atomic_writer(args.examples) as handle:
            handle.writelines(line + "\n" for line in examples)


if __name__ == "__main__":
    main()
