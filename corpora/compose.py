"""Building blocks for synthetic reports: split-aware picking, finding phrases,
recommendation sentences, and rendering a plan to text with exact offsets.

A report is planned as sections of items; an item is a list of sentences; a
sentence is a list of plain strings and :class:`Span` objects. Rendering walks
the plan once, so every span offset is known by construction.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

import phrases as P

TEST_ONLY_WEIGHT = 0.5
SECTION_ORDER = ["examination", "indication", "technique", "comparison", "findings",
                 "impression", "recommendation", "addendum"]


# --------------------------------------------------------------------------
# picking
# --------------------------------------------------------------------------
def pick(rng: random.Random, pool: Any, split: str) -> Any:
    """One variant of a split pool (or a plain list); dev never sees test_only."""
    if isinstance(pool, list):
        return rng.choice(pool)
    if split == "test" and pool["test_only"] and rng.random() < TEST_ONLY_WEIGHT:
        return rng.choice(pool["test_only"])
    return rng.choice(pool["shared"])


def article(phrase: str) -> str:
    """'a' or 'an' for the phrase, by sound of its first word."""
    word = phrase.split()[0] if phrase else ""
    if re.match(r"(8|11|18)(\D|$)|8\d", word):
        return "an"
    if re.match(r"[A-Z]{2,}", word):
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    if re.match(r"\d", word):
        return "a"
    return "an" if word[:1].lower() in "aeiou" else "a"


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------
# plan structures
# --------------------------------------------------------------------------
@dataclass
class Span:
    kind: str  # "finding" or "rec"
    text: str
    attrs: dict[str, Any]


Sentence = list[Any]  # str | Span


@dataclass
class Plan:
    exam: dict[str, Any]
    split: str
    title: str
    sections: dict[str, list[list[Sentence]]] = field(default_factory=dict)
    related: set[str] = field(default_factory=set)
    indication: str | None = None
    indication_in_text: bool = False
    indication_in_order: bool = False
    side: str | None = None
    status_line: str | None = None
    rec_texts: set[str] = field(default_factory=set)

    def add(self, section: str, *sentences: Sentence) -> None:
        self.sections.setdefault(section, []).append(list(sentences))


# --------------------------------------------------------------------------
# finding phrases
# --------------------------------------------------------------------------
def render_size(rng: random.Random, spec: tuple[int, int, list[str]],
                split: str) -> tuple[str, list[float]]:
    lo, hi, formats = spec
    fmt = rng.choice(formats)
    v = rng.randint(lo, hi)
    if fmt == "mm":
        return f"{v} mm", [float(v)]
    if fmt == "mmrange":
        return f"{v}-{v + 1} mm", [float(v), float(v + 1)]
    v = max(v, 5)
    sep = pick(rng, {"shared": [" x "], "test_only": [" \u00d7 "]}, split)
    dims = [v]
    extra = {"cm": 0, "cm2": 1, "cm3": 2}[fmt]
    for _ in range(extra):
        dims.append(rng.randint(max(4, dims[-1] * 6 // 10), dims[-1]))
    return sep.join(f"{d / 10:.1f}" for d in dims) + " cm", [float(d) for d in dims]


def location(rng: random.Random, ftype: str, plan: Plan) -> tuple[str, str, str | None, str]:
    locs = P.FINDINGS[ftype]["locs"]
    group = plan.exam["loc"]
    options = locs.get(group) or locs.get("any") or locs.get("abdomen") or next(iter(locs.values()))
    adj, pp, lat, label = rng.choice(options)
    if plan.side and lat is None and group in ("knee", "shoulder"):
        adj, pp = f"{plan.side} {adj}", pp.replace("the ", f"the {plan.side} ", 1)
        lat, label = plan.side, f"{plan.side} {label}"
    return adj, pp, lat, label


def templates_for(ftype: str, plan: Plan, benign: bool) -> Any:
    spec = P.FINDINGS[ftype]
    if benign:
        return spec["benign"]
    if plan.exam["modality"] == "XR" and "xr_templates" in spec:
        return spec["xr_templates"]
    if plan.exam["modality"] == "NM" and "nm_templates" in spec:
        return spec["nm_templates"]
    return spec["templates"]


def finding_phrase(rng: random.Random, ftype: str, plan: Plan, *, benign: bool = False,
                   template: tuple[str, str] | None = None) -> tuple[str, str, dict[str, Any]]:
    """A phrase for one finding object, its grammatical number and its attributes."""
    tpl, number = template or pick(rng, templates_for(ftype, plan, benign), plan.split)
    attrs: dict[str, Any] = {"type": ftype, "benign": benign, "size_mm": None,
                             "laterality": None, "location": None}
    text = tpl
    if "{size}" in tpl:
        size_text, size_mm = render_size(rng, P.FINDINGS[ftype]["sizes"], plan.split)
        text = text.replace("{size}", size_text)
        attrs["size_mm"] = size_mm
    if "{adj}" in tpl or "{pp}" in tpl:
        adj, pp, lat, label = location(rng, ftype, plan)
        text = text.replace("{adj}", adj).replace("{pp}", pp)
        if "{pp}" not in tpl:
            label = P.FINDINGS[ftype].get("adj_labels", {}).get(adj, label)
        attrs["laterality"], attrs["location"] = lat, label
    return text, number, attrs


def frame_sentence(frame: str, phrase: str, number: str, attrs: dict[str, Any]) -> Sentence:
    """Split a frame around {F}; fix article, verb number and capitalisation."""
    if number == "p":
        frame = frame.replace("There is", "There are").replace("} is ", "} are ")
    art = article(phrase) + " " if number == "s" else ""
    prefix, suffix = frame.split("{F}")
    prefix = prefix.replace("{a}", art).replace("{A}", cap(art))
    text = cap(phrase) if not prefix else phrase
    return [prefix, Span("finding", text, attrs), suffix]


def usable_frames(pool: Any, number: str) -> Any:
    """Drop frames whose grammar needs a singular countable noun."""
    if number == "s":
        return pool
    def ok(frame: str) -> bool:
        return "an incidental" not in frame and "is possibly" not in frame
    return {"shared": [f for f in pool["shared"] if ok(f)],
            "test_only": [f for f in pool["test_only"] if ok(f)]}


def mention(rng: random.Random, plan: Plan, ftype: str, assertion: str, key: str, *,
            benign: bool = False, frame_pool: Any = None,
            template: tuple[str, str] | None = None) -> tuple[Sentence, dict[str, Any]]:
    phrase, number, attrs = finding_phrase(rng, ftype, plan, benign=benign, template=template)
    attrs.update(assertion=assertion, key=key)
    pool = frame_pool or P.FRAMES["benign" if benign else assertion]
    frame = pick(rng, usable_frames(pool, number), plan.split)
    sentence = frame_sentence(frame, phrase, number, attrs)
    attrs["_phrase"], attrs["_number"] = phrase, number
    return sentence, attrs


def repeat_mention(rng: random.Random, plan: Plan, attrs: dict[str, Any]) -> Sentence:
    """The same finding object again (impression), same phrase and attributes."""
    pool = P.FRAMES["possible"] if attrs["assertion"] == "possible" else P.FRAMES["impression"]
    frame = pick(rng, usable_frames(pool, attrs["_number"]), plan.split)
    again = {k: v for k, v in attrs.items() if not k.startswith("_")}
    return frame_sentence(frame, attrs["_phrase"], attrs["_number"], again)


def simple_mention(plan: Plan, rng: random.Random, ftype: str, assertion: str, noun: str,
                   frame_pool: Any, key: str, lat: str | None = None,
                   loc: str | None = None) -> Sentence:
    """A mention built from a bare noun phrase (absent, historical, hypothetical)."""
    attrs = {"type": ftype, "benign": False, "size_mm": None, "laterality": lat,
             "location": loc, "assertion": assertion, "key": key}
    number = "p" if noun.endswith(("nodules", "nodes", "masses")) else (
        "m" if noun.endswith(("adenopathy", "lymphadenopathy")) else "s")
    frame = pick(rng, usable_frames(frame_pool, number), plan.split)
    return frame_sentence(frame, noun, number, attrs)


# --------------------------------------------------------------------------
# recommendations
# --------------------------------------------------------------------------
def interval_clause(rng: random.Random, keys: list[str], split: str,
                    p_none: float = 0.25) -> tuple[str, list[float] | None]:
    if not keys or rng.random() < p_none:
        return "", None
    key = rng.choice(keys)
    return pick(rng, P.INTERVALS[key], split), list(P.INTERVAL_VALUES[key])


def rec_span(text: str, modality: str | None, region: str | None,
             interval: list[float] | None, conditional: bool, key: str | None,
             alt: str | None = None) -> Span:
    return Span("rec", text, {"modality": modality, "body_region": region,
                              "interval_months": interval, "conditional": conditional,
                              "alt_modalities": [alt] if alt else [], "key": key})


def imaging_rec(rng: random.Random, split: str, action: tuple[Any, ...], keys: list[str],
                conditional: bool, key: str | None, same_modality: bool = False) -> Span:
    phrase, modality, region, alt = action
    pool = P.REC_TEMPLATES[("imaging", "conditional" if conditional else "direct")]
    tpl = pick(rng, pool, split)
    while same_modality and keys and "{I}" not in tpl:  # same exam again: only after an interval
        tpl = pick(rng, pool, split)
    clause, interval = ("", None)
    if "{I}" in tpl:
        clause, interval = interval_clause(rng, keys, split, 0.0 if same_modality else 0.25)
    text = (tpl.replace("{Ax}", cap(article(phrase)) + " " + phrase)
            .replace("{X}", cap(phrase)).replace("{x}", phrase).replace("{I}", clause))
    return rec_span(text, modality, region, interval, conditional, key, alt)


def other_rec(rng: random.Random, split: str, kind: str, action: tuple[Any, ...],
              conditional: bool, key: str | None) -> Span:
    tpl = pick(rng, P.REC_TEMPLATES[(kind, "conditional" if conditional else "direct")], split)
    if kind == "consult":
        adj, noun = action
        text = tpl.replace("{S}", cap(adj)).replace("{s}", noun)
        return rec_span(text, "CONSULT", None, None, conditional, key)
    phrase, modality, region = action
    text = tpl.replace("{X}", cap(phrase)).replace("{x}", phrase)
    return rec_span(text, modality, region, None, conditional, key)


def generic_rec(rng: random.Random, split: str, keys: list[str], key: str | None) -> Span:
    tpl, conditional = pick(rng, P.GENERIC_RECS, split)
    clause, interval = interval_clause(rng, keys, split, 0.0) if "{I}" in tpl else ("", None)
    return rec_span(tpl.replace("{I}", clause), None, None, interval, conditional, key)


def fleischner_rec(rng: random.Random, split: str, key: str | None) -> Span:
    tpl = pick(rng, P.FLEISCHNER, split)
    if "optional" in tpl:
        return rec_span(tpl, "CT", "chest", [12.0, 12.0], True, key)
    clause, interval = interval_clause(rng, ["3", "6-12", "12", "3-6"], split, 0.0)
    return rec_span(tpl.replace("{I}", clause), "CT", "chest", interval, False, key)


def make_rec(rng: random.Random, plan: Plan, attrs: dict[str, Any],
             conditional: bool) -> Span:
    """A recommendation for a finding object (no finding noun in the sentence)."""
    ftype, key, split = attrs["type"], attrs["key"], plan.split
    actions = P.ACTIONS[ftype]
    if attrs.get("location") in P.LOC_ACTIONS and rng.random() < 0.7:
        return other_rec(rng, split, "procedure", P.LOC_ACTIONS[attrs["location"]],
                         conditional, key)
    if ftype in ("pulmonary_nodule", "lung_mass") and plan.exam["modality"] == "XR" \
            and rng.random() < 0.4:
        text, interval, cond = pick(rng, P.XR_SHORT, split)
        return rec_span(text, "XR", "chest", list(interval), cond, key)
    if ftype == "pulmonary_nodule" and rng.random() < 0.25:
        return fleischner_rec(rng, split, key)
    roll = rng.random()
    if roll < 0.07:
        return generic_rec(rng, split, actions["intervals"], key)
    for kind, threshold in (("procedure", 0.2), ("consult", 0.32), ("lab", 0.47)):
        if roll < threshold and actions.get(kind):
            return other_rec(rng, split, kind, rng.choice(actions[kind]), conditional, key)
    action = rng.choice(actions["imaging"])
    return imaging_rec(rng, split, action, actions["intervals"], conditional, key,
                       same_modality=action[1] == plan.exam["modality"])


# --------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------
@dataclass
class Style:
    header_form: str  # colon_inline, colon_newline, bare_newline, none
    title_case: bool
    section_sep: str
    lines_per_sentence: bool
    numbered: bool
    headers: dict[str, str]


def header_text(style: Style, name: str) -> str:
    raw = style.headers[name]
    return raw.title().replace(" And ", " and ") if style.title_case else raw


def render_sentences(sentences: list[Sentence], out: list[Any], joiner: str) -> None:
    for i, sentence in enumerate(sentences):
        if i:
            out.append(joiner)
        out.extend(part for part in sentence if part != "")


def render_section(plan: Plan, style: Style, name: str) -> list[Any]:
    items = plan.sections[name]
    out: list[Any] = []
    body: list[Any] = []
    numbered = name == "impression" and style.numbered and len(items) > 1
    for i, item in enumerate(items):
        if numbered:
            body.append(("\n" if i else "") + f"{i + 1}. ")
        elif i:
            body.append("\n" if style.lines_per_sentence else " ")
        render_sentences(item, body, " ")
    if style.header_form != "none" and name != "examination_title":
        head = header_text(style, name)
        if style.header_form == "colon_inline" and not numbered:
            out.append(head + ": ")
        elif style.header_form == "bare_newline":
            out.append(head + "\n")
        else:
            out.append(head + ":\n")
    out.extend(body)
    return out


def render(plan: Plan, style: Style) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Text plus finding and recommendation records with offsets."""
    parts: list[tuple[Any, str | None]] = []
    if plan.status_line:
        parts.append((plan.status_line, None))
        parts.append((style.section_sep, None))
    first = True
    for name in SECTION_ORDER:
        if not plan.sections.get(name):
            continue
        if not first:
            parts.append((style.section_sep, None))
        first = False
        section = None if style.header_form == "none" else name
        parts.extend((p, section) for p in render_section(plan, style, name))
    text_parts: list[str] = []
    findings: list[dict[str, Any]] = []
    recs: list[dict[str, Any]] = []
    pos = 0
    for part, section in parts:
        if isinstance(part, Span):
            record = {"text": part.text, "start": pos, "end": pos + len(part.text),
                      "section": section, **part.attrs}
            (findings if part.kind == "finding" else recs).append(record)
            part = part.text
        text_parts.append(part)
        pos += len(part)
    return "".join(text_parts), findings, recs


