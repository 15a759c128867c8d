"""Report scenarios: each builds a :class:`compose.Plan` for one exam.

incidental  - unrelated indication (or none), incidental findings, recommendations
targeted    - the indication names the finding (not incidental), maybe one incidental
normal      - no positive findings, negations and hard negatives only
benign      - benign findings (calcified granuloma, simple cysts), no follow-up
historical  - history of a resected finding, surveillance, no recurrence
hypothetical- "rule out X" indication; X absent or present
mammo       - screening mammography (BI-RADS 1/2 or callback)
"""

from __future__ import annotations

import random
from typing import Any

import phrases as P
from compose import (
    Plan,
    Sentence,
    Span,
    frame_sentence,
    make_rec,
    mention,
    pick,
    repeat_mention,
    simple_mention,
)

BENIGN_TYPES = [t for t, spec in P.FINDINGS.items() if "benign" in spec]
HISTORICAL_TYPES = [t for t, spec in P.FINDINGS.items() if "historical" in spec]
TYPE_WEIGHT = {"breast_lesion": 6.0, "adrenal_nodule": 2.0, "pancreatic_lesion": 2.0,
               "hepatic_lesion": 1.5, "lung_mass": 1.5, "bone_lesion": 0.6,
               "thyroid_nodule": 0.7}


class Keys:
    """Finding-object keys within one report (f1, f2, ...)."""

    def __init__(self) -> None:
        self.n = 0

    def new(self) -> str:
        self.n += 1
        return f"f{self.n}"


def new_plan(rng: random.Random, exam: dict[str, Any], split: str) -> Plan:
    side = rng.choice(["left", "right"]) if "{SIDE}" in "".join(exam["titles"]) else None
    title = rng.choice(exam["titles"]).replace("{SIDE}", (side or "").upper())
    plan = Plan(exam=exam, split=split, title=title, side=side)
    plan.add("examination", [title])
    return plan


def set_indication(rng: random.Random, plan: Plan, sentence: Sentence | None,
                   text: str | None, headerless: bool) -> None:
    """Place the indication in the text, in the order (OBR-13/31), or both."""
    if text is None:
        return
    plan.indication = text
    where = "order" if headerless else rng.choices(["text", "both", "order"], [45, 35, 20])[0]
    plan.indication_in_order = where in ("order", "both")
    plan.indication_in_text = where in ("text", "both")
    if plan.indication_in_text:
        plan.add("indication", sentence or [text])


def indication_text(sentence: Sentence) -> str:
    return "".join(p.text if isinstance(p, Span) else p for p in sentence)


def add_common(rng: random.Random, plan: Plan, style_none: bool) -> None:
    exam, split = plan.exam, plan.split
    if not style_none and rng.random() < 0.7:
        plan.add("technique", [rng.choice(exam["technique"])])
        if exam["modality"] == "CT" and rng.random() < 0.15:
            plan.add("technique", ["Dose: CTDIvol 8.1 mGy | DLP 312 mGy-cm."])
    if not style_none and rng.random() < 0.6:
        plan.add("comparison", [pick(rng, P.COMPARISONS, split)])


def fillers(rng: random.Random, plan: Plan, n: int) -> list[Sentence]:
    pool = [s for g in plan.exam["filler"] for s in P.FILLER[g]]
    return [[s] for s in rng.sample(pool, min(n, len(pool)))]


def absent_mentions(rng: random.Random, plan: Plan, keys: Keys, types: list[str],
                    n: int) -> list[Sentence]:
    out = []
    for ftype in rng.sample(types, min(n, len(types))):
        spec = P.FINDINGS[ftype]
        noun = pick(rng, spec["absent"], plan.split)
        if rng.random() < 0.25:
            frame = {"shared": [spec["without"]], "test_only": []}
        else:
            frame = P.FRAMES["absent"]
        out.append(simple_mention(plan, rng, ftype, "absent", noun, frame, keys.new()))
    return out


def place_findings(rng: random.Random, plan: Plan, body: list[Sentence], n_fill: int) -> None:
    items = fillers(rng, plan, n_fill)
    for sentence in body:
        items.insert(rng.randint(0, len(items)), sentence)
    for sentence in items:
        plan.add("findings", sentence)


