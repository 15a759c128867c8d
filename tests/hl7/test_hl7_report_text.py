"""Report text in NTE segments after a placeholder OBX (placeholders.json), and site rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from radfollow.errors import HL7MissingDataError, RuleFileError
from radfollow.hl7 import PlaceholderRules, parse_message
from radfollow.hl7.options import HL7Options
from radfollow.rules.loader import load_rule_file, packaged_rule_file

if TYPE_CHECKING:
    from conftest import HL7Builder

Segments = list[tuple[str, dict[int, str]]]


def _obx(value_type: str, value: str, status: str = "F") -> tuple[str, dict[int, str]]:
    return ("OBX", {1: "1", 2: value_type, 3: "REPORT^Report", 5: value, 11: status})


def _nte(text: str) -> tuple[str, dict[int, str]]:
    return ("NTE", {1: "1", 2: "L", 3: text})


def _message(build: HL7Builder, results: Segments) -> str:
    """An ORU^R01 with the default MSH, PID and OBR and the given OBX/NTE segments."""
    head = build.oru(obx=[]).rstrip("\r")
    return "\r".join([head, *(build.seg(name, fields) for name, fields in results)]) + "\r"


def _text(build: HL7Builder, results: Segments, **kwargs: object) -> str:
    (report,) = parse_message(build.raw(_message(build, results)), **kwargs)  # type: ignore[arg-type]
    return report.text


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        pytest.param(
            [_obx("TX", "See Comments"), _nte("FINDINGS:"), _nte("Nodule 6 mm.")],
            "FINDINGS:\nNodule 6 mm.",
            id="tx-see-comments-issue-case",
        ),
        pytest.param(
            [_obx("RP", "See Comments^RIS^TEXT"), _nte("IMPRESSION: benign.")],
            "IMPRESSION: benign.",
            id="rp-issue-case",
        ),
        pytest.param(
            [_obx("FT", "*** SEE NOTE ***"), _nte("Text.")], "Text.", id="ft-punctuation-case"
        ),
        pytest.param([_obx("ST", "See report below:"), _nte("Text.")], "Text.", id="st-below"),
        pytest.param(
            [_obx("TX", "See Comments"), _nte("A~B"), _nte(""), _nte("C \\T\\ D\\.br\\E")],
            "A\nB\n\nC & D\nE",
            id="repetitions-blank-nte-escapes",
        ),
        pytest.param(
            [_obx("TX", "Header line"), _obx("TX", "See note"), _nte("Body."), _obx("TX", "End")],
            "Header line\nBody.\nEnd",
            id="in-place-between-obx",
        ),
        pytest.param(
            [_obx("TX", "See Comments"), _nte("Body."), _obx("TX", "Addendum"), _nte("Dr X")],
            "Body.\nAddendum",
            id="comment-after-normal-obx-left-out",
        ),
        pytest.param(
            [_obx("TX", "Report text."), _nte("Called to Dr X")],
            "Report text.",
            id="nte-after-normal-obx-negative",
        ),
        pytest.param(
            [_obx("TX", "See comments in the prior report."), _nte("Comment")],
            "See comments in the prior report.",
            id="sentence-mentioning-comments-negative",
        ),
        pytest.param(
            [_obx("TX", "Text."), _obx("TX", "See Comments", status="D"), _nte("Old")],
            "Text.",
            id="deleted-placeholder-negative",
        ),
        pytest.param(
            [_obx("NM", "See Comments"), _nte("Not text"), _obx("TX", "Text.")],
            "Text.",
            id="numeric-type-negative",
        ),
        pytest.param(
            [
                _obx("TX", "See Comments"),
                _nte("<P>FINDINGS:<BR>No effusion.</P>"),
                _nte("<P>IMPRESSION: normal.</P>"),
            ],
            "FINDINGS:\nNo effusion.\n\nIMPRESSION: normal.",
            id="html-in-nte",
        ),
    ],
)
def test_report_text_from_nte(build: HL7Builder, results: Segments, expected: str) -> None:
    assert _text(build, results) == expected


@pytest.mark.parametrize(
    "results",
    [
        pytest.param([_obx("TX", "See Comments")], id="placeholder-without-nte"),
        pytest.param([_obx("RP", "See Comments^RIS")], id="rp-without-nte"),
        pytest.param([_obx("RP", "http://pacs/report.pdf^RIS"), _nte("Text")], id="rp-pointer"),
        pytest.param([_nte("Order note"), _obx("NM", "4")], id="nte-before-obx"),
    ],
)
def test_no_report_text_is_rejected(build: HL7Builder, results: Segments) -> None:
    with pytest.raises(HL7MissingDataError, match="no OBX with report text"):
        parse_message(build.raw(_message(build, results)))


def test_multiple_groups_keep_their_own_notes(build: HL7Builder) -> None:
    s = build.seg
    text = "\r".join(
        [
            build.oru(obx=[]).rstrip("\r"),
            s("OBX", {1: "1", 2: "TX", 5: "See Comments"}),
            s("NTE", {1: "1", 3: "First."}),
            s("OBR", {1: "2", 3: "ACC002", 4: "^MR BRAIN", 25: "F"}),
            s("NTE", {1: "1", 3: "Order note."}),
            s("OBX", {1: "1", 2: "TX", 5: "See Comments"}),
            s("NTE", {1: "1", 3: "Second."}),
        ]
    )
    reports = parse_message(build.raw(text))
    assert [(r.accession, r.text) for r in reports] == [("ACC001", "First."), ("ACC002", "Second.")]


def _site_rules(tmp_path: Path, phrases: list[str]) -> Path:
    data = json.loads(packaged_rule_file(PlaceholderRules).read_text(encoding="utf-8"))
    data["phrases"] = phrases
    (tmp_path / "placeholders.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Siehe Kommentar", "Befund.", id="site-phrase"),
        pytest.param("See Comments", "See Comments", id="packaged-phrase-replaced"),
    ],
)
def test_site_placeholder_rules(
    build: HL7Builder, tmp_path: Path, value: str, expected: str
) -> None:
    options = HL7Options(rules_dir=_site_rules(tmp_path, ["siehe kommentar"]))
    raw = build.raw(_message(build, [_obx("TX", value), _nte("Befund.")]))
    (report,) = options.parse(raw)
    assert report.text == expected


def test_placeholder_rules_loaded_once_per_options(
    build: HL7Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = HL7Options(rules_dir=_site_rules(tmp_path, ["see comments"]))

    def no_loading(*args: object, **kwargs: object) -> None:
        raise AssertionError("rule file loaded per message")

    monkeypatch.setattr("radfollow.hl7.adapter.load_rule_file", no_loading)
    raw = build.raw(_message(build, [_obx("TX", "See Comments"), _nte("Body.")]))
    assert [r.text for r in options.parse(raw)] == ["Body."]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"phrases": ["***"]}, "no letters or digits", id="empty-phrase"),
        pytest.param({"unknown": 1}, "unknown", id="unknown-key"),
    ],
)
def test_broken_site_placeholder_rules(tmp_path: Path, change: dict, reason: str) -> None:
    data = json.loads(packaged_rule_file(PlaceholderRules).read_text(encoding="utf-8"))
    (tmp_path / "placeholders.json").write_text(json.dumps({**data, **change}), encoding="utf-8")
    with pytest.raises(RuleFileError, match=reason):
        HL7Options(rules_dir=tmp_path)


@pytest.mark.parametrize(
    ("value_type", "value", "expected"),
    [
        pytest.param("tx", "  See   COMMENTS. ", True, id="normalised"),
        pytest.param("RP", "see_note", True, id="underscore"),
        pytest.param("TX", "See comments and nodule", False, id="longer-text"),
        pytest.param("NM", "See Comments", False, id="other-type"),
    ],
)
def test_is_placeholder(value_type: str, value: str, expected: bool) -> None:
    assert load_rule_file(PlaceholderRules).is_placeholder(value_type, value) is expected
