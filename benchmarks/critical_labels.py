"""Blind labelling of critical results and documented communication (issue 17).

    python benchmarks/critical_labels.py sample          # (re)write labels/critical_sample.jsonl
    python benchmarks/critical_labels.py show BATCH      # print a batch's reports for a reader
    python benchmarks/critical_labels.py resolve WORK.jsonl --reader A --out OUT.jsonl
    python benchmarks/critical_labels.py adjudicate    # reader A + decisions -> gold

The labelled set is the 403 reports of the recommendations issue
(``labels/followup_sample.jsonl``, its halves and second readings kept) plus
an enriched stratum of Open-i reports whose text names a critical finding
without a negation in its sentence, or a communication word (critical results
are rare: about 1 report in 50). ``show`` batches: the old batches
(``mtsamples-1`` ... ``openi-2``, ``second-1``, ``second-2``) and ``critical-1``
(the new stratum, reader A) and ``second-3`` (its reports read twice).

A reader writes one JSON line per report to a work file outside the repository::

    {"id": "openi-12",
     "critical_results": [{"quote": "small left apical pneumothorax",
                           "category": "pneumothorax", "assertion": "present"}],
     "communications": [{"quote": "Findings discussed with Dr. XXXX by telephone at 14:10.",
                         "recipient_role": "physician", "name_present": true,
                         "method": "phone", "date": null, "time": "14:10",
                         "acknowledged": false}]}

``resolve`` turns quotes into offsets and writes labels without report text.
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
from label_tool import LABELS, SEEN, _locate, _sort_key, print_reports, read_sample
from label_tool import show as show_followup_batch

SAMPLE = LABELS / "critical_sample.jsonl"
ENRICHED = 80
SECOND_READING = 30
#: Critical-result categories (radfollow/rules/critical.json holds the same ids).
CATEGORIES = {
    "pneumothorax", "pneumoperitoneum", "aortic_emergency", "pulmonary_embolism",
    "intracranial_hemorrhage", "brain_herniation", "acute_stroke", "misplaced_device",
    "ectopic_pregnancy", "torsion", "cord_compression", "deep_vein_thrombosis",
    "suspected_malignancy",
}  # fmt: skip
ASSERTIONS = {"present", "possible"}
ROLES = {
    "ordering_provider", "physician", "emergency_provider", "nurse", "care_team",
    "patient", "other",
}  # fmt: skip
METHODS = {"phone", "in_person", "secure_message", "page", "results_system", "unknown"}
#: Sampling pool of the enriched stratum: a critical or communication word ...
KEYWORDS = re.compile(
    r"free air|pneumoperitoneum|free intraperitoneal|dissection|embol|hemorrhage|hematoma"
    r"|malposit|misplaced|torsion|ectopic|cord compression|herniation|midline shift|infarct"
    r"|\bcalled\b|notified|discussed with|telephone|by phone|paged|communicated|critical",
    re.IGNORECASE,
)
#: ... or a sentence naming a pneumothorax without a negation word (most Open-i
#: reports say "no pneumothorax").
PNEUMOTHORAX = re.compile(r"[^.]*pneumothora[^.]*", re.IGNORECASE)
NEGATION = re.compile(r"\b(no|without|or|nor|negative|resolved|free of)\b", re.IGNORECASE)


def _in_pool(text: str) -> bool:
    if KEYWORDS.search(text):
        return True
    return any(not NEGATION.search(s) for s in PNEUMOTHORAX.findall(text))


def sample() -> list[dict[str, Any]]:
    """The enriched stratum: 80 Open-i reports from the pool, split and second-read, seeded."""
    texts = unsealed_reports()
    taken = {r["id"] for r in read_sample()} | SEEN
    pool = sorted(
        (
            i
            for i in texts
            if i.startswith("openi-") and i not in taken and _in_pool(texts[i]["text"])
        ),
        key=_sort_key,
    )
    rng = random.Random(2031)
    chosen = sorted(rng.sample(pool, ENRICHED), key=_sort_key)
    shuffled = chosen[:]
    rng.shuffle(shuffled)
    half = {report_id: ("tuning" if k % 2 == 0 else "test") for k, report_id in enumerate(shuffled)}
    second = set(rng.sample(chosen, SECOND_READING))
    return [
        {
            "id": report_id,
            "stratum": "openi-critical-keyword",
            "half": half[report_id],
            "batch": "critical-1",
            "second_reading": report_id in second,
        }
        for report_id in chosen
    ]


def read_critical_sample() -> list[dict[str, Any]]:
    """Every labelled report of issue 17: the recommendations issue's 403 and the new stratum."""
    new = [json.loads(x) for x in SAMPLE.read_text().splitlines() if x.strip()]
    return read_sample() + new


