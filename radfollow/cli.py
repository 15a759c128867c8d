"""radfollow command line: thin Typer commands over library functions.

Exit codes: 0 every input processed; 1 some inputs rejected or a run failed
(one-line reason on stderr); 2 usage errors (Typer's own).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from radfollow import __version__
from radfollow.cli_listen import app as listen_app
from radfollow.cli_listen import hl7_options
from radfollow.cli_listen import replay as replay_command
from radfollow.cli_options import (
    DEFAULT_ACCESSION,
    AccessionFields,
    Backend,
    Heads,
    ModelDir,
    RulesDir,
    Threshold,
    Timezone,
    UseClassifier,
    Workers,
)
from radfollow.cli_tracker import app as tracker_app
from radfollow.errors import RadfollowError

if TYPE_CHECKING:
    from radfollow.jobs import JobSummary
    from radfollow.nlp.pipeline import PipelineConfig

app = typer.Typer(
    name="radfollow",
    help="Incidental findings and follow-up recommendations from radiology reports.",
    no_args_is_help=True,
    add_completion=False,
)
err_console = Console(stderr=True)
app.add_typer(tracker_app, name="tracker")
app.add_typer(listen_app, name="listen")
app.command("replay")(replay_command)


def _config(
    rules: Path | None,
    threshold: float,
    classifier: bool,
    model: Path | None = None,
    heads: Path | None = None,
    backend: str = "auto",
) -> PipelineConfig:
    if backend not in ("auto", "onnx", "torch"):
        raise typer.BadParameter("--backend must be auto, onnx or torch")
    from radfollow.nlp.pipeline import PipelineConfig  # spaCy loads only for NLP commands

    return PipelineConfig.model_validate(
        {
            "rules_dir": rules,
            "threshold": threshold,
            "classifier": classifier,
            "model": model,
            "heads": heads,
            "backend": backend,
        }
    )


def _fail(message: str) -> typer.Exit:
    err_console.print(f"radfollow: error: {message}", highlight=False, markup=False)
    return typer.Exit(1)


@contextmanager
def _progress(label: str, total: int | None, enabled: bool) -> Iterator[Callable[[int], None]]:
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn()]
    with Progress(
        *columns, TimeElapsedColumn(), console=err_console, disable=not enabled, transient=True
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def _summary_line(summary: JobSummary, what: str) -> str:
    return (
        f"{summary.processed} {what} processed, {summary.rejected} rejected, "
        f"{summary.findings} findings, {summary.recommendations} recommendations"
    )


@app.command()
def process(
    paths: Annotated[list[Path], typer.Argument(help="HL7 files or directories of them.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Also store in the tracker (e.g. sqlite:///radfollow.db)."),
    ] = None,
    workers: Workers = 1,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    accession: AccessionFields = DEFAULT_ACCESSION,
    timezone: Timezone = "UTC",
    bundle_type: Annotated[
        str, typer.Option("--bundle-type", help="collection or transaction.")
    ] = "collection",
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    classifier: UseClassifier = True,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
) -> None:
    """Read ORU^R01 messages; write bundles.ndjson, records.jsonl and errors.ndjson to --out."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise typer.BadParameter(f"no such file or directory: {', '.join(missing)}")
    if bundle_type not in ("collection", "transaction"):
        raise typer.BadParameter("--bundle-type must be 'collection' or 'transaction'")
    kind: Literal["collection", "transaction"] = (
        "transaction" if bundle_type == "transaction" else "collection"
    )
    from radfollow.jobs import run_process

    options = replace(hl7_options(timezone, accession), bundle_type=kind)
    config = _config(rules, threshold, classifier, model, heads, backend)
    try:
        with _progress("messages", None, progress and sys.stderr.isatty()) as tick:
            summary = run_process(
                list(paths), out, config=config, workers=workers, options=options, tick=tick, db=db
            )
    except (RadfollowError, OSError, ValueError) as err:
        raise _fail(str(err)) from err
    err_console.print(_summary_line(summary, "reports"), highlight=False)
    if summary.tracker:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(summary.tracker.items()))
        err_console.print(f"tracker: {counts}", highlight=False)
    if summary.rejected:
        err_console.print(f"rejected inputs listed in {out / 'errors.ndjson'}", highlight=False)
        raise typer.Exit(1)


@app.command()
def extract(
    input_path: Annotated[Path, typer.Argument(help="JSONL with {id, text[, indication]}.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL, one record per input line.")],
    workers: Workers = 1,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    classifier: UseClassifier = True,
    model: ModelDir = None,
    heads: Heads = None,
    backend: Backend = "auto",
) -> None:
    """Extract findings and recommendations from plain-text JSONL reports."""
    if not input_path.is_file():
        raise typer.BadParameter(f"no such file: {input_path}")
    from radfollow.io.jsonl import count_lines
    from radfollow.jobs import run_extract

    config = _config(rules, threshold, classifier, model, heads, backend)
    try:
        total = count_lines(input_path)
        with _progress("reports", total, progress and sys.stderr.isatty()) as tick:
            summary = run_extract(input_path, out, config=config, workers=workers, tick=tick)
    except (RadfollowError, OSError, ValueError) as err:
        raise _fail(str(err)) from err
    err_console.print(_summary_line(summary, "reports"), highlight=False)
    for error in summary.errors[:20]:
        err_console.print(f"{error.source}:{error.position}: {error.reason}", highlight=False)
    if summary.rejected:
        raise typer.Exit(1)


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Argument(help="Gold JSONL (corpora/gold/*.jsonl).")],
    pred: Annotated[
        Path | None, typer.Argument(help="Predicted JSONL; omitted: run the pipeline on gold.")
    ] = None,
    rules: RulesDir = None,
    threshold: Threshold = 0.5,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    classifier: UseClassifier = True,
    model: ModelDir = None,
    heads: Heads = None,
) -> None:
    """Score predictions against gold annotations (ANNOTATION.md)."""
    from radfollow.evaluation.report import evaluate_files, render

    if output_format not in ("text", "json"):
        raise typer.BadParameter("--format must be 'text' or 'json'")
    config = _config(rules, threshold, classifier, model, heads)
    try:
        scores = evaluate_files(gold, pred, config=config)
    except (RadfollowError, OSError, ValueError) as err:
        raise _fail(str(err)) from err
    typer.echo(scores.model_dump_json(indent=2) if output_format == "json" else render(scores))


@app.command()
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
) -> None:
    """Fit the recommendation classifier from corpora/ and print its evaluation."""
    from radfollow.nlp.classifier.component import default_heads_path
    from radfollow.nlp.classifier.training import train as run_training

    if not (corpora / "gold" / "dev.jsonl").is_file():
        raise typer.BadParameter(f"{corpora} has no gold/dev.jsonl")
    try:
        encoder = str(model) if model else None
        if fine_tune is not None:
            from radfollow.nlp.classifier.finetune import fine_tune as run_fine_tune

            encoder = str(
                run_fine_tune(corpora, fine_tune, model=encoder, epochs=epochs, seed=seed)
            )
            err_console.print(f"fine-tuned encoder written to {fine_tune}", highlight=False)
        target = out or (default_heads_path() if encoder is None else fine_tune_heads(encoder))
        report = run_training(corpora, target, model=encoder)
    except (RadfollowError, OSError, ValueError) as err:
        raise _fail(str(err)) from err
    typer.echo(report.render())


def fine_tune_heads(encoder: str) -> Path:
    """Heads for a site encoder live beside it, never over the packaged ones."""
    return Path(encoder) / "radfollow_heads.json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"radfollow {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
