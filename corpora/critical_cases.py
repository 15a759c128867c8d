"""Generate corpora/gold/critical.jsonl: synthetic reports with gold critical results and
documented communications.

    python corpora/critical_cases.py [--out FILE] [--rules radfollow/rules/critical.json]

Issue 17: for every category of radfollow/rules/critical.json, reports that affirm it
in several wordings and reports that do not (negated, historical, not new,
expected, excluded), and documented communications in every method and role, with
future and consent wording that is not communication. Written here by hand as data
(no real report text); ``[[c:category:assertion|phrase]]`` marks a gold critical
mention and ``[[m:role:method:HH:MM-or-none:ack|sentence]]`` a gold communication;
the marks are removed from the text written. Standard library only; the same bytes
every run. Refuses to write when a category has no positive or no negative case.
"""

# ruff: noqa: E501  (the case table keeps one report per line, readable as a table)
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RULES = HERE.parent / "radfollow" / "rules" / "critical.json"
OUT = HERE / "gold" / "critical.jsonl"

#: (id, text). Headers start lines, as in real reports.
CASES: list[tuple[str, str]] = [
    # --- pneumothorax
    ("crit-ptx-1", "EXAM: Chest radiograph.\nFINDINGS:\nThere is a [[c:pneumothorax:present|moderate right pneumothorax]] with 2 cm apical separation.\nIMPRESSION:\n[[c:pneumothorax:present|Moderate right pneumothorax]].\n"),
    ("crit-ptx-2", "EXAM: CT chest.\nIMPRESSION:\n1. Interval increase in the [[c:pneumothorax:present|left pneumothorax]], now large.\n"),
    ("crit-ptx-3", "EXAM: Chest radiograph.\nIMPRESSION:\n[[c:pneumothorax:possible|Possible small left apical pneumothorax]]; expiratory view may help.\n"),
    ("crit-ptx-n1", "EXAM: Chest radiograph.\nFINDINGS:\nNo pleural effusion or pneumothorax.\nIMPRESSION:\nNo acute cardiopulmonary process.\n"),
    ("crit-ptx-n2", "EXAM: Chest radiograph.\nIMPRESSION:\nTiny residual right apical pneumothorax, decreased from yesterday.\n"),
    ("crit-ptx-n3", "HISTORY: Pneumothorax, follow-up after chest tube removal.\nFINDINGS:\nLungs are clear.\nIMPRESSION:\nResolved right pneumothorax.\n"),
    # --- pneumoperitoneum
    ("crit-air-1", "EXAM: Upright abdomen radiograph.\nIMPRESSION:\n[[c:pneumoperitoneum:present|Free intraperitoneal air]] beneath both hemidiaphragms, concerning for perforated viscus.\n"),
    ("crit-air-2", "EXAM: CT abdomen and pelvis.\nFINDINGS:\nThere is [[c:pneumoperitoneum:present|pneumoperitoneum]] adjacent to the sigmoid colon.\n"),
    ("crit-air-n1", "EXAM: CT abdomen.\nIMPRESSION:\nSmall amount of free air, expected after laparoscopic cholecystectomy two days ago.\n"),
    ("crit-air-n2", "EXAM: Upright chest radiograph.\nFINDINGS:\nNo free air under the diaphragm.\n"),
    # --- aortic emergency
    ("crit-aorta-1", "EXAM: CTA chest.\nIMPRESSION:\n[[c:aortic_emergency:present|Stanford type A dissection]] involving the ascending aorta.\n"),
    ("crit-aorta-2", "EXAM: CT abdomen.\nIMPRESSION:\n[[c:aortic_emergency:present|Ruptured abdominal aortic aneurysm]] with retroperitoneal hematoma.\n"),
    ("crit-aorta-n1", "EXAM: CTA chest.\nIMPRESSION:\nNo evidence of aortic dissection or intramural hematoma.\n"),
    # --- pulmonary embolism
    ("crit-pe-1", "EXAM: CTA chest.\nIMPRESSION:\n[[c:pulmonary_embolism:present|Filling defects in the right and left lower lobe pulmonary arteries]], consistent with acute [[c:pulmonary_embolism:present|pulmonary emboli]].\n"),
    ("crit-pe-2", "EXAM: CTA chest.\nIMPRESSION:\n[[c:pulmonary_embolism:present|Saddle embolus]] with right heart strain.\n"),
    ("crit-pe-n1", "EXAM: CTA chest.\nINDICATION: Shortness of breath, rule out pulmonary embolism.\nIMPRESSION:\nNo pulmonary embolism.\n"),
    ("crit-pe-n2", "EXAM: CTA CHEST PULMONARY EMBOLISM PROTOCOL\nIMPRESSION:\nNo acute findings.\n"),
    # --- intracranial hemorrhage
    ("crit-ich-1", "EXAM: CT head without contrast.\nIMPRESSION:\n[[c:intracranial_hemorrhage:present|Acute right subdural hematoma]] measuring 9 mm.\n"),
    ("crit-ich-2", "EXAM: CT head.\nFINDINGS:\nThere is [[c:intracranial_hemorrhage:present|subarachnoid hemorrhage]] in the basal cisterns.\n"),
    ("crit-ich-n1", "EXAM: CT head.\nIMPRESSION:\nNo acute intracranial hemorrhage, mass effect or midline shift.\n"),
    ("crit-ich-n2", "EXAM: CT head.\nIMPRESSION:\nChronic left subdural hematoma, unchanged from the prior study.\n"),
    # --- brain herniation
    ("crit-hern-1", "EXAM: CT head.\nIMPRESSION:\nLarge left hemispheric hematoma with 11 mm of [[c:brain_herniation:present|midline shift]] and [[c:brain_herniation:present|subfalcine herniation]].\n"),
    ("crit-hern-n1", "EXAM: MRI brain.\nIMPRESSION:\nChiari I malformation with 6 mm tonsillar herniation, stable.\n"),
    # --- acute stroke
    ("crit-stroke-1", "EXAM: MRI brain.\nIMPRESSION:\n[[c:acute_stroke:present|Acute infarct]] in the left middle cerebral artery territory.\n"),
    ("crit-stroke-2", "EXAM: CT head.\nFINDINGS:\n[[c:acute_stroke:present|Hyperdense MCA]] on the right.\n"),
    ("crit-stroke-n1", "EXAM: MRI brain.\nIMPRESSION:\nNo acute infarct. Chronic small vessel ischemic change.\n"),
    ("crit-stroke-n2", "HISTORY: Acute myocardial infarction.\nEXAM: Chest radiograph.\nIMPRESSION:\nMild cardiomegaly.\n"),
    # --- misplaced device
    ("crit-tube-1", "EXAM: Portable chest.\nIMPRESSION:\n[[c:misplaced_device:present|Endotracheal tube tip in the right mainstem bronchus]]; recommend withdrawal by 3 cm.\n"),
    ("crit-tube-2", "EXAM: Abdomen radiograph for tube placement.\nIMPRESSION:\n[[c:misplaced_device:present|Feeding tube courses into the left lower lobe bronchus]].\n"),
    ("crit-tube-n1", "EXAM: Portable chest.\nIMPRESSION:\nEndotracheal tube tip 5 cm above the carina. Enteric tube in the stomach.\n"),
    # --- ectopic pregnancy
    ("crit-ectopic-1", "EXAM: Pelvic ultrasound.\nIMPRESSION:\nNo intrauterine gestation. Right adnexal mass with free fluid, compatible with [[c:ectopic_pregnancy:present|ectopic pregnancy]].\n"),
    ("crit-ectopic-n1", "EXAM: Pelvic ultrasound.\nIMPRESSION:\nSingle live intrauterine pregnancy. No evidence of ectopic pregnancy.\n"),
    # --- torsion
    ("crit-torsion-1", "EXAM: Scrotal ultrasound.\nIMPRESSION:\nNo flow to the left testis: [[c:torsion:present|testicular torsion]].\n"),
    ("crit-torsion-2", "EXAM: Pelvic ultrasound.\nIMPRESSION:\nEnlarged right ovary without arterial flow, suspicious for [[c:torsion:possible|ovarian torsion]].\n"),
    ("crit-torsion-n1", "EXAM: Scrotal ultrasound.\nIMPRESSION:\nSymmetric flow to both testes. No evidence of testicular torsion.\n"),
    # --- cord compression
    ("crit-cord-1", "EXAM: MRI thoracic spine.\nIMPRESSION:\nPathologic T8 fracture with retropulsion and [[c:cord_compression:present|cord compression]].\n"),
    ("crit-cord-n1", "EXAM: MRI lumbar spine.\nIMPRESSION:\nMild disc bulge at L4-5 without cord compression.\n"),
    # --- deep vein thrombosis
    ("crit-dvt-1", "EXAM: Left lower extremity venous duplex.\nIMPRESSION:\n[[c:deep_vein_thrombosis:present|Occlusive thrombus within the left common femoral vein]].\n"),
    ("crit-dvt-2", "EXAM: Right upper extremity venous duplex.\nIMPRESSION:\n[[c:deep_vein_thrombosis:present|Deep venous thrombosis]] of the right subclavian vein.\n"),
    ("crit-dvt-n1", "EXAM: Bilateral lower extremity venous duplex.\nIMPRESSION:\nNo deep venous thrombosis.\n"),
    # --- suspected malignancy
    ("crit-mal-1", "EXAM: CT chest.\nIMPRESSION:\n3 cm spiculated right upper lobe mass, [[c:suspected_malignancy:possible|highly suspicious for primary bronchogenic carcinoma]].\n"),
    ("crit-mal-2", "EXAM: CT abdomen.\nINDICATION: Abdominal pain.\nIMPRESSION:\n[[c:suspected_malignancy:present|Multiple new hepatic metastases]].\n"),
    ("crit-mal-3", "EXAM: Diagnostic mammogram.\nIMPRESSION:\nIrregular spiculated mass in the left breast. [[c:suspected_malignancy:possible|BI-RADS 5]].\n"),
    ("crit-mal-n1", "EXAM: CT chest.\nINDICATION: Staging of known lung adenocarcinoma.\nIMPRESSION:\nRight upper lobe mass suspicious for malignancy, as known.\n"),
    ("crit-mal-n2", "EXAM: Thyroid ultrasound.\nIMPRESSION:\nSpongiform nodules, not suspicious for malignancy.\n"),
    # --- communications
    ("comm-1", "EXAM: Chest radiograph.\nIMPRESSION:\n[[c:pneumothorax:present|Large left pneumothorax]].\n\n[[m:physician:phone:14:10:yes|These findings were discussed with Dr. Rivera by telephone at 2:10 p.m., who read back the results.]]\n"),
    ("comm-2", "EXAM: CT head.\nIMPRESSION:\n[[c:intracranial_hemorrhage:present|Acute epidural hematoma]].\n\n[[m:emergency_provider:page:21:45:no|The emergency department physician was paged at 2145 hours.]]\n"),
    ("comm-3", "EXAM: CTA chest.\nIMPRESSION:\n[[c:pulmonary_embolism:present|Acute pulmonary embolism]].\n\n[[m:ordering_provider:unknown:none:no|Results were communicated to the ordering clinician.]]\n"),
    ("comm-4", "EXAM: Portable chest.\nIMPRESSION:\n[[c:misplaced_device:present|Endotracheal tube tip in the right mainstem bronchus]].\n\n[[m:nurse:in_person:none:yes|I discussed the finding in person with the patient's nurse, who acknowledged it.]]\n"),
    ("comm-5", "EXAM: CT abdomen.\nIMPRESSION:\n[[c:pneumoperitoneum:present|Pneumoperitoneum]].\n\n[[m:other:results_system:none:no|Critical result notification documented through the results notification system.]]\n"),
    ("comm-6", "EXAM: CT chest.\nIMPRESSION:\n[[c:suspected_malignancy:possible|Mass concerning for malignancy]].\n\n[[m:ordering_provider:secure_message:none:no|The findings were sent to the referring physician by secure message.]]\n"),
    ("comm-n1", "EXAM: CT head.\nIMPRESSION:\n[[c:intracranial_hemorrhage:present|Acute subdural hematoma]].\n\nThese results will be called to the ordering physician.\n"),
    ("comm-n2", "EXAM: Chest radiograph.\nIMPRESSION:\n[[c:pneumothorax:present|New right pneumothorax]].\n\nPlease page the radiologist with questions.\n"),
    ("comm-n3", "EXAM: CT-guided lung biopsy.\nFINDINGS:\nThe patient was informed of the risks, benefits and alternatives, and consent was obtained.\nIMPRESSION:\nNo complication.\n"),
    ("comm-n4", "EXAM: Chest radiograph.\nIMPRESSION:\nNo acute findings. As discussed above, the heart is normal in size.\n"),
]

