"""Generate corpora/gold/guidance.jsonl: synthetic reports with gold guidance and checks.

    python corpora/guidance_cases.py [--out FILE] [--rules radfollow/rules/guidance.json]

Issue 16: one or more reports for every band of every guideline in
radfollow/rules/guidance.json, every exclusion, every concordance value and every
report check, with negative cases. The reports are written here by hand as data
(no real report text); ``[[label:phrase]]`` marks a gold finding (``f...``) or
recommendation (``r...``) span, and the marks are removed from the text written.
Standard library only; the output is the same bytes every run. ``generate.py``
calls :func:`write` too, so regenerating the corpus keeps this file. The script
refuses to write when a band or exclusion of guidance.json has no case.
See corpora/README.md ("Guidance gold").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RULES = HERE.parent / "radfollow" / "rules" / "guidance.json"
OUT = HERE / "gold" / "guidance.jsonl"
NOT_INCIDENTAL = "not incidental"

# --- case tables --------------------------------------------------------------------


@dataclass(frozen=True)
class F:
    """A gold finding mention: type, assertion, incidental (else incidental_reason)."""

    type: str
    assertion: str = "present"
    incidental: bool = True
    benign: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class R:
    """A gold recommendation: modality (and alternatives), interval, linked finding."""

    modality: str | None
    interval: tuple[float, float] | None = None
    finding: str | None = None
    region: str | None = None
    conditional: bool = False
    alt: tuple[str, ...] = ()


@dataclass(frozen=True)
class G:
    """A gold guidance item. Not applicable: band None and ``reason`` a phrase of the
    guideline's not_applicable reason (or 'not incidental', or the exclude_reason);
    band None without a reason: the guideline applies but an input (size) is missing."""

    finding: str
    guideline: str
    band: str | None
    concordance: str | None = None
    missing: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    meta: dict[str, Any]
    findings_text: str
    impression: str
    findings: dict[str, F]
    guidance: tuple[G, ...]
    recs: dict[str, R] = field(default_factory=dict)
    checks: tuple[str, ...] = ()
    indication_text: str | None = None  # an INDICATION line differing from meta's


def exam(
    procedure: str,
    modality: str,
    *,
    age: float | None = None,
    sex: str | None = None,
    indication: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The metadata of one report (ReportContext.of_metadata's keys)."""
    meta: dict[str, Any] = {"modality": modality, "procedure": procedure}
    if age is not None:
        meta["age"] = age
    if sex is not None:
        meta["sex"] = sex
    meta["indication"] = indication
    meta.update(extra)
    return meta


def chest(age: float | None = 62, sex: str | None = "F", indication: str = "Cough.", **kw: Any):
    return exam("CT CHEST WITHOUT CONTRAST", "CT", age=age, sex=sex, indication=indication, **kw)


def abdomen(age: float | None = 58, sex: str | None = "M", indication: str = "Abdominal pain."):
    return exam("CT ABDOMEN PELVIS WITH CONTRAST", "CT", age=age, sex=sex, indication=indication)


def neck(age: float | None = 52, sex: str | None = "F", indication: str = "Neck pain."):
    return exam("CT NECK SOFT TISSUE WITH CONTRAST", "CT", age=age, sex=sex, indication=indication)


def pelvis_us(age: float | None, indication: str = "Abnormal uterine bleeding."):
    return exam("US PELVIS TRANSVAGINAL", "US", age=age, sex="F", indication=indication)


NODULE = F("pulmonary_nodule")
BENIGN_ADRENAL = F("adrenal_nodule", incidental=False, benign=True, reason="benign")
BENIGN_RENAL = F("renal_lesion", incidental=False, benign=True, reason="benign")
SIMPLE_CYST = F("adnexal_lesion", incidental=False, benign=True, reason="benign")
BENIGN_NODULE = F("pulmonary_nodule", incidental=False, benign=True, reason="benign")
ABSENT_NODES = F("lymphadenopathy", assertion="absent", incidental=False)
NOT_INC = F("pulmonary_nodule", incidental=False, reason="indication")
FL = "fleischner"
TH, AD, RE, LI, PA, AA, AX = (
    "acr-thyroid",
    "acr-adrenal",
    "acr-renal",
    "acr-liver",
    "acr-pancreatic-cyst",
    "svs-aaa",
    "sru-adnexal",
)

