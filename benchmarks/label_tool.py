"""Blind labelling of follow-up recommendations on ../shared reports (ids and offsets only).

    python benchmarks/label_tool.py sample            # (re)write labels/followup_sample.jsonl
    python benchmarks/label_tool.py show BATCH        # print a batch's reports for a reader
    python benchmarks/label_tool.py resolve WORK.jsonl --reader A --out OUT.jsonl

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
another) and writes labels without any report text. Sealed ids are refused
everywhere.
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
BATCH_SIZE = {"mtsamples": 49, "openi": 105}


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


def _group(stratum: str) -> str:
    if stratum.startswith("mt"):
        return "mtsamples"
    return "openi-keyword" if "keyword" in stratum else "openi-random"


def read_sample() -> list[dict[str, Any]]:
    return [json.loads(x) for x in SAMPLE.read_text().splitlines() if x.strip()]


def show(batch: str) -> None:
    rows = read_sample()
    if batch.startswith("second-"):
        k = int(batch.split("-")[1])
        chosen = [r for r in rows if r["second_reading"]]
        size = (len(chosen) + 1) // 2
        chosen = chosen[(k - 1) * size : k * size]
    else:
        chosen = [r for r in rows if r["batch"] == batch]
    if not chosen:
        sys.exit(f"no reports in batch {batch!r}")
    texts = unsealed_reports()
    for row in chosen:
        text = texts[row["id"]]["text"]
        print(f"=================== {row['id']}  ({len(text)} chars)")
        offset = 0
        for line in text.split("\n"):
            print(f"[{offset:5d}] {line}")
            offset += len(line) + 1
    print(f"=================== {len(chosen)} reports", file=sys.stderr)


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


def resolve(work: Path, reader: str, out: Path) -> int:
    texts = unsealed_reports()
    wanted = {r["id"] for r in read_sample()}
    errors = 0
    rows = []
    for n, line in enumerate(work.read_text().splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        report_id = item["id"]
        if report_id not in wanted:
            print(f"{work}:{n}: {report_id} is not in the sample", file=sys.stderr)
            errors += 1
            continue
        text = texts[report_id]["text"]
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
                print(f"{work}:{n}: {report_id} recommendation {k + 1}: {error}", file=sys.stderr)
                errors += 1
        rows.append(
            {
                "id": report_id,
                "reader": reader,
                "has_followup_recommendation": bool(recs),
                "recommendations": recs,
            }
        )
    rows.sort(key=lambda r: _sort_key(r["id"]))
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(
        f"{len(rows)} reports, {sum(len(r['recommendations']) for r in rows)} recommendations,"
        f" {errors} errors -> {out}",
        file=sys.stderr,
    )
    return 1 if errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sample")
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
    else:
        sys.exit(resolve(args.work, args.reader, args.out))


if __name__ == "__main__":
    main()
