"""End-to-end ``radfollow extract`` throughput on the ../shared corpora.

    python benchmarks/extract_speed.py [--workers 1 2] [--repeat 1]

Times the whole job (read JSONL, NLP with and without the recommendation
classifier, write JSONL) as ``radfollow extract`` runs it, in a fresh child
process per run so peak RSS is the run's own.
Model load is timed separately. Whole files (sealed reports included) are used:
this measures speed, not accuracy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _shared import shared_file

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from radfollow.processing.batch import run_extract
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.pool import ExtractorPool
config = PipelineConfig(classifier=sys.argv[4] == "1")
with ExtractorPool(config, workers=int(sys.argv[3])) as pool:
    pool.warm()  # imports and pipeline builds (in every worker): timed apart
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    summary = run_extract(Path(sys.argv[1]), Path(sys.argv[2]), pool=pool)
    run = time.perf_counter() - t1
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"load_s": load, "run_s": run, "processed": summary.processed, "rss_kb": rss}))
"""


def words(path: Path) -> tuple[int, int]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return len(rows), sum(len(r["text"].split()) for r in rows)


def measure(path: Path, workers: int, classifier: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(out), str(workers), str(int(classifier))],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(
        f"{'corpus':<12} {'classifier':<10} {'workers':>7} {'reports/s':>10} {'words/s':>10}"
        f" {'load s':>7} {'peak RSS MB':>12}"
    )
    for name in ("mtsamples_radiology.jsonl", "openi_reports.jsonl"):
        path = shared_file(name)
        n_reports, n_words = words(path)
        for classifier, workers in [(c, w) for c in (False, True) for w in args.workers]:
            runs = (measure(path, workers, classifier) for _ in range(args.repeat))
            best = min(runs, key=lambda m: m["run_s"])
            print(
                f"{name.split('_')[0]:<12} {'on' if classifier else 'off':<10} {workers:>7}"
                f" {n_reports / best['run_s']:>10.0f}"
                f" {n_words / best['run_s']:>10.0f} {best['load_s']:>7.2f}"
                f" {best['rss_kb'] / 1024:>12.0f}"
            )


if __name__ == "__main__":
    main()