CASES: tuple[Case, ...] = (
    # --- Fleischner 2017 ----------------------------------------------------------
    Case(
        "gd-fl-01",
        chest(),
        "A [[f1:5 mm calcified nodule in the left lower lobe]], consistent with a granuloma."
        " No pleural effusion.",
        "[[f2:Calcified granuloma]]. No acute findings.",
        {"f1": BENIGN_NODULE, "f2": BENIGN_NODULE},
        (G("f1", FL, "calcified or benign", "concordant"),),
    ),
    Case(
        "gd-fl-02",
        chest(age=58, sex="M"),
        "A [[f1:6 mm perifissural nodule along the right minor fissure]] is benign. The heart"
        " is normal in size.",
        "Benign [[f2:perifissural nodule]]. No follow-up is needed.",
        {"f1": BENIGN_NODULE, "f2": BENIGN_NODULE},
        (G("f1", FL, "benign", "concordant", ("composition",)),),
    ),
    Case(
        "gd-fl-03",
        chest(indication="Chest pain. Low-risk patient, never smoker."),
        "A [[f1:4 mm solid nodule in the right upper lobe]]. No consolidation.",
        "[[f2:4 mm right upper lobe nodule]]. No routine follow-up is recommended.",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, single, <6 mm", "concordant"),),
    ),
    Case(
        "gd-fl-04",
        chest(age=67, sex="M", indication="Dyspnea. 40 pack-year smoking history."),
        "A [[f1:5 mm solid nodule in the left upper lobe]]. Mild emphysema.",
        "[[f2:5 mm left upper lobe nodule]]. [[r1:Optional follow-up CT chest in 12 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, single, <6 mm", "concordant"),),
        {"r1": R("CT", (12, 12), "f2", "chest", conditional=True)},
    ),
    Case(
        "gd-fl-05",
        chest(age=51, sex="F", indication="Rib pain after a fall."),
        "A [[f1:3 mm solid nodule in the right lower lobe]]. No rib fracture.",
        "No acute fracture. [[f2:3 mm right lower lobe nodule]].",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, single, <6 mm", "concordant", ("risk",)),),
    ),
    Case(
        "gd-fl-06",
        chest(age=55, sex="F", indication="Cough. Low-risk patient."),
        "A [[f1:7 mm solid nodule in the right upper lobe]]. No pleural effusion.",
        "[[f2:7 mm right upper lobe nodule]]. [[r1:Recommend follow-up CT chest in 6-12 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, single, 6-8 mm", "concordant"),),
        {"r1": R("CT", (6, 12), "f2", "chest")},
    ),
    Case(
        "gd-fl-07",
        chest(age=70, sex="M", indication="Hemoptysis. Heavy smoker."),
        "A [[f1:8 mm solid nodule in the left lower lobe]]. No [[f3:lymphadenopathy]].",
        "[[f2:8 mm left lower lobe nodule]]. [[r1:Recommend follow-up CT chest in 3 months.]]",
        {"f1": NODULE, "f2": NODULE, "f3": ABSENT_NODES},
        (G("f1", FL, "solid, single, 6-8 mm", "discordant"),),
        {"r1": R("CT", (3, 3), "f2", "chest")},
    ),
    Case(
        "gd-fl-08",
        chest(age=64, sex="F"),
        "A [[f1:12 mm solid nodule in the right middle lobe]] with spiculated margins.",
        "[[f2:12 mm spiculated right middle lobe nodule]]. [[r1:PET/CT is recommended for"
        " further evaluation.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, single, >8 mm", "concordant"),),
        {"r1": R("PET", None, "f2")},
    ),
    Case(
        "gd-fl-09",
        chest(age=73, sex="M", indication="Weight loss."),
        "A [[f1:15 mm solid nodule in the left upper lobe]]. No pleural effusion.",
        "[[f2:15 mm left upper lobe nodule]].",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, single, >8 mm", "missing"),),
    ),
    Case(
        "gd-fl-10",
        chest(age=48, sex="F", indication="Cough. Low-risk patient."),
        "[[f1:Multiple solid nodules in both lungs, the largest 4 mm]]. No effusion.",
        "[[f2:Multiple small solid pulmonary nodules]]. Per Fleischner guidelines, no"
        " follow-up imaging is recommended.",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, multiple, <6 mm", "concordant"),),
    ),
    Case(
        "gd-fl-11",
        chest(age=66, sex="M", indication="Dyspnea. 30 pack-year smoking history."),
        "[[f1:Multiple solid nodules in both lungs, the largest 5 mm]].",
        "[[f2:Multiple small solid pulmonary nodules]]. [[r1:Recommend follow-up CT chest"
        " in 1 year.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, multiple, <6 mm", "concordant"),),
        {"r1": R("CT", (12, 12), "f2", "chest")},
    ),
    Case(
        "gd-fl-12",
        chest(age=59, sex="F"),
        "[[f1:Several solid nodules in the right lung, the largest 7 mm]].",
        "[[f2:Several right lung nodules]]. [[r1:Recommend follow-up CT chest in 3-6 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, multiple, 6-8 mm", "concordant"),),
        {"r1": R("CT", (3, 6), "f2", "chest")},
    ),
    Case(
        "gd-fl-13",
        chest(age=61, sex="M"),
        "[[f1:Multiple solid nodules in the left lung, the largest 10 mm]].",
        "[[f2:Multiple left lung nodules]]. [[r1:Recommend follow-up CT chest in 12 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "solid, multiple, >8 mm", "discordant"),),
        {"r1": R("CT", (12, 12), "f2", "chest")},
    ),
    Case(
        "gd-fl-14",
        chest(age=57, sex="F"),
        "A [[f1:4 mm ground-glass nodule in the right upper lobe]].",
        "[[f2:4 mm ground-glass nodule]]. [[r1:Recommend follow-up CT chest in 12 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "ground-glass, single, <6 mm", "unnecessary"),),
        {"r1": R("CT", (12, 12), "f2", "chest")},
    ),
    Case(
        "gd-fl-15",
        chest(age=63, sex="M"),
        "A [[f1:9 mm ground-glass nodule in the left upper lobe]].",
        "[[f2:9 mm ground-glass nodule]]. [[r1:Recommend follow-up CT chest in 6-12 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "ground-glass, single, >=6 mm", "concordant"),),
        {"r1": R("CT", (6, 12), "f2", "chest")},
    ),
    Case(
        "gd-fl-16",
        chest(age=69, sex="F"),
        "A [[f1:5 mm part-solid nodule in the right lower lobe]].",
        "[[f2:5 mm part-solid nodule]]. Per Fleischner guidelines, no follow-up imaging is"
        " recommended.",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "part-solid, single, <6 mm", "concordant"),),
    ),
    Case(
        "gd-fl-17",
        chest(age=72, sex="M"),
        "A [[f1:11 mm part-solid nodule in the left lower lobe]].",
        "[[f2:11 mm part-solid nodule]]. [[r1:Recommend follow-up CT chest in 3-6 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "part-solid, single, >=6 mm", "concordant"),),
        {"r1": R("CT", (3, 6), "f2", "chest")},
    ),
    Case(
        "gd-fl-18",
        chest(age=60, sex="F"),
        "[[f1:Multiple ground-glass nodules in both lungs, the largest 5 mm]].",
        "[[f2:Multiple ground-glass nodules]].",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "subsolid, multiple, <6 mm", "missing"),),
    ),
    Case(
        "gd-fl-19",
        chest(age=65, sex="M"),
        "[[f1:Multiple ground-glass nodules in both lungs, the largest 8 mm]].",
        "[[f2:Multiple ground-glass nodules]]. [[r1:Recommend follow-up CT chest in 3 months.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, "subsolid, multiple, >=6 mm", "concordant"),),
        {"r1": R("CT", (3, 3), "f2", "chest")},
    ),
    # Fleischner exclusions
    Case(
        "gd-fl-20",
        exam(
            "CT CHEST LOW DOSE LUNG SCREENING",
            "CT",
            age=64,
            sex="M",
            indication="Lung cancer screening.",
        ),
        "A [[f1:5 mm solid nodule in the right upper lobe]].",
        "[[f2:5 mm right upper lobe nodule]]. Lung-RADS 2.",
        {"f1": NOT_INC, "f2": NOT_INC},
        (G("f1", FL, None, reason="screening"),),
    ),
    Case(
        "gd-fl-21",
        chest(age=29, sex="F", indication="Chest pain."),
        "A [[f1:6 mm solid nodule in the left lower lobe]].",
        "[[f2:6 mm left lower lobe nodule]].",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, None, reason="younger than 35"),),
    ),
    Case(
        "gd-fl-22",
        chest(age=68, sex="F", indication="Cough. History of breast cancer."),
        "A [[f1:7 mm solid nodule in the right lower lobe]].",
        "[[f2:7 mm right lower lobe nodule]].",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, None, reason="known cancer"),),
    ),
    Case(
        "gd-fl-23",
        chest(age=50, sex="M", indication="Fever. Renal transplant recipient."),
        "A [[f1:6 mm solid nodule in the left upper lobe]].",
        "[[f2:6 mm left upper lobe nodule]].",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, None, reason="immunosuppressed"),),
    ),
    Case(
        "gd-fl-24",
        exam("XR CHEST 2 VIEWS", "XR", age=71, sex="M", indication="Cough."),
        "A [[f1:9 mm nodule in the right upper lobe]]. No consolidation.",
        "[[f2:9 mm right upper lobe nodule]]. [[r1:Recommend CT chest for further evaluation.]]",
        {"f1": NODULE, "f2": NODULE},
        (G("f1", FL, None, reason="not a CT exam"),),
        {"r1": R("CT", None, "f2", "chest")},
    ),
    Case(
        "gd-fl-25",
        chest(age=66, sex="F", indication="Follow-up of pulmonary nodule."),
        "The [[f1:8 mm solid nodule in the right upper lobe]] is unchanged.",
        "Stable [[f2:8 mm right upper lobe nodule]].",
        {"f1": NOT_INC, "f2": NOT_INC, "i1": NOT_INC},
        (G("f1", FL, None, reason=NOT_INCIDENTAL),),
        indication_text="Follow-up of [[i1:pulmonary nodule]].",
    ),
    # --- ACR thyroid 2015 ---------------------------------------------------------
    Case(
        "gd-th-01",
        neck(age=47),
        "A [[f1:1.2 cm left thyroid nodule]] with extrathyroidal extension and [[f3:enlarged"
        " cervical lymph nodes]].",
        "[[f2:Left thyroid nodule]] with suspicious features. [[r1:Recommend thyroid ultrasound.]]",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule"), "f3": F("lymphadenopathy")},
        (G("f1", TH, "suspicious features", "concordant"),),
        {"r1": R("US", None, "f2", "thyroid")},
    ),
    Case(
        "gd-th-02",
        neck(age=28, sex="M"),
        "A [[f1:1.3 cm right thyroid nodule]]. The airway is patent.",
        "[[f2:1.3 cm right thyroid nodule]].",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, "age <35, >=1 cm", "missing"),),
    ),
    Case(
        "gd-th-03",
        neck(age=31, sex="F"),
        "A [[f1:6 mm left thyroid nodule]]. The airway is patent.",
        "[[f2:6 mm left thyroid nodule]]. No further evaluation is recommended.",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, "age <35, <1 cm", "concordant"),),
    ),
    Case(
        "gd-th-04",
        chest(age=56, sex="F"),
        "A [[f1:2.1 cm right thyroid nodule]]. The lungs are clear.",
        "[[f2:2.1 cm right thyroid nodule]]. [[r1:Thyroid ultrasound is recommended.]]",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, "age >=35, >=1.5 cm", "concordant"),),
        {"r1": R("US", None, "f2", "thyroid")},
    ),
    Case(
        "gd-th-05",
        neck(age=61, sex="M"),
        "A [[f1:1.1 cm left thyroid nodule]]. The airway is patent.",
        "[[f2:1.1 cm left thyroid nodule]]. [[r1:Recommend thyroid ultrasound.]]",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, "age >=35, <1.5 cm", "unnecessary"),),
        {"r1": R("US", None, "f2", "thyroid")},
    ),
    Case(
        "gd-th-06",
        neck(age=None, sex=None),
        "A [[f1:1.2 cm right thyroid nodule]]. The airway is patent.",
        "[[f2:1.2 cm right thyroid nodule]].",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, "age <35, >=1 cm; age >=35, <1.5 cm", "concordant", ("age",)),),
    ),
    Case(
        "gd-th-09",
        exam("XR NECK SOFT TISSUE", "DX", age=52, sex="F", indication="Sore throat."),
        "The airway is patent. A [[f1:2 cm nodule in the left thyroid lobe]] displaces the"
        " trachea slightly.",
        "[[f2:Left thyroid nodule]]. [[r1:Recommend thyroid ultrasound.]]",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, None, reason="seen on radiography"),),
        {"r1": R("US", None, "f2", "thyroid")},
    ),
    Case(
        "gd-th-07",
        exam(
            "US SOFT TISSUE NECK", "US", age=45, sex="F", indication="Palpable left neck swelling."
        ),
        "The left neck swelling corresponds to a normal salivary gland. A [[f1:1.8 cm solid"
        " nodule in the right thyroid lobe]].",
        "No abnormality at the site of swelling. [[f2:Right thyroid nodule]]. [[r1:Recommend"
        " dedicated thyroid ultrasound with TI-RADS assessment.]]",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, None, reason="thyroid ultrasound"),),
        {"r1": R("US", None, "f2", "thyroid")},
    ),
    Case(
        "gd-th-08",
        neck(age=49, sex="F"),
        "A [[f1:right thyroid nodule]] is partly imaged. The airway is patent.",
        "[[f2:Right thyroid nodule]].",
        {"f1": F("thyroid_nodule"), "f2": F("thyroid_nodule")},
        (G("f1", TH, None, None, ("size",)),),
    ),
    # --- ACR adrenal 2017 ---------------------------------------------------------
    Case(
        "gd-ad-01",
        abdomen(),
        "A [[f1:2.5 cm right adrenal nodule]] containing macroscopic fat, consistent with a"
        " myelolipoma.",
        "[[f2:Right adrenal myelolipoma]]. No follow-up imaging is recommended.",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, "benign features", "concordant"),),
    ),
    Case(
        "gd-ad-02",
        exam("CT ABDOMEN WITHOUT CONTRAST", "CT", age=63, sex="F", indication="Flank pain."),
        "A [[f1:1.8 cm left adrenal nodule]] measuring 6 HU. No hydronephrosis.",
        "[[f2:Left adrenal nodule]] measuring 6 HU. No follow-up imaging is recommended.",
        {"f1": BENIGN_ADRENAL, "f2": BENIGN_ADRENAL},
        (G("f1", AD, "unenhanced attenuation <=10 HU", "concordant"),),
    ),
    Case(
        "gd-ad-03",
        abdomen(age=66, sex="F"),
        "The [[f1:1.6 cm right adrenal nodule]] is benign, unchanged since 2015.",
        "Benign [[f2:right adrenal nodule]]. No follow-up imaging is recommended.",
        {"f1": BENIGN_ADRENAL, "f2": BENIGN_ADRENAL},
        (G("f1", AD, "benign", "concordant"),),
    ),
    Case(
        "gd-ad-11",
        exam("CT ABDOMEN W WO CONTRAST", "CT", age=58, sex="M", indication="Back pain."),
        "A [[f1:2.4 cm left adrenal nodule]] with absolute washout of 68%.",
        "[[f2:Left adrenal nodule]] with washout characteristics of an adenoma. No follow-up"
        " imaging is recommended.",
        {"f1": BENIGN_ADRENAL, "f2": BENIGN_ADRENAL},
        (G("f1", AD, "adenoma by washout", "concordant"),),
    ),
    Case(
        "gd-ad-04",
        abdomen(age=49, sex="M"),
        "A [[f1:7 mm left adrenal nodule]]. The kidneys are normal.",
        "[[f2:7 mm left adrenal nodule]]. [[r1:Recommend adrenal CT in 12 months.]]",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, "<1 cm", "unnecessary"),),
        {"r1": R("CT", (12, 12), "f2", "adrenal")},
    ),
    Case(
        "gd-ad-05",
        abdomen(age=71, sex="M", indication="Right lower quadrant pain. History of melanoma."),
        "A [[f1:2.2 cm left adrenal nodule]]. The appendix is normal.",
        "[[f2:2.2 cm left adrenal nodule]]. [[r1:Recommend PET/CT.]]",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, "1-4 cm, known cancer", "concordant"),),
        {"r1": R("PET", None, "f2")},
    ),
    Case(
        "gd-ad-06",
        abdomen(age=54, sex="F"),
        "A [[f1:1.5 cm right adrenal nodule]]. The pancreas is normal.",
        "[[f2:1.5 cm right adrenal nodule]]. [[r1:Recommend adrenal CT in 12 months.]]",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, "1-2 cm", "concordant"),),
        {"r1": R("CT", (12, 12), "f2", "adrenal")},
    ),
    Case(
        "gd-ad-07",
        abdomen(age=60, sex="M"),
        "A [[f1:3.1 cm left adrenal nodule]]. The spleen is normal.",
        "[[f2:3.1 cm left adrenal nodule]]. [[r1:Recommend adrenal protocol CT.]]",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, ">2-4 cm", "concordant"),),
        {"r1": R("CT", None, "f2", "adrenal")},
    ),
    Case(
        "gd-ad-08",
        abdomen(age=69, sex="F", indication="Abdominal pain. History of lung cancer."),
        "A [[f1:4.8 cm right adrenal mass]]. The liver is normal.",
        "[[f2:4.8 cm right adrenal mass]].",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, ">4 cm, known cancer", "missing"),),
    ),
    Case(
        "gd-ad-09",
        abdomen(age=52, sex="M"),
        "A [[f1:5.5 cm left adrenal mass]]. The kidneys are normal.",
        "[[f2:5.5 cm left adrenal mass]]. [[r1:Recommend surgical consultation.]]",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, ">4 cm", "concordant"),),
        {"r1": R("CONSULT", None, "f2")},
    ),
    Case(
        "gd-ad-10",
        abdomen(age=57, sex="F"),
        "A [[f1:1.9 cm left adrenal nodule]]. The kidneys are normal.",
        "[[f2:Left adrenal nodule]]. [[r1:Recommend adrenal MRI now.]]",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, "1-2 cm", "discordant"),),
        {"r1": R("MR", None, "f2", "adrenal")},
    ),
    # --- ACR renal 2018 -----------------------------------------------------------
    Case(
        "gd-re-01",
        abdomen(age=64, sex="M"),
        "A [[f1:2.5 cm Bosniak II cyst in the left kidney]].",
        "[[f2:Bosniak II left renal cyst]]. No follow-up imaging is recommended.",
        {"f1": BENIGN_RENAL, "f2": BENIGN_RENAL},
        (G("f1", RE, "Bosniak I-II", "concordant"),),
    ),
    Case(
        "gd-re-02",
        abdomen(age=59, sex="F"),
        "A [[f1:3.0 cm Bosniak IIF cystic lesion in the right kidney]] with a few thin septa.",
        "[[f2:Bosniak IIF right renal cystic lesion]]. [[r1:Recommend follow-up CT or MRI in"
        " 6 months.]]",
        {"f1": F("renal_lesion"), "f2": F("renal_lesion")},
        (G("f1", RE, "Bosniak IIF", "concordant"),),
        {"r1": R("CT", (6, 6), "f2", alt=("MR",))},
    ),
    Case(
        "gd-re-03",
        abdomen(age=67, sex="M"),
        "A [[f1:2.8 cm Bosniak III cystic mass in the left kidney]] with thick enhancing septa.",
        "[[f2:Bosniak III left renal cystic mass]]. [[r1:Recommend urology referral.]]",
        {"f1": F("renal_lesion"), "f2": F("renal_lesion")},
        (G("f1", RE, "Bosniak III-IV", "concordant"),),
        {"r1": R("CONSULT", None, "f2")},
    ),
    Case(
        "gd-re-04",
        abdomen(age=70, sex="F"),
        "A [[f1:2.0 cm simple cyst in the right kidney]]. The adrenal glands are normal.",
        "Simple [[f2:right renal cyst]].",
        {
            "f1": F("renal_lesion", incidental=False, benign=True, reason="benign"),
            "f2": F("renal_lesion", incidental=False, benign=True, reason="benign"),
        },
        (G("f1", RE, "benign (simple cyst)", "concordant"),),
    ),
    Case(
        "gd-re-05",
        abdomen(age=45, sex="M"),
        "A [[f1:6 mm hypodense lesion in the left kidney]], too small to characterize.",
        "[[f2:Small left renal hypodensity]], too small to characterize.",
        {"f1": F("renal_lesion"), "f2": F("renal_lesion")},
        (G("f1", RE, "too small to characterize (<1 cm)", "concordant"),),
    ),
    Case(
        "gd-re-06",
        abdomen(age=53, sex="F"),
        "A [[f1:1.8 cm cystic lesion in the right kidney]] with internal echoes.",
        "[[f2:Indeterminate right renal cystic lesion]]. [[r1:Recommend renal ultrasound.]]",
        {"f1": F("renal_lesion"), "f2": F("renal_lesion")},
        (G("f1", RE, "indeterminate cystic, >=1 cm", "concordant"),),
        {"r1": R("US", None, "f2", "renal")},
    ),
    Case(
        "gd-re-07",
        abdomen(age=62, sex="M"),
        "An [[f1:8 mm solid enhancing lesion in the left kidney]].",
        "[[f2:8 mm solid left renal lesion]]. [[r1:Recommend multiphase renal CT in 6-12 months.]]",
        {"f1": F("renal_lesion"), "f2": F("renal_lesion")},
        (G("f1", RE, "solid, <1 cm", "concordant"),),
        {"r1": R("CT", (6, 12), "f2", "renal")},
    ),
    Case(
        "gd-re-08",
        abdomen(age=74, sex="F"),
        "A [[f1:2.6 cm solid enhancing mass in the right kidney]].",
        "[[f2:2.6 cm solid right renal mass]].",
        {"f1": F("renal_lesion"), "f2": F("renal_lesion")},
        (G("f1", RE, "solid, >=1 cm", "missing"),),
    ),
    # --- ACR liver 2017 -----------------------------------------------------------
    Case(
        "gd-li-01",
        abdomen(age=44, sex="F"),
        "A [[f1:1.4 cm hemangioma in the right hepatic lobe]].",
        "Benign [[f2:hepatic hemangioma]]. No follow-up imaging is recommended.",
        {
            "f1": F("hepatic_lesion", incidental=False, benign=True, reason="benign"),
            "f2": F("hepatic_lesion", incidental=False, benign=True, reason="benign"),
        },
        (G("f1", LI, "benign", "concordant"),),
    ),
    Case(
        "gd-li-02",
        abdomen(age=50, sex="M"),
        "An [[f1:8 mm hypodense lesion in the left hepatic lobe]], too small to characterize.",
        "[[f2:Small hepatic hypodensity]], too small to characterize.",
        {"f1": F("hepatic_lesion"), "f2": F("hepatic_lesion")},
        (G("f1", LI, "low risk, <1.5 cm", "concordant"),),
    ),
    Case(
        "gd-li-03",
        abdomen(age=58, sex="F"),
        "A [[f1:2.2 cm indeterminate hypodense lesion in the right hepatic lobe]].",
        "[[f2:Indeterminate 2.2 cm liver lesion]]. [[r1:Recommend liver MRI.]]",
        {"f1": F("hepatic_lesion"), "f2": F("hepatic_lesion")},
        (G("f1", LI, "low risk, >=1.5 cm", "concordant"),),
        {"r1": R("MR", None, "f2", "liver")},
    ),
    Case(
        "gd-li-04",
        abdomen(age=61, sex="M", indication="Left lower quadrant pain."),
        "The liver is cirrhotic. A [[f1:7 mm arterially enhancing lesion in the right"
        " hepatic lobe]].",
        "[[f2:7 mm enhancing liver lesion]]. [[r1:Recommend liver MRI in 3 months.]]",
        {"f1": F("hepatic_lesion"), "f2": F("hepatic_lesion")},
        (G("f1", LI, "high risk, <1 cm", "concordant"),),
        {"r1": R("MR", (3, 3), "f2", "liver")},
    ),
    Case(
        "gd-li-05",
        abdomen(age=56, sex="M", indication="Flank pain. Hepatitis C."),
        "A [[f1:1.6 cm arterially enhancing lesion in the left hepatic lobe]].",
        "[[f2:1.6 cm enhancing liver lesion]].",
        {"f1": F("hepatic_lesion"), "f2": F("hepatic_lesion")},
        (G("f1", LI, "high risk, >=1 cm", "missing"),),
    ),
    # --- ACR pancreatic cyst 2017 -------------------------------------------------
    Case(
        "gd-pa-01",
        abdomen(age=68, sex="F"),
        "A [[f1:2.0 cm pancreatic cyst]] in the pancreatic tail with upstream main duct dilation.",
        "[[f2:Pancreatic cyst]] with main duct dilation. [[r1:Recommend MRI of the pancreas.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, "worrisome features", "concordant"),),
        {"r1": R("MR", None, "f2", "pancreas")},
    ),
    Case(
        "gd-pa-02",
        abdomen(age=81, sex="M"),
        "A [[f1:4 mm pancreatic cyst]] in the pancreatic head.",
        "[[f2:4 mm pancreatic cyst]]. No follow-up imaging is recommended.",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, "<5 mm, age 75 or over", "concordant"),),
    ),
    Case(
        "gd-pa-03",
        abdomen(age=60, sex="F"),
        "A [[f1:4 mm pancreatic cyst]] in the pancreatic body.",
        "[[f2:4 mm pancreatic cyst]]. [[r1:Recommend MRI of the pancreas in 2 years.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, "<5 mm", "concordant"),),
        {"r1": R("MR", (24, 24), "f2", "pancreas")},
    ),
    Case(
        "gd-pa-04",
        abdomen(age=55, sex="M"),
        "A [[f1:1.0 cm pancreatic cyst]] in the pancreatic tail.",
        "[[f2:1.0 cm pancreatic cyst]]. [[r1:Recommend MRI of the pancreas in 1 year.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, "<1.5 cm, age under 65", "concordant"),),
        {"r1": R("MR", (12, 12), "f2", "pancreas")},
    ),
    Case(
        "gd-pa-05",
        abdomen(age=70, sex="F"),
        "A [[f1:1.2 cm pancreatic cyst]] in the pancreatic head.",
        "[[f2:1.2 cm pancreatic cyst]]. [[r1:Recommend MRI of the pancreas in 2 years.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, "<1.5 cm, age 65 or over", "concordant"),),
        {"r1": R("MR", (24, 24), "f2", "pancreas")},
    ),
    Case(
        "gd-pa-06",
        abdomen(age=62, sex="M"),
        "A [[f1:2.0 cm pancreatic cyst]] in the pancreatic body.",
        "[[f2:2.0 cm pancreatic cyst]]. [[r1:Recommend MRI of the pancreas in 6-12 months.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, "1.5-2.5 cm, age under 80", "concordant"),),
        {"r1": R("MR", (6, 12), "f2", "pancreas")},
    ),
    Case(
        "gd-pa-07",
        abdomen(age=84, sex="F"),
        "A [[f1:1.8 cm pancreatic cyst]] in the pancreatic tail.",
        "[[f2:1.8 cm pancreatic cyst]]. [[r1:Recommend MRI of the pancreas in 6 months.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, "1.5-2.5 cm, age 80 or over", "discordant"),),
        {"r1": R("MR", (6, 6), "f2", "pancreas")},
    ),
    Case(
        "gd-pa-08",
        abdomen(age=66, sex="M"),
        "A [[f1:3.2 cm pancreatic cyst]] in the pancreatic head.",
        "[[f2:3.2 cm pancreatic cyst]]. [[r1:Recommend MRI of the pancreas.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, ">2.5 cm", "concordant"),),
        {"r1": R("MR", None, "f2", "pancreas")},
    ),
    Case(
        "gd-pa-09",
        abdomen(age=72, sex="F"),
        "A [[f1:2.4 cm solid hypoenhancing pancreatic mass]] in the pancreatic head.",
        "[[f2:Solid pancreatic mass]]. [[r1:Recommend endoscopic ultrasound with biopsy.]]",
        {"f1": F("pancreatic_lesion"), "f2": F("pancreatic_lesion")},
        (G("f1", PA, None, reason="solid pancreatic lesion"),),
        {"r1": R("BIOPSY", None, "f2")},
    ),
    # --- SVS 2018 AAA -------------------------------------------------------------
    Case(
        "gd-aa-01",
        abdomen(age=71, sex="M"),
        "[[f1:Ectatic infrarenal abdominal aorta measuring 2.4 cm]].",
        "Ectatic abdominal aorta.",
        {"f1": F("aortic_aneurysm")},
        (G("f1", AA, "<2.5 cm", "concordant"),),
    ),
    Case(
        "gd-aa-02",
        abdomen(age=73, sex="M"),
        "[[f1:Ectatic infrarenal abdominal aorta measuring 2.7 cm]].",
        "Ectatic abdominal aorta. [[r1:Recommend ultrasound in 10 years.]]",
        {"f1": F("aortic_aneurysm")},
        (G("f1", AA, "2.5-2.9 cm", "concordant"),),
        {"r1": R("US", (120, 120), "f1")},
    ),
    Case(
        "gd-aa-03",
        abdomen(age=75, sex="M"),
        "A [[f1:3.5 cm infrarenal abdominal aortic aneurysm]].",
        "[[f2:3.5 cm abdominal aortic aneurysm]]. [[r1:Recommend ultrasound surveillance in"
        " 3 years.]]",
        {"f1": F("aortic_aneurysm"), "f2": F("aortic_aneurysm")},
        (G("f1", AA, "3.0-3.9 cm", "concordant"),),
        {"r1": R("US", (36, 36), "f2")},
    ),
    Case(
        "gd-aa-04",
        abdomen(age=77, sex="M"),
        "A [[f1:4.4 cm infrarenal abdominal aortic aneurysm]].",
        "[[f2:4.4 cm abdominal aortic aneurysm]].",
        {"f1": F("aortic_aneurysm"), "f2": F("aortic_aneurysm")},
        (G("f1", AA, "4.0-4.9 cm", "missing"),),
    ),
    Case(
        "gd-aa-05",
        abdomen(age=79, sex="F"),
        "A [[f1:5.2 cm infrarenal abdominal aortic aneurysm]].",
        "[[f2:5.2 cm abdominal aortic aneurysm]]. [[r1:Recommend vascular surgery referral.]]",
        {"f1": F("aortic_aneurysm"), "f2": F("aortic_aneurysm")},
        (G("f1", AA, "5.0-5.4 cm, women", "concordant"),),
        {"r1": R("CONSULT", None, "f2")},
    ),
    Case(
        "gd-aa-06",
        abdomen(age=74, sex="M"),
        "A [[f1:5.1 cm infrarenal abdominal aortic aneurysm]].",
        "[[f2:5.1 cm abdominal aortic aneurysm]]. [[r1:Recommend ultrasound in 6 months.]]",
        {"f1": F("aortic_aneurysm"), "f2": F("aortic_aneurysm")},
        (G("f1", AA, "5.0-5.4 cm, men", "concordant"),),
        {"r1": R("US", (6, 6), "f2")},
    ),
    Case(
        "gd-aa-07",
        abdomen(age=80, sex="M"),
        "A [[f1:6.1 cm infrarenal abdominal aortic aneurysm]].",
        "[[f2:6.1 cm abdominal aortic aneurysm]]. [[r1:Recommend vascular surgery consultation.]]",
        {"f1": F("aortic_aneurysm"), "f2": F("aortic_aneurysm")},
        (G("f1", AA, ">=5.5 cm", "concordant"),),
        {"r1": R("CONSULT", None, "f2")},
    ),
    Case(
        "gd-aa-08",
        abdomen(age=None, sex=None),
        "A [[f1:5.3 cm infrarenal abdominal aortic aneurysm]].",
        "[[f2:5.3 cm abdominal aortic aneurysm]]. [[r1:Recommend ultrasound in 6 months.]]",
        {"f1": F("aortic_aneurysm"), "f2": F("aortic_aneurysm")},
        (G("f1", AA, "5.0-5.4 cm, women; 5.0-5.4 cm, men", "concordant", ("sex",)),),
        {"r1": R("US", (6, 6), "f2")},
    ),
    Case(
        "gd-aa-09",
        chest(age=68, sex="M", indication="Chest pain."),
        "A [[f1:4.6 cm ascending thoracic aortic aneurysm]]. The lungs are clear.",
        "[[f2:4.6 cm ascending thoracic aortic aneurysm]].",
        {"f1": F("aortic_aneurysm"), "f2": F("aortic_aneurysm")},
        (G("f1", AA, None, reason="not an abdominal aortic aneurysm"),),
    ),
    # --- SRU 2010 adnexal cysts ---------------------------------------------------
    Case(
        "gd-ax-01",
        pelvis_us(age=30),
        "A [[f1:2.5 cm simple cyst in the left ovary]]. The uterus is normal.",
        "[[f2:Simple left ovarian cyst]].",
        {"f1": SIMPLE_CYST, "f2": SIMPLE_CYST},
        (G("f1", AX, "premenopausal, <=3 cm", "concordant"),),
    ),
    Case(
        "gd-ax-02",
        pelvis_us(age=38),
        "A [[f1:4.2 cm simple cyst in the right ovary]]. The uterus is normal.",
        "[[f2:Simple right ovarian cyst]]. [[r1:Recommend follow-up pelvic ultrasound in 6"
        " weeks.]]",
        {"f1": SIMPLE_CYST, "f2": SIMPLE_CYST},
        (G("f1", AX, "premenopausal, >3-5 cm", "unnecessary"),),
        {"r1": R("US", (1.5, 1.5), "f2", "pelvis")},
    ),
    Case(
        "gd-ax-03",
        pelvis_us(age=42),
        "A [[f1:6.0 cm simple cyst in the left ovary]]. The uterus is normal.",
        "[[f2:Simple left ovarian cyst]]. [[r1:Recommend follow-up pelvic ultrasound in 1 year.]]",
        {"f1": SIMPLE_CYST, "f2": SIMPLE_CYST},
        (G("f1", AX, "premenopausal, >5-7 cm", "concordant"),),
        {"r1": R("US", (12, 12), "f2", "pelvis")},
    ),
    Case(
        "gd-ax-04",
        pelvis_us(age=66, indication="Postmenopausal bleeding."),
        "A [[f1:8 mm simple cyst in the right ovary]]. The endometrium is thin.",
        "[[f2:Simple right ovarian cyst]].",
        {"f1": SIMPLE_CYST, "f2": SIMPLE_CYST},
        (G("f1", AX, "postmenopausal, <=1 cm", "concordant"),),
    ),
    Case(
        "gd-ax-05",
        pelvis_us(age=61, indication="Postmenopausal bleeding."),
        "A [[f1:3.0 cm simple cyst in the left ovary]]. The endometrium is thin.",
        "[[f2:Simple left ovarian cyst]]. [[r1:Recommend follow-up pelvic ultrasound in 1 year.]]",
        {"f1": SIMPLE_CYST, "f2": SIMPLE_CYST},
        (G("f1", AX, "postmenopausal, >1-7 cm", "concordant"),),
        {"r1": R("US", (12, 12), "f2", "pelvis")},
    ),
    Case(
        "gd-ax-06",
        pelvis_us(age=47),
        "An [[f1:8.5 cm simple cyst in the right ovary]]. The uterus is normal.",
        "[[f2:Large simple right ovarian cyst]]. [[r1:Recommend pelvic MRI.]]",
        {"f1": SIMPLE_CYST, "f2": SIMPLE_CYST},
        (G("f1", AX, ">7 cm", "concordant"),),
        {"r1": R("MR", None, "f2", "pelvis")},
    ),
    Case(
        "gd-ax-07",
        pelvis_us(age=36),
        "A [[f1:3.4 cm complex cyst in the right ovary]] with thick septations.",
        "[[f2:Complex right ovarian cyst]]. [[r1:Recommend pelvic MRI.]]",
        {"f1": F("adnexal_lesion"), "f2": F("adnexal_lesion")},
        (G("f1", AX, None, reason="complex or solid"),),
        {"r1": R("MR", None, "f2", "pelvis")},
    ),
    Case(
        "gd-ax-08",
        pelvis_us(age=44),
        "A [[f1:3.0 cm cyst in the left ovary]]. The uterus is normal.",
        "[[f2:Left ovarian cyst]].",
        {"f1": F("adnexal_lesion"), "f2": F("adnexal_lesion")},
        (G("f1", AX, None, reason="not described as a simple cyst"),),
    ),
    # --- ACR white papers on radiography ------------------------------------------
    Case(
        "gd-xr-01",
        exam("XR ABDOMEN 1 VIEW", "XR", age=59, sex="M", indication="Constipation."),
        "A [[f1:3 cm calcified mass in the left kidney]]. A [[f2:4 cm calcified mass in the"
        " right adrenal gland]]. A [[f3:2.5 cm rim-calcified cyst in the pancreatic tail]]."
        " A [[f4:2 cm calcified lesion in the right hepatic lobe]]. Moderate stool burden.",
        "Calcifications in the left kidney, right adrenal gland, pancreas and liver, as"
        " described. [[r1:Recommend CT abdomen for further evaluation.]]",
        {
            "f1": F("renal_lesion"),
            "f2": F("adrenal_nodule"),
            "f3": F("pancreatic_lesion"),
            "f4": F("hepatic_lesion"),
        },
        (
            G("f1", RE, None, reason="seen on radiography"),
            G("f2", AD, None, reason="seen on radiography"),
            G("f3", PA, None, reason="seen on radiography"),
            G("f4", LI, None, reason="seen on radiography"),
        ),
        {"r1": R("CT", None, None, "abdomen")},
    ),
    # --- report checks ------------------------------------------------------------
    Case(
        "gd-ck-01",
        exam("MRI KNEE LEFT WITHOUT CONTRAST", "MR", age=41, sex="M", indication="Knee pain."),
        "Small joint effusion of the right knee. The menisci and ligaments are intact.",
        "Small right knee joint effusion.",
        {},
        (),
        checks=("laterality",),
    ),
    Case(
        "gd-ck-02",
        exam("MRI KNEE RIGHT WITHOUT CONTRAST", "MR", age=39, sex="F", indication="Knee pain."),
        "Small joint effusion of the right knee. The menisci and ligaments are intact.",
        "Small right knee joint effusion.",
        {},
        (),
    ),
    Case(
        "gd-ck-03",
        abdomen(age=65, sex="F"),
        "A [[f1:1.4 cm left adrenal nodule]]. The kidneys are normal.",
        "[[f2:1.4 cm right adrenal nodule]]. [[r1:Recommend adrenal CT in 12 months.]]",
        {"f1": F("adrenal_nodule"), "f2": F("adrenal_nodule")},
        (G("f1", AD, "1-2 cm", "missing"), G("f2", AD, "1-2 cm", "concordant")),
        {"r1": R("CT", (12, 12), "f2", "adrenal")},
        checks=("laterality",),
    ),
    Case(
        "gd-ck-04",
        abdomen(age=57, sex="F"),
        "The prostate is mildly enlarged. The bladder is normal.",
        "No acute abnormality.",
        {},
        (),
        checks=("sex",),
    ),
    Case(
        "gd-ck-05",
        abdomen(age=62, sex="M"),
        "The uterus and ovaries are unremarkable. The bladder is normal.",
        "No acute abnormality.",
        {},
        (),
        checks=("sex",),
    ),
    Case(
        "gd-ck-06",
        abdomen(age=54, sex="F", indication="Family history of prostate cancer in her father."),
        "The bladder is normal. No free fluid.",
        "No acute abnormality.",
        {},
        (),
    ),
    Case(
        "gd-ck-07",
        exam(
            "CT HEAD WITHOUT CONTRAST",
            "CT",
            sex="M",
            indication="Headache.",
            birth_date="1965-03-02",
            observation_time="2025-05-10T09:30:00",
        ),
        "45-year-old with headache. No intracranial hemorrhage.",
        "No acute intracranial abnormality.",
        {},
        (),
        checks=("age",),
    ),
    Case(
        "gd-ck-08",
        exam(
            "CT HEAD WITHOUT CONTRAST",
            "CT",
            sex="F",
            indication="Dizziness.",
            birth_date="1970-08-20",
            observation_time="2025-06-01T14:00:00",
        ),
        "54-year-old with dizziness. No intracranial hemorrhage.",
        "No acute intracranial abnormality.",
        {},
        (),
    ),
)

