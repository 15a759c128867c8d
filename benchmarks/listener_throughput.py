"""Durable ACK throughput and latency of ``radfollow listen``, with the NLP workers running.

    python benchmarks/listener_throughput.py [--db URL] [--messages 6000] [--connections 4]

1. 100 msg/s on one connection for ``--paced-seconds``: ACK latency p50/p99;
2. saturation: ``--connections`` connections sending back to back: ACKs/s and
   p50/p99;
3. catch-up: time from the last ACK until the workers have processed the inbox.
Every AA means the message was committed (SQLite synchronous=FULL, or PostgreSQL).
Synthetic ORU^R01 messages; no ../shared needed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "listener"))
from mllp_client import Client, Listener, ack_code, oru


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def paced(port: int, rate: float, seconds: float, first: int) -> list[float]:
    client = Client(port)
    latencies = []
    start = time.perf_counter()
    for k in range(int(rate * seconds)):
        due = start + k / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        t = time.perf_counter()
        assert ack_code(client.send(oru(first + k))) == "AA"
        latencies.append(time.perf_counter() - t)
    client.close()
    return latencies


def saturate(port: int, connections: int, count: int, first: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    def run(offset: int) -> None:
        client = Client(port, timeout=60)
        mine = []
        for n in range(first + offset, first + count, connections):
            t = time.perf_counter()
            assert ack_code(client.send(oru(n))) == "AA"
            mine.append(time.perf_counter() - t)
        client.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started), latencies


def backlog(db: str) -> int:
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT count(*) FROM inbox WHERE status IN ('pending', 'processing')")
        ).scalar_one()
    engine.dispose()
    return int(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db")
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--paced-seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--classifier", action="store_true", help="Run the classifier in workers.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    db = args.db or f"sqlite:///{folder / 'inbox.db'}"
    listener = Listener(db, folder / "out", workers=args.workers, classifier=args.classifier)
    try:
        slow = paced(listener.port, 100, args.paced_seconds, 1)
        rate, fast = saturate(listener.port, args.connections, args.messages, 1_000_000)
        last_ack = time.perf_counter()
        while backlog(db):
            time.sleep(0.5)
        catch_up = time.perf_counter() - last_ack
    finally:
        listener.terminate()
    print(f"database: {db.split(':')[0]}  workers: {args.workers}  classifier: {args.classifier}")
    print(
        f"100 msg/s for {args.paced_seconds:.0f} s: p50 {percentile(slow, 0.5):.1f} ms, "
        f"p99 {percentile(slow, 0.99):.1f} ms"
    )
    print(
        f"saturation, {args.connections} connections, {args.messages} messages: "
        f"{rate:,.0f} ACKs/s, p50 {percentile(fast, 0.5):.1f} ms, "
        f"p99 {percentile(fast, 0.99):.1f} ms"
    )
    total = len(slow) + args.messages
    print(f"processing caught up {catch_up:.0f} s after the last ACK ({total} messages)")


if __name__ == "__main__":
    main()
