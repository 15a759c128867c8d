"""``radfollow spark`` at scale: reports/s on local[1] and local[2] against
``radfollow extract --workers 2``, per-executor memory, and cost per million reports.

    python benchmarks/spark_scale.py [--reports 200000] [--core-hour-usd 0.048]

Input: every non-sealed report of ../shared/corpora (MTSamples and Open-i),
repeated (ids suffixed ``#k``) to ``--reports`` lines of JSONL in a temporary
folder (never in the repository), and the same rows as one Parquet file.
Each run is a fresh child process: ``radfollow extract --workers 2`` on the
JSONL, then the Spark job (the library call ``radfollow spark`` makes) on
``local[1]`` and ``local[2]`` reading the Parquet. Times are wall clock, whole
job (start-up, reading, NLP, writing). Memory: the peak resident set of each
process of the run, sampled every 0.5 s from /proc (the JVM, which on local[N]
is the driver and the executor, and each Python worker).

Cost per million reports: core-hours = 1e6 / (reports/s per core) / 3600,
times ``--core-hour-usd`` (an assumed on-demand price of one x86 vCPU-hour;
set your own). The rules pipeline runs (the classifier is off by default).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _shared import unsealed_reports

ROOT = Path(__file__).resolve().parents[1]

SPARK_CHILD = """
import json, sys
from radfollow.spark.job import session, run
from radfollow.spark.settings import SparkSettings
master, source, out, fmt = sys.argv[1:5]
spark = session(master, conf={"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                              "spark.driver.memory": "2g"})
spark.sparkContext.setLogLevel("ERROR")
summary = run(spark, [source], out, SparkSettings(input_format=fmt), overwrite=True)
print(json.dumps(summary.__dict__))
spark.stop()
"""


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            frontier.append(child)
    return found


def _rss_kb(pid: int) -> tuple[str, int]:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    except OSError:
        return "", 0
    rss = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0
    )
    return os.path.basename(cmd), rss


def _timed(command: list[str]) -> tuple[float, dict[int, tuple[str, int]], str]:
    """Wall seconds, the peak RSS (kB) of every process of the run, stdout."""
    peaks: dict[int, tuple[str, int]] = {}
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in [proc.pid, *_descendants(proc.pid)]:
                name, rss = _rss_kb(pid)
                if rss > peaks.get(pid, ("", 0))[1]:
                    peaks[pid] = (name, rss)
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        sys.exit(f"{command[:4]} failed with exit status {proc.returncode}")
    return seconds, peaks, out


def _write_inputs(folder: Path, total: int) -> tuple[Path, Path, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    reports = list(unsealed_reports().values())
    rows = [
        {"id": f"{r['id']}#{k // len(reports)}", "text": r["text"]}
        for k, r in ((k, reports[k % len(reports)]) for k in range(total))
    ]
    jsonl = folder / "reports.jsonl"
    with jsonl.open("w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    parquet = folder / "parquet"
    parquet.mkdir()
    pq.write_table(pa.Table.from_pylist(rows), parquet / "reports.parquet", row_group_size=10_000)
    return jsonl, parquet, sum(len(r["text"].split()) for r in rows)


def _memory(peaks: dict[int, tuple[str, int]]) -> str:
    java = max((rss for name, rss in peaks.values() if name == "java"), default=0)
    python = sorted(
        (rss for name, rss in peaks.values() if name.startswith("python")), reverse=True
    )
    largest = ", ".join(f"{p / 1024:,.0f}" for p in python[:4])
    return f"JVM {java / 1024:,.0f} MB; Python processes {largest} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--core-hour-usd", type=float, default=0.048)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="radfollow-spark-bench-") as tmp:
        folder = Path(tmp)
        jsonl, parquet, words = _write_inputs(folder, args.reports)
        print(f"input: {args.reports:,} reports, {words:,} words (non-sealed shared corpora)")
        runs: list[tuple[str, int, float, dict[int, tuple[str, int]], str]] = []
        seconds, peaks, _ = _timed(
            [
                python,
                "-m",
                "radfollow",
                "extract",
                str(jsonl),
                "--out",
                str(folder / "x.jsonl"),
                "--workers",
                "2",
                "--no-progress",
            ]
        )
        runs.append(("radfollow extract --workers 2", 2, seconds, peaks, ""))
        for cores in (1, 2):
            seconds, peaks, out = _timed(
                [
                    python,
                    "-c",
                    SPARK_CHILD,
                    f"local[{cores}]",
                    str(parquet),
                    str(folder / f"s{cores}"),
                    "parquet",
                ]
            )
            runs.append(
                (
                    f"radfollow spark local[{cores}]",
                    cores,
                    seconds,
                    peaks,
                    out.strip().splitlines()[-1],
                )
            )
        header = f"{'run':32} {'seconds':>8} {'reports/s':>10} {'per core':>9} {'words/s':>9}"
        print(f"{header}  memory (peak RSS)")
        for name, cores, seconds, peaks, summary in runs:
            rate = args.reports / seconds
            figures = f"{seconds:8.1f} {rate:10,.0f} {rate / cores:9,.0f} {words / seconds:9,.0f}"
            print(f"{name:32} {figures}  {_memory(peaks)}")
            if summary:
                print(f"{'':32} {summary}")
        base = args.reports / runs[0][2]
        for name, _, seconds, _, _ in runs[1:]:
            print(f"{name}: {args.reports / seconds / base:.2f}x the rate of extract --workers 2")
        per_core = args.reports / runs[2][2] / 2
        core_hours = 1e6 / per_core / 3600
        print(
            f"cost per million reports (local[2] rate, {per_core:,.0f} reports/s per core):"
            f" {core_hours:.2f} core-hours, ${core_hours * args.core_hour_usd:.2f}"
            f" at ${args.core_hour_usd}/core-hour"
        )


if __name__ == "__main__":
    main()
