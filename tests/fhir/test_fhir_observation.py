"""Finding -> Observation mapping tables."""

from __future__ import annotations

import pytest

from radfollow.fhir import build_bundle

EXT = "https://radfollow.org/fhir/StructureDefinition/"
SNOMED = "http://snomed.info/sct"


def _observation(report_factory, result_factory, finding_factory, resources, **finding):
    bundle = build_bundle(report_factory(), result_factory([finding_factory(**finding)], []))
    return resources(bundle, "Observation")


def _ext(resource, name):
    values = [e for e in resource.get("extension", []) if e["url"] == EXT + name]
    return values[0] if values else None


@pytest.mark.parametrize(
    ("assertion", "emitted"),
    [
        ("present", True),
        ("possible", True),
        ("absent", False),
        ("historical", False),
        ("hypothetical", False),
    ],
)
def test_only_present_and_possible_are_emitted(
    report_factory, result_factory, finding_factory, resources, assertion, emitted
):
    observations = _observation(
        report_factory, result_factory, finding_factory, resources, assertion=assertion
    )
    assert len(observations) == int(emitted)
    if emitted:
        assert _ext(observations[0], "assertion") == {
            "url": EXT + "assertion",
            "valueCode": assertion,
        }


@pytest.mark.parametrize(
    ("assertion", "has_interpretation"), [("possible", True), ("present", False)]
)
def test_possible_gets_interpretation_text(
    report_factory, result_factory, finding_factory, resources, assertion, has_interpretation
):
    (obs,) = _observation(
        report_factory, result_factory, finding_factory, resources, assertion=assertion
    )
    assert ("interpretation" in obs) is has_interpretation
    if has_interpretation:
        assert "coding" not in obs["interpretation"][0]


@pytest.mark.parametrize(
    ("size", "value", "components"),
    [
        (None, None, None),
        ([], None, None),
        ([6.0], 6.0, None),
        ([12.0, 8.0], None, [12.0, 8.0]),
        ([3.0, 2.5, 2.0], None, [3.0, 2.5, 2.0]),
    ],
)
def test_size(report_factory, result_factory, finding_factory, resources, size, value, components):
    (obs,) = _observation(report_factory, result_factory, finding_factory, resources, size_mm=size)
    if value is None:
        assert "valueQuantity" not in obs
    else:
        assert obs["valueQuantity"] == {
            "value": value,
            "unit": "mm",
            "system": "http://unitsofmeasure.org",
            "code": "mm",
        }
    if components is None:
        assert "component" not in obs
    else:
        assert [c["valueQuantity"]["value"] for c in obs["component"]] == components
        assert [c["code"]["text"] for c in obs["component"]] == [
            f"Diameter axis {i}" for i in range(1, len(components) + 1)
        ]
        assert all(c["valueQuantity"]["code"] == "mm" for c in obs["component"])


@pytest.mark.parametrize(
    ("laterality", "code"),
    [("left", "7771000"), ("right", "24028007"), ("bilateral", "51440002"), (None, None)],
)
def test_laterality_extension_on_body_site(
    report_factory, result_factory, finding_factory, resources, laterality, code
):
    (obs,) = _observation(
        report_factory,
        result_factory,
        finding_factory,
        resources,
        laterality=laterality,
        location="lung",
    )
    lateral = _ext(obs["bodySite"], "laterality")
    if code is None:
        assert lateral is None
    else:
        coding = lateral["valueCodeableConcept"]["coding"][0]
        assert (coding["system"], coding["code"]) == (SNOMED, code)


@pytest.mark.parametrize(
    ("finding_type", "location", "site_code", "site_text"),
    [
        ("pulmonary_nodule", "right upper lobe", "42400003", "right upper lobe"),
        ("pulmonary_nodule", "RUL", "42400003", "RUL"),
        (
            "pulmonary_nodule",
            "left lower lobe of the lung",
            "41224006",
            "left lower lobe of the lung",
        ),
        ("pulmonary_nodule", None, "39607008", "Lung"),
        ("thyroid_nodule", "left lobe of the thyroid", "69748006", "left lobe of the thyroid"),
        ("adrenal_nodule", None, "23451007", "Adrenal gland"),
        ("lymphadenopathy", "mediastinal", "72410000", "mediastinal"),
        ("adnexal_lesion", None, None, "Uterine adnexa"),
        ("other_mass", "subcutaneous tissue of the back", None, "subcutaneous tissue of the back"),
    ],
)
def test_body_site(
    report_factory,
    result_factory,
    finding_factory,
    resources,
    finding_type,
    location,
    site_code,
    site_text,
):
    (obs,) = _observation(
        report_factory,
        result_factory,
        finding_factory,
        resources,
        type=finding_type,
        location=location,
        laterality=None,
    )
    site = obs["bodySite"]
    assert site["text"] == site_text
    assert [c["code"] for c in site.get("coding", [])] == ([site_code] if site_code else [])


