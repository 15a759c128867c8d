"""``--rules DIR`` reaches every consumer: the NLP, the HL7 adapter (modalities),
the FHIR mapping (terminology) and the tracker (tracker.json) of ``process``, and
the tracker commands (it never reached the tracker before)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from processing_messages import oru, write_messages
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.rules.loader import packaged_rule_file

runner = CliRunner()


def _site(folder: Path, name: str, change) -> Path:  # type: ignore[no-untyped-def]
    folder.mkdir(exist_ok=True)
    data = json.loads(packaged_rule_file(name).read_text())
    change(data)
    (folder / name).write_text(json.dumps(data))
    return folder


def _process(tmp_path: Path, db: str, rules: Path | None) -> dict[str, object]:
    message = oru(1, modality="XRAY")
    inputs = write_messages(tmp_path / "in", {"1.hl7": message})
    out = tmp_path / ("site" if rules else "packaged")
    args = ["process", str(inputs), "--out", str(out), "--db", db, "--no-classifier"]
    result = runner.invoke(app, [*args, *(["--rules", str(rules)] if rules else [])])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "records.jsonl").read_text())
    bundle = json.loads((out / "bundles.ndjson").read_text())
    return {"record": record, "bundle": bundle}


def test_site_rules_reach_hl7_fhir_and_tracker(tmp_path: Path, db_url: str) -> None:
    site = tmp_path / "rules"
    _site(site, "modalities.json", lambda d: d["table"].update({"XRAY": "MR"}))
    _site(
        site,
        "terminology.json",
        lambda d: d["findings"]["pulmonary_nodule"].update({"text": "Site lung nodule"}),
    )
    _site(site, "tracker.json", lambda d: d.update({"grace_days": 400}))
    packaged = _process(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", None)
    ours = _process(tmp_path, db_url, site)
    assert packaged["record"]["modality"] == "CT"  # type: ignore[index]  # from the procedure
    assert ours["record"]["modality"] == "MR"  # type: ignore[index]
    texts = {
        e["resource"]["code"].get("text")
        for e in ours["bundle"]["entry"]  # type: ignore[index]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert "Site lung nodule" in texts
    # 6-12 months from 2026-03-01, overdue on 2027-06-01 with 30 days' grace, not with 400
    as_of = ["--as-of", "2027-06-01", "--format", "json", "--db", db_url]
    with_site = json.loads(
        runner.invoke(app, ["tracker", "list", *as_of, "--rules", str(site)]).output
    )
    packaged_policy = json.loads(runner.invoke(app, ["tracker", "list", *as_of]).output)
    assert [r["status"] for r in packaged_policy] == ["overdue"]
    assert [r["status"] for r in with_site] == ["due"]


@pytest.mark.parametrize("command", [["tracker", "list"], ["tracker", "stats"]])
def test_a_broken_site_tracker_file_is_one_line(tmp_path: Path, command: list[str]) -> None:
    site = _site(tmp_path / "rules", "tracker.json", lambda d: d.update({"grace": 1}))
    db = f"sqlite:///{tmp_path / 't.db'}"
    result = runner.invoke(app, [*command, "--db", db, "--rules", str(site)])
    assert result.exit_code == 1
    assert "tracker.json" in result.output and "Traceback" not in result.output