_MARK = re.compile(r"\[\[(c|m):([^|\]]+)\|([^\]]+)\]\]")


def parse(case_id: str, marked: str) -> dict[str, Any]:
    """The report text without marks and its gold labels with character offsets."""
    text, critical, communications = "", [], []
    last = 0
    for match in _MARK.finditer(marked):
        text += marked[last : match.start()]
        start = len(text)
        text += match.group(3)
        end = len(text)
        fields = match.group(2).split(":")
        if match.group(1) == "c":
            critical.append({"start": start, "end": end, "category": fields[0], "assertion": fields[1]})
        else:
            role, method, *clock, ack = fields
            time = None if clock == ["none"] else ":".join(clock)
            communications.append(
                {"start": start, "end": end, "recipient_role": role, "method": method,
                 "time": time, "acknowledged": ack == "yes"}
            )  # fmt: skip
        last = match.end()
    text += marked[last:]
    return {"id": case_id, "text": text, "critical_results": critical, "communications": communications}


def check(rows: list[dict[str, Any]], rules: Path) -> list[str]:
    """Categories of ``rules`` without a positive or without a negative case."""
    categories = [c["id"] for c in json.loads(rules.read_text())["categories"]]
    positive = {c["category"] for r in rows for c in r["critical_results"]}
    negatives = {r["id"].split("-")[1] for r in rows if r["id"].split("-")[-1].startswith("n")}
    prefixes = {
        "pneumothorax": "ptx", "pneumoperitoneum": "air", "aortic_emergency": "aorta",
        "pulmonary_embolism": "pe", "intracranial_hemorrhage": "ich", "brain_herniation": "hern",
        "acute_stroke": "stroke", "misplaced_device": "tube", "ectopic_pregnancy": "ectopic",
        "torsion": "torsion", "cord_compression": "cord", "deep_vein_thrombosis": "dvt",
        "suspected_malignancy": "mal",
    }  # fmt: skip
    missing = [f"{c}: no positive case" for c in categories if c not in positive]
    missing += [f"{c}: no negative case" for c in categories if prefixes.get(c) not in negatives]
    return missing


def write(out: Path = OUT, rules: Path = RULES) -> None:
    rows = [parse(case_id, marked) for case_id, marked in CASES]
    problems = check(rows, rules)
    if problems:
        sys.exit("critical gold incomplete: " + "; ".join(problems))
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--rules", type=Path, default=RULES)
    args = parser.parse_args()
    write(args.out, args.rules)
    print(f"{len(CASES)} reports -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
