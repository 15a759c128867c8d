"""A small MLLP client and listener launcher for the listener tests and benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START, END = b"\x0b", b"\x1c\x0d"

ORU = (
    "MSH|^~\\&|RIS|HOSP|RADFOLLOW|HOSP|20250110120000||ORU^R01|{control}|P|2.5.1\r"
    "PID|1||{patient}^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "OBR|1||{acc}|71250^CT CHEST WITHOUT CONTRAST^CPT|||20250110100000+0000|||||||||||||||||CT|F\r"
    "OBX|1|TX|RPT||FINDINGS: 6 mm nodule in the right upper lobe.||||||F\r"
    "OBX|2|TX|RPT||IMPRESSION: Recommend follow-up CT chest in 6-12 months.||||||F\r"
)


def oru(n: int, patient: str | None = None) -> bytes:
    return ORU.format(control=f"C{n}", patient=patient or f"P{n}", acc=f"A{n}").encode()


class Client:
    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, message: bytes) -> bytes:
        self.sock.sendall(START + message + END)
        return self.receive()

    def receive(self) -> bytes:
        while END not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the listener")
            self.buffer += chunk
        frame, _, self.buffer = self.buffer.partition(END)
        return frame.lstrip(START)

    def close(self) -> None:
        self.sock.close()


def ack_code(ack: bytes) -> str:
    msa = next(s for s in ack.split(b"\r") if s.startswith(b"MSA"))
    return msa.split(b"|")[1].decode()


class Listener:
    """``radfollow listen`` in a child process on a free port."""

    def __init__(
        self, db: str, out: Path, *args: str, workers: int = 1, classifier: bool = False
    ) -> None:
        command = [
            sys.executable,
            "-m",
            "radfollow.cli",
            "listen",
            "--port",
            "0",
            "--db",
            db,
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--classifier" if classifier else "--no-classifier",
            *args,
        ]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("listening on"):
            self.proc.kill()
            raise RuntimeError(f"listener did not start: {line!r} {self.proc.stderr.read()!r}")
        self.port = int(line.strip().rsplit(":", 1)[1])

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop_quietly(self) -> None:
        if self.proc.poll() is None:
            self.kill()

    def worker_pids(self) -> list[int]:
        """The listener's worker processes (its living children but the resource tracker)."""
        pids = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue
            parent_is_me = entry.name.isdigit() and int(stat[1]) == self.proc.pid
            if parent_is_me and stat[0] != "Z" and b"resource_tracker" not in command:
                pids.append(int(entry.name))
        return pids


def wait_for(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
