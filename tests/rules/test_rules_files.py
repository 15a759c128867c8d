"""Rule files are data: every packaged file validates, a site's folder replaces
files by name, and a bad file fails with its name (STYLE.md #3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from radfollow.errors import RuleFileError
from radfollow.rules.loader import (
    load_rule_file,
    load_rules,
    packaged_rule_file,
    site_rule_file,
)
from radfollow.rules.schema import (
    RULE_FILES,
    CharsetRules,
    ContextRules,
    ModalityRules,
    RecommendationRules,
    RuleFile,
    TargetRules,
    Terminology,
    TrackerPolicy,
)

Mutate = Callable[[dict[str, Any]], object]

#: One NLP, one HL7 and one FHIR rule file.
ONE_PER_LAYER = (TargetRules, ModalityRules, Terminology)


def _packaged_data(model: type[RuleFile]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(packaged_rule_file(model).read_text(encoding="utf-8"))
    return data


def _write(folder: Path, model: type[RuleFile], data: object) -> Path:
    path = folder / model.file_name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_every_packaged_file_has_one_model() -> None:
    names = [model.file_name for model in RULE_FILES]
    packaged = {p.name for p in packaged_rule_file("sections.json").parent.glob("*.json")}
    assert (len(names), set(names)) == (len(set(names)), packaged)


@pytest.mark.parametrize("model", RULE_FILES, ids=lambda m: m.file_name)
def test_packaged_rules_validate(model: type[RuleFile]) -> None:
    rules = load_rule_file(model)
    assert isinstance(rules, model)
    assert load_rules(model) is rules  # cached and shared


@pytest.mark.parametrize("model", RULE_FILES, ids=lambda m: m.file_name)
def test_loaded_rules_are_frozen(model: type[RuleFile]) -> None:
    rules = load_rule_file(model)
    field = next(iter(model.model_fields))
    with pytest.raises(ValueError, match="frozen"):
        setattr(rules, field, getattr(rules, field))


@pytest.mark.parametrize(
    ("model", "mutate", "message"),
    [
        (TargetRules, lambda d: d["target_rules"][0].update(colour="red"), "Extra inputs"),
        (TargetRules, lambda d: d["target_rules"][0].update(category="spleen"), "unknown category"),
        (ContextRules, lambda d: d["context_rules"][0].update(direction="SIDEWAYS"), "direction"),
        (RecommendationRules, lambda d: d["triggers"][0].update(pattern="(unclosed"), "regular"),
        (RecommendationRules, lambda d: d["hedges"].append("[a-"), "regular"),
        (TrackerPolicy, lambda d: d.update(grace="30"), "grace: Extra inputs"),
        (TrackerPolicy, lambda d: d.pop("grace_days"), "grace_days: Field required"),
        (ModalityRules, lambda d: d.update(extra=1), "extra: Extra inputs"),
        (ModalityRules, lambda d: d["table"].update(CT="CAT"), "table.CT"),
        (CharsetRules, lambda d: d["charsets"].update(X="utf-16"), "not ASCII-compatible"),
        (CharsetRules, lambda d: d.update(default="klingon"), "default: .*unknown"),
        (CharsetRules, lambda d: d["charsets"].update(X="base64"), "not a text codec"),
        (CharsetRules, lambda d: d["aliases"].update(X="KLINGON"), "not in charsets"),
        (CharsetRules, lambda d: d["unsupported"].update(ASCII="no"), "both charsets and"),
        (Terminology, lambda d: d["findings"].pop("lung_mass"), "findings lacks"),
        (Terminology, lambda d: d.update(colour="red"), "colour: Extra inputs"),
    ],
    ids=lambda v: v.file_name if isinstance(v, type) else None,
)
def test_bad_rule_file_is_rejected(
    tmp_path: Path, model: type[RuleFile], mutate: Mutate, message: str
) -> None:
    data = _packaged_data(model)
    mutate(data)
    path = _write(tmp_path, model, data)
    with pytest.raises(RuleFileError, match=message) as info:
        load_rule_file(model, path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("model", ONE_PER_LAYER, ids=lambda m: m.file_name)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param({"unknown": 1}, "unknown: Extra inputs", id="unknown-key"),
        pytest.param("{", "not valid JSON", id="bad-json"),
        pytest.param("[1, 2", "not valid JSON", id="truncated-json"),
        pytest.param(b"\xff{}", "cannot read rule file", id="not-utf8"),
    ],
)
def test_bad_site_file_names_the_file(
    tmp_path: Path, model: type[RuleFile], content: object, message: str
) -> None:
    data = {**_packaged_data(model), **content} if isinstance(content, dict) else content
    path = _write(tmp_path, model, data)
    with pytest.raises(RuleFileError, match=message) as info:
        load_rules(model, tmp_path)
    assert info.value.where == str(path)


@pytest.mark.parametrize("model", ONE_PER_LAYER, ids=lambda m: m.file_name)
def test_missing_file_names_the_file(tmp_path: Path, model: type[RuleFile]) -> None:
    path = tmp_path / model.file_name
    with pytest.raises(RuleFileError, match="rule file not found") as info:
        load_rule_file(model, path)
    assert info.value.where == str(path)


def _set(path: tuple[str, ...], value: str) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = value

    return mutate


#: For every rule file, a harmless change that shows which file was read.
CHANGES: dict[type[RuleFile], tuple[tuple[str, ...], Callable[[Any], object]]] = {
    **{
        model: (("description",), lambda r: r.description)
        for model in RULE_FILES
        if "description" in model.model_fields
    },
    CharsetRules: (("notes",), lambda r: r.notes),
    ModalityRules: (("notes",), lambda r: r.notes),
    Terminology: (("findings", "other_mass", "text"), lambda r: r.findings["other_mass"].text),
}


def test_every_rule_file_has_a_change() -> None:
    assert set(CHANGES) == set(RULE_FILES)


@pytest.mark.parametrize("model", RULE_FILES, ids=lambda m: m.file_name)
def test_site_folder_replaces_a_file_by_name(tmp_path: Path, model: type[RuleFile]) -> None:
    key_path, read = CHANGES[model]
    data = _packaged_data(model)
    _set(key_path, "site version")(data)
    path = _write(tmp_path, model, data)
    assert site_rule_file(model, tmp_path) == str(path)
    assert read(load_rules(model, tmp_path)) == "site version"
    assert read(load_rules(model)) != "site version"
    others = [m for m in RULE_FILES if m is not model]
    assert all(load_rules(m, tmp_path) is load_rule_file(m) for m in others)


@pytest.mark.parametrize(
    ("present", "lookup", "found"),
    [
        pytest.param(True, TargetRules, True, id="model-present"),
        pytest.param(True, "targets.json", True, id="name-present"),
        pytest.param(False, TargetRules, False, id="model-absent"),
        pytest.param(False, "targets.json", False, id="name-absent"),
    ],
)
def test_site_rule_file_lookup(
    tmp_path: Path, present: bool, lookup: type[RuleFile] | str, found: bool
) -> None:
    if present:
        (tmp_path / "targets.json").write_text("{}", encoding="utf-8")
    expected = str(tmp_path / "targets.json") if found else None
    assert site_rule_file(lookup, tmp_path) == expected


@pytest.mark.parametrize("rules_dir", [None, ""], ids=["none", "empty"])
def test_no_rules_folder_takes_the_packaged_file(rules_dir: str | None) -> None:
    assert site_rule_file(TargetRules, rules_dir) is None
    assert load_rules(TargetRules, rules_dir) is load_rule_file(TargetRules)


@pytest.mark.parametrize("kind", ["missing", "a-file"])
def test_rules_folder_that_is_not_a_folder_is_an_error(tmp_path: Path, kind: str) -> None:
    rules_dir = tmp_path / "site"
    if kind == "a-file":
        rules_dir.write_text("{}", encoding="utf-8")
    with pytest.raises(RuleFileError, match="rules folder not found") as info:
        load_rules(TargetRules, rules_dir)
    assert info.value.where == str(rules_dir)


def test_loading_every_rule_file_imports_no_spacy() -> None:
    code = (
        "import json, sys\n"
        "from radfollow.rules.loader import load_rules\n"
        "from radfollow.rules.schema import RULE_FILES\n"
        "for model in RULE_FILES: load_rules(model)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout)
    assert [m for m in modules if m == "spacy" or m.startswith("radfollow.nlp")] == []
