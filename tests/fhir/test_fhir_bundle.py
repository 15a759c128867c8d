"""Bundle-level behaviour: validation, round trip, ids, transactions, errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle

from radfollow.errors import FHIRMappingError
from radfollow.fhir import build_bundle, bundle_json
from radfollow.models import ExtractionResult, Patient

SCENARIOS = {
    "full": {},
    "no-findings": {"findings": [], "recommendations": []},
    "multi-axis": {"finding": {"size_mm": [12.0, 8.0, 7.5]}},
    "possible-unlinked": {"finding": {"assertion": "possible"}, "rec": {"finding_id": None}},
    "preliminary": {"report": {"result_status": "P"}},
    "corrected": {"report": {"result_status": "C"}},
    "cancelled": {"report": {"result_status": "X"}},
    "no-time": {"report": {"observation_time": None}},
    "no-authority": {"report": {"patient": Patient(id="123", sex="X")}},
    "local-procedure": {"report": {"procedure": {"code": "CTCH", "system": "99LOCAL"}}},
    "no-procedure": {"report": {"procedure": {}, "modality": None}},
    "no-impression": {"impression": None},
}


def _build(scenario, bundle_type, report_factory, finding_factory, rec_factory, result_factory):
    spec = SCENARIOS[scenario]
    report = report_factory(**spec.get("report", {}))
    findings = spec.get("findings", [finding_factory(**spec.get("finding", {}))])
    recs = spec.get("recommendations", [rec_factory(**spec.get("rec", {}))])
    kwargs = {"impression": spec["impression"]} if "impression" in spec else {}
    result = result_factory(findings, recs, **kwargs)
    return build_bundle(report, result, bundle_type=bundle_type)


@pytest.mark.parametrize("bundle_type", ["collection", "transaction"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_bundle_validates_and_round_trips(
    scenario, bundle_type, report_factory, finding_factory, rec_factory, result_factory
):
    bundle = _build(
        scenario, bundle_type, report_factory, finding_factory, rec_factory, result_factory
    )
    model = Bundle.model_validate(bundle)
    assert json.loads(model.model_dump_json()) == bundle
    assert bundle["type"] == bundle_type


@pytest.mark.parametrize("bundle_type", ["collection", "transaction"])
def test_bundle_json_is_one_compact_line(report_factory, result_factory, bundle_type):
    report, result = report_factory(), result_factory()
    line = bundle_json(report, result, bundle_type=bundle_type)
    assert "\n" not in line and ", " not in line
    assert json.loads(line) == build_bundle(report, result, bundle_type=bundle_type)


def test_entry_order_and_counts(report_factory, result_factory, finding_factory, rec_factory):
    findings = [finding_factory(id="f1"), finding_factory(id="f2", assertion="absent")]
    recs = [rec_factory(id="r1"), rec_factory(id="r2", finding_id=None)]
    bundle = build_bundle(report_factory(), result_factory(findings, recs))
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == [
        "Patient",
        "DiagnosticReport",
        "Observation",
        "ServiceRequest",
        "ServiceRequest",
    ]


def test_ids_are_deterministic(report_factory, result_factory):
    first = build_bundle(report_factory(), result_factory())
    second = build_bundle(report_factory(), result_factory())
    assert first == second
    urls = [e["fullUrl"] for e in first["entry"]]
    assert len(set(urls)) == len(urls)
    assert all(u.startswith("urn:uuid:") for u in urls)


def test_ids_differ_between_accessions(report_factory, result_factory):
    one = build_bundle(report_factory(accession="A1"), result_factory())
    two = build_bundle(report_factory(accession="A2"), result_factory())
    assert {e["fullUrl"] for e in one["entry"]}.isdisjoint(e["fullUrl"] for e in two["entry"])


@pytest.mark.parametrize(
    "text",
    [
        "FINDINGS: 6 mm nodule.",
        "Befund: Knoten 6 mm \u2013 Verlaufskontrolle \u00e4rztlich.\r\nEnde",
    ],
)
def test_presented_form_decodes_to_text(report_factory, result_factory, text):
    bundle = build_bundle(report_factory(text=text), result_factory())
    (report,) = [e["resource"] for e in bundle["entry"][1:2]]
    (form,) = report["presentedForm"]
    assert form["contentType"] == "text/plain; charset=utf-8"
    assert base64.b64decode(form["data"]).decode("utf-8") == text


@pytest.mark.parametrize(
    ("tz", "suffix"),
    [
        (UTC, "Z"),
        (timezone(timedelta(hours=-5)), "-05:00"),
        (timezone(timedelta(hours=5, minutes=30)), "+05:30"),
    ],
)
def test_effective_datetime_has_timezone(report_factory, result_factory, resources, tz, suffix):
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=tz)
    bundle = build_bundle(report_factory(observation_time=when), result_factory())
    (report,) = resources(bundle, "DiagnosticReport")
    (obs,) = resources(bundle, "Observation")
    assert report["effectiveDateTime"] == "2024-05-06T07:08:09" + suffix
    assert obs["effectiveDateTime"] == report["effectiveDateTime"]


def test_naive_observation_time_is_rejected(report_factory, result_factory):
    report = report_factory(observation_time=datetime(2024, 5, 6, 7, 8))
    with pytest.raises(FHIRMappingError, match="no timezone") as info:
        build_bundle(report, result_factory())
    assert info.value.code == "RF400"


def test_invalid_bundle_raises_mapping_error(report_factory):
    report = report_factory(patient=Patient(id=""))  # empty FHIR string is invalid
    with pytest.raises(FHIRMappingError, match="R4 validation") as info:
        build_bundle(report, ExtractionResult())
    assert info.value.where == "accession ACC1001"


def test_collection_entries_have_no_request(report_factory, result_factory):
    bundle = build_bundle(report_factory(), result_factory())
    assert all("request" not in e for e in bundle["entry"])


@pytest.mark.parametrize(
    ("status", "kind", "method", "url", "if_none_exist"),
    [
        (
            "F",
            "Patient",
            "POST",
            "Patient",
            "identifier=urn:oid:2.16.840.1.113883.19.5|MRN123",
        ),
        (
            "F",
            "DiagnosticReport",
            "POST",
            "DiagnosticReport",
            "identifier=urn:radfollow:accession:GENHOSP|ACC1001",
        ),
        (
            "C",
            "DiagnosticReport",
            "PUT",
            "DiagnosticReport?identifier=urn:radfollow:accession:GENHOSP|ACC1001",
            None,
        ),
        (
            "F",
            "Observation",
            "PUT",
            "Observation?identifier=urn:ietf:rfc:3986|urn:radfollow:ACC1001:finding:f1",
            None,
        ),
        (
            "F",
            "ServiceRequest",
            "PUT",
            "ServiceRequest?identifier=urn:ietf:rfc:3986|urn:radfollow:ACC1001:recommendation:r1",
            None,
        ),
    ],
)
def test_transaction_requests(
    report_factory, result_factory, status, kind, method, url, if_none_exist
):
    bundle = build_bundle(
        report_factory(result_status=status), result_factory(), bundle_type="transaction"
    )
    (entry,) = [e for e in bundle["entry"] if e["resource"]["resourceType"] == kind]
    request = entry["request"]
    assert request["method"] == method
    assert request["url"] == url
    assert request.get("ifNoneExist") == if_none_exist


def test_transaction_query_encodes_odd_identifiers(report_factory, result_factory):
    report = report_factory(
        accession="A 1&2", patient=Patient(id="X#1", assigning_authority="St Mary")
    )
    bundle = build_bundle(report, result_factory(), bundle_type="transaction")
    patient_request = bundle["entry"][0]["request"]
    assert patient_request["ifNoneExist"] == (
        "identifier=urn:radfollow:authority:St%2520Mary|X%231"
    )
    report_request = bundle["entry"][1]["request"]
    assert report_request["ifNoneExist"].endswith("|A%201%262")


@pytest.mark.parametrize(
    ("finding_ids", "rec_ids", "message"),
    [
        (["f1", "f1"], ["r1"], "repeated finding ids: f1"),
        (["f1"], ["r1", "r1"], "repeated recommendation ids: r1"),
    ],
)
def test_repeated_ids_are_rejected(
    report_factory, result_factory, finding_factory, rec_factory, finding_ids, rec_ids, message
):
    result = result_factory(
        [finding_factory(id=i) for i in finding_ids], [rec_factory(id=i) for i in rec_ids]
    )
    with pytest.raises(FHIRMappingError, match=message) as info:
        build_bundle(report_factory(), result)
    assert info.value.where == "accession ACC1001"
