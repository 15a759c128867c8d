"""Fuzz the HL7 path of ``radfollow process`` with N mutated corpus messages.

    .venv/bin/python benchmarks/fuzz_hl7.py 1000000 --seed 1 --workers 2

Each input ``i`` is a mutation of a message of ``corpora/hl7`` (byte, field,
segment, escape, charset, framing and report-text mutators, chosen by a
random generator seeded with ``(seed, i)``), run in-process through the file
framing, the adapter and the processing core (NLP, FHIR Bundle validation and
a tracker write to an SQLite file per worker), under a per-input time limit.
It prints processed / rejected per error code / crashed / over time, inputs/s
and the slowest inputs; crashed and over-time inputs are saved to
``--save-dir`` as ``<seed>-<index>.hl7``. Exit status 1 when any input crashed
or ran over time. See docs/fuzzing.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import signal
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from hl7fuzz.mutators import make_input
from hl7fuzz.runner import Crash, Harness, Settings, Tally, chunks, load_corpus, save

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 25
PROGRESS_S = 10.0


# ----------------------------------------------------------------- worker


def _worker(settings: Settings, memory_mb: int, conn: Connection, current: Any) -> None:
    """Build one harness, then run the ranges the parent sends until it sends None."""
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    corpus = load_corpus(settings.corpus)
    with tempfile.TemporaryDirectory(prefix="radfollow-fuzz-") as folder:
        harness = Harness(settings, corpus, Path(folder))
        conn.send("ready")
        while (task := conn.recv()) is not None:
            start, end = task
            before = harness.nlp_texts
            tally = harness.run(start, end, current)
            tally.nlp_texts = harness.nlp_texts - before
            conn.send(tally)
        harness.close()


@dataclass
class _Slot:
    process: BaseProcess
    conn: Connection
    current: Any
    ready: bool = False
    task: tuple[int, int] | None = None
    seen: int = -1
    since: float = field(default_factory=time.monotonic)


class Run:
    """The parent: hands out ranges, restarts dead or hung workers, merges tallies."""

    def __init__(self, settings: Settings, n: int, workers: int, memory_mb: int) -> None:
        self.settings = settings
        self.memory_mb = memory_mb
        self.context = multiprocessing.get_context("spawn")
        self.tasks: deque[tuple[int, int]] = deque(chunks(0, n, CHUNK))
        self.tally = Tally()
        self.corpus = load_corpus(settings.corpus)
        self.slots = [self._start() for _ in range(workers)]
        self.n = n
        #: A worker whose input has not changed for this long is killed (C code ignores SIGALRM).
        self.hang_s = settings.time_limit * 2 + 30

    def _start(self) -> _Slot:
        parent, child = self.context.Pipe()
        current = self.context.Value("q", -1, lock=False)
        process = self.context.Process(
            target=_worker, args=(self.settings, self.memory_mb, child, current), daemon=True
        )
        process.start()
        child.close()
        return _Slot(process, parent, current)

    def stop(self, _signum: int, _frame: Any) -> None:
        """SIGINT/SIGTERM: hand out no more ranges; the summary covers the ranges done."""
        self.stopped = True

    def go(self) -> Tally:
        """Run every range; on SIGINT/SIGTERM stop the workers and return what is done."""
        self.stopped = False
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        began = last = time.monotonic()
        while not self.stopped and (self.tasks or any(slot.task for slot in self.slots)):
            for slot in self.slots:
                if slot.ready and slot.task is None and self.tasks:
                    slot.task = self.tasks.popleft()
                    slot.since = time.monotonic()
                    slot.conn.send(slot.task)
            waitables: list[Any] = [s.conn for s in self.slots]
            waitables += [s.process.sentinel for s in self.slots]
            wait(waitables, timeout=1.0)
            for i, slot in enumerate(self.slots):
                self._poll(i, slot)
            if time.monotonic() - last >= PROGRESS_S:
                last = time.monotonic()
                progress(self.tally, self.n, last - began)
        for slot in self.slots:
            if self.stopped:
                slot.process.kill()
            else:
                slot.conn.send(None)
            slot.process.join(30)
        return self.tally

    def _poll(self, i: int, slot: _Slot) -> None:
        try:
            while slot.conn.poll():
                message = slot.conn.recv()
                if message == "ready":
                    slot.ready = True
                else:
                    self.tally.merge(message)
                    slot.task = None
        except (EOFError, OSError):
            pass
        if not slot.process.is_alive():
            self._lost(i, slot, f"worker died (exit code {slot.process.exitcode})", hung=False)
            return
        if slot.task is None:
            return
        index = slot.current.value
        if index != slot.seen:
            slot.seen, slot.since = index, time.monotonic()
        elif time.monotonic() - slot.since > self.hang_s:
            slot.process.kill()
            slot.process.join(10)
            self._lost(i, slot, "worker hung", hung=True)

    def _lost(self, i: int, slot: _Slot, why: str, *, hung: bool) -> None:
        """Count the input the worker held, restart it, and resume after that input."""
        if slot.task is None or not slot.ready:
            raise SystemExit(f"fuzz worker failed before any input: {why}")
        index = max(slot.current.value, slot.task[0])
        item = make_input(self.corpus, self.settings.seed, index)
        part = Tally(inputs=1)
        if hung:
            part.over_time = 1
            part.over_time_inputs.append((item.seed, index, item.mutator))
        else:
            part.crashed = 1
            part.crashes.append(Crash(item.seed, index, item.mutator, why, "worker", ""))
        part.time((self.hang_s, item.seed, index, item.mutator))
        save(self.settings.save_dir, item)
        self.tally.merge(part)
        # The inputs of the chunk before ``index`` were counted in the lost tally: run them again.
        if slot.task[0] < index:
            self.tasks.appendleft((slot.task[0], index))
        if index + 1 < slot.task[1]:
            self.tasks.appendleft((index + 1, slot.task[1]))
        self.slots[i] = self._start()


# ----------------------------------------------------------------- output


def progress(tally: Tally, n: int, elapsed: float) -> None:
    rate = tally.inputs / elapsed if elapsed else 0.0
    print(
        f"[{elapsed:7.0f}s] {tally.inputs:,}/{n:,} ({rate:,.0f}/s) processed {tally.processed:,} "
        f"rejected {tally.rejected:,} crashed {tally.crashed:,} over time {tally.over_time:,}",
        file=sys.stderr,
        flush=True,
    )


def summary(tally: Tally, settings: Settings, elapsed: float, workers: int) -> str:
    lines = [
        f"inputs        {tally.inputs:,}   (seed {settings.seed}, {workers} worker(s), "
        f"classifier {'on' if settings.classifier else 'off'}, "
        f"limit {settings.time_limit:g} s per input, through the {settings.through}"
        f"{'' if settings.through == 'adapter' else ', fresh tracker every '}"
        f"{'' if settings.through == 'adapter' else format(settings.fresh_tracker_every, ',')})",
        f"processed     {tally.processed:,}",
        f"rejected      {tally.rejected:,}",
        f"empty         {tally.empty:,}   (no message found, no error line)",
        f"crashed       {tally.crashed:,}",
        f"over time     {tally.over_time:,}",
        f"elapsed       {elapsed:,.1f} s   ({tally.inputs / max(elapsed, 1e-9):,.1f} inputs/s)",
        f"reports       {tally.reports:,}   ({tally.nlp_texts:,} distinct texts through the NLP)",
        "error lines per code:",
    ]
    lines += [f"  {code}  {count:,}" for code, count in sorted(tally.codes.items())]
    if tally.crashes:
        lines.append("crashes (kind, step, where: count, first input):")
        groups = Counter((c.kind, c.stage, c.where) for c in tally.crashes)
        for (kind, stage, where), count in groups.most_common():
            first = min(
                (c for c in tally.crashes if (c.kind, c.stage, c.where) == (kind, stage, where)),
                key=lambda c: c.index,
            )
            lines.append(
                f"  {kind} in {stage} at {where or '?'}: {count:,}  "
                f"(first: {first.seed}-{first.index} {first.mutator})"
            )
    if tally.over_time_inputs:
        lines.append("over time per mutator (count, first input):")
        firsts: dict[str, tuple[int, int]] = {}
        counts: Counter[str] = Counter()
        for seed, index, mutator in sorted(tally.over_time_inputs, key=lambda t: t[1]):
            counts[mutator] += 1
            firsts.setdefault(mutator, (seed, index))
        for mutator, count in counts.most_common():
            seed, index = firsts[mutator]
            lines.append(f"  {mutator}: {count:,}  (first: {seed}-{index})")
    lines.append("slowest inputs (seconds  seed-index  mutator):")
    for seconds, seed, index, mutator in sorted(tally.slowest, reverse=True):
        lines.append(f"  {seconds:8.3f}  {seed}-{index}  {mutator}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of inputs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="first input index (reproduce one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds per input")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpora" / "hl7")
    parser.add_argument("--classifier", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--save-dir", type=Path, default=None)
    parser.add_argument("--memo-size", type=int, default=4096, help="NLP results kept (0: none)")
    parser.add_argument("--memory-limit", type=int, default=4096, help="MiB per worker (0: none)")
    parser.add_argument("--json", type=Path, default=None, help="write the tally as JSON here")
    parser.add_argument(
        "--through",
        choices=("core", "adapter"),
        default="core",
        help="core: the whole process path; adapter: framing, adapter and checks only",
    )
    parser.add_argument(
        "--fresh-tracker-every",
        type=int,
        default=5000,
        help="inputs per tracker database (0: one database for the whole run)",
    )
    args = parser.parse_args(argv)
    settings = Settings(
        seed=args.seed,
        time_limit=args.time_limit,
        classifier=args.classifier,
        memo_size=args.memo_size,
        corpus=args.corpus,
        save_dir=args.save_dir,
        through=args.through,
        fresh_tracker_every=args.fresh_tracker_every,
    )
    began = time.monotonic()
    run = Run(settings, args.start + args.n, max(1, args.workers), args.memory_limit)
    if args.start:
        run.tasks = deque(chunks(args.start, args.start + args.n, CHUNK))
    tally = run.go()
    if run.stopped:
        print(f"interrupted: the summary covers {tally.inputs:,} of {args.n:,} inputs")
    elapsed = time.monotonic() - began
    print(summary(tally, settings, elapsed, max(1, args.workers)))
    if args.json:
        data = {**asdict(tally), "codes": dict(tally.codes), "elapsed_s": elapsed}
        args.json.write_text(json.dumps(data, indent=1))
    return 1 if tally.crashed or tally.over_time else 0


if __name__ == "__main__":
    sys.exit(main())
