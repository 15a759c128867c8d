"""Generate the synthetic radfollow evaluation corpus (standard library only).

    python corpora/generate.py [--out DIR]

Writes DIR/gold/{dev,test}.jsonl, DIR/gold/{dev,test}.txt.jsonl,
DIR/gold/stats.json, DIR/hl7/{dev,test}/*.hl7 and DIR/sample/ (default DIR is
corpora/), DIR/gold/guidance.jsonl from guidance_cases.py and DIR/gold/critical.jsonl
from critical_cases.py. Everything is
drawn from one random.Random(2026), so two runs give the same bytes. See
corpora/README.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import critical_cases
import guidance_cases
import hl7out as H
import phrases as P
from compose import Plan, Span, choose_style, make_rec, render, unannotated_keywords
from exams import EXAMS
from scenarios import SCENARIOS, new_plan

SEED = 2026
SCENARIO_COUNTS = {"incidental": 131, "targeted": 60, "normal": 40, "benign": 28,
                   "historical": 22, "hypothetical": 31, "mammo": 14}
MODALITY_WEIGHT = {"CT": 3, "MR": 2, "US": 2, "XR": 2, "NM": 2, "PET": 2, "MG": 1}
FINDING_KEYS = ["type", "text", "start", "end", "assertion", "benign", "incidental",
                "incidental_reason", "size_mm", "section", "laterality", "location"]
REC_KEYS = ["text", "start", "end", "modality", "body_region", "interval_months", "conditional",
            "finding_index", "section", "alt_modalities"]
FEMALE_TYPES = {"adnexal_lesion", "breast_lesion"}


def feasible(exam: dict[str, Any], scenario: str) -> bool:
    benign_ok = any("benign" in P.FINDINGS[t] for t in exam["types"])
    return {
        "incidental": bool(exam["types"]),
        "targeted": bool(exam["targets"]),
        "normal": exam["modality"] != "MG",
        "benign": benign_ok,
        "historical": exam["loc"] != "head" and any("historical" in P.FINDINGS[t]
                                                    for t in exam["types"]),
        "hypothetical": bool(exam["types"]) or exam["loc"] == "head",
        "mammo": exam["modality"] == "MG",
    }[scenario]


def choose_exam(rng: random.Random, scenario: str) -> dict[str, Any]:
    options = [e for e in EXAMS if feasible(e, scenario)]
    return rng.choices(options, [MODALITY_WEIGHT[e["modality"]] for e in options])[0]


def compose(rng: random.Random, scenario: str, split: str) -> tuple[Plan, Any]:
    exam = choose_exam(rng, scenario)
    style = choose_style(rng, split)
    plan = new_plan(rng, exam, split)
    SCENARIOS[scenario](rng, plan, style.header_form == "none")
    if rng.random() < 0.25 and "addendum" not in plan.sections:
        plan.add("addendum", [rng.choice(P.ADDENDUM_NOTES)])
    return plan, style


def signature(rng: random.Random, charset: str) -> str | None:
    if charset == "8859/1" or rng.random() < 0.3:
        return "Electronically signed by " + rng.choice(H.RADIOLOGISTS) + "."
    return None


def to_record(rid: str, split: str, plan: Plan, style: Any, sign: str | None,
              scenario: str) -> dict[str, Any]:
    text, findings, recs = render(plan, style)
    if sign:
        text += style.section_sep + sign
    stray = unannotated_keywords(text, findings)
    if stray:
        raise ValueError(f"{rid}: finding words outside spans: {stray}\n{text}")
    if any(bad in text for bad in ("  ", " .", "..", " ,", " \n")) or text != text.strip():
        raise ValueError(f"{rid}: spacing problem\n{text}")
    known = {f["key"] for f in findings if P.KNOWN_PRIOR.search(sentence_of(text, f))}
    for f in findings:
        f["incidental_reason"] = incidental_reason(f, plan, known)
        f["incidental"] = (f["assertion"] in ("present", "possible")
                           and f["incidental_reason"] is None)
    for r in recs:
        same = [i for i, f in enumerate(findings) if f["key"] == r["key"]]
        before = [i for i in same if findings[i]["start"] < r["start"]]
        r["finding_index"] = (before or same or [None])[-1] if (before or same) else None
    clean_f = [{k: f[k] for k in FINDING_KEYS} for f in findings]
    clean_r = [{k: r[k] for k in REC_KEYS} for r in recs]
    return {
        "id": rid, "split": split, "text": text,
        "indication": plan.indication if plan.indication_in_order else None,
        "clinical_indication": plan.indication,
        "modality": plan.exam["modality"], "exam": plan.title, "scenario": scenario,
        "findings": clean_f, "recommendations": clean_r,
        "has_followup_recommendation": bool(clean_r),
        "incidental_types": sorted({f["type"] for f in clean_f if f["incidental"]}),
    }


def sentence_of(text: str, finding: dict[str, Any]) -> str:
    """The sentence holding a finding span: from the previous full stop or line to the next."""
    start = max(text.rfind(".", 0, finding["start"]), text.rfind("\n", 0, finding["start"])) + 1
    ends = [i for i in (text.find(".", finding["end"]), text.find("\n", finding["end"])) if i >= 0]
    return text[start : min(ends) if ends else len(text)]


def incidental_reason(finding: dict[str, Any], plan: Plan, known: set[str]) -> str | None:
    """Why an affirmed finding is not incidental (issue 13), first that applies; else None.

    The indication asks about its type (``indication``); it, or its repeat in the
    impression, is worded as known disease against a prior ("again seen",
    "redemonstrated": ``known_prior``); it is benign (``benign``).
    """
    if finding["assertion"] not in ("present", "possible"):
        return None
    if finding["type"] in plan.related:
        return "indication"
    if finding["key"] in known:
        return "known_prior"
    return "benign" if finding["benign"] else None


def first_rec(plan: Plan) -> tuple[list[Any], int] | None:
    for name in ("impression", "recommendation", "addendum", "findings"):
        for item in plan.sections.get(name, []):
            for sentence in item:
                for i, part in enumerate(sentence):
                    if isinstance(part, Span) and part.kind == "rec" and part.attrs["key"]:
                        return sentence, i
    return None


def finding_attrs(plan: Plan, key: str) -> dict[str, Any]:
    for items in plan.sections.values():
        for item in items:
            for sentence in item:
                for part in sentence:
                    if isinstance(part, Span) and part.kind == "finding" and \
                            part.attrs["key"] == key:
                        return part.attrs
    raise KeyError(key)


def pair_plans(rng: random.Random, kind: str, split: str) -> tuple[Plan, Plan, Any]:
    """Two versions of one report: (F, C) with a changed recommendation, or (P, F)."""
    while True:
        plan, style = compose(rng, "incidental", split)
        found = first_rec(plan)
        if found:
            break
    second = copy.deepcopy(plan)
    sentence, i = first_rec(second) or ([], 0)
    if kind == "corrected":
        old = sentence[i]
        new = make_rec(rng, second, finding_attrs(second, old.attrs["key"]), False)
        while new.text == old.text:
            new = make_rec(rng, second, finding_attrs(second, old.attrs["key"]), False)
        sentence[i] = new
        second.status_line = "CORRECTED REPORT: the recommendation has been revised."
        return plan, second, style
    first = copy.deepcopy(plan)
    target = first_rec(first)
    if target:
        target[0][target[1]] = ""
    first.status_line = "PRELIMINARY REPORT - pending attending review."
    for items in first.sections.values():
        items[:] = [[s for s in item if any(p != "" for p in s)] for item in items]
        items[:] = [item for item in items if item]
    return first, plan, style


def schedule(rng: random.Random) -> list[tuple[str, str]]:
    """(scenario, split) jobs: within each scenario 2 of every 5 go to test."""
    jobs = [(name, "test" if i % 5 in (1, 3) else "dev")
            for name, n in [*SCENARIO_COUNTS.items(), ("corrected", 4), ("preliminary", 3)]
            for i in range(n)]
    rng.shuffle(jobs)
    return jobs


def gold_hl7(rec: dict[str, Any], meta: H.Meta, path: str, supersedes: str | None) -> None:
    rec["hl7"] = {"file": path, "control_id": meta.control_id, "accession": meta.accession,
                  "patient_id": meta.patient_id, "version": meta.version,
                  "result_status": meta.status, "charset": meta.charset or None,
                  "supersedes": supersedes}


def build(rng: random.Random) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    records: list[dict[str, Any]] = []
    files: dict[str, bytes] = {}
    n = 0
    for job, split in schedule(rng):
        if job in SCENARIO_COUNTS:
            plan, style = compose(rng, job, split)
            versions = [(plan, "F")]
        else:
            a, b, style = pair_plans(rng, job, split)
            versions = [(a, "F" if job == "corrected" else "P"), (b, "C" if job == "corrected"
                                                                   else "F")]
        base_meta = None
        prev_id = None
        for plan, status in versions:
            n += 1
            rid = f"syn-{n:04d}"
            meta = H.random_meta(rng, n, plan.exam, plan.indication_in_order)
            if base_meta:
                meta.accession, meta.patient_id = base_meta.accession, base_meta.patient_id
                meta.name, meta.dob, meta.charset = base_meta.name, base_meta.dob, \
                    base_meta.charset
            meta.status = status
            rec = to_record(rid, split, plan, style, signature(rng, meta.charset),
                            job if job in SCENARIO_COUNTS else f"incidental-{job}")
            if {f["type"] for f in rec["findings"]} & FEMALE_TYPES or \
                    plan.exam["key"] in ("us_pelvis", "mr_pelvis"):
                meta.sex = "F"
            if plan.exam["key"] == "nm_bone":
                meta.sex = "M"
            path = f"corpora/hl7/{split}/{rid}.hl7"
            msg = H.oru_message(meta, rec["text"], plan.indication if plan.indication_in_order
                                else None, rng)
            files[path] = H.encode(msg, meta.charset)
            gold_hl7(rec, meta, path, prev_id)
            records.append(rec)
            base_meta, prev_id = base_meta or meta, rid
    return records, files


def sample_files(records: list[dict[str, Any]], files: dict[str, bytes],
                 rng: random.Random) -> dict[str, Any]:
    dev = [r for r in records if r["split"] == "dev"]
    corrected = next(r for r in dev if r["hl7"]["result_status"] == "C")
    original = next(r for r in dev if r["id"] == corrected["hl7"]["supersedes"])
    singles = [r for r in dev if r["hl7"]["result_status"] == "F" and
               not r["hl7"]["supersedes"] and r["id"] != original["id"]]
    chosen = [original, *rng.sample(singles, 7)]
    rest = [r for r in singles if r not in chosen and r["hl7"]["charset"] != "8859/1"]
    out: dict[str, bytes] = {}
    for r in chosen:
        out[f"{r['id']}.hl7"] = files[r["hl7"]["file"]]
    out[f"{corrected['id']}-corrected.hl7"] = files[corrected["hl7"]["file"]]
    mllp_recs, batch_recs = rest[:3], rest[3:6]
    out["stream.mllp.hl7"] = H.mllp([files[r["hl7"]["file"]].replace(b"\r\n", b"\r")
                                     .replace(b"\n", b"\r") for r in mllp_recs])
    batch_msgs = [files[r["hl7"]["file"]].decode("latin-1").replace("\r\n", "\r")
                  .replace("\n", "\r") for r in batch_recs]
    batch_msgs.insert(1, H.adt_message("\r"))
    out["batch.fhs.hl7"] = H.batch_file(batch_msgs, "\r").encode("latin-1")
    out["garbage.hl7"] = "".join(rng.choice("abcdefghij klmnop\n0123456789,.;")
                                 for _ in range(400)).encode("ascii")
    oru = [r["id"] for r in chosen] + [corrected["id"]] + [r["id"] for r in mllp_recs] + \
        [r["id"] for r in batch_recs]
    expected = {
        "oru_reports": len(oru), "bundles": len(oru), "rejected": 2,
        "rejected_inputs": [{"file": "batch.fhs.hl7", "position": 2, "reason": "ADT^A01"},
                            {"file": "garbage.hl7", "position": None, "reason": "not HL7"}],
        "report_ids": oru,
        "files": {"single": sorted(f"{r['id']}.hl7" for r in chosen),
                  "corrected": f"{corrected['id']}-corrected.hl7",
                  "corrected_accession": corrected["hl7"]["accession"],
                  "mllp": {"file": "stream.mllp.hl7", "messages": 3},
                  "batch": {"file": "batch.fhs.hl7", "oru_messages": 3, "adt_messages": 1}},
    }
    out["EXPECTED.json"] = (json.dumps(expected, indent=2) + "\n").encode("utf-8")
    return out


def stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in ("dev", "test"):
        rs = [r for r in records if r["split"] == split]
        fs = [f for r in rs for f in r["findings"]]
        out[split] = {
            "reports": len(rs),
            "with_recommendation": sum(r["has_followup_recommendation"] for r in rs),
            "recommendations": sum(len(r["recommendations"]) for r in rs),
            "modality": dict(sorted(Counter(r["modality"] for r in rs).items())),
            "finding_type": dict(sorted(Counter(f["type"] for f in fs).items())),
            "assertion": dict(sorted(Counter(f["assertion"] for f in fs).items())),
            "incidental_mentions": sum(f["incidental"] for f in fs),
            "benign_mentions": sum(f["benign"] for f in fs),
            "rec_modality": dict(sorted(Counter(str(x["modality"]) for r in rs
                                                for x in r["recommendations"]).items())),
            "result_status": dict(sorted(Counter(r["hl7"]["result_status"] for r in rs).items())),
        }
    return out


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def write_all(out: Path) -> dict[str, Any]:
    rng = random.Random(SEED)
    records, files = build(rng)
    sample = sample_files(records, files, rng)
    for sub in ("gold", "hl7", "sample"):
        shutil.rmtree(out / sub, ignore_errors=True)
    for split in ("dev", "test"):
        rows = [r for r in records if r["split"] == split]
        write(out / "gold" / f"{split}.jsonl", jsonl(rows))
        txt = [{"id": r["id"], "text": r["text"], "indication": r["indication"]} for r in rows]
        write(out / "gold" / f"{split}.txt.jsonl", jsonl(txt))
    for path, data in files.items():
        write(out / Path(path).relative_to("corpora"), data)
    expected = sample.pop("EXPECTED.json")
    for name, data in sample.items():
        write(out / "sample" / name, data)
    # Beside the folder, not in it: every file in sample/ is an HL7 input.
    write(out / "sample.expected.json", expected)
    guidance_cases.write(out / "gold" / "guidance.jsonl")  # its own cases, not drawn from rng
    critical_cases.write(out / "gold" / "critical.jsonl")  # likewise (issue 17)
    summary = stats(records)
    write(out / "gold" / "stats.json", (json.dumps(summary, indent=2) + "\n").encode("utf-8"))
    return summary


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    summary = write_all(args.out)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