def add_recs(rng: random.Random, plan: Plan, recs: list[Span], impression_items: list) -> None:
    """Put recommendations in the impression, a RECOMMENDATION section or an addendum."""
    where = rng.choices(["impression", "recommendation", "addendum", "findings"],
                        [65, 15, 10, 10])[0]
    if where == "impression" or not recs:
        for item, rec in zip(impression_items, recs, strict=False):
            item.append([rec])
        for rec in recs[len(impression_items):]:
            impression_items.append([[rec]])
        return
    if where == "findings":
        for rec in recs:
            plan.add("findings", [rec])
        return
    if where == "addendum":
        plan.add("addendum", ["Following review with the clinical team:"], *[[r] for r in recs])
        return
    for rec in recs:
        plan.add("recommendation", [rec])


def finish_impression(plan: Plan, items: list[list[Sentence]]) -> None:
    for item in items:
        plan.add("impression", *item)


def hard_negatives(rng: random.Random, plan: Plan, items: list, p: float) -> None:
    if rng.random() < p:
        items.append([[pick(rng, P.HARD_NEGATIVES, plan.split)]])


def normal_impression(plan: Plan) -> Sentence:
    return [P.NORMAL_IMPRESSIONS[plan.exam["filler"][0]]]


# --------------------------------------------------------------------------
# positive findings with recommendations
# --------------------------------------------------------------------------
def positive_finding(rng: random.Random, plan: Plan, keys: Keys, ftype: str,
                     related: bool) -> tuple[Sentence, dict[str, Any]]:
    assertion = "possible" if rng.random() < 0.25 and not related else "present"
    frames = P.FRAMES[assertion]
    if related:  # the indication asks about it: never worded as "incidental"
        frames = {part: [f for f in frames[part] if "ncidental" not in f] for part in frames}
    sentence, attrs = mention(rng, plan, ftype, assertion, keys.new(), frame_pool=frames)
    if assertion == "present" and rng.random() < 0.2 and ftype in (
            "pulmonary_nodule", "hepatic_lesion", "renal_lesion", "adrenal_nodule"):
        pool = P.LIKELY_BENIGN if ftype == "pulmonary_nodule" else P.LIKELY_BENIGN_NO_GRANULOMA
        sentence = [*sentence[:-1], pick(rng, pool, plan.split)]
    return sentence, attrs


def small_nodule_no_followup(rng: random.Random, plan: Plan, attrs: dict[str, Any]) -> bool:
    size = attrs.get("size_mm")
    return (attrs["type"] == "pulmonary_nodule" and size is not None and max(size) <= 5
            and rng.random() < 0.6)


def findings_with_recs(rng: random.Random, plan: Plan, keys: Keys, types: list[str],
                       related: bool, p_rec: float) -> tuple[list[Sentence], list, list[Span]]:
    body, items, recs = [], [], []
    for ftype in types:
        sentence, attrs = positive_finding(rng, plan, keys, ftype, related)
        body.append(sentence)
        item = [repeat_mention(rng, plan, attrs)] if rng.random() < 0.8 else []
        if small_nodule_no_followup(rng, plan, attrs):
            item.append([pick(rng, P.FLEISCHNER_NO_FOLLOWUP, plan.split)])
        elif rng.random() < p_rec:
            for _ in range(2 if rng.random() < 0.15 else 1):
                rec = make_rec(rng, plan, attrs, conditional=rng.random() < 0.35)
                if rec.text not in plan.rec_texts:
                    plan.rec_texts.add(rec.text)
                    recs.append(rec)
        if item:
            items.append(item)
    return body, items, recs


def benign_sentences(rng: random.Random, plan: Plan, keys: Keys, n: int) -> list[Sentence]:
    options = [t for t in BENIGN_TYPES if t in plan.exam["types"]]
    out = []
    for ftype in rng.sample(options, min(n, len(options))):
        sentence, _ = mention(rng, plan, ftype, "present", keys.new(), benign=True)
        if ftype == "adnexal_lesion" or rng.random() < 0.35:
            sentence = [*sentence, pick(rng, P.BENIGN_TAILS, plan.split)]
        out.append(sentence)
    return out


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------
def incidental(rng: random.Random, plan: Plan, headerless: bool) -> None:
    exam, keys = plan.exam, Keys()
    ind = rng.choice(exam["unrelated"]) if exam["unrelated"] and rng.random() < 0.88 else None
    excluded = set(ind[1]) if ind else set()
    set_indication(rng, plan, None, ind[0] if ind else None, headerless)
    add_common(rng, plan, headerless)
    options = [t for t in exam["types"] if t not in excluded]
    chosen = weighted_sample(rng, options, rng.choice([1, 1, 1, 2]))
    body, items, recs = findings_with_recs(rng, plan, keys, chosen, False, 0.8)
    rest = [t for t in options if t not in chosen]
    body += absent_mentions(rng, plan, keys, rest, rng.choice([0, 1, 1, 2]))
    if rng.random() < 0.2:
        body += benign_sentences(rng, plan, keys, 1)
    place_findings(rng, plan, body, rng.randint(2, 5))
    hard_negatives(rng, plan, items, 0.3)
    add_recs(rng, plan, recs, items)
    finish_impression(plan, items or [[normal_impression(plan)]])


