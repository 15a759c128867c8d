"""Consistency of the synthetic gold corpus in corpora/ (ANNOTATION.md labels).

Checks spans, enum values, the incidental rule, report-level labels, counts,
the dev/test wording split, the HL7 copies (decoded independently here) and
that corpora/generate.py reproduces the committed files byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import hl7
import pytest

from radfollow.models import Assertion, FindingType, Laterality, Modality

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT / "corpora"
SPLITS = ("dev", "test")
REPORT_MODALITIES = {"CT", "MR", "US", "XR", "NM", "PET", "MG"}
ESCAPES = {".br": "\n", "F": "|", "S": "^", "T": "&", "R": "~", "E": "\\"}


def load(split: str) -> list[dict[str, Any]]:
    path = CORPORA / "gold" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


RECORDS = {split: load(split) for split in SPLITS}
ALL = [r for split in SPLITS for r in RECORDS[split]]
IDS = [r["id"] for r in ALL]


def load_phrases() -> Any:
    spec = importlib.util.spec_from_file_location("corpus_phrases", CORPORA / "phrases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unescape(value: str) -> str:
    return re.sub(r"\\(\.br|[FSTRE])\\", lambda m: ESCAPES[m.group(1)], value)


def read_message(data: bytes) -> str:
    """Decode by MSH-18 and normalise segment separators to \\r."""
    first = data.split(b"\r")[0].split(b"\n")[0].decode("ascii", "replace")
    fields = first.split("|")
    charset = fields[17] if len(fields) > 17 else ""
    text = data.decode("latin-1" if charset == "8859/1" else "utf-8")
    return text.replace("\r\n", "\r").replace("\n", "\r")


def obx_text(message: str) -> str:
    values = [seg.split("|")[5] for seg in message.split("\r") if seg.startswith("OBX|")]
    return "\n".join(unescape(v) for v in values)


@pytest.mark.parametrize("record", ALL, ids=IDS)
def test_spans_match_text(record: dict[str, Any]) -> None:
    text = record["text"]
    for span in record["findings"] + record["recommendations"]:
        assert text[span["start"] : span["end"]] == span["text"]
        assert span["text"] == span["text"].strip()


@pytest.mark.parametrize("record", ALL, ids=IDS)
def test_enum_values(record: dict[str, Any]) -> None:
    assert record["modality"] in REPORT_MODALITIES
    Modality(record["modality"])
    for f in record["findings"]:
        FindingType(f["type"])
        Assertion(f["assertion"])
        if f["laterality"] is not None:
            Laterality(f["laterality"])
        assert f["size_mm"] is None or all(isinstance(v, float) and v > 0 for v in f["size_mm"])
    for r in record["recommendations"]:
        if r["modality"] is not None:
            Modality(r["modality"])
        interval = r["interval_months"]
        assert interval is None or (len(interval) == 2 and 0 < interval[0] <= interval[1])
        assert r["finding_index"] is None or 0 <= r["finding_index"] < len(record["findings"])


@pytest.mark.parametrize("record", ALL, ids=IDS)
def test_incidental_rule_and_report_labels(record: dict[str, Any]) -> None:
    for f in record["findings"]:
        if f["incidental"]:
            assert f["assertion"] in ("present", "possible")
            assert not f["benign"]
    assert record["has_followup_recommendation"] == bool(record["recommendations"])
    expected = sorted({f["type"] for f in record["findings"] if f["incidental"]})
    assert record["incidental_types"] == expected


@pytest.mark.parametrize("record", ALL, ids=IDS)
def test_hl7_copy_decodes_to_gold_text(record: dict[str, Any]) -> None:
    meta = record["hl7"]
    message = read_message((ROOT / meta["file"]).read_bytes())
    parsed = hl7.parse(message)
    assert str(parsed.segment("MSH")[9][0][0]) == "ORU"
    assert str(parsed.segment("MSH")[10]) == meta["control_id"]
    assert obx_text(message) == record["text"]
    obr = parsed.segment("OBR")
    orc = parsed.segment("ORC")
    accessions = {str(orc[3]), str(obr[3]), str(obr[18]) if len(obr) > 18 else ""}
    assert meta["accession"] in accessions
    assert str(parsed.segment("PID")[3][0][0]) == meta["patient_id"]
    assert str(obr[25]) == meta["result_status"]


@pytest.mark.parametrize("split", SPLITS)
def test_counts_per_split(split: str) -> None:
    records = RECORDS[split]
    types = {f["type"] for r in records for f in r["findings"]}
    assertions = {f["assertion"] for r in records for f in r["findings"]}
    assert types == {t.value for t in FindingType}
    assert assertions == {a.value for a in Assertion}
    assert {r["modality"] for r in records} >= {"CT", "MR", "US", "XR"}
    assert any(r["has_followup_recommendation"] for r in records)
    assert any(not r["has_followup_recommendation"] and not r["findings"] for r in records)


def test_total_counts() -> None:
    assert len(ALL) >= 200
    assert len(set(IDS)) == len(IDS)
    assert 0.5 <= len(RECORDS["dev"]) / len(ALL) <= 0.7


@pytest.mark.parametrize("split", SPLITS)
def test_plain_text_inputs_match_gold(split: str) -> None:
    path = CORPORA / "gold" / f"{split}.txt.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["text"], r["indication"]) for r in rows] == [
        (r["id"], r["text"], r["indication"]) for r in RECORDS[split]
    ]


POOL_NAMES = [
    "HARD_NEGATIVES",
    "SCREENING_NEGATIVES",
    "BIRADS_NEGATIVE",
    "INTERVALS",
    "FLEISCHNER_NO_FOLLOWUP",
]


def reserved_wordings(pool_name: str) -> list[str]:
    pool = getattr(load_phrases(), pool_name)
    pools = pool.values() if pool_name == "INTERVALS" else [pool]
    return [w for p in pools for w in p["test_only"]]


@pytest.mark.parametrize("pool_name", POOL_NAMES)
def test_test_only_wordings_never_in_dev(pool_name: str) -> None:
    dev_text = "\n".join(r["text"] for r in RECORDS["dev"])
    assert not [w for w in reserved_wordings(pool_name) if w in dev_text]


def test_test_split_uses_reserved_wordings() -> None:
    test_text = "\n".join(r["text"] for r in RECORDS["test"])
    used = {name: [w for w in reserved_wordings(name) if w in test_text] for name in POOL_NAMES}
    assert used["HARD_NEGATIVES"] and used["INTERVALS"]
    assert sum(map(len, used.values())) >= 8


def test_sample_directory_matches_expected() -> None:
    sample = CORPORA / "sample"
    expected = json.loads((CORPORA / "sample.expected.json").read_text(encoding="utf-8"))
    files = expected["files"]
    for name in [
        *files["single"],
        files["corrected"],
        files["mllp"]["file"],
        files["batch"]["file"],
        "garbage.hl7",
    ]:
        assert (sample / name).is_file()
    mllp = (sample / files["mllp"]["file"]).read_bytes()
    assert mllp.count(b"\x0b") == mllp.count(b"\x1c\x0d") == files["mllp"]["messages"]
    batch = (sample / files["batch"]["file"]).read_text(encoding="latin-1")
    assert batch.count("|ORU^R01") == files["batch"]["oru_messages"]
    assert batch.count("|ADT^A01") == files["batch"]["adt_messages"]
    assert expected["bundles"] == len(files["single"]) + 1 + 3 + 3
    assert expected["rejected"] == len(expected["rejected_inputs"]) == 2


def test_generator_is_deterministic(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(CORPORA / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for sub in ("gold", "hl7", "sample"):
        committed = sorted(
            p.relative_to(CORPORA) for p in (CORPORA / sub).rglob("*") if p.is_file()
        )
        generated = sorted(
            p.relative_to(tmp_path) for p in (tmp_path / sub).rglob("*") if p.is_file()
        )
        assert committed == generated
        for rel in committed:
            assert (CORPORA / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
    expected = CORPORA / "sample.expected.json"
    assert expected.read_bytes() == (tmp_path / "sample.expected.json").read_bytes()
