"""R4 rules fhir.resources does not check: reference target types and required bindings.

The tables below are copied from the FHIR R4 (4.0.1) element definitions of
every element radfollow emits. A new reference element or coded element must
be added here before the mapping may emit it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from radfollow.fhir import build_bundle

ANY = frozenset({"*"})

# "<ResourceType>.<element>" -> allowed target resource types (R4 definitions).
REFERENCE_TARGETS: dict[str, frozenset[str]] = {
    "DiagnosticReport.subject": frozenset({"Patient", "Group", "Device", "Location"}),
    "DiagnosticReport.result": frozenset({"Observation"}),
    "Observation.subject": frozenset({"Patient", "Group", "Device", "Location"}),
    "ServiceRequest.subject": frozenset({"Patient", "Group", "Location", "Device"}),
    "ServiceRequest.reasonReference": frozenset(
        {"Condition", "Observation", "DiagnosticReport", "DocumentReference"}
    ),
    "ServiceRequest.supportingInfo": ANY,
}

# Elements R4 binds with strength "required" that radfollow emits -> the value set.
REQUIRED_BINDINGS: dict[str, frozenset[str]] = {
    "Bundle.type": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
    "Bundle.entry.request.method": frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}),
    "Patient.gender": frozenset({"male", "female", "other", "unknown"}),
    "DiagnosticReport.status": frozenset(
        {
            "registered",
            "partial",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "appended",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    "Observation.status": frozenset(
        {
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    "ServiceRequest.status": frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    "ServiceRequest.intent": frozenset(
        {
            "proposal",
            "plan",
            "directive",
            "order",
            "original-order",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        }
    ),
}

# Coded elements checked above, so a new required-bound element cannot slip in unseen.
CHECKED_CODES = {
    "Patient": ("gender",),
    "DiagnosticReport": ("status",),
    "Observation": ("status",),
    "ServiceRequest": ("status", "intent"),
}


def _references(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (element path, reference) for every Reference under ``node``."""
    if isinstance(node, dict):
        if "reference" in node and isinstance(node["reference"], str):
            yield path, node["reference"]
        for key, value in node.items():
            if key != "reference":
                yield from _references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _references(item, path)


def _bundles(report_factory, result_factory, finding_factory, rec_factory):
    findings = [
        finding_factory(id="f1"),
        finding_factory(id="f2", assertion="possible", size_mm=[10.0, 8.0]),
        finding_factory(id="f3", assertion="absent"),
    ]
    recs = [
        rec_factory(id="r1", finding_id="f1"),
        rec_factory(id="r2", finding_id="f3"),
        rec_factory(id="r3", finding_id=None),
    ]
    for status in ("F", "P", "C", "X"):
        for bundle_type in ("collection", "transaction"):
            yield build_bundle(
                report_factory(result_status=status),
                result_factory(findings, recs),
                bundle_type=bundle_type,
            )


@pytest.fixture
def bundles(report_factory, result_factory, finding_factory, rec_factory):
    return list(_bundles(report_factory, result_factory, finding_factory, rec_factory))


def test_every_reference_resolves_to_an_allowed_type(bundles):
    checked = 0
    for bundle in bundles:
        types = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
        for entry in bundle["entry"]:
            resource = entry["resource"]
            for path, ref in _references(resource, resource["resourceType"]):
                assert path in REFERENCE_TARGETS, f"{path} is not in the R4 target table"
                assert ref in types, f"{path} -> {ref} is not an entry of the Bundle"
                allowed = REFERENCE_TARGETS[path]
                assert allowed is ANY or types[ref] in allowed, f"{path} -> {types[ref]}"
                checked += 1
    assert checked > 0


def test_no_observation_points_at_the_report(bundles):
    for bundle in bundles:
        for entry in bundle["entry"]:
            if entry["resource"]["resourceType"] == "Observation":
                assert not {"derivedFrom", "partOf", "hasMember"} & set(entry["resource"])


def test_required_bindings(bundles):
    for bundle in bundles:
        assert bundle["type"] in REQUIRED_BINDINGS["Bundle.type"]
        for entry in bundle["entry"]:
            resource = entry["resource"]
            kind = resource["resourceType"]
            for element in CHECKED_CODES.get(kind, ()):
                if element in resource:
                    value_set = REQUIRED_BINDINGS[f"{kind}.{element}"]
                    assert resource[element] in value_set, f"{kind}.{element}"
            if "request" in entry:
                assert (
                    entry["request"]["method"] in REQUIRED_BINDINGS["Bundle.entry.request.method"]
                )


def test_target_table_covers_every_emitted_reference_element(bundles):
    emitted = {
        path
        for bundle in bundles
        for entry in bundle["entry"]
        for path, _ in _references(entry["resource"], entry["resource"]["resourceType"])
    }
    assert emitted == set(REFERENCE_TARGETS)
