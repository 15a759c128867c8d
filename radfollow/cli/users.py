"""``radfollow users ...``: the review app's local accounts (stored in the tracker)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from radfollow.cli.options import RulesDir, fail
from radfollow.errors import RadfollowError
from radfollow.tracker.accounts import Role, add_user, set_active, set_password, set_role, users
from radfollow.tracker.db import DEFAULT_URL, open_tracker

app = typer.Typer(help="Accounts of the review app (radfollow serve).", no_args_is_help=True)

Db = Annotated[
    str, typer.Option("--db", help="Tracker database URL, or the path of a SQLite file.")
]
Name = Annotated[str, typer.Argument(help="User name (no spaces).")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (scripts)."
    ),
]


def _password(from_stdin: bool) -> str:
    """The password from stdin's first line, or typed twice at a prompt (not echoed)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("no terminal to type a password: pass --password-stdin and pipe it in")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _run(db: str, rules: Path | None, action: Callable[[Session], object]) -> None:
    """``action`` in one transaction on the existing tracker at ``db``; its errors
    end the command with a one-line reason."""
    try:
        tracker = open_tracker(db, rules_dir=rules, create=False)
        try:
            with tracker.session() as session:
                action(session)
        finally:
            tracker.close()
    except RadfollowError as error:
        fail(error)


@app.command("add")
def add_command(
    name: Name,
    role: Annotated[Role, typer.Option("--role", help="viewer, reviewer or admin.")],
    password_stdin: PasswordStdin = False,
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
) -> None:
    """Add a user. Viewers read; reviewers also act on recommendations; admins also
    manage users. The password (8 characters or more) is stored as an argon2id hash."""
    password = _password(password_stdin)
    _run(
        db,
        rules,
        lambda s: add_user(s, name, role=role.value, password=password, at=datetime.now(UTC)),
    )
    typer.echo(f"user {name} added ({role.value})")


@app.command("list")
def list_command(db: Db = DEFAULT_URL, rules: RulesDir = None) -> None:
    """Users with their role and whether they may sign in."""
    found: list[str] = []
    _run(
        db,
        rules,
        lambda s: found.extend(
            f"{u.name}\t{u.role.value}\t{'active' if u.active else 'disabled'}" for u in users(s)
        ),
    )
    typer.echo("\n".join(found) if found else "no users")


@app.command("password")
def password_command(
    name: Name, password_stdin: PasswordStdin = False, db: Db = DEFAULT_URL, rules: RulesDir = None
) -> None:
    """Set a new password; unlocks the account and signs out its sessions."""
    password = _password(password_stdin)
    _run(db, rules, lambda s: set_password(s, name, password))
    typer.echo(f"password of {name} changed")


@app.command("role")
def role_command(
    name: Name,
    role: Annotated[Role, typer.Option("--role", help="viewer, reviewer or admin.")],
    db: Db = DEFAULT_URL,
    rules: RulesDir = None,
) -> None:
    """Change a user's role."""
    _run(db, rules, lambda s: set_role(s, name, role.value))
    typer.echo(f"{name} is now {role.value}")


@app.command("disable")
def disable_command(name: Name, db: Db = DEFAULT_URL, rules: RulesDir = None) -> None:
    """Stop a user signing in (their sessions end; the audit trail keeps their name)."""
    _run(db, rules, lambda s: set_active(s, name, False))
    typer.echo(f"{name} disabled")


@app.command("enable")
def enable_command(name: Name, db: Db = DEFAULT_URL, rules: RulesDir = None) -> None:
    _run(db, rules, lambda s: set_active(s, name, True))
    typer.echo(f"{name} enabled")