def weighted_sample(rng: random.Random, options: list[str], n: int) -> list[str]:
    """Distinct types, rarer ones boosted so every type is well represented."""
    pool, out = list(options), []
    while pool and len(out) < n:
        pick_ = rng.choices(pool, [TYPE_WEIGHT.get(t, 1.0) for t in pool])[0]
        out.append(pick_)
        pool.remove(pick_)
    return out


def target_indication(rng: random.Random, plan: Plan, keys: Keys,
                      target: list[Any]) -> tuple[Sentence, str]:
    template, ftype, related = target[0], target[1], target[2]
    assertion = target[3] if len(target) > 3 else "present"
    noun = rng.choice(P.FINDINGS[ftype]["hypothetical"])
    frame = {"shared": [template], "test_only": []}
    sentence = simple_mention(plan, rng, ftype, assertion, noun, frame, keys.new())
    plan.related = set(related)
    return sentence, indication_text(sentence)


def targeted(rng: random.Random, plan: Plan, headerless: bool) -> None:
    exam, keys = plan.exam, Keys()
    target = rng.choice(exam["targets"])
    sentence, text = target_indication(rng, plan, keys, target)
    set_indication(rng, plan, sentence, text, headerless)
    add_common(rng, plan, headerless)
    ftype = target[1]
    if len(target) > 3 and rng.random() < 0.35:  # screening question, answered negative
        body = absent_mentions(rng, plan, keys, [ftype], 1)
        items: list = [[normal_impression(plan)]]
        recs: list[Span] = []
    else:
        body, items, recs = findings_with_recs(rng, plan, keys, [ftype], True, 0.6)
    others = [t for t in exam["types"] if t not in plan.related]
    if others and rng.random() < 0.4:
        b2, i2, r2 = findings_with_recs(rng, plan, keys, [rng.choice(others)], False, 0.75)
        body, items, recs = body + b2, items + i2, recs + r2
    place_findings(rng, plan, body, rng.randint(2, 4))
    if not recs and rng.random() < 0.4:
        items.append([[pick(rng, P.HARD_NEGATIVES, plan.split)]])
    add_recs(rng, plan, recs, items)
    finish_impression(plan, items or [[normal_impression(plan)]])


def normal(rng: random.Random, plan: Plan, headerless: bool) -> None:
    exam, keys = plan.exam, Keys()
    ind = rng.choice(exam["unrelated"]) if exam["unrelated"] and rng.random() < 0.85 else None
    set_indication(rng, plan, None, ind[0] if ind else None, headerless)
    add_common(rng, plan, headerless)
    body = absent_mentions(rng, plan, keys, exam["types"], rng.choice([0, 1, 2, 2]))
    place_findings(rng, plan, body, rng.randint(2, 6))
    items: list = [[normal_impression(plan)]]
    hard_negatives(rng, plan, items, 0.5)
    finish_impression(plan, items)


def benign(rng: random.Random, plan: Plan, headerless: bool) -> None:
    exam, keys = plan.exam, Keys()
    ind = rng.choice(exam["unrelated"]) if exam["unrelated"] else None
    set_indication(rng, plan, None, ind[0] if ind else None, headerless)
    add_common(rng, plan, headerless)
    body = benign_sentences(rng, plan, keys, rng.choice([1, 1, 2]))
    place_findings(rng, plan, body, rng.randint(2, 5))
    items: list = [[normal_impression(plan)]]
    if rng.random() < 0.5:
        items.append([[pick(rng, P.HARD_NEGATIVES, plan.split)]])
    finish_impression(plan, items)


