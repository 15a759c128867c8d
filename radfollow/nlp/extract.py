"""Run the pipeline over report texts and read typed results off the Docs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Assertion, ExtractionResult, Finding, FindingType, Recommendation
from radfollow.nlp.extensions import RECOMMENDATIONS, doc_text
from radfollow.nlp.pipeline import PipelineConfig, build_pipeline
from radfollow.nlp.sectionizer import section_text


@dataclass(frozen=True)
class ReportText:
    """One report to read: its text and, when known, indication and procedure."""

    text: str
    indication: str | None = None
    procedure: str | None = None


class Extractor:
    """Holds one pipeline; ``extract_many`` batches with ``nlp.pipe``."""

    def __init__(
        self, nlp: Language | None = None, *, config: PipelineConfig | None = None
    ) -> None:
        self.nlp = nlp or build_pipeline(config)

    def make_doc(self, report: ReportText) -> Doc:
        doc = self.nlp.make_doc(report.text)
        doc._.rad_indication = report.indication
        doc._.rad_procedure = report.procedure
        return doc

    def extract(self, report: ReportText) -> ExtractionResult:
        return next(self.extract_many([report]))

    def extract_many(
        self, reports: Iterable[ReportText], *, batch_size: int = 64
    ) -> Iterator[ExtractionResult]:
        docs = (self.make_doc(r) for r in reports)
        for doc in self.nlp.pipe(docs, batch_size=batch_size):
            yield doc_to_result(doc)


def doc_to_result(doc: Doc) -> ExtractionResult:
    findings = [_finding(i, ent) for i, ent in enumerate(doc.ents)]
    recommendations = [
        _recommendation(i, span) for i, span in enumerate(doc.spans[RECOMMENDATIONS])
    ]
    indication = doc._.rad_indication or section_text(doc, "indication") or None
    impression = section_text(doc, "impression") or None
    communications = list(doc._.rad_communications or [])
    critical = [
        c.model_copy(update={"communicated": bool(communications)})
        for c in doc._.rad_critical_results or []
    ]
    return ExtractionResult(
        findings=findings,
        recommendations=recommendations,
        impression=impression,
        indication=indication,
        critical_results=critical,
        communications=communications,
    )


def _finding(index: int, ent: Span) -> Finding:
    start = ent._.rad_phrase_start if ent._.rad_phrase_start is not None else ent.start_char
    return Finding(
        id=f"f{index + 1}",
        type=FindingType(ent.label_),
        text=doc_text(ent.doc)[start : ent.end_char],
        start=start,
        end=ent.end_char,
        assertion=ent._.rad_assertion or Assertion.PRESENT,
        benign=bool(ent._.rad_benign),
        incidental=bool(ent._.rad_incidental),
        size_mm=ent._.rad_size_mm,
        section=ent._.rad_section,
        laterality=ent._.rad_laterality,
        location=ent._.rad_location,
        sentence=ent.sent.text.strip(),
        incidental_reason=ent._.rad_incidental_reason,
        composition=ent._.rad_composition,
        multiplicity=ent._.rad_multiplicity,
        largest_size_mm=max(ent._.rad_size_mm) if ent._.rad_size_mm else None,
        density_hu=ent._.rad_density_hu,
    )


def _recommendation(index: int, span: Span) -> Recommendation:
    linked = span._.rad_finding
    score = span._.rad_score
    return Recommendation(
        id=f"r{index + 1}",
        text=span.text,
        start=span.start_char,
        end=span.end_char,
        modality=span._.rad_modality,
        body_region=span._.rad_body_region,
        interval_months=span._.rad_interval,
        conditional=bool(span._.rad_conditional),
        score=round(score, 4) if score is not None else None,
        finding_id=f"f{linked + 1}" if linked is not None else None,
        section=span._.rad_section,
        modality_options=span._.rad_modality_options or [],
    )
