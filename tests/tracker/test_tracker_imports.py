"""Opening the tracker imports neither spaCy nor the NLP package (HOUSE.md layering).

The test session itself has spaCy loaded (tests/conftest.py), so the check runs
in a fresh interpreter with the same environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CODE = """
import json, sys
from radfollow.tracker.db import open_tracker
tracker = open_tracker(sys.argv[1])
tracker.close()
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def modules_after_open(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('tracker') / 't.db'}"
    done = subprocess.run(
        [sys.executable, "-c", CODE, url], env=dict(os.environ), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    modules: list[str] = json.loads(done.stdout)
    return modules


@pytest.mark.parametrize(
    ("module", "loaded"),
    [
        ("radfollow.tracker.db", True),
        ("radfollow.rules.loader", True),
        ("spacy", False),
        ("medspacy", False),
        ("radfollow.nlp", False),
    ],
)
def test_open_tracker_imports(modules_after_open: list[str], module: str, loaded: bool) -> None:
    found = [m for m in modules_after_open if m == module or m.startswith(module + ".")]
    assert bool(found) is loaded, found
