"""Generate the labelled training sentences for the recommendation classifier.

Composes sentences from the phrase pools in ``pools_*.py`` (beside this file)
and writes ``train.jsonl``, one object per line::

    {"id": "ts-00001", "text": "...", "is_recommendation": true,
     "conditional": false, "modality": "CT", "interval_months": [3.0, 3.0],
     "kind": "rec_interval"}

Labels follow ANNOTATION.md section 1. Standard library only, seeded with
``random.Random(7)``: every run writes the same bytes.

    python corpora/sentences/generate.py            # writes corpora/sentences/train.jsonl
    python corpora/sentences/generate.py --out DIR  # writes DIR/train.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pools_common as common
import pools_negative as negative
import pools_positive as positive

HERE = Path(__file__).resolve().parent
SEED = 7
OUTPUT = "train.jsonl"
LIST_PREFIXES = ["1. ", "2. ", "3. ", "4. ", "5. ", "1) ", "2) ", "- "]
AN_LETTERS = frozenset("AEFHILMNORSX")
MASS_NOUN = re.compile(r"(?:graphy|metry|imaging)\b")
PREFIX_SLOT = re.compile(r"\{(?:P|P_cap|a_P|A_P)\}")

Slots = dict[str, Any]


@dataclass(frozen=True)
class Item:
    text: str
    kind: str
    is_recommendation: bool
    conditional: bool | None = None
    modality: str | None = None
    interval_months: list[float] | None = None


# ---------------------------------------------------------------- text helpers
def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def article(phrase: str) -> str:
    """'a' or 'an' for the phrase that follows (acronyms by letter name)."""
    word = phrase.split()[0]
    if word[0].isdigit():
        return "an" if word.startswith(("8", "11", "18")) else "a"
    if word[:2].isupper() and word != "HIDA":
        return "an" if word[0] in AN_LETTERS else "a"
    vowel = word[0].lower() in "aeiou" and not word.lower().startswith(("uni", "ur", "use"))
    return "an" if vowel else "a"


def with_article(phrase: str) -> str:
    """'a CT chest', 'an MRI', but no article for mass nouns ('diagnostic mammography')."""
    if MASS_NOUN.search(phrase):
        return phrase
    return f"{article(phrase)} {phrase}"


def fill(template: str, slots: Slots) -> str:
    text = template.format_map(slots)
    text = re.sub(r"\b([Dd]edicated) dedicated\b", r"\1", text)
    text = re.sub(r"\s+", " ", text).replace(" .", ".").replace(" ,", ",")
    return cap(text.strip())


def norm(text: str) -> str:
    """Key for duplicates: no list number, case or trailing period."""
    text = re.sub(r"^(?:\d+[.)]|-)\s+", "", text).casefold().rstrip(".")
    return " ".join(text.split())


def surface(rng: random.Random, text: str) -> str:
    """Report-like surface variation that never changes the label."""
    roll = rng.random()
    if roll < 0.04:
        text = text.upper()
    elif roll < 0.07 and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    if rng.random() < 0.15 and text.endswith("."):
        text = text[:-1]
    if rng.random() < 0.12:
        text = rng.choice(LIST_PREFIXES) + text
    return text


# ---------------------------------------------------------------- slot builders
def finding_slots(
    rng: random.Random, region: str, generic: list[str] = common.GENERIC_REASONS
) -> Slots:
    f = rng.choice(common.FINDINGS[region])
    return {
        "f": f,
        "F": cap(f),
        "f_bare": f.removeprefix("the "),
        "why": reason(rng, f, generic, optional=True),
        "why_req": reason(rng, f, generic, optional=False),
        "purpose": rng.choice(common.PURPOSES).format(f=f),
    }


def reason(rng: random.Random, f: str, generic: list[str], *, optional: bool) -> str:
    roll = rng.random()
    if optional and roll < 0.2:
        return ""
    if roll < 0.65:
        return rng.choice(common.REASON_FRAMES).format(f=f)
    return rng.choice(generic)


def exam_slots(rng: random.Random, region: str) -> tuple[Slots, str]:
    exam, modality = rng.choice(common.EXAMS[region])
    slots = finding_slots(rng, region)
    slots.update(
        exam=exam, Exam=cap(exam), a_exam=with_article(exam), A_exam=cap(with_article(exam))
    )
    return slots, modality


def interval_slots(
    rng: random.Random, template: str, p_empty: float = 0.0
) -> tuple[Slots, list[float] | None]:
    """Fill {I} or the adjectival {P} forms; the interval they express."""
    slots: Slots = {"I": "", "P": "", "P_cap": "", "a_P": "", "A_P": ""}
    if "{I}" in template and rng.random() >= p_empty:
        slots["I"], interval = rng.choice(common.INTERVALS)
        return slots, list(interval)
    if PREFIX_SLOT.search(template):
        prefix, interval = rng.choice(common.PREFIX_INTERVALS)
        slots.update(
            P=prefix, P_cap=cap(prefix), a_P=with_article(prefix), A_P=cap(with_article(prefix))
        )
        return slots, list(interval)
    return slots, None


# ---------------------------------------------------------------- positive kinds
def imaging(pool: list[positive.Template], kind: str) -> Callable[[random.Random], Item]:
    def make(rng: random.Random) -> Item:
        slots, modality = exam_slots(rng, rng.choice(list(common.EXAMS)))
        template, conditional = rng.choice(pool)
        return Item(fill(template, slots), kind, True, conditional, modality)

    return make


def make_alternative(rng: random.Random) -> Item:
    region = rng.choice(list(positive.ALT_ORGANS))
    suffix, modalities = positive.ALT_ORGANS[region]
    first, second = rng.sample(modalities, 2)
    pair = rng.choice(positive.ALT_JOINERS).format(
        a=rng.choice(positive.ALT_WORDS[first]), b=rng.choice(positive.ALT_WORDS[second])
    )
    alt = pair + (suffix if rng.random() < 0.6 else "")
    slots = finding_slots(rng, region) | {"alt": alt, "Alt": cap(alt)}
    template, conditional = rng.choice(positive.ALT_TEMPLATES)
    return Item(fill(template, slots), "rec_alternative", True, conditional, first)


def make_referral(rng: random.Random) -> Item:
    adj, noun, person, regions = rng.choice(common.SPECIALTIES)
    slots = finding_slots(rng, rng.choice(regions))
    slots.update(
        adj=adj,
        Adj=cap(adj),
        noun=noun,
        person=person,
        board=rng.choice(positive.BOARDS),
        rwhy=rng.choice(positive.REFERRAL_FRAMES).format(f=slots["f"]),
    )
    pool = positive.TUMOR_BOARD if rng.random() < 0.15 else positive.REFERRAL_TEMPLATES
    template, conditional = rng.choice(pool)
    return Item(fill(template, slots), "rec_referral", True, conditional, "CONSULT")


def make_procedure(rng: random.Random) -> Item:
    proc, modality, regions, takes_of = rng.choice(common.PROCEDURES)
    slots = finding_slots(rng, rng.choice(regions), common.PROCEDURE_REASONS)
    slots.update(proc=proc, Proc=cap(proc))
    pool = positive.PROC_TEMPLATES + (positive.PROC_OF_TEMPLATES if takes_of else [])
    template, conditional = rng.choice(pool)
    return Item(fill(template, slots), "rec_procedure", True, conditional, modality)


def make_lab(rng: random.Random) -> Item:
    lab, regions = rng.choice(common.LABS)
    slots = finding_slots(rng, rng.choice(regions)) | {"lab": lab, "Lab": cap(lab)}
    slots["tie"] = rng.choice(positive.LAB_TIES).format(f=slots["f"])
    template, conditional = rng.choice(positive.LAB_TEMPLATES)
    return Item(fill(template, slots), "rec_lab", True, conditional, "LAB")


def make_interval(rng: random.Random) -> Item:
    slots, modality = exam_slots(rng, rng.choice(list(common.EXAMS)))
    template, conditional = rng.choice(positive.INTERVAL_TEMPLATES)
    extra, interval = interval_slots(rng, template)
    return Item(
        fill(template, slots | extra), "rec_interval", True, conditional, modality, interval
    )


def make_guideline(rng: random.Random) -> Item:
    group = rng.choice(positive.GUIDELINES)
    body = rng.choice(group["bodies"])
    text, modality, conditional = body[:3]
    interval = body[3] if len(body) > 3 else None
    slots: Slots = {"I": ""}
    if "{I}" in text:
        slots["I"], interval = rng.choice(group["intervals"])
    sentence = fill(rng.choice(group["prefixes"]) + text, slots)
    return Item(
        sentence, "rec_guideline", True, conditional, modality, list(interval) if interval else None
    )


def make_generic(rng: random.Random) -> Item:
    slots = finding_slots(rng, rng.choice(list(common.FINDINGS)))
    template, conditional = rng.choice(positive.GENERIC_TEMPLATES)
    extra, interval = interval_slots(rng, template, p_empty=0.25)
    return Item(fill(template, slots | extra), "rec_generic", True, conditional, None, interval)


# ---------------------------------------------------------------- issue 12 kinds
def make_cueless(rng: random.Random) -> Item:
    """A recommendation without "recommend/suggest/consider" (issue 12, kind 1)."""
    symptom = rng.choice(positive.SYMPTOMS)
    if rng.random() < 0.35:
        template, conditional, modality = rng.choice(positive.CUELESS_VISIT)
        adj, noun, person, regions = rng.choice(common.SPECIALTIES)
        word, months = rng.choice(positive.N_WEEKS)
        slots = finding_slots(rng, rng.choice(regions))
        slots.update(
            Adj=cap(adj),
            noun=noun,
            person=person,
            n_w=word,
            symptom=symptom,
            rwhy=rng.choice(positive.REFERRAL_FRAMES).format(f=slots["f"]),
        )
        interval = [months, months] if "{n_w}" in template else None
        return Item(fill(template, slots), "rec_cueless", True, conditional, modality, interval)
    slots, modality = exam_slots(rng, rng.choice(list(common.EXAMS)))
    template, conditional = rng.choice(positive.CUELESS_IMAGING)
    slots["symptom"] = symptom
    return Item(fill(template, slots), "rec_cueless", True, conditional, modality)


def make_vocab(rng: random.Random) -> Item:
    """Radiograph, mammography, procedure, visit and test wording (issue 12, kinds 2 and 6)."""
    if rng.random() < 0.2:
        template, conditional = rng.choice(positive.VISIT_VOCAB)
        extra, interval = interval_slots(rng, template, p_empty=0.3)
        return Item(fill(template, extra), "rec_vocab", True, conditional, "CONSULT", interval)
    phrase, modality = rng.choice(positive.VOCAB)
    slots = finding_slots(rng, rng.choice(list(common.FINDINGS))) | {"v": phrase, "V": cap(phrase)}
    pool = positive.VOCAB_TEMPLATES
    if modality in ("XR", "MG"):
        pool = pool + positive.VIEW_TEMPLATES
    template, conditional = rng.choice(pool)
    return Item(fill(template, slots), "rec_vocab", True, conditional, modality)


def make_hedged_reason(rng: random.Random) -> Item:
    """A hedged reason, which leaves the recommendation's own wording decide (kind 3)."""
    if rng.random() < 0.1:
        template, conditional = rng.choice(positive.NIPPLE_MARKER)
        return Item(fill(template, {}), "rec_hedged_reason", True, conditional, "XR")
    slots, modality = exam_slots(rng, rng.choice(list(common.EXAMS)))
    cond = rng.choice(positive.CONDITIONS)
    hr = rng.choice(positive.HEDGED_REASONS).format(cond=cond, cond_a=with_article(cond))
    template, conditional = rng.choice(positive.HEDGED_REASON_HEADS)
    extra, interval = interval_slots(rng, template)
    text = fill(template, slots | extra | {"hr": hr})
    return Item(text, "rec_hedged_reason", True, conditional, modality, interval)


