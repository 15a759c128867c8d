"""A report's recommendations against a guideline's answer (issue 16).

* no recommendation: concordant when the answer is no (or optional) follow-up, else
  missing;
* recommendations and an answer of no follow-up: unnecessary, unless every one is
  conditional ('CT if clinically indicated' leaves the decision to the clinician);
* else concordant when one recommendation's modality is among the answer's (an
  unstated modality does not disagree) and its interval overlaps the answer's (a
  recommendation without an interval means now, [0, 0]; the guideline's 'now' is met
  within ``prompt_months``); else discordant.
"""

from __future__ import annotations

from collections.abc import Sequence

from radfollow.models import Concordance, ExpectedFollowUp, Recommendation

_NOW = (0.0, 0.0)
_PREFERENCE = (Concordance.CONCORDANT, Concordance.DISCORDANT, Concordance.UNNECESSARY)


def _modality_fits(rec: Recommendation, answer: ExpectedFollowUp) -> bool:
    options = set(rec.modality_options or ([rec.modality] if rec.modality else []))
    return not options or bool(options & set(answer.modality_options))


def _interval_fits(
    rec: Recommendation, answer: ExpectedFollowUp, slack: float, prompt: float
) -> bool:
    low, high = rec.interval_months or _NOW
    want_low, want_high = answer.interval_months or _NOW
    if want_high == 0:  # 'now': prompt follow-up
        want_high = prompt
    return low <= want_high + slack and high >= want_low - slack


def compare(
    answer: ExpectedFollowUp,
    recs: Sequence[Recommendation],
    *,
    slack_months: float = 0.0,
    prompt_months: float = 0.0,
) -> Concordance:
    """One answer against the recommendations that concern the finding; ``prompt_months``
    widens an answer of 'now' ([0, 0]) to [0, prompt_months]."""
    if not recs:
        if answer.follow_up and not answer.optional:
            return Concordance.MISSING
        return Concordance.CONCORDANT
    if not answer.follow_up:
        firm = [r for r in recs if not r.conditional]
        return Concordance.UNNECESSARY if firm else Concordance.CONCORDANT
    for rec in recs:
        if _modality_fits(rec, answer) and _interval_fits(rec, answer, slack_months, prompt_months):
            return Concordance.CONCORDANT
    return Concordance.DISCORDANT


def overall(results: Sequence[Concordance]) -> Concordance | None:
    """The report against several answers (one per unknown case): concordant when it
    agrees with any; else discordant, unnecessary or missing in that order."""
    for value in (*_PREFERENCE, Concordance.MISSING):
        if value in results:
            return value
    return None
