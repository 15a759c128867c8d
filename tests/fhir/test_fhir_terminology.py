"""The packaged code table and its schema."""

from __future__ import annotations

import json

import pytest

from radfollow.errors import RuleFileError
from radfollow.fhir import build_bundle
from radfollow.models import FindingType, Laterality, Modality
from radfollow.rules.loader import load_rule_file, load_rules, packaged_rule_file
from radfollow.rules.schema import Terminology


def _packaged() -> dict:
    return json.loads(packaged_rule_file(Terminology).read_text())


def test_packaged_table_covers_every_enum():
    table = load_rule_file(Terminology)
    assert set(table.findings) == set(FindingType)
    assert set(table.modalities) == set(Modality)
    assert set(table.laterality) == set(Laterality)


def test_loading_twice_gives_the_same_frozen_object():
    table = load_rule_file(Terminology)
    assert load_rules(Terminology) is table
    with pytest.raises(ValueError, match="frozen"):
        table.findings[FindingType.LUNG_MASS].text = "changed"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["findings"].pop("lung_mass"), "findings lacks"),
        (lambda d: d["modalities"].pop("CT"), "modalities lacks"),
        (lambda d: d["findings"]["lung_mass"].update(colour="red"), "colour"),
        (lambda d: d["findings"]["lung_mass"].update(body_site="elbow"), "unknown body site"),
        (lambda d: d["findings"].update(spleen_lesion=d["findings"]["lung_mass"]), "spleen_lesion"),
        (lambda d: d["findings"]["lung_mass"]["codings"][0].pop("verified"), "verified"),
    ],
)
def test_bad_table_is_rejected(tmp_path, mutate, message):
    data = _packaged()
    mutate(data)
    path = tmp_path / "terminology.json"
    path.write_text(json.dumps(data))
    with pytest.raises(RuleFileError, match=message):
        load_rule_file(Terminology, path)


def test_site_file_can_replace_the_table(tmp_path):
    data = _packaged()
    data["findings"]["other_mass"]["text"] = "Indeterminate lesion"
    path = tmp_path / "site.json"
    path.write_text(json.dumps(data))
    table = load_rule_file(Terminology, path)
    assert table.findings[FindingType.OTHER_MASS].text == "Indeterminate lesion"


def test_not_json_is_rejected(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(RuleFileError):
        load_rule_file(Terminology, path)


@pytest.mark.parametrize(
    ("text", "site"),
    [
        ("right upper lobe", "right upper lobe"),
        ("RUL", "right upper lobe"),
        ("the left lung base", "lung"),
        ("left upper lobe, lingula", "left upper lobe"),
        ("adrenal", "adrenal"),
        ("right renal pole", "kidney"),
        ("nodule", None),
        ("lymph nodes", "lymph node"),
        ("elbow", None),
        ("", None),
        (None, None),
    ],
)
def test_body_site_lookup(text, site):
    table = load_rule_file(Terminology)
    found = table.body_site(text)
    expected = table.body_sites[site] if site else None
    assert found == expected


@pytest.mark.parametrize(
    ("site_file", "text"),
    [
        pytest.param(True, "Site nodule", id="site-folder"),
        pytest.param(False, "Pulmonary nodule", id="packaged"),
    ],
)
def test_site_rules_folder_reaches_the_bundle(
    tmp_path, report_factory, result_factory, site_file, text
):
    if site_file:
        data = _packaged()
        data["findings"]["pulmonary_nodule"]["text"] = "Site nodule"
        (tmp_path / "terminology.json").write_text(json.dumps(data))
    terminology = load_rules(Terminology, tmp_path)
    bundle = build_bundle(report_factory(), result_factory(), terminology=terminology)
    [observation] = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert observation["code"]["text"] == text
