"""Assertion (ConText) and benign flag: positive and negative cases per modifier kind."""

from __future__ import annotations

import pytest

ASSERTIONS = [
    ("There is a 6 mm nodule in the right upper lobe.", "present"),
    ("Stable 4 mm nodule in the left lower lobe.", "present"),
    ("No pulmonary nodules.", "absent"),
    ("No evidence of adrenal mass.", "absent"),
    ("The lungs are clear without nodule or mass.", "absent"),
    ("The previously seen nodule has resolved.", "absent"),
    ("Lymph nodes are not enlarged.", None),
    ("Findings may represent a pulmonary nodule.", "possible"),
    ("A small lung nodule cannot be excluded.", "possible"),
    ("Opacity suspicious for lung mass.", "possible"),
    ("History of renal cyst.", "historical"),
    ("Status post resection of lung mass.", "historical"),
    ("INDICATION: Evaluate for lung nodule.\nFINDINGS: Clear lungs.", "hypothetical"),
    ("INDICATION: Rule out adrenal mass.", "hypothetical"),
    ("No pneumothorax, but there is a 5 mm nodule in the lingula.", "present"),
]


@pytest.mark.parametrize(("text", "assertion"), ASSERTIONS)
def test_assertion(run, text: str, assertion: str | None) -> None:  # type: ignore[no-untyped-def]
    findings = run(text).findings
    if assertion is None:
        assert all(f.assertion.value == "absent" for f in findings)
    else:
        assert findings, text
        assert findings[0].assertion.value == assertion


BENIGN = [
    ("Calcified granuloma in the right upper lobe.", True),
    ("Densely calcified nodule in the left lung.", True),
    ("Simple cyst in the right kidney.", True),
    ("Hepatic cyst, benign, no follow-up needed.", True),
    ("Nodule consistent with chronic granulomatous disease.", True),
    ("Noncalcified nodule in the right upper lobe.", False),
    ("Likely benign 3 mm nodule in the lingula.", False),
    ("Presumably granuloma in the left lower lobe.", False),
    ("Complex cyst in the left kidney.", False),
]


@pytest.mark.parametrize(("text", "benign"), BENIGN)
def test_benign(run, text: str, benign: bool) -> None:  # type: ignore[no-untyped-def]
    findings = run(text).findings
    assert findings, text
    assert findings[0].benign is benign
    if benign:
        assert findings[0].incidental is False


@pytest.mark.parametrize(
    ("text", "runs_context"),
    [("No nodule in the right upper lobe.", True), ("Clear lungs. No effusion.", False)],
)
def test_context_runs_only_when_there_are_findings(
    extractor, monkeypatch, text, runs_context
) -> None:  # type: ignore[no-untyped-def]
    from radfollow.nlp import medspacy_wrappers

    calls: list[int] = []
    inner = medspacy_wrappers.grouped_context

    def counting(context, doc):  # type: ignore[no-untyped-def]
        calls.append(len(doc.ents))
        return inner(context, doc)

    monkeypatch.setattr(medspacy_wrappers, "grouped_context", counting)
    doc = extractor.nlp(text)
    assert bool(calls) is runs_context
    assert all(e._.rad_assertion is not None for e in doc.ents)
