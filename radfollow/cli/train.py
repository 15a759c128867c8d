"""``radfollow train``: fit the recommendation classifier's heads (and fine-tune)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radfollow.cli.options import ModelDir, err_console, fail
from radfollow.errors import RadfollowError


def train(
    corpora: Annotated[
        Path, typer.Option("--corpora", help="The project's corpora folder.")
    ] = Path("corpora"),
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Heads JSON to write (default: the packaged heads)."),
    ] = None,
    model: ModelDir = None,
    fine_tune: Annotated[
        Path | None,
        typer.Option("--fine-tune", help="Also fine-tune the encoder; write its folder here."),
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Fine-tuning epochs.")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Fine-tuning seed.")] = 13,
    reports: Annotated[
        list[Path] | None,
        typer.Option(
            "--reports",
            help="A site's labelled reports (JSONL: id, text, recommendations with"
            " start/end/conditional) to train on as well; repeatable.",
        ),
    ] = None,
    sentences: Annotated[
        list[Path] | None,
        typer.Option(
            "--sentences",
            help="A site's training sentences (JSONL: text, is_recommendation,"
            " conditional) to train on as well; repeatable.",
        ),
    ] = None,
    calibrate_on: Annotated[
        list[Path] | None,
        typer.Option(
            "--calibrate-on",
            help="Labelled reports (the --reports shape) to calibrate the score and choose"
            " the thresholds on; repeatable. Keep them apart from the reports you score.",
        ),
    ] = None,
) -> None:
    """Fit the recommendation classifier from corpora/ and print its evaluation."""
    from radfollow.training import train_classifier
    from radfollow.training.heads import ExtraFiles

    if not (corpora / "gold" / "dev.jsonl").is_file():
        raise typer.BadParameter(f"{corpora} has no gold/dev.jsonl")
    for path in [*(reports or []), *(sentences or []), *(calibrate_on or [])]:
        if not path.is_file():
            raise typer.BadParameter(f"{path} is not a file")
    extra = ExtraFiles(tuple(reports or ()), tuple(sentences or ()), tuple(calibrate_on or ()))

    def fine_tuned(folder: Path) -> None:
        err_console.print(f"fine-tuned encoder written to {folder}", highlight=False)

    try:
        report = train_classifier(
            corpora,
            out=out,
            model=model,
            fine_tune=fine_tune,
            epochs=epochs,
            seed=seed,
            on_fine_tuned=fine_tuned,
            extra=extra,
        )
    except (RadfollowError, OSError) as error:
        fail(error)
    typer.echo(report.render())