def historical(rng: random.Random, plan: Plan, headerless: bool) -> None:
    exam, keys = plan.exam, Keys()
    options = [t for t in HISTORICAL_TYPES if t in exam["types"]] or HISTORICAL_TYPES
    ftype = rng.choice(options)
    noun, lat, loc = rng.choice(P.FINDINGS[ftype]["historical"])
    sentence = simple_mention(plan, rng, ftype, "historical", noun, P.FRAMES["historical"],
                              keys.new(), lat, loc)
    sentence = [*sentence[:-1], sentence[-1].rstrip(".") + ". Surveillance."]
    plan.related = {ftype}
    set_indication(rng, plan, sentence, indication_text(sentence), headerless)
    add_common(rng, plan, headerless)
    recurrence = {"shared": ["No evidence of recurrent {F}.", "No recurrent {F}."],
                  "test_only": ["No findings to suggest recurrent {F}."]}
    absent_noun = pick(rng, P.FINDINGS[ftype]["absent"], plan.split)
    body = [simple_mention(plan, rng, ftype, "absent", absent_noun, recurrence, keys.new())]
    if rng.random() < 0.4:
        post = {"shared": ["Postsurgical changes from prior resection of {a}{F}."],
                "test_only": ["Sequelae of prior resection of {a}{F}."]}
        body.append(simple_mention(plan, rng, ftype, "historical", noun, post, keys.new(),
                                   lat, loc))
    others = [t for t in exam["types"] if t != ftype]
    items: list = [[normal_impression(plan)]]
    recs: list[Span] = []
    if others and rng.random() < 0.45:
        b2, items, recs = findings_with_recs(rng, plan, keys, [rng.choice(others)], False, 0.8)
        body += b2
    place_findings(rng, plan, body, rng.randint(2, 4))
    add_recs(rng, plan, recs, items)
    finish_impression(plan, items or [[normal_impression(plan)]])


def hypothetical(rng: random.Random, plan: Plan, headerless: bool) -> None:
    exam, keys = plan.exam, Keys()
    if exam["loc"] == "head":
        ftype, noun = "other_mass", "intracranial mass"
    else:
        ftype = rng.choice(exam["types"])
        noun = rng.choice([n for n in P.FINDINGS[ftype]["hypothetical"]
                           if "intracranial" not in n])
    sentence = simple_mention(plan, rng, ftype, "hypothetical", noun, P.FRAMES["hypothetical"],
                              keys.new())
    if rng.random() < 0.4:
        sentence = [rng.choice(["Abdominal pain. ", "Weight loss. ", "Abnormal prior imaging. ",
                                "Pain. "]), *sentence]
    plan.related = {ftype}
    set_indication(rng, plan, sentence, indication_text(sentence), headerless)
    add_common(rng, plan, headerless)
    items: list = []
    recs: list[Span] = []
    if exam["loc"] == "head" or rng.random() < 0.6:
        frame = {"shared": ["No {F}.", "No evidence of {F}."], "test_only": ["No {F} is seen."]}
        body = [simple_mention(plan, rng, ftype, "absent", noun, frame, keys.new())]
        items.append([normal_impression(plan)])
    else:
        body, items, recs = findings_with_recs(rng, plan, keys, [ftype], True, 0.7)
    place_findings(rng, plan, body, rng.randint(2, 5))
    add_recs(rng, plan, recs, items)
    finish_impression(plan, items or [[normal_impression(plan)]])


def mammo(rng: random.Random, plan: Plan, headerless: bool) -> None:
    exam = plan.exam
    set_indication(rng, plan, None, rng.choice(exam["unrelated"])[0], headerless)
    add_common(rng, plan, headerless)
    body = [[s] for s in rng.sample(P.FILLER["breast"], 2)]
    if rng.random() < 0.6:
        body.append([rng.choice(P.BENIGN_MG_FINDINGS)])
        for sentence in body:
            plan.add("findings", sentence)
        plan.add("impression", [pick(rng, P.BIRADS_NEGATIVE, plan.split)],
                 [pick(rng, P.SCREENING_NEGATIVES, plan.split)])
        return
    side = rng.choice(["left", "right"])
    body.append([rng.choice(P.MG_CALLBACK_FINDINGS).replace("{side}", side)])
    for sentence in body:
        plan.add("findings", sentence)
    text, modality, region, alt, interval, cond = pick(rng, P.MG_CALLBACK, plan.split)
    text = text.replace("{side}", side)
    category = "BI-RADS 3: Probably benign." if interval else "BI-RADS 0: Incomplete."
    rec = Span("rec", text, {"modality": modality, "body_region": region,
                             "interval_months": interval, "conditional": cond,
                             "alt_modalities": [alt] if alt else [], "key": None})
    plan.add("impression", [category], [rec])


SCENARIOS = {"incidental": incidental, "targeted": targeted, "normal": normal,
             "benign": benign, "historical": historical, "hypothetical": hypothetical,
             "mammo": mammo}

__all__ = ["SCENARIOS", "frame_sentence"]