# --- rendering ----------------------------------------------------------------------

MARK = re.compile(r"\[\[(?P<label>[a-z]\w*):(?P<phrase>[^\]]+)\]\]")
SIZE = re.compile(r"(\d+(?:\.\d+)?)(?:\s*x\s*(\d+(?:\.\d+)?))?\s*(mm|cm)\b")
SIDES = (("bilateral", "bilateral"), ("both", "bilateral"), ("right", "right"), ("left", "left"))


def _unmark(text: str) -> tuple[str, dict[str, tuple[int, int]]]:
    """The text without its marks and each label's span in it."""
    out, spans, last = [], {}, 0
    length = 0
    for match in MARK.finditer(text):
        before = text[last : match.start()]
        out.append(before)
        length += len(before)
        phrase = match.group("phrase")
        spans[match.group("label")] = (length, length + len(phrase))
        out.append(phrase)
        length += len(phrase)
        last = match.end()
    out.append(text[last:])
    return "".join(out), spans


def _sizes(phrase: str) -> list[float] | None:
    sizes: list[float] = []
    for match in SIZE.finditer(phrase):
        factor = 10.0 if match.group(3) == "cm" else 1.0
        sizes += [round(float(v) * factor, 1) for v in match.groups()[:2] if v]
    return sizes or None


