"""Logistic-regression heads over sentence embeddings, stored as JSON in the package.

Two outputs per sentence: ``recommendation`` (is it a follow-up recommendation)
and ``conditional`` (is it hedged). A head is a weight matrix and a bias;
fitting is L2-regularised Newton/IRLS in numpy, deterministic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radfollow.errors import ModelError

LABELS = ("recommendation", "conditional")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iterations: int = 30
) -> tuple[np.ndarray, float]:
    """Weights and bias minimising log loss + l2/2 |w|^2 (bias unpenalised)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))]).astype(np.float64)
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = sigmoid(xb @ w)
        gradient = xb.T @ (p - y) + penalty * w
        hessian = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-8)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return w[:-1], float(w[-1])


@dataclass
class Head:
    """One logistic output per label over ``features`` inputs."""

    weights: dict[str, list[float]]
    bias: dict[str, float]
    features: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        if x.shape[1] != len(self.features):
            raise ModelError(f"head expects {len(self.features)} inputs, got {x.shape[1]}")
        return {
            label: sigmoid(x @ np.asarray(self.weights[label]) + self.bias[label])
            for label in self.weights
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": {k: [round(float(v), 6) for v in w] for k, w in self.weights.items()},
            "bias": {k: round(float(b), 6) for k, b in self.bias.items()},
            "features": self.features,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Head:
        try:
            return cls(data["weights"], data["bias"], data["features"], data.get("meta", {}))
        except KeyError as err:
            raise ModelError(f"head file lacks {err}") from err


def save_heads(path: Path, heads: dict[str, Head], meta: dict[str, Any]) -> None:
    payload = {"meta": meta, "heads": {name: h.to_dict() for name, h in heads.items()}}
    path.write_text(json.dumps(payload, indent=None, separators=(",", ":")) + "\n")


def load_heads(path: Path) -> tuple[dict[str, Head], dict[str, Any]]:
    try:
        payload = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelError(f"cannot read classifier heads: {err}", where=str(path)) from err
    try:
        heads = {name: Head.from_dict(h) for name, h in payload["heads"].items()}
        meta = payload.get("meta", {})
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelError(
            f"not a classifier heads file ({type(err).__name__}: its 'heads' are missing "
            "or malformed; write one with 'radfollow train')",
            where=str(path),
        ) from err
    return heads, meta
