"""``radfollow train --fine-tune DIR``: fine-tune the whole encoder, write a model folder.

The folder (weights, config, tokenizer) goes outside the repository; the
heads are then fitted over the fine-tuned encoder and saved beside it, and a
site runs with ``--model DIR --heads DIR/radfollow_heads.json``.
Seeded: the same corpora, encoder and seed give the same folder on one machine.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from radfollow.errors import ModelError
from radfollow.nlp.classifier.encoder import Tokenized, resolve_model
from radfollow.nlp.extract import Extractor
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.training.heads import ExtraFiles, training_examples

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
)
#: The installed radfollow package: a fine-tuned encoder is never written inside it.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def fine_tune(
    corpora: Path,
    out: Path,
    *,
    model: str | None = None,
    epochs: int = 2,
    seed: int = 13,
    lr: float = 2e-5,
    batch_size: int = 16,
    extra: ExtraFiles | None = None,
) -> Path:
    if out.resolve().is_relative_to(PACKAGE_ROOT):
        raise ModelError("write fine-tuned models outside the package", where=str(out))
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.manual_seed(seed)
    folder = resolve_model(model)
    examples, _ = training_examples(
        corpora, Extractor(config=PipelineConfig(classifier=False)), extra
    )
    encoder = AutoModel.from_pretrained(str(folder.path), local_files_only=True)
    head = torch.nn.Linear(encoder.config.hidden_size, 2)
    optimiser = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=lr)
    tokens = Tokenized(folder.path, 128)
    order = list(range(len(examples)))
    encoder.train()
    for epoch in range(epochs):
        random.Random(seed + epoch).shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = [examples[k] for k in order[start : start + batch_size]]
            ids, mask = (torch.from_numpy(a) for a in tokens([e.text for e in batch]))
            hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).float()
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            logits = head(torch.nn.functional.normalize(pooled, dim=-1) * 10)
            rec = torch.tensor([float(e.recommendation) for e in batch])
            cond = torch.tensor([float(e.conditional) for e in batch])
            loss_fn = torch.nn.functional.binary_cross_entropy_with_logits
            loss = (
                loss_fn(logits[:, 0], rec)
                + (loss_fn(logits[:, 1], cond, reduction="none") * rec).mean()
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    encoder.eval()
    out.mkdir(parents=True, exist_ok=True)
    encoder.save_pretrained(str(out), safe_serialization=True)
    for name in TOKENIZER_FILES:
        if (folder.path / name).is_file():
            shutil.copy2(folder.path / name, out / name)
    return out
