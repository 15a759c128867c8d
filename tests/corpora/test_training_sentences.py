"""The training sentences in corpora/sentences (recommendation classifier).

Checks that corpora/sentences/generate.py reproduces train.jsonl byte for byte,
the record schema and ANNOTATION.md labels, the kinds and class balance, and
that no wording held out for the test split of the synthetic gold corpus (the
``test_only`` variants of corpora/phrases.py and of the small inline pools in
corpora/*.py) occurs in any training sentence.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT / "corpora"
SENTENCES = CORPORA / "sentences"
TRAIN = SENTENCES / "train.jsonl"

POSITIVE_KINDS = {
    "rec_direct",
    "rec_hedged",
    "rec_alternative",
    "rec_referral",
    "rec_procedure",
    "rec_lab",
    "rec_interval",
    "rec_guideline",
    "rec_generic",
    "rec_cueless",
    "rec_vocab",
    "rec_hedged_reason",
    "rec_interval_words",
}
NEGATIVE_KINDS = {
    "neg_clinical_correlation",
    "neg_prior_comparison",
    "neg_no_followup",
    "neg_technique",
    "neg_history",
    "neg_scheduled",
    "neg_screening",
    "neg_finding",
    "neg_precision",
}
MODALITIES = {
    "CT",
    "MR",
    "US",
    "XR",
    "MG",
    "NM",
    "PET",
    "FLUORO",
    "BIOPSY",
    "PROCEDURE",
    "CONSULT",
    "LAB",
    "OTHER",
}
KEYS = ["id", "text", "is_recommendation", "conditional", "modality", "interval_months", "kind"]
# Hedged wording (ANNOTATION.md: conditional true); direct wording never uses these words.
HEDGE = re.compile(
    r"\b(?:consider\w*|could|may|might|can|would|optional|if clinically|"
    r"as clinically|if desired|is an option|if (?:appropriate|needed)|"
    r"(?:if|should) [\w ]{1,20} (?:persists|continue|does not resolve))\b",
    re.IGNORECASE,
)
# A reason clause or a finding's hedge (issue 12, kind 3): its hedge words describe the
# finding, not the recommendation, so they are cut before HEDGE is applied.
REASON = re.compile(
    r"(?:\bto (?:evaluate|exclude|rule out|determine)|, since|\bsince|\bbecause|, as (?:the|this)"
    r"|\bgiven possible|\bfor a suspected|, which|\bso (?:that|the))\b.*$",
    re.IGNORECASE,
)
SLOT = re.compile(r"\{(\w+)\}")
OPTIONAL = {"I", "a", "A"}  # slots that may be empty (interval clause, article)
LIST_PREFIX = re.compile(r"^(?:\d+[.)]|-)\s+")


def load_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in TRAIN.read_text(encoding="utf-8").splitlines()]


RECORDS = load_records()
BY_KIND: dict[str, list[dict[str, Any]]] = {}
for _record in RECORDS:
    BY_KIND.setdefault(_record["kind"], []).append(_record)
TEXTS = "\n".join(r["text"] for r in RECORDS)


# ------------------------------------------------------------ held-out wordings
def load_phrases() -> Any:
    spec = importlib.util.spec_from_file_location("corpus_phrases_ts", CORPORA / "phrases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_text(variant: Any) -> str | None:
    """The wording of a variant: the string, or a tuple's first element (the rest are labels)."""
    if isinstance(variant, tuple):
        variant = variant[0]
    return variant if isinstance(variant, str) else None


def split_pools(value: Any, path: str) -> Iterator[tuple[str, list[Any]]]:
    if isinstance(value, dict):
        if "test_only" in value and "shared" in value:
            yield path, list(value["test_only"])
            return
        for key, sub in value.items():
            yield from split_pools(sub, f"{path}/{key}")


def phrases_variants() -> Iterator[tuple[str, str]]:
    module = load_phrases()
    for name in sorted(vars(module)):
        if name.isupper():
            for path, variants in split_pools(getattr(module, name), name):
                for variant in variants:
                    if (text := first_text(variant)) is not None:
                        yield path, text


def inline_variants() -> Iterator[tuple[str, str]]:
    """Literal ``{"shared": [...], "test_only": [...]}`` pools in the generator modules."""
    for source in sorted(CORPORA.glob("*.py")):
        if source.name == "phrases.py":
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            if "test_only" not in keys or "shared" not in keys:
                continue
            value = node.values[keys.index("test_only")]
            for element in value.elts if isinstance(value, ast.List) else []:
                if isinstance(element, ast.Tuple) and element.elts:
                    element = element.elts[0]
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    yield f"{source.name}:{node.lineno}", element.value


