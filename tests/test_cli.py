"""End-to-end CLI tests with Typer's CliRunner on synthetic data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from radfollow.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpora" / "sample"
runner = CliRunner()

ORU = (
    "MSH|^~\\&|RIS|HOSP|RADFOLLOW|HOSP|20260301120000||ORU^R01|MSG{n}|P|2.5.1\r"
    "PID|1||MRN{n}^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "OBR|1||ACC{n}|71250^CT CHEST WITHOUT CONTRAST^CPT|||20260301110000-0500"
    "|||||Trauma|||1234^SMITH^ANNA||||||||CT|F\r"
    "OBX|1|TX|RPT^Report||FINDINGS: 6 mm nodule in the right upper lobe.||||||F\r"
    "OBX|2|TX|RPT^Report||IMPRESSION: Recommend follow-up CT chest in 6-12 months.||||||F\r"
)


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


def test_process_mixed_directory(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    _write(inputs / "a.hl7", ORU.format(n=1))
    _write(
        inputs / "b.hl7", "\x0b" + ORU.format(n=2) + "\x1c\r" + "\x0b" + ORU.format(n=3) + "\x1c\r"
    )
    adt = ORU.format(n=4).replace("ORU^R01", "ADT^A01")
    _write(inputs / "c.hl7", "FHS|^~\\&\rBHS|^~\\&\r" + ORU.format(n=5) + adt + "BTS|2\rFTS|1\r")
    _write(inputs / "garbage.hl7", "this is not an HL7 message\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["process", str(inputs), "--out", str(out), "--no-progress"])
    assert result.exit_code == 1, result.output
    bundles = [json.loads(line) for line in (out / "bundles.ndjson").read_text().splitlines()]
    assert len(bundles) == 4
    for bundle in bundles:
        Bundle.model_validate(bundle)
    errors = [json.loads(line) for line in (out / "errors.ndjson").read_text().splitlines()]
    assert sorted((Path(e["source"]).name, e["code"]) for e in errors) == [
        ("c.hl7", "RF302"),
        ("garbage.hl7", "RF301"),
    ]
    assert next(e for e in errors if e["code"] == "RF302")["control_id"] == "MSG4"
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert {r["accession"] for r in records} == {"ACC1", "ACC2", "ACC3", "ACC5"}
    first = next(r for r in records if r["accession"] == "ACC1")
    assert first["has_followup_recommendation"] is True
    assert first["incidental_types"] == ["pulmonary_nodule"]
    assert first["patient_id"] == "MRN1" and first["control_id"] == "MSG1"


def test_process_all_good_exits_zero(tmp_path: Path) -> None:
    _write(tmp_path / "a.hl7", ORU.format(n=1).replace("\r", "\n"))
    result = runner.invoke(app, ["process", str(tmp_path / "a.hl7"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "errors.ndjson").read_text() == ""


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="corpora/sample not generated")
def test_process_bundled_sample(tmp_path: Path) -> None:
    expected = json.loads((ROOT / "corpora" / "sample.expected.json").read_text())
    result = runner.invoke(app, ["process", str(SAMPLE), "--out", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 1
    bundles = (tmp_path / "bundles.ndjson").read_text().splitlines()
    errors = (tmp_path / "errors.ndjson").read_text().splitlines()
    assert len(bundles) == expected["bundles"]
    assert len(errors) == expected["rejected"]


def test_process_usage_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["process", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert missing.exit_code == 2
    bad_tz = runner.invoke(
        app, ["process", str(tmp_path), "--out", str(tmp_path), "--timezone", "Mars/Olympus"]
    )
    assert bad_tz.exit_code == 2


def test_extract_keeps_order_extra_keys_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        {"id": "r1", "text": "FINDINGS: 6 mm nodule in the right upper lobe.", "site": "A"},
        "{not json",
        {"id": "7", "text": "IMPRESSION: Recommend MRI abdomen in 3 months.", "indication": "pain"},
        {"id": "r3"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", str(src), "--out", str(out)])
    assert result.exit_code == 1
    assert "in.jsonl:2" in result.output and "in.jsonl:4" in result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["r1", None, "7", None]
    assert records[0]["site"] == "A"
    assert records[0]["findings"][0]["type"] == "pulmonary_nodule"
    assert records[1]["error"]["code"] == "RF200"
    rec = records[2]["recommendations"][0]
    text = lines[2]["text"]  # type: ignore[index]
    assert text[rec["start"] : rec["end"]] == rec["text"]
    assert rec["modality"] == "MR" and rec["interval_months"] == [3.0, 3.0]


def test_extract_workers_match_single_process(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": f"r{i}", "text": f"FINDINGS: {i} mm nodule in the lingula."} for i in range(1, 40)
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert runner.invoke(app, ["extract", str(src), "--out", str(one)]).exit_code == 0
    assert (
        runner.invoke(app, ["extract", str(src), "--out", str(two), "--workers", "2"]).exit_code
        == 0
    )
    assert one.read_text() == two.read_text()


def test_evaluate_runs_pipeline_when_pred_omitted(tmp_path: Path) -> None:
    text = (
        "FINDINGS: 6 mm nodule in the right upper lobe.\n"
        "IMPRESSION: Recommend CT chest in 6 months."
    )
    rec_start = text.index("Recommend")
    nodule = text.index("6 mm nodule")
    gold = {
        "id": "g1",
        "text": text,
        "findings": [
            {
                "type": "pulmonary_nodule",
                "start": nodule,
                "end": nodule + len("6 mm nodule"),
                "assertion": "present",
                "benign": False,
                "incidental": True,
            }
        ],
        "recommendations": [
            {
                "start": rec_start,
                "end": len(text),
                "modality": "CT",
                "interval_months": [6, 6],
                "conditional": False,
            }
        ],
        "incidental_types": ["pulmonary_nodule"],
    }
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(gold) + "\n")
    result = runner.invoke(app, ["evaluate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["followup_report"]["f1"] == 1.0
    assert scores["recommendation_span"]["f1"] == 1.0
    assert scores["interval_accuracy"] == 1.0
    assert scores["incidental_types"]["f1"] == 1.0
    assert scores["assertion_accuracy"] == 1.0


def test_evaluate_reports_missing_predictions(tmp_path: Path) -> None:
    gold, pred = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    gold.write_text(json.dumps({"id": "a", "text": "x"}) + "\n")
    pred.write_text(json.dumps({"id": "b", "findings": [], "recommendations": []}) + "\n")
    result = runner.invoke(app, ["evaluate", str(gold), str(pred)])
    assert result.exit_code == 1
    assert "no prediction" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("radfollow ")


def test_extract_keeps_input_keys_that_clash_with_the_record(tmp_path: Path) -> None:
    src = tmp_path / "gold.jsonl"
    row = {"id": "g1", "text": "IMPRESSION: Recommend MRI abdomen.", "findings": [], "split": "dev"}
    src.write_text(json.dumps(row) + "\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", str(src), "--out", str(out), "--no-classifier"])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["input_findings"] == [] and record["split"] == "dev"
    assert record["recommendations"][0]["modality"] == "MR"
