"""Patient and DiagnosticReport mapping tables."""

from __future__ import annotations

from datetime import date

import pytest

from radfollow.fhir import build_bundle
from radfollow.models import Coding, ExtractionResult, Patient


@pytest.mark.parametrize(
    ("obr25", "report_status", "observation_status", "request_status"),
    [
        ("F", "final", "final", "active"),
        ("P", "preliminary", "preliminary", "draft"),
        ("C", "corrected", "corrected", "active"),
        ("X", "cancelled", "cancelled", "revoked"),
    ],
)
def test_status_mapping(
    report_factory,
    result_factory,
    resources,
    obr25,
    report_status,
    observation_status,
    request_status,
):
    bundle = build_bundle(report_factory(result_status=obr25), result_factory())
    assert resources(bundle, "DiagnosticReport")[0]["status"] == report_status
    assert resources(bundle, "Observation")[0]["status"] == observation_status
    assert resources(bundle, "ServiceRequest")[0]["status"] == request_status


@pytest.mark.parametrize(
    ("sex", "gender"),
    [
        ("F", "female"),
        ("M", "male"),
        ("O", "other"),
        ("U", "unknown"),
        ("A", "other"),
        ("N", "other"),
        ("f", "female"),
        ("Z", None),
        (None, None),
    ],
)
def test_patient_gender(report_factory, resources, sex, gender):
    report = report_factory(patient=Patient(id="1", sex=sex))
    (patient,) = resources(build_bundle(report, ExtractionResult()), "Patient")
    assert patient.get("gender") == gender


@pytest.mark.parametrize(
    ("authority", "system"),
    [
        ("2.16.840.1.113883.19.5", "urn:oid:2.16.840.1.113883.19.5"),
        ("urn:oid:1.2.3", "urn:oid:1.2.3"),
        ("https://hospital.example/mrn", "https://hospital.example/mrn"),
        ("GENHOSP", "urn:radfollow:authority:GENHOSP"),
        ("St Mary", "urn:radfollow:authority:St%20Mary"),
        ("1.2.03", "urn:radfollow:authority:1.2.03"),
        (None, "urn:radfollow:authority:unspecified"),
        ("  ", "urn:radfollow:authority:unspecified"),
    ],
)
def test_patient_identifier_system(report_factory, resources, authority, system):
    report = report_factory(patient=Patient(id="MRN9", assigning_authority=authority))
    (patient,) = resources(build_bundle(report, ExtractionResult()), "Patient")
    assert patient["identifier"] == [{"system": system, "value": "MRN9"}]


@pytest.mark.parametrize(
    ("birth_date", "expected"), [(date(1958, 3, 14), "1958-03-14"), (None, None)]
)
def test_patient_birth_date(report_factory, resources, birth_date, expected):
    report = report_factory(patient=Patient(id="1", birth_date=birth_date))
    (patient,) = resources(build_bundle(report, ExtractionResult()), "Patient")
    assert patient.get("birthDate") == expected


@pytest.mark.parametrize(
    ("procedure", "modality", "code"),
    [
        (
            Coding(code="71250", text="CT chest", system="CPT"),
            "CT",
            {
                "coding": [
                    {
                        "system": "http://www.ama-assn.org/go/cpt",
                        "code": "71250",
                        "display": "CT chest",
                    }
                ],
                "text": "CT chest",
            },
        ),
        (
            Coding(code="24627-2", text="CT Chest", system="LN"),
            "CT",
            {
                "coding": [
                    {"system": "http://loinc.org", "code": "24627-2", "display": "CT Chest"}
                ],
                "text": "CT Chest",
            },
        ),
        (
            Coding(code="71250", system="C4"),
            "CT",
            {
                "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "71250"}],
                "text": "71250",
            },
        ),
        (
            Coding(code="CTCH", text="CT THORAX", system="99 LOCAL"),
            "CT",
            {
                "coding": [
                    {
                        "system": "urn:radfollow:procedure:99%20LOCAL",
                        "code": "CTCH",
                        "display": "CT THORAX",
                    }
                ],
                "text": "CT THORAX",
            },
        ),
        (
            Coding(code="CTCH"),
            "CT",
            {
                "coding": [{"system": "urn:radfollow:procedure:local", "code": "CTCH"}],
                "text": "CTCH",
            },
        ),
        (Coding(text="US abdomen"), "US", {"text": "US abdomen"}),
        (Coding(), "MR", {"text": "MR imaging study"}),
        (Coding(), None, {"text": "Radiology report"}),
    ],
)
def test_report_code(report_factory, resources, procedure, modality, code):
    report = report_factory(procedure=procedure, modality=modality)
    (diagnostic,) = resources(build_bundle(report, ExtractionResult()), "DiagnosticReport")
    assert diagnostic["code"] == code


def test_report_identifier_and_categories(report_factory, result_factory, resources):
    (diagnostic,) = resources(build_bundle(report_factory(), result_factory()), "DiagnosticReport")
    (identifier,) = diagnostic["identifier"]
    assert identifier["type"]["coding"][0]["code"] == "ACSN"
    assert identifier["type"]["coding"][0]["system"] == (
        "http://terminology.hl7.org/CodeSystem/v2-0203"
    )
    assert identifier["value"] == "ACC1001"
    codes = {(c["coding"][0]["system"], c["coding"][0]["code"]) for c in diagnostic["category"]}
    assert codes == {
        ("http://loinc.org", "LP29684-5"),
        ("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD"),
    }


@pytest.mark.parametrize(
    ("facility", "system"),
    [("GENHOSP", "urn:radfollow:accession:GENHOSP"), (None, "urn:radfollow:accession:unspecified")],
)
def test_accession_system(report_factory, resources, facility, system):
    report = report_factory(sending_facility=facility)
    (diagnostic,) = resources(build_bundle(report, ExtractionResult()), "DiagnosticReport")
    assert diagnostic["identifier"][0]["system"] == system


@pytest.mark.parametrize(
    ("impression", "conclusion"),
    [("6 mm RUL nodule.", "6 mm RUL nodule."), ("  padded \n", "padded"), (None, None), ("", None)],
)
def test_conclusion_is_impression(
    report_factory, result_factory, resources, impression, conclusion
):
    bundle = build_bundle(report_factory(), result_factory(impression=impression))
    assert resources(bundle, "DiagnosticReport")[0].get("conclusion") == conclusion


def test_without_observation_time_effective_is_omitted(report_factory, result_factory, resources):
    bundle = build_bundle(report_factory(observation_time=None), result_factory())
    for kind in ("DiagnosticReport", "Observation"):
        assert "effectiveDateTime" not in resources(bundle, kind)[0]
    request = resources(bundle, "ServiceRequest")[0]
    assert "authoredOn" not in request and "occurrencePeriod" not in request


@pytest.mark.parametrize(
    ("assertions", "results"),
    [(["present", "possible"], 2), (["absent", "historical", "hypothetical"], 0), ([], 0)],
)
def test_report_result_lists_emitted_observations(
    report_factory, finding_factory, result_factory, full_url_of, assertions, results
):
    findings = [finding_factory(id=f"f{i}", assertion=a) for i, a in enumerate(assertions)]
    bundle = build_bundle(report_factory(), result_factory(findings, []))
    diagnostic = bundle["entry"][1]["resource"]
    observation_urls = [
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert [r["reference"] for r in diagnostic.get("result", [])] == observation_urls
    assert len(observation_urls) == results
