"""What the guidance step (guidelines, measures, checks) costs next to the NLP.

    python benchmarks/guidance_speed.py [--repeat 5]

Reads the synthetic gold reports of corpora/gold (no shared corpora needed), runs the
rule pipeline over them once to warm it and once timed (``extract_many``), then
``radfollow.guidance.Assessor.assess`` ``--repeat`` times over the same results, and
prints reports, words, the NLP's words per second and the guidance step's time per
report and as a share of the NLP's.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from radfollow.guidance import Assessor, ReportContext
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig

GOLD = Path(__file__).resolve().parents[1] / "corpora" / "gold"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lines = [json.loads(line) for path in sorted(GOLD.glob("*.jsonl")) for line in path.open()]
    texts = [ReportText(line["text"], line.get("indication")) for line in lines]
    extractor = Extractor(config=PipelineConfig(classifier=False))
    list(extractor.extract_many(texts))  # warm-up
    start = time.perf_counter()
    results = list(extractor.extract_many(texts))
    nlp = time.perf_counter() - start
    assessor = Assessor()
    contexts = [ReportContext.of_metadata(line["text"], line) for line in lines]
    start = time.perf_counter()
    for _ in range(args.repeat):
        for context, result in zip(contexts, results, strict=True):
            assessor.assess(context, result)
    guidance = (time.perf_counter() - start) / args.repeat
    words = sum(len(line["text"].split()) for line in lines)
    print(f"reports {len(lines)}, words {words}")
    print(f"NLP (rules): {nlp:.3f} s, {words / nlp:,.0f} words/s")
    print(
        f"guidance: {guidance:.3f} s, {guidance / len(lines) * 1000:.2f} ms per report,"
        f" {guidance / nlp * 100:.1f}% of the NLP"
    )


if __name__ == "__main__":
    main()
