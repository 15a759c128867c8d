"""spaCy extension attributes used by radfollow, declared once (STYLE.md #7).

All names carry the ``rad_`` prefix. ``register_extensions`` is idempotent and
never uses ``force=True``.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span

#: Doc attributes: set by the caller before the pipeline (context) or by components.
DOC_EXTENSIONS: dict[str, Any] = {
    "rad_indication": None,  # indication text from HL7 or the caller
    "rad_procedure": None,  # procedure / exam title from HL7 or the caller
    "rad_sections": None,  # list[SectionSpan] set by the sectionizer
    "rad_exam_organ": None,  # organ of the exam (e.g. "lung" for a chest CT)
    "rad_critical_results": None,  # list[CriticalResult] set by the critical component
    "rad_communications": None,  # list[Communication] set by the communication component
}

#: Span attributes on finding spans (doc.ents) and recommendation spans.
SPAN_EXTENSIONS: dict[str, Any] = {
    "rad_section": None,
    "rad_head": None,  # HEAD_* class before typing
    "rad_phrase_start": None,  # char offset where the finding's noun phrase starts
    "rad_organ": None,
    "rad_assertion": None,
    "rad_benign": False,
    "rad_incidental": False,
    "rad_size_mm": None,
    "rad_laterality": None,
    "rad_location": None,
    "rad_composition": None,  # Composition
    "rad_multiplicity": None,  # Multiplicity
    "rad_density_hu": None,  # float, Hounsfield units
    "rad_incidental_reason": None,  # IncidentalReason
    # recommendation spans
    "rad_modality": None,
    "rad_modality_options": None,  # list[Modality]: acceptable alternatives, first = rad_modality
    "rad_body_region": None,
    "rad_interval": None,
    "rad_conditional": False,
    "rad_rule": None,
    "rad_rule_score": None,  # the rules' confidence
    "rad_score": None,  # the final score (classifier when present, else rules)
    "rad_finding": None,  # index into doc.ents of the linked finding
}

#: Span group holding recommendation candidates (rules) and the accepted ones.
CANDIDATES = "rad_recommendation_candidates"
RECOMMENDATIONS = "rad_recommendations"


_TEXT_KEY = "radfollow.text"


def doc_text(doc: Doc) -> str:
    """``doc.text``, computed once per Doc.

    spaCy rebuilds ``Doc.text`` from the tokens on every access (O(tokens));
    components read it several times per report. Tokens never change their
    text after tokenization, so the cached copy stays valid; a copy whose
    length does not fit the Doc (``Span.as_doc`` copies ``user_data``) is
    rebuilt.
    """
    text = doc.user_data.get(_TEXT_KEY)
    if not isinstance(text, str) or len(text) != _char_length(doc):
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def _char_length(doc: Doc) -> int:
    if not len(doc):
        return 0
    last = doc[-1]
    return int(last.idx) + len(last.text_with_ws)


def respan(span: Span, *, end: int | None = None, label: str | None = None) -> Span:
    """A copy of finding ``span`` with another end token or label and its ``rad_`` values.

    spaCy keys a Span's extension values by its offsets, so a new Span starts
    with defaults; the values set so far are carried over.
    """
    copy = Span(span.doc, span.start, span.end if end is None else end, label=label or span.label_)
    for name in SPAN_EXTENSIONS:
        value = getattr(span._, name)
        if value is not SPAN_EXTENSIONS[name]:
            setattr(copy._, name, value)
    return copy


def register_extensions() -> None:
    for name, default in DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    for name, default in SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
