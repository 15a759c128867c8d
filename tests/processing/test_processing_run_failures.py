"""What stops a run as a whole, in one line: a broken site rule file or a missing model
(each used to fail every report one by one, or to be met only by the first report
that needed it), an output that cannot be written. And reasons never echo values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from processing_messages import oru, write_messages
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.errors import quoted_code

runner = CliRunner()


def _broken_rules(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / name).write_text("{not json")
    return folder


@pytest.mark.parametrize(
    "name", ["modalities.json", "charsets.json", "placeholders.json", "terminology.json"]
)
@pytest.mark.parametrize("command", ["process", "listen"])
def test_broken_site_rule_file_stops_the_command_at_its_start(
    tmp_path: Path, name: str, command: str
) -> None:
    rules = _broken_rules(tmp_path, name)
    inputs = write_messages(tmp_path / "in", {"1.hl7": oru(1)})
    args = {
        "process": ["process", str(inputs), "--out", str(tmp_path / "o")],
        "listen": ["listen", "--port", "0", "--db", f"sqlite:///{tmp_path / 'i.db'}"],
    }[command]
    result = runner.invoke(app, [*args, "--rules", str(rules), "--no-classifier"])
    assert result.exit_code == 1
    assert f"radfollow: error: {rules / name}: not valid JSON" in result.output
    assert not (tmp_path / "o").exists()


def test_missing_model_stops_process_with_one_worker(tmp_path: Path) -> None:
    inputs = write_messages(tmp_path / "in", {"1.hl7": oru(1)})
    args = ["process", str(inputs), "--out", str(tmp_path / "o"), "--workers", "1"]
    result = runner.invoke(app, [*args, "--model", str(tmp_path / "no-model")])
    assert result.exit_code == 1
    assert "radfollow: error:" in result.output and "RF600" not in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o" / "errors.ndjson").exists()


def test_output_that_cannot_be_written_names_the_file(tmp_path: Path) -> None:
    inputs = write_messages(tmp_path / "in", {"1.hl7": oru(1)})
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = ["process", str(inputs), "--out", str(blocker), "--no-classifier"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.strip() == f"radfollow: error: {blocker}: File exists"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("ADT^A01", "'ADT^A01'"),
        ("UNICODE UTF-8", "'UNICODE UTF-8'"),
        ("8859/1", "'8859/1'"),
        ("2.5.1", "'2.5.1'"),
        ("DOE, JANE 1960-01-01 MRN 12345678", "(a value that is not a code)"),
        ("x\x00y", "(a value that is not a code)"),
        ("", "(a value that is not a code)"),
    ],
)
def test_reasons_quote_codes_only(value: str, shown: str) -> None:
    assert quoted_code(value) == shown


def test_fhir_validation_reason_names_the_place_not_the_value() -> None:
    from radfollow.errors import FHIRMappingError
    from radfollow.fhir.bundle import validate_bundle

    patient = {
        "resourceType": "Patient",
        "identifier": [{"value": "MRN-SECRET-1"}],
        "birthDate": "19-SECRET",
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:1", "resource": patient}],
    }
    with pytest.raises(FHIRMappingError) as caught:
        validate_bundle(bundle)
    message = caught.value.message
    assert "entry.0.resource.birthDate" in message
    assert "SECRET" not in message and "input_value" not in message
    assert caught.value.__cause__ is None  # pydantic's text (with the value) is not chained
    json.dumps(message)
