"""A bounded least-recently-used cache of sentence embeddings, keyed by sentence text."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class EmbeddingCache:
    """At most ``size`` embeddings; the least recently used one goes first.

    Vectors are stored as copies (a row view would keep its whole batch
    alive), and a lock makes ``get``/``put`` safe from the encoder thread and
    a caller's thread at once.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is not None:
                self._items.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[text] = vector.copy()
            self._items.move_to_end(text)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
