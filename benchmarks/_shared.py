"""Helpers for benchmarks over ../shared/corpora (never copied into this repo)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"


def shared_file(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        sys.exit(f"benchmark needs {path} (../shared/corpora beside the project)")
    return path


def sealed_ids() -> set[str]:
    return set(shared_file("sealed_ids.txt").read_text().split())


def load(name: str, *, include_sealed: bool) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in shared_file(name).read_text().splitlines() if line.strip()]
    if include_sealed:
        return rows
    sealed = sealed_ids()
    return [r for r in rows if r["id"] not in sealed]


def unsealed_reports() -> dict[str, dict[str, Any]]:
    """Every non-sealed report of both corpora, by id."""
    return {
        r["id"]: r
        for name in ("mtsamples_radiology.jsonl", "openi_reports.jsonl")
        for r in load(name, include_sealed=False)
    }