HELD_OUT = sorted(set(phrases_variants()) | set(inline_variants()))


def variant_pattern(variant: str) -> re.Pattern[str] | None:
    """Regex for a variant: slots match any text, case-insensitive, whole words.

    Stricter than the template itself: leading/trailing slots, spaces and the
    final period are dropped, so "{size} {adj} thyroid mass" is searched as
    "thyroid mass" and "Could consider {x}{I}." as "Could consider", anywhere in
    a sentence, with or without a period. Returns None for a variant with no
    wording left (only slots and punctuation).
    """
    parts = re.split(SLOT, variant)  # literal, slot name, literal, ...
    tokens = [("slot" if i % 2 else "lit", part) for i, part in enumerate(parts)]
    if tokens[-1][1].rstrip().endswith("."):
        tokens[-1] = ("lit", tokens[-1][1].rstrip()[:-1])
    while tokens and (tokens[0][0] == "slot" or not tokens[0][1].strip()):
        tokens.pop(0)
    while tokens and (tokens[-1][0] == "slot" or not tokens[-1][1].strip()):
        tokens.pop()
    if not tokens or not re.search(r"[^\s.,;:]", "".join(t for _, t in tokens)):
        return None
    tokens[0] = ("lit", tokens[0][1].lstrip())
    tokens[-1] = ("lit", tokens[-1][1].rstrip())
    body = "".join(
        re.escape(text) if kind == "lit" else (".*?" if text in OPTIONAL else ".+?")
        for kind, text in tokens
    )
    first, last = tokens[0][1], tokens[-1][1]
    if first[:1].isalnum():
        body = r"(?<![\w-])" + body
    if last[-1:].isalnum():
        body += r"(?![\w-])"
    return re.compile(body, re.IGNORECASE)


def header_pattern(header: str) -> re.Pattern[str]:
    """A section-header spelling is held out as a header ("STUDY:"), not as a word."""
    return re.compile(
        r"^(?:(?:\d+[.)]|-)\s+)?" + re.escape(header) + r"\s*:", re.IGNORECASE | re.MULTILINE
    )


def test_held_out_wordings_found() -> None:
    assert len(HELD_OUT) >= 100
    assert any(path.startswith("REC_TEMPLATES") for path, _ in HELD_OUT)
    assert any(path.startswith("HARD_NEGATIVES") for path, _ in HELD_OUT)
    assert any(path.startswith("scenarios.py") for path, _ in HELD_OUT)


@pytest.mark.parametrize(("pool", "variant"), HELD_OUT, ids=[f"{p}:{v}" for p, v in HELD_OUT])
def test_no_test_only_wording(pool: str, variant: str) -> None:
    pattern = header_pattern(variant) if pool.startswith("HEADERS") else variant_pattern(variant)
    assert pattern is not None, f"{pool}: {variant!r} has no wording to check"
    match = pattern.search(TEXTS)
    if match:
        start = TEXTS.rfind("\n", 0, match.start()) + 1
        end = TEXTS.find("\n", match.end())
        pytest.fail(
            f"test_only {pool} {variant!r} in: {TEXTS[start : end if end >= 0 else None]!r}"
        )


@pytest.mark.parametrize(
    ("variant", "text", "found"),
    [
        ("{X}{I} is suggested.", "Renal ultrasound is suggested.", True),
        ("Could consider {x}{I}.", "We could consider MRI in 3 months.", True),
        ("{size} {adj} thyroid mass", "The thyroid mass.", True),
        ("adenopathy", "Mediastinal lymphadenopathy.", False),
        ("adenopathy", "Mediastinal adenopathy.", True),
        (" at 6 months", "CT at 6 months.", True),
        (" at 6 months", "CT at 16 months.", False),
        ("Suggest {s} consultation.", "2. SUGGEST UROLOGY CONSULTATION", True),
        (
            "Following Fleischner Society guidelines, CT chest{I} is recommended.",
            "Following Fleischner Society guidelines, CT chest is recommended",
            True,
        ),
        ("{F}.", "Anything.", None),
    ],
)
def test_variant_pattern(variant: str, text: str, found: bool | None) -> None:
    pattern = variant_pattern(variant)
    if found is None:
        assert pattern is None
    else:
        assert pattern is not None and bool(pattern.search(text)) is found


