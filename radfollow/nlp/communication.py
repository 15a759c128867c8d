"""Documented communication of results (issue 17): rules/critical.json ``communication``.

A sentence holding none of the ``gate`` substrings is not read further. A
sentence documents a communication when it is a results system's notice
("Critical result notification documented through ..."), or when it holds

* a strong verb ("discussed", "notified", "called to") or a weak one ("given",
  "reported") with a results word ("findings", "preliminary report"), that no
  ``future`` word ("will", "should", "please") precedes within
  ``future_window_words``: "will be communicated", "no physician was
  notified" and "attempted to page" are not communication; and
* a recipient word (a doctor, a team, the patient) or a results noun as the
  subject ("Results were faxed."), and no ``exclude`` word (consent:
  "informed of the risks"; a failed attempt: "no response"; a conference or a
  radiologist colleague: "tumor board", "neuroradiology attending");
* and it lies outside ``skip_sections`` (history, comparison: not this exam's
  communication).

Its attributes come from the same sentence: the first ``roles`` entry whose
words appear (ordering before emergency before nurse before physician ...),
whether a name or its placeholder is given (never the name itself), the first
matching ``methods`` entry (else unknown), the first stated time and date, and
read-back or acknowledgement. Sets ``doc._.rad_communications`` (list of
:class:`~radfollow.models.Communication`, ``sent`` left None: it needs the exam
time, see :func:`radfollow.guidance.critical.resolve_sent`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Communication, CommunicationMethod, RecipientRole
from radfollow.nlp.caseless import union
from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.critical import words
from radfollow.nlp.extensions import doc_text
from radfollow.nlp.sectionizer import section_at
from radfollow.rules.schema import CriticalRules
from radfollow.rules.schema.critical import CommunicationRules


class CommunicationReader(RuleFileComponent):
    """The ``radfollow_communication_v1`` component: see the module docstring."""

    rules_model = CriticalRules

    def __init__(self, nlp: Language, name: str, *, rules: str | Path | None = None) -> None:
        self.name = name
        self._load(rules)

    def _compile(self) -> None:
        rules: CommunicationRules = self.rules.communication
        # whether any gate substring occurs (searched in lower-cased text)
        self._gate = re.compile(union(map(re.escape, sorted(set(rules.gate)))))
        self._strong = words(rules.strong_verbs.terms)
        self._weak = words(rules.weak_verbs.terms)
        self._results = words(rules.results_words.terms)
        self._nouns = words(rules.results_nouns.terms)
        self._recipients = words(rules.recipients.terms)
        self._notices = words(rules.system_notices.terms)
        self._exclude = words(rules.exclude.terms)
        self._future = re.compile(
            r"\b(?:"
            + union(rules.future.terms)
            + rf")\b(?:\W+\w+){{0,{rules.future_window_words}}}\W*$",
            re.IGNORECASE,
        )
        self._roles = [(r.role, words(r.terms)) for r in rules.roles]
        self._methods = [(m.method, words(m.terms)) for m in rules.methods]
        self._names = re.compile(union(rules.names.terms))
        self._acknowledged = words(rules.acknowledged.terms)
        self._times = [re.compile(rf"\b(?:{t})", re.IGNORECASE) for t in rules.times.terms]
        self._dates = [re.compile(rf"\b(?:{t})\b") for t in rules.dates.terms]

    def __call__(self, doc: Doc) -> Doc:
        found: list[Communication] = []
        lowered_doc = doc_text(doc).lower()
        if not self._gate.search(lowered_doc):
            doc._.rad_communications = found
            return doc
        for sentence in doc.sents:
            text = sentence.text
            if not self._gate.search(text.lower()):
                continue
            communication = self._read(doc, sentence, text)
            if communication is not None:
                found.append(communication.model_copy(update={"id": f"m{len(found) + 1}"}))
        doc._.rad_communications = found
        return doc

    def _read(self, doc: Doc, sentence: Span, text: str) -> Communication | None:
        section = section_at(doc._.rad_sections, sentence.start_char)
        if section is not None and section.category in self.rules.communication.skip_sections:
            return None
        notice = self._notices is not None and self._notices.search(text)
        if not notice and not (self._documented(text) and self._to_someone(text)):
            return None
        named = self._recipients is not None and self._recipients.search(text)
        method = self._method(text)
        return Communication(
            id="m0",
            start=sentence.start_char,
            end=sentence.end_char,
            recipient_role=self._role(text),
            # a results system's notice names its system, not a person
            name_present=bool(
                named
                and method is not CommunicationMethod.RESULTS_SYSTEM
                and self._names.search(text)
            ),
            method=method,
            stated_date=self._date(text),
            stated_time=self._time(text),
            acknowledged=bool(self._acknowledged and self._acknowledged.search(text)),
            section=section.category if section else None,
        )

    def _documented(self, text: str) -> bool:
        verbs = [m for p in (self._strong,) if p is not None for m in p.finditer(text)]
        if self._weak is not None and self._results is not None and self._results.search(text):
            verbs += list(self._weak.finditer(text))
        return any(not self._future.search(text[: m.start()]) for m in verbs)

    def _to_someone(self, text: str) -> bool:
        """A recipient is named, or the results are the subject ("Results were faxed.")."""
        if self._exclude is not None and self._exclude.search(text):
            return False
        return any(p is not None and p.search(text) for p in (self._recipients, self._nouns))

    def _role(self, text: str) -> RecipientRole:
        for role, pattern in self._roles:
            if pattern is not None and pattern.search(text):
                return role
        return RecipientRole.OTHER

    def _method(self, text: str) -> CommunicationMethod:
        for method, pattern in self._methods:
            if pattern is not None and pattern.search(text):
                return method
        return CommunicationMethod.UNKNOWN

    def _time(self, text: str) -> str | None:
        for pattern in self._times:
            match = pattern.search(text)
            if match:
                return _clock(match)
        return None

    def _date(self, text: str) -> date | None:
        for pattern in self._dates:
            for match in pattern.finditer(text):
                year = int(match["year"])
                year += 2000 if year < 50 else 1900 if year < 100 else 0
                try:
                    return date(year, int(match["month"]), int(match["day"]))
                except ValueError:
                    continue
        return None


def _clock(match: re.Match[str]) -> str | None:
    hour = int(match["hour"])
    minute = int(match.groupdict().get("minute") or 0)
    ampm = (match.groupdict().get("ampm") or "").lower().replace(".", "").replace(" ", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"
