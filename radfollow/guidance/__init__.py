"""Guideline guidance, MIPS quality measures and report mismatch checks (issue 16).

Runs after the NLP on a report's findings and recommendations with what is known of
the exam and the patient (:class:`ReportContext`); rules are data in
``radfollow/rules/guidance.json``, ``measures.json`` and ``checks.json``. No spaCy.
"""

from radfollow.guidance.assess import Assessor
from radfollow.guidance.context import ReportContext

__all__ = ["Assessor", "ReportContext"]