def make_interval_words(rng: random.Random) -> Item:
    """Mixed-unit ranges, words and parenthesised intervals (issue 12, kind 5)."""
    slots, modality = exam_slots(rng, rng.choice(list(common.EXAMS)))
    template, conditional = rng.choice(positive.INTERVAL_WORD_TEMPLATES)
    clause, interval = rng.choice(positive.INTERVAL_WORDS)
    text = fill(template, slots | {"I": clause})
    return Item(text, "rec_interval_words", True, conditional, modality, interval)


def make_precision(rng: random.Random) -> Item:
    """Text that is no recommendation for this patient (issue 12, kind 4)."""
    items = rng.sample(negative.DDX_ITEMS, 3)
    ddx = f"{rng.choice(negative.DDX_LEADS)} {items[0]}, {items[1]}, or less likely {items[2]}"
    slots = {
        "Ddx": ddx,
        "hours": rng.choice(negative.HOURS),
        "proc": rng.choice(common.PROCEDURES)[0],
        "Therapy": rng.choice(negative.THERAPIES),
        "Table_heading": rng.choice(negative.TABLE_HEADINGS),
        "Table_row": rng.choice(negative.TABLE_ROWS),
        "Header": rng.choice(negative.HEADERS_ALONE),
        "Title": rng.choice(common.EXAMS[rng.choice(list(common.EXAMS))])[0].upper(),
    }
    return Item(fill(rng.choice(negative.PRECISION), slots), "neg_precision", False)


