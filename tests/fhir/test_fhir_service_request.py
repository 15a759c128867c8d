"""Recommendation -> ServiceRequest mapping tables."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from radfollow.errors import FHIRMappingError
from radfollow.fhir import build_bundle

EXT = "https://radfollow.org/fhir/StructureDefinition/"


def _request(bundle, resources):
    (request,) = resources(bundle, "ServiceRequest")
    return request


def _ext(resource, name):
    values = [e for e in resource["extension"] if e["url"] == EXT + name]
    return values[0] if values else None


def test_intent_subject_supporting_info(report_factory, result_factory, resources, full_url_of):
    bundle = build_bundle(report_factory(), result_factory())
    request = _request(bundle, resources)
    assert request["intent"] == "proposal"
    assert request["subject"] == {"reference": full_url_of(bundle, "Patient")}
    assert request["supportingInfo"] == [{"reference": full_url_of(bundle, "DiagnosticReport")}]
    assert request["authoredOn"] == "2024-01-31T09:30:00-05:00"
    assert request["note"] == [{"text": "Follow-up CT chest in 6-12 months could be considered."}]
    assert "requester" not in request and "performer" not in request


@pytest.mark.parametrize(
    ("finding_assertion", "finding_id", "linked"),
    [
        ("present", "f1", True),
        ("possible", "f1", True),
        ("absent", "f1", False),
        ("present", None, False),
        ("present", "f9", False),
    ],
)
def test_reason_reference(
    report_factory,
    result_factory,
    finding_factory,
    rec_factory,
    resources,
    full_url_of,
    finding_assertion,
    finding_id,
    linked,
):
    result = result_factory(
        [finding_factory(assertion=finding_assertion)], [rec_factory(finding_id=finding_id)]
    )
    bundle = build_bundle(report_factory(), result)
    request = _request(bundle, resources)
    if linked:
        assert request["reasonReference"] == [{"reference": full_url_of(bundle, "Observation")}]
    else:
        assert "reasonReference" not in request


@pytest.mark.parametrize(
    ("time", "interval", "period"),
    [
        (
            datetime(2024, 1, 31, 9, 30, tzinfo=ZoneInfo("America/New_York")),
            (6, 12),
            {"start": "2024-07-31T09:30:00-04:00", "end": "2025-01-31T09:30:00-05:00"},
        ),
        (
            datetime(2024, 1, 31, 9, 30, tzinfo=ZoneInfo("UTC")),
            (1, 1),
            {"start": "2024-02-29T09:30:00Z", "end": "2024-02-29T09:30:00Z"},
        ),
        (
            datetime(2024, 1, 1, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")),
            (1.5, 3),
            {"start": "2024-02-16T00:00:00+01:00", "end": "2024-04-01T00:00:00+02:00"},
        ),
        (datetime(2024, 1, 1, 0, 0, tzinfo=ZoneInfo("UTC")), None, None),
        (None, (6, 12), None),
    ],
)
def test_occurrence_period(
    report_factory, result_factory, rec_factory, resources, time, interval, period
):
    result = result_factory(recommendations=[rec_factory(interval_months=interval)])
    request = _request(build_bundle(report_factory(observation_time=time), result), resources)
    assert request.get("occurrencePeriod") == period


def test_invalid_interval_raises(report_factory, result_factory, rec_factory):
    result = result_factory(recommendations=[rec_factory(interval_months=(12, 6))])
    with pytest.raises(FHIRMappingError, match="r1: interval min > max"):
        build_bundle(report_factory(), result)


@pytest.mark.parametrize("conditional", [True, False])
def test_conditional_extension(report_factory, result_factory, rec_factory, resources, conditional):
    result = result_factory(recommendations=[rec_factory(conditional=conditional)])
    request = _request(build_bundle(report_factory(), result), resources)
    assert _ext(request, "conditional")["valueBoolean"] is conditional


@pytest.mark.parametrize(("score", "value"), [(0.93, 0.93), (None, None), (0.0, 0.0)])
def test_score_extension(report_factory, result_factory, rec_factory, resources, score, value):
    result = result_factory(recommendations=[rec_factory(score=score)])
    request = _request(build_bundle(report_factory(), result), resources)
    found = _ext(request, "recommendation-score")
    assert (found["valueDecimal"] if found else None) == value


@pytest.mark.parametrize(
    ("modality", "region", "text", "code"),
    [
        ("CT", "chest", "CT chest follow-up", "77477000"),
        ("MR", "abdomen", "MRI abdomen follow-up", "113091000"),
        ("US", None, "Ultrasound follow-up", "16310003"),
        ("XR", "chest", "Radiograph chest follow-up", "363680008"),
        ("MG", None, "Mammography follow-up", "71651007"),
        ("NM", None, "Nuclear medicine follow-up", "373205008"),
        ("PET", None, "PET follow-up", "82918005"),
        ("FLUORO", None, "Fluoroscopy follow-up", "44491008"),
        ("BIOPSY", "thyroid", "Biopsy (thyroid)", "86273004"),
        ("PROCEDURE", None, "Procedure", "71388002"),
        ("CONSULT", None, "Consultation", "11429006"),
        ("LAB", None, "Laboratory test", "15220000"),
        ("OTHER", None, "Other action", None),
        (None, "chest", "Follow-up (chest)", None),
        (None, None, "Follow-up", None),
    ],
)
def test_action_code(
    report_factory, result_factory, rec_factory, resources, modality, region, text, code
):
    result = result_factory(recommendations=[rec_factory(modality=modality, body_region=region)])
    request = _request(build_bundle(report_factory(), result), resources)
    assert request["code"]["text"] == text
    assert [c["code"] for c in request["code"].get("coding", [])] == ([code] if code else [])


@pytest.mark.parametrize(
    ("region", "body_site"),
    [
        (
            "chest",
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "51185008",
                        "display": "Thoracic structure",
                    }
                ],
                "text": "chest",
            },
        ),
        (
            "left adrenal",
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "23451007",
                        "display": "Adrenal structure",
                    }
                ],
                "text": "left adrenal",
            },
        ),
        ("neck", {"text": "neck"}),
        ("elbow", {"text": "elbow"}),
        (None, None),
        ("  ", None),
    ],
)
def test_body_site_from_region(
    report_factory, result_factory, rec_factory, resources, region, body_site
):
    result = result_factory(recommendations=[rec_factory(body_region=region)])
    request = _request(build_bundle(report_factory(), result), resources)
    assert request.get("bodySite") == ([body_site] if body_site else None)


@pytest.mark.parametrize(
    ("options", "detail_codes"),
    [
        (["CT", "MR"], ["77477000", "113091000"]),
        (["MR", "CT", "US"], ["113091000", "77477000", "16310003"]),
        (["US", "OTHER"], ["16310003", None]),
        (["CT"], None),  # one option: the code says it all
        ([], None),
    ],
)
def test_modality_options_as_order_detail(
    report_factory, result_factory, rec_factory, resources, options, detail_codes
):
    """Alternatives ("CT or MRI") are orderDetail entries; code stays the first modality."""
    rec = rec_factory(modality=options[0] if options else None, modality_options=options)
    bundle = build_bundle(report_factory(), result_factory(recommendations=[rec]))
    request = _request(bundle, resources)
    first = [c["code"] for c in request["code"].get("coding", [])]
    assert first == ([detail_codes[0]] if detail_codes else first)
    details = request.get("orderDetail")
    if detail_codes is None:
        assert details is None
        return
    assert [(d.get("coding") or [{"code": None}])[0]["code"] for d in details] == detail_codes
    assert all(d["text"].startswith("Acceptable modality: ") for d in details)
    parsed = ServiceRequest.model_validate(request)  # R4B validation and round trip
    assert parsed.model_dump(mode="json", exclude_none=True)["orderDetail"] == details
