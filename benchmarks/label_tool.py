"""Blind labelling of follow-up recommendations on ../shared reports (ids and offsets only).

    python benchmarks/label_tool.py sample            # (re)write labels/followup_sample.jsonl
    python benchmarks/label_tool.py sample-2          # (re)write labels/followup_sample_2.jsonl
    python benchmarks/label_tool.py show BATCH        # print a batch's reports for a reader
    python benchmarks/label_tool.py resolve WORK.jsonl --reader A --out OUT.jsonl
    python benchmarks/label_tool.py resolve-findings WORK.jsonl --reader A --out OUT.jsonl
    python benchmarks/label_tool.py adjudicate-findings   # reader A + adjudication -> final
    python benchmarks/label_tool.py adjudicate-2      # round 2: reader A + adjudication -> final

``sample`` draws the report set once, seeded (labels/README.md says how), splits
it into a tuning half and a test half, picks the reports read twice, and cuts
it into reading batches. ``show`` prints reports with their character offsets
and nothing of radfollow's output. A reader writes one JSON line per report
to a work file outside the repository, quoting each recommendation verbatim::

    {"id": "openi-12", "recommendations": [{"quote": "Recommend CT chest in 3 months.",
      "modality": "CT", "modality_options": ["CT"], "body_region": "chest",
      "interval_months": [3, 3], "conditional": false}]}

``resolve`` turns quotes into ``start``/``end`` offsets (whitespace-insensitive,
the first occurrence after the previous quote, ``"occurrence": n`` to pick
another) and writes labels without any report text. ``resolve-findings`` does
the same for finding mentions (ANNOTATION.md section 2, issue 13)::

    {"id": "openi-12", "findings": [{"quote": "6 mm nodule in the right upper lobe",
      "type": "pulmonary_nodule", "assertion": "present", "benign": false,
      "incidental": true, "reason": null, "size_mm": 6, "composition": "solid",
      "multiplicity": "single"}]}

Sealed ids are refused everywhere.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from _shared import unsealed_reports

LABELS = Path(__file__).parent / "labels"
SAMPLE = LABELS / "followup_sample.jsonl"
#: Round 2 (2026-12-02): fresh Open-i reports, after round 1's test half was spent.
SAMPLE_2 = LABELS / "followup_sample_2.jsonl"
CRITICAL_SAMPLE = LABELS / "critical_sample.jsonl"
OLD_LABELS = LABELS / "followup_review.jsonl"
MODALITIES = {
    "CT", "MR", "US", "XR", "MG", "NM", "PET", "FLUORO",
    "BIOPSY", "PROCEDURE", "CONSULT", "LAB", "OTHER",
}  # fmt: skip
KEYWORDS = re.compile(
    r"recommend|suggest|consider|follow|advis|further evaluation|correlat|should|could"
    r"|may be helpful|would be helpful",
    re.IGNORECASE,
)
#: Reports whose radfollow output a developer saw before labelling (labels/README.md).
SEEN = {"openi-398", "openi-742", "openi-1107", "openi-1755", "openi-2885", "openi-2944"}
OPENI_RANDOM, OPENI_KEYWORD = 100, 110
SECOND_READING = 120
ROUND_2_RANDOM, ROUND_2_SECOND_READING, ROUND_2_BATCH = 135, 100, 80
BATCH_SIZE = {"mtsamples": 49, "openi": 105}


FINDING_TYPES = {
    "pulmonary_nodule", "lung_mass", "thyroid_nodule", "adrenal_nodule", "renal_lesion",
    "hepatic_lesion", "pancreatic_lesion", "adnexal_lesion", "aortic_aneurysm",
    "lymphadenopathy", "breast_lesion", "bone_lesion", "other_mass",
}  # fmt: skip
ASSERTIONS = {"present", "possible", "absent", "historical", "hypothetical"}
#: Why an affirmed finding is not incidental (issue 13's ``incidental_reason``).
REASONS = {"indication", "known_prior", "procedure_target", "benign"}
COMPOSITIONS = {"solid", "part-solid", "ground-glass", "cystic", "calcified"}
MULTIPLICITIES = {"single", "multiple"}


def _sort_key(report_id: str) -> tuple[str, int]:
    corpus, number = report_id.rsplit("-", 1)
    return corpus, int(number)


def sample() -> list[dict[str, Any]]:
    """The labelled set: old strata kept, grown by new seeded draws (README)."""
    texts = unsealed_reports()
    old = [json.loads(x) for x in OLD_LABELS.read_text().splitlines() if x.strip()]
    stratum = {row["id"]: row["stratum"] for row in old}
    mt = sorted((i for i in texts if i.startswith("mtsamples-")), key=_sort_key)
    for report_id in mt:
        stratum.setdefault(report_id, "mt-all")
    openi = sorted((i for i in texts if i.startswith("openi-") and i not in SEEN), key=_sort_key)
    rng = random.Random(2028)
    taken = set(stratum)
    have_random = sum(1 for s in stratum.values() if s == "openi-random")
    pool = [i for i in openi if i not in taken]
    for report_id in rng.sample(pool, OPENI_RANDOM - have_random):
        stratum[report_id] = "openi-random-2"
    taken = set(stratum)
    have_keyword = sum(1 for s in stratum.values() if s.startswith("openi-keyword"))
    pool = [i for i in openi if i not in taken and KEYWORDS.search(texts[i]["text"])]
    for report_id in rng.sample(pool, OPENI_KEYWORD - have_keyword):
        stratum[report_id] = "openi-keyword-3"
    ids = sorted(stratum, key=_sort_key)
    # One split, seeded, within each sampling group (mtsamples / openi random / openi keyword).
    split = random.Random(2029)
    half: dict[str, str] = {}
    second: set[str] = set()
    groups: dict[str, list[str]] = {}
    for report_id in ids:
        groups.setdefault(_group(stratum[report_id]), []).append(report_id)
    for members in groups.values():
        shuffled = members[:]
        split.shuffle(shuffled)
        for k, report_id in enumerate(shuffled):
            half[report_id] = "tuning" if k % 2 == 0 else "test"
        share = round(SECOND_READING * len(members) / len(ids))
        second.update(split.sample(members, share))
    rows = []
    counters: dict[str, int] = {}
    for report_id in ids:
        corpus = report_id.split("-", 1)[0]
        k = counters.get(corpus, 0)
        counters[corpus] = k + 1
        rows.append(
            {
                "id": report_id,
                "stratum": stratum[report_id],
                "half": half[report_id],
                "batch": f"{corpus}-{k // BATCH_SIZE[corpus] + 1}",
                "second_reading": report_id in second,
            }
        )
    return rows


def sample_2() -> list[dict[str, Any]]:
    """Round 2: every unlabelled keyword-matched Open-i report, plus random ones (README).

    Excluded first: sealed ids, the 6 seen reports, round 1's 403 and the
    critical-results stratum. Halves are ``tuning-2`` / ``test-2``.
    """
    texts = unsealed_reports()
    taken = {r["id"] for r in read_sample()} | SEEN
    taken |= {json.loads(x)["id"] for x in CRITICAL_SAMPLE.read_text().splitlines() if x.strip()}
    pool = sorted((i for i in texts if i.startswith("openi-") and i not in taken), key=_sort_key)
    stratum = {i: "openi-keyword-4" for i in pool if KEYWORDS.search(texts[i]["text"])}
    rng = random.Random(2032)
    rest = [i for i in pool if i not in stratum]
    for report_id in rng.sample(rest, ROUND_2_RANDOM):
        stratum[report_id] = "openi-random-3"
    ids = sorted(stratum, key=_sort_key)
    half: dict[str, str] = {}
    second: set[str] = set()
    for group in ("openi-keyword-4", "openi-random-3"):
        members = [i for i in ids if stratum[i] == group]
        shuffled = members[:]
        rng.shuffle(shuffled)
        for k, report_id in enumerate(shuffled):
            half[report_id] = "tuning-2" if k % 2 == 0 else "test-2"
        second.update(rng.sample(members, round(ROUND_2_SECOND_READING * len(members) / len(ids))))
    order = ids[:]
    rng.shuffle(order)  # batches mix the strata, so a reader cannot tell them apart
    batch = {report_id: f"r2-{k // ROUND_2_BATCH + 1}" for k, report_id in enumerate(order)}
    return [
        {
            "id": report_id,
            "stratum": stratum[report_id],
            "half": half[report_id],
            "batch": batch[report_id],
            "second_reading": report_id in second,
        }
        for report_id in ids
    ]


def _group(stratum: str) -> str:
    if stratum.startswith("mt"):
        return "mtsamples"
    return "openi-keyword" if "keyword" in stratum else "openi-random"


def read_sample() -> list[dict[str, Any]]:
    return [json.loads(x) for x in SAMPLE.read_text().splitlines() if x.strip()]


def read_sample_2() -> list[dict[str, Any]]:
    if not SAMPLE_2.is_file():
        return []
    return [json.loads(x) for x in SAMPLE_2.read_text().splitlines() if x.strip()]


def show(batch: str) -> None:
    rows = read_sample()
    if batch.startswith("r2-second-"):
        chosen = second_reading_2(int(batch.rsplit("-", 1)[1]))
    elif batch.startswith("r2-"):
        chosen = [r for r in read_sample_2() if r["batch"] == batch]
    elif batch.startswith("second-"):
        k = int(batch.split("-")[1])
        chosen = [r for r in rows if r["second_reading"]]
        size = (len(chosen) + 1) // 2
        chosen = chosen[(k - 1) * size : k * size]
    else:
        chosen = [r for r in rows if r["batch"] == batch]
    if not chosen:
        sys.exit(f"no reports in batch {batch!r}")
    print_reports([row["id"] for row in chosen])


def second_reading_2(k: int) -> list[dict[str, Any]]:
    """Round 2's second-reading batch ``k``: batch 1 is the first 50 of a
    ``random.Random(1)`` shuffle of the 100 reports, batch 2 the last 50 of a
    ``random.Random(2)`` shuffle (as they were handed out, so they overlap), batch 3
    the reports in neither."""
    rows = [r for r in read_sample_2() if r["second_reading"]]

    def first(seed: int) -> list[dict[str, Any]]:
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        return shuffled[:50] if seed == 1 else shuffled[50:]

    if k in (1, 2):
        chosen = first(k)
    else:
        given = {r["id"] for r in first(1) + first(2)}
        chosen = [r for r in rows if r["id"] not in given] if k == 3 else []
    return sorted(chosen, key=lambda r: _sort_key(r["id"]))


def print_reports(ids: list[str]) -> None:
    """The reports' texts with each line's character offset, for a blind reader."""
    texts = unsealed_reports()
    for report_id in ids:
        text = texts[report_id]["text"]
        print(f"=================== {report_id}  ({len(text)} chars)")
        offset = 0
        for line in text.split("\n"):
            print(f"[{offset:5d}] {line}")
            offset += len(line) + 1
    print(f"=================== {len(ids)} reports", file=sys.stderr)


def _locate(text: str, quote: str, after: int, occurrence: int | None) -> tuple[int, int]:
    words = quote.split()
    if not words:
        raise ValueError("empty quote")
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    matches = list(pattern.finditer(text))
    if not matches:
        raise ValueError(f"quote not found: {quote[:60]!r}")
    if occurrence is not None:
        if not 1 <= occurrence <= len(matches):
            raise ValueError(f"occurrence {occurrence} of {len(matches)}")
        match = matches[occurrence - 1]
    else:
        match = next((m for m in matches if m.start() >= after), matches[0])
    return match.start(), match.end()


def _interval(value: Any) -> list[float] | None:
    if value is None:
        return None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) for v in value)
        and value[0] <= value[1]
    ):
        raise ValueError(f"interval_months must be null or [min, max]: {value!r}")
    return [float(v) for v in value]


def _work_items(work: Path, *, unique: bool) -> tuple[list[tuple[str, dict[str, Any], str]], int]:
    """A reader's work file: (``file:line: id``, item, report text) per line of a sampled
    report, and the number of lines refused (not in the sample, or repeated when
    ``unique``), each reported on stderr."""
    texts = unsealed_reports()
    wanted = {r["id"] for r in read_sample() + read_sample_2()}
    items, errors, seen = [], 0, set()
    for n, line in enumerate(work.read_text().splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        report_id = item["id"]
        if report_id not in wanted or (unique and report_id in seen):
            print(f"{work}:{n}: {report_id} is not in the sample or repeated", file=sys.stderr)
            errors += 1
            continue
        seen.add(report_id)
        items.append((f"{work}:{n}: {report_id}", item, texts[report_id]["text"]))
    return items, errors


def _write_rows(out: Path, rows: list[dict[str, Any]]) -> None:
    rows.sort(key=lambda r: _sort_key(r["id"]))
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))


def resolve(work: Path, reader: str, out: Path) -> int:
    items, errors = _work_items(work, unique=False)
    rows = []
    for where, item, text in items:
        report_id = item["id"]
        recs = []
        after = 0
        for k, rec in enumerate(item.get("recommendations", [])):
            try:
                start, end = _locate(text, rec["quote"], after, rec.get("occurrence"))
                modality = rec.get("modality")
                options = rec.get("modality_options") or ([modality] if modality else [])
                for m in [modality, *options]:
                    if m is not None and m not in MODALITIES:
                        raise ValueError(f"unknown modality {m!r}")
                if not isinstance(rec.get("conditional"), bool):
                    raise ValueError("conditional must be true or false")
                recs.append(
                    {
                        "start": start,
                        "end": end,
                        "modality": modality,
                        "modality_options": options,
                        "body_region": rec.get("body_region"),
                        "interval_months": _interval(rec.get("interval_months")),
                        "conditional": rec["conditional"],
                    }
                )
                after = end
            except (KeyError, ValueError) as error:
                print(f"{where} recommendation {k + 1}: {error}", file=sys.stderr)
                errors += 1
        rows.append(
            {
                "id": report_id,
                "reader": reader,
                "has_followup_recommendation": bool(recs),
                "recommendations": recs,
            }
        )
    _write_rows(out, rows)
    print(
        f"{len(rows)} reports, {sum(len(r['recommendations']) for r in rows)} recommendations,"
        f" {errors} errors -> {out}",
        file=sys.stderr,
    )
    return 1 if errors else 0


def _finding(item: dict[str, Any]) -> dict[str, Any]:
    """Check one labelled finding's fields (ANNOTATION.md section 2); ValueError if wrong."""
    if item.get("type") not in FINDING_TYPES:
        raise ValueError(f"unknown type {item.get('type')!r}")
    if item.get("assertion") not in ASSERTIONS:
        raise ValueError(f"unknown assertion {item.get('assertion')!r}")
    for key in ("benign", "incidental"):
        if not isinstance(item.get(key), bool):
            raise ValueError(f"{key} must be true or false")
    affirmed = item["assertion"] in {"present", "possible"}
    reason = item.get("reason")
    if item["incidental"] and (not affirmed or item["benign"] or reason):
        raise ValueError("incidental needs present/possible, not benign, and no reason")
    if affirmed and not item["incidental"] and reason not in REASONS:
        raise ValueError(f"an affirmed, non-incidental finding needs a reason in {sorted(REASONS)}")
    size = item.get("size_mm")
    if size is not None and not (isinstance(size, int | float) and size > 0):
        raise ValueError(f"size_mm must be null or a positive number: {size!r}")
    if item.get("composition") not in COMPOSITIONS | {None}:
        raise ValueError(f"unknown composition {item.get('composition')!r}")
    if item.get("multiplicity") not in MULTIPLICITIES | {None}:
        raise ValueError(f"unknown multiplicity {item.get('multiplicity')!r}")
    return {
        "type": item["type"],
        "assertion": item["assertion"],
        "benign": item["benign"],
        "incidental": item["incidental"],
        "reason": reason if affirmed and not item["incidental"] else None,
        "size_mm": None if size is None else float(size),
        "composition": item.get("composition"),
        "multiplicity": item.get("multiplicity"),
    }