# ---------------------------------------------------------------- negative kinds
def negative_slots(rng: random.Random) -> Slots:
    region = rng.choice(list(negative.DX))
    slots = finding_slots(rng, region)
    exam, modality = rng.choice(common.EXAMS[rng.choice(list(common.EXAMS))])
    proc = rng.choice(common.PROCEDURES)[0]
    bproc = rng.choice([p for p in common.PROCEDURES if p[3]])[0]
    adj, noun, person, _ = rng.choice(common.SPECIALTIES)
    prefix = rng.choice(common.PREFIX_INTERVALS)[0]
    date = rng.choice(common.DATES)
    dx, dx2 = rng.sample(negative.DX[region], 2)
    prior = rng.choice(negative.PRIORS)
    screen = rng.choice(negative.SCREENS)
    slots.update(
        exam=exam,
        Exam=cap(exam),
        EXAM=exam.upper(),
        proc=proc,
        Proc=cap(proc),
        Bproc=cap(bproc),
        adj=adj,
        Adj=cap(adj),
        noun=noun,
        person=person,
        P=prefix,
        a_P=with_article(prefix),
        A_P=cap(with_article(prefix)),
        I=rng.choice(common.INTERVALS)[0],
        date=date,
        mod=rng.choice(common.MOD_NOUNS),
        n=rng.choice(common.YEARS_N),
        dx=dx,
        dx2=dx2,
        prior=prior,
        Prior=cap(prior),
        pc_why=rng.choice(negative.PC_WHY),
        cc_with=rng.choice(negative.CC_WITH),
        cc_q=rng.choice(negative.CC_QUALIFIERS),
        Mild=rng.choice(negative.MILD),
        nf_tail=rng.choice(negative.NF_TAILS),
        Benign=rng.choice(negative.BENIGN),
        guideline=rng.choice(negative.GUIDELINES),
        contrast=contrast(rng, exam, modality),
        tech_mod=rng.choice(negative.TECH_MODS),
        tech_contrast=rng.choice(negative.CONTRASTS),
        anat=rng.choice(negative.ANATOMY),
        agent=rng.choice(negative.AGENTS),
        n_ml=rng.choice(["75", "80", "100", "125"]),
        ref_why=rng.choice(negative.REF_WHY),
        normal=rng.choice(negative.NORMAL),
        mod_img=rng.choice(negative.MOD_IMG),
        Views=rng.choice(negative.VIEWS),
        mins=rng.choice(negative.MINUTES),
        hist_tail=rng.choice(negative.HIST_TAILS),
        outcome=rng.choice(negative.OUTCOMES),
        date_ref=rng.choice(negative.DATE_REFS).format(date=date),
        when=rng.choice(negative.WHEN),
        when_adv=rng.choice(negative.WHEN_ADV),
        when_opt=rng.choice(negative.WHEN_OPT),
        who=rng.choice(negative.WHO),
        for_f=rng.choice(negative.FOR_F).format(f=slots["f"]),
        artifact=rng.choice(negative.ARTIFACTS),
        birads=rng.choice(negative.BIRADS),
        birads_only=rng.choice(negative.BIRADS),
        screen=screen,
        screen_lc=screen[0].lower() + screen[1:],
        lungrads=rng.choice(negative.LUNG_RADS),
        lung_screen=rng.choice(negative.LUNG_SCREENS),
    )
    slots["indic"] = rng.choice(negative.INDICATIONS).format(f_bare=slots["f_bare"], P=prefix)
    return slots


