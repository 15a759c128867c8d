"""A loopback HTTP server that records POSTs, with failures injected (HTTP 500 and 400,
timeouts, dropped connections): the FHIR and webhook receiver of the outreach tests
(tests/notify, tests/listener)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the HTTP server got, and what it is to do next: a list of behaviours
    ("ok", "500", "400", "timeout", "drop") used one per request, then "ok"."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    behaviours: list[str] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def idempotency_keys(self) -> list[str]:
        return [r.headers.get("Idempotency-Key", "") for r in self.requests]

    def unique_keys(self) -> set[str]:
        """What the receiver keeps after dropping repeats of a key."""
        return set(self.idempotency_keys())


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                behaviour = state.behaviours.pop(0) if state.behaviours else "ok"
            if behaviour == "timeout":
                time.sleep(1.5)  # past the channel's 0.5 s timeout
                return
            if behaviour == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if state.delay:
                time.sleep(state.delay)
            code = {"ok": 201, "500": 500, "400": 400}[behaviour]
            if code < 300:
                with state.lock:
                    state.requests.append(Recorded(self.path, dict(self.headers), body))
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    host: str
    port: int
    ca_file: str
    messages: list[Any] = field(default_factory=list)
    tls_used: list[bool] = field(default_factory=list)


class Clock:
    """A movable ``datetime`` stand-in for the sender: ``Clock.now(UTC)``."""

    current = datetime(2024, 1, 21, 12, 0, tzinfo=UTC)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:
        return cls.current

    @classmethod
    def advance(cls, **kwargs: float) -> None:
        cls.current += timedelta(**kwargs)


def rules_file(folder: Path, channels: list[dict[str, Any]], **retry: float) -> Path:
    """A site's notify.json with ``channels`` and a quick retry policy."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "description": "test site",
        "channels": channels,
        "retry": {"attempts": 4, "base_seconds": 60, "longest_seconds": 600, "lease_seconds": 60,
                  **retry},
    }  # fmt: skip
    (folder / "notify.json").write_text(json.dumps(data))
    return folder
