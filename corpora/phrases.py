"""Phrase pools for the synthetic report generator (data only, no logic).

A *split pool* is a dict ``{"shared": [...], "test_only": [...]}``: dev reports
draw only from ``shared``; test reports draw from both, so about 30% of the
wordings of every split pool appear in the test split only. Plain lists are
not split (sizes, locations, names).

Templates use ``{F}`` for the finding phrase, ``{a}`` for the article that
goes with the next word, ``{X}``/``{x}`` for the recommended exam (capitalised
or not) and ``{I}`` for an interval clause (with its leading space, or empty).
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------
# Section headers (canonical section name -> split pool of spellings)
# --------------------------------------------------------------------------
HEADERS = {
    "examination": {"shared": ["EXAMINATION", "EXAM", "PROCEDURE"], "test_only": ["STUDY"]},
    "indication": {
        "shared": ["INDICATION", "CLINICAL HISTORY", "HISTORY", "REASON FOR EXAM",
                   "CLINICAL INDICATION"],
        "test_only": ["CLINICAL INFORMATION", "REASON FOR STUDY"],
    },
    "technique": {"shared": ["TECHNIQUE", "PROTOCOL"], "test_only": ["METHOD"]},
    "comparison": {"shared": ["COMPARISON", "PRIOR STUDIES", "COMPARISONS"],
                   "test_only": ["PRIORS"]},
    "findings": {"shared": ["FINDINGS", "REPORT", "DESCRIPTION"],
                 "test_only": ["FINDINGS AND DISCUSSION"]},
    "impression": {"shared": ["IMPRESSION", "CONCLUSION", "SUMMARY"],
                   "test_only": ["OPINION", "DIAGNOSTIC IMPRESSION"]},
    "recommendation": {"shared": ["RECOMMENDATION", "RECOMMENDATIONS"],
                       "test_only": ["FOLLOW-UP RECOMMENDATION"]},
    "addendum": {"shared": ["ADDENDUM"], "test_only": ["ADDENDUM 1"]},
}

# --------------------------------------------------------------------------
# Sentence frames around a finding phrase, by assertion
# --------------------------------------------------------------------------
#: Frame wording that describes known disease against a prior study: a finding so
#: worded (and its repeat) is not incidental, reason ``known_prior`` (issue 13).
KNOWN_PRIOR = re.compile(r"\bagain (?:seen|demonstrated)\b|\bredemonstrated\b|unchanged from prior",
                         re.IGNORECASE)

FRAMES = {
    "present": {
        "shared": ["There is {a}{F}.", "{A}{F} is noted.", "{F} is identified.",
                   "Incidental {F}.", "There is an incidental {F}.",
                   "{F} is again seen, unchanged from prior.", "Redemonstrated {F}."],
        "test_only": ["Note is made of {a}{F}.", "Also seen is {a}{F}.",
                      "Again demonstrated is {a}{F}."],
    },
    "possible": {
        "shared": ["Possible {F}.", "{F} cannot be excluded.", "Findings may represent {a}{F}.",
                   "There is possibly {a}{F}.", "Appearance is suspicious for {a}{F}."],
        "test_only": ["Cannot rule out {a}{F}.", "Questionable {F}.",
                      "Findings could represent {a}{F}."],
    },
    "absent": {
        "shared": ["No {F}.", "No {F} is identified.", "There is no {F}.", "No evidence of {F}.",
                   "Negative for {F}."],
        "test_only": ["No definite {F} is seen.", "There is no evidence of {F}."],
    },
    "historical": {
        "shared": ["History of {F}.", "Status post resection of {a}{F}.",
                   "Patient with a history of {F}, status post resection.",
                   "Prior {F}, status post surgical resection."],
        "test_only": ["Remote history of treated {F}.", "Previously resected {F}."],
    },
    "hypothetical": {
        "shared": ["Rule out {F}.", "Evaluate for {F}.", "R/O {F}.", "Assess for {F}.",
                   "Evaluate for {F}; if present, surgical planning."],
        "test_only": ["Exclude {F}.", "Please evaluate for {F}."],
    },
    "benign": {
        "shared": ["There is {a}{F}.", "{A}{F} is noted.", "{F} is again seen.",
                   "{A}{F} is seen."],
        "test_only": ["Note is made of {a}{F}."],
    },
    "impression": {
        "shared": ["{F}.", "{F}, as described above."],
        "test_only": ["{F}, detailed above."],
    },
}

# Suffixes that keep a finding "likely benign" but NOT benign (ANNOTATION.md).
LIKELY_BENIGN = {
    "shared": [", likely benign.", ", presumably a granuloma.", ", probably benign."],
    "test_only": [", most likely benign."],
}
LIKELY_BENIGN_NO_GRANULOMA = {
    "shared": [", likely benign.", ", probably benign."],
    "test_only": [", most likely benign."],
}
BENIGN_TAILS = {
    "shared": [" Benign; no follow-up needed.", " No follow-up imaging is recommended.",
               " This is benign and requires no further evaluation."],
    "test_only": [" Benign finding, no follow-up needed."],
}

# --------------------------------------------------------------------------
# Finding specifications, per type.
# templates: (phrase template, number: "s" singular, "m" mass noun, "p" plural),
# with slots {size} {adj} {pp}
# locs: region group -> [(adjective, prepositional phrase, laterality, label)]
# sizes: (min_mm, max_mm, formats)
# --------------------------------------------------------------------------
LUNG_LOCS = [
    ("right upper lobe", "in the right upper lobe", "right", "right upper lobe"),
    ("right middle lobe", "in the right middle lobe", "right", "right middle lobe"),
    ("right lower lobe", "in the right lower lobe", "right", "right lower lobe"),
    ("left upper lobe", "in the left upper lobe", "left", "left upper lobe"),
    ("lingular", "in the lingula", "left", "lingula"),
    ("left lower lobe", "in the left lower lobe", "left", "left lower lobe"),
]
LUNG_BASE_LOCS = [
    ("right lower lobe", "in the right lung base", "right", "right lung base"),
    ("left lower lobe", "in the left lower lobe", "left", "left lower lobe"),
]

FINDINGS = {
    "pulmonary_nodule": {
        "templates": {
            "shared": [("{size} {adj} pulmonary nodule", "s"), ("{size} {adj} nodule", "s"),
                       ("{size} nodule {pp}", "s"), ("{size} solid nodule {pp}", "s"),
                       ("{size} ground-glass nodule {pp}", "s"),
                       ("{adj} nodule measuring {size}", "s"),
                       ("{size} noncalcified {adj} nodule", "s"), ("{adj} nodule", "s")],
            "test_only": [("{size} part-solid nodule {pp}", "s"),
                          ("{adj} nodular opacity measuring {size}", "s"),
                          ("{size} perifissural nodule {pp}", "s")],
        },
        "xr_templates": [("{size} nodular opacity {pp}", "s"), ("nodular density {pp}", "s"),
                         ("{adj} pulmonary nodule", "s")],
        "locs": {"chest": LUNG_LOCS, "abdomen": LUNG_BASE_LOCS, "neck": [
            ("right apical", "in the right lung apex", "right", "right lung apex"),
            ("left apical", "in the left lung apex", "left", "left lung apex")]},
        "sizes": (3, 14, ["mm", "mm", "mm", "mmrange", "cm"]),
        "absent": {"shared": ["pulmonary nodules", "suspicious pulmonary nodule",
                              "new pulmonary nodules"],
                   "test_only": ["discrete pulmonary nodule"]},
        "without": "The lungs are clear without {F}.",
        "benign": [("{size} calcified granuloma {pp}", "s"), ("calcified {adj} granuloma", "s"),
                   ("{size} densely calcified nodule {pp}", "s"),
                   ("calcified {adj} nodule", "s")],
        "historical": [("resected left upper lobe pulmonary nodule", "left", "left upper lobe")],
        "hypothetical": ["pulmonary nodule", "lung nodule"],
    },
    "lung_mass": {
        "templates": {
            "shared": [("{size} {adj} mass", "s"), ("{size} spiculated mass {pp}", "s"),
                       ("{adj} mass measuring {size}", "s"), ("{size} pulmonary mass {pp}", "s"),
                       ("lobulated {adj} mass", "s")],
            "test_only": [("{size} irregular soft tissue mass {pp}", "s"),
                          ("{adj} consolidative mass measuring {size}", "s")],
        },
        "xr_templates": [("{adj} mass", "s"), ("{size} mass {pp}", "s")],
        "locs": {"chest": [*LUNG_LOCS,
            ("right hilar", "in the right hilum", "right", "right hilum"),
            ("left hilar", "in the left hilum", "left", "left hilum")]},
        "sizes": (25, 68, ["cm", "cm2", "cm3"]),
        "absent": {"shared": ["lung mass", "pulmonary mass", "hilar mass"],
                   "test_only": ["discrete lung mass"]},
        "without": "The lungs are well expanded without {F}.",
        "historical": [("left upper lobe lung mass", "left", "left upper lobe"),
                       ("right lower lobe pulmonary mass", "right", "right lower lobe")],
        "hypothetical": ["lung mass", "pulmonary mass"],
    },
    "thyroid_nodule": {
        "templates": {
            "shared": [("{size} {adj} thyroid nodule", "s"), ("{size} hypodense nodule {pp}", "s"),
                       ("{adj} thyroid nodule measuring {size}", "s"),
                       ("{size} heterogeneous nodule {pp}", "s"), ("{adj} thyroid nodule", "s")],
            "test_only": [("{size} solid hypoechoic nodule {pp}", "s"),
                          ("{size} {adj} thyroid mass", "s")],
        },
        "locs": {"any": [
            ("right", "in the right thyroid lobe", "right", "right thyroid lobe"),
            ("left", "in the left thyroid lobe", "left", "left thyroid lobe"),
            ("isthmic", "in the thyroid isthmus", None, "thyroid isthmus")]},
        "sizes": (6, 34, ["mm", "cm", "cm", "cm2"]),
        "absent": {"shared": ["thyroid nodule", "thyroid nodules"], "test_only": ["thyroid mass"]},
        "without": "The thyroid gland is normal in size without {F}.",
        "historical": [("right thyroid nodule", "right", "right thyroid lobe")],
        "hypothetical": ["thyroid nodule", "thyroid mass"],
    },
    "adrenal_nodule": {
        "templates": {
            "shared": [("{size} {adj} adrenal nodule", "s"), ("{size} nodule {pp}", "s"),
                       ("{adj} adrenal nodule measuring {size}", "s"),
                       ("{size} indeterminate {adj} adrenal mass", "s"),
                       ("{adj} adrenal nodule", "s")],
            "test_only": [("{size} {adj} adrenal incidentaloma", "s"),
                          ("{size} lipid-poor {adj} adrenal adenoma", "s")],
        },
        "locs": {"any": [
            ("left", "in the left adrenal gland", "left", "left adrenal gland"),
            ("right", "in the right adrenal gland", "right", "right adrenal gland")]},
        "sizes": (9, 42, ["cm", "cm", "mm", "cm2"]),
        "absent": {"shared": ["adrenal nodule", "adrenal mass", "adrenal nodules"],
                   "test_only": ["adrenal lesion"]},
        "without": "The adrenal glands are normal without {F}.",
        "benign": [("{size} benign {adj} adrenal adenoma", "s"),
                   ("{size} lipid-rich {adj} adrenal adenoma, benign", "s")],
        "historical": [("left adrenal mass", "left", "left adrenal gland")],
        "hypothetical": ["adrenal mass", "adrenal nodule"],
    },
    "renal_lesion": {
        "templates": {
            "shared": [("{size} {adj} renal lesion", "s"), ("{size} enhancing mass {pp}", "s"),
                       ("{size} hyperdense lesion {pp}", "s"),
                       ("{adj} renal mass measuring {size}", "s"),
                       ("{size} complex cystic lesion {pp}", "s"),
                       ("{size} exophytic {adj} renal mass", "s")],
            "test_only": [("{size} Bosniak IIF cyst {pp}", "s"),
                          ("{size} solid {adj} renal nodule", "s")],
        },
        "locs": {"any": [
            ("left", "in the upper pole of the left kidney", "left", "left kidney upper pole"),
            ("left", "in the lower pole of the left kidney", "left", "left kidney lower pole"),
            ("right", "in the interpolar right kidney", "right", "right kidney interpolar region"),
            ("right", "in the lower pole of the right kidney", "right",
             "right kidney lower pole")]},
        "sizes": (9, 48, ["cm", "cm", "cm2", "mm"]),
        "adj_labels": {"left": "left kidney", "right": "right kidney"},
        "absent": {"shared": ["renal mass", "suspicious renal lesion", "solid renal mass"],
                   "test_only": ["renal lesion"]},
        "without": "The kidneys enhance symmetrically without {F}.",
        "benign": [("{size} simple cyst {pp}", "s"), ("{size} simple {adj} renal cyst", "s"),
                   ("Bosniak I cyst {pp}", "s")],
        "historical": [("left renal mass", "left", "left kidney"),
                       ("right renal mass", "right", "right kidney")],
        "hypothetical": ["renal mass", "renal lesion"],
    },
    "hepatic_lesion": {
        "templates": {
            "shared": [("{size} hypoattenuating lesion {pp}", "s"),
                       ("{size} {adj} hepatic lesion", "s"),
                       ("{size} arterially enhancing lesion {pp}", "s"),
                       ("hypodensity {pp}, too small to characterize", "s"),
                       ("{size} hepatic mass {pp}", "s"), ("{adj} liver lesion", "s")],
            "test_only": [("{size} hypoechoic lesion {pp}", "s"),
                          ("subcentimeter hypodensity {pp}, too small to characterize", "s")],
        },
        "locs": {"any": [
            ("right hepatic lobe", "in the right hepatic lobe", None, "right hepatic lobe"),
            ("left hepatic lobe", "in the left hepatic lobe", None, "left hepatic lobe"),
            ("segment 7", "in hepatic segment 7", None, "hepatic segment 7"),
            ("segment 4", "in hepatic segment 4", None, "hepatic segment 4")]},
        "sizes": (5, 38, ["mm", "cm", "cm", "cm2"]),
        "absent": {"shared": ["focal hepatic lesion", "suspicious liver lesion", "liver mass"],
                   "test_only": ["focal liver lesion"]},
        "without": "The liver is normal in size without {F}.",
        "benign": [("{size} simple hepatic cyst {pp}", "s"), ("{size} simple cyst {pp}", "s"),
                   ("{size} benign hemangioma {pp}", "s")],
        "historical": [("hepatic lesion", None, "liver")],
        "hypothetical": ["liver lesion", "hepatic mass"],
    },
    "pancreatic_lesion": {
        "templates": {
            "shared": [("{size} cystic lesion {pp}", "s"), ("{size} hypodense mass {pp}", "s"),
                       ("{size} pancreatic cyst {pp}", "s"),
                       ("{adj} pancreatic lesion measuring {size}", "s")],
            "test_only": [("{size} side-branch IPMN {pp}", "s"),
                          ("{size} {adj} pancreatic cystic lesion", "s")],
        },
        "locs": {"any": [
            ("pancreatic head", "in the pancreatic head", None, "pancreatic head"),
            ("pancreatic tail", "in the pancreatic tail", None, "pancreatic tail"),
            ("pancreatic body", "in the pancreatic body", None, "pancreatic body"),
            ("uncinate", "in the uncinate process", None, "uncinate process")]},
        "sizes": (5, 32, ["mm", "cm", "cm2"]),
        "absent": {"shared": ["pancreatic mass", "pancreatic lesion"],
                   "test_only": ["pancreatic cyst"]},
        "without": "The pancreas enhances homogeneously without {F}.",
        "historical": [("pancreatic tail cyst", None, "pancreatic tail")],
        "hypothetical": ["pancreatic mass", "pancreatic lesion"],
    },
    "adnexal_lesion": {
        "templates": {
            "shared": [("{size} complex {adj} ovarian cyst", "s"),
                       ("{size} {adj} adnexal mass", "s"),
                       ("{size} hemorrhagic cyst {pp}", "s"), ("{size} solid lesion {pp}", "s"),
                       ("{adj} adnexal cyst measuring {size}", "s")],
            "test_only": [("{size} septated cyst {pp}", "s"),
                          ("{size} heterogeneous {adj} adnexal lesion", "s")],
        },
        "locs": {"any": [
            ("left", "in the left ovary", "left", "left ovary"),
            ("right", "in the right ovary", "right", "right ovary"),
            ("left", "in the left adnexa", "left", "left adnexa"),
            ("right", "in the right adnexa", "right", "right adnexa")]},
        "sizes": (22, 72, ["cm", "cm2", "cm3"]),
        "adj_labels": {"left": "left adnexa", "right": "right adnexa"},
        "absent": {"shared": ["adnexal mass", "ovarian cyst"], "test_only": ["adnexal lesion"]},
        "without": "The ovaries are normal in size without {F}.",
        "benign": [("{size} simple {adj} ovarian cyst", "s")],
        "historical": [("right ovarian mass", "right", "right ovary")],
        "hypothetical": ["ovarian cyst", "adnexal mass"],
    },
    "aortic_aneurysm": {
        "templates": {
            "shared": [("{size} {adj} aneurysm", "s"), ("{adj} aneurysm measuring {size}", "s"),
                       ("aneurysmal dilatation {pp} to {size}", "m"),
                       ("fusiform aneurysm {pp} measuring {size}", "s")],
            "test_only": [("ectatic dilatation {pp} measuring {size}", "m"),
                          ("aneurysmal {adj} dilatation to {size}", "m")],
        },
        "locs": {"chest": [("ascending aortic", "of the ascending aorta", None, "ascending aorta")],
                 "abdomen": [("infrarenal abdominal aortic", "of the infrarenal abdominal aorta",
                              None, "infrarenal abdominal aorta")]},
        "sizes": (32, 56, ["cm"]),
        "absent": {"shared": ["abdominal aortic aneurysm", "aortic aneurysm"],
                   "test_only": ["aortic aneurysm or dissection"]},
        "without": "The abdominal aorta is normal in caliber without {F}.",
                "hypothetical": ["abdominal aortic aneurysm", "aortic aneurysm"],
    },
    "lymphadenopathy": {
        "templates": {
            "shared": [("enlarged {adj} lymph node measuring {size} in short axis", "s"),
                       ("{size} {adj} lymph node", "s"), ("{adj} lymphadenopathy", "m"),
                       ("enlarged lymph node {pp} measuring {size}", "s"),
                       ("prominent {adj} lymph nodes measuring up to {size}", "p")],
            "test_only": [("bulky {adj} adenopathy", "m"),
                          ("{size} short-axis {adj} node", "s")],
        },
        "locs": {
            "chest": [("right hilar", "in the right hilum", "right", "right hilum"),
                      ("subcarinal", "in the subcarinal station", None, "subcarinal"),
                      ("left axillary", "in the left axilla", "left", "left axilla"),
                      ("mediastinal", "in the mediastinum", None, "mediastinum")],
            "abdomen": [("retroperitoneal", "in the retroperitoneum", None, "retroperitoneum"),
                        ("mesenteric", "in the mesentery", None, "mesentery"),
                        ("left para-aortic", "in the left para-aortic region", "left",
                         "left para-aortic")],
            "pelvis": [("right external iliac", "along the right external iliac chain", "right",
                        "right external iliac"),
                       ("left inguinal", "in the left inguinal region", "left", "left inguinal")],
            "neck": [("right level II", "in right level II", "right", "right level II"),
                     ("left supraclavicular", "in the left supraclavicular region", "left",
                      "left supraclavicular")],
        },
        "sizes": (11, 28, ["cm", "mm"]),
        "absent": {"shared": ["lymphadenopathy", "enlarged lymph nodes",
                              "pathologically enlarged lymph nodes"],
                   "test_only": ["adenopathy"]},
        "without": "The mediastinum is unremarkable without {F}.",
                "hypothetical": ["lymphadenopathy"],
    },
    "breast_lesion": {
        "templates": {
            "shared": [("{size} {adj} breast mass", "s"), ("{size} nodule {pp}", "s"),
                       ("{adj} breast nodule measuring {size}", "s"),
                       ("{size} soft tissue mass {pp}", "s")],
            "test_only": [("{size} enhancing {adj} breast lesion", "s")],
        },
        "locs": {"any": [
            ("left", "in the left breast", "left", "left breast"),
            ("right", "in the right breast", "right", "right breast"),
            ("left retroareolar", "in the retroareolar left breast", "left",
             "left breast retroareolar"),
            ("right upper outer quadrant", "in the upper outer right breast", "right",
             "right breast upper outer quadrant")]},
        "sizes": (8, 26, ["mm", "cm", "cm2"]),
        "absent": {"shared": ["breast mass"], "test_only": ["axillary or breast mass"]},
        "without": "The visualized breast tissue is unremarkable without {F}.",
        "historical": [("left breast mass", "left", "left breast")],
        "hypothetical": ["breast mass"],
    },
    "bone_lesion": {
        "templates": {
            "shared": [("{size} lytic lesion {pp}", "s"), ("{size} sclerotic lesion {pp}", "s"),
                       ("{adj} lytic lesion", "s"), ("{size} blastic lesion {pp}", "s"),
                       ("{size} lucent lesion {pp}", "s")],
            "test_only": [("{size} expansile osseous lesion {pp}", "s"),
                          ("{adj} permeative bone lesion", "s")],
        },
        "nm_templates": [("focal lesion {pp} with increased radiotracer uptake", "s"),
                         ("{adj} lesion with intense radiotracer uptake", "s")],
        "locs": {
            "chest": [("right sixth rib", "in the right sixth rib", "right", "right sixth rib"),
                      ("T8 vertebral body", "in the T8 vertebral body", None, "T8 vertebral body"),
                      ("sternal", "in the sternum", None, "sternum")],
            "abdomen": [("L2 vertebral body", "in the L2 vertebral body", None,
                         "L2 vertebral body"),
                        ("right iliac", "in the right iliac bone", "right", "right iliac bone"),
                        ("left femoral head", "in the left femoral head", "left",
                         "left femoral head")],
            "spine": [("L3 vertebral body", "in the L3 vertebral body", None, "L3 vertebral body"),
                      ("S1 segment", "in the S1 segment", None, "S1")],
            "knee": [("distal femoral metaphyseal", "in the distal femoral metaphysis", None,
                      "distal femoral metaphysis"),
                     ("proximal tibial", "in the proximal tibia", None, "proximal tibia")],
            "shoulder": [("proximal humeral", "in the proximal humerus", None,
                          "proximal humerus")],
            "head": [("parietal calvarial", "in the left parietal calvarium", "left",
                      "left parietal calvarium")],
        },
        "sizes": (6, 38, ["mm", "cm", "cm2"]),
        "absent": {"shared": ["suspicious osseous lesion", "lytic or blastic lesion",
                              "aggressive osseous lesion"],
                   "test_only": ["focal bone lesion"]},
        "without": "The osseous structures are intact without {F}.",
        "benign": [("{size} benign bone island {pp}", "s")],
        "historical": [("lytic lesion in the right femur", "right", "right femur")],
        "hypothetical": ["osseous metastatic lesion", "bone lesion"],
    },
    "other_mass": {
        "templates": {
            "shared": [("{size} soft tissue mass {pp} of uncertain significance", "s"),
                       ("{size} indeterminate lesion {pp}", "s"),
                       ("{size} soft tissue nodule {pp}", "s"), ("{size} cystic mass {pp}", "s")],
            "test_only": [("{size} heterogeneous mass {pp}", "s")],
        },
        "locs": {
            "abdomen": [("splenic", "in the spleen", None, "spleen"),
                        ("mesenteric", "in the small bowel mesentery", None, "mesentery"),
                        ("sigmoid", "in the sigmoid colon", None, "sigmoid colon")],
            "chest": [("anterior mediastinal", "in the anterior mediastinum", None,
                       "anterior mediastinum"),
                      ("chest wall", "in the right chest wall", "right", "right chest wall")],
            "neck": [("parotid", "in the left parotid gland", "left", "left parotid gland")],
            "knee": [("popliteal", "in the popliteal fossa", None, "popliteal fossa")],
            "shoulder": [("deltoid", "within the deltoid muscle", None, "deltoid muscle")],
            "pelvis": [("presacral", "in the presacral space", None, "presacral space")],
            "spine": [("paraspinal", "in the right paraspinal musculature", "right",
                       "right paraspinal musculature")],
        },
        "sizes": (10, 62, ["cm", "cm2", "cm3"]),
        "absent": {"shared": ["soft tissue mass"], "test_only": ["discrete soft tissue mass"]},
        "without": "The soft tissues are unremarkable without {F}.",
        "benign": [("{size} simple splenic cyst", "s")],
        "historical": [("right thigh soft tissue mass", "right", "right thigh")],
        "hypothetical": ["soft tissue mass", "intracranial mass"],
    },
}

# --------------------------------------------------------------------------
# Recommended actions per finding type. imaging: (phrase, modality, body_region,
# alternative modality); procedure/lab: (phrase, modality, body_region);
# consult: (adjective form, noun form) of the specialty.
# --------------------------------------------------------------------------
ACTIONS = {
    "pulmonary_nodule": {
        "imaging": [("CT chest", "CT", "chest", None),
                    ("noncontrast chest CT", "CT", "chest", None),
                    ("low-dose CT of the chest", "CT", "chest", None),
                    ("PET/CT", "PET", None, None), ("CT chest or PET/CT", "CT", "chest", "PET")],
        "procedure": [("tissue sampling", "BIOPSY", None)],
        "consult": [("pulmonology", "pulmonology")],
        "intervals": ["3", "6-12", "12", "3-6", "6", "18-24"],
    },
    "lung_mass": {
        "imaging": [("PET/CT", "PET", None, None),
                    ("contrast-enhanced CT chest", "CT", "chest", None),
                    ("CT of the chest with contrast", "CT", "chest", None)],
        "procedure": [("tissue sampling", "BIOPSY", None), ("CT-guided biopsy", "BIOPSY", None),
                      ("bronchoscopy", "PROCEDURE", None)],
        "consult": [("pulmonology", "pulmonology"), ("thoracic surgery", "thoracic surgery")],
        "intervals": ["1.5", "3"],
    },
    "thyroid_nodule": {
        "imaging": [("thyroid ultrasound", "US", "thyroid", None),
                    ("dedicated thyroid ultrasound", "US", "thyroid", None),
                    ("ultrasound of the thyroid", "US", "thyroid", None)],
        "procedure": [("ultrasound-guided fine needle aspiration", "BIOPSY", "thyroid"),
                      ("FNA", "BIOPSY", None)],
        "consult": [("endocrinology", "endocrinology")],
        "lab": [("thyroid function tests", "LAB", None)],
        "intervals": ["12", "6-12"],
    },
    "adrenal_nodule": {
        "imaging": [("adrenal protocol CT", "CT", "adrenal", None),
                    ("MRI of the abdomen with chemical shift imaging", "MR", "abdomen", None),
                    ("adrenal washout CT or MRI", "CT", "adrenal", "MR"),
                    ("noncontrast CT abdomen", "CT", "abdomen", None)],
        "consult": [("endocrinology", "endocrinology")],
        "lab": [("biochemical testing for adrenal hyperfunction", "LAB", None),
                ("plasma metanephrines", "LAB", None)],
        "intervals": ["12", "6-12"],
    },
    "renal_lesion": {
        "imaging": [("renal ultrasound", "US", "kidney", None),
                    ("MRI abdomen with and without contrast", "MR", "abdomen", None),
                    ("renal protocol CT", "CT", "kidney", None),
                    ("dedicated renal protocol CT or MRI", "CT", "kidney", "MR")],
        "consult": [("urology", "urology")],
        "intervals": ["6", "6-12", "12", "3-6"],
    },
    "hepatic_lesion": {
        "imaging": [("MRI of the liver with contrast", "MR", "liver", None),
                    ("multiphase CT of the liver", "CT", "liver", None),
                    ("liver ultrasound", "US", "liver", None),
                    ("MRI abdomen", "MR", "abdomen", None)],
        "lab": [("serum AFP", "LAB", None), ("serum alpha-fetoprotein", "LAB", None)],
        "intervals": ["3", "3-6", "6"],
    },
    "pancreatic_lesion": {
        "imaging": [("MRI abdomen with MRCP", "MR", "abdomen", None),
                    ("pancreatic protocol CT", "CT", "pancreas", None),
                    ("MRCP", "MR", "pancreas", None)],
        "procedure": [("upper endoscopy", "PROCEDURE", None)],
        "consult": [("gastroenterology", "gastroenterology"), ("surgical", "surgery")],
        "lab": [("serum CA 19-9", "LAB", None)],
        "intervals": ["12", "6", "24"],
    },
    "adnexal_lesion": {
        "imaging": [("pelvic ultrasound", "US", "pelvis", None),
                    ("transvaginal ultrasound", "US", "pelvis", None),
                    ("MRI pelvis with contrast", "MR", "pelvis", None)],
        "consult": [("gynecologic", "gynecology")],
        "lab": [("serum CA-125", "LAB", None)],
        "intervals": ["1.5-3", "1.5", "6-12"],
    },
    "aortic_aneurysm": {
        "imaging": [("abdominal ultrasound", "US", "abdomen", None),
                    ("CT angiography of the abdomen", "CT", "abdomen", None),
                    ("CTA chest", "CT", "chest", None)],
        "consult": [("vascular surgery", "vascular surgery")],
        "intervals": ["12", "24", "6"],
    },
    "lymphadenopathy": {
        "imaging": [("CT chest", "CT", "chest", None), ("PET/CT", "PET", None, None),
                    ("CT of the abdomen and pelvis", "CT", "abdomen and pelvis", None)],
        "procedure": [("tissue sampling", "BIOPSY", None)],
        "intervals": ["3", "1.5", "3-6"],
    },
    "breast_lesion": {
        "imaging": [("diagnostic mammography and breast ultrasound", "MG", "breast", "US"),
                    ("diagnostic mammogram", "MG", "breast", None),
                    ("targeted breast ultrasound", "US", "breast", None)],
        "consult": [("breast surgery", "breast surgery")],
        "intervals": [],
    },
    "bone_lesion": {
        "imaging": [("MRI", "MR", None, None), ("bone scan", "NM", None, None),
                    ("skeletal survey", "XR", None, None), ("PET/CT", "PET", None, None)],
        "procedure": [("CT-guided biopsy", "BIOPSY", None)],
        "consult": [("orthopedic oncology", "orthopedic oncology")],
        "lab": [("serum PSA", "LAB", None), ("serum protein electrophoresis", "LAB", None)],
        "intervals": ["3", "6"],
    },
    "other_mass": {
        "imaging": [("MRI with and without contrast", "MR", None, None),
                    ("contrast-enhanced CT", "CT", None, None),
                    ("targeted ultrasound", "US", None, None)],
        "procedure": [("tissue sampling", "BIOPSY", None)],
        "consult": [("surgical", "surgery")],
        "intervals": ["3", "6"],
    },
}

# Interval phrasings: key (months as text) -> split pool of clauses.
# Each clause maps to [min, max] months via INTERVAL_VALUES.
INTERVALS = {
    "1.5": {"shared": [" in 6 weeks"], "test_only": [" in six weeks"]},
    "1.5-3": {"shared": [" in 6-12 weeks"], "test_only": [" in 6 to 12 weeks"]},
    "3": {"shared": [" in 3 months", " in three months"], "test_only": [" at 3 months"]},
    "3-6": {"shared": [" in 3-6 months"], "test_only": [" in 3 to 6 months"]},
    "6": {"shared": [" in 6 months"], "test_only": [" at 6 months"]},
    "6-12": {"shared": [" in 6-12 months", " in 6 to 12 months"],
             "test_only": [" at 6-12 months"]},
    "12": {"shared": [" in 1 year", " in 12 months"], "test_only": [" in one year"]},
    "18-24": {"shared": [" in 18-24 months"], "test_only": [" at 18 to 24 months"]},
    "24": {"shared": [" in 2 years"], "test_only": [" in 24 months"]},
}
INTERVAL_VALUES = {
    "1.5": [1.5, 1.5], "1.5-3": [1.5, 3.0], "3": [3.0, 3.0], "3-6": [3.0, 6.0],
    "6": [6.0, 6.0], "6-12": [6.0, 12.0], "12": [12.0, 12.0], "18-24": [18.0, 24.0],
    "24": [24.0, 24.0],
}

# --------------------------------------------------------------------------
# Recommendation sentence templates, by action kind and directness.
# {X} exam capitalised, {x} as is, {Ax} with its article, {I} interval clause
# or ""; consults use {S} (adjective, capitalised) and {s} (noun) forms.
# --------------------------------------------------------------------------
REC_TEMPLATES = {
    ("imaging", "direct"): {
        "shared": ["Recommend follow-up {x}{I}.", "Follow-up {x}{I} is recommended.",
                   "Recommend {x} for further evaluation.", "{Ax} should be obtained{I}.",
                   "{X}{I} is advised.", "Suggest {x}{I}.",
                   "Further evaluation with {x} is recommended.",
                   "Recommend further characterization with {x}."],
        "test_only": ["Would recommend {x}{I}.", "Advise follow-up {x}{I}.",
                      "The patient should undergo {x}{I}.", "{X}{I} is suggested."],
    },
    ("imaging", "conditional"): {
        "shared": ["Consider {x} for further characterization.",
                   "{X} could be obtained if clinically indicated.",
                   "{X} may be helpful for further evaluation.",
                   "Follow-up {x}{I} could be considered.",
                   "Follow-up {x}{I} as clinically warranted.",
                   "If clinically indicated, {x}{I} could be performed."],
        "test_only": ["{X} might be of value for further characterization.",
                      "Could consider {x}{I}.",
                      "{X}{I} may be considered if there is clinical concern."],
    },
    ("procedure", "direct"): {
        "shared": ["Recommend {x}.", "{X} is recommended.", "{X} should be performed."],
        "test_only": ["Recommend referral for {x}."],
    },
    ("procedure", "conditional"): {
        "shared": ["Consider {x}.", "{X} could be considered."],
        "test_only": ["{X} may be warranted."],
    },
    ("consult", "direct"): {
        "shared": ["{S} consultation is recommended.", "Recommend referral to {s}.",
                   "Refer to {s} for further management.", "{S} referral is advised."],
        "test_only": ["Suggest {s} consultation."],
    },
    ("consult", "conditional"): {
        "shared": ["Consider {s} referral.", "{S} consultation could be considered."],
        "test_only": ["Referral to {s} may be beneficial."],
    },
    ("lab", "direct"): {
        "shared": ["Correlate with {x}.", "Correlation with {x} is recommended.",
                   "Recommend correlation with {x}."],
        "test_only": ["Suggest correlation with {x}."],
    },
    ("lab", "conditional"): {
        "shared": ["Correlation with {x} may be helpful.", "Consider correlation with {x}."],
        "test_only": ["Correlation with {x} could be considered."],
    },
}

# Follow-up recommendations without a modality (modality null).
GENERIC_RECS = {
    "shared": [("Follow-up imaging{I} is recommended.", False),
               ("Recommend imaging follow-up{I}.", False),
               ("Short-interval follow-up imaging is recommended.", False),
               ("Continued imaging surveillance{I} could be considered.", True)],
    "test_only": [("Recommend repeat imaging{I}.", False),
                  ("Interval follow-up imaging{I} may be considered.", True)],
}

FLEISCHNER = {
    "shared": ["Per Fleischner Society guidelines, recommend follow-up CT chest{I}.",
               "Per Fleischner Society 2017 guidelines, optional CT chest at 12 months.",
               "Based on Fleischner Society recommendations, a follow-up CT chest{I} is advised."],
    "test_only": ["Following Fleischner Society guidelines, CT chest{I} is recommended."],
}

# --------------------------------------------------------------------------
# Hard negatives: sentences that are NOT follow-up recommendations.
# --------------------------------------------------------------------------
HARD_NEGATIVES = {
    "shared": ["Clinical correlation is recommended.", "Correlate clinically.",
               "Comparison with prior studies would be helpful.",
               "No follow-up imaging is recommended.", "No further follow-up is needed.",
               "Recommend clinical correlation.",
               "Previously recommended follow-up CT was performed.",
               "This examination was obtained as recommended on the prior report.",
               "Patient is scheduled for biopsy next week.",
               "Correlation with any outside prior imaging would be helpful."],
    "test_only": ["Please correlate clinically.", "Clinical correlation advised.",
                  "No additional imaging follow-up is required.",
                  "The patient has a follow-up appointment scheduled with oncology.",
                  "If available, outside studies would be helpful for comparison."],
}
FLEISCHNER_NO_FOLLOWUP = {
    "shared": ["Per Fleischner Society guidelines, no routine follow-up is required."],
    "test_only": ["Based on Fleischner Society criteria, no follow-up is needed."],
}

# --------------------------------------------------------------------------
# Normal filler sentences by region group (must not mention any finding noun).
# --------------------------------------------------------------------------
FILLER = {
    "chest": ["The heart is normal in size.", "There is no pericardial effusion.",
              "No pleural effusion or pneumothorax.", "The central airways are patent.",
              "Mild bibasilar atelectasis.", "The thoracic aorta is normal in caliber.",
              "Mild degenerative changes of the thoracic spine.",
              "Coronary artery calcifications are present.", "No consolidation."],
    "abdomen": ["The gallbladder is unremarkable.", "The spleen is normal in size.",
                "No hydronephrosis.", "There is no free fluid or free air.",
                "The bowel is normal in caliber without obstruction.", "The appendix is normal.",
                "Mild atherosclerotic calcification of the abdominal aorta.",
                "Small hiatal hernia.", "Colonic diverticulosis without diverticulitis."],
    "pelvis": ["The uterus is normal in size.", "The bladder is unremarkable.",
               "No free fluid in the pelvis.", "The endometrial stripe measures 6 mm."],
    "head": ["No acute intracranial hemorrhage.", "The ventricles are normal in size.",
             "The gray-white matter differentiation is preserved.",
             "No midline shift or mass effect.", "The visualized paranasal sinuses are clear.",
             "The mastoid air cells are clear."],
    "neck": ["The airway is patent.", "The salivary glands are unremarkable.",
             "No fluid collection.", "The visualized lung apices are clear."],
    "spine": ["Vertebral body heights are maintained.", "Mild disc desiccation at L4-L5.",
              "No spinal canal stenosis.", "Mild facet arthropathy at L5-S1.",
              "The conus medullaris terminates at L1.", "Alignment is normal."],
    "cspine": ["No acute fracture or malalignment of the cervical spine.",
               "Prevertebral soft tissues are normal.",
               "Multilevel degenerative disc disease, most pronounced at C5-C6."],
    "knee": ["No acute fracture or dislocation.", "Joint spaces are preserved.",
             "No joint effusion.", "Mild tricompartmental degenerative change."],
    "knee_mr": ["The menisci are intact.", "The cruciate ligaments are intact.",
                "Small joint effusion.", "The extensor mechanism is intact."],
    "shoulder": ["No fracture or dislocation.", "Mild acromioclavicular joint arthropathy.",
                 "The glenohumeral joint is congruent."],
    "breast": ["The breast tissue is heterogeneously dense.",
               "There are scattered areas of fibroglandular density.",
               "No suspicious calcifications or architectural distortion.",
               "Skin and nipples are unremarkable."],
    "us_abd": ["The liver is normal in size and echotexture.",
               "The gallbladder is without stones or wall thickening.",
               "The common bile duct measures 4 mm.", "The spleen measures 10 cm.",
               "No hydronephrosis.", "No ascites."],
    "carotid": ["No hemodynamically significant stenosis of either internal carotid artery.",
                "Antegrade flow in both vertebral arteries.",
                "Mild heterogeneous plaque at the carotid bifurcations."],
    "thyroid_us": ["The thyroid gland is normal in size.", "Normal parenchymal vascularity."],
    "cxr": ["The cardiomediastinal silhouette is within normal limits.",
            "No focal consolidation, pleural effusion, or pneumothorax.",
            "No acute osseous abnormality.", "The lungs are clear."],
    "nm_bone": ["Normal physiologic distribution of radiotracer.",
                "Expected renal and bladder activity.",
                "Degenerative uptake in both knees."],
    "pet": ["Physiologic FDG activity in the brain, myocardium, and urinary tract.",
            "Mediastinal blood pool SUVmax 1.9 and liver SUVmax 2.6."],
}

NORMAL_IMPRESSIONS = {
    "chest": "No acute cardiopulmonary abnormality.",
    "abdomen": "No acute abdominopelvic process.",
    "pelvis": "Normal pelvic examination.",
    "head": "No acute intracranial abnormality.",
    "neck": "No acute abnormality of the neck.",
    "spine": "Mild degenerative changes without acute abnormality.",
    "cspine": "No acute fracture or malalignment.",
    "knee": "No acute osseous abnormality.",
    "knee_mr": "Intact menisci and ligaments.",
    "shoulder": "No acute osseous abnormality.",
    "breast": "Benign examination.",
    "us_abd": "Unremarkable abdominal ultrasound.",
    "carotid": "No hemodynamically significant carotid stenosis.",
    "thyroid_us": "Normal thyroid ultrasound.",
    "cxr": "No acute cardiopulmonary process.",
    "nm_bone": "No scintigraphic evidence of osseous metastatic disease.",
    "pet": "No FDG-avid disease.",
}

COMPARISONS = {
    "shared": ["None.", "Prior study dated 03/12/2025.", "Prior examination from 2024.",
               "No prior studies available.", "Same-modality study from 11/02/2025."],
    "test_only": ["None available.", "Outside study dated 07/19/2025."],
}

ADDENDUM_NOTES = [
    "The findings were communicated to Dr. Lee by telephone at 14:20.",
    "Additional reformatted images were reviewed.",
    "Results were discussed with the ordering provider.",
]

# Actions tied to a location rather than to a finding type.
LOC_ACTIONS = {"sigmoid colon": ("colonoscopy", "PROCEDURE", None)}

# Short-interval chest radiograph follow-up (chest radiographs only):
# (sentence, interval [min, max], conditional)
XR_SHORT = {
    "shared": [("Recommend short-interval follow-up chest radiograph in 6 weeks.", [1.5, 1.5],
                False),
               ("Short-interval follow-up radiograph in 4-6 weeks is recommended.", [1.0, 1.5],
                False),
               ("Repeat chest radiograph in 6-8 weeks after treatment is advised.", [1.5, 2.0],
                False)],
    "test_only": [("Follow-up PA and lateral chest radiographs in 6 weeks would be helpful.",
                   [1.5, 1.5], True)],
}

# Mammography: BI-RADS lines and the screening sentences that are NOT
# follow-up recommendations after BI-RADS 1 or 2.
BIRADS_NEGATIVE = {
    "shared": ["BI-RADS 1: Negative.", "BI-RADS 2: Benign.", "BI-RADS Category 1 - Negative."],
    "test_only": ["ACR BI-RADS 2 - Benign findings."],
}
SCREENING_NEGATIVES = {
    "shared": ["Recommend annual screening mammography.",
               "Routine annual screening mammogram is recommended."],
    "test_only": ["Continue annual screening mammography."],
}
BENIGN_MG_FINDINGS = ["Stable benign-appearing calcifications in the right breast.",
                      "Scattered vascular calcifications.",
                      "No suspicious calcifications or architectural distortion."]
MG_CALLBACK = {
    "shared": [("Recommend diagnostic mammography and ultrasound of the {side} breast.", "MG",
                "breast", "US", None, False),
               ("Additional diagnostic views of the {side} breast are recommended.", "MG",
                "breast", None, None, False),
               ("Recommend short-interval follow-up diagnostic mammogram of the {side} breast "
                "in 6 months.", "MG", "breast", None, [6.0, 6.0], False)],
    "test_only": [("Targeted ultrasound of the {side} breast could be considered.", "US",
                   "breast", None, None, True)],
}
MG_CALLBACK_FINDINGS = ["There is a focal asymmetry in the upper outer {side} breast seen on the "
                        "CC view only.",
                        "Grouped amorphous calcifications are present in the {side} breast at "
                        "2 o'clock."]
