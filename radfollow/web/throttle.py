"""Sign-in throttling per client address (OWASP Authentication Cheat Sheet), beside
the per-account lockout of radfollow.tracker.accounts: it slows one machine
guessing many accounts' passwords."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class ClientThrottle:
    """At most ``limit`` failed sign-ins per client address in ``window`` seconds."""

    def __init__(self, limit: int = 20, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures[client]
        while times and times[0] < now - self.window:
            times.popleft()
        return times

    def blocked(self, client: str) -> bool:
        with self._lock:
            found = len(self._recent(client, time.monotonic())) >= self.limit
            if not self._failures[client]:
                del self._failures[client]  # no entry kept for a client without failures
            return found

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client, time.monotonic()).append(time.monotonic())
