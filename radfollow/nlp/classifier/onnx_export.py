"""Export an encoder folder to ONNX (fp32, optionally dynamic int8) and load the result.

The exported file sits in a cache folder (``$RADFOLLOW_CACHE``, default
``~/.cache/radfollow``) with a sidecar JSON naming the sha256 of the source
files; a file whose sidecar does not match the model folder is never used.
Export needs torch; running the exported model needs only onnxruntime.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Literal

from radfollow.errors import ModelError
from radfollow.nlp.classifier.encoder import (
    Encoder,
    ModelFolder,
    OnnxEncoder,
    TorchEncoder,
    resolve_model,
)

log = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]
Backend = Literal["auto", "onnx", "torch"]
OPSET = 17


def cache_dir() -> Path:
    root = os.environ.get("RADFOLLOW_CACHE") or Path.home() / ".cache" / "radfollow"
    return Path(root) / "models"


def onnx_path(folder: ModelFolder, precision: Precision, directory: Path | None = None) -> Path:
    weights = next(iter(folder.sha256.values()))[:16]
    return (directory or cache_dir()) / f"{folder.path.parent.name}-{weights}-{precision}.onnx"


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def is_valid_export(path: Path, folder: ModelFolder) -> bool:
    sidecar = _sidecar(path)
    if not path.is_file() or not sidecar.is_file():
        return False
    try:
        meta = json.loads(sidecar.read_text())
    except json.JSONDecodeError:
        return False
    return bool(meta.get("source_sha256") == folder.sha256)


def export(folder: ModelFolder, precision: Precision, directory: Path | None = None) -> Path:
    """Write the ONNX export (atomically) and its sidecar; return its path."""
    target = onnx_path(folder, precision, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export_fp32(folder.path, fp32)
        final = fp32
        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            final = Path(tmp) / "model.int8.onnx"
            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # onnxruntime logs advice at WARNING on the root logger
            try:
                quantize_dynamic(str(fp32), str(final), weight_type=QuantType.QInt8)
            finally:
                root.setLevel(level)
        os.replace(final, target)
    meta = {"source": str(folder.path), "source_sha256": folder.sha256, "precision": precision}
    _sidecar(target).write_text(json.dumps(meta, indent=1))
    return target


def _export_fp32(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        # The tracer warns about shape checks it freezes; the exported graph is
        # checked against torch on padded batches by the tests.
        warnings.simplefilter("ignore")
        _onnx_export(torch, Wrapper(), ids, axes, out)


def _onnx_export(torch: Any, module: Any, ids: Any, axes: dict[int, str], out: Path) -> None:
    torch.onnx.export(
        module,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        str(out),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "last_hidden_state": axes,
        },
        opset_version=OPSET,
        dynamo=False,
    )


def load_encoder(
    model: str | None = None,
    *,
    backend: Backend = "auto",
    precision: Precision = "fp32",
    max_length: int = 128,
    directory: Path | None = None,
) -> Encoder:
    """The encoder to run: ONNX when an export exists (``auto`` exports once if torch is there)."""
    folder = resolve_model(model)
    if backend == "torch":
        return TorchEncoder(folder, max_length=max_length)
    path = onnx_path(folder, precision, directory)
    if not is_valid_export(path, folder):
        if backend == "onnx" and not _torch_available():
            raise ModelError(f"no ONNX export at {path}; run 'radfollow train' to create it")
        if not _torch_available():
            raise ModelError("neither an ONNX export nor torch is available for the encoder")
        log.info("exporting %s to ONNX (%s), once", folder.path.parent.name, precision)
        path = export(folder, precision, directory)
    return OnnxEncoder(path, folder, max_length=max_length)


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