def choose_style(rng: random.Random, split: str) -> Style:
    form = rng.choices(["colon_inline", "colon_newline", "bare_newline", "none"],
                       [0.45, 0.25, 0.18, 0.12])[0]
    headers = {name: pick(rng, pool, split) for name, pool in P.HEADERS.items()}
    return Style(header_form=form, title_case=rng.random() < 0.25,
                 section_sep=rng.choice(["\n\n", "\n\n", "\n"]),
                 lines_per_sentence=rng.random() < 0.3, numbered=rng.random() < 0.6,
                 headers=headers)


KEYWORDS = re.compile(
    r"\b(nodules?|nodular|nodes?|mass(?:es)?|lesions?|cysts?|cystic|aneurysm\w*|"
    r"adenopathy|lymphadenopathy|granulomas?|IPMN|incidentaloma|adenoma)\b", re.IGNORECASE)
EXEMPT = re.compile(r"mass effect|presumably a granuloma")


def unannotated_keywords(text: str, findings: list[dict[str, Any]]) -> list[str]:
    """Finding nouns outside every finding span (should be none)."""
    exempt = [(m.start(), m.end()) for m in EXEMPT.finditer(text)]
    covered = [(f["start"], f["end"]) for f in findings] + exempt
    return [m.group(0) for m in KEYWORDS.finditer(text)
            if not any(s <= m.start() and m.end() <= e for s, e in covered)]