# ------------------------------------------------------------ generation
def test_generation_is_deterministic(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SENTENCES / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert (tmp_path / "train.jsonl").read_bytes() == TRAIN.read_bytes()


# ------------------------------------------------------------ schema and labels
def test_ids_are_sequential() -> None:
    assert [r["id"] for r in RECORDS] == [f"ts-{i:05d}" for i in range(1, len(RECORDS) + 1)]


@pytest.mark.parametrize("kind", sorted(POSITIVE_KINDS | NEGATIVE_KINDS))
def test_schema_and_labels(kind: str) -> None:
    records = BY_KIND.get(kind, [])
    assert len(records) >= 60, f"{kind}: only {len(records)} sentences"
    for r in records:
        assert list(r) == KEYS, r
        assert isinstance(r["text"], str) and r["text"] == r["text"].strip() and r["text"], r
        assert r["is_recommendation"] is (kind in POSITIVE_KINDS), r
        if not r["is_recommendation"]:
            assert (r["conditional"], r["modality"], r["interval_months"]) == (None, None, None), r
            continue
        assert isinstance(r["conditional"], bool), r
        assert r["modality"] is None or r["modality"] in MODALITIES, r
        interval = r["interval_months"]
        if interval is not None:
            assert len(interval) == 2 and all(isinstance(v, float) for v in interval), r
            assert 0 < interval[0] <= interval[1] <= 60, r


@pytest.mark.parametrize("kind", sorted(POSITIVE_KINDS))
def test_conditional_follows_hedge_wording(kind: str) -> None:
    for r in BY_KIND[kind]:
        assert r["conditional"] is bool(HEDGE.search(REASON.sub("", r["text"]))), r


def test_hedged_reasons_are_not_conditional_by_themselves() -> None:
    """Issue 12, kind 3: direct recommendations whose reason is hedged stay direct."""
    direct = [r for r in BY_KIND["rec_hedged_reason"] if not r["conditional"]]
    hedged = [r for r in direct if re.search(r"\b(?:may|could|might|possible)\b", r["text"])]
    assert len(hedged) >= 60


@pytest.mark.parametrize(
    ("kind", "wording"),
    [
        ("rec_cueless", r"may better (?:show|demonstrate)|could help clarify"),
        ("rec_cueless", r"should come back|was advised to see"),
        ("rec_cueless", r"clinical correlation and, if appropriate"),
        ("rec_vocab", r"decubitus|spot compression|magnification views"),
        ("rec_vocab", r"return to clinic|echocardiogram|\blabs\b|\bKUB\b|\bCXR\b"),
        ("rec_vocab", r" or | versus "),
        ("rec_interval_words", r"6 months to 1 year|annually|several weeks|\(approximately 3 mo\)"),
        ("neg_precision", r"clinical correlation recommended"),
        ("neg_precision", r"remain supine|was chosen because|Fleischner Society recommendations"),
        ("neg_precision", r"^(?:(?:\d+[.)]|-)\s+)?FOLLOW-UP RECOMMENDATIONS:?$"),
    ],
)
def test_issue_12_wordings_present(kind: str, wording: str) -> None:
    pattern = re.compile(wording, re.IGNORECASE)
    assert any(pattern.search(r["text"]) for r in BY_KIND[kind]), (kind, wording)


def test_class_balance() -> None:
    positives = sum(r["is_recommendation"] for r in RECORDS)
    assert 3000 <= len(RECORDS) <= 6500
    assert 0.35 <= positives / len(RECORDS) <= 0.45
    conditional = Counter(r["conditional"] for r in RECORDS if r["is_recommendation"])
    assert conditional[True] >= 400 and conditional[False] >= 800


def test_every_modality_labelled() -> None:
    seen = {r["modality"] for r in RECORDS if r["is_recommendation"]}
    assert seen == MODALITIES | {None}
    assert any(r["interval_months"] for r in RECORDS)


@pytest.mark.parametrize("label", [True, False])
def test_surface_variants_in_both_classes(label: bool) -> None:
    texts = [r["text"] for r in RECORDS if r["is_recommendation"] is label]
    assert sum(bool(LIST_PREFIX.match(t)) for t in texts) >= 50
    assert sum(not t.endswith(".") for t in texts) >= 50
    assert sum(t.isupper() for t in texts) >= 20


def test_no_duplicate_texts() -> None:
    texts = [r["text"] for r in RECORDS]
    assert len(set(texts)) == len(texts)
    keys = [" ".join(LIST_PREFIX.sub("", t).casefold().rstrip(".").split()) for t in texts]
    duplicates = [k for k, n in Counter(keys).items() if n > 1]
    assert not duplicates, duplicates[:5]
