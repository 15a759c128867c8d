"""Offline work: fitting the classifier's heads and fine-tuning its encoder.

Runtime code (``radfollow.nlp``) never imports this package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from radfollow.training.heads import ExtraFiles, TrainReport

#: Heads fitted for a site's encoder are written beside it, never over the packaged ones.
SITE_HEADS_FILE = "radfollow_heads.json"


def site_heads_path(encoder: Path) -> Path:
    """Where the heads of a site encoder (a model folder) live."""
    return encoder / SITE_HEADS_FILE


def train_classifier(
    corpora: Path,
    *,
    out: Path | None = None,
    model: Path | None = None,
    fine_tune: Path | None = None,
    epochs: int = 2,
    seed: int = 13,
    on_fine_tuned: Callable[[Path], None] | None = None,
    extra: ExtraFiles | None = None,
) -> TrainReport:
    """Fine-tune the encoder into ``fine_tune`` (when given), then fit the heads.

    ``extra``: a site's labelled reports and sentences, added to the training
    set, and reports to calibrate on (radfollow.training.heads). Heads go to
    ``out``; else beside a site encoder (``site_heads_path``); else over the
    packaged heads. Raises ModelError (RF600) when the encoder cannot be
    loaded, OSError when a file cannot be written.
    """
    from radfollow.nlp.classifier.component import default_heads_path
    from radfollow.training.heads import train as fit_heads

    encoder = model
    if fine_tune is not None:
        from radfollow.training.finetune import fine_tune as run_fine_tune

        str_model = str(model) if model else None
        encoder = Path(
            run_fine_tune(
                corpora, fine_tune, model=str_model, epochs=epochs, seed=seed, extra=extra
            )
        )
        if on_fine_tuned is not None:
            on_fine_tuned(fine_tune)
    target = out or (default_heads_path() if encoder is None else site_heads_path(encoder))
    return fit_heads(corpora, target, model=str(encoder) if encoder else None, extra=extra)