def _side(phrase: str) -> str | None:
    words = phrase.lower().split()
    return next((side for word, side in SIDES if word in words), None)


def _section(text: str, start: int) -> str | None:
    header = None
    for match in re.finditer(r"^([A-Z]+):", text, re.M):
        if match.start() < start:
            header = match.group(1).lower()
    return {"exam": "exam"}.get(header or "", header)


def _finding(label: str, gold: F, text: str, span: tuple[int, int]) -> dict[str, Any]:
    phrase = text[span[0] : span[1]]
    present = gold.assertion in ("present", "possible")
    return {
        "id": label,
        "type": gold.type,
        "text": phrase,
        "start": span[0],
        "end": span[1],
        "assertion": gold.assertion,
        "benign": gold.benign,
        "incidental": gold.incidental,
        "incidental_reason": gold.reason if present and not gold.incidental else None,
        "size_mm": _sizes(phrase),
        "section": _section(text, span[0]),
        "laterality": _side(phrase),
        "location": None,
    }


def _recommendation(gold: R, text: str, span: tuple[int, int], order: list[str]) -> dict[str, Any]:
    return {
        "text": text[span[0] : span[1]],
        "start": span[0],
        "end": span[1],
        "modality": gold.modality,
        "body_region": gold.region,
        "interval_months": list(gold.interval) if gold.interval else None,
        "conditional": gold.conditional,
        "finding_index": order.index(gold.finding) if gold.finding else None,
        "section": _section(text, span[0]),
        "alt_modalities": list(gold.alt),
    }


