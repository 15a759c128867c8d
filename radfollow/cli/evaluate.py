"""``radfollow evaluate``: score predictions against gold annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radfollow.cli.options import (
    Backend,
    Heads,
    ModelDir,
    RulesDir,
    Threshold,
    UseClassifier,
    fail,
    pipeline_config,
)
from radfollow.errors import RadfollowError


def evaluate(
    gold: Annotated[Path, typer.Argument(help="Gold JSONL (corpora/gold/*.jsonl).")],
    pred: Annotated[
        Path | None, typer.Argument(help="Predicted JSONL; omitted: run the pipeline on gold.")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    classifier: UseClassifier = None,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
) -> None:
    """Score predictions against gold annotations (ANNOTATION.md)."""
    from radfollow.evaluation.report import evaluate_files, render, render_json

    if output_format not in ("text", "json"):
        raise typer.BadParameter("--format must be 'text' or 'json'")
    config = pipeline_config(rules, threshold, classifier, model, heads, backend)
    try:
        scores = evaluate_files(gold, pred, config=config)
    except (RadfollowError, OSError) as error:
        fail(error)
    typer.echo(render_json(scores) if output_format == "json" else render(scores))