def resolve_findings(work: Path, reader: str, out: Path) -> int:
    """Finding quotes -> offsets; report-level ``incidental_types``; 1 if any error."""
    items, errors = _work_items(work, unique=True)
    rows = []
    for where, item, text in items:
        report_id = item["id"]
        findings = []
        for k, finding in enumerate(item.get("findings", [])):
            try:
                start, end = _locate(text, finding["quote"], 0, finding.get("occurrence"))
                findings.append({"start": start, "end": end, **_finding(finding)})
            except (KeyError, ValueError) as error:
                print(f"{where} finding {k + 1}: {error}", file=sys.stderr)
                errors += 1
        findings.sort(key=lambda f: (f["start"], f["end"]))
        rows.append(
            {
                "id": report_id,
                "reader": reader,
                "incidental_types": sorted({f["type"] for f in findings if f["incidental"]}),
                "findings": findings,
            }
        )
    _write_rows(out, rows)
    print(
        f"{len(rows)} reports, {sum(len(r['findings']) for r in rows)} findings,"
        f" {sum(len(r['incidental_types']) for r in rows)} incidental types,"
        f" {errors} errors -> {out}",
        file=sys.stderr,
    )
    return 1 if errors else 0


def adjudicate_findings(round_: int = 1) -> None:
    """findings_spans.jsonl: reader A's labels with findings_adjudication.json applied
    (round 2: the ``_2`` files).

    Each adjudication names one mention (id, start, end), the fields it sets and
    why; ``incidental_types`` is recomputed. ValueError when a mention is not found.
    A decision ``{"id", "take": "B", "why"}`` takes the report's labels from reader B.
    """
    suffix = "" if round_ == 1 else "_2"
    rows = _jsonl(LABELS / f"findings_spans{suffix}.reader_a.jsonl")
    decisions = json.loads((LABELS / f"findings_adjudication{suffix}.json").read_text())
    rows = _with_reader_b(rows, decisions, LABELS / f"findings_spans{suffix}.reader_b.jsonl")
    decisions = [d for d in decisions if d.get("take") != "B"]
    by_id = {row["id"]: row for row in rows}
    for decision in decisions:
        row = by_id[decision["id"]]
        found = [
            f
            for f in row["findings"]
            if (f["start"], f["end"]) == (decision["start"], decision["end"])
        ]
        if not found:
            raise ValueError(
                f"no mention {decision['start']}-{decision['end']} in {decision['id']}"
            )
        found[0].update(_finding(found[0] | decision["set"] | {"quote": ""}))
        row["reader"] = "A+adjudicated"
    for row in rows:
        row["incidental_types"] = sorted({f["type"] for f in row["findings"] if f["incidental"]})
    out = LABELS / f"findings_spans{suffix}.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(decisions)} adjudicated mentions -> {out}", file=sys.stderr)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _with_reader_b(
    rows: list[dict[str, Any]], decisions: list[dict[str, Any]], reader_b: Path
) -> list[dict[str, Any]]:
    """``rows`` (reader A's) with each report a decision ``{"id", "take": "B"}`` names
    taken from reader B's labels in ``reader_b``."""
    taken = {d["id"] for d in decisions if d.get("take") == "B"}
    if not taken:
        return rows
    b = {row["id"]: row for row in _jsonl(reader_b)}
    return [b[r["id"]] | {"reader": "B, adjudicated"} if r["id"] in taken else r for r in rows]


