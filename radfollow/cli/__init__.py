"""radfollow command line: thin Typer commands over library functions.

One module per command group (``batch``, ``evaluate``, ``train``, ``tracker``,
``notify``, ``listen``, ``serve``, ``users``); shared options and the one failure
helper in ``options``.

Exit codes: 0 every input processed; 1 some inputs rejected or a run failed
(one-line reason on stderr); 2 usage errors (Typer's own). No traceback
reaches the user: an unexpected error prints its class name only, and ``-v``
logs where it happened (never values: exception messages can quote reports).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from radfollow import __version__
from radfollow.cli import (
    batch,
    evaluate,
    listen,
    measures,
    notify,
    serve,
    spark,
    tracker,
    train,
    users,
)
from radfollow.errors import error_location

app = typer.Typer(
    name="radfollow",
    help="Incidental findings and follow-up recommendations from radiology reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # Rich tracebacks would print local variables: PHI
)
app.command()(batch.process)
app.command()(batch.extract)
app.command()(spark.spark)
app.command()(evaluate.evaluate)
app.command()(measures.measures)
app.command()(train.train)
app.add_typer(tracker.app, name="tracker")
app.add_typer(notify.app, name="notify")
app.add_typer(listen.app, name="listen")
app.command("replay")(listen.replay)
app.command()(serve.serve)
app.add_typer(users.app, name="users")


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
    """The ``radfollow`` console script: any error Typer does not handle is one line."""
    try:
        app()
    except Exception as error:  # a bug: its class and, with -v, where; never its message
        logging.getLogger("radfollow.cli").info(
            "%s at %s", type(error).__name__, error_location(error)
        )
        print(
            f"radfollow: error: internal error ({type(error).__name__}); "
            "run with -v to log where it happened",
            file=sys.stderr,
        )
        sys.exit(1)
