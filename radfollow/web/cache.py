"""Figures computed from the stored statuses, kept while nothing changed.

A key includes the stored statuses' version (what
radfollow.tracker.statuses.refresh returns), which changes with every write to
a recommendation, to its patient or its study through radfollow, and every
change of status by time, so a cached figure is the figure. Entries also
expire after ``ttl`` seconds. A change made by hand in the database is seen
only when it sets the recommendations' ``status`` to NULL (docs/tracker.md).
Per process, least recently used first out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class FigureCache:
    def __init__(self, *, entries: int = 128, ttl: float = 600.0) -> None:
        self.entries, self.ttl = entries, ttl
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value of ``key``, computed (outside the lock) when absent or expired."""
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
            if found is not None and now - found[0] < self.ttl:
                self._items.move_to_end(key)
                return found[1]
        value = compute()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