def _reasons(rules: dict[str, Any]) -> dict[str, list[str]]:
    """Each guideline's not-applicable reasons (exclusions, exclude_reason, not incidental)."""
    out = {}
    for guideline in rules["guidelines"]:
        reasons = [item["reason"] for item in guideline.get("not_applicable", [])]
        if guideline.get("exclude_reason"):
            reasons.append(guideline["exclude_reason"])
        out[guideline["id"]] = [*reasons, NOT_INCIDENTAL]
    return out


def _guidance(item: G, reasons: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"finding_id": item.finding, "guideline": item.guideline}
    if item.band is None and item.reason is not None:
        full = [r for r in reasons[item.guideline] if item.reason and item.reason in r]
        if len(full) != 1:
            raise ValueError(f"{item.guideline}: reason {item.reason!r} matches {full}")
        out.update(band=None, concordance=None, not_applicable=True, not_applicable_reason=full[0])
        return out
    out.update(band=item.band, concordance=item.concordance, missing_inputs=list(item.missing))
    return out


def _text(case: Case) -> str:
    meta = case.meta
    lines = [f"EXAM: {meta['procedure']}"]
    indication = case.indication_text or meta.get("indication")
    if indication:
        lines.append(f"INDICATION: {indication}")
    lines += [f"FINDINGS: {case.findings_text}", f"IMPRESSION: {case.impression}"]
    return "\n".join(lines)


