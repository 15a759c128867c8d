"""Options declared once: every NLP command takes the same pipeline options, every HL7
command the same reading options (``replay --process`` lacked ``--threshold`` and
``listen`` lacked ``--model``)."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from radfollow.cli import app
from radfollow.cli.options import HL7_OPTIONS, PIPELINE_OPTIONS, utc_datetime

ROOT = typer.main.get_command(app)  # a click-style command tree (Typer vendors click)


def _command(path: str) -> Any:
    command: Any = ROOT
    for name in path.split():
        command = command.commands[name]
    return command


def _options(path: str) -> set[str]:
    return {opt for param in _command(path).params for opt in getattr(param, "opts", [])}


@pytest.mark.parametrize("path", ["process", "extract", "evaluate", "listen", "replay"])
def test_nlp_commands_take_every_pipeline_option(path: str) -> None:
    assert set(PIPELINE_OPTIONS) <= _options(path)


@pytest.mark.parametrize("path", ["process", "listen", "replay"])
def test_hl7_commands_take_every_reading_option(path: str) -> None:
    assert set(HL7_OPTIONS) <= _options(path)


@pytest.mark.parametrize("path", ["tracker list", "listen status", "train"])
def test_commands_without_the_nlp_take_no_pipeline_options(path: str) -> None:
    assert not {"--threshold", "--classifier", "--backend"} & _options(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["process", ".", "--out", "o", "--backend", "gpu"], "--backend"),
        (["process", ".", "--out", "o", "--timezone", "Mars/Olympus"], "--timezone"),
        (["extract", "README.md", "--out", "o", "--rules", "no-such-folder"], "--rules"),
        (["replay", "--threshold", "2"], "--threshold"),
        (["listen", "--model", "x", "--backend", "gpu"], "--backend"),
    ],
)
def test_bad_option_values_are_usage_errors(args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and message in result.output


def test_unexpected_error_prints_one_line_without_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """No traceback reaches the user; -v logs where, never the exception's text."""
    import logging
    import sys

    from radfollow import cli
    from radfollow.processing import batch

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("patient MRN-SECRET-7 text")

    monkeypatch.setattr(batch, "run_extract", broken)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # main() configures logging; undone after
    monkeypatch.setattr(root, "level", root.level)
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "text": "x"}\n')
    for verbose in ([], ["-v"]):
        root.handlers.clear()
        argv = ["radfollow", *verbose, "extract", str(source), "--out", str(tmp_path / "o")]
        monkeypatch.setattr(sys, "argv", [*argv, "--no-classifier", "--no-progress"])
        with pytest.raises(SystemExit) as stopped:
            cli.main()
        assert stopped.value.code == 1
        err = capsys.readouterr().err
        assert "radfollow: error: internal error (RuntimeError)" in err
        assert "MRN-SECRET" not in err and "Traceback" not in err
        assert ("test_cli_options.py" in err) is bool(verbose)  # where it happened, with -v


@pytest.mark.parametrize(
    ("value", "end_of_day", "expected"),
    [
        ("2025-01-01T00:00+05:00", False, "2024-12-31T19:00:00+00:00"),  # converted, not replaced
        ("2025-01-01T00:00", False, "2025-01-01T00:00:00+00:00"),  # no offset: UTC
        ("2025-01-01", False, "2025-01-01T00:00:00+00:00"),
        ("2025-01-01", True, "2025-01-01T23:59:59.999999+00:00"),
        ("0001-01-01", False, "0001-01-01T00:00:00+00:00"),
        ("9999-12-31", True, "9999-12-31T23:59:59.999999+00:00"),
        ("9999-12-31T23:00-05:00", True, None),  # past 9999 in UTC
        ("2025/01/01", True, None),
    ],
)
def test_utc_datetime(value: str, end_of_day: bool, expected: str | None) -> None:
    """One reading of dates for --as-of, --since, --until and replay --since."""

    if expected is None:
        with pytest.raises(typer.BadParameter):
            utc_datetime(value, "--since", end_of_day=end_of_day)
    else:
        parsed = utc_datetime(value, "--since", end_of_day=end_of_day)
        assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize(
    ("classifier", "heads", "expected"),
    [
        pytest.param(None, False, False, id="default-rules-only"),
        pytest.param(None, True, True, id="heads-imply-classifier"),
        pytest.param(True, False, True, id="asked-for"),
        pytest.param(False, True, False, id="refused-even-with-heads"),
    ],
)
def test_classifier_default_and_heads(tmp_path, classifier, heads, expected) -> None:  # type: ignore[no-untyped-def]
    from radfollow.cli.options import pipeline_config

    path = tmp_path / "heads.json" if heads else None
    config = pipeline_config(None, 0.5, classifier, None, path, "auto")
    assert config.classifier is expected
