"""radfollow against stock medspaCy and negspacy: speed and Open-i accuracy in one command.

    python benchmarks/peers.py [--quick] [--repeat N] [--out-md PATH] [--out-png PATH]

Every (system, corpus, workers) runs in a fresh child process, so peak RSS is its own, with
load timed apart. radfollow runs from this checkout (the children start in the repository
root) through ``run_extract``, as ``benchmarks/extract_speed.py`` times it; the peers run
``benchmarks/peers/child.py``. negspacy needs spaCy 3.8, which medspaCy's PyRuSH forbids, so
the first run builds ``benchmarks/.venv-negspacy`` from
``benchmarks/peers/negspacy-requirements.txt``. Accuracy is scored from the timed Open-i
1-worker outputs, sealed reports left out. Needs ../shared/corpora. Writes
docs/benchmarks.md and docs/benchmarks.png (not with ``--quick`` unless asked).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from _shared import ROOT, shared_file
from extract_speed import CHILD, words
from peers import report, scoring
from peers.environment import NegspacyEnv, machine, negspacy_env, versions
from peers.systems import SYSTEMS, Corpus, Kind, Measurement, System
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn

PEERS = Path(__file__).resolve().parent / "peers"
CORPORA = {"MTSamples": "mtsamples_radiology.jsonl", "Open-i": "openi_reports.jsonl"}
QUICK_REPORTS = {"MTSamples": 30, "Open-i": 300}
TIMEOUT_S = 1800
Job = tuple[System, Corpus, int]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run on the first reports")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs (default 1)")
    parser.add_argument("--out-md", type=Path, help="default docs/benchmarks.md")
    parser.add_argument("--out-png", type=Path, help="default docs/benchmarks.png")
    args = parser.parse_args()
    if not args.quick:
        args.out_md = args.out_md or ROOT / "docs" / "benchmarks.md"
        args.out_png = args.out_png or ROOT / "docs" / "benchmarks.png"
    return args


def corpora(quick: bool, scratch: Path) -> list[Corpus]:
    """The shared files, or with ``quick`` their first reports copied to ``scratch``."""
    found = []
    for name, file in CORPORA.items():
        path = shared_file(file)
        if quick:
            subset = scratch / file
            with path.open(encoding="utf-8") as lines:
                subset.write_text("".join(islice(lines, QUICK_REPORTS[name])), encoding="utf-8")
            path = subset
        found.append(Corpus(name, path, *words(path)))
    return found


def command(job: Job, out: Path, negspacy_python: Path | None) -> list[str]:
    system, corpus, workers = job
    if system.kind is Kind.RADFOLLOW:
        args = [str(corpus.path), str(out), str(workers), str(int(system.classifier))]
        return [sys.executable, "-c", CHILD, *args]
    python = negspacy_python if system.kind is Kind.NEGSPACY else Path(sys.executable)
    args = [str(corpus.path), str(out), str(PEERS / "targets.json"), "--n-process", str(workers)]
    quiet = ["--quiet"] if system.quiet else []
    return [str(python), str(PEERS / "child.py"), system.kind.value, *args, *quiet]


def run_child(cmd: list[str]) -> dict[str, Any]:
    """Run one child (stderr, e.g. PyRuSH's DEBUG log, to a file); its JSON line or an error."""
    with tempfile.TemporaryFile() as stderr:
        try:
            done = subprocess.run(
                cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=ROOT, timeout=TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {TIMEOUT_S} s"}
        lines = done.stdout.strip().splitlines()
        if done.returncode == 0 and lines:
            return json.loads(lines[-1])
        stderr.seek(max(0, stderr.seek(0, 2) - 2000))
        tail = stderr.read().decode(errors="replace").strip().splitlines() or ["no output"]
        return {"error": f"exit {done.returncode}: {tail[-1]}"}


def measure(job: Job, scratch: Path, repeat: int, negspacy: NegspacyEnv) -> Measurement:
    """Best of ``repeat`` runs of one job; a peer that cannot run gets ``error``."""
    system, corpus, workers = job
    out = scratch / re.sub(r"[^\w.-]+", "_", f"{system.name}-{corpus.name}-{workers}.jsonl")
    found = Measurement(system, corpus, workers, out)
    if system.kind is Kind.NEGSPACY and negspacy.error:
        found.error = negspacy.error
        return found
    runs = [run_child(command(job, out, negspacy.python)) for _ in range(repeat)]
    errors = [r["error"] for r in runs if "error" in r]
    errors += [
        f"processed {r['processed']} of {corpus.reports}"
        for r in runs
        if "error" not in r and r["processed"] != corpus.reports
    ]
    if errors:
        found.error = errors[0]
        return found
    best = min(runs, key=lambda r: r["run_s"])
    found.load_s, found.run_s, found.rss_kb = best["load_s"], best["run_s"], best["rss_kb"]
    return found


def run_all(
    jobs: list[Job], scratch: Path, repeat: int, negspacy: NegspacyEnv
) -> list[Measurement]:
    columns = (SpinnerColumn(), "{task.description}", BarColumn(), MofNCompleteColumn())
    found = []
    with Progress(*columns, TimeElapsedColumn()) as progress:
        task = progress.add_task("runs", total=len(jobs))
        for job in jobs:
            progress.update(task, description=f"{job[0].name} on {job[1].name}, {job[2]}")
            m = measure(job, scratch, repeat, negspacy)
            result = f"{m.words_per_s:,.0f} words/s" if m.ok else f"failed: {m.error}"
            progress.console.print(
                f"{m.label} on {m.corpus.name}: {result}", markup=False, soft_wrap=True
            )
            progress.advance(task)
            found.append(m)
    return found


def score_all(ms: list[Measurement]) -> list[report.Accuracy]:
    gold = scoring.gold_labels()
    found = []
    for m in ms:
        if m.ok and m.corpus.name == "Open-i" and m.workers == 1:
            labels_of = scoring.peer_labels if m.system.is_peer else scoring.radfollow_labels
            found.append(report.Accuracy(m, *scoring.score(m.output, gold, labels_of)))
    return found


def write_outputs(
    args: argparse.Namespace,
    info: report.RunInfo,
    ms: list[Measurement],
    acc: list[report.Accuracy],
) -> None:
    """docs/benchmarks.png, then docs/benchmarks.md linking to it, each written atomically."""
    png_link = None
    if args.out_png:
        cpu, cores = info.machine["CPU"], info.machine["cores"]
        title = f"radfollow and peers, words/s by corpus ({cpu}, {cores} cores, {info.date})"
        report.write_atomically(args.out_png, report.chart(ms, title))
        png_link = str(args.out_png.resolve())
        if args.out_md:
            png_link = os.path.relpath(args.out_png.resolve(), args.out_md.resolve().parent)
    if args.out_md:
        report.write_atomically(args.out_md, report.document(info, ms, acc, png_link).encode())


def main() -> None:
    started = time.perf_counter()
    args = parse_args()
    console = Console()
    host = machine()  # before the runs, so the load average is the machine's own
    with console.status("negspacy venv (built from the pinned file on first use)"):
        negspacy = negspacy_env()
    with tempfile.TemporaryDirectory(prefix="radfollow-peers-") as tmp:
        scratch = Path(tmp)
        jobs = [(s, c, w) for c in corpora(args.quick, scratch) for s in SYSTEMS for w in s.workers]
        ms = run_all(jobs, scratch, args.repeat, negspacy)
        acc = score_all(ms)
    info = report.RunInfo(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=shlex.join(["python", *sys.argv]),
        elapsed_s=time.perf_counter() - started,
        machine=host,
        versions=versions(negspacy.python),
    )
    print("\n" + report.speed_table(ms) + "\n\n" + report.ratio_table(ms))
    print("\n" + report.accuracy_table(acc) + f"\n\ntook {info.elapsed_s / 60:.1f} min")
    write_outputs(args, info, ms, acc)


if __name__ == "__main__":
    main()