def contrast(rng: random.Random, exam: str, modality: str) -> str:
    """A contrast clause for CT/MR exams that do not name their contrast already."""
    if modality not in ("CT", "MR") or "contrast" in exam:
        return ""
    return rng.choice(negative.CONTRASTS)


def hard_negative(pool: list[str], kind: str) -> Callable[[random.Random], Item]:
    def make(rng: random.Random) -> Item:
        return Item(fill(rng.choice(pool), negative_slots(rng)), kind, False)

    return make


# kind -> (maker, target count)
KINDS: dict[str, tuple[Callable[[random.Random], Item], int]] = {
    "rec_direct": (imaging(positive.DIRECT_IMAGING, "rec_direct"), 320),
    "rec_hedged": (imaging(positive.HEDGED_IMAGING, "rec_hedged"), 300),
    "rec_alternative": (make_alternative, 150),
    "rec_referral": (make_referral, 220),
    "rec_procedure": (make_procedure, 230),
    "rec_lab": (make_lab, 170),
    "rec_interval": (make_interval, 300),
    "rec_guideline": (make_guideline, 110),
    "rec_generic": (make_generic, 80),
    "neg_clinical_correlation": (
        hard_negative(negative.CLINICAL_CORRELATION, "neg_clinical_correlation"),
        260,
    ),
    "neg_prior_comparison": (hard_negative(negative.PRIOR_COMPARISON, "neg_prior_comparison"), 200),
    "neg_no_followup": (hard_negative(negative.NO_FOLLOWUP, "neg_no_followup"), 280),
    "neg_technique": (hard_negative(negative.TECHNIQUE, "neg_technique"), 450),
    "neg_history": (hard_negative(negative.HISTORY, "neg_history"), 260),
    "neg_scheduled": (hard_negative(negative.SCHEDULED, "neg_scheduled"), 230),
    "neg_screening": (hard_negative(negative.SCREENING, "neg_screening"), 160),
    "neg_finding": (hard_negative(negative.FINDING_NEG, "neg_finding"), 800),
    "neg_indicative": (hard_negative(negative.INDICATIVE, "neg_indicative"), 220),
    # issue 12 (after the older kinds, so their sentences stay as they were)
    "rec_cueless": (make_cueless, 170),
    "rec_vocab": (make_vocab, 230),
    "rec_hedged_reason": (make_hedged_reason, 160),
    "rec_interval_words": (make_interval_words, 120),
    "neg_precision": (make_precision, 480),
}