def test_no_body_site_without_location_or_default(
    report_factory, result_factory, finding_factory, resources
):
    (obs,) = _observation(
        report_factory,
        result_factory,
        finding_factory,
        resources,
        type="other_mass",
        location=None,
        laterality=None,
    )
    assert "bodySite" not in obs


@pytest.mark.parametrize(
    ("finding_type", "codes"),
    [
        ("pulmonary_nodule", [(SNOMED, "786838002"), ("http://radlex.org", "RID50149")]),
        ("aortic_aneurysm", [(SNOMED, "67362008")]),
        ("pancreatic_lesion", []),
        ("other_mass", []),
    ],
)
def test_code_has_text_always(
    report_factory, result_factory, finding_factory, resources, finding_type, codes
):
    (obs,) = _observation(
        report_factory, result_factory, finding_factory, resources, type=finding_type
    )
    assert obs["code"]["text"]
    assert [(c["system"], c["code"]) for c in obs["code"].get("coding", [])] == codes


@pytest.mark.parametrize(("incidental", "benign"), [(True, False), (False, True), (False, False)])
def test_incidental_and_benign_extensions(
    report_factory, result_factory, finding_factory, resources, incidental, benign
):
    (obs,) = _observation(
        report_factory,
        result_factory,
        finding_factory,
        resources,
        incidental=incidental,
        benign=benign,
    )
    assert _ext(obs, "incidental")["valueBoolean"] is incidental
    assert _ext(obs, "benign")["valueBoolean"] is benign


@pytest.mark.parametrize(
    ("sentence", "note"),
    [
        ("6 mm nodule in the right upper lobe.", "6 mm nodule in the right upper lobe."),
        (None, "6 mm nodule in the right upper lobe"),
    ],
)
def test_note_quotes_evidence(
    report_factory, result_factory, finding_factory, resources, sentence, note
):
    (obs,) = _observation(
        report_factory, result_factory, finding_factory, resources, sentence=sentence
    )
    assert obs["note"] == [{"text": note}]


def test_identifier_category_and_no_report_links(
    report_factory, result_factory, finding_factory, resources
):
    (obs,) = _observation(report_factory, result_factory, finding_factory, resources, id="f7")
    assert obs["identifier"] == [
        {"system": "urn:ietf:rfc:3986", "value": "urn:radfollow:ACC1001:finding:f7"}
    ]
    assert obs["category"][0]["coding"][0]["code"] == "imaging"
    assert "derivedFrom" not in obs and "partOf" not in obs


@pytest.mark.parametrize(
    ("reason", "note"),
    [
        ("procedure_target", "Not incidental: the report is a procedure on this finding"),
        (
            "indication",
            "Not incidental: the indication or history names this finding or its disease",
        ),
        ("known_prior", "Not incidental: described as known disease against a prior study"),
        ("benign", "Not incidental: the report calls it benign"),
        (None, None),
    ],
)
def test_incidental_reason_extension_and_note(
    report_factory, result_factory, finding_factory, resources, reason, note
):
    (obs,) = _observation(
        report_factory,
        result_factory,
        finding_factory,
        resources,
        incidental=reason is None,
        incidental_reason=reason,
    )
    ext = _ext(obs, "incidental-reason")
    if reason is None:
        assert ext is None
        assert len(obs["note"]) == 1
    else:
        assert ext["valueCode"] == reason
        assert obs["note"][-1] == {"text": note}


@pytest.mark.parametrize(
    ("attributes", "components"),
    [
        (
            {"composition": "part-solid", "multiplicity": "multiple"},
            [("Composition", "part-solid"), ("Multiplicity", "multiple")],
        ),
        ({"density_hu": -10.0}, [("Attenuation", -10.0)]),
        ({}, []),
    ],
)
def test_attribute_components(
    report_factory, result_factory, finding_factory, resources, attributes, components
):
    (obs,) = _observation(
        report_factory, result_factory, finding_factory, resources, size_mm=[6.0], **attributes
    )
    found = []
    for component in obs.get("component", []):
        value = component.get("valueCodeableConcept", {}).get("text")
        if "valueQuantity" in component:
            quantity = component["valueQuantity"]
            assert (
                quantity["code"] == "[hnsf'U]" and quantity["system"] == "http://unitsofmeasure.org"
            )
            value = quantity["value"]
        found.append((component["code"]["text"], value))
    assert found == components
    assert obs["valueQuantity"]["value"] == 6.0
