"""A bounded least-recently-used cache of sentence embeddings, keyed by sentence text."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np


class EmbeddingCache:
    """At most ``size`` embeddings; the least recently used one goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, text: str) -> np.ndarray | None:
        vector = self._items.get(text)
        if vector is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(text)
        return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if self.size <= 0:
            return
        self._items[text] = vector
        self._items.move_to_end(text)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
