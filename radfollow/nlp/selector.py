"""Accept recommendation candidates whose score reaches the threshold.

The score is the classifier's (``rad_score``) when a scorer ran, else the
rules' (``rad_rule_score``). Accepted spans go to ``doc.spans[RECOMMENDATIONS]``
with ``rad_score`` set.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from radfollow.errors import RadfollowError
from radfollow.nlp.extensions import CANDIDATES, RECOMMENDATIONS


class RecommendationSelector:
    def __init__(self, nlp: Language, name: str, *, threshold: float) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise RadfollowError(f"threshold must be within [0, 1], got {threshold}", where=name)
        self.name = name
        self.threshold = threshold

    def __call__(self, doc: Doc) -> Doc:
        accepted = []
        for span in doc.spans.get(CANDIDATES, []):
            score = span._.rad_score if span._.rad_score is not None else span._.rad_rule_score
            span._.rad_score = score
            if score is not None and score >= self.threshold:
                accepted.append(span)
        doc.spans[RECOMMENDATIONS] = accepted
        return doc