# ---------------------------------------------------------------- assembly
def collect(rng: random.Random, seen: dict[str, bool]) -> list[Item]:
    """Draw up to each kind's target of sentences, distinct across the whole set."""
    items: list[Item] = []
    for kind, (make, target) in KINDS.items():
        count = attempts = 0
        while count < target and attempts < target * 60:
            attempts += 1
            item = make(rng)
            key = norm(item.text)
            if key in seen:
                if seen[key] != item.is_recommendation:
                    raise ValueError(f"{kind}: one text, two labels: {item.text!r}")
                continue
            seen[key] = item.is_recommendation
            items.append(item)
            count += 1
    return items


def record(index: int, item: Item, text: str) -> dict[str, Any]:
    return {
        "id": f"ts-{index:05d}",
        "text": text,
        "is_recommendation": item.is_recommendation,
        "conditional": item.conditional,
        "modality": item.modality,
        "interval_months": item.interval_months,
        "kind": item.kind,
    }


def build() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    items = collect(rng, {})
    rng.shuffle(items)
    return [record(i, item, surface(rng, item.text)) for i, item in enumerate(items, 1)]


def write(records: list[dict[str, Any]], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / OUTPUT
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records]
    path.write_text("".join(lines), encoding="utf-8", newline="\n")
    return path


def summary(records: list[dict[str, Any]]) -> str:
    kinds = Counter(r["kind"] for r in records)
    positives = sum(r["is_recommendation"] for r in records)
    rows = [f"| {kind} | {kinds[kind]} |" for kind in KINDS]
    return "\n".join(
        [
            "| kind | sentences |",
            "|---|---:|",
            *rows,
            f"| **total** | {len(records)} ({positives} positive) |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args(argv)
    records = build()
    path = write(records, args.out)
    print(f"wrote {len(records)} sentences to {path}")
    print(summary(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
