"""OBR-24 modality table and OBR-4 text inference; the rule file is validated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from radfollow.errors import RuleFileError
from radfollow.hl7 import parse_message
from radfollow.rules.loader import load_rule_file, load_rules
from radfollow.rules.schema import ModalityRules

if TYPE_CHECKING:
    from conftest import HL7Builder


@pytest.mark.parametrize(
    ("obr24", "expected"),
    [
        ("CT", "CT"),
        ("NMR", "MR"),
        ("MR", "MR"),
        ("RUS", "US"),
        ("US", "US"),
        ("RX", "XR"),
        ("CR", "XR"),
        ("DX", "XR"),
        ("XR", "XR"),
        ("NMS", "NM"),
        ("NM", "NM"),
        ("MG", "MG"),
        ("MAM", "MG"),
        ("PET", "PET"),
        ("RF", "FLUORO"),
        ("FL", "FLUORO"),
        ("ct", "CT"),
        (" NMR ", "MR"),
    ],
)
def test_table_maps_obr24(obr24: str, expected: str) -> None:
    assert load_rule_file(ModalityRules).resolve(obr24, "") == expected


@pytest.mark.parametrize(
    ("obr24", "procedure", "expected"),
    [
        pytest.param("", "CT CHEST W/O CONTRAST", "CT", id="ct"),
        pytest.param("", "MRI BRAIN", "MR", id="mri"),
        pytest.param("", "MR ABDOMEN", "MR", id="mr-word"),
        pytest.param("", "ULTRASOUND THYROID", "US", id="ultrasound"),
        pytest.param("", "US PELVIS", "US", id="us-word"),
        pytest.param("", "XR KNEE 2 VIEWS", "XR", id="xr"),
        pytest.param("", "X-RAY HAND", "XR", id="x-ray"),
        pytest.param("", "RADIOGRAPH, FOOT", "XR", id="radiograph"),
        pytest.param("", "CHEST PA AND LATERAL", "XR", id="chest-pa"),
        pytest.param("", "SCREENING MAMMOGRAM BILATERAL", "MG", id="mammo-prefix"),
        pytest.param("", "PET/CT WHOLE BODY", "PET", id="pet-before-ct"),
        pytest.param("", "NUC MED BONE SCAN", "NM", id="nuc-med"),
        pytest.param("", "FLUOROSCOPY SWALLOW", "FLUORO", id="fluoro"),
        pytest.param("RAD", "CT HEAD", "CT", id="generic-section-infers"),
        pytest.param("LAB", "CT HEAD", "CT", id="not-imaging-infers"),
        pytest.param("", "DISCUSSION OF CASE", None, id="no-keyword"),
        pytest.param("", "CUSTOMS FORM", None, id="us-inside-word-no-match"),
        pytest.param("", "DOCTOR NOTE", None, id="ct-inside-word-no-match"),
        pytest.param("", "", None, id="empty"),
    ],
)
def test_inference_from_procedure_text(obr24: str, procedure: str, expected: str | None) -> None:
    assert load_rule_file(ModalityRules).resolve(obr24, procedure) == expected


def _write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "modalities.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param("{not json", "not valid JSON", id="not-json"),
        pytest.param({"table": {"CT": "CAT"}, "inference": []}, "table.CT", id="unknown-modality"),
        pytest.param({"table": {}, "inference": [], "extra": 1}, "extra", id="unknown-key"),
        pytest.param(
            {"table": {}, "inference": [{"modality": "CT", "keywords": ["C*T"]}]},
            "'\\*' is allowed only at the end",
            id="star-inside",
        ),
    ],
)
def test_site_rule_file_is_validated(tmp_path: Path, content: object, reason: str) -> None:
    with pytest.raises(RuleFileError, match=reason):
        load_rule_file(ModalityRules, _write(tmp_path, content))


def test_site_rule_file_replaces_defaults(tmp_path: Path) -> None:
    content = {"table": {"XYZ": "US"}, "inference": [{"modality": "MR", "keywords": ["TESLA"]}]}
    rules = load_rule_file(ModalityRules, _write(tmp_path, content))
    assert (rules.resolve("xyz", ""), rules.resolve("CT", "3 TESLA BRAIN")) == ("US", "MR")


@pytest.mark.parametrize(
    ("site_file", "expected"),
    [pytest.param(True, "US", id="site-folder"), pytest.param(False, "CT", id="packaged")],
)
def test_site_rules_folder_reaches_parse_message(
    tmp_path: Path, build: HL7Builder, site_file: bool, expected: str
) -> None:
    if site_file:
        _write(tmp_path, {"table": {"CT": "US"}, "inference": []})
    rules = load_rules(ModalityRules, tmp_path)
    [report] = parse_message(build.raw(build.oru()), modality_rules=rules)
    assert report.modality == expected