def record(case: Case, reasons: dict[str, list[str]]) -> dict[str, Any]:
    """The gold record of one case."""
    text, spans = _unmark(_text(case))
    order = sorted((k for k in spans if k in case.findings), key=lambda k: spans[k])
    if set(order) != {k for k in case.findings if k in spans}:
        raise ValueError(f"{case.id}: unmarked findings")
    findings = [_finding(k, case.findings[k], text, spans[k]) for k in order]
    unmarked = [k for k in case.findings if k not in spans]
    recs = [_recommendation(case.recs[k], text, spans[k], order) for k in sorted(case.recs)]
    if unmarked or set(spans) - set(case.findings) - set(case.recs):
        raise ValueError(f"{case.id}: marks and tables differ")
    incidental = sorted({f["type"] for f in findings if f["incidental"]})
    meta = {k: v for k, v in case.meta.items() if v is not None}
    return {
        "id": case.id,
        "text": text,
        **meta,
        "findings": findings,
        "recommendations": recs,
        "has_followup_recommendation": bool(recs),
        "incidental_types": incidental,
        "guidance": [_guidance(item, reasons) for item in case.guidance],
        "checks": [{"kind": kind} for kind in case.checks],
    }


def check_coverage(rules: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    """Bands and exclusions of ``rules`` with no gold case (empty when all have one)."""
    seen = {
        (g["guideline"], part)
        for r in records
        for g in r["guidance"]
        for part in (g["band"].split("; ") if g["band"] else [g.get("not_applicable_reason")])
    }
    wanted = [(gl["id"], rule["band"]) for gl in rules["guidelines"] for rule in gl["rules"]]
    wanted += [(gid, reason) for gid, reasons in _reasons(rules).items() for reason in reasons]
    wanted = [w for w in wanted if w[1] != NOT_INCIDENTAL or w[0] == FL]
    return [f"{gid}: {band}" for gid, band in dict.fromkeys(wanted) if (gid, band) not in seen]


def build(rules_path: Path = RULES) -> bytes:
    rules = json.loads(rules_path.read_text(encoding="utf-8"))
    reasons = _reasons(rules)
    records = [record(case, reasons) for case in CASES]
    ids = [case.id for case in CASES]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SystemExit("repeated case ids: " + ", ".join(repeated))
    uncovered = check_coverage(rules, records)
    if uncovered:
        raise SystemExit("no gold case for: " + "; ".join(uncovered))
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def write(out: Path = OUT, rules_path: Path = RULES) -> int:
    """Write the gold file; the number of reports."""
    data = build(rules_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data.count(b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--rules", type=Path, default=RULES)
    args = parser.parse_args(argv)
    count = write(args.out, args.rules)
    sys.stdout.write(f"{count} reports -> {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
