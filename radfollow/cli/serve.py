"""``radfollow serve``: the review app over a tracker database (docs/review-app.md)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from radfollow.cli.options import RulesDir, fail
from radfollow.errors import RadfollowError
from radfollow.tracker.db import DEFAULT_URL, open_tracker


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    db: Annotated[
        str, typer.Option("--db", help="Tracker database URL, or the path of a SQLite file.")
    ] = DEFAULT_URL,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", exists=True, dir_okay=False, help="PEM certificate."),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", exists=True, dir_okay=False, help="PEM private key.")
    ] = None,
    idle_timeout: Annotated[
        int, typer.Option("--idle-timeout", min=1, max=720, help="Minutes before an idle sign-out.")
    ] = 30,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Addresses of the TLS proxy in front (comma-separated): trust its "
            "X-Forwarded-For/Proto; cookies become Secure.",
        ),
    ] = None,
    rules: RulesDir = None,
) -> None:
    """Serve the review app: worklists, recommendation detail and actions, dashboards.

    Create users first with ``radfollow users add``. Binds to loopback unless
    --host says otherwise; give --tls-cert and --tls-key (or a TLS proxy in
    front) before serving other machines."""
    from radfollow.web.app import serve as run

    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key, or neither")
    if not _loopback(host) and tls_cert is None and forwarded_allow_ips is None:
        typer.echo(
            f"radfollow: warning: serving {host} without TLS; passwords and reports cross "
            "the network in clear unless a TLS proxy is in front",
            err=True,
        )
    try:
        tracker = open_tracker(db, rules_dir=rules, create=False)
    except RadfollowError as error:
        fail(error)
    scheme = "https" if tls_cert else "http"
    typer.echo(f"radfollow review app on {scheme}://{host}:{port}/ (Ctrl+C stops)", err=True)
    try:
        run(
            tracker,
            host=host,
            port=port,
            tls_cert=str(tls_cert) if tls_cert else None,
            tls_key=str(tls_key) if tls_key else None,
            idle=timedelta(minutes=idle_timeout),
            forwarded_allow_ips=forwarded_allow_ips,
        )
    finally:
        tracker.close()
