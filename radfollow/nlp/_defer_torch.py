"""Keep spaCy and medspaCy from importing torch, scikit-learn and scipy.

thinc (spaCy's ML library) imports torch at import time whenever torch is
installed, and medspaCy's nltk imports scikit-learn and scipy: together about
two seconds and 350 MB per process, for code radfollow never calls. radfollow's
pipelines use no thinc torch layers and its classifier runs on ONNX Runtime;
torch is needed only to export or train, and is imported then. While spaCy and
medspaCy import, these imports fail (each of those libraries treats them as
optional), and afterwards they import normally.

Set ``RADFOLLOW_ALLOW_THINC_TORCH=1`` to keep thinc's torch support (for
spaCy pipelines with torch layers in the same process).
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

DEFERRED = ("torch", "sklearn", "scipy")


class _DeferTorch(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.split(".", 1)[0] in DEFERRED:
            raise ImportError(f"{fullname} is not imported while spaCy loads (radfollow)")
        return None


def import_spacy_without_torch() -> None:
    if "thinc" in sys.modules or any(name in sys.modules for name in DEFERRED):
        return
    if os.environ.get("RADFOLLOW_ALLOW_THINC_TORCH") == "1":
        return
    finder = _DeferTorch()
    sys.meta_path.insert(0, finder)
    try:
        import medspacy.context
        import medspacy.target_matcher  # noqa: F401
        import spacy  # noqa: F401
    finally:
        sys.meta_path.remove(finder)