def adjudicate_2() -> None:
    """followup_spans_2.jsonl: round 2's reader A labels, with each report that
    followup_adjudication_2.json decides for reader B taken from reader B."""
    decisions = json.loads((LABELS / "followup_adjudication_2.json").read_text())
    rows = _with_reader_b(
        _jsonl(LABELS / "followup_spans_2.reader_a.jsonl"),
        decisions,
        LABELS / "followup_spans_2.reader_b.jsonl",
    )
    take_b = [d for d in decisions if d["take"] == "B"]
    out = LABELS / "followup_spans_2.jsonl"
    _write_rows(out, rows)
    print(f"{len(take_b)} reports from reader B -> {out}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sample")
    sub.add_parser("sample-2")
    show_parser = sub.add_parser("show")
    show_parser.add_argument("batch")
    resolve_parser = sub.add_parser("resolve")
    resolve_parser.add_argument("work", type=Path)
    resolve_parser.add_argument("--reader", required=True)
    resolve_parser.add_argument("--out", type=Path, required=True)
    findings_parser = sub.add_parser("resolve-findings")
    findings_parser.add_argument("work", type=Path)
    findings_parser.add_argument("--reader", required=True)
    findings_parser.add_argument("--out", type=Path, required=True)
    adjudicate_parser = sub.add_parser("adjudicate-findings")
    adjudicate_parser.add_argument("--round", type=int, choices=(1, 2), default=1)
    sub.add_parser("adjudicate-2")
    args = parser.parse_args()
    if args.command == "sample":
        rows = sample()
        SAMPLE.write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"{len(rows)} reports -> {SAMPLE}", file=sys.stderr)
    elif args.command == "sample-2":
        rows = sample_2()
        SAMPLE_2.write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"{len(rows)} reports -> {SAMPLE_2}", file=sys.stderr)
    elif args.command == "show":
        show(args.batch)
    elif args.command == "adjudicate-2":
        adjudicate_2()
    elif args.command == "adjudicate-findings":
        adjudicate_findings(args.round)
    elif args.command == "resolve-findings":
        sys.exit(resolve_findings(args.work, args.reader, args.out))
    else:
        sys.exit(resolve(args.work, args.reader, args.out))


if __name__ == "__main__":
    main()
