"""``radfollow serve`` as a user starts it: a real uvicorn process on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app as cli
from radfollow.tracker.db import Tracker

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_serve_runs_the_app_on_loopback(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    Tracker(f"sqlite:///{db}").close()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radfollow", "serve", "--db", str(db), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/login")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and "Sign in" in page
        assert _get(f"http://127.0.0.1:{port}/worklist?provider=Dr+Secret")[0] == 303
    finally:
        process.send_signal(signal.SIGINT)
        _, log = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in log
    assert "GET /worklist 303" in log  # the access log: the route and status ...
    assert "Secret" not in log  # ... never the query string


def test_serve_refuses_a_database_without_a_tracker(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["serve", "--db", str(tmp_path / "typo.db")])
    assert result.exit_code == 1
    assert "no such tracker database" in result.output
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.parametrize("given", ["--tls-cert", "--tls-key"])
def test_tls_needs_both_files(tmp_path: Path, given: str) -> None:
    pem = tmp_path / "x.pem"
    pem.write_text("x")
    db = tmp_path / "tracker.db"
    Tracker(f"sqlite:///{db}").close()
    result = runner.invoke(cli, ["serve", "--db", str(db), given, str(pem)])
    assert result.exit_code == 2
    assert "both --tls-cert and --tls-key" in result.output