def show(batch: str) -> None:
    if batch not in {"critical-1", "second-3"}:
        show_followup_batch(batch)
        return
    rows = [json.loads(x) for x in SAMPLE.read_text().splitlines() if x.strip()]
    if batch == "second-3":
        rows = [r for r in rows if r["second_reading"]]
    print_reports([row["id"] for row in rows])


def _critical(item: dict[str, Any]) -> dict[str, Any]:
    if item.get("category") not in CATEGORIES:
        raise ValueError(f"unknown category {item.get('category')!r}")
    if item.get("assertion") not in ASSERTIONS:
        raise ValueError(f"assertion must be one of {sorted(ASSERTIONS)}")
    return {"category": item["category"], "assertion": item["assertion"]}


def _time(value: Any, pattern: str, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ValueError(f"{what} must be null or {pattern}: {value!r}")
    return value


def _communication(item: dict[str, Any]) -> dict[str, Any]:
    if item.get("recipient_role") not in ROLES:
        raise ValueError(f"unknown recipient_role {item.get('recipient_role')!r}")
    if item.get("method") not in METHODS:
        raise ValueError(f"unknown method {item.get('method')!r}")
    for key in ("name_present", "acknowledged"):
        if not isinstance(item.get(key), bool):
            raise ValueError(f"{key} must be true or false")
    return {
        "recipient_role": item["recipient_role"],
        "name_present": item["name_present"],
        "method": item["method"],
        "date": _time(item.get("date"), r"\d{4}-\d{2}-\d{2}", "date"),
        "time": _time(item.get("time"), r"\d{2}:\d{2}", "time"),
        "acknowledged": item["acknowledged"],
    }


def _spans(
    where: str, text: str, items: list[dict[str, Any]], read: Any
) -> tuple[list[dict[str, Any]], int]:
    spans, errors, after = [], 0, 0
    for k, item in enumerate(items):
        try:
            start, end = _locate(text, item["quote"], after, item.get("occurrence"))
            spans.append({"start": start, "end": end, **read(item)})
            after = end
        except (KeyError, ValueError) as error:
            print(f"{where} item {k + 1}: {error}", file=sys.stderr)
            errors += 1
    return spans, errors


def resolve(work: Path, reader: str, out: Path) -> int:
    texts = unsealed_reports()
    wanted = {r["id"] for r in read_critical_sample()}
    rows, errors, seen = [], 0, set()
    for n, line in enumerate(work.read_text().splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        report_id = item["id"]
        where = f"{work}:{n}: {report_id}"
        if report_id not in wanted or report_id in seen:
            print(f"{where} is not in the sample or repeated", file=sys.stderr)
            errors += 1
            continue
        seen.add(report_id)
        text = texts[report_id]["text"]
        critical, bad_c = _spans(where, text, item.get("critical_results", []), _critical)
        spoken, bad_s = _spans(where, text, item.get("communications", []), _communication)
        errors += bad_c + bad_s
        rows.append(
            {
                "id": report_id,
                "reader": reader,
                "critical_results": critical,
                "communications": spoken,
            }
        )
    rows.sort(key=lambda r: _sort_key(r["id"]))
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(
        f"{len(rows)} reports, {sum(len(r['critical_results']) for r in rows)} critical results,"
        f" {sum(len(r['communications']) for r in rows)} communications, {errors} errors -> {out}",
        file=sys.stderr,
    )
    return 1 if errors else 0


def adjudicate() -> None:
    """Reader A's labels with ``labels/critical_adjudication.json``'s drops applied."""
    decisions = json.loads((LABELS / "critical_adjudication.json").read_text())
    rows = [
        json.loads(x)
        for x in (LABELS / "critical_spans.reader_a.jsonl").read_text().splitlines()
        if x
    ]
    by_id = {r["id"]: r for r in rows}
    for drop in decisions["drop"]:
        row = by_id[drop["id"]]
        kept = [c for c in row["critical_results"] if c["start"] != drop["start"]]
        if len(kept) == len(row["critical_results"]):
            sys.exit(f"{drop['id']}: no mention starts at {drop['start']}")
        row["critical_results"] = kept
        row["reader"] = "A+adjudicated"
    out = LABELS / "critical_spans.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(decisions['drop'])} dropped mentions -> {out}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sample")
    sub.add_parser("adjudicate")
    show_parser = sub.add_parser("show")
    show_parser.add_argument("batch")
    resolve_parser = sub.add_parser("resolve")
    resolve_parser.add_argument("work", type=Path)
    resolve_parser.add_argument("--reader", required=True)
    resolve_parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "sample":
        rows = sample()
        SAMPLE.write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"{len(rows)} reports -> {SAMPLE}", file=sys.stderr)
    elif args.command == "show":
        show(args.batch)
    elif args.command == "adjudicate":
        adjudicate()
    else:
        sys.exit(resolve(args.work, args.reader, args.out))


if __name__ == "__main__":
    main()
